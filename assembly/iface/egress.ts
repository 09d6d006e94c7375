// Everything the stack sends leaves through here: IPv4 and Ethernet headers are added, then the
// frame goes to the loopback ring (our own addresses), to the device's transmit queue (neighbour
// known), or to the neighbour cache to wait for ARP. A full transmit queue is reported to the
// caller as ENOBUFS and counted, never dropped silently.
//
// Callers build the transport payload in place at `payloadPtr` of a workspace (one for data, one
// for control messages so an answer can be built while a received frame is still in use).
//
//   workspace: [virtio_net_hdr 12][ethernet 14][ipv4 20][transport header + payload ...]

import {
  VIRTIO_NET_HDR_BYTES, VIRTIO_NET_HDR_FLAGS, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_CSUM_START,
  VIRTIO_NET_HDR_CSUM_OFFSET, VIRTIO_NET_HDR_GSO_TYPE, VIRTIO_NET_HDR_HDR_LEN, VIRTIO_NET_HDR_GSO_SIZE,
  VIRTIO_NET_GSO_TCPV4, STAT_TX_FRAMES, STAT_TX_BYTES, STAT_TX_QUEUE_FULL, STAT_LOOPBACK_FRAMES,
  STAT_LOOPBACK_QUEUE_FULL, STAT_TX_NO_ROUTE, STAT_ARP_REQUESTS_SENT,
} from "../../bindings/layout";
import * as Errno from "../../bindings/errno_values";
import { ETHERNET_HEADER_LEN, ETHERNET_MIN_FRAME_LEN, EthernetRepr, EtherType } from "../wire/ethernet";
import { IPV4_HEADER_LEN, IPV4_DEFAULT_TTL, IPV4_MAX_PACKET_LEN, Ipv4Repr } from "../wire/ipv4";
import { ArpRepr, ArpOperation } from "../wire/arp";
import { MAC_BROADCAST } from "../wire/bytes";
import { Virtqueue, NO_DESCRIPTOR } from "../storage/virtqueue";
import { Interface, NO_ROUTE } from "./interface";
import { Loopback } from "./loopback";
import { NeighborCache, NO_MAC } from "./neighbor_cache";
import { count, countBy } from "./stats";
import { checksumFinish, checksumPartial } from "../wire/checksum";
import { writeU16 } from "../wire/bytes";
import { UDP_NO_CHECKSUM, UDP_ZERO_CHECKSUM_SENT_AS } from "../wire/udp";

/** sendIp's `partialChecksumAt` when the transport checksum is complete. */
export const CHECKSUM_COMPLETE: i32 = -1;

/** sendIp's `segmentSize` for an ordinary packet, which the device sends as it is. */
export const NOT_SEGMENTED: i32 = 0;

/** Offset of the Ethernet header inside a workspace (after the virtio_net_hdr). */
const FRAME_OFFSET: usize = VIRTIO_NET_HDR_BYTES;
const IP_OFFSET: usize = FRAME_OFFSET + ETHERNET_HEADER_LEN;
const PAYLOAD_OFFSET: usize = IP_OFFSET + IPV4_HEADER_LEN;

export class Workspace {
  /** Start of the buffer: its own memory, or (the direct workspace) a transmit buffer's. */
  ptr: usize;
  readonly bytes: i32;
  /** A workspace of `bytes`, allocated once; with `over` nonzero, a view of that memory instead. */
  constructor(bytes: i32, over: usize = 0) {
    this.bytes = bytes;
    this.ptr = over != 0 ? over : heap.alloc(<usize>bytes);
  }
  @inline get framePtr(): usize { return this.ptr + FRAME_OFFSET; }
  @inline get ipPtr(): usize { return this.ptr + IP_OFFSET; }
  /** Where the transport header goes. */
  @inline get payloadPtr(): usize { return this.ptr + PAYLOAD_OFFSET; }
}

export class Egress {
  /** Bytes of each of its workspaces: a header and a whole frame. */
  static workspaceBytes(mtu: i32): i32 {
    return VIRTIO_NET_HDR_BYTES + ETHERNET_HEADER_LEN + mtu;
  }

