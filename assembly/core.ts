// The composition root: one stack, built from a config, wired from the layers below (wire,
// storage, iface, socket), and driven by poll. It holds no module state, so an as-pect spec can
// build as many as it likes and drive one protocol alone under a fake clock; the module's one
// instance, and the memory areas the host shares with it, live in abi/instance.ts.
//
// poll, in order: reclaim sent frames; receive from the device, then from the loopback ring;
// neighbour-cache timers (ARP retries, give-ups reported to each transport); frames whose
// neighbour resolved; the dispatch step (each transport emits what it owes: TCP its data, ACKs,
// retransmissions and probes, UDP and ICMP their writable events, and says when it next needs a
// poll); and the earliest deadline of all.

import {
  LAYOUT_RX_DESC, LAYOUT_FEATURES, LAYOUT_RX_AVAIL, LAYOUT_RX_USED, LAYOUT_RX_SIZE, LAYOUT_TX_DESC, LAYOUT_TX_AVAIL,
  LAYOUT_TX_USED, LAYOUT_TX_SIZE, LAYOUT_BUFFER_BYTES, LAYOUT_EVENTS, LAYOUT_EVENT_CAPACITY,
  LAYOUT_IO, LAYOUT_IO_BYTES, LAYOUT_STATS, LAYOUT_STAT_COUNT, LAYOUT_RESULT, LAYOUT_MAC, STAT_COUNT,
  VIRTIO_NET_HDR_BYTES, VIRTIO_NET_HDR_FLAGS, VIRTIO_NET_HDR_F_DATA_VALID, STAT_RX_DROP_DEVICE_ERROR,
  STAT_RX_DROP_OVERSIZE, VIRTIO_NET_HDR_GSO_TYPE, VIRTIO_NET_GSO_TCPV4,
  STAT_ARP_GIVE_UPS, STAT_ARP_PENDING_DROPPED, STAT_ARP_EVICTIONS, STAT_RX_QUEUE_DEVICE_ERRORS,
  STAT_TX_QUEUE_DEVICE_ERRORS, STAT_ICMP_ERRORS_RECEIVED, STAT_ICMP_ERRORS_IGNORED, STAT_ICMP_DROP_UNSUPPORTED_TYPE,
  SOCKET_KIND_UDP, SOCKET_KIND_ICMP, CONFIG_FLAG_TX_CHECKSUM_OFFLOAD, CONFIG_FLAG_TCP_FIXED_ISS,
} from "../bindings/layout";
import { ETHERNET_HEADER_LEN, EtherType } from "./wire/ethernet";
import { IpProtocol, IPV4_PROTOCOL_OFFSET } from "./wire/ipv4";
import { readU16, writeMac } from "./wire/bytes";
import { Icmpv4Type } from "./wire/icmpv4";
import { Virtqueue, NO_DESCRIPTOR } from "./storage/virtqueue";
import { SlotPool } from "./storage/slot_pool";
import { Config } from "./iface/config";
import { Interface } from "./iface/interface";
import { NeighborCache } from "./iface/neighbor_cache";
import { Loopback } from "./iface/loopback";
import { EventRing } from "./iface/events";
import { Egress } from "./iface/egress";
import { Ingress, Delivery } from "./iface/ingress";
import { IcmpErrorSender } from "./iface/icmp_error_sender";
import { stats, statsPtr, count } from "./iface/stats";
import { SocketTable } from "./socket/table";
import { UdpLayer } from "./socket/udp";
import { PingLayer } from "./socket/icmp";
import { IcmpErrorMeaning, QuotedPacket } from "./socket/icmp_error";
import { Random } from "./random";
import { Secret, macFromSecret, SECRET_USE_INDEX } from "./secret";
import { minDeadline } from "./time";
import { TcpLayer } from "./socket/tcp/layer";
import { TcpParams, TCP_IP_HEADERS_LEN } from "./socket/tcp/params";

/**
 * Every pool together must fit in this. Each limit alone can be legal while their product is not
 * (65535 sockets of 64 MiB each): init must then fail with EINVAL, not run the 32-bit heap past
 * 4 GiB (a trap, or worse, addresses that wrap and pools that overlap). A choice, and could be
 * raised toward 2 GiB.
 */
