import {
  ArpPacket, ArpRepr, ArpOperation, ArpHardware, ARP_PACKET_LEN, ARP_PROTOCOL_IPV4,
} from "../../assembly/wire/arp";
import { WireError } from "../../assembly/wire/error";
import { pinnedHex, hexLen, pinnedScratch, sameBytes } from "./helpers";

// Real vectors, captured on this machine: two network namespaces (wnh1, wnh2) joined by a veth
// pair, 10.77.41.1/24 on wnhv1 (06:b6:61:2b:2e:4d) and 10.77.41.2/24 on wnhv2 (76:51:b7:fb:62:c6),
// `ip netns exec wnh1 tcpdump -i wnhv1 -w veth.pcap` during `ip netns exec wnh1 ping -c1 10.77.41.2`.
// The Ethernet header (14 bytes) is stripped; what follows is the ARP packet as captured. (The
// capture is on the sending side, so the frames were not yet padded to 60 bytes.)
const REQUEST = "00 01 08 00 06 04 00 01 06 b6 61 2b 2e 4d 0a 4d 29 01 00 00 00 00 00 00 0a 4d 29 02";
const REPLY = "00 01 08 00 06 04 00 02 76 51 b7 fb 62 c6 0a 4d 29 02 06 b6 61 2b 2e 4d 0a 4d 29 01";
const MAC_1: u64 = 0x06b6612b2e4d;
const MAC_2: u64 = 0x7651b7fb62c6;
const IP_1: u32 = 0x0a4d2901; // 10.77.41.1
const IP_2: u32 = 0x0a4d2902; // 10.77.41.2

/** A copy of `hex` with byte `index` replaced. */
function patched(hex: string, index: i32, value: u8): usize {
  const p = pinnedHex(hex);
  store<u8>(p + index, value);
  return p;
}

function parseAt(p: usize, len: i32, repr: ArpRepr): i32 {
  const packet = new ArpPacket();
  const r = packet.check(p, len);
  if (r < 0) return r;
  return repr.parse(packet);
}

