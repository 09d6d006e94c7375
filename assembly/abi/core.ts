// The one stack this module runs: created by init from the config block, driven by poll, used by
// the socket calls in abi/sockets.ts. After init nothing is ever allocated again.

import * as Errno from "../../bindings/errno_values";
import {
  CONFIG_BYTES, LAYOUT_BYTES, LAYOUT_RX_DESC, LAYOUT_RX_AVAIL, LAYOUT_RX_USED, LAYOUT_RX_SIZE,
  LAYOUT_TX_DESC, LAYOUT_TX_AVAIL, LAYOUT_TX_USED, LAYOUT_TX_SIZE, LAYOUT_BUFFER_BYTES,
  LAYOUT_EVENTS, LAYOUT_EVENT_CAPACITY, LAYOUT_IO, LAYOUT_IO_BYTES, LAYOUT_STATS,
  LAYOUT_STAT_COUNT, LAYOUT_RESULT, RESULT_BYTES, STAT_COUNT, VIRTIO_NET_HDR_BYTES,
  VIRTIO_NET_HDR_FLAGS, VIRTIO_NET_HDR_F_DATA_VALID, STAT_RX_DROP_DEVICE_ERROR, STAT_ARP_GIVE_UPS,
  STAT_ARP_PENDING_DROPPED, STAT_ARP_EVICTIONS, EVENT_WRITABLE, EVENT_ERROR, EVENT_HOST_UNREACHABLE,
  SOCKET_STATE_CONNECTED, CONFIG_FLAG_TX_CHECKSUM_OFFLOAD,
} from "../../bindings/layout";
import { ETHERNET_HEADER_LEN } from "../wire/ethernet";
import { Virtqueue, NO_DESCRIPTOR } from "../storage/virtqueue";
import { Config } from "../iface/config";
import { Interface } from "../iface/interface";
import { NeighborCache } from "../iface/neighbor_cache";
import { Loopback } from "../iface/loopback";
import { EventRing } from "../iface/events";
import { Egress } from "../iface/egress";
import { Ingress, Delivery } from "../iface/ingress";
import { IcmpErrorSender } from "../iface/icmp_error_sender";
import { stats, statsPtr } from "../iface/stats";
import { SocketTable } from "../socket/table";
import { UdpLayer } from "../socket/udp";
import { IcmpLayer } from "../socket/icmp";
import { Random } from "../random";
import { NO_DEADLINE, minDeadline } from "../time";

/** The host writes the config here before init (layout: bindings/layout.ts "Config block"). */
export const configArea: usize = memory.data(CONFIG_BYTES, 16);
/** init writes where everything went here ("Layout table"). */
export const layoutArea: usize = memory.data(LAYOUT_BYTES, 16);
/** Calls that return more than a number fill this ("Result block"). */
export const resultArea: usize = memory.data(RESULT_BYTES, 16);

export class Core {
  readonly config: Config;
  readonly random: Random;
  readonly iface: Interface;
  readonly rx: Virtqueue;
  readonly tx: Virtqueue;
  readonly neighbours: NeighborCache;
  readonly loopback: Loopback;
  readonly events: EventRing;
  readonly egress: Egress;
  readonly ingress: Ingress;
  readonly sockets: SocketTable;
  readonly udp: UdpLayer;
  readonly icmp: IcmpLayer;
  readonly io: usize;
  readonly ioBytes: i32;
  /** Time of the latest poll: socket calls between polls happen "now" as far as the core knows. */
  now: i64 = 0;
  // Neighbour-cache counters already copied into stats.
  private seenGiveUps: u32 = 0;
  private seenPendingDropped: u32 = 0;
  private seenEvictions: u32 = 0;

  constructor(config: Config) {
    const random = new Random(config.seed);
    const iface = new Interface();
    iface.mac = config.mac;
    iface.gateway = config.gateway;
    for (let i = 0; i < config.addressCount; i++) {
      iface.addAddress(unchecked(config.addresses[i]), unchecked(config.prefixLengths[i]));
    }
    const frameBytes = ETHERNET_HEADER_LEN + config.mtu;
    const bufferBytes = VIRTIO_NET_HDR_BYTES + frameBytes;
    const tx = new Virtqueue(config.txQueueSize, bufferBytes, false);
    const neighbours = new NeighborCache(config.neighbours, config.neighbourPending, frameBytes,
      config.neighbourLifetime, config.arpRetry, config.arpMaxRequests);
    const loopback = new Loopback(config.loopbackFrames, frameBytes);
    const events = new EventRing(config.eventRingSize);
    const egress = new Egress(iface, tx, loopback, neighbours, config.mtu, <u16>random.next(),
      (config.flags & CONFIG_FLAG_TX_CHECKSUM_OFFLOAD) != 0);
    const sockets = new SocketTable(config.maxSockets, config.udpRxBytes, config.udpRxDatagrams, random);
    this.config = config;
    this.random = random;
    this.iface = iface;
    this.rx = new Virtqueue(config.rxQueueSize, bufferBytes, true);
    this.tx = tx;
    this.neighbours = neighbours;
    this.loopback = loopback;
    this.events = events;
    this.egress = egress;
    const errors = new IcmpErrorSender(egress, config.portUnreachablePerSecond);
    this.ingress = new Ingress(iface, egress, errors);
    this.sockets = sockets;
    this.udp = new UdpLayer(sockets, egress, events, errors);
    this.icmp = new IcmpLayer(sockets, egress, events);
    this.ioBytes = config.mtu;
    this.io = heap.alloc(<usize>config.mtu);
  }

