import { IpProtocol } from "../../assembly/wire/ipv4";
import {
  TcpPacket, TcpRepr, TcpFlags, TCP_HEADER_LEN, TCP_MAX_HEADER_LEN,
} from "../../assembly/wire/tcp";
import { TCP_MAX_OPTIONS_LEN } from "../../assembly/wire/tcp_options";
import { WireError } from "../../assembly/wire/error";
import { readU8, readU16, readU32, writeU16 } from "../../assembly/wire/bytes";
import { checksumFinish, checksumPartial, pseudoHeaderSum } from "../../assembly/wire/checksum";
// Buffers come from the pinned helpers: the test build's GC may reuse unpinned scratch memory.
import { hexLen, pinnedHex as hex, pinnedScratch as mem, sameBytes } from "./helpers";

// ---------------------------------------------------------------------------------------------
// Real segments, IPv4 header + TCP, captured on this machine on loopback in a private network
// namespace (`unshare -n`), with
//   tcpdump -i lo -w y.pcap -U port 47123
// while a python3 script ran a socket server on 127.0.0.1:47123 and a client that connected,
// sent "ping\n", received "pong\n" and closed (Linux 6.x, default sysctls). The Ethernet header
// tcpdump adds on lo (all zeros, type 0800) is stripped.
//
// Linux leaves the TCP checksum of loopback traffic to "offload" (CHECKSUM_PARTIAL): the field
// holds only the pseudo-header sum (fe30 for a 40-byte segment between 127.0.0.1 and itself) and
// is never completed. The bytes below are exactly as captured; CORRECT_CHECKSUMS lists the
// values `tcpdump -vv` reported as correct for each segment ("incorrect -> 0x..."). The last
// segment, a pure ACK sent from the timer, went out with a full checksum already.
const CAPTURE: string[] = [
  // 0: client SYN, mss 65495, sackOK, TS val 2709843729 ecr 0, nop, wscale 10
  "45 00 00 3c 12 1b 40 00 40 06 2a 9f 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c0 00 00 00 00 " +
  "a0 02 ff d7 fe 30 00 00 02 04 ff d7 04 02 08 0a a1 84 ef 11 00 00 00 00 01 03 03 0a",
  // 1: server SYN-ACK, TS val 1291814802 ecr 2709843729
  "45 00 00 3c 00 00 40 00 40 06 3c ba 7f 00 00 01 7f 00 00 01 b8 13 b7 9c 97 3b 11 44 5d 7f 27 c1 " +
  "a0 12 ff cb fe 30 00 00 02 04 ff d7 04 02 08 0a 4c ff 87 92 a1 84 ef 11 01 03 03 0a",
  // 2: client ACK
  "45 00 00 34 12 1c 40 00 40 06 2a a6 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c1 97 3b 11 45 " +
  "80 10 00 40 fe 28 00 00 01 01 08 0a a1 84 ef 11 4c ff 87 92",
  // 3: client PSH|ACK with "ping\n"
  "45 00 00 39 12 1d 40 00 40 06 2a a0 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c1 97 3b 11 45 " +
  "80 18 00 40 fe 2d 00 00 01 01 08 0a a1 84 ef 11 4c ff 87 92 70 69 6e 67 0a",
  // 4: server ACK
  "45 00 00 34 ca b4 40 00 40 06 72 0d 7f 00 00 01 7f 00 00 01 b8 13 b7 9c 97 3b 11 45 5d 7f 27 c6 " +
  "80 10 00 40 fe 28 00 00 01 01 08 0a 4c ff 87 92 a1 84 ef 11",
  // 5: server PSH|ACK with "pong\n"
  "45 00 00 39 ca b5 40 00 40 06 72 07 7f 00 00 01 7f 00 00 01 b8 13 b7 9c 97 3b 11 45 5d 7f 27 c6 " +
  "80 18 00 40 fe 2d 00 00 01 01 08 0a 4c ff 87 92 a1 84 ef 11 70 6f 6e 67 0a",
  // 6: client ACK
  "45 00 00 34 12 1e 40 00 40 06 2a a4 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c6 97 3b 11 4a " +
  "80 10 00 40 fe 28 00 00 01 01 08 0a a1 84 ef 11 4c ff 87 92",
  // 7: client FIN|ACK
  "45 00 00 34 12 1f 40 00 40 06 2a a3 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c6 97 3b 11 4a " +
  "80 11 00 40 fe 28 00 00 01 01 08 0a a1 84 ef 77 4c ff 87 92",
  // 8: server ACK of the FIN
  "45 00 00 34 ca b6 40 00 40 06 72 0b 7f 00 00 01 7f 00 00 01 b8 13 b7 9c 97 3b 11 4a 5d 7f 27 c7 " +
  "80 10 00 40 fe 28 00 00 01 01 08 0a 4c ff 88 23 a1 84 ef 77",
  // 9: server FIN|ACK
  "45 00 00 34 ca b7 40 00 40 06 72 0a 7f 00 00 01 7f 00 00 01 b8 13 b7 9c 97 3b 11 4a 5d 7f 27 c7 " +
  "80 11 00 40 fe 28 00 00 01 01 08 0a 4c ff 88 5c a1 84 ef 77",
  // 10: client final ACK (checksum complete as captured)
  "45 00 00 34 00 00 40 00 40 06 3c c2 7f 00 00 01 7f 00 00 01 b7 9c b8 13 5d 7f 27 c7 97 3b 11 4b " +
  "80 10 00 40 74 41 00 00 01 01 08 0a a1 84 ef db 4c ff 88 5c",
];
const CORRECT_CHECKSUMS: u16[] = [
  0xca78, 0x4d62, 0x75e1, 0x8d03, 0x75dc, 0x8cf8, 0x75d7, 0x7570, 0x74df, 0x74a5, 0x7441,
];

