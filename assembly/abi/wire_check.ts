// Parses one buffer as a chosen wire format: the fuzzers' entry point into every parser, and a
// diagnostic for the host. The views and reprs are created once, at module start, so a check
// allocates nothing.

import { WireError } from "../wire/error";
import { EthernetFrame, EthernetRepr, EtherType } from "../wire/ethernet";
import { ArpPacket, ArpRepr } from "../wire/arp";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "../wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr } from "../wire/icmpv4";
import { UdpPacket, UdpRepr } from "../wire/udp";
import { TcpPacket, TcpRepr } from "../wire/tcp";
import { DhcpPacket, DhcpRepr } from "../wire/dhcpv4";
import { DnsPacket, DnsRepr } from "../wire/dns";

/** Values of bindings/exports.ts WireFormat. */
export namespace WireFormat {
  export const ETHERNET: i32 = 0;
  export const ARP: i32 = 1;
  export const IPV4: i32 = 2;
  export const ICMPV4: i32 = 3;
  export const UDP: i32 = 4;
  export const TCP: i32 = 5;
  export const DHCPV4: i32 = 6;
  export const DNS: i32 = 7;
  export const FRAME: i32 = 8;
}

/** wireCheck flag bit: verify checksums. */
export const VERIFY_CHECKSUMS: i32 = 1;

/** Pseudo-header addresses used when a transport format is checked on its own. */
const FUZZ_SRC: u32 = 0x0a000001;
const FUZZ_DST: u32 = 0x0a000002;
const DNS_PORT: u16 = 53;
const DHCP_SERVER_PORT: u16 = 67;
const DHCP_CLIENT_PORT: u16 = 68;

const ethernetFrame = new EthernetFrame();
const ethernetRepr = new EthernetRepr();
const arpPacket = new ArpPacket();
const arpRepr = new ArpRepr();
const ipv4Packet = new Ipv4Packet();
const ipv4Repr = new Ipv4Repr();
const icmpPacket = new Icmpv4Packet();
const icmpRepr = new Icmpv4Repr();
const udpPacket = new UdpPacket();
const udpRepr = new UdpRepr();
const tcpPacket = new TcpPacket();
const tcpRepr = new TcpRepr();
const dhcpPacket = new DhcpPacket();
const dhcpRepr = new DhcpRepr();
const dnsPacket = new DnsPacket();
const dnsRepr = new DnsRepr();

function checkEthernet(ptr: usize, len: i32): i32 {
  const r = ethernetFrame.check(ptr, len);
  return r < 0 ? r : ethernetRepr.parse(ethernetFrame);
}

function checkArp(ptr: usize, len: i32): i32 {
  const r = arpPacket.check(ptr, len);
  return r < 0 ? r : arpRepr.parse(arpPacket);
}

function checkIpv4(ptr: usize, len: i32, verify: bool): i32 {
  const r = ipv4Packet.check(ptr, len);
  return r < 0 ? r : ipv4Repr.parse(ipv4Packet, verify);
}

function checkIcmp(ptr: usize, len: i32, verify: bool): i32 {
  const r = icmpPacket.check(ptr, len);
  return r < 0 ? r : icmpRepr.parse(icmpPacket, verify);
}

function checkUdp(ptr: usize, len: i32, src: u32, dst: u32, verify: bool): i32 {
  const r = udpPacket.check(ptr, len);
  return r < 0 ? r : udpRepr.parse(udpPacket, src, dst, verify);
}

function checkTcp(ptr: usize, len: i32, src: u32, dst: u32, verify: bool): i32 {
  const r = tcpPacket.check(ptr, len);
  return r < 0 ? r : tcpRepr.parse(tcpPacket, src, dst, verify);
}

function checkDhcp(ptr: usize, len: i32): i32 {
  const r = dhcpPacket.check(ptr, len);
  return r < 0 ? r : dhcpRepr.parse(dhcpPacket);
}

function checkDns(ptr: usize, len: i32): i32 {
  const r = dnsPacket.check(ptr, len);
  return r < 0 ? r : dnsRepr.parse(dnsPacket);
}

/** A whole frame, walked the way the stack will: Ethernet, ARP or IPv4, transport, application. */
function checkFrame(ptr: usize, len: i32, verify: bool): i32 {
  let r = checkEthernet(ptr, len);
  if (r < 0) return r;
  const payload = ethernetFrame.payloadPtr;
  const payloadLen = ethernetFrame.payloadLen;
  const type = ethernetRepr.etherType;
  if (type == EtherType.ARP) return checkArp(payload, payloadLen);
  if (type != EtherType.IPV4) return WireError.Unsupported;
  r = checkIpv4(payload, payloadLen, verify);
  if (r < 0) return r;
  if (ipv4Repr.isFragment) return WireError.Unsupported;
  const transport = ipv4Packet.payloadPtr;
  const transportLen = ipv4Packet.payloadLen;
  const src = ipv4Repr.src;
  const dst = ipv4Repr.dst;
  const protocol = ipv4Repr.protocol;
  if (protocol == IpProtocol.ICMP) return checkIcmp(transport, transportLen, verify);
  if (protocol == IpProtocol.TCP) return checkTcp(transport, transportLen, src, dst, verify);
  if (protocol != IpProtocol.UDP) return WireError.Unsupported;
  r = checkUdp(transport, transportLen, src, dst, verify);
  if (r < 0) return r;
  const sport = udpRepr.srcPort;
  const dport = udpRepr.dstPort;
  if (sport == DNS_PORT || dport == DNS_PORT) return checkDns(udpRepr.payloadPtr, udpRepr.payloadLen);
  if (dport == DHCP_SERVER_PORT || dport == DHCP_CLIENT_PORT) return checkDhcp(udpRepr.payloadPtr, udpRepr.payloadLen);
  return WireError.Ok;
}

/** Parses [ptr, ptr+len) as `format`; 0 or a negative WireError. Never traps. */
export function wireCheck(format: i32, ptr: usize, len: i32, flags: i32): i32 {
  if (len < 0) return WireError.Truncated;
  const verify = (flags & VERIFY_CHECKSUMS) != 0;
  switch (format) {
    case WireFormat.ETHERNET: return checkEthernet(ptr, len);
    case WireFormat.ARP: return checkArp(ptr, len);
    case WireFormat.IPV4: return checkIpv4(ptr, len, verify);
    case WireFormat.ICMPV4: return checkIcmp(ptr, len, verify);
    case WireFormat.UDP: return checkUdp(ptr, len, FUZZ_SRC, FUZZ_DST, verify);
    case WireFormat.TCP: return checkTcp(ptr, len, FUZZ_SRC, FUZZ_DST, verify);
    case WireFormat.DHCPV4: return checkDhcp(ptr, len);
    case WireFormat.DNS: return checkDns(ptr, len);
    case WireFormat.FRAME: return checkFrame(ptr, len, verify);
  }
  return WireError.Unsupported;
}

/** The address at which `len` bytes end exactly at the end of memory (0 if they cannot fit). */
export function wireInputAt(len: i32): usize {
  const end = <usize>memory.size() << 16;
  if (len < 0 || <usize>len > end) return 0;
  return end - <usize>len;
}
