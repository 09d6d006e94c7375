import { UdpPacket, UdpRepr, UDP_HEADER_LEN, UDP_MAX_PAYLOAD_LEN } from "../../assembly/wire/udp";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "../../assembly/wire/ipv4";
import { checksumFinish, checksumPartial, pseudoHeaderSum } from "../../assembly/wire/checksum";
import { readU16, writeU16 } from "../../assembly/wire/bytes";
import { WireError } from "../../assembly/wire/error";
import { pinnedHex, hexLen, pinnedScratch, sameBytes } from "./helpers";

// Vectors captured on this machine with tcpdump; each is the UDP datagram (the IPv4 payload)
// unless named otherwise.
//
// Two network namespaces joined by a veth pair with tx checksum offload turned off on the sender
// (`ethtool -K wnhv1 tx off`), `tcpdump -i wnhv1` during python3 socket sendto() calls from
// 10.77.41.1:40001 to 10.77.41.2:40777: "wasmnet udp vector", then "odd" (odd length).
const VETH_IP = "45 00 00 2e 57 2f 40 00 40 11 7c f3 0a 4d 29 01 0a 4d 29 02 ";
const VETH_UDP =
  "9c 41 9f 49 00 1a 61 6c 77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 6f 72";
const VETH_ODD = "9c 41 9f 49 00 0b 8a 4b 6f 64 64";
const SRC: u32 = 0x0a4d2901; // 10.77.41.1
const DST: u32 = 0x0a4d2902; // 10.77.41.2
// `tcpdump -i lo -w lo.pcap` during a python3 sendto() of "wasmnet udp vector" to
// 127.0.0.1:40777. Loopback never computes UDP checksums (CHECKSUM_PARTIAL): the field holds only
// the pseudo-header sum 0xfe2d, as a device with checksum offload would receive it. tcpdump says
// the full checksum would be 0xb76d.
const LO_PARTIAL =
  "ae da 9f 49 00 1a fe 2d 77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 6f 72";
const LO_FULL_CHECKSUM: u16 = 0xb76d;
// `tcpdump -i lo` in a namespace, a python3 socket with SO_NO_CHECK set sending "no checksum" to
// 127.0.0.1:40778: the checksum field is zero.
const LO_NO_CHECKSUM = "99 45 9f 4a 00 13 00 00 6e 6f 20 63 68 65 63 6b 73 75 6d";
const LOCALHOST: u32 = 0x7f000001;
const PAYLOAD = "77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 6f 72"; // "wasmnet udp vector"

function parseAt(p: usize, len: i32, repr: UdpRepr, src: u32, dst: u32, verify: bool = true): i32 {
  const packet = new UdpPacket();
  const r = packet.check(p, len);
  if (r < 0) return r;
  return repr.parse(packet, src, dst, verify);
}