  writeLayout(): void {
    const t = layoutArea;
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
  }

  /** One step of the stack at time `now`; returns the next time it needs a poll, or NO_DEADLINE. */
  poll(now: i64): i64 {
    if (now > this.now) this.now = now;
    now = this.now;
    this.tx.reclaim();
    this.receiveFromDevice(now);
    this.receiveLoopback(now);
    const cache = this.neighbours;
    cache.expire(now);
    this.egress.sendDueRequests(now);
    for (let ip = cache.takeUnreachable(); ip != 0; ip = cache.takeUnreachable()) this.hostUnreachable(ip);
    this.egress.flushResolved(now);
    this.syncNeighbourStats();
    this.wakeWriters();
    let deadline = cache.nextDeadline(now);
    if (this.loopback.length > 0) deadline = minDeadline(deadline, now);
    return deadline;
  }

  /**
   * ARP gave up on neighbour `ip` (its waiting frames were dropped and counted by the cache). As on
   * Linux, a connected UDP socket whose peer is reached through it gets EHOSTUNREACH; the host
   * hears it too (EVENT_HOST_UNREACHABLE), so pings waiting for that address fail at once.
   */
  private hostUnreachable(ip: u32): void {
    this.events.push(0, EVENT_HOST_UNREACHABLE, <i32>ip);
    const table = this.sockets;
    const pool = table.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) continue;
      if (this.iface.nextHop(unchecked(table.remoteAddress[i])) != ip) continue;
      unchecked(table.pendingError[i] = -Errno.EHOSTUNREACH);
      this.events.push(pool.handleOf(i), EVENT_ERROR, -Errno.EHOSTUNREACH);
    }
  }

  /** Sockets whose send found no room hear that there is room again (EVENT_WRITABLE). */
  private wakeWriters(): void {
    const table = this.sockets;
    if (table.writableWaiters == 0) return;
    if (this.tx.available() == 0 || this.loopback.length == this.loopback.slots) return;
    const pool = table.pool;
    for (let i = pool.nextLive(0); i >= 0 && table.writableWaiters > 0; i = pool.nextLive(i + 1)) {
      if (!unchecked(table.wantsWritable[i])) continue;
      table.clearWritable(i);
      this.events.push(pool.handleOf(i), EVENT_WRITABLE, 0);
    }
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
    for (let n = loopback.length; n > 0; n--) {
      this.deliver(loopback.frontPtr(), loopback.frontLen(), true, false, now);
      loopback.pop();
    }
  }

  private deliver(ptr: usize, len: i32, trusted: bool, fromDevice: bool, now: i64): void {
    const what = this.ingress.receive(ptr, len, trusted, fromDevice, now);
    if (what == Delivery.UDP) this.udp.input(this.ingress, trusted, now);
    else if (what == Delivery.ICMP) this.icmp.input(this.ingress);
  }

  private syncNeighbourStats(): void {
    const cache = this.neighbours;
    stats[STAT_ARP_GIVE_UPS] += cache.giveUps - this.seenGiveUps;
    stats[STAT_ARP_PENDING_DROPPED] += cache.pendingDropped - this.seenPendingDropped;
    stats[STAT_ARP_EVICTIONS] += cache.evictions - this.seenEvictions;
    this.seenGiveUps = cache.giveUps;
    this.seenPendingDropped = cache.pendingDropped;
    this.seenEvictions = cache.evictions;
  }
}

let instance: Core | null = null;
/** Allocated with the module, so a rejected config leaves the heap exactly as it was. */
const config = new Config();

/** The stack; only called after a successful init. */
@inline export function core(): Core {
  return changetype<Core>(instance);
}

@inline export function initialized(): bool {
  return instance != null;
}

/** Builds the stack from the config block: 0, -EALREADY, or -EINVAL (nothing allocated). */
export function initCore(): i32 {
  if (instance != null) return -Errno.EALREADY;
  if (!config.read(configArea)) return -Errno.EINVAL;
  const c = new Core(config);
  instance = c;
  c.writeLayout();
  return 0;
}
