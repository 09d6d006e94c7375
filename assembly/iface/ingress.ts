// Every received frame enters here: Ethernet is checked, ARP is handled entirely (answers and
// neighbour learning), IPv4 is validated and filtered (martian sources, malformed options), ICMP
// echo requests are answered and a protocol we do not speak gets protocol unreachable. What
// is left for the socket layer (UDP datagrams, TCP segments, ICMP replies and errors) is handed back as a
// Delivery with the parsed IPv4 header in `ip` and the transport bytes at payloadPtr/payloadLen.
// Every frame that goes no further is counted under exactly one drop reason.

import {
  STAT_RX_FRAMES, STAT_RX_BYTES, STAT_ETH_DROP_MALFORMED, STAT_ETH_DROP_NOT_FOR_US,
  STAT_ETH_DROP_UNKNOWN_TYPE, STAT_ARP_DROP_MALFORMED, STAT_ARP_REQUESTS_ANSWERED,
  STAT_IP_DROP_MALFORMED, STAT_IP_DROP_CHECKSUM, STAT_IP_DROP_NOT_FOR_US, STAT_IP_DROP_FRAGMENT,
  STAT_IP_DROP_UNKNOWN_PROTOCOL, STAT_ICMP_DROP_MALFORMED, STAT_ICMP_ECHO_ANSWERED,
  STAT_ARP_RECEIVED, STAT_ICMP_ECHO_REQUESTS, STAT_IP_DROP_MARTIAN_SOURCE, STAT_IP_DROP_BAD_OPTIONS,
  STAT_ARP_DROP_BAD_SENDER, STAT_ARP_ADDRESS_CONFLICTS, STAT_ICMP_DROP_UNSUPPORTED_TYPE,
  STAT_ARP_DROP_UNSUPPORTED,
} from "../../bindings/layout";
import { WireError } from "../wire/error";
import { EthernetFrame, EthernetRepr, EtherType } from "../wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation, macIsUnicast } from "../wire/arp";
import {
  Ipv4Packet, Ipv4Repr, IpProtocol, ipv4IsMulticast, ipv4IsClassE, ipv4IsThisNetwork,
} from "../wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr, Icmpv4Type, Icmpv4Unreachable } from "../wire/icmpv4";
import { MAC_BROADCAST } from "../wire/bytes";
import { Interface, isLoopbackNet } from "./interface";
import { Egress } from "./egress";
import { IcmpErrorSender } from "./icmp_error_sender";
import { count, countBy } from "./stats";

/** What `receive` found. Values >= 0; drops and fully handled frames are NOTHING. */
export namespace Delivery {
  export const NOTHING: i32 = 0;
  export const UDP: i32 = 1;
  /** An ICMP echo reply or error for the socket layer; `icmp` holds it. */
  export const ICMP: i32 = 2;
  /** A TCP segment (to one of our addresses or a broadcast: `toBroadcast` says which). */
  export const TCP: i32 = 3;
}

export class Ingress {
  readonly frame: EthernetFrame = new EthernetFrame();
  readonly eth: EthernetRepr = new EthernetRepr();
  readonly arpPacket: ArpPacket = new ArpPacket();
  readonly arp: ArpRepr = new ArpRepr();
  readonly ipPacket: Ipv4Packet = new Ipv4Packet();
  readonly ip: Ipv4Repr = new Ipv4Repr();
  readonly icmpPacket: Icmpv4Packet = new Icmpv4Packet();
  readonly icmp: Icmpv4Repr = new Icmpv4Repr();
  /** Transport bytes of the last delivery. */
  payloadPtr: usize = 0;
  payloadLen: i32 = 0;
  /** Whether the last delivery was addressed to a broadcast address. */
  toBroadcast: bool = false;

  constructor(readonly iface: Interface, readonly egress: Egress, readonly errors: IcmpErrorSender) {}