  /** Workspaces it allocates: one for data, one for control messages (ICMP errors, ARP). */
  static readonly WORKSPACES: i32 = 2;

  readonly data: Workspace;
  readonly control: Workspace;
  /**
   * A view of one acquired transmit buffer (same layout as a workspace), handed out by
   * workspaceFor: a segment built there leaves with no copy (DESIGN.md "The data path").
   */
  private readonly direct: Workspace;
  private directId: i32 = NO_DESCRIPTOR;
  private directDst: u32 = 0;
  private directMac: u64 = 0;
  readonly mtu: i32;
  /** The device completes transport checksums (VIRTIO_NET_F_CSUM was negotiated). */
  readonly checksumOffload: bool;
  /**
   * The device cuts one large TCP segment into MSS-sized ones (VIRTIO_NET_F_HOST_TSO4): a segment
   * built straight in a transmit buffer may then carry a whole IPv4 packet's worth of payload.
   */
  readonly segmentationOffload: bool;
  private readonly ip: Ipv4Repr = new Ipv4Repr();
  private readonly eth: EthernetRepr = new EthernetRepr();
  private readonly arp: ArpRepr = new ArpRepr();
  private ident: u16;

  constructor(
    readonly iface: Interface,
    readonly tx: Virtqueue,
    readonly loopback: Loopback,
    readonly neighbours: NeighborCache,
    mtu: i32,
    firstIdent: u16,
    checksumOffload: bool,
    segmentationOffload: bool = false,
  ) {
    this.mtu = mtu;
    this.checksumOffload = checksumOffload;
    this.segmentationOffload = segmentationOffload;
    const bytes = Egress.workspaceBytes(mtu);
    const data = new Workspace(bytes);
    this.data = data;
    this.control = new Workspace(bytes);
    // Points at a transmit buffer only while handed out; the data workspace until then.
    this.direct = new Workspace(bytes, data.ptr);
    this.ident = firstIdent;
  }

  /** A frame sent now would not be refused with ENOBUFS: the transmit queue and loopback ring have room. */
  @inline hasRoom(): bool {
    return this.tx.available() > 0 && this.loopback.length < this.loopback.slots;
  }

  /** Largest transport segment (header + payload) one IPv4 packet can carry without fragments. */
  @inline get maxTransportLen(): i32 {
    return this.mtu - IPV4_HEADER_LEN;
  }

  /**
   * Largest transport segment that may be built in `ws`: with segmentation offload, one in a
   * transmit buffer (the direct workspace) may fill a whole IPv4 packet for the device to cut;
   * anything else (the loopback ring, the neighbour cache, a copy) holds MTU-sized packets.
   */
  maxTransportLenIn(ws: Workspace): i32 {
    if (this.segmentationOffload && ws === this.direct && this.directId != NO_DESCRIPTOR) {
      return IPV4_MAX_PACKET_LEN - IPV4_HEADER_LEN;
    }
    return this.maxTransportLen;
  }

  /**
   * Where to build a packet for `dst`: a transmit buffer itself when the frame can go straight to
   * the device (dst is not ours, its neighbour is known with nothing queued before it, a
   * descriptor is free), else the data workspace, which sendIp copies from. A direct workspace
   * must be passed to sendIp (same dst) or given back with cancelDirect before the next call.
   */
  workspaceFor(dst: u32, now: i64): Workspace {
    this.cancelDirect();
    const iface = this.iface;
    if (iface.isOwn(dst)) return this.data;
    const hop = iface.nextHop(dst);
    if (hop == NO_ROUTE || iface.isBroadcast(hop)) return this.data;
    const cache = this.neighbours;
    const mac = cache.lookup(hop, now);
    if (mac == NO_MAC || cache.readyCount(hop) > 0) return this.data;
    const id = this.tx.acquire();
    if (id == NO_DESCRIPTOR) return this.data;
    this.directId = id;
    this.directDst = dst;
    this.directMac = mac;
    this.direct.ptr = this.tx.bufferOf(id);
    return this.direct;
  }

