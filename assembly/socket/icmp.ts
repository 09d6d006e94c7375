// ICMP sockets for ping (like Linux's SOCK_DGRAM ICMP sockets): the socket's bound "port" is the
// echo identifier; echo replies carrying it are queued as datagrams whose "port" is the sequence
// number. ICMP errors are matched to the socket whose packet they quote and reported as an error
// event: ECONNREFUSED for a connected UDP socket's datagram (as Linux reports it), EHOSTUNREACH /
// ENETUNREACH for a ping.

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_KIND_UDP, SOCKET_KIND_ICMP, SOCKET_STATE_OPEN, SOCKET_STATE_CONNECTED, EVENT_READABLE,
  EVENT_ERROR, STAT_ICMP_ECHO_REPLIES, STAT_ICMP_DROP_NO_SOCKET, STAT_ICMP_ERRORS_RECEIVED,
  STAT_ICMP_DROP_QUEUE_FULL,
} from "../../bindings/layout";
import { readU16, readU32, readU8 } from "../wire/bytes";
import { Icmpv4Repr, Icmpv4Type, Icmpv4Unreachable, ICMPV4_HEADER_LEN } from "../wire/icmpv4";
import { IpProtocol } from "../wire/ipv4";
import { Egress } from "../iface/egress";
import { Ingress } from "../iface/ingress";
import { EventRing } from "../iface/events";
import { count } from "../iface/stats";
import { SocketTable, ANY_ADDRESS } from "./table";

/** Offsets inside the IPv4 header an ICMP error quotes (RFC 791 3.1). */
const QUOTED_IP_VERSION_IHL: usize = 0;
const QUOTED_IP_PROTOCOL: usize = 9;
const QUOTED_IP_SRC: usize = 12;
const QUOTED_IP_DST: usize = 16;
const IHL_MASK: u8 = 0x0f;
/** The IHL field counts 32-bit words. */
const IHL_UNIT: usize = 4;
/** Offsets inside the 8 quoted transport bytes of an ICMP error (RFC 792). */
const QUOTED_SRC_PORT: usize = 0;
const QUOTED_DST_PORT: usize = 2;
const QUOTED_ICMP_TYPE: usize = 0;
const QUOTED_ECHO_IDENT: usize = 4;

export class IcmpLayer {
  private readonly repr: Icmpv4Repr = new Icmpv4Repr();

  constructor(readonly table: SocketTable, readonly egress: Egress, readonly events: EventRing) {}

  /** Sends an echo request with `len` data bytes from socket i to dst with sequence number `seq`. */
  sendEcho(i: i32, dst: u32, seq: u32, data: usize, len: i32, now: i64): i32 {
    const table = this.table;
    if (len < 0 || seq > 0xffff) return -Errno.EINVAL;
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
    return r < 0 ? r : len;
  }

  /** An ICMP message the interface did not handle itself: an echo reply or an error. */
  input(ingress: Ingress): void {
    const icmp = ingress.icmp;
    if (icmp.msgType == Icmpv4Type.ECHO_REPLY) {
      this.echoReply(ingress);
      return;
    }
    if (icmp.msgType == Icmpv4Type.DEST_UNREACHABLE || icmp.msgType == Icmpv4Type.TIME_EXCEEDED) {
      count(STAT_ICMP_ERRORS_RECEIVED);
      this.error(ingress);
      return;
    }
    count(STAT_ICMP_DROP_NO_SOCKET);
  }

  private echoReply(ingress: Ingress): void {
    const icmp = ingress.icmp;
    const table = this.table;
    const i = table.lookup(<u8>SOCKET_KIND_ICMP, ingress.ip.dst, icmp.ident, ingress.ip.src, 0);
    if (i < 0) {
      count(STAT_ICMP_DROP_NO_SOCKET);
      return;
    }
    const queue = table.queue(i);
    const wasEmpty = queue.count == 0;
    if (!queue.push(ingress.ip.src, icmp.seqNo, icmp.dataPtr, icmp.dataLen)) {
      count(STAT_ICMP_DROP_QUEUE_FULL);
      return;
    }
    count(STAT_ICMP_ECHO_REPLIES);
    if (wasEmpty) this.events.push(table.pool.handleOf(i), EVENT_READABLE, queue.count);
  }

  /** Finds the socket whose packet the error quotes and reports the error to it. */
  private error(ingress: Ingress): void {
    const icmp = ingress.icmp;
    // The wire parser checked that the quote holds an IPv4 header (version 4, IHL >= 5) and at
    // least 8 more bytes, so these reads stay inside it.
    const quote = icmp.dataPtr;
    const headerLen = <usize>(readU8(quote + QUOTED_IP_VERSION_IHL) & IHL_MASK) * IHL_UNIT;
    const transport = quote + headerLen;
    const protocol = readU8(quote + QUOTED_IP_PROTOCOL);
    const origSrc = readU32(quote + QUOTED_IP_SRC);
    const origDst = readU32(quote + QUOTED_IP_DST);
    const errno = errnoFor(icmp.msgType, icmp.code);
    const table = this.table;
    let i = -1;
    if (protocol == IpProtocol.UDP) {
      i = table.lookup(<u8>SOCKET_KIND_UDP, origSrc, readU16(transport + QUOTED_SRC_PORT), origDst,
        readU16(transport + QUOTED_DST_PORT));
      // Linux reports ICMP errors only to connected UDP sockets (an unconnected one cannot tell
      // which of its peers the error is about).
      if (i >= 0 && unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) i = -1;
    } else if (protocol == IpProtocol.ICMP && readU8(transport + QUOTED_ICMP_TYPE) == Icmpv4Type.ECHO_REQUEST) {
      i = table.lookup(<u8>SOCKET_KIND_ICMP, origSrc, readU16(transport + QUOTED_ECHO_IDENT), origDst, 0);
    }
    if (i < 0) return;
    unchecked(table.pendingError[i] = errno);
    this.events.push(table.pool.handleOf(i), EVENT_ERROR, errno);
  }
}

/** The errno an ICMP error means for the socket that caused it (as Linux's icmp_err_convert). */
function errnoFor(type: u8, code: u8): i32 {
  if (type == Icmpv4Type.TIME_EXCEEDED) return -Errno.EHOSTUNREACH;
  if (code == Icmpv4Unreachable.PORT || code == Icmpv4Unreachable.PROTOCOL) return -Errno.ECONNREFUSED;
  if (code == Icmpv4Unreachable.NET || code == Icmpv4Unreachable.NET_UNKNOWN) return -Errno.ENETUNREACH;
  if (code == Icmpv4Unreachable.FRAG_NEEDED) return -Errno.EMSGSIZE;
  return -Errno.EHOSTUNREACH;
}
