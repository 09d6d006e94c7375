// UDP sockets (RFC 768): datagrams out through the interface's egress, datagrams in to the bound
// socket's queue, ICMP port unreachable for a port nobody listens on (RFC 1122 4.1.3.1), sent by
// the interface's ICMP error sender (which rate limits, quotes and applies RFC 1122 3.2.2).

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_STATE_OPEN, SOCKET_STATE_CONNECTED, EVENT_READABLE, EVENT_ERROR,
  STAT_UDP_DROP_MALFORMED, STAT_UDP_DROP_CHECKSUM, STAT_UDP_DROP_NO_SOCKET, STAT_UDP_DROP_QUEUE_FULL,
  STAT_UDP_DELIVERED, STAT_ICMP_ERRORS_IGNORED,
} from "../../bindings/layout";
import { WireError } from "../wire/error";
import { UdpPacket, UdpRepr, UDP_HEADER_LEN } from "../wire/udp";
import { IpProtocol } from "../wire/ipv4";
import { Icmpv4Unreachable } from "../wire/icmpv4";
import { Egress, CHECKSUM_COMPLETE } from "../iface/egress";
import { UDP_CHECKSUM_OFFSET } from "../wire/udp";
import { Ingress } from "../iface/ingress";
import { EventRing } from "../iface/events";
import { IcmpErrorSender } from "../iface/icmp_error_sender";
import { count } from "../iface/stats";
import { SocketTable, ANY_ADDRESS } from "./table";
import { IcmpErrorMeaning } from "./icmp_error";

export class UdpLayer {
  private readonly packet: UdpPacket = new UdpPacket();
  private readonly repr: UdpRepr = new UdpRepr();

  constructor(
    readonly table: SocketTable,
    readonly egress: Egress,
    readonly events: EventRing,
    readonly errors: IcmpErrorSender,
  ) {}

  /**
   * Sends `len` bytes at `payload` from the socket `handle` names; ENOBUFS (no room in the
   * transmit queue or the loopback ring) also registers it for a writable event. len or -errno.
   */
  sendFrom(handle: i32, dst: u32, port: u32, payload: usize, len: i32, now: i64): i32 {
    const i = this.table.resolve(handle);
    if (i < 0) return i;
    const r = this.send(i, dst, port, payload, len, now);
    if (r == -Errno.ENOBUFS) this.table.waitForWritable(i);
    return r;
  }

  /** Largest payload one datagram may carry: no fragmentation, so the MTU decides. */
  @inline get maxPayload(): i32 {
    return this.egress.maxTransportLen - UDP_HEADER_LEN;
  }

  /**
   * Sends `len` bytes at `payload` from socket i to (dst, port); dst 0 means the connected peer.
   * Binds an ephemeral port first if the socket is unbound, as Linux does. Returns len or -errno.
   */
  send(i: i32, dst: u32, port: u32, payload: usize, len: i32, now: i64): i32 {
    const table = this.table;
    if (dst == ANY_ADDRESS && port == 0) {
      if (unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) return -Errno.EDESTADDRREQ;
      dst = unchecked(table.remoteAddress[i]);
      port = unchecked(table.remotePort[i]);
    }
    if (port == 0 || port > 0xffff) return -Errno.EINVAL;
    if (len < 0) return -Errno.EINVAL;
    if (len > this.maxPayload) return -Errno.EMSGSIZE;
    if (this.egress.iface.isBroadcast(dst) && !unchecked(table.broadcast[i])) return -Errno.EACCES;
    if (unchecked(table.state[i]) == SOCKET_STATE_OPEN) {
      const r = table.bind(i, ANY_ADDRESS, 0);
      if (r < 0) return r;
    }
    let src = unchecked(table.localAddress[i]);
    if (src == ANY_ADDRESS) src = this.egress.iface.sourceFor(dst);
    if (src == 0) return -Errno.ENETUNREACH;
    const ws = this.egress.data;
    const repr = this.repr;
    repr.srcPort = <u16>unchecked(table.localPort[i]);
    repr.dstPort = <u16>port;
    repr.payloadPtr = payload;
    repr.payloadLen = len;
    const offload = this.egress.checksumOffload;
    const written = repr.emit(ws.payloadPtr, this.egress.maxTransportLen, src, dst, offload);
    if (written < 0) return -Errno.EMSGSIZE;
    const r = this.egress.sendIp(ws, src, dst, IpProtocol.UDP, written, now,
      offload ? UDP_CHECKSUM_OFFSET : CHECKSUM_COMPLETE, unchecked(table.ttl[i]));
    return r < 0 ? r : len;
  }