// The same exchange captured again with `sysctl net.ipv4.tcp_ecn=1` set inside the namespace
// (tcpdump -w ecn.pcap): an ECN-setup SYN (ECE|CWR, RFC 3168 6.1.1) and its SYN-ACK (ECE).
// Checksums: partial sums as above; tcpdump reported d245 and 2302 as correct.
const ECN_SYN =
  "45 00 00 3c 98 3f 40 00 40 06 a4 7a 7f 00 00 01 7f 00 00 01 8b fa b8 13 45 6d 7e 93 00 00 00 00 " +
  "a0 c2 ff d7 fe 30 00 00 02 04 ff d7 04 02 08 0a 9d 0d d7 dc 00 00 00 00 01 03 03 0a";
const ECN_SYN_ACK =
  "45 00 00 3c 00 00 40 00 40 06 3c ba 7f 00 00 01 7f 00 00 01 b8 13 8b fa b3 8a 85 fb 45 6d 7e 94 " +
  "a0 52 ff cb fe 30 00 00 02 04 ff d7 04 02 08 0a 7a c8 fb 6f 9d 0d d7 dc 01 03 03 0a";

const LOCALHOST: u32 = 0x7f000001;
const CHECKSUM_FIELD: i32 = 16;

/** An IPv4 packet held in memory, split the way the IP layer will hand TCP its part. */
class Ip {
  ptr: usize;
  len: i32;
  constructor(h: string) { this.ptr = hex(h); this.len = hexLen(h); }
  get ihl(): i32 { return <i32>(readU8(this.ptr) & 0x0f) * 4; }
  get src(): u32 { return readU32(this.ptr + 12); }
  get dst(): u32 { return readU32(this.ptr + 16); }
  get tcp(): usize { return this.ptr + <usize>this.ihl; }
  /** IP total length minus IP header: the TCP segment length. */
  get tcpLen(): i32 { return <i32>readU16(this.ptr + 2) - this.ihl; }
}