export const MAX_FOOTPRINT_BYTES: u64 = 1 << 30;
/** The objects beside the pools (each layer's instances, their headers, alignment): generous. */
const OBJECT_ALLOWANCE_BYTES: u64 = 64 * 1024;

/**
 * The bytes a Core built from `config` allocates, in 64-bit arithmetic so no product wraps. Each
 * pool's term is the size function its own constructor allocates with, so the two cannot drift.
 */
export function footprint(config: Config): u64 {
  const frameBytes = ETHERNET_HEADER_LEN + config.mtu;
  const bufferBytes = VIRTIO_NET_HDR_BYTES + config.deviceFrameBytes;
  return Virtqueue.bytesFor(config.rxQueueSize, bufferBytes) +
    Virtqueue.bytesFor(config.txQueueSize, bufferBytes) +
    NeighborCache.bytesFor(config.neighbours, config.neighbourPending, frameBytes) +
    Loopback.bytesFor(config.loopbackFrames, frameBytes) +
    EventRing.bytesFor(config.eventRingSize, eventSources(config)) +
    TcpLayer.bytesFor(tcpParams(config), config.tcpConnections, config.tcpListeners, config.tcpTimeWaitEntries) +
    SocketTable.bytesFor(config.maxSockets, config.udpRxBytes) +
    SocketTable.bytesFor(config.icmpSockets, config.udpRxBytes) +
    <u64>Egress.WORKSPACES * <u64>Egress.workspaceBytes(config.mtu) +
    <u64>config.mtu + <u64>frameBytes + // the I/O area and the loopback copy
    OBJECT_ALLOWANCE_BYTES;
}

/** Event sources: every socket slot of every kind (UDP, ICMP, TCP connections and listeners). */
function eventSources(config: Config): i32 {
  return config.maxSockets + config.icmpSockets + TcpLayer.sourcesFor(config.tcpConnections, config.tcpListeners);
}

/** The TCP limits and timings this config asks for. */
export function tcpParams(config: Config): TcpParams {
  const p = new TcpParams();
  p.mss = config.mtu - TCP_IP_HEADERS_LEN;
  p.sendBytes = config.tcpSendBytes;
  p.recvBytes = config.tcpRecvBytes;
  p.timeWait = config.tcpTimeWait;
  p.linger = config.tcpLinger;
  p.orphanTimeout = config.tcpOrphanTimeout;
  p.fixedIss = (config.flags & CONFIG_FLAG_TCP_FIXED_ISS) != 0;
  p.issBase = config.tcpIssBase;
  return p;
}

export class Core {
  readonly config: Config;
  readonly random: Random;
  readonly secret: Secret;
  readonly iface: Interface;
  readonly rx: Virtqueue;
  readonly tx: Virtqueue;
  readonly neighbours: NeighborCache;
  readonly loopback: Loopback;
  readonly events: EventRing;
  readonly egress: Egress;
  readonly ingress: Ingress;
  readonly udp: UdpLayer;
  readonly ping: PingLayer;
  readonly tcp: TcpLayer;
  /** The I/O area socket calls copy payloads through (LAYOUT_IO). */
  readonly io: usize;
  readonly ioBytes: i32;
  /** Latest time the host told us (poll or a socket call); time never goes back. */
  now: i64 = 0;
  /** The longest ordinary frame: the MTU and its Ethernet header (longer ones: see isLargeTcpSegment). */
  private readonly maxFrameLen: i32;
  /** A looped frame is copied here before it is processed, so its slot is free for the answer. */
  private readonly loopbackFrame: usize;
  private readonly meaning: IcmpErrorMeaning = new IcmpErrorMeaning();
  private readonly quoted: QuotedPacket = new QuotedPacket();
  // Counters kept by lower layers, already copied into stats.
  private seenGiveUps: u32 = 0;
  private seenPendingDropped: u32 = 0;
  private seenEvictions: u32 = 0;
  private seenRxDeviceErrors: u32 = 0;
  private seenTxDeviceErrors: u32 = 0;

