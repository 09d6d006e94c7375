// ICMP error messages this host sends about a datagram it received (destination unreachable: port
// for UDP, protocol for a protocol it does not speak). One place decides whether an error may be
// sent at all (RFC 1122 3.2.2), how often (a token bucket like Linux's icmp_ratelimit, so a scan
// cannot make us flood), and how much of the original it quotes (RFC 1812 4.3.2.3: as much as
// fits while the error stays within min(576, MTU) bytes). Each transport only says which error.
// Every error not sent is counted under one reason: suppressed by RFC 1122, rate limited, or not
// sent because it could not be built or transmitted.

import {
  STAT_ICMP_UNREACHABLE_SENT, STAT_ICMP_UNREACHABLE_RATE_LIMITED, STAT_ICMP_ERRORS_NOT_SENT,
  STAT_ICMP_ERRORS_SUPPRESSED,
} from "../../bindings/layout";
import { readU8 } from "../wire/bytes";
import { macIsUnicast } from "../wire/arp";
import { IpProtocol, IPV4_HEADER_LEN, IPV4_MIN_REASSEMBLY_LEN, ipv4IsMulticast } from "../wire/ipv4";
import { Icmpv4Repr, Icmpv4Type, ICMPV4_HEADER_LEN, icmpv4IsError } from "../wire/icmpv4";
import { MICROS_PER_SECOND, satAdd } from "../time";
import { Egress } from "./egress";
import { Ingress } from "./ingress";
import { isLoopbackNet } from "./interface";
import { count } from "./stats";

export class IcmpErrorSender {
  private readonly repr: Icmpv4Repr = new Icmpv4Repr();
  /** Errors still allowed in the current second; refilled to `perSecond` each second. */
  private tokens: i32;
  private refillAt: i64 = 0;

  constructor(readonly egress: Egress, readonly perSecond: i32) {
    this.tokens = perSecond;
  }

  /**
   * Bytes of the original datagram an error quotes at most: RFC 1812 4.3.2.3 keeps the whole
   * error within 576 bytes, and it must also fit our MTU, since we never fragment.
   */
  @inline get maxQuoteLen(): i32 {
    return min(IPV4_MIN_REASSEMBLY_LEN, this.egress.mtu) - IPV4_HEADER_LEN - ICMPV4_HEADER_LEN;
  }

  /** Destination unreachable with `code` about the datagram `ingress` holds (RFC 792). */
  sendUnreachable(ingress: Ingress, code: u8, now: i64): void {
    if (!mayAnswer(ingress)) {
      count(STAT_ICMP_ERRORS_SUPPRESSED);
      return;
    }
    if (!this.takeToken(now)) {
      count(STAT_ICMP_UNREACHABLE_RATE_LIMITED);
      return;
    }
    const ip = ingress.ip;
    const icmp = this.repr;
    icmp.msgType = Icmpv4Type.DEST_UNREACHABLE;
    icmp.code = code;
    icmp.ident = 0;
    icmp.seqNo = 0;
    icmp.nextHopMtu = 0;
    // The original from its first byte: header, options and as much payload as fits.
    icmp.dataPtr = ingress.ipPacket.ptr;
    icmp.dataLen = min(ingress.ipPacket.len, this.maxQuoteLen);
    const egress = this.egress;
    const ws = egress.control;
    const len = icmp.emit(ws.payloadPtr, egress.maxTransportLen);
    if (len < 0 || egress.sendIp(ws, ip.dst, ip.src, IpProtocol.ICMP, len, now) != 0) {
      count(STAT_ICMP_ERRORS_NOT_SENT);
      return;
    }
    count(STAT_ICMP_UNREACHABLE_SENT);
  }

  private takeToken(now: i64): bool {
    if (now >= this.refillAt) {
      this.tokens = this.perSecond;
      this.refillAt = satAdd(now, MICROS_PER_SECOND);
    }
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }
}

/**
 * RFC 1122 3.2.2: an ICMP error is never sent about an ICMP error, a datagram to an IP broadcast
 * or multicast address, one sent as a link-layer broadcast, a fragment other than the first, or a
 * datagram whose source does not name one host (0/8, multicast, class E, a broadcast, 127/8 from
 * the wire). Ingress already drops most of those sources; 0.0.0.0 reaches UDP (DHCP) and must
 * not be answered.
 */
function mayAnswer(ingress: Ingress): bool {
  const ip = ingress.ip;
  if (ingress.toBroadcast || ipv4IsMulticast(ip.dst) || !macIsUnicast(ingress.eth.dst)) return false;
  if (ip.fragmentOffset != 0) return false;
  const src = ip.src;
  if (ingress.isMartian(src) || (isLoopbackNet(src) && !isLoopbackNet(ip.dst))) return false;
  if (ip.protocol == IpProtocol.ICMP && ingress.payloadLen > 0 &&
      icmpv4IsError(readU8(ingress.payloadPtr))) return false;
  return true;
}
