// Every received frame enters here: Ethernet is checked, ARP is handled entirely (answers and
// neighbour learning), IPv4 is validated and filtered, and ICMP echo requests are answered. What
// is left for the socket layer (UDP datagrams, ICMP replies and errors) is handed back as a
// Delivery with the parsed IPv4 header in `ip` and the transport bytes at payloadPtr/payloadLen.
// Every frame that goes no further is counted under exactly one drop reason.

import {
  STAT_RX_FRAMES, STAT_RX_BYTES, STAT_ETH_DROP_MALFORMED, STAT_ETH_DROP_NOT_FOR_US,
  STAT_ETH_DROP_UNKNOWN_TYPE, STAT_ARP_DROP_MALFORMED, STAT_ARP_REQUESTS_ANSWERED,
  STAT_IP_DROP_MALFORMED, STAT_IP_DROP_CHECKSUM, STAT_IP_DROP_NOT_FOR_US, STAT_IP_DROP_FRAGMENT,
  STAT_IP_DROP_UNKNOWN_PROTOCOL, STAT_ICMP_DROP_MALFORMED, STAT_ICMP_ECHO_ANSWERED,
  STAT_ARP_RECEIVED, STAT_ICMP_ECHO_REQUESTS,
} from "../../bindings/layout";
import { WireError } from "../wire/error";
import { EthernetFrame, EthernetRepr, EtherType } from "../wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation } from "../wire/arp";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "../wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr, Icmpv4Type } from "../wire/icmpv4";
import { MAC_BROADCAST } from "../wire/bytes";
import { Interface, isLoopbackNet } from "./interface";
import { Egress } from "./egress";
import { count, countBy } from "./stats";

/** What `receive` found. Values >= 0; drops and fully handled frames are NOTHING. */
export namespace Delivery {
  export const NOTHING: i32 = 0;
  export const UDP: i32 = 1;
  /** An ICMP echo reply or error for the socket layer; `icmp` holds it. */
  export const ICMP: i32 = 2;
}

/** Multicast bit of the first octet of a MAC address (IEEE 802). */
const MAC_GROUP_BIT: u64 = 0x0100_0000_0000;

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

  constructor(readonly iface: Interface, readonly egress: Egress) {}

  /**
   * Processes one frame. `trusted`: the device vouched for its checksums. `fromDevice`: the frame
   * came off the wire (false for frames this stack looped back to itself).
   */
  receive(ptr: usize, len: i32, trusted: bool, fromDevice: bool, now: i64): i32 {
    count(STAT_RX_FRAMES);
    countBy(STAT_RX_BYTES, <u32>max(len, 0));
    if (this.frame.check(ptr, len) < 0 || this.eth.parse(this.frame) < 0) {
      count(STAT_ETH_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const dst = this.eth.dst;
    if (dst != this.iface.mac && dst != MAC_BROADCAST) {
      count(STAT_ETH_DROP_NOT_FOR_US);
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
    if (p.check(this.frame.payloadPtr, this.frame.payloadLen) < 0 || arp.parse(p) < 0) {
      count(STAT_ARP_DROP_MALFORMED);
      return;
    }
    // A sender claiming a broadcast/multicast MAC, no address, or one of ours is not learned.
    const sender = arp.senderIp;
    const bogus = sender == 0 || (arp.senderMac & MAC_GROUP_BIT) != 0 || this.iface.isOwn(sender) ||
      this.iface.isBroadcast(sender);
    const forUs = this.iface.isOwn(arp.targetIp) && !isLoopbackNet(arp.targetIp);
    const probe = sender == 0 && forUs && arp.operation == ArpOperation.REQUEST;
    if (bogus && !probe) {
      count(STAT_ARP_DROP_MALFORMED);
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
      count(STAT_IP_DROP_MALFORMED);
      return Delivery.NOTHING;
    }
    const broadcast = this.iface.isBroadcast(ip.dst);
    // RFC 1122 3.2.1.3(g): 127/8 never appears outside a host, so from the wire it is no address
    // of ours (a socket bound to 127.0.0.1 is reachable from this host only, as on Linux).
    if (!broadcast && (!this.iface.isOwn(ip.dst) || (fromDevice && isLoopbackNet(ip.dst)))) {
      count(STAT_IP_DROP_NOT_FOR_US);
      return Delivery.NOTHING;
    }
    // RFC 1122 3.2.1.3: a source that is broadcast, or 127/8 arriving from outside, is martian.
    // So is one of our own addresses coming off the wire (Linux drops it unless accept_local):
    // answering it would go to ourselves, e.g. a UDP echo service echoing itself forever.
    if (this.iface.isBroadcast(ip.src) || (isLoopbackNet(ip.src) && !isLoopbackNet(ip.dst)) ||
        (fromDevice && this.iface.isOwn(ip.src))) {
      count(STAT_IP_DROP_MALFORMED);
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
    if (protocol == IpProtocol.ICMP) return this.receiveIcmp(trusted, now);
    count(STAT_IP_DROP_UNKNOWN_PROTOCOL);
    return Delivery.NOTHING;
  }

  private receiveIcmp(trusted: bool, now: i64): i32 {
    const p = this.icmpPacket;
    const icmp = this.icmp;
    if (p.check(this.payloadPtr, this.payloadLen) < 0 || icmp.parse(p, !trusted) < 0) {
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

  /** RFC 792 echo reply: same identifier, sequence number and data, addresses swapped. */
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
