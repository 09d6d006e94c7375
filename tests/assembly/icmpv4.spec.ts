import {
  Icmpv4Packet, Icmpv4Repr, Icmpv4Type, Icmpv4Unreachable, Icmpv4TimeExceeded, icmpv4IsError,
  ICMPV4_HEADER_LEN, ICMPV4_MAX_QUOTE_LEN,
} from "../../assembly/wire/icmpv4";
import { IPV4_HEADER_LEN, IPV4_MIN_REASSEMBLY_LEN } from "../../assembly/wire/ipv4";
import { internetChecksum } from "../../assembly/wire/checksum";
import { readU32, writeU16 } from "../../assembly/wire/bytes";
import { WireError } from "../../assembly/wire/error";
import { pinnedHex, hexLen, pinnedScratch, sameBytes } from "./helpers";

// Vectors captured on this machine with tcpdump. Each is an ICMP message: the IPv4 payload, with
// the Ethernet and IPv4 headers stripped.
//
// `tcpdump -i lo -w lo.pcap` during `ping -c1 127.0.0.1`: request and reply, id 0x0ed3, seq 1.
const ECHO_REQUEST =
  "08 00 f9 aa 0e d3 00 01 a7 c8 01 6b 00 00 00 00 7b 7a 0c 00 00 00 00 00 " +
  "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 " +
  "28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37";
const ECHO_REPLY =
  "00 00 01 ab 0e d3 00 01 a7 c8 01 6b 00 00 00 00 7b 7a 0c 00 00 00 00 00 " +
  "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 " +
  "28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37";
// Same capture: a python3 socket sendto() of "wasmnet udp vector" to 127.0.0.1:40777 (closed
// port; the whole 46-byte IPv4 datagram) and the kernel's port unreachable quoting all of it.
const UDP_DATAGRAM =
  "45 00 00 2e 3d f9 40 00 40 11 fe c3 7f 00 00 01 7f 00 00 01 ae da 9f 49 " +
  "00 1a fe 2d 77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 6f 72";
const PORT_UNREACHABLE = "03 03 b4 6a 00 00 00 00 " + UDP_DATAGRAM;
// Three namespaces, 10.77.41.1 - 10.77.41.2 (a router) - 10.77.42.5, veth pairs, captured with
// `tcpdump -i wnhv1` on 10.77.41.1:
// - `ping -c1 -t1 -s 8 10.77.42.5`: the router's time exceeded, quoting the 36-byte request.
const TTL1_REQUEST =
  "45 00 00 24 25 5d 40 00 01 01 ec dc 0a 4d 29 01 0a 4d 2a 05 08 00 d8 a3 " +
  "13 4b 00 01 00 01 02 03 04 05 06 07";
const TIME_EXCEEDED = "0b 00 f4 ff 00 00 00 00 " + TTL1_REQUEST;
// - `ping -c1 -M do -s 100 10.77.42.5` with the router's far link at MTU 96: fragmentation
//   needed, next-hop MTU 96 (0x0060), quoting the whole 128-byte request.
const BIG_REQUEST =
  "45 00 00 80 00 00 40 00 40 01 d2 dd 0a 4d 29 01 0a 4d 2a 05 08 00 51 13 " +
  "13 5f 00 01 de c8 01 6b 00 00 00 00 44 cb 0b 00 00 00 00 00 10 11 12 13 " +
  "14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b " +
  "2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 " +
  "44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b " +
  "5c 5d 5e 5f 60 61 62 63";
const FRAG_NEEDED = "03 04 fc 9b 00 00 00 60 " + BIG_REQUEST;

/** Recomputes the ICMP checksum after a test changed a byte. */
function refreshChecksum(p: usize, len: i32): void {
  writeU16(p + 2, 0);
  writeU16(p + 2, internetChecksum(p, len));
}

function parseAt(p: usize, len: i32, repr: Icmpv4Repr, verify: bool = true): i32 {
  const packet = new Icmpv4Packet();
  const r = packet.check(p, len);
  if (r < 0) return r;
  return repr.parse(packet, verify);
}