  /** A datagram the interface accepted: to its socket's queue, or answered with port unreachable. */
  input(ingress: Ingress, trusted: bool, now: i64): void {
    const ip = ingress.ip;
    const packet = this.packet;
    const repr = this.repr;
    if (packet.check(ingress.payloadPtr, ingress.payloadLen) < 0) {
      count(STAT_UDP_DROP_MALFORMED);
      return;
    }
    const r = repr.parse(packet, ip.src, ip.dst, !trusted);
    if (r == WireError.BadChecksum) {
      count(STAT_UDP_DROP_CHECKSUM);
      return;
    }
    if (r < 0) {
      count(STAT_UDP_DROP_MALFORMED);
      return;
    }
    const table = this.table;
    const i = table.lookup(ip.dst, repr.dstPort, ip.src, repr.srcPort);
    if (i < 0) {
      count(STAT_UDP_DROP_NO_SOCKET);
      this.errors.sendUnreachable(ingress, Icmpv4Unreachable.PORT, now);
      return;
    }
    const queue = table.queue(i);
    const wasEmpty = queue.count == 0;
    if (!queue.push(ip.src, repr.srcPort, repr.payloadPtr, repr.payloadLen)) {
      count(STAT_UDP_DROP_QUEUE_FULL);
      return;
    }
    count(STAT_UDP_DELIVERED);
    if (wasEmpty) this.events.push(table.pool.handleOf(i), table.source(i), EVENT_READABLE, queue.count);
  }

  /**
   * An ICMP error quoting a datagram we sent from (src, srcPort) to (dst, dstPort). As on Linux,
   * only a connected socket hears it (an unconnected one cannot tell which peer it is about), and
   * only a hard error (icmp_error.ts); the rest are counted as ignored.
   */
  icmpError(meaning: IcmpErrorMeaning, src: u32, srcPort: u32, dst: u32, dstPort: u32): void {
    const table = this.table;
    const i = table.lookup(src, srcPort, dst, dstPort);
    if (i < 0 || unchecked(table.state[i]) != SOCKET_STATE_CONNECTED || !meaning.hard) {
      count(STAT_ICMP_ERRORS_IGNORED);
      return;
    }
    this.raise(i, meaning.errno);
  }

  /**
   * ARP gave up on the neighbour `nextHop` (its waiting frames were dropped and counted by the
   * cache). As on Linux, a connected socket whose peer is reached through it gets EHOSTUNREACH.
   * Walks the table, but only on a give-up, never per poll or per packet.
   */
  neighbourUnreachable(nextHop: u32): void {
    const table = this.table;
    const pool = table.pool;
    const iface = this.egress.iface;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) continue;
      if (iface.nextHop(unchecked(table.remoteAddress[i])) != nextHop) continue;
      this.raise(i, -Errno.EHOSTUNREACH);
    }
  }

  /** Sets socket i's pending error and tells its owner. */
  private raise(i: i32, errno: i32): void {
    const table = this.table;
    unchecked(table.pendingError[i] = errno);
    this.events.push(table.pool.handleOf(i), table.source(i), EVENT_ERROR, errno);
  }

  /**
   * The dispatch step of poll: sockets whose send found no room hear that there is room again
   * (`room`: the transmit queue and the loopback ring can take a frame). UDP owes nothing else, so
   * it never asks for a poll of its own.
   */
  dispatch(room: bool): void {
    if (room) this.table.wakeWriters(this.events);
  }
}
