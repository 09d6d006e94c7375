// The ICMP error sender on an interface built by hand: the RFC 1122 3.2.2 rules that no frame from
// the host can reach (an error about an ICMP error, about a non-first fragment: ingress drops
// fragments and never hands an ICMP error to a transport), the rate limit, and the quote bound.
import {
  STAT_ICMP_UNREACHABLE_SENT, STAT_ICMP_ERRORS_SUPPRESSED, STAT_ICMP_UNREACHABLE_RATE_LIMITED,
  STAT_ICMP_ERRORS_NOT_SENT, VIRTIO_NET_HDR_BYTES,
} from "../../bindings/layout";
import { EthernetRepr, EtherType, ETHERNET_HEADER_LEN } from "../../assembly/wire/ethernet";
import { Ipv4Repr, IpProtocol, IPV4_HEADER_LEN } from "../../assembly/wire/ipv4";
import { Icmpv4Repr, Icmpv4Type, Icmpv4Unreachable } from "../../assembly/wire/icmpv4";
import { Virtqueue } from "../../assembly/storage/virtqueue";
import { Interface } from "../../assembly/iface/interface";
import { Loopback } from "../../assembly/iface/loopback";
import { NeighborCache } from "../../assembly/iface/neighbor_cache";
import { Egress } from "../../assembly/iface/egress";
import { Ingress, Delivery } from "../../assembly/iface/ingress";
import { IcmpErrorSender } from "../../assembly/iface/icmp_error_sender";
import { stats } from "../../assembly/iface/stats";
import { scratch } from "./helpers";

const OUR_MAC: u64 = 0x020000000002;
const PEER_MAC: u64 = 0x020000000001;
const OUR_IP: u32 = 0x0a000002;
const PEER_IP: u32 = 0x0a000001;
const MTU: i32 = 1500;
const QUEUE: i32 = 8;
const BURST: i32 = 2;
const UNKNOWN_PROTOCOL: u8 = 99;
const MICROS_PER_SECOND: i64 = 1_000_000;

class Rig {
  readonly iface: Interface;
  readonly egress: Egress;
  readonly errors: IcmpErrorSender;
  readonly ingress: Ingress;
  constructor(mtu: i32) {
    const iface = new Interface();
    iface.mac = OUR_MAC;
    iface.addAddress(OUR_IP, 24);
    const frameBytes = ETHERNET_HEADER_LEN + mtu;
    const tx = new Virtqueue(QUEUE, VIRTIO_NET_HDR_BYTES + frameBytes, false);
    const neighbours = new NeighborCache(4, 2, frameBytes, 60 * MICROS_PER_SECOND, MICROS_PER_SECOND, 3);
    const egress = new Egress(iface, tx, new Loopback(2, frameBytes), neighbours, mtu, 1, false);
    const errors = new IcmpErrorSender(egress, BURST);
    this.iface = iface;
    this.egress = egress;
    this.errors = errors;
    this.ingress = new Ingress(iface, egress, errors);
  }
}

/** An Ethernet + IPv4 frame from the peer to us carrying `payloadLen` bytes at `payload`. */
function frame(protocol: u8, payload: usize, payloadLen: i32, fragmentOffset: i32 = 0): usize {
  const f = scratch(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payloadLen);
  const eth = new EthernetRepr();
  eth.dst = OUR_MAC;
  eth.src = PEER_MAC;
  eth.etherType = EtherType.IPV4;
  eth.emit(f, ETHERNET_HEADER_LEN);
  const ip = new Ipv4Repr();
  ip.src = PEER_IP;
  ip.dst = OUR_IP;
  ip.protocol = protocol;
  ip.payloadLen = payloadLen;
  ip.fragmentOffset = fragmentOffset;
  ip.emit(f + ETHERNET_HEADER_LEN, IPV4_HEADER_LEN);
  memory.copy(f + ETHERNET_HEADER_LEN + IPV4_HEADER_LEN, payload, <usize>payloadLen);
  return f;
}

@inline function frameLen(payloadLen: i32): i32 {
  return ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payloadLen;
}