describe("arp", () => {
  it("parses a captured request: who-has 10.77.41.2 tell 10.77.41.1", () => {
    const repr = new ArpRepr();
    expect<i32>(parseAt(pinnedHex(REQUEST), hexLen(REQUEST), repr)).toBe(WireError.Ok);
    expect<u16>(repr.operation).toBe(ArpOperation.REQUEST);
    expect<u64>(repr.senderMac).toBe(MAC_1);
    expect<u32>(repr.senderIp).toBe(IP_1);
    expect<u64>(repr.targetMac).toBe(0);
    expect<u32>(repr.targetIp).toBe(IP_2);
  });

  it("parses a captured reply: 10.77.41.2 is-at 76:51:b7:fb:62:c6", () => {
    const repr = new ArpRepr();
    expect<i32>(parseAt(pinnedHex(REPLY), hexLen(REPLY), repr)).toBe(WireError.Ok);
    expect<u16>(repr.operation).toBe(ArpOperation.REPLY);
    expect<u64>(repr.senderMac).toBe(MAC_2);
    expect<u32>(repr.senderIp).toBe(IP_2);
    expect<u64>(repr.targetMac).toBe(MAC_1);
    expect<u32>(repr.targetIp).toBe(IP_1);
  });

  it("exposes the raw header fields through the view", () => {
    const packet = new ArpPacket();
    expect<i32>(packet.check(pinnedHex(REPLY), 28)).toBe(WireError.Ok);
    expect<u16>(packet.hardwareType).toBe(ArpHardware.ETHERNET);
    expect<u16>(packet.protocolType).toBe(ARP_PROTOCOL_IPV4);
    expect<u8>(packet.hardwareLen).toBe(6);
    expect<u8>(packet.protocolLen).toBe(4);
    expect<u16>(packet.operation).toBe(2);
    expect<u64>(packet.senderMac).toBe(MAC_2);
    expect<u32>(packet.targetIp).toBe(IP_1);
  });

  it("accepts a request padded to the 60-byte Ethernet minimum (46 bytes of payload)", () => {
    // The captured request followed by 18 zero bytes of padding, as a NIC would send it.
    const padded = REQUEST + " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
    expect<i32>(hexLen(padded)).toBe(46);
    const packet = new ArpPacket();
    const repr = new ArpRepr();
    expect<i32>(packet.check(pinnedHex(padded), 46)).toBe(WireError.Ok);
    expect<i32>(packet.len).toBe(ARP_PACKET_LEN);
    expect<i32>(repr.parse(packet)).toBe(WireError.Ok);
    expect<u32>(repr.targetIp).toBe(IP_2);
  });

  it("parse then emit reproduces both captured packets byte for byte", () => {
    const repr = new ArpRepr();
    const vectors = [REQUEST, REPLY];
    for (let i = 0; i < vectors.length; i++) {
      const p = pinnedHex(vectors[i]);
      expect<i32>(parseAt(p, 28, repr)).toBe(WireError.Ok);
      const out = pinnedScratch(28);
      expect<i32>(repr.emit(out, 28)).toBe(28);
      expect<bool>(sameBytes(out, p, 28)).toBe(true);
    }
  });

  it("emit then parse gives back the same fields", () => {
    const repr = new ArpRepr();
    repr.operation = ArpOperation.REPLY;
    repr.senderMac = 0x02_00_00_00_00_2a;
    repr.senderIp = 0x0a4d0001;
    repr.targetMac = 0xfe_dc_ba_98_76_54;
    repr.targetIp = 0xc0a80101;
    const buf = pinnedScratch(repr.bufferLen);
    expect<i32>(repr.emit(buf, repr.bufferLen)).toBe(ARP_PACKET_LEN);
    const back = new ArpRepr();
    expect<i32>(parseAt(buf, ARP_PACKET_LEN, back)).toBe(WireError.Ok);
    expect<u16>(back.operation).toBe(repr.operation);
    expect<u64>(back.senderMac).toBe(repr.senderMac);
    expect<u32>(back.senderIp).toBe(repr.senderIp);
    expect<u64>(back.targetMac).toBe(repr.targetMac);
    expect<u32>(back.targetIp).toBe(repr.targetIp);
  });

  it("rejects every truncation of a valid packet", () => {
    const p = pinnedHex(REQUEST);
    const repr = new ArpRepr();
    for (let len = 0; len < ARP_PACKET_LEN; len++) {
      expect<i32>(parseAt(p, len, repr)).toBe(WireError.Truncated, "length " + len.toString());
    }
  });

  it("treats a hardware type other than Ethernet as unsupported", () => {
    const repr = new ArpRepr();
    // htype 6 (IEEE 802 networks) with otherwise Ethernet-sized fields.
    expect<i32>(parseAt(patched(REQUEST, 1, 6), 28, repr)).toBe(WireError.Unsupported);
    expect<i32>(parseAt(patched(REQUEST, 0, 1), 28, repr)).toBe(WireError.Unsupported);
  });

  it("treats a protocol other than IPv4 as unsupported", () => {
    const repr = new ArpRepr();
    const p = pinnedHex(REQUEST);
    store<u8>(p + 2, 0x86); store<u8>(p + 3, 0xdd); // ptype IPv6
    expect<i32>(parseAt(p, 28, repr)).toBe(WireError.Unsupported);
  });

  it("treats address lengths other than 6 and 4 as unsupported, even when short", () => {
    const repr = new ArpRepr();
    expect<i32>(parseAt(patched(REQUEST, 4, 8), 28, repr)).toBe(WireError.Unsupported);
    expect<i32>(parseAt(patched(REQUEST, 5, 16), 28, repr)).toBe(WireError.Unsupported);
    expect<i32>(parseAt(patched(REQUEST, 4, 0), 8, repr)).toBe(WireError.Unsupported);
  });

  it("rejects operations other than request and reply as malformed", () => {
    const repr = new ArpRepr();
    const ops: u8[] = [0, 3, 4, 8, 9, 0xff];
    for (let i = 0; i < ops.length; i++) {
      expect<i32>(parseAt(patched(REQUEST, 7, ops[i]), 28, repr)).toBe(WireError.Malformed);
    }
    // The high byte of the 16-bit operation counts too: 0x0101 is not a request.
    expect<i32>(parseAt(patched(REQUEST, 6, 1), 28, repr)).toBe(WireError.Malformed);
  });

  it("refuses to emit into a short buffer and writes nothing past 28 bytes", () => {
    const repr = new ArpRepr();
    repr.senderMac = MAC_1; repr.senderIp = IP_1; repr.targetIp = IP_2;
    for (let len = 0; len < ARP_PACKET_LEN; len++) {
      expect<i32>(repr.emit(pinnedScratch(32), len)).toBe(WireError.BufferTooSmall);
    }
    const buf = pinnedScratch(32);
    memory.fill(buf, 0xee, 32);
    expect<i32>(repr.emit(buf, 32)).toBe(ARP_PACKET_LEN);
    expect<bool>(sameBytes(buf, pinnedHex(REQUEST), 28)).toBe(true);
    for (let i = 28; i < 32; i++) expect<u8>(load<u8>(buf + i)).toBe(0xee);
  });

  it("a failed check leaves a view that reports no bytes", () => {
    const packet = new ArpPacket();
    expect<i32>(packet.check(pinnedHex(REQUEST), 28)).toBe(WireError.Ok);
    expect<i32>(packet.check(pinnedHex(REQUEST), 27)).toBe(WireError.Truncated);
    expect<i32>(packet.len).toBe(0);
    const repr = new ArpRepr();
    expect<i32>(repr.parse(packet)).toBe(WireError.Truncated);
  });
});