  constructor(config: Config) {
    const random = new Random(config.seed);
    const secret = new Secret(config.secret0, config.secret1, config.seed);
    const iface = new Interface();
    iface.mac = config.mac != 0 ? config.mac : macFromSecret(secret);
    iface.gateway = config.gateway;
    for (let i = 0; i < config.addressCount; i++) {
      iface.addAddress(unchecked(config.addresses[i]), unchecked(config.prefixLengths[i]));
    }
    const frameBytes = ETHERNET_HEADER_LEN + config.mtu;
    // Queue buffers hold the largest frame the device exchanges (a 64 KiB segment with
    // segmentation offload); everything else (neighbour and loopback queues) holds MTU-sized ones.
    const bufferBytes = VIRTIO_NET_HDR_BYTES + config.deviceFrameBytes;
    const tx = new Virtqueue(config.txQueueSize, bufferBytes, false);
    const neighbours = new NeighborCache(config.neighbours, config.neighbourPending, frameBytes,
      config.neighbourLifetime, config.arpRetry, config.arpMaxRequests,
      secret.keyFor(SECRET_USE_INDEX, 0), secret.keyFor(SECRET_USE_INDEX, 1));
    const loopback = new Loopback(config.loopbackFrames, frameBytes);
    const events = new EventRing(config.eventRingSize, eventSources(config));
    const egress = new Egress(iface, tx, loopback, neighbours, config.mtu, <u16>random.next(),
      (config.flags & CONFIG_FLAG_TX_CHECKSUM_OFFLOAD) != 0, config.segmentationOffload);
    const udpTable = new SocketTable(<u8>SOCKET_KIND_UDP, config.maxSockets, config.udpRxBytes,
      config.udpRxDatagrams, 0, secret);
    const pingTable = new SocketTable(<u8>SOCKET_KIND_ICMP, config.icmpSockets, config.udpRxBytes,
      config.udpRxDatagrams, config.maxSockets, secret);
    this.config = config;
    this.random = random;
    this.secret = secret;
    this.iface = iface;
    this.rx = new Virtqueue(config.rxQueueSize, bufferBytes, true);
    this.tx = tx;
    this.neighbours = neighbours;
    this.loopback = loopback;
    this.events = events;
    this.egress = egress;
    const errors = new IcmpErrorSender(egress, config.portUnreachablePerSecond);
    this.ingress = new Ingress(iface, egress, errors);
    this.udp = new UdpLayer(udpTable, egress, events, errors);
    this.ping = new PingLayer(pingTable, egress, events);
    this.tcp = new TcpLayer(tcpParams(config), config.tcpConnections, config.tcpListeners,
      config.tcpTimeWaitEntries, egress, events, secret, config.maxSockets + config.icmpSockets);
    this.ioBytes = config.mtu;
    this.io = heap.alloc(<usize>config.mtu);
    this.loopbackFrame = heap.alloc(<usize>frameBytes);
    this.maxFrameLen = frameBytes;
  }

  /** Records where everything went in the layout table at `t` (bindings/layout.ts). */
  writeLayout(t: usize, resultArea: usize): void {
    store<u32>(t + LAYOUT_RX_DESC, <u32>this.rx.descriptors);
    store<u32>(t + LAYOUT_RX_AVAIL, <u32>this.rx.avail);
    store<u32>(t + LAYOUT_RX_USED, <u32>this.rx.used);
    store<u32>(t + LAYOUT_RX_SIZE, <u32>this.rx.size);
    store<u32>(t + LAYOUT_TX_DESC, <u32>this.tx.descriptors);
    store<u32>(t + LAYOUT_TX_AVAIL, <u32>this.tx.avail);
    store<u32>(t + LAYOUT_TX_USED, <u32>this.tx.used);
    store<u32>(t + LAYOUT_TX_SIZE, <u32>this.tx.size);
    store<u32>(t + LAYOUT_BUFFER_BYTES, <u32>this.rx.bufferBytes);
    store<u32>(t + LAYOUT_EVENTS, <u32>this.events.ptr);
    store<u32>(t + LAYOUT_EVENT_CAPACITY, this.events.capacity);
    store<u32>(t + LAYOUT_IO, <u32>this.io);
    store<u32>(t + LAYOUT_IO_BYTES, <u32>this.ioBytes);
    store<u32>(t + LAYOUT_STATS, <u32>statsPtr());
    store<u32>(t + LAYOUT_STAT_COUNT, <u32>STAT_COUNT);
    store<u32>(t + LAYOUT_RESULT, <u32>resultArea);
    store<u64>(t + LAYOUT_MAC, 0);
    writeMac(t + LAYOUT_MAC, this.iface.mac);
    store<u32>(t + LAYOUT_FEATURES, this.config.flags);
  }