/** A captured packet with its checksum field set to the value tcpdump called correct. */
function fixed(i: i32): Ip {
  const ip = new Ip(CAPTURE[i]);
  writeU16(ip.tcp + CHECKSUM_FIELD, CORRECT_CHECKSUMS[i]);
  return ip;
}

function parseIp(ip: Ip, repr: TcpRepr, verify: bool): i32 {
  const packet = new TcpPacket();
  const r = packet.check(ip.tcp, ip.tcpLen);
  if (r < 0) return r;
  return repr.parse(packet, ip.src, ip.dst, verify);
}

describe("tcp: captured Linux segments", () => {
  it("reads every header field and option of the SYN", () => {
    const ip = new Ip(CAPTURE[0]);
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    expect<i32>(ip.tcpLen).toBe(40);
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Ok);
    expect<i32>(packet.dataOffset).toBe(10);
    expect<i32>(packet.headerLen).toBe(40);
    expect<u16>(packet.checksum).toBe(0xfe30);
    expect<i32>(packet.optionsLen).toBe(20);
    expect<i32>(repr.parse(packet, ip.src, ip.dst, false)).toBe(WireError.Ok);
    expect<u16>(repr.srcPort).toBe(47004);
    expect<u16>(repr.dstPort).toBe(47123);
    expect<u32>(repr.seq).toBe(1568614336);
    expect<u32>(repr.ack).toBe(0);
    expect<u8>(repr.flags).toBe(TcpFlags.SYN);
    expect<bool>(repr.has(TcpFlags.SYN)).toBe(true);
    expect<bool>(repr.has(TcpFlags.ACK)).toBe(false);
    expect<u16>(repr.window).toBe(65495);
    expect<u16>(repr.urgentPointer).toBe(0);
    expect<bool>(repr.options.hasMss).toBe(true);
    expect<u16>(repr.options.mss).toBe(65495);
    expect<bool>(repr.options.sackPermitted).toBe(true);
    expect<bool>(repr.options.hasTimestamps).toBe(true);
    expect<u32>(repr.options.tsVal).toBe(2709843729);
    expect<u32>(repr.options.tsEcr).toBe(0);
    expect<bool>(repr.options.hasWindowScale).toBe(true);
    expect<u8>(repr.options.windowScale).toBe(10);
    expect<i32>(repr.options.sackCount).toBe(0);
    expect<i32>(repr.payloadLen).toBe(0);
    expect<usize>(repr.payloadPtr).toBe(ip.tcp + 40);
  });

  it("reads the SYN-ACK", () => {
    const repr = new TcpRepr();
    expect<i32>(parseIp(fixed(1), repr, true)).toBe(WireError.Ok);
    expect<u16>(repr.srcPort).toBe(47123);
    expect<u16>(repr.dstPort).toBe(47004);
    expect<u32>(repr.seq).toBe(2537230660);
    expect<u32>(repr.ack).toBe(1568614337);
    expect<u8>(repr.flags).toBe(TcpFlags.SYN | TcpFlags.ACK);
    expect<u16>(repr.window).toBe(65483);
    expect<u16>(repr.options.mss).toBe(65495);
    expect<bool>(repr.options.sackPermitted).toBe(true);
    expect<u32>(repr.options.tsVal).toBe(1291814802);
    expect<u32>(repr.options.tsEcr).toBe(2709843729);
    expect<u8>(repr.options.windowScale).toBe(10);
  });

  it("reads the data segment and finds its payload", () => {
    const ip = fixed(3);
    const repr = new TcpRepr();
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.Ok);
    expect<u32>(repr.seq).toBe(1568614337);
    expect<u32>(repr.ack).toBe(2537230661);
    expect<u8>(repr.flags).toBe(TcpFlags.PSH | TcpFlags.ACK);
    expect<u16>(repr.window).toBe(64);
    expect<bool>(repr.options.hasTimestamps).toBe(true);
    expect<bool>(repr.options.hasMss || repr.options.hasWindowScale || repr.options.sackPermitted).toBe(false);
    expect<i32>(repr.payloadLen).toBe(5);
    expect<usize>(repr.payloadPtr).toBe(ip.tcp + 32);
    expect<bool>(sameBytes(repr.payloadPtr, hex("70 69 6e 67 0a"), 5)).toBe(true);
  });

  it("reads both FINs", () => {
    const repr = new TcpRepr();
    expect<i32>(parseIp(fixed(7), repr, true)).toBe(WireError.Ok);
    expect<u8>(repr.flags).toBe(TcpFlags.FIN | TcpFlags.ACK);
    expect<u32>(repr.seq).toBe(1568614342);
    expect<u32>(repr.options.tsVal).toBe(2709843831);
    expect<i32>(parseIp(fixed(9), repr, true)).toBe(WireError.Ok);
    expect<u8>(repr.flags).toBe(TcpFlags.FIN | TcpFlags.ACK);
    expect<u16>(repr.srcPort).toBe(47123);
    expect<u32>(repr.ack).toBe(1568614343);
  });

  it("verifies the one segment captured with a complete checksum, untouched", () => {
    const ip = new Ip(CAPTURE[10]);
    const repr = new TcpRepr();
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.Ok);
    expect<u32>(repr.ack).toBe(2537230667);
  });

  it("rejects the offloaded (partial) checksums as captured unless the frame is trusted", () => {
    const repr = new TcpRepr();
    for (let i = 0; i < 10; i++) {
      const ip = new Ip(CAPTURE[i]);
      expect<i32>(parseIp(ip, repr, true)).toBe(WireError.BadChecksum, "segment " + i.toString());
      expect<i32>(parseIp(ip, repr, false)).toBe(WireError.Ok, "segment " + i.toString());
    }
  });

  it("agrees with tcpdump on every correct checksum", () => {
    const repr = new TcpRepr();
    for (let i = 0; i < CAPTURE.length; i++) {
      expect<i32>(parseIp(fixed(i), repr, true)).toBe(WireError.Ok, "segment " + i.toString());
    }
  });

  it("reads ECE and CWR on an ECN-setup SYN and ECE on its SYN-ACK", () => {
    const repr = new TcpRepr();
    expect<i32>(parseIp(new Ip(ECN_SYN), repr, false)).toBe(WireError.Ok);
    expect<u8>(repr.flags).toBe(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR);
    expect<u16>(repr.srcPort).toBe(35834);
    expect<u32>(repr.seq).toBe(1164803731);
    expect<u32>(repr.options.tsVal).toBe(2634930140);
    expect<i32>(parseIp(new Ip(ECN_SYN_ACK), repr, false)).toBe(WireError.Ok);
    expect<u8>(repr.flags).toBe(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE);
    expect<u32>(repr.ack).toBe(1164803732);
    expect<u32>(repr.options.tsEcr).toBe(2634930140);
  });

  it("parse then emit reproduces every captured segment byte for byte", () => {
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    for (let i = 0; i < CAPTURE.length; i++) {
      const ip = new Ip(CAPTURE[i]);
      const where = "segment " + i.toString();
      expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Ok, where);
      expect<i32>(repr.parse(packet, ip.src, ip.dst, false)).toBe(WireError.Ok, where);
      const out = mem(ip.tcpLen);
      expect<i32>(repr.headerLen).toBe(packet.headerLen, where);
      expect<i32>(repr.bufferLen).toBe(ip.tcpLen, where);
      memory.copy(out + <usize>repr.headerLen, repr.payloadPtr, repr.payloadLen);
      // Full checksum: the bytes tcpdump calls correct.
      expect<i32>(repr.emit(out, ip.tcpLen, ip.src, ip.dst, false)).toBe(ip.tcpLen, where);
      const good = fixed(i);
      expect<bool>(sameBytes(out, good.tcp, ip.tcpLen)).toBe(true, where);
      // Offloaded checksum: the partial sum Linux left in the field, i.e. the raw capture.
      if (i < 10) {
        expect<i32>(repr.emit(out, ip.tcpLen, ip.src, ip.dst, true)).toBe(ip.tcpLen, where);
        expect<bool>(sameBytes(out, ip.tcp, ip.tcpLen)).toBe(true, where);
      }
    }
  });

  it("rejects every truncation of the SYN as Truncated", () => {
    const ip = fixed(0);
    const packet = new TcpPacket();
    for (let len = 0; len < ip.tcpLen; len++) {
      expect<i32>(packet.check(ip.tcp, len)).toBe(WireError.Truncated, "length " + len.toString());
    }
  });

  it("rejects every truncation of the data segment: header Truncated, payload BadChecksum", () => {
    const ip = fixed(3);
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    for (let len = 0; len < ip.tcpLen; len++) {
      const where = "length " + len.toString();
      const r = packet.check(ip.tcp, len);
      if (len < 32) {
        expect<i32>(r).toBe(WireError.Truncated, where);
      } else {
        expect<i32>(r).toBe(WireError.Ok, where);
        expect<i32>(repr.parse(packet, ip.src, ip.dst, true)).toBe(WireError.BadChecksum, where);
      }
    }
  });
});