/** Counter deltas since the last call. */
let seenSent: u32 = 0;
let seenSuppressed: u32 = 0;
let seenLimited: u32 = 0;
let seenNotSent: u32 = 0;
function mark(): void {
  seenSent = stats[STAT_ICMP_UNREACHABLE_SENT];
  seenSuppressed = stats[STAT_ICMP_ERRORS_SUPPRESSED];
  seenLimited = stats[STAT_ICMP_UNREACHABLE_RATE_LIMITED];
  seenNotSent = stats[STAT_ICMP_ERRORS_NOT_SENT];
}
function sent(): u32 { return stats[STAT_ICMP_UNREACHABLE_SENT] - seenSent; }
function suppressed(): u32 { return stats[STAT_ICMP_ERRORS_SUPPRESSED] - seenSuppressed; }
function limited(): u32 { return stats[STAT_ICMP_UNREACHABLE_RATE_LIMITED] - seenLimited; }
function notSent(): u32 { return stats[STAT_ICMP_ERRORS_NOT_SENT] - seenNotSent; }

describe("icmp error sender", () => {
  it("never answers an ICMP error with an ICMP error (RFC 1122 3.2.2)", () => {
    const rig = new Rig(MTU);
    // A port unreachable from the peer, quoting a datagram of ours.
    const quoted = frame(IpProtocol.UDP, scratch(8), 8);
    const icmp = new Icmpv4Repr();
    icmp.msgType = Icmpv4Type.DEST_UNREACHABLE;
    icmp.code = Icmpv4Unreachable.PORT;
    icmp.dataPtr = quoted + ETHERNET_HEADER_LEN;
    icmp.dataLen = IPV4_HEADER_LEN + 8;
    const message = scratch(icmp.bufferLen);
    const len = icmp.emit(message, icmp.bufferLen);
    const f = frame(IpProtocol.ICMP, message, len);
    expect<i32>(rig.ingress.receive(f, frameLen(len), true, true, 0)).toBe(Delivery.ICMP);
    mark();
    rig.errors.sendUnreachable(rig.ingress, Icmpv4Unreachable.PORT, 0);
    expect<u32>(suppressed()).toBe(1);
    expect<u32>(sent()).toBe(0);
    // An echo request is no error: an error about it may be sent.
    icmp.msgType = Icmpv4Type.ECHO_REQUEST;
    icmp.code = 0;
    const echoLen = icmp.emit(message, icmp.bufferLen);
    const g = frame(IpProtocol.ICMP, message, echoLen);
    rig.ingress.receive(g, frameLen(echoLen), true, true, 0); // answered by ingress itself
    mark();
    rig.errors.sendUnreachable(rig.ingress, Icmpv4Unreachable.PORT, 0);
    expect<u32>(sent()).toBe(1);
  });

  it("never sends an error about a fragment other than the first", () => {
    const rig = new Rig(MTU);
    const data = scratch(16);
    const later = frame(UNKNOWN_PROTOCOL, data, 16, 1480);
    mark();
    // Ingress drops every fragment before any transport sees it ...
    expect<i32>(rig.ingress.receive(later, frameLen(16), true, true, 0)).toBe(Delivery.NOTHING);
    expect<u32>(sent() + suppressed()).toBe(0);
    // ... and were it handed one, the sender would refuse it.
    rig.errors.sendUnreachable(rig.ingress, Icmpv4Unreachable.PROTOCOL, 0);
    expect<u32>(suppressed()).toBe(1);
    expect<u32>(sent()).toBe(0);
  });

  it("sends at most its burst per second, then counts the rest as rate limited", () => {
    const rig = new Rig(MTU);
    const data = scratch(4);
    const f = frame(UNKNOWN_PROTOCOL, data, 4);
    mark();
    for (let i = 0; i < BURST + 3; i++) rig.ingress.receive(f, frameLen(4), true, true, 10);
    expect<u32>(sent()).toBe(<u32>BURST);
    expect<u32>(limited()).toBe(3);
    // One second later the bucket is full again.
    mark();
    rig.ingress.receive(f, frameLen(4), true, true, 10 + MICROS_PER_SECOND);
    expect<u32>(sent()).toBe(1);
    expect<u32>(limited()).toBe(0);
  });

  it("quotes at most min(576, MTU) - 28 bytes, so the error always fits the MTU", () => {
    const small = new Rig(100);
    expect<i32>(small.errors.maxQuoteLen).toBe(72);
    const big = new Rig(9000);
    expect<i32>(big.errors.maxQuoteLen).toBe(548);
    // A datagram filling MTU 100 gets an error: the quote is cut, nothing is left unsent.
    const data = scratch(80);
    const f = frame(UNKNOWN_PROTOCOL, data, 80);
    mark();
    small.ingress.receive(f, frameLen(80), true, true, 0);
    expect<u32>(sent()).toBe(1);
    expect<u32>(notSent()).toBe(0);
  });
});
