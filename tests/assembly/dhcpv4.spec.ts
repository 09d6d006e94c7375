import {
  DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DhcpOption, DHCP_OPTIONS_OFFSET, DHCP_MIN_EMIT_LEN,
  DHCP_MAX_DNS_SERVERS, DHCP_FLAG_BROADCAST,
} from "../../assembly/wire/dhcpv4";
import { WireError } from "../../assembly/wire/error";
import { hexBytes, hexLen, scratch, sameBytes } from "./helpers";

/** A string's UTF-8 bytes in pinned scratch memory (the helpers keep their buffers alive). */
function utf8(s: string): usize {
  const bytes = String.UTF8.encode(s);
  const p = scratch(bytes.byteLength);
  memory.copy(p, changetype<usize>(bytes), bytes.byteLength);
  return p;
}

// Real vectors. Captured on this machine: dnsmasq 2.90 as DHCP server in one network namespace
// (veth 10.77.0.1/24, range 10.77.0.50-60, 1h lease, router 10.77.0.1, DNS 10.77.0.1 and
// 10.77.0.2) and busybox 1.35 `udhcpc -x hostname:wasmnet` in another (MAC 02:00:0a:4d:00:99),
// tcpdump on the server's veth; these are the UDP payloads, byte for byte.

// DHCPDISCOVER from udhcpc: options 53=1, 57 (max size, not decoded), 55, 12, 60 (vendor class,
// not decoded), 61, END at offset 288 then PAD to 300.
const DISCOVER =
  "01 01 06 00 e9 6c 09 2d 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 0a 4d " +
  "00 99 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 63 82 53 63 35 01 01 39 02 02 40 37 07 01 03 06 0c 0f 1c 2a " +
  "0c 07 77 61 73 6d 6e 65 74 3c 0c 75 64 68 63 70 20 31 2e 33 35 2e 30 3d 07 01 02 00 0a 4d 00 99 " +
  "ff 00 00 00 00 00 00 00 00 00 00 00 ";

// DHCPOFFER from dnsmasq: yiaddr 10.77.0.60, siaddr 10.77.0.1; END at offset 295, PAD to 300.
const OFFER =
  "02 01 06 00 e9 6c 09 2d 00 00 00 00 00 00 00 00 0a 4d 00 3c 0a 4d 00 01 00 00 00 00 02 00 0a 4d " +
  "00 99 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 63 82 53 63 35 01 02 36 04 0a 4d 00 01 33 04 00 00 0e 10 3a " +
  "04 00 00 07 08 3b 04 00 00 0c 4e 01 04 ff ff ff 00 1c 04 0a 4d 00 ff 06 08 0a 4d 00 01 0a 4d 00 " +
  "02 03 04 0a 4d 00 01 ff 00 00 00 00 ";
const OFFER_END_OFFSET = 295;

// DHCPREQUEST from udhcpc (secs 3): 53=3, 50=10.77.0.60, 54=10.77.0.1, 57, 55, 12, 60, 61, END last.
const REQUEST =
  "01 01 06 00 e9 6c 09 2d 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 0a 4d " +
  "00 99 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 63 82 53 63 35 01 03 32 04 0a 4d 00 3c 36 04 0a 4d 00 01 39 " +
  "02 02 40 37 07 01 03 06 0c 0f 1c 2a 0c 07 77 61 73 6d 6e 65 74 3c 0c 75 64 68 63 70 20 31 2e 33 " +
  "35 2e 30 3d 07 01 02 00 0a 4d 00 99 ff ";

// DHCPACK from dnsmasq (305 bytes, END last): as the offer, plus host name 12 = "wasmnet".
const ACK =
  "02 01 06 00 e9 6c 09 2d 00 03 00 00 00 00 00 00 0a 4d 00 3c 0a 4d 00 01 00 00 00 00 02 00 0a 4d " +
  "00 99 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 63 82 53 63 35 01 05 36 04 0a 4d 00 01 33 04 00 00 0e 10 3a " +
  "04 00 00 07 08 3b 04 00 00 0c 4e 01 04 ff ff ff 00 1c 04 0a 4d 00 ff 0c 07 77 61 73 6d 6e 65 74 " +
  "06 08 0a 4d 00 01 0a 4d 00 02 03 04 0a 4d 00 01 ff ";