  /** Gives back the transmit buffer workspaceFor handed out, unused. */
  cancelDirect(): void {
    if (this.directId == NO_DESCRIPTOR) return;
    this.tx.release(this.directId);
    this.directId = NO_DESCRIPTOR;
  }

  /**
   * Sends the transport segment of `transportLen` bytes already written at ws.payloadPtr, from
   * src to dst. `partialChecksumAt`: offset in the segment of a checksum field that holds only the
   * pseudo-header sum, for the device to complete (CHECKSUM_COMPLETE if there is none).
   * `segmentSize`: a TCP segment whose payload (after `transportHeaderLen` bytes of TCP header)
   * is longer than that, built in a transmit buffer of a device that cuts (maxTransportLenIn), is
   * handed to the device to cut into segments of that many payload bytes. Returns 0 when sent or
   * queued for ARP, or a negative errno.
   */
  sendIp(ws: Workspace, src: u32, dst: u32, protocol: u8, transportLen: i32, now: i64,
    partialChecksumAt: i32 = CHECKSUM_COMPLETE, ttl: u8 = IPV4_DEFAULT_TTL,
    segmentSize: i32 = NOT_SEGMENTED, transportHeaderLen: i32 = 0): i32 {
    const room = this.maxTransportLenIn(ws);
    if (transportLen < 0 || transportLen > room) return -Errno.EMSGSIZE;
    // A payload longer than one segment (the peer's MSS, which may be below what our MTU holds) is
    // the device's to cut; it needs the checksum left to it.
    const payloadLen = transportLen - transportHeaderLen;
    const segmented = segmentSize > 0 && payloadLen > segmentSize && partialChecksumAt != CHECKSUM_COMPLETE;
    if (transportLen > this.maxTransportLen && !segmented) return -Errno.EMSGSIZE;
    // Only a transmit buffer of a device that cuts may hold one.
    if (segmented && room == this.maxTransportLen) return -Errno.EMSGSIZE;
    const ip = this.ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = protocol;
    ip.ttl = ttl;
    ip.ident = this.ident++;
    // The device numbers the segments it cuts ident, ident + 1, ...: none of those is used again.
    if (segmented) this.ident += <u16>((payloadLen + segmentSize - 1) / segmentSize - 1);
    // Never fragmented by us: DF as Linux sets it with path MTU discovery (RFC 1191).
    ip.dontFragment = true;
    ip.moreFragments = false;
    ip.fragmentOffset = 0;
    ip.payloadLen = transportLen;
    ip.emit(ws.ipPtr, IPV4_HEADER_LEN);
    const frameLen = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + transportLen;

    if (ws === this.direct && this.directId != NO_DESCRIPTOR) {
      const id = this.directId;
      this.directId = NO_DESCRIPTOR;
      if (dst == this.directDst) {
        // Built in place: nothing between workspaceFor and here changed where the frame goes.
        this.writeEthernet(ws.framePtr, this.directMac, EtherType.IPV4);
        if (segmented) this.finish(id, frameLen, partialChecksumAt, segmentSize, transportHeaderLen);
        else this.finish(id, frameLen, partialChecksumAt);
        return 0;
      }
      // A segment to cut exists only in a transmit buffer: it cannot take the other way.
      if (segmented) {
        this.tx.release(id);
        return -Errno.EMSGSIZE;
      }
      // Another destination than asked for: send it the ordinary way, copying out of the buffer
      // before it goes back to the queue.
      memory.copy(this.data.ptr, ws.ptr, <usize>(FRAME_OFFSET + <usize>frameLen));
      this.tx.release(id);
      ws = this.data;
    }

    if (this.iface.isOwn(dst)) {
      // Looped frames are delivered as trusted: a partial checksum never needs completing.
      this.writeEthernet(ws.framePtr, this.iface.mac, EtherType.IPV4);
      if (!this.loopback.push(ws.framePtr, frameLen)) {
        count(STAT_LOOPBACK_QUEUE_FULL);
        return -Errno.ENOBUFS;
      }
      count(STAT_LOOPBACK_FRAMES);
      return 0;
    }
    const hop = this.iface.nextHop(dst);
    if (hop == NO_ROUTE) {
      count(STAT_TX_NO_ROUTE);
      return -Errno.ENETUNREACH;
    }
    if (this.iface.isBroadcast(hop)) {
      this.writeEthernet(ws.framePtr, MAC_BROADCAST, EtherType.IPV4);
      return this.transmit(ws.framePtr, frameLen, partialChecksumAt);
    }
    const mac = this.neighbours.lookup(hop, now);
    if (mac == NO_MAC) {
      // Waits in the neighbour cache; the ARP request goes out from poll's timer step at once.
      // The neighbour cache keeps bare frames, so a waiting frame carries a complete checksum.
      if (partialChecksumAt != CHECKSUM_COMPLETE) completeChecksum(ws.payloadPtr, transportLen, partialChecksumAt);
      this.writeEthernet(ws.framePtr, 0, EtherType.IPV4);
      const r = this.neighbours.enqueue(hop, ws.framePtr, frameLen, now);
      return r < 0 ? -Errno.EMSGSIZE : 0;
    }
    // Frames that waited for this neighbour are still held only when the transmit queue was full
    // as it resolved: they go first, so a later packet never overtakes them.
    if (this.neighbours.readyCount(hop) > 0) {
      this.flushResolved(now);
      if (this.neighbours.readyCount(hop) > 0) {
        count(STAT_TX_QUEUE_FULL);
        return -Errno.ENOBUFS;
      }
    }
    this.writeEthernet(ws.framePtr, mac, EtherType.IPV4);
    return this.transmit(ws.framePtr, frameLen, partialChecksumAt);
  }