  /**
   * Processes one frame. `trusted`: the device vouched for its checksums. `fromDevice`: the frame
   * came off the wire (false for frames this stack looped back to itself).
   */
  receive(ptr: usize, len: i32, trusted: bool, fromDevice: bool, now: i64): i32 {
    count(STAT_RX_FRAMES);
    countBy(STAT_RX_BYTES, <u32>max(len, 0));
    if (this.frame.check(ptr, len) < 0) {
      count(STAT_ETH_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const dst = this.frame.dst;
    if (dst != this.iface.mac && dst != MAC_BROADCAST) {
      count(STAT_ETH_DROP_NOT_FOR_US);
      return Delivery.NOTHING;
    }
    // An IEEE 802.3 frame (a length where Ethernet II has its EtherType, LLC after it) is well
    // formed but carries no protocol we speak: an unknown type, like any other EtherType.
    if (this.eth.parse(this.frame) < 0) {
      count(STAT_ETH_DROP_UNKNOWN_TYPE);
      return Delivery.NOTHING;
    }
    const type = this.eth.etherType;
    if (type == EtherType.ARP) {
      this.receiveArp(now);
      return Delivery.NOTHING;
    }
    if (type == EtherType.IPV4) return this.receiveIpv4(trusted, fromDevice, now);
    count(STAT_ETH_DROP_UNKNOWN_TYPE);
    return Delivery.NOTHING;
  }

  private receiveArp(now: i64): void {
    const p = this.arpPacket;
    const arp = this.arp;
    let r = p.check(this.frame.payloadPtr, this.frame.payloadLen);
    if (r == WireError.Ok) r = arp.parse(p);
    if (r == WireError.Unsupported) {
      // RFC 826: ARP for a hardware or protocol type we do not have is ignored, not an error.
      count(STAT_ARP_DROP_UNSUPPORTED);
      return;
    }
    if (r < 0) {
      count(STAT_ARP_DROP_MALFORMED);
      return;
    }
    // RFC 826 has every receiver merge the sender's pair into its table and answer to the sender
    // MAC: one that no single host can hold (zero, multicast, broadcast), or ours, would send our
    // answer and our traffic for that address everywhere or back to ourselves. Neither answered
    // nor learned.
    const iface = this.iface;
    if (!macIsUnicast(arp.senderMac) || arp.senderMac == iface.mac) {
      count(STAT_ARP_DROP_BAD_SENDER);
      return;
    }
    const sender = arp.senderIp;
    const forUs = iface.isOwn(arp.targetIp) && !isLoopbackNet(arp.targetIp);
    const probe = sender == 0 && forUs && arp.operation == ArpOperation.REQUEST;
    if (!probe && (this.isMartian(sender) || isLoopbackNet(sender))) {
      count(STAT_ARP_DROP_BAD_SENDER);
      return;
    }
    if (iface.isOwn(sender)) {
      // Another MAC claims one of our addresses (RFC 5227 2.4 calls it a conflict): believing it
      // would hand our own traffic to that host.
      count(STAT_ARP_ADDRESS_CONFLICTS);
      return;
    }
    count(STAT_ARP_RECEIVED);
    if (probe) {
      // Answer a probe (sender 0.0.0.0, RFC 5227 2.1.1) so address conflict detection works, but
      // learn nothing from it.
      this.egress.sendArpReply(arp.targetIp, arp.senderMac, 0);
      count(STAT_ARP_REQUESTS_ANSWERED);
      return;
    }
    // RFC 826 "Packet Reception": merge the sender into an existing entry; add it if the packet
    // is for us; then answer requests for our addresses.
    this.egress.neighbours.learn(sender, arp.senderMac, now, forUs);
    if (forUs && arp.operation == ArpOperation.REQUEST) {
      this.egress.sendArpReply(arp.targetIp, arp.senderMac, sender);
      count(STAT_ARP_REQUESTS_ANSWERED);
    }
    this.egress.flushResolved(now);
  }

  private receiveIpv4(trusted: bool, fromDevice: bool, now: i64): i32 {
    const p = this.ipPacket;
    const ip = this.ip;
    if (p.check(this.frame.payloadPtr, this.frame.payloadLen) < 0) {
      count(STAT_IP_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const r = ip.parse(p, !trusted);
    if (r == WireError.BadChecksum) {
      count(STAT_IP_DROP_CHECKSUM);
      return Delivery.NOTHING;
    }
    if (r < 0) {
      count(p.checkOptions() < 0 ? STAT_IP_DROP_BAD_OPTIONS : STAT_IP_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const broadcast = this.iface.isBroadcast(ip.dst);
    // RFC 1122 3.2.1.3(g): 127/8 never appears outside a host, so from the wire it is no address
    // of ours (a socket bound to 127.0.0.1 is reachable from this host only, as on Linux).
    if (!broadcast && (!this.iface.isOwn(ip.dst) || (fromDevice && isLoopbackNet(ip.dst)))) {
      count(STAT_IP_DROP_NOT_FOR_US);
      return Delivery.NOTHING;
    }
    // RFC 1122 3.2.1.3: a host silently discards a datagram whose source names no single host:
    // 0/8, multicast, class E and broadcasts, and 127/8 arriving from outside. 0.0.0.0 itself is
    // the one exception, as the source of UDP: a host without an address yet (DHCP, RFC 2131
    // 4.1) reaches a bound socket with it, though it never gets an ICMP error back. One of our
    // own addresses coming off the wire is dropped too (Linux does unless accept_local):
    // answering it would go to ourselves, e.g. a UDP echo service echoing itself forever.
    const src = ip.src;
    const unconfigured = src == 0 && ip.protocol == IpProtocol.UDP;
    if ((!unconfigured && this.isMartian(src)) || (isLoopbackNet(src) && !isLoopbackNet(ip.dst)) ||
        (fromDevice && this.iface.isOwn(src))) {
      count(STAT_IP_DROP_MARTIAN_SOURCE);
      return Delivery.NOTHING;
    }
    if (ip.isFragment) {
      // Reassembly is not implemented yet: counted, not delivered half.
      count(STAT_IP_DROP_FRAGMENT);
      return Delivery.NOTHING;
    }
    this.toBroadcast = broadcast;
    this.payloadPtr = p.payloadPtr;
    this.payloadLen = p.payloadLen;
    const protocol = ip.protocol;
    if (protocol == IpProtocol.UDP) return Delivery.UDP;
    if (protocol == IpProtocol.TCP) return Delivery.TCP;
    if (protocol == IpProtocol.ICMP) return this.receiveIcmp(trusted, now);
    count(STAT_IP_DROP_UNKNOWN_PROTOCOL);
    // RFC 1122 3.2.2.1: a host should send protocol unreachable when it does not speak the
    // protocol (Linux does).
    this.errors.sendUnreachable(this, Icmpv4Unreachable.PROTOCOL, now);
    return Delivery.NOTHING;
  }

  /**
   * Whether `address` names no single host (RFC 1122 3.2.1.3): 0/8, multicast 224/4, class E
   * 240/4 (255.255.255.255 included) or a directed broadcast of one of our prefixes. 127/8 is
   * judged by the caller: it is a legal source on the loopback path.
   */
  isMartian(address: u32): bool {
    return ipv4IsThisNetwork(address) || ipv4IsMulticast(address) || ipv4IsClassE(address) ||
      this.iface.isBroadcast(address);
  }

  private receiveIcmp(trusted: bool, now: i64): i32 {
    const p = this.icmpPacket;
    const icmp = this.icmp;
    if (p.check(this.payloadPtr, this.payloadLen) < 0) {
      count(STAT_ICMP_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const r = icmp.parse(p, !trusted);
    if (r == WireError.Unsupported) {
      // Well formed, of a type we do not act on (redirect, timestamp...): RFC 1122 3.2.2 has a
      // host discard it silently.
      count(STAT_ICMP_DROP_UNSUPPORTED_TYPE);
      return Delivery.NOTHING;
    }
    if (r < 0) {
      count(STAT_ICMP_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    if (icmp.msgType == Icmpv4Type.ECHO_REQUEST) {
      count(STAT_ICMP_ECHO_REQUESTS);
      // Linux ignores broadcast echo requests by default (icmp_echo_ignore_broadcasts, smurf attacks).
      if (this.toBroadcast) return Delivery.NOTHING;
      this.answerEcho(now);
      return Delivery.NOTHING;
    }
    return Delivery.ICMP;
  }

  /**
   * RFC 792 echo reply: same identifier, sequence number and data, addresses swapped. The request's
   * IP options are not copied (RFC 1122 3.2.2.6 only recommends echoing Record Route and
   * Timestamp): the reply always has a bare 20-byte header.
   */
  private answerEcho(now: i64): void {
    const icmp = this.icmp;
    const ws = this.egress.control;
    // The request came in one frame of at most our MTU, so its reply always fits in one too.
    icmp.msgType = Icmpv4Type.ECHO_REPLY;
    const len = icmp.emit(ws.payloadPtr, this.egress.maxTransportLen);
    if (len < 0) return;
    if (this.egress.sendIp(ws, this.ip.dst, this.ip.src, IpProtocol.ICMP, len, now) == 0) {
      count(STAT_ICMP_ECHO_ANSWERED);
    }
  }
}