describe("tcp: malformed and corrupted segments", () => {
  it("rejects a flipped bit anywhere in header or payload", () => {
    const repr = new TcpRepr();
    const ip = fixed(3);
    for (let byte = 0; byte < ip.tcpLen; byte++) {
      if (byte == 12) continue; // the data offset: changes the header's shape, tested below
      for (let bit: u8 = 0; bit < 8; bit++) {
        const at = ip.tcp + <usize>byte;
        store<u8>(at, load<u8>(at) ^ (<u8>1 << bit));
        const r = parseIp(ip, repr, true);
        store<u8>(at, load<u8>(at) ^ (<u8>1 << bit));
        if (r != WireError.BadChecksum) {
          expect<i32>(r).toBe(WireError.BadChecksum, "byte " + byte.toString() + " bit " + bit.toString());
        }
      }
    }
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.Ok);
  });

  it("rejects a segment checked against the wrong addresses", () => {
    const ip = fixed(3);
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Ok);
    expect<bool>(packet.verifyChecksum(LOCALHOST, LOCALHOST)).toBe(true);
    expect<i32>(repr.parse(packet, 0x7f000002, LOCALHOST, true)).toBe(WireError.BadChecksum);
    expect<i32>(repr.parse(packet, LOCALHOST, 0x0a000001, true)).toBe(WireError.BadChecksum);
  });

  // A pure ACK the Linux kernel sent over a TAP device (tests/host/linux/, 10.77.185.1 to
  // 10.77.185.2): its checksum field is 0xffff where a fresh computation gives 0x0000. Both are
  // zero in one's complement (RFC 1624 section 3) and Linux's incremental updates produce either,
  // so the segment is valid and must not be dropped as a bad checksum.
  it("accepts a checksum of 0xffff where the computed one is 0x0000 (negative zero, from Linux)", () => {
    const ip = new Ip(
      "45 00 00 28 c8 1b 40 00 40 06 ec 16 0a 4d b9 01 0a 4d b9 02 " +
      "d8 ce 00 50 4c 58 85 57 05 73 78 af 50 10 00 46 ff ff 00 00");
    expect<u16>(readU16(ip.tcp + CHECKSUM_FIELD)).toBe(0xffff);
    const repr = new TcpRepr();
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.Ok);
    // The other form of the same zero verifies too.
    writeU16(ip.tcp + CHECKSUM_FIELD, 0x0000);
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.Ok);
    expect<u32>(repr.ack).toBe(0x057378af);
  });

  it("accepts a wrong checksum when told the frame is trusted", () => {
    const ip = fixed(3);
    writeU16(ip.tcp + CHECKSUM_FIELD, 0x1234);
    const repr = new TcpRepr();
    expect<i32>(parseIp(ip, repr, true)).toBe(WireError.BadChecksum);
    expect<i32>(parseIp(ip, repr, false)).toBe(WireError.Ok);
    expect<i32>(repr.payloadLen).toBe(5);
  });

  it("rejects a data offset below 5 as Malformed", () => {
    const ip = fixed(3);
    const packet = new TcpPacket();
    for (let off: u8 = 0; off < 5; off++) {
      store<u8>(ip.tcp + 12, off << 4);
      expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Malformed, off.toString());
    }
  });

  it("rejects a data offset past the end of the segment as Truncated", () => {
    const ip = fixed(2); // 32 bytes: data offset 8
    const packet = new TcpPacket();
    store<u8>(ip.tcp + 12, 9 << 4);
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Truncated);
    store<u8>(ip.tcp + 12, 15 << 4);
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Truncated);
    store<u8>(ip.tcp + 12, 8 << 4);
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Ok);
    expect<i32>(packet.payloadLen).toBe(0);
  });

  it("reports a malformed option through the header parse", () => {
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    // Captured ACK with its timestamp option's length byte set to 0, checksum not verified.
    const ip = new Ip(CAPTURE[2]);
    store<u8>(ip.tcp + 23, 0);
    expect<i32>(packet.check(ip.tcp, ip.tcpLen)).toBe(WireError.Ok);
    expect<i32>(repr.parse(packet, ip.src, ip.dst, false)).toBe(WireError.Malformed);
    // Length 12: runs past the 12-byte options area.
    store<u8>(ip.tcp + 23, 12);
    expect<i32>(repr.parse(packet, ip.src, ip.dst, false)).toBe(WireError.Malformed);
  });

  it("rejects port 0 on either side", () => {
    const repr = new TcpRepr();
    const a = new Ip(CAPTURE[2]);
    writeU16(a.tcp, 0);
    expect<i32>(parseIp(a, repr, false)).toBe(WireError.Malformed);
    const b = new Ip(CAPTURE[2]);
    writeU16(b.tcp + 2, 0);
    expect<i32>(parseIp(b, repr, false)).toBe(WireError.Malformed);
  });

  it("ignores the reserved bits on receipt", () => {
    const repr = new TcpRepr();
    const ip = new Ip(CAPTURE[3]);
    store<u8>(ip.tcp + 12, 0x8f); // data offset 8, all four reserved bits set
    expect<i32>(parseIp(ip, repr, false)).toBe(WireError.Ok);
    expect<u8>(repr.flags).toBe(TcpFlags.PSH | TcpFlags.ACK);
    expect<i32>(repr.payloadLen).toBe(5);
  });

  it("refuses to parse a view whose check failed", () => {
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    expect<i32>(packet.check(mem(4), 4)).toBe(WireError.Truncated);
    expect<i32>(repr.parse(packet, LOCALHOST, LOCALHOST, false)).toBe(WireError.Truncated);
  });

  it("never traps on random segments of every length up to 80", () => {
    const packet = new TcpPacket();
    const repr = new TcpRepr();
    const buf = mem(80);
    let x: u32 = 0x6b43a9b5;
    let parsed = 0;
    for (let round = 0; round < 20000; round++) {
      for (let i = 0; i < 80; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        store<u8>(buf + i, <u8>x);
      }
      // Give most rounds a plausible data offset and small option bytes so parse gets deep.
      store<u8>(buf + 12, <u8>((5 + (x % 11)) << 4));
      if (x & 1) for (let i = 20; i < 60; i++) store<u8>(buf + i, load<u8>(buf + i) & 0x0b);
      const len = <i32>((x >> 8) % 81);
      const r = packet.check(buf, len);
      if (r == WireError.Ok) {
        const p = repr.parse(packet, LOCALHOST, LOCALHOST, (x & 2) != 0);
        if (p == WireError.Ok) parsed++;
        else if (p != WireError.Malformed && p != WireError.BadChecksum) {
          expect<i32>(p).toBe(WireError.Malformed);
        }
      } else if (r != WireError.Truncated && r != WireError.Malformed) {
        expect<i32>(r).toBe(WireError.Truncated);
      }
    }
    expect<i32>(parsed).toBeGreaterThan(0);
  });
});