  private writeEthernet(framePtr: usize, dst: u64, etherType: u16): void {
    const eth = this.eth;
    eth.dst = dst;
    eth.src = this.iface.mac;
    eth.etherType = etherType;
    eth.emit(framePtr, ETHERNET_HEADER_LEN);
  }

  /**
   * Copies a finished frame into a transmit descriptor (padding it to the Ethernet minimum) and
   * offers it to the device. ENOBUFS when the queue is full.
   */
  transmit(framePtr: usize, frameLen: i32, partialChecksumAt: i32 = CHECKSUM_COMPLETE): i32 {
    const id = this.tx.acquire();
    if (id == NO_DESCRIPTOR) {
      count(STAT_TX_QUEUE_FULL);
      return -Errno.ENOBUFS;
    }
    memory.copy(this.tx.bufferOf(id) + VIRTIO_NET_HDR_BYTES, framePtr, <usize>frameLen);
    this.finish(id, frameLen, partialChecksumAt);
    return 0;
  }

  /**
   * Offers descriptor `id`, whose buffer holds a frame of `frameLen` bytes after the virtio header,
   * to the device: writes the header, pads the frame to the Ethernet minimum, counts it. With a
   * `segmentSize`, the frame is one TCP segment for the device to cut (virtio 1.2 5.1.6.2,
   * gso_type TCPV4): hdr_len counts every header before the payload, gso_size the payload per segment.
   */
  private finish(id: i32, frameLen: i32, partialChecksumAt: i32,
    segmentSize: i32 = NOT_SEGMENTED, transportHeaderLen: i32 = 0): void {
    const buffer = this.tx.bufferOf(id);
    memory.fill(buffer, 0, VIRTIO_NET_HDR_BYTES);
    if (segmentSize != NOT_SEGMENTED) {
      store<u8>(buffer + VIRTIO_NET_HDR_GSO_TYPE, <u8>VIRTIO_NET_GSO_TCPV4);
      store<u16>(buffer + VIRTIO_NET_HDR_HDR_LEN, <u16>(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + transportHeaderLen));
      store<u16>(buffer + VIRTIO_NET_HDR_GSO_SIZE, <u16>segmentSize);
    }
    if (partialChecksumAt != CHECKSUM_COMPLETE) {
      // virtio 1.2 5.1.6.2: the device sums from csum_start to the end and stores the result at
      // csum_start + csum_offset.
      const transportStart = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;
      store<u8>(buffer + VIRTIO_NET_HDR_FLAGS, <u8>VIRTIO_NET_HDR_F_NEEDS_CSUM);
      store<u16>(buffer + VIRTIO_NET_HDR_CSUM_START, <u16>transportStart);
      store<u16>(buffer + VIRTIO_NET_HDR_CSUM_OFFSET, <u16>partialChecksumAt);
    }
    let wireLen = frameLen;
    if (wireLen < ETHERNET_MIN_FRAME_LEN) {
      memory.fill(buffer + VIRTIO_NET_HDR_BYTES + <usize>wireLen, 0, <usize>(ETHERNET_MIN_FRAME_LEN - wireLen));
      wireLen = ETHERNET_MIN_FRAME_LEN;
    }
    this.tx.submit(id, VIRTIO_NET_HDR_BYTES + wireLen);
    count(STAT_TX_FRAMES);
    countBy(STAT_TX_BYTES, <u32>wireLen);
  }