const MAC: u64 = 0x02000a4d0099;

/** A BOOTREPLY fixed part (xid 1, chaddr MAC), the cookie, then `options` (hex). Built by hand. */
function reply(options: string): string {
  return "02 01 06 00 00 00 00 01 " + "00 ".repeat(20) + "02 00 0a 4d 00 99 " + "00 ".repeat(202) +
    "63 82 53 63 " + options;
}

/** Parses hex; returns the WireError of check or parse. */
function parseHex(hex: string, repr: DhcpRepr): i32 {
  const packet = new DhcpPacket();
  const r = packet.check(hexBytes(hex), hexLen(hex));
  if (r < 0) return r;
  return repr.parse(packet);
}

function parseMem(ptr: usize, len: i32, repr: DhcpRepr): i32 {
  const packet = new DhcpPacket();
  const r = packet.check(ptr, len);
  if (r < 0) return r;
  return repr.parse(packet);
}

function text(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

describe("dhcpv4", () => {
  it("parses a real DISCOVER from udhcpc", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(DISCOVER, repr)).toBe(WireError.Ok);
    expect<u8>(repr.op).toBe(DhcpOp.REQUEST);
    expect<u32>(repr.xid).toBe(0xe96c092d);
    expect<u16>(repr.secs).toBe(0);
    expect<bool>(repr.broadcast).toBe(false);
    expect<u64>(repr.chaddr).toBe(MAC);
    expect<u8>(repr.messageType).toBe(DhcpMessageType.DISCOVER);
    expect<string>(text(repr.hostNamePtr, repr.hostNameLen)).toBe("wasmnet");
    expect<i32>(repr.clientIdLen).toBe(7);
    expect<bool>(sameBytes(repr.clientIdPtr, hexBytes("01 02 00 0a 4d 00 99"), 7)).toBe(true);
    expect<i32>(repr.parameterRequestCount).toBe(7);
    expect<bool>(sameBytes(changetype<usize>(repr.parameterRequests), hexBytes("01 03 06 0c 0f 1c 2a"), 7)).toBe(true);
    expect<bool>(repr.has(DhcpOption.SERVER_ID)).toBe(false);
    expect<bool>(repr.has(DhcpOption.REQUESTED_IP)).toBe(false);
  });

  it("parses a real OFFER from dnsmasq", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(OFFER, repr)).toBe(WireError.Ok);
    expect<u8>(repr.op).toBe(DhcpOp.REPLY);
    expect<u32>(repr.xid).toBe(0xe96c092d);
    expect<u32>(repr.yiaddr).toBe(0x0a4d003c);
    expect<u32>(repr.siaddr).toBe(0x0a4d0001);
    expect<u32>(repr.ciaddr).toBe(0);
    expect<u8>(repr.messageType).toBe(DhcpMessageType.OFFER);
    expect<u32>(repr.serverId).toBe(0x0a4d0001);
    expect<u32>(repr.leaseTime).toBe(3600);
    expect<u32>(repr.renewalTime).toBe(1800);
    expect<u32>(repr.rebindingTime).toBe(3150);
    expect<u32>(repr.subnetMask).toBe(0xffffff00);
    expect<u32>(repr.broadcastAddress).toBe(0x0a4d00ff);
    expect<u32>(repr.router).toBe(0x0a4d0001);
    expect<i32>(repr.dnsServerCount).toBe(2);
    expect<u32>(repr.dnsServers[0]).toBe(0x0a4d0001);
    expect<u32>(repr.dnsServers[1]).toBe(0x0a4d0002);
    expect<bool>(repr.has(DhcpOption.HOST_NAME)).toBe(false);
    expect<bool>(repr.has(DhcpOption.MTU)).toBe(false);
  });

  it("parses a real REQUEST and ACK", () => {
    const req = new DhcpRepr();
    expect<i32>(parseHex(REQUEST, req)).toBe(WireError.Ok);
    expect<u8>(req.messageType).toBe(DhcpMessageType.REQUEST);
    expect<u16>(req.secs).toBe(3);
    expect<u32>(req.requestedIp).toBe(0x0a4d003c);
    expect<u32>(req.serverId).toBe(0x0a4d0001);
    const ack = new DhcpRepr();
    expect<i32>(parseHex(ACK, ack)).toBe(WireError.Ok);
    expect<u8>(ack.messageType).toBe(DhcpMessageType.ACK);
    expect<u32>(ack.yiaddr).toBe(0x0a4d003c);
    expect<string>(text(ack.hostNamePtr, ack.hostNameLen)).toBe("wasmnet");
  });

  it("re-emits the real OFFER and ACK byte for byte", () => {
    const vectors = [OFFER, ACK];
    for (let v = 0; v < vectors.length; v++) {
      const hex = vectors[v];
      const repr = new DhcpRepr();
      expect<i32>(parseHex(hex, repr)).toBe(WireError.Ok);
      const n = hexLen(hex);
      expect<i32>(repr.bufferLen).toBe(n);
      const out = scratch(n);
      expect<i32>(repr.emit(out, n)).toBe(n);
      expect<bool>(sameBytes(out, hexBytes(hex), n)).toBe(true);
    }
  });

  it("emits a client DISCOVER that parses back to the same fields", () => {
    const repr = new DhcpRepr();
    repr.op = DhcpOp.REQUEST;
    repr.xid = 0x12345678;
    repr.secs = 7;
    repr.broadcast = true;
    repr.chaddr = MAC;
    repr.messageType = DhcpMessageType.DISCOVER;
    repr.include(DhcpOption.MESSAGE_TYPE);
    repr.requestedIp = 0x0a4d0005;
    repr.include(DhcpOption.REQUESTED_IP);
    repr.hostNamePtr = utf8("guest");
    repr.hostNameLen = 5;
    repr.include(DhcpOption.HOST_NAME);
    repr.clientIdPtr = hexBytes("01 02 00 0a 4d 00 99");
    repr.clientIdLen = 7;
    repr.include(DhcpOption.CLIENT_ID);
    repr.addParameterRequest(DhcpOption.SUBNET_MASK);
    repr.addParameterRequest(DhcpOption.ROUTER);
    repr.addParameterRequest(DhcpOption.DNS_SERVER);
    repr.addParameterRequest(DhcpOption.MTU);
    // 240 + 3 + 6 + 7 + 9 + 6 + 1 = 272, padded to the BOOTP minimum.
    expect<i32>(repr.bufferLen).toBe(DHCP_MIN_EMIT_LEN);
    const out = scratch(400);
    expect<i32>(repr.emit(out, 400)).toBe(DHCP_MIN_EMIT_LEN);
    expect<u16>(bswap<u16>(load<u16>(out + 10))).toBe(DHCP_FLAG_BROADCAST);

    const back = new DhcpRepr();
    expect<i32>(parseMem(out, DHCP_MIN_EMIT_LEN, back)).toBe(WireError.Ok);
    expect<u8>(back.op).toBe(DhcpOp.REQUEST);
    expect<u32>(back.xid).toBe(0x12345678);
    expect<u16>(back.secs).toBe(7);
    expect<bool>(back.broadcast).toBe(true);
    expect<u64>(back.chaddr).toBe(MAC);
    expect<u8>(back.messageType).toBe(DhcpMessageType.DISCOVER);
    expect<u32>(back.requestedIp).toBe(0x0a4d0005);
    expect<string>(text(back.hostNamePtr, back.hostNameLen)).toBe("guest");
    expect<i32>(back.clientIdLen).toBe(7);
    expect<bool>(sameBytes(back.clientIdPtr, repr.clientIdPtr, 7)).toBe(true);
    expect<i32>(back.parameterRequestCount).toBe(4);
    expect<u8>(back.parameterRequests[3]).toBe(DhcpOption.MTU);
    expect<u64>(back.present).toBe(repr.present);
    // And emitting the parsed repr gives the same bytes again.
    const again = scratch(DHCP_MIN_EMIT_LEN);
    expect<i32>(back.emit(again, DHCP_MIN_EMIT_LEN)).toBe(DHCP_MIN_EMIT_LEN);
    expect<bool>(sameBytes(again, out, DHCP_MIN_EMIT_LEN)).toBe(true);
  });

  it("emits a server ACK with every decoded option and parses it back", () => {
    const repr = new DhcpRepr();
    repr.op = DhcpOp.REPLY;
    repr.xid = 0xcafef00d;
    repr.yiaddr = 0x0a4d0032;
    repr.giaddr = 0x0a4d00fe;
    repr.hops = 1;
    repr.chaddr = MAC;
    repr.messageType = DhcpMessageType.ACK; repr.include(DhcpOption.MESSAGE_TYPE);
    repr.serverId = 0x0a4d0001; repr.include(DhcpOption.SERVER_ID);
    repr.leaseTime = 86400; repr.include(DhcpOption.LEASE_TIME);
    repr.renewalTime = 43200; repr.include(DhcpOption.RENEWAL_TIME);
    repr.rebindingTime = 75600; repr.include(DhcpOption.REBINDING_TIME);
    repr.subnetMask = 0xffff0000; repr.include(DhcpOption.SUBNET_MASK);
    repr.broadcastAddress = 0x0a4dffff; repr.include(DhcpOption.BROADCAST);
    repr.router = 0x0a4d0001; repr.include(DhcpOption.ROUTER);
    repr.mtu = 1400; repr.include(DhcpOption.MTU);
    for (let i = 0; i < DHCP_MAX_DNS_SERVERS; i++) expect<bool>(repr.addDnsServer(0x0a4d0101 + i)).toBe(true);
    expect<bool>(repr.addDnsServer(0x0a4d0109)).toBe(false);
    const n = repr.bufferLen;
    // 240 + 3 (type) + 5 * 6 (four-byte options) + 6 (router) + 18 (DNS) + 4 (MTU) + 1 (END)
    expect<i32>(n).toBe(308);
    const out = scratch(n);
    expect<i32>(repr.emit(out, n)).toBe(n);
    const back = new DhcpRepr();
    expect<i32>(parseMem(out, n, back)).toBe(WireError.Ok);
    expect<u8>(back.op).toBe(DhcpOp.REPLY);
    expect<u8>(back.hops).toBe(1);
    expect<u32>(back.giaddr).toBe(0x0a4d00fe);
    expect<u32>(back.yiaddr).toBe(0x0a4d0032);
    expect<u32>(back.leaseTime).toBe(86400);
    expect<u32>(back.renewalTime).toBe(43200);
    expect<u32>(back.rebindingTime).toBe(75600);
    expect<u32>(back.subnetMask).toBe(0xffff0000);
    expect<u32>(back.broadcastAddress).toBe(0x0a4dffff);
    expect<u32>(back.router).toBe(0x0a4d0001);
    expect<u16>(back.mtu).toBe(1400);
    expect<i32>(back.dnsServerCount).toBe(4);
    expect<u32>(back.dnsServers[3]).toBe(0x0a4d0104);
    expect<u64>(back.present).toBe(repr.present);
  });

  it("rejects every truncation of the real OFFER and ACK without trapping", () => {
    const repr = new DhcpRepr();
    const offer = hexBytes(OFFER);
    for (let len = 0; len <= OFFER_END_OFFSET; len++) {
      const r = parseMem(offer, len, repr);
      expect<i32>(r).toBe(len < DHCP_OPTIONS_OFFSET ? WireError.Truncated : WireError.Malformed);
    }
    // The PAD bytes after END are not needed.
    for (let len = OFFER_END_OFFSET + 1; len <= hexLen(OFFER); len++) {
      expect<i32>(parseMem(offer, len, repr)).toBe(WireError.Ok);
    }
    const ack = hexBytes(ACK);
    const ackLen = hexLen(ACK);
    for (let len = 0; len < ackLen; len++) expect<bool>(parseMem(ack, len, repr) < 0).toBe(true);
  });

  it("requires the END option", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(reply("35 01 02"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("35 01 02 00 00 00"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply(""), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("35 01 02 ff"), repr)).toBe(WireError.Ok);
    // PAD before and between options is skipped.
    expect<i32>(parseHex(reply("00 00 35 01 02 00 33 04 00 00 00 3c ff"), repr)).toBe(WireError.Ok);
    expect<u32>(repr.leaseTime).toBe(60);
  });

  it("rejects a bad magic cookie, a bad op and non-Ethernet hardware", () => {
    const repr = new DhcpRepr();
    const good = reply("35 01 02 ff");
    const n = hexLen(good);
    expect<i32>(parseHex(good, repr)).toBe(WireError.Ok);
    const p = hexBytes(good);
    store<u8>(p + 239, 0x64); // cookie 99.130.83.100
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Malformed);
    store<u8>(p + 239, 0x63);
    store<u8>(p + 0, 3); // op 3
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Malformed);
    store<u8>(p + 0, 0);
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Malformed);
    store<u8>(p + 0, 2);
    store<u8>(p + 1, 6); // IEEE 802 token ring
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Unsupported);
    store<u8>(p + 1, 1);
    store<u8>(p + 2, 16); // 16-byte hardware address
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Unsupported);
    store<u8>(p + 2, 6);
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Ok);
  });

  it("rejects known options with a wrong length", () => {
    const repr = new DhcpRepr();
    const bad = [
      "01 03 ff ff ff ff",          // subnet mask, 3 bytes
      "01 05 ff ff ff 00 00 ff",    // subnet mask, 5 bytes
      "35 02 01 01 ff",             // message type, 2 bytes
      "35 00 ff",                   // message type, empty
      "33 05 00 00 0e 10 00 ff",    // lease time, 5 bytes
      "3a 02 00 00 ff",             // T1, 2 bytes
      "3b 03 00 00 00 ff",          // T2, 3 bytes
      "36 02 0a 4d ff",             // server id, 2 bytes
      "32 08 0a 4d 00 01 0a 4d 00 02 ff", // requested ip, 8 bytes
      "03 06 0a 4d 00 01 0a 4d ff", // router, not a multiple of 4
      "03 00 ff",                   // router, empty
      "06 00 ff",                   // DNS servers, empty
      "06 07 0a 4d 00 01 0a 4d 00 ff", // DNS servers, 7 bytes
      "1a 04 00 00 05 dc ff",       // MTU, 4 bytes
      "1c 02 0a 4d ff",             // broadcast, 2 bytes
      "0c 00 ff",                   // host name, empty
      "3d 01 01 ff",                // client id, 1 byte
      "37 00 ff",                   // parameter request list, empty
      "34 02 01 01 ff",             // overload, 2 bytes
    ];
    for (let i = 0; i < bad.length; i++) {
      expect<i32>(parseHex(reply(bad[i]), repr)).toBe(WireError.Malformed);
    }
  });

  it("rejects an option whose length runs past the end", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(reply("35 01 02 0c 08 61 62 63"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("35 01 02 f0 ff"), repr)).toBe(WireError.Malformed); // unknown 240, len 255
    expect<i32>(parseHex(reply("35 01 02 f0"), repr)).toBe(WireError.Malformed); // code without length
  });

  it("skips unknown options and keeps the first router", () => {
    const repr = new DhcpRepr();
    // 15 domain name, 42 NTP, 119 search list: not decoded; 3 router with two addresses.
    const hex = reply("0f 04 74 65 73 74 2a 04 0a 4d 00 07 77 03 01 61 00 03 08 0a 4d 00 01 0a 4d 00 02 35 01 05 ff");
    expect<i32>(parseHex(hex, repr)).toBe(WireError.Ok);
    expect<u8>(repr.messageType).toBe(DhcpMessageType.ACK);
    expect<u32>(repr.router).toBe(0x0a4d0001);
    expect<bool>(repr.has(15)).toBe(false);
    expect<bool>(repr.has(DhcpOption.ROUTER)).toBe(true);
  });

  it("keeps the first four DNS servers and joins split lists (RFC 3396)", () => {
    const repr = new DhcpRepr();
    const five = reply("06 14 01 01 01 01 02 02 02 02 03 03 03 03 04 04 04 04 05 05 05 05 ff");
    expect<i32>(parseHex(five, repr)).toBe(WireError.Ok);
    expect<i32>(repr.dnsServerCount).toBe(DHCP_MAX_DNS_SERVERS);
    expect<u32>(repr.dnsServers[0]).toBe(0x01010101);
    expect<u32>(repr.dnsServers[3]).toBe(0x04040404);
    const split = reply("06 04 01 01 01 01 37 02 01 03 06 04 02 02 02 02 37 01 06 ff");
    expect<i32>(parseHex(split, repr)).toBe(WireError.Ok);
    expect<i32>(repr.dnsServerCount).toBe(2);
    expect<u32>(repr.dnsServers[1]).toBe(0x02020202);
    expect<i32>(repr.parameterRequestCount).toBe(3);
    expect<u8>(repr.parameterRequests[2]).toBe(6);
  });

  it("rejects a repeated fixed-size option and reports unsupported pieces", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(reply("33 04 00 00 00 3c 33 04 00 00 00 3c ff"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("35 01 01 35 01 03 ff"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("0c 01 61 0c 01 62 ff"), repr)).toBe(WireError.Unsupported);
    // Option overload (52) would move options into sname/file: documented as unsupported.
    expect<i32>(parseHex(reply("35 01 02 34 01 03 ff"), repr)).toBe(WireError.Unsupported);
  });

  it("checks the values of message type and MTU", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(reply("35 01 00 ff"), repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(reply("1a 02 00 43 ff"), repr)).toBe(WireError.Malformed); // MTU 67
    expect<i32>(parseHex(reply("1a 02 00 44 ff"), repr)).toBe(WireError.Ok);        // MTU 68
    expect<u16>(repr.mtu).toBe(68);
    expect<i32>(parseHex(reply("1a 02 05 dc ff"), repr)).toBe(WireError.Ok);
    expect<u16>(repr.mtu).toBe(1500);
  });

  it("clears options left from the previous parse", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(ACK, repr)).toBe(WireError.Ok);
    expect<i32>(parseHex(reply("35 01 06 ff"), repr)).toBe(WireError.Ok);
    expect<u8>(repr.messageType).toBe(DhcpMessageType.NAK);
    expect<bool>(repr.has(DhcpOption.HOST_NAME)).toBe(false);
    expect<i32>(repr.hostNameLen).toBe(0);
    expect<i32>(repr.dnsServerCount).toBe(0);
    expect<u32>(repr.leaseTime).toBe(0);
    expect<u32>(repr.yiaddr).toBe(0);
  });

  it("refuses to emit into a short buffer or from an impossible repr", () => {
    const repr = new DhcpRepr();
    expect<i32>(parseHex(ACK, repr)).toBe(WireError.Ok);
    const n = repr.bufferLen;
    const out = scratch(n);
    for (let len = 0; len < n; len++) expect<i32>(repr.emit(out, len)).toBe(WireError.BufferTooSmall);
    // Host name included but empty.
    repr.hostNameLen = 0;
    expect<i32>(repr.emit(out, n)).toBe(WireError.Malformed);
    repr.exclude(DhcpOption.HOST_NAME);
    // 305 less the 9-byte host name option is below the minimum, so it is padded to 300.
    expect<i32>(repr.emit(out, n)).toBe(DHCP_MIN_EMIT_LEN);
    repr.mtu = 40; repr.include(DhcpOption.MTU);
    expect<i32>(repr.emit(out, n)).toBe(WireError.Malformed);
    repr.exclude(DhcpOption.MTU);
    repr.op = 7;
    expect<i32>(repr.emit(out, n)).toBe(WireError.Malformed);
  });

  it("accepts the smallest message: fixed part, cookie and END", () => {
    const hex = reply("ff");
    const n = hexLen(hex);
    expect<i32>(n).toBe(DHCP_OPTIONS_OFFSET + 1);
    const p = hexBytes(hex);
    const repr = new DhcpRepr();
    expect<i32>(parseMem(p, n, repr)).toBe(WireError.Ok);
    expect<u8>(repr.messageType).toBe(0);
    expect<u64>(repr.present).toBe(0);
    expect<i32>(parseMem(p, n - 1, repr)).toBe(WireError.Malformed);
  });
});