  /** Moves the core's clock to `now` if that is later; returns the core's time. */
  advance(now: i64): i64 {
    if (now > this.now) this.now = now;
    return this.now;
  }

  /** The socket table a handle's tag names, or null (a handle of no kind we have). */
  tableOf(handle: i32): SocketTable | null {
    const tag = SlotPool.tagOf(handle);
    if (tag == SOCKET_KIND_UDP) return this.udp.table;
    if (tag == SOCKET_KIND_ICMP) return this.ping.table;
    return null;
  }

  /** One step of the stack at time `now`; returns the next time it needs a poll, or NO_DEADLINE. */
  poll(now: i64): i64 {
    now = this.advance(now);
    this.tx.reclaim();
    this.receiveFromDevice(now);
    this.receiveLoopback(now);
    const cache = this.neighbours;
    cache.expire(now);
    this.egress.sendDueRequests(now);
    for (let ip = cache.takeUnreachable(); ip != 0; ip = cache.takeUnreachable()) {
      this.udp.neighbourUnreachable(ip);
      this.ping.neighbourUnreachable(ip);
      this.tcp.neighbourUnreachable(ip, now);
    }
    this.egress.flushResolved(now);
    this.syncStats();
    // Dispatch: each transport emits what it owes. Room means a frame sent now would not be
    // refused with ENOBUFS.
    this.tcp.dispatch(now);
    const room = this.egress.hasRoom();
    this.udp.dispatch(room);
    this.ping.dispatch(room);
    // The earliest of: the neighbour cache's timers, each socket's own "next poll at" (one heap per
    // table; TCP's timers will live there), and now if looped frames wait.
    let deadline = cache.nextDeadline(now);
    deadline = minDeadline(deadline, this.udp.table.nextPollAt());
    deadline = minDeadline(deadline, this.ping.table.nextPollAt());
    deadline = minDeadline(deadline, this.tcp.nextPollAt());
    if (this.loopback.length > 0) deadline = minDeadline(deadline, now);
    return deadline;
  }

  /**
   * Something waits for the transmit queue to take frames: connections that owe segments, UDP or
   * ICMP sockets whose send found no room, resolved frames the neighbour cache could not send.
   * A device that takes frames from the queue makes the stack poll only then; otherwise the taken
   * descriptors are reclaimed whenever one is next wanted.
   */
  waitingForRoom(): bool {
    return this.tcp.waitingForRoom || this.udp.table.writableWaiters > 0 ||
      this.ping.table.writableWaiters > 0 || this.neighbours.nextReady() != 0;
  }

  private receiveFromDevice(now: i64): void {
    const rx = this.rx;
    // At most one pass over the ring, so a device that refills as fast as we drain cannot trap us.
    for (let n = 0; n < rx.size; n++) {
      const id = rx.takeUsed();
      if (id == NO_DESCRIPTOR) break;
      const buffer = rx.bufferOf(id);
      const len = rx.usedLen;
      if (len < VIRTIO_NET_HDR_BYTES) {
        stats[STAT_RX_DROP_DEVICE_ERROR]++;
      } else if (len - VIRTIO_NET_HDR_BYTES > this.maxFrameLen && !isLargeTcpSegment(buffer)) {
        stats[STAT_RX_DROP_OVERSIZE]++;
      } else {
        const trusted = (load<u8>(buffer + VIRTIO_NET_HDR_FLAGS) & VIRTIO_NET_HDR_F_DATA_VALID) != 0;
        this.deliver(buffer + VIRTIO_NET_HDR_BYTES, len - VIRTIO_NET_HDR_BYTES, trusted, true, now);
      }
      rx.recycle(id);
    }
  }

  private receiveLoopback(now: i64): void {
    const loopback = this.loopback;
    // Only what was queued before this step: answers to looped frames wait for the next poll.
    // Each frame leaves the ring before it is processed, so the answer it causes (an echo reply,
    // a port unreachable) always finds the slot it left, even in a full ring.
    for (let n = loopback.length; n > 0; n--) {
      const len = loopback.frontLen();
      memory.copy(this.loopbackFrame, loopback.frontPtr(), <usize>len);
      loopback.pop();
      this.deliver(this.loopbackFrame, len, true, false, now);
    }
  }

