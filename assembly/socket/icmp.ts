// ICMP sockets for ping (like Linux's SOCK_DGRAM ICMP sockets): the socket's bound "port" is the
// echo identifier; echo replies carrying it are queued as datagrams whose "port" is the sequence
// number. Errors travel in line with the replies, as records in the same queue: an ICMP error
// quoting one of our echo requests names its destination and sequence (so it fails exactly the
// ping it is about, never the oldest one in flight), and an ARP give-up names the next hop.

import * as Errno from "../../bindings/errno_values";
import {
  EVENT_READABLE, STAT_ICMP_ECHO_REPLIES, STAT_ICMP_DROP_NO_SOCKET,
  STAT_ICMP_DROP_QUEUE_FULL, STAT_ICMP_ERRORS_IGNORED, SOCKET_STATE_OPEN,
  DATAGRAM_RECORD_ICMP_ERROR, DATAGRAM_RECORD_NEIGHBOUR_UNREACHABLE,
} from "../../bindings/layout";
import { Icmpv4Repr, Icmpv4Type, ICMPV4_HEADER_LEN } from "../wire/icmpv4";
import { IpProtocol } from "../wire/ipv4";
import { Egress } from "../iface/egress";
import { Ingress } from "../iface/ingress";
import { EventRing } from "../iface/events";
import { count } from "../iface/stats";
import { SocketTable, ANY_ADDRESS } from "./table";
import { IcmpErrorMeaning } from "./icmp_error";

const MAX_SEQUENCE: u32 = 0xffff;
/** Record ports are 16 bits. */
const SEQUENCE_MASK: u32 = 0xffff;

export class PingLayer {
  private readonly repr: Icmpv4Repr = new Icmpv4Repr();

  constructor(readonly table: SocketTable, readonly egress: Egress, readonly events: EventRing) {}

  /**
   * Sends an echo request with `len` data bytes from the socket `handle` names to dst with
   * sequence number `seq`; ENOBUFS also registers it for a writable event. len or -errno.
   */
  sendFrom(handle: i32, dst: u32, seq: u32, data: usize, len: i32, now: i64): i32 {
    const i = this.table.resolve(handle);
    if (i < 0) return i;
    const r = this.sendEcho(i, dst, seq, data, len, now);
    if (r == -Errno.ENOBUFS) this.table.waitForWritable(i);
    return r;
  }

  /** Sends an echo request with `len` data bytes from socket i to dst with sequence number `seq`. */
  sendEcho(i: i32, dst: u32, seq: u32, data: usize, len: i32, now: i64): i32 {
    const table = this.table;
    if (len < 0 || seq > MAX_SEQUENCE) return -Errno.EINVAL;
    if (len > this.egress.maxTransportLen - ICMPV4_HEADER_LEN) return -Errno.EMSGSIZE;
    if (this.egress.iface.isBroadcast(dst) && !unchecked(table.broadcast[i])) return -Errno.EACCES;
    if (unchecked(table.state[i]) == SOCKET_STATE_OPEN) {
      // The identifier is chosen like an ephemeral port, so concurrent pings never share one.
      const r = table.bind(i, ANY_ADDRESS, 0);
      if (r < 0) return r;
    }
    const src = this.egress.iface.sourceFor(dst);
    if (src == 0) return -Errno.ENETUNREACH;
    const repr = this.repr;
    repr.msgType = Icmpv4Type.ECHO_REQUEST;
    repr.code = 0;
    repr.ident = <u16>unchecked(table.localPort[i]);
    repr.seqNo = <u16>seq;
    repr.nextHopMtu = 0;
    repr.dataPtr = data;
    repr.dataLen = len;
    const ws = this.egress.data;
    const written = repr.emit(ws.payloadPtr, this.egress.maxTransportLen);
    if (written < 0) return -Errno.EMSGSIZE;
    const r = this.egress.sendIp(ws, src, dst, IpProtocol.ICMP, written, now);
    if (r < 0) return r;
    unchecked(table.sentCount[i]++);
    return len;
  }

  /** An echo reply: queued on the socket whose identifier it carries. */
  echoReply(ingress: Ingress): void {
    const icmp = ingress.icmp;
    const table = this.table;
    const i = table.lookup(ingress.ip.dst, icmp.ident, ingress.ip.src, 0);
    if (i < 0) {
      count(STAT_ICMP_DROP_NO_SOCKET);
      return;
    }
    const queue = table.queue(i);
    if (!queue.push(ingress.ip.src, icmp.seqNo, icmp.dataPtr, icmp.dataLen)) {
      count(STAT_ICMP_DROP_QUEUE_FULL);
      return;
    }
    count(STAT_ICMP_ECHO_REPLIES);
    this.events.push(table.pool.handleOf(i), table.source(i), EVENT_READABLE, queue.count);
  }

  /**
   * An ICMP error quoting an echo request we sent from `src` to `dst` with identifier `ident` and
   * sequence `seq`: an error record for that socket, naming the destination and the sequence.
   * Soft and hard errors both end a ping (there is no retry to wait for), as ping(8) reports both.
   */
  icmpError(meaning: IcmpErrorMeaning, src: u32, dst: u32, ident: u32, seq: u32): void {
    const table = this.table;
    const i = table.lookup(src, ident, dst, 0);
    if (i < 0) {
      count(STAT_ICMP_ERRORS_IGNORED);
      return;
    }
    this.record(i, <u8>DATAGRAM_RECORD_ICMP_ERROR, meaning.errno, dst, seq);
  }

  /**
   * ARP gave up on the neighbour `nextHop`: every ping socket with a bound identifier hears it (a
   * record naming the next hop, its port the socket's sent count at this moment, mod 2^16; the
   * owner fails the pings it sent before through that next hop, not one sent after, whose own
   * resolution has just begun). Walks this table, which is small, and only on a give-up.
   */
  neighbourUnreachable(nextHop: u32): void {
    const table = this.table;
    const pool = table.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (unchecked(table.state[i]) == SOCKET_STATE_OPEN) continue;
      this.record(i, <u8>DATAGRAM_RECORD_NEIGHBOUR_UNREACHABLE, -Errno.EHOSTUNREACH, nextHop,
        unchecked(table.sentCount[i]) & SEQUENCE_MASK);
    }
  }

  private record(i: i32, kind: u8, errno: i32, address: u32, port: u32): void {
    const table = this.table;
    const queue = table.queue(i);
    if (!queue.pushError(kind, errno, address, port)) {
      // Not a received frame's fate (that was counted as icmpErrorsReceived, or was no frame at
      // all), so not icmpDropQueueFull: the notice is ignored and the ping times out instead.
      count(STAT_ICMP_ERRORS_IGNORED);
      return;
    }
    this.events.push(table.pool.handleOf(i), table.source(i), EVENT_READABLE, queue.count);
  }

  /** The dispatch step of poll: as UdpLayer.dispatch, writable events once there is room. */
  dispatch(room: bool): void {
    if (room) this.table.wakeWriters(this.events);
  }
}