  /** Broadcasts an ARP request for `target` (RFC 826). */
  sendArpRequest(target: u32): i32 {
    const arp = this.arp;
    arp.operation = ArpOperation.REQUEST;
    arp.senderMac = this.iface.mac;
    arp.senderIp = this.iface.sourceFor(target);
    arp.targetMac = 0;
    arp.targetIp = target;
    count(STAT_ARP_REQUESTS_SENT);
    return this.sendArp(MAC_BROADCAST);
  }

  /** Answers an ARP request for one of our addresses, unicast to the asker (RFC 826). */
  sendArpReply(ourIp: u32, askerMac: u64, askerIp: u32): i32 {
    const arp = this.arp;
    arp.operation = ArpOperation.REPLY;
    arp.senderMac = this.iface.mac;
    arp.senderIp = ourIp;
    arp.targetMac = askerMac;
    arp.targetIp = askerIp;
    return this.sendArp(askerMac);
  }

  private sendArp(dstMac: u64): i32 {
    const frame = this.control.framePtr;
    this.writeEthernet(frame, dstMac, EtherType.ARP);
    const len = this.arp.emit(frame + ETHERNET_HEADER_LEN, this.control.bytes - <i32>FRAME_OFFSET - ETHERNET_HEADER_LEN);
    return this.transmit(frame, ETHERNET_HEADER_LEN + len);
  }

  /**
   * Sends frames that waited for ARP and whose neighbour is now known. Stops (keeping the rest
   * queued) when the transmit queue is full.
   */
  flushResolved(now: i64): void {
    const cache = this.neighbours;
    let ip = cache.nextReady();
    while (ip != 0) {
      const mac = cache.lookup(ip, now);
      const n = cache.readyCount(ip);
      let sent = 0;
      if (mac != NO_MAC) {
        for (; sent < n; sent++) {
          const frame = cache.readyFramePtr(ip, sent);
          const eth = this.eth;
          eth.dst = mac;
          eth.src = this.iface.mac;
          eth.etherType = EtherType.IPV4;
          eth.emit(frame, ETHERNET_HEADER_LEN);
          if (this.transmit(frame, cache.readyFrameLen(ip, sent)) < 0) break;
        }
      }
      cache.consumeReady(ip, sent);
      if (sent < n) return;
      ip = cache.nextReady();
    }
  }

  /** Sends the ARP requests the neighbour cache says are due. */
  sendDueRequests(now: i64): void {
    let ip = this.neighbours.dueRequest(now);
    while (ip != 0) {
      this.sendArpRequest(ip);
      ip = this.neighbours.dueRequest(now);
    }
  }
}

/**
 * Completes a checksum left for the device: the field holds the folded pseudo-header sum, so the
 * sum over the whole segment is the full sum. Used where a frame cannot carry a virtio header.
 * A result of zero is stored as 0xffff, its one's complement twin: required for UDP (RFC 768),
 * equally valid for TCP.
 */
export function completeChecksum(segment: usize, len: i32, checksumAt: i32): void {
  let checksum = checksumFinish(checksumPartial(segment, len, 0));
  if (checksum == UDP_NO_CHECKSUM) checksum = UDP_ZERO_CHECKSUM_SENT_AS;
  writeU16(segment + <usize>checksumAt, checksum);
}