describe("icmpv4", () => {
  it("parses the captured echo request and reply", () => {
    const repr = new Icmpv4Repr();
    const req = pinnedHex(ECHO_REQUEST);
    expect<i32>(parseAt(req, 64, repr)).toBe(WireError.Ok);
    expect<u8>(repr.msgType).toBe(Icmpv4Type.ECHO_REQUEST);
    expect<u8>(repr.code).toBe(0);
    expect<u16>(repr.ident).toBe(0x0ed3);
    expect<u16>(repr.seqNo).toBe(1);
    expect<usize>(repr.dataPtr).toBe(req + 8);
    expect<i32>(repr.dataLen).toBe(56);
    expect<bool>(repr.isEcho).toBe(true);
    expect<bool>(repr.isError).toBe(false);
    const rep = pinnedHex(ECHO_REPLY);
    expect<i32>(parseAt(rep, 64, repr)).toBe(WireError.Ok);
    expect<u8>(repr.msgType).toBe(Icmpv4Type.ECHO_REPLY);
    expect<u16>(repr.ident).toBe(0x0ed3);
    expect<u16>(repr.seqNo).toBe(1);
    expect<i32>(repr.dataLen).toBe(56);
    expect<u8>(load<u8>(repr.dataPtr + 55)).toBe(0x37);
  });

  it("parse then emit reproduces the captured echo messages byte for byte", () => {
    const repr = new Icmpv4Repr();
    const vectors = [ECHO_REQUEST, ECHO_REPLY];
    for (let i = 0; i < vectors.length; i++) {
      const p = pinnedHex(vectors[i]);
      expect<i32>(parseAt(p, 64, repr)).toBe(WireError.Ok);
      const out = pinnedScratch(64);
      expect<i32>(repr.bufferLen).toBe(64);
      expect<i32>(repr.emit(out, 64)).toBe(64);
      expect<bool>(sameBytes(out, p, 64)).toBe(true);
    }
  });

  it("turns the captured request into the captured reply in place", () => {
    const repr = new Icmpv4Repr();
    const p = pinnedHex(ECHO_REQUEST);
    expect<i32>(parseAt(p, 64, repr)).toBe(WireError.Ok);
    repr.msgType = Icmpv4Type.ECHO_REPLY; // data already sits at p + 8: nothing to copy
    expect<i32>(repr.emit(p, 64)).toBe(64);
    expect<bool>(sameBytes(p, pinnedHex(ECHO_REPLY), 64)).toBe(true);
  });

  it("parses the captured port unreachable and exposes the quoted datagram", () => {
    const repr = new Icmpv4Repr();
    const p = pinnedHex(PORT_UNREACHABLE);
    expect<i32>(parseAt(p, 54, repr)).toBe(WireError.Ok);
    expect<u8>(repr.msgType).toBe(Icmpv4Type.DEST_UNREACHABLE);
    expect<u8>(repr.code).toBe(Icmpv4Unreachable.PORT);
    expect<u16>(repr.nextHopMtu).toBe(0);
    expect<bool>(repr.isError).toBe(true);
    expect<usize>(repr.dataPtr).toBe(p + 8);
    expect<i32>(repr.dataLen).toBe(46);
    expect<bool>(sameBytes(repr.dataPtr, pinnedHex(UDP_DATAGRAM), 46)).toBe(true);
  });

  it("parses the captured fragmentation-needed with its next-hop MTU (RFC 1191)", () => {
    const repr = new Icmpv4Repr();
    expect<i32>(parseAt(pinnedHex(FRAG_NEEDED), 136, repr)).toBe(WireError.Ok);
    expect<u8>(repr.msgType).toBe(Icmpv4Type.DEST_UNREACHABLE);
    expect<u8>(repr.code).toBe(Icmpv4Unreachable.FRAG_NEEDED);
    expect<u16>(repr.nextHopMtu).toBe(96);
    expect<i32>(repr.dataLen).toBe(128);
    expect<u32>(readU32(repr.dataPtr + 16)).toBe(0x0a4d2a05); // the quote's destination
  });

  it("parses the captured time exceeded", () => {
    const repr = new Icmpv4Repr();
    expect<i32>(parseAt(pinnedHex(TIME_EXCEEDED), 44, repr)).toBe(WireError.Ok);
    expect<u8>(repr.msgType).toBe(Icmpv4Type.TIME_EXCEEDED);
    expect<u8>(repr.code).toBe(Icmpv4TimeExceeded.TTL);
    expect<u16>(repr.nextHopMtu).toBe(0);
    expect<i32>(repr.dataLen).toBe(36);
    expect<bool>(sameBytes(repr.dataPtr, pinnedHex(TTL1_REQUEST), 36)).toBe(true);
  });

  it("emits the three captured errors from the original datagrams, byte for byte", () => {
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.DEST_UNREACHABLE; repr.code = Icmpv4Unreachable.PORT;
    repr.dataPtr = pinnedHex(UDP_DATAGRAM); repr.dataLen = 46;
    let out = pinnedScratch(54);
    expect<i32>(repr.emit(out, 54)).toBe(54);
    expect<bool>(sameBytes(out, pinnedHex(PORT_UNREACHABLE), 54)).toBe(true);

    repr.code = Icmpv4Unreachable.FRAG_NEEDED; repr.nextHopMtu = 96;
    repr.dataPtr = pinnedHex(BIG_REQUEST); repr.dataLen = 128;
    out = pinnedScratch(136);
    expect<i32>(repr.emit(out, 136)).toBe(136);
    expect<bool>(sameBytes(out, pinnedHex(FRAG_NEEDED), 136)).toBe(true);

    repr.msgType = Icmpv4Type.TIME_EXCEEDED; repr.code = Icmpv4TimeExceeded.TTL; repr.nextHopMtu = 0;
    repr.dataPtr = pinnedHex(TTL1_REQUEST); repr.dataLen = 36;
    out = pinnedScratch(44);
    expect<i32>(repr.emit(out, 44)).toBe(44);
    expect<bool>(sameBytes(out, pinnedHex(TIME_EXCEEDED), 44)).toBe(true);
  });

  it("builds an error in place over the datagram it quotes", () => {
    // The datagram sits where the ICMP message will go: the copy overlaps the header.
    const buf = pinnedScratch(54);
    memory.copy(buf, pinnedHex(UDP_DATAGRAM), 46);
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.DEST_UNREACHABLE; repr.code = Icmpv4Unreachable.PORT;
    repr.dataPtr = buf; repr.dataLen = 46;
    expect<i32>(repr.emit(buf, 54)).toBe(54);
    expect<bool>(sameBytes(buf, pinnedHex(PORT_UNREACHABLE), 54)).toBe(true);
  });

  it("writes the next-hop MTU only for fragmentation needed", () => {
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.DEST_UNREACHABLE; repr.code = Icmpv4Unreachable.HOST;
    repr.nextHopMtu = 1234;
    repr.dataPtr = pinnedHex(UDP_DATAGRAM); repr.dataLen = 28;
    const out = pinnedScratch(36);
    memory.fill(out, 0xee, 36);
    expect<i32>(repr.emit(out, 36)).toBe(36);
    expect<u32>(readU32(out + 4)).toBe(0);
    const back = new Icmpv4Repr();
    expect<i32>(parseAt(out, 36, back)).toBe(WireError.Ok);
    expect<u8>(back.code).toBe(Icmpv4Unreachable.HOST);
    expect<u16>(back.nextHopMtu).toBe(0);
  });

  it("caps a quoted datagram so the error stays within 576 bytes (RFC 1812 4.3.2.3)", () => {
    // A 1500-byte original: the captured big request's header and data, then filler.
    const original = pinnedScratch(1500);
    memory.fill(original, 0x5a, 1500);
    memory.copy(original, pinnedHex(BIG_REQUEST), 128);
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.DEST_UNREACHABLE; repr.code = Icmpv4Unreachable.FRAG_NEEDED;
    repr.nextHopMtu = 1280; repr.dataPtr = original; repr.dataLen = 1500;
    expect<i32>(repr.bufferLen).toBe(ICMPV4_HEADER_LEN + ICMPV4_MAX_QUOTE_LEN);
    expect<i32>(IPV4_HEADER_LEN + repr.bufferLen).toBe(IPV4_MIN_REASSEMBLY_LEN);
    const out = pinnedScratch(1600);
    memory.fill(out, 0xee, 1600);
    expect<i32>(repr.emit(out, 1600)).toBe(556);
    expect<u8>(load<u8>(out + 556)).toBe(0xee); // nothing written past the cap
    expect<bool>(sameBytes(out + 8, original, 548)).toBe(true);
    const back = new Icmpv4Repr();
    expect<i32>(parseAt(out, 556, back)).toBe(WireError.Ok);
    expect<u16>(back.nextHopMtu).toBe(1280);
    expect<i32>(back.dataLen).toBe(548);
    // Echo data is never capped.
    repr.msgType = Icmpv4Type.ECHO_REQUEST; repr.code = 0;
    expect<i32>(repr.bufferLen).toBe(1508);
  });

  it("rejects a bad checksum unless the frame is trusted", () => {
    const repr = new Icmpv4Repr();
    const vectors = [ECHO_REQUEST, PORT_UNREACHABLE, FRAG_NEEDED, TIME_EXCEEDED];
    for (let i = 0; i < vectors.length; i++) {
      const len = hexLen(vectors[i]);
      // Flip the last data byte: the checksum covers the data too.
      const p = pinnedHex(vectors[i]);
      store<u8>(p + len - 1, load<u8>(p + len - 1) ^ 0x40);
      expect<i32>(parseAt(p, len, repr, true)).toBe(WireError.BadChecksum);
      expect<i32>(parseAt(p, len, repr, false)).toBe(WireError.Ok);
      const q = pinnedHex(vectors[i]);
      store<u8>(q + 3, load<u8>(q + 3) ^ 1);
      expect<i32>(parseAt(q, len, repr, true)).toBe(WireError.BadChecksum);
    }
  });

  it("rejects every truncation of the captured messages", () => {
    const repr = new Icmpv4Repr();
    const vectors = [ECHO_REQUEST, PORT_UNREACHABLE, FRAG_NEEDED, TIME_EXCEEDED];
    for (let i = 0; i < vectors.length; i++) {
      const full = hexLen(vectors[i]);
      const p = pinnedHex(vectors[i]);
      for (let len = 0; len < ICMPV4_HEADER_LEN; len++) {
        expect<i32>(parseAt(p, len, repr)).toBe(WireError.Truncated);
      }
      // ICMP has no length field: a shorter message is caught by its checksum, or, when the
      // bytes cut off happen to sum to zero (a whole quoted datagram with valid checksums does),
      // by the quote being shorter than an IP header plus 8 bytes.
      for (let len = ICMPV4_HEADER_LEN; len < full; len++) {
        const r = parseAt(p, len, repr);
        const rejected = r == WireError.BadChecksum || (i > 0 && r == WireError.Truncated);
        expect<bool>(rejected).toBe(true, "vector " + i.toString() + " length " + len.toString());
      }
      // That case does occur: the frag-needed header alone verifies, as its quote sums to zero.
      expect<i32>(parseAt(pinnedHex(FRAG_NEEDED), ICMPV4_HEADER_LEN, repr)).toBe(WireError.Truncated);
    }
    // Trusted (unverified) errors still need their IP header and 8 bytes of quote (RFC 792).
    const pu = pinnedHex(PORT_UNREACHABLE);
    for (let len = ICMPV4_HEADER_LEN; len < 36; len++) {
      expect<i32>(parseAt(pu, len, repr, false)).toBe(WireError.Truncated);
    }
    expect<i32>(parseAt(pu, 36, repr, false)).toBe(WireError.Ok);
  });

  it("rejects an echo with a non-zero code as malformed", () => {
    const repr = new Icmpv4Repr();
    const codes: u8[] = [1, 3, 0xff];
    for (let i = 0; i < codes.length; i++) {
      const p = pinnedHex(ECHO_REQUEST);
      store<u8>(p + 1, codes[i]);
      refreshChecksum(p, 64);
      expect<i32>(parseAt(p, 64, repr)).toBe(WireError.Malformed);
    }
  });

  it("rejects an error whose quote is not an IPv4 header", () => {
    const repr = new Icmpv4Repr();
    // Quoted version 6.
    const v6 = pinnedHex(PORT_UNREACHABLE);
    store<u8>(v6 + 8, 0x65);
    refreshChecksum(v6, 54);
    expect<i32>(parseAt(v6, 54, repr)).toBe(WireError.Malformed);
    // Quoted IHL 4.
    const ihl = pinnedHex(TIME_EXCEEDED);
    store<u8>(ihl + 8, 0x44);
    refreshChecksum(ihl, 44);
    expect<i32>(parseAt(ihl, 44, repr)).toBe(WireError.Malformed);
    // Quoted IHL 15 (60 bytes) but only 36 bytes of quote: the 8 data bytes are missing.
    const long = pinnedHex(TIME_EXCEEDED);
    store<u8>(long + 8, 0x4f);
    refreshChecksum(long, 44);
    expect<i32>(parseAt(long, 44, repr)).toBe(WireError.Truncated);
  });

  it("parses other types to Unsupported, naming the type and code", () => {
    const repr = new Icmpv4Repr();
    // Timestamp (13), redirect (5, code 1), parameter problem (12), and an unassigned type.
    const types: u8[] = [13, 5, 12, 42];
    const codes: u8[] = [0, 1, 0, 7];
    for (let i = 0; i < types.length; i++) {
      const p = pinnedHex(PORT_UNREACHABLE);
      store<u8>(p, types[i]);
      store<u8>(p + 1, codes[i]);
      refreshChecksum(p, 54);
      expect<i32>(parseAt(p, 54, repr)).toBe(WireError.Unsupported);
      expect<u8>(repr.msgType).toBe(types[i]);
      expect<u8>(repr.code).toBe(codes[i]);
    }
  });

  it("emit then parse gives back an echo with odd-length data", () => {
    const data = pinnedHex("de ad be ef 01 02 03");
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.ECHO_REQUEST; repr.ident = 0xabcd; repr.seqNo = 0xfffe;
    repr.dataPtr = data; repr.dataLen = 7;
    const out = pinnedScratch(15);
    expect<i32>(repr.emit(out, 15)).toBe(15);
    const back = new Icmpv4Repr();
    expect<i32>(parseAt(out, 15, back)).toBe(WireError.Ok);
    expect<u8>(back.msgType).toBe(Icmpv4Type.ECHO_REQUEST);
    expect<u16>(back.ident).toBe(0xabcd);
    expect<u16>(back.seqNo).toBe(0xfffe);
    expect<i32>(back.dataLen).toBe(7);
    expect<bool>(sameBytes(back.dataPtr, data, 7)).toBe(true);
    // An echo with no data at all is legal too.
    repr.dataLen = 0;
    expect<i32>(repr.emit(out, 15)).toBe(8);
    expect<i32>(parseAt(out, 8, back)).toBe(WireError.Ok);
    expect<i32>(back.dataLen).toBe(0);
  });

  it("refuses to emit what it cannot or should not write", () => {
    const repr = new Icmpv4Repr();
    repr.msgType = Icmpv4Type.ECHO_REPLY;
    repr.dataPtr = pinnedHex(TTL1_REQUEST); repr.dataLen = 36;
    for (let len = 0; len < 44; len++) {
      expect<i32>(repr.emit(pinnedScratch(44), len)).toBe(WireError.BufferTooSmall);
    }
    repr.dataLen = -1;
    expect<i32>(repr.emit(pinnedScratch(44), 44)).toBe(WireError.Malformed);
    repr.dataLen = 65508; // 65536 bytes as an IPv4 datagram
    expect<i32>(repr.emit(pinnedScratch(44), 44)).toBe(WireError.Malformed);
    repr.dataLen = 36;
    repr.msgType = Icmpv4Type.TIMESTAMP;
    expect<i32>(repr.emit(pinnedScratch(44), 44)).toBe(WireError.Unsupported);
    repr.msgType = Icmpv4Type.REDIRECT;
    expect<i32>(repr.emit(pinnedScratch(44), 44)).toBe(WireError.Unsupported);
  });

  it("classifies error and query types (RFC 1122 3.2.2)", () => {
    expect<bool>(icmpv4IsError(Icmpv4Type.DEST_UNREACHABLE)).toBe(true);
    expect<bool>(icmpv4IsError(Icmpv4Type.TIME_EXCEEDED)).toBe(true);
    expect<bool>(icmpv4IsError(Icmpv4Type.PARAMETER_PROBLEM)).toBe(true);
    expect<bool>(icmpv4IsError(Icmpv4Type.REDIRECT)).toBe(true);
    expect<bool>(icmpv4IsError(Icmpv4Type.SOURCE_QUENCH)).toBe(true);
    expect<bool>(icmpv4IsError(Icmpv4Type.ECHO_REQUEST)).toBe(false);
    expect<bool>(icmpv4IsError(Icmpv4Type.ECHO_REPLY)).toBe(false);
    expect<bool>(icmpv4IsError(Icmpv4Type.TIMESTAMP)).toBe(false);
  });
});