describe("udp", () => {
  it("parses the captured veth datagram and verifies its checksum", () => {
    const packet = new UdpPacket();
    const repr = new UdpRepr();
    const p = pinnedHex(VETH_UDP);
    expect<i32>(packet.check(p, 26)).toBe(WireError.Ok);
    expect<u16>(packet.length).toBe(26);
    expect<u16>(packet.checksum).toBe(0x616c);
    expect<bool>(packet.verifyChecksum(SRC, DST)).toBe(true);
    expect<i32>(repr.parse(packet, SRC, DST, true)).toBe(WireError.Ok);
    expect<u16>(repr.srcPort).toBe(40001);
    expect<u16>(repr.dstPort).toBe(40777);
    expect<usize>(repr.payloadPtr).toBe(p + 8);
    expect<i32>(repr.payloadLen).toBe(18);
    expect<bool>(sameBytes(repr.payloadPtr, pinnedHex(PAYLOAD), 18)).toBe(true);
  });

  it("verifies the captured odd-length datagram (last byte padded with zero)", () => {
    const repr = new UdpRepr();
    const p = pinnedHex(VETH_ODD);
    expect<i32>(parseAt(p, 11, repr, SRC, DST)).toBe(WireError.Ok);
    expect<i32>(repr.payloadLen).toBe(3);
    expect<u8>(load<u8>(repr.payloadPtr + 2)).toBe(0x64); // 'd'
  });

  it("parses the whole captured IPv4 datagram, then the UDP inside it, through Ethernet padding", () => {
    // The 46-byte datagram plus 14 bytes beyond it, as if the frame had been padded.
    const buf = pinnedHex(VETH_IP + VETH_UDP + " 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    const ip = new Ipv4Packet();
    const ipRepr = new Ipv4Repr();
    expect<i32>(ip.check(buf, 60)).toBe(WireError.Ok);
    expect<i32>(ipRepr.parse(ip, true)).toBe(WireError.Ok);
    expect<u8>(ipRepr.protocol).toBe(IpProtocol.UDP);
    const repr = new UdpRepr();
    expect<i32>(parseAt(ip.payloadPtr, ip.payloadLen, repr, ipRepr.src, ipRepr.dst)).toBe(WireError.Ok);
    expect<u16>(repr.dstPort).toBe(40777);
    expect<i32>(repr.payloadLen).toBe(18);
  });

  it("rejects the captured loopback checksum (pseudo-header only) unless trusted", () => {
    const repr = new UdpRepr();
    const p = pinnedHex(LO_PARTIAL);
    expect<i32>(parseAt(p, 26, repr, LOCALHOST, LOCALHOST, true)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(p, 26, repr, LOCALHOST, LOCALHOST, false)).toBe(WireError.Ok);
    expect<u16>(repr.srcPort).toBe(44762);
    // With the full checksum tcpdump computed, it verifies.
    writeU16(p + 6, LO_FULL_CHECKSUM);
    expect<i32>(parseAt(p, 26, repr, LOCALHOST, LOCALHOST, true)).toBe(WireError.Ok);
  });

  it("emits with checksum offload exactly as the kernel handed the datagram to loopback", () => {
    const repr = new UdpRepr();
    repr.srcPort = 44762; repr.dstPort = 40777;
    repr.payloadPtr = pinnedHex(PAYLOAD); repr.payloadLen = 18;
    const out = pinnedScratch(26);
    expect<i32>(repr.emit(out, 26, LOCALHOST, LOCALHOST, true)).toBe(26);
    expect<bool>(sameBytes(out, pinnedHex(LO_PARTIAL), 26)).toBe(true);
    // Without offload the same datagram gets tcpdump's full checksum.
    expect<i32>(repr.emit(out, 26, LOCALHOST, LOCALHOST, false)).toBe(26);
    expect<u16>(readU16(out + 6)).toBe(LO_FULL_CHECKSUM);
  });

  it("accepts the captured zero checksum (none sent, RFC 768) even when verifying", () => {
    const repr = new UdpRepr();
    const p = pinnedHex(LO_NO_CHECKSUM);
    expect<i32>(parseAt(p, 19, repr, LOCALHOST, LOCALHOST, true)).toBe(WireError.Ok);
    expect<i32>(repr.payloadLen).toBe(11);
    // Nothing to verify: damaged data is not detected, by definition.
    store<u8>(p + 10, 0x21);
    expect<i32>(parseAt(p, 19, repr, LOCALHOST, LOCALHOST, true)).toBe(WireError.Ok);
  });

  it("parse then emit reproduces both captured veth datagrams byte for byte", () => {
    const repr = new UdpRepr();
    const vectors = [VETH_UDP, VETH_ODD];
    for (let i = 0; i < vectors.length; i++) {
      const len = hexLen(vectors[i]);
      const p = pinnedHex(vectors[i]);
      expect<i32>(parseAt(p, len, repr, SRC, DST)).toBe(WireError.Ok);
      const out = pinnedScratch(len);
      expect<i32>(repr.bufferLen).toBe(len);
      expect<i32>(repr.emit(out, len, SRC, DST)).toBe(len);
      expect<bool>(sameBytes(out, p, len)).toBe(true);
    }
  });

  it("emit then parse gives back the same fields, payload copied or already in place", () => {
    const repr = new UdpRepr();
    repr.srcPort = 53; repr.dstPort = 65535;
    repr.payloadPtr = pinnedHex("01 02 03 04 05"); repr.payloadLen = 5;
    const out = pinnedScratch(13);
    expect<i32>(repr.emit(out, 13, 0xc0a80001, 0x08080808)).toBe(13);
    const back = new UdpRepr();
    expect<i32>(parseAt(out, 13, back, 0xc0a80001, 0x08080808)).toBe(WireError.Ok);
    expect<u16>(back.srcPort).toBe(53);
    expect<u16>(back.dstPort).toBe(65535);
    expect<i32>(back.payloadLen).toBe(5);
    expect<bool>(sameBytes(back.payloadPtr, repr.payloadPtr, 5)).toBe(true);
    // Payload already at ptr + 8 (written there by the socket layer): emitted as is.
    const inPlace = pinnedScratch(13);
    memory.copy(inPlace + 8, repr.payloadPtr, 5);
    repr.payloadPtr = inPlace + 8;
    expect<i32>(repr.emit(inPlace, 13, 0xc0a80001, 0x08080808)).toBe(13);
    expect<bool>(sameBytes(inPlace, out, 13)).toBe(true);
    // An empty datagram is legal.
    repr.payloadLen = 0;
    expect<i32>(repr.emit(out, 13, 0xc0a80001, 0x08080808)).toBe(UDP_HEADER_LEN);
    expect<i32>(parseAt(out, 8, back, 0xc0a80001, 0x08080808)).toBe(WireError.Ok);
    expect<i32>(back.payloadLen).toBe(0);
  });

  it("sends a computed checksum of zero as 0xffff (RFC 768), which verifies", () => {
    // Choose the last payload word so that the whole sum is 0xffff: the checksum computes to 0.
    const src: u32 = 0x0a000001;
    const dst: u32 = 0x0a000002;
    const buf = pinnedScratch(12);
    const repr = new UdpRepr();
    repr.srcPort = 1234; repr.dstPort = 4321; repr.payloadPtr = buf + 8; repr.payloadLen = 4;
    store<u8>(buf + 8, 0x12); store<u8>(buf + 9, 0x34);
    writeU16(buf + 10, 0);
    expect<i32>(repr.emit(buf, 12, src, dst)).toBe(12);
    // The checksum with a zero word is ~S; putting ~S in that word makes the sum 0xffff.
    writeU16(buf + 10, readU16(buf + 6));
    writeU16(buf + 6, 0);
    expect<u16>(checksumFinish(checksumPartial(buf, 12, pseudoHeaderSum(src, dst, 17, 12)))).toBe(0);
    expect<i32>(repr.emit(buf, 12, src, dst)).toBe(12);
    expect<u16>(readU16(buf + 6)).toBe(0xffff);
    const back = new UdpRepr();
    expect<i32>(parseAt(buf, 12, back, src, dst, true)).toBe(WireError.Ok);
  });

  it("rejects a Length field below the header as malformed", () => {
    const repr = new UdpRepr();
    for (let length: u16 = 0; length < 8; length++) {
      const p = pinnedHex(VETH_UDP);
      writeU16(p + 4, length);
      expect<i32>(parseAt(p, 26, repr, SRC, DST, false)).toBe(WireError.Malformed);
    }
  });

  it("bounds the payload by Length and rejects a Length beyond the IP payload", () => {
    const repr = new UdpRepr();
    // Two trailing bytes in the IP payload that the UDP Length does not cover.
    const p = pinnedHex(VETH_UDP + " aa bb");
    expect<i32>(parseAt(p, 28, repr, SRC, DST)).toBe(WireError.Ok);
    expect<i32>(repr.payloadLen).toBe(18);
    const q = pinnedHex(VETH_UDP);
    writeU16(q + 4, 27);
    expect<i32>(parseAt(q, 26, repr, SRC, DST, false)).toBe(WireError.Truncated);
    writeU16(q + 4, 0xffff);
    expect<i32>(parseAt(q, 26, repr, SRC, DST, false)).toBe(WireError.Truncated);
  });

  it("rejects every truncation of the captured datagrams", () => {
    const repr = new UdpRepr();
    const vectors = [VETH_UDP, VETH_ODD, LO_NO_CHECKSUM];
    for (let i = 0; i < vectors.length; i++) {
      const p = pinnedHex(vectors[i]);
      const full = hexLen(vectors[i]);
      for (let len = 0; len < full; len++) {
        expect<i32>(parseAt(p, len, repr, SRC, DST, false)).toBe(WireError.Truncated, "length " + len.toString());
      }
    }
  });

  it("rejects damaged data and a wrong pseudo-header", () => {
    const repr = new UdpRepr();
    const p = pinnedHex(VETH_UDP);
    expect<i32>(parseAt(p, 26, repr, SRC, 0x0a4d2903)).toBe(WireError.BadChecksum); // another dst
    expect<i32>(parseAt(p, 26, repr, DST, SRC)).toBe(WireError.Ok); // the sum is symmetric
    store<u8>(p + 25, 0x73); // "vectos"
    expect<i32>(parseAt(p, 26, repr, SRC, DST)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(p, 26, repr, SRC, DST, false)).toBe(WireError.Ok);
    const q = pinnedHex(VETH_UDP);
    store<u8>(q + 7, 0x6d); // checksum 0x616d
    expect<i32>(parseAt(q, 26, repr, SRC, DST)).toBe(WireError.BadChecksum);
  });

  it("refuses to emit into a short buffer or an unencodable length", () => {
    const repr = new UdpRepr();
    repr.srcPort = 1; repr.dstPort = 2;
    repr.payloadPtr = pinnedHex(PAYLOAD); repr.payloadLen = 18;
    for (let len = 0; len < 26; len++) {
      expect<i32>(repr.emit(pinnedScratch(26), len, SRC, DST)).toBe(WireError.BufferTooSmall);
    }
    repr.payloadLen = -1;
    expect<i32>(repr.emit(pinnedScratch(26), 26, SRC, DST)).toBe(WireError.Malformed);
    repr.payloadLen = UDP_MAX_PAYLOAD_LEN + 1;
    expect<i32>(repr.emit(pinnedScratch(26), 26, SRC, DST)).toBe(WireError.Malformed);
  });
});