describe("tcp: emit", () => {
  it("round-trips fields, options and payload through emit and parse", () => {
    const repr = new TcpRepr();
    repr.srcPort = 49152; repr.dstPort = 80;
    repr.seq = 0xfffffff0; repr.ack = 0x80000001;
    repr.flags = TcpFlags.ACK | TcpFlags.PSH | TcpFlags.URG;
    repr.window = 0xabcd; repr.urgentPointer = 3;
    repr.options.hasTimestamps = true; repr.options.tsVal = 1; repr.options.tsEcr = 0xffffffff;
    repr.options.addSackBlock(100, 200);
    repr.options.addSackBlock(300, 400);
    repr.payloadLen = 7; // odd: the checksum pads the last byte
    expect<i32>(repr.headerLen).toBe(TCP_HEADER_LEN + 12 + 4 + 16);
    const total = repr.bufferLen;
    const buf = mem(total);
    memory.copy(buf + <usize>repr.headerLen, hex("01 02 03 04 05 06 07"), 7);
    const src: u32 = 0x0a000001, dst: u32 = 0x0a000002;
    expect<i32>(repr.emit(buf, total, src, dst, false)).toBe(total);

    const packet = new TcpPacket();
    const back = new TcpRepr();
    expect<i32>(packet.check(buf, total)).toBe(WireError.Ok);
    expect<i32>(back.parse(packet, src, dst, true)).toBe(WireError.Ok);
    expect<u16>(back.srcPort).toBe(49152);
    expect<u16>(back.dstPort).toBe(80);
    expect<u32>(back.seq).toBe(0xfffffff0);
    expect<u32>(back.ack).toBe(0x80000001);
    expect<u8>(back.flags).toBe(repr.flags);
    expect<u16>(back.window).toBe(0xabcd);
    expect<u16>(back.urgentPointer).toBe(3);
    expect<bool>(back.options.hasTimestamps).toBe(true);
    expect<u32>(back.options.tsEcr).toBe(0xffffffff);
    expect<i32>(back.options.sackCount).toBe(2);
    expect<u32>(back.options.sackRight(1)).toBe(400);
    expect<i32>(back.payloadLen).toBe(7);
    expect<bool>(sameBytes(back.payloadPtr, hex("01 02 03 04 05 06 07"), 7)).toBe(true);
  });

  it("writes a bare 20-byte header with data offset 5 and zero reserved bits", () => {
    const repr = new TcpRepr();
    repr.srcPort = 0x1234; repr.dstPort = 0x5678; repr.seq = 1; repr.ack = 2;
    repr.flags = TcpFlags.RST | TcpFlags.ACK; repr.window = 0;
    expect<i32>(repr.headerLen).toBe(20);
    const buf = mem(20);
    memory.fill(buf, 0xff, 20);
    expect<i32>(repr.emit(buf, 20, 0x0a000001, 0x0a000002, false)).toBe(20);
    const c = readU16(buf + 16);
    writeU16(buf + 16, 0);
    expect<bool>(sameBytes(buf,
      hex("12 34 56 78 00 00 00 01 00 00 00 02 50 14 00 00 00 00 00 00"), 20)).toBe(true);
    expect<u16>(c).toBe(checksumFinish(checksumPartial(buf, 20,
      pseudoHeaderSum(0x0a000001, 0x0a000002, IpProtocol.TCP, 20))));
  });

  it("leaves the pseudo-header sum for a device to complete when offloading", () => {
    const repr = new TcpRepr();
    repr.srcPort = 1000; repr.dstPort = 2000; repr.flags = TcpFlags.ACK; repr.payloadLen = 3;
    const full = mem(23);
    const partial = mem(23);
    store<u8>(full + 20, 0x61); store<u8>(full + 21, 0x62); store<u8>(full + 22, 0x63);
    memory.copy(partial, full, 23);
    expect<i32>(repr.emit(full, 23, 0xc0a80001, 0xc0a80002, false)).toBe(23);
    expect<i32>(repr.emit(partial, 23, 0xc0a80001, 0xc0a80002, true)).toBe(23);
    expect<u16>(readU16(partial + 16)).toBe(<u16>pseudoHeaderSum(0xc0a80001, 0xc0a80002, IpProtocol.TCP, 23));
    // What the device does (virtio NEEDS_CSUM): sum from the TCP header on, store the complement.
    writeU16(partial + 16, checksumFinish(checksumPartial(partial, 23)));
    expect<bool>(sameBytes(partial, full, 23)).toBe(true);
  });

  it("caps the header at 60 bytes by dropping SACK blocks, and reports it", () => {
    const repr = new TcpRepr();
    repr.srcPort = 1; repr.dstPort = 2; repr.flags = TcpFlags.SYN;
    repr.options.hasMss = true; repr.options.mss = 1460;
    repr.options.sackPermitted = true;
    repr.options.hasTimestamps = true;
    repr.options.hasWindowScale = true; repr.options.windowScale = 7;
    for (let i: u32 = 0; i < 4; i++) repr.options.addSackBlock(i, i + 1);
    expect<i32>(repr.headerLen).toBe(TCP_MAX_HEADER_LEN);
    expect<i32>(repr.options.sackBlocksDropped).toBe(2);
    const buf = mem(TCP_MAX_HEADER_LEN);
    expect<i32>(repr.emit(buf, TCP_MAX_HEADER_LEN, 1, 2, false)).toBe(TCP_MAX_HEADER_LEN);
    const packet = new TcpPacket();
    expect<i32>(packet.check(buf, TCP_MAX_HEADER_LEN)).toBe(WireError.Ok);
    expect<i32>(packet.dataOffset).toBe(15);
    expect<i32>(packet.optionsLen).toBe(TCP_MAX_OPTIONS_LEN);
    const back = new TcpRepr();
    expect<i32>(back.parse(packet, 1, 2, true)).toBe(WireError.Ok);
    expect<i32>(back.options.sackCount).toBe(2);
  });

  it("refuses a buffer shorter than header plus payload", () => {
    const repr = new TcpRepr();
    expect<i32>(parseIp(fixed(3), repr, true)).toBe(WireError.Ok);
    const buf = mem(37);
    for (let len = 0; len < 37; len++) {
      expect<i32>(repr.emit(buf, len, LOCALHOST, LOCALHOST, false)).toBe(WireError.BufferTooSmall);
    }
  });

  it("refuses a negative payload length", () => {
    const repr = new TcpRepr();
    repr.srcPort = 1; repr.dstPort = 2; repr.payloadLen = -1;
    expect<i32>(repr.emit(mem(60), 60, 1, 2, false)).toBe(WireError.Malformed);
  });

  it("names the flags by their RFC 9293 and RFC 3168 bit positions", () => {
    // tcpdump's letters for byte 13 read from the high bit down: W E U . P R S F.
    const names: u8[] = [TcpFlags.FIN, TcpFlags.SYN, TcpFlags.RST, TcpFlags.PSH,
      TcpFlags.ACK, TcpFlags.URG, TcpFlags.ECE, TcpFlags.CWR];
    for (let i: u8 = 0; i < 8; i++) expect<u8>(names[i]).toBe(<u8>1 << i);
  });
});