  private deliver(ptr: usize, len: i32, trusted: bool, fromDevice: bool, now: i64): void {
    const what = this.ingress.receive(ptr, len, trusted, fromDevice, now);
    if (what == Delivery.UDP) this.udp.input(this.ingress, trusted, now);
    else if (what == Delivery.TCP) this.tcp.input(this.ingress, trusted, now);
    else if (what == Delivery.ICMP) this.icmpInput();
  }

  /** An ICMP message the interface did not answer itself: an echo reply, or an error for a transport. */
  private icmpInput(): void {
    const icmp = this.ingress.icmp;
    if (icmp.msgType == Icmpv4Type.ECHO_REPLY) {
      this.ping.echoReply(this.ingress);
      return;
    }
    const meaning = this.meaning;
    if (!meaning.of(icmp.msgType, icmp.code)) {
      // Defensive: ingress passes only echo replies and the errors above, but a type it may pass
      // one day that we do not act on is discarded and counted (RFC 1122 3.2.2).
      count(STAT_ICMP_DROP_UNSUPPORTED_TYPE);
      return;
    }
    count(STAT_ICMP_ERRORS_RECEIVED);
    const quoted = this.quoted;
    quoted.read(icmp.dataPtr);
    // The quote is of a packet we sent: its source is ours, its destination the peer.
    if (quoted.protocol == IpProtocol.UDP) {
      this.udp.icmpError(meaning, quoted.src, quoted.srcPort, quoted.dst, quoted.dstPort);
    } else if (quoted.protocol == IpProtocol.TCP) {
      if (!this.tcp.icmpError(meaning, quoted.src, quoted.srcPort, quoted.dst, quoted.dstPort, quoted.tcpSeq, this.now)) {
        count(STAT_ICMP_ERRORS_IGNORED);
      }
    } else if (quoted.isEchoRequest) {
      this.ping.icmpError(meaning, quoted.src, quoted.dst, quoted.echoIdent, quoted.echoSeq);
    } else {
      count(STAT_ICMP_ERRORS_IGNORED);
    }
  }

  private syncStats(): void {
    const cache = this.neighbours;
    stats[STAT_ARP_GIVE_UPS] += cache.giveUps - this.seenGiveUps;
    stats[STAT_ARP_PENDING_DROPPED] += cache.pendingDropped - this.seenPendingDropped;
    stats[STAT_ARP_EVICTIONS] += cache.evictions - this.seenEvictions;
    stats[STAT_RX_QUEUE_DEVICE_ERRORS] += this.rx.deviceErrors - this.seenRxDeviceErrors;
    stats[STAT_TX_QUEUE_DEVICE_ERRORS] += this.tx.deviceErrors - this.seenTxDeviceErrors;
    this.seenGiveUps = cache.giveUps;
    this.seenPendingDropped = cache.pendingDropped;
    this.seenEvictions = cache.evictions;
    this.seenRxDeviceErrors = this.rx.deviceErrors;
    this.seenTxDeviceErrors = this.tx.deviceErrors;
  }
}

/** Offset of the EtherType in an Ethernet II header. */
const ETHERTYPE_OFFSET: usize = 12;

/**
 * Whether the received buffer (virtio_net_hdr, then the frame) holds what the device marked as one
 * large TCP segment (gso_type TCPV4, segmentation offload) and what is a TCP/IPv4 packet: the only
 * frame that may be longer than the MTU. Anything else that long is dropped before any layer reads
 * it, as a NIC drops frames longer than its MTU.
 */
function isLargeTcpSegment(buffer: usize): bool {
  if (load<u8>(buffer + VIRTIO_NET_HDR_GSO_TYPE) != <u8>VIRTIO_NET_GSO_TCPV4) return false;
  const frame = buffer + VIRTIO_NET_HDR_BYTES;
  return readU16(frame + ETHERTYPE_OFFSET) == EtherType.IPV4 &&
    load<u8>(frame + <usize>ETHERNET_HEADER_LEN + IPV4_PROTOCOL_OFFSET) == IpProtocol.TCP;
}
