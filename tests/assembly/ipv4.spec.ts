import {
  Ipv4Packet, Ipv4Repr, IpProtocol, ipv4IsFragment, IPV4_HEADER_LEN, IPV4_MAX_HEADER_LEN,
  ipv4IsMulticast, ipv4IsClassE, ipv4IsThisNetwork,
} from "../../assembly/wire/ipv4";
import { internetChecksum } from "../../assembly/wire/checksum";
import { writeU16 } from "../../assembly/wire/bytes";
import { WireError } from "../../assembly/wire/error";
import { pinnedHex, hexLen, pinnedScratch, sameBytes } from "./helpers";

// Vectors captured on this machine with tcpdump; each is the IPv4 datagram with the 14-byte
// Ethernet header stripped.
//
// `tcpdump -i lo -w lo.pcap` during `ping -c1 127.0.0.1`: the echo request.
const LO_ECHO_REQUEST =
  "45 00 00 54 7c c6 40 00 40 01 bf e0 7f 00 00 01 7f 00 00 01 08 00 f9 aa " +
  "0e d3 00 01 a7 c8 01 6b 00 00 00 00 7b 7a 0c 00 00 00 00 00 10 11 12 13 " +
  "14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b " +
  "2c 2d 2e 2f 30 31 32 33 34 35 36 37";
// Same capture, after a python3 socket sendto() of "wasmnet udp vector" to 127.0.0.1:40777
// (closed): the kernel's ICMP port unreachable, sent with TOS 0xc0 (DSCP CS6).
const LO_PORT_UNREACHABLE =
  "45 c0 00 4a 7c ea 00 00 40 01 ff 06 7f 00 00 01 7f 00 00 01 03 03 b4 6a " +
  "00 00 00 00 45 00 00 2e 3d f9 40 00 40 11 fe c3 7f 00 00 01 7f 00 00 01 " +
  "ae da 9f 49 00 1a fe 2d 77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 " +
  "6f 72";
// Two network namespaces joined by a veth pair, 10.77.41.1 <-> 10.77.41.2 (tx checksum offload
// off on wnhv1), captured with `tcpdump -i wnhv1` in the sender's namespace:
// - `ping -c1 -R 10.77.41.2`: an echo request with a record-route option, IHL 15.
const RR_ECHO_REQUEST =
  "4f 00 00 7c 6c 8f 40 00 40 01 01 f8 0a 4d 29 01 0a 4d 29 02 01 07 27 08 " +
  "0a 4d 29 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
  "00 00 00 00 00 00 00 00 00 00 00 00 08 00 7a b9 12 b6 00 01 d1 c8 01 6b " +
  "00 00 00 00 d3 88 05 00 00 00 00 00 10 11 12 13 14 15 16 17 18 19 1a 1b " +
  "1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 " +
  "34 35 36 37";
// - `ping -c1 -s 1600 -p 5a 10.77.41.2` over a 1500-byte MTU: two fragments. The first is
//   1500 bytes; its first 44 bytes are pasted here and the remaining 1456 (all 0x5a, the ping
//   pattern) are filled in by `firstFragment()`. The last fragment (offset 1480) is pasted whole.
const FIRST_FRAGMENT_HEAD =
  "45 00 05 dc 6c 91 20 00 40 01 81 f3 0a 4d 29 01 0a 4d 29 02 08 00 ec e1 " +
  "12 b8 00 01 d1 c8 01 6b 00 00 00 00 98 a9 05 00 00 00 00 00";
const FIRST_FRAGMENT_LEN = 1500;
const LAST_FRAGMENT_HEAD = "45 00 00 94 6c 91 00 b9 40 01 a6 82 0a 4d 29 01 0a 4d 29 02";
const LAST_FRAGMENT_LEN = 148;
// - `ping -c1 -t1 -s 8 10.77.42.5` (routed through a third namespace): TTL 1, 36 bytes, a
//   datagram that Ethernet pads to 46 bytes of payload.
const TTL1_ECHO_REQUEST =
  "45 00 00 24 25 5d 40 00 01 01 ec dc 0a 4d 29 01 0a 4d 2a 05 08 00 d8 a3 " +
  "13 4b 00 01 00 01 02 03 04 05 06 07";
// - a python3 sendto() of "wasmnet udp vector" from 10.77.41.1:40001 to 10.77.41.2:40777.
const VETH_UDP =
  "45 00 00 2e 57 2f 40 00 40 11 7c f3 0a 4d 29 01 0a 4d 29 02 9c 41 9f 49 " +
  "00 1a 61 6c 77 61 73 6d 6e 65 74 20 75 64 70 20 76 65 63 74 6f 72";

const LOCALHOST: u32 = 0x7f000001;
const IP_1: u32 = 0x0a4d2901; // 10.77.41.1
const IP_2: u32 = 0x0a4d2902; // 10.77.41.2

/** Fills `len` bytes: the pasted head, then the ping pattern byte up to `len`. */
function patterned(head: string, len: i32): usize {
  const p = pinnedScratch(len);
  const headLen = hexLen(head);
  memory.copy(p, pinnedHex(head), <usize>headLen);
  memory.fill(p + headLen, 0x5a, <usize>(len - headLen));
  return p;
}

/** Recomputes the header checksum after a test changed a header byte. */
function refreshChecksum(p: usize, headerLen: i32): void {
  writeU16(p + 10, 0);
  writeU16(p + 10, internetChecksum(p, headerLen));
}

function parseAt(p: usize, len: i32, repr: Ipv4Repr, verify: bool = true): i32 {
  const packet = new Ipv4Packet();
  const r = packet.check(p, len);
  if (r < 0) return r;
  return repr.parse(packet, verify);
}

describe("ipv4", () => {
  it("parses the captured loopback echo request", () => {
    const packet = new Ipv4Packet();
    const repr = new Ipv4Repr();
    const p = pinnedHex(LO_ECHO_REQUEST);
    expect<i32>(packet.check(p, 84)).toBe(WireError.Ok);
    expect<i32>(repr.parse(packet, true)).toBe(WireError.Ok);
    expect<u32>(repr.src).toBe(LOCALHOST);
    expect<u32>(repr.dst).toBe(LOCALHOST);
    expect<u8>(repr.protocol).toBe(IpProtocol.ICMP);
    expect<u8>(repr.ttl).toBe(64);
    expect<u8>(repr.dscp).toBe(0);
    expect<u8>(repr.ecn).toBe(0);
    expect<u16>(repr.ident).toBe(0x7cc6);
    expect<bool>(repr.dontFragment).toBe(true);
    expect<bool>(repr.moreFragments).toBe(false);
    expect<i32>(repr.fragmentOffset).toBe(0);
    expect<i32>(repr.payloadLen).toBe(64);
    expect<i32>(repr.optionsLen).toBe(0);
    expect<u16>(packet.checksum).toBe(0xbfe0);
    expect<u16>(packet.totalLen).toBe(84);
    expect<usize>(packet.payloadPtr).toBe(p + 20);
    expect<u8>(load<u8>(packet.payloadPtr)).toBe(8); // ICMP echo request type
  });

  it("splits the TOS byte of the captured ICMP error into DSCP CS6 and ECN 0", () => {
    const repr = new Ipv4Repr();
    expect<i32>(parseAt(pinnedHex(LO_PORT_UNREACHABLE), 74, repr)).toBe(WireError.Ok);
    expect<u8>(repr.dscp).toBe(48);
    expect<u8>(repr.ecn).toBe(0);
    expect<bool>(repr.dontFragment).toBe(false);
    expect<u16>(repr.ident).toBe(0x7cea);
    expect<i32>(repr.payloadLen).toBe(54);
    // ECN bits alone: TOS 0x03 is CE with DSCP 0.
    const p = pinnedHex(LO_PORT_UNREACHABLE);
    store<u8>(p + 1, 0x03);
    refreshChecksum(p, 20);
    expect<i32>(parseAt(p, 74, repr)).toBe(WireError.Ok);
    expect<u8>(repr.dscp).toBe(0);
    expect<u8>(repr.ecn).toBe(3);
  });

  it("skips the 40 bytes of options of a captured record-route ping", () => {
    const packet = new Ipv4Packet();
    const repr = new Ipv4Repr();
    const p = pinnedHex(RR_ECHO_REQUEST);
    expect<i32>(packet.check(p, 124)).toBe(WireError.Ok);
    expect<i32>(repr.parse(packet, true)).toBe(WireError.Ok);
    expect<i32>(packet.headerLen).toBe(IPV4_MAX_HEADER_LEN);
    expect<i32>(repr.optionsLen).toBe(40);
    expect<usize>(packet.optionsPtr).toBe(p + 20);
    expect<u8>(load<u8>(packet.optionsPtr)).toBe(0x01); // NOP
    expect<u8>(load<u8>(packet.optionsPtr + 1)).toBe(0x07); // record route
    expect<usize>(packet.payloadPtr).toBe(p + 60);
    expect<u8>(load<u8>(packet.payloadPtr)).toBe(8); // ICMP echo request, after the options
    expect<i32>(repr.payloadLen).toBe(64);
    expect<u32>(repr.src).toBe(IP_1);
    expect<u32>(repr.dst).toBe(IP_2);
  });

  it("covers options with the header checksum", () => {
    const repr = new Ipv4Repr();
    const p = pinnedHex(RR_ECHO_REQUEST);
    store<u8>(p + 40, 0x01); // inside the record-route option's empty slots
    expect<i32>(parseAt(p, 124, repr)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(p, 124, repr, false)).toBe(WireError.Ok);
  });

  it("recognises both captured fragments and a whole datagram", () => {
    const repr = new Ipv4Repr();
    const packet = new Ipv4Packet();
    const first = patterned(FIRST_FRAGMENT_HEAD, FIRST_FRAGMENT_LEN);
    expect<i32>(packet.check(first, FIRST_FRAGMENT_LEN)).toBe(WireError.Ok);
    expect<i32>(repr.parse(packet, true)).toBe(WireError.Ok);
    expect<bool>(repr.moreFragments).toBe(true);
    expect<i32>(repr.fragmentOffset).toBe(0);
    expect<i32>(repr.payloadLen).toBe(1480);
    expect<bool>(repr.isFragment).toBe(true);
    expect<bool>(packet.isFragment).toBe(true);

    const last = patterned(LAST_FRAGMENT_HEAD, LAST_FRAGMENT_LEN);
    expect<i32>(packet.check(last, LAST_FRAGMENT_LEN)).toBe(WireError.Ok);
    expect<i32>(repr.parse(packet, true)).toBe(WireError.Ok);
    expect<bool>(repr.moreFragments).toBe(false);
    expect<i32>(repr.fragmentOffset).toBe(1480);
    expect<i32>(repr.payloadLen).toBe(128);
    expect<u16>(repr.ident).toBe(0x6c91);
    expect<bool>(repr.isFragment).toBe(true);
    expect<bool>(packet.isFragment).toBe(true);

    expect<i32>(packet.check(pinnedHex(LO_ECHO_REQUEST), 84)).toBe(WireError.Ok);
    expect<bool>(packet.isFragment).toBe(false);
    expect<bool>(ipv4IsFragment(false, 0)).toBe(false);
    expect<bool>(ipv4IsFragment(true, 0)).toBe(true);
    expect<bool>(ipv4IsFragment(false, 8)).toBe(true);
  });

  it("bounds the payload by Total Length when Ethernet padding follows", () => {
    // The 36-byte TTL-1 datagram followed by the 10 zero bytes of padding a 60-byte frame adds.
    const padded = TTL1_ECHO_REQUEST + " 00 00 00 00 00 00 00 00 00 00";
    const packet = new Ipv4Packet();
    const repr = new Ipv4Repr();
    expect<i32>(packet.check(pinnedHex(padded), 46)).toBe(WireError.Ok);
    expect<i32>(packet.len).toBe(36);
    expect<i32>(repr.parse(packet, true)).toBe(WireError.Ok);
    expect<i32>(repr.payloadLen).toBe(16);
    expect<i32>(packet.payloadLen).toBe(16);
    expect<u8>(repr.ttl).toBe(1);
    expect<u32>(repr.dst).toBe(0x0a4d2a05);
  });

  it("rejects a bad header checksum unless the frame is trusted", () => {
    const repr = new Ipv4Repr();
    const badSum = pinnedHex(LO_ECHO_REQUEST);
    store<u8>(badSum + 11, 0xe1);
    expect<i32>(parseAt(badSum, 84, repr, true)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(badSum, 84, repr, false)).toBe(WireError.Ok);
    // A changed field under an unchanged checksum: TTL 64 -> 63.
    const badTtl = pinnedHex(LO_ECHO_REQUEST);
    store<u8>(badTtl + 8, 63);
    expect<i32>(parseAt(badTtl, 84, repr, true)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(badTtl, 84, repr, false)).toBe(WireError.Ok);
    expect<u8>(repr.ttl).toBe(63);
  });

  it("rejects every truncation of a plain and of an options-bearing datagram", () => {
    const repr = new Ipv4Repr();
    const plain = pinnedHex(LO_ECHO_REQUEST);
    for (let len = 0; len < 84; len++) {
      expect<i32>(parseAt(plain, len, repr)).toBe(WireError.Truncated, "plain length " + len.toString());
    }
    const options = pinnedHex(RR_ECHO_REQUEST);
    for (let len = 0; len < 124; len++) {
      expect<i32>(parseAt(options, len, repr)).toBe(WireError.Truncated, "options length " + len.toString());
    }
  });

  it("rejects versions other than 4 as malformed", () => {
    const repr = new Ipv4Repr();
    const versions: u8[] = [0, 5, 6, 15];
    for (let i = 0; i < versions.length; i++) {
      const p = pinnedHex(LO_ECHO_REQUEST);
      store<u8>(p, (versions[i] << 4) | 5);
      expect<i32>(parseAt(p, 84, repr, false)).toBe(WireError.Malformed);
    }
  });

  it("rejects an IHL below 5 as malformed", () => {
    const repr = new Ipv4Repr();
    for (let ihl: u8 = 0; ihl < 5; ihl++) {
      const p = pinnedHex(LO_ECHO_REQUEST);
      store<u8>(p, 0x40 | ihl);
      expect<i32>(parseAt(p, 84, repr, false)).toBe(WireError.Malformed);
    }
  });

  it("rejects a Total Length shorter than the header as malformed", () => {
    const repr = new Ipv4Repr();
    const lengths: u16[] = [0, 1, 19];
    for (let i = 0; i < lengths.length; i++) {
      const p = pinnedHex(LO_ECHO_REQUEST);
      writeU16(p + 2, lengths[i]);
      expect<i32>(parseAt(p, 84, repr, false)).toBe(WireError.Malformed);
    }
    // 40 is enough for a plain header but not for this 60-byte one.
    const rr = pinnedHex(RR_ECHO_REQUEST);
    writeU16(rr + 2, 40);
    expect<i32>(parseAt(rr, 124, repr, false)).toBe(WireError.Malformed);
  });

  it("rejects a Total Length or IHL beyond the received bytes as truncated", () => {
    const repr = new Ipv4Repr();
    const p = pinnedHex(LO_ECHO_REQUEST);
    writeU16(p + 2, 85);
    refreshChecksum(p, 20);
    expect<i32>(parseAt(p, 84, repr)).toBe(WireError.Truncated);
    writeU16(p + 2, 0xffff);
    refreshChecksum(p, 20);
    expect<i32>(parseAt(p, 84, repr)).toBe(WireError.Truncated);
    // IHL 15 (60 bytes) in a 40-byte buffer.
    const q = pinnedHex(LO_ECHO_REQUEST);
    store<u8>(q, 0x4f);
    expect<i32>(parseAt(q, 40, repr, false)).toBe(WireError.Truncated);
  });

  it("rejects a fragment that would end beyond 65535 bytes (ping of death)", () => {
    const out = new Ipv4Repr();
    out.src = IP_1; out.dst = IP_2; out.protocol = IpProtocol.ICMP;
    out.fragmentOffset = 0x1fff * 8; // 65528, the largest offset
    out.payloadLen = 8;
    const buf = pinnedScratch(28);
    expect<i32>(out.emit(buf, 28)).toBe(20);
    const repr = new Ipv4Repr();
    expect<i32>(parseAt(buf, 28, repr)).toBe(WireError.Malformed);
    // Ending exactly at 65535 is legal.
    out.payloadLen = 7;
    expect<i32>(out.emit(buf, 28)).toBe(20);
    expect<i32>(parseAt(buf, 27, repr)).toBe(WireError.Ok);
    expect<i32>(repr.fragmentOffset).toBe(65528);
  });

  it("ignores the reserved flag bit on receipt", () => {
    const repr = new Ipv4Repr();
    const p = pinnedHex(LO_ECHO_REQUEST);
    store<u8>(p + 6, 0xc0); // reserved + DF
    refreshChecksum(p, 20);
    expect<i32>(parseAt(p, 84, repr)).toBe(WireError.Ok);
    expect<bool>(repr.dontFragment).toBe(true);
    expect<bool>(repr.isFragment).toBe(false);
  });

  it("parse then emit reproduces the captured headers byte for byte", () => {
    const repr = new Ipv4Repr();
    const vectors = [LO_ECHO_REQUEST, LO_PORT_UNREACHABLE, TTL1_ECHO_REQUEST, VETH_UDP];
    for (let i = 0; i < vectors.length; i++) {
      const p = pinnedHex(vectors[i]);
      expect<i32>(parseAt(p, hexLen(vectors[i]), repr)).toBe(WireError.Ok);
      const out = pinnedScratch(IPV4_HEADER_LEN);
      expect<i32>(repr.emit(out, IPV4_HEADER_LEN)).toBe(IPV4_HEADER_LEN);
      expect<bool>(sameBytes(out, p, IPV4_HEADER_LEN)).toBe(true, "vector " + i.toString());
    }
    // The last fragment too: MF clear, offset 1480.
    const last = patterned(LAST_FRAGMENT_HEAD, LAST_FRAGMENT_LEN);
    expect<i32>(parseAt(last, LAST_FRAGMENT_LEN, repr)).toBe(WireError.Ok);
    const out = pinnedScratch(IPV4_HEADER_LEN);
    expect<i32>(repr.emit(out, IPV4_HEADER_LEN)).toBe(IPV4_HEADER_LEN);
    expect<bool>(sameBytes(out, last, IPV4_HEADER_LEN)).toBe(true);
  });

  it("emit then parse gives back the same fields", () => {
    const repr = new Ipv4Repr();
    repr.src = 0xc0a80001; repr.dst = 0x0a000002; repr.protocol = IpProtocol.TCP; repr.ttl = 17;
    repr.dscp = 46; repr.ecn = 2; repr.ident = 0xbeef; repr.dontFragment = false;
    repr.moreFragments = true; repr.fragmentOffset = 2960; repr.payloadLen = 100;
    const buf = pinnedScratch(repr.bufferLen);
    expect<i32>(repr.bufferLen).toBe(120);
    expect<i32>(repr.emit(buf, repr.bufferLen)).toBe(IPV4_HEADER_LEN);
    const back = new Ipv4Repr();
    expect<i32>(parseAt(buf, 120, back)).toBe(WireError.Ok);
    expect<u32>(back.src).toBe(repr.src);
    expect<u32>(back.dst).toBe(repr.dst);
    expect<u8>(back.protocol).toBe(repr.protocol);
    expect<u8>(back.ttl).toBe(repr.ttl);
    expect<u8>(back.dscp).toBe(repr.dscp);
    expect<u8>(back.ecn).toBe(repr.ecn);
    expect<u16>(back.ident).toBe(repr.ident);
    expect<bool>(back.dontFragment).toBe(false);
    expect<bool>(back.moreFragments).toBe(true);
    expect<i32>(back.fragmentOffset).toBe(2960);
    expect<i32>(back.payloadLen).toBe(100);
    expect<i32>(back.optionsLen).toBe(0);
  });

  it("leaves the checksum zero when the device offloads it", () => {
    const repr = new Ipv4Repr();
    const p = pinnedHex(VETH_UDP);
    expect<i32>(parseAt(p, 46, repr)).toBe(WireError.Ok);
    const out = pinnedScratch(46);
    memory.copy(out, p, 46);
    memory.fill(out, 0xee, 20);
    expect<i32>(repr.emit(out, 46, true)).toBe(IPV4_HEADER_LEN);
    expect<u8>(load<u8>(out + 10)).toBe(0);
    expect<u8>(load<u8>(out + 11)).toBe(0);
    expect<i32>(parseAt(out, 46, repr, true)).toBe(WireError.BadChecksum);
    expect<i32>(parseAt(out, 46, repr, false)).toBe(WireError.Ok);
    // Every other byte is what the full emit writes.
    store<u8>(out + 10, 0x7c); store<u8>(out + 11, 0xf3);
    expect<bool>(sameBytes(out, p, 46)).toBe(true);
  });

  it("refuses to emit into a short buffer or an unencodable header", () => {
    const repr = new Ipv4Repr();
    repr.src = IP_1; repr.dst = IP_2; repr.payloadLen = 10;
    for (let len = 0; len < IPV4_HEADER_LEN; len++) {
      expect<i32>(repr.emit(pinnedScratch(20), len)).toBe(WireError.BufferTooSmall);
    }
    const buf = pinnedScratch(20);
    repr.payloadLen = -1;
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.payloadLen = 65516; // 65536 with the header
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.payloadLen = 65515;
    expect<i32>(repr.emit(buf, 20)).toBe(IPV4_HEADER_LEN);
    repr.payloadLen = 10;
    repr.fragmentOffset = 12; // not a multiple of 8
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.fragmentOffset = 65536; // beyond 13 bits of 8-byte units
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.fragmentOffset = -8;
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.fragmentOffset = 0;
    repr.dscp = 64;
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
    repr.dscp = 0; repr.ecn = 4;
    expect<i32>(repr.emit(buf, 20)).toBe(WireError.Malformed);
  });
});

// ---------------------------------------------------------------------------------------------
// Options (RFC 791 3.1): End of Option List and No Operation are one octet; every other option
// has a length octet of at least 2 that must end within the header. Anything else is Malformed.

/** Bytes of payload after the header of an `withOptions` datagram. */
const OPTIONS_PAYLOAD_LEN: i32 = 8;

/**
 * A datagram (10.77.41.1 -> 10.77.41.2, ICMP) whose option area holds `options` and is
 * `areaLen` bytes long (a multiple of 4, zero-filled after the given bytes), with a valid checksum.
 */
function withOptions(options: u8[], areaLen: i32): usize {
  const headerLen = IPV4_HEADER_LEN + areaLen;
  const p = pinnedScratch(headerLen + OPTIONS_PAYLOAD_LEN);
  memory.copy(p, pinnedHex(TTL1_ECHO_REQUEST), <usize>IPV4_HEADER_LEN);
  store<u8>(p, <u8>(0x40 | (headerLen / 4)));
  writeU16(p + 2, <u16>(headerLen + OPTIONS_PAYLOAD_LEN));
  for (let i = 0; i < areaLen; i++) store<u8>(p + IPV4_HEADER_LEN + <usize>i, i < options.length ? options[i] : 0);
  memory.fill(p + <usize>headerLen, 0x5a, <usize>OPTIONS_PAYLOAD_LEN);
  refreshChecksum(p, headerLen);
  return p;
}

function parseOptions(options: u8[], areaLen: i32): i32 {
  const p = withOptions(options, areaLen);
  return parseAt(p, IPV4_HEADER_LEN + areaLen + OPTIONS_PAYLOAD_LEN, new Ipv4Repr());
}

describe("ipv4 options", () => {
  it("accepts well-formed option lists", () => {
    // Record route as Linux sends it (NOP, RR length 39, pointer 4), filling the 40 bytes.
    const rr = pinnedHex(RR_ECHO_REQUEST);
    const packet = new Ipv4Packet();
    expect<i32>(packet.check(rr, 124)).toBe(WireError.Ok);
    expect<i32>(packet.checkOptions()).toBe(WireError.Ok);
    expect<i32>(parseOptions([0, 0, 0, 0], 4)).toBe(WireError.Ok); // EOL and padding
    expect<i32>(parseOptions([1, 1, 1, 1], 4)).toBe(WireError.Ok); // NOPs only
    expect<i32>(parseOptions([1, 1, 1, 0], 4)).toBe(WireError.Ok);
    // Router alert (RFC 2113): type 148, length 4, value 0.
    expect<i32>(parseOptions([148, 4, 0, 0], 4)).toBe(WireError.Ok);
    // An option of length 2 (no data) then EOL.
    expect<i32>(parseOptions([0x99, 2, 0, 0], 4)).toBe(WireError.Ok);
    // After EOL, bytes that would be malformed options are padding and not read.
    expect<i32>(parseOptions([0, 7, 200, 0], 4)).toBe(WireError.Ok);
    // An option ending exactly at the end of a 40-byte area.
    expect<i32>(parseOptions([1, 7, 39, 4], 40)).toBe(WireError.Ok);
  });

  it("rejects an option length below 2, past the header, or missing", () => {
    expect<i32>(parseOptions([7, 0, 0, 0], 4)).toBe(WireError.Malformed); // length 0
    expect<i32>(parseOptions([7, 1, 0, 0], 4)).toBe(WireError.Malformed); // length 1
    expect<i32>(parseOptions([7, 5, 4, 0], 4)).toBe(WireError.Malformed); // one past the header
    expect<i32>(parseOptions([1, 7, 40, 4], 40)).toBe(WireError.Malformed); // record route past
    expect<i32>(parseOptions([7, 255, 4, 0], 4)).toBe(WireError.Malformed);
    expect<i32>(parseOptions([1, 1, 1, 7], 4)).toBe(WireError.Malformed); // no room for a length
    // A valid option followed by a broken one.
    expect<i32>(parseOptions([148, 4, 0, 0, 68, 1, 0, 0], 8)).toBe(WireError.Malformed);
    // The view says why: the shape of the options.
    const p = withOptions([7, 1, 0, 0], 4);
    const packet = new Ipv4Packet();
    expect<i32>(packet.check(p, 32)).toBe(WireError.Ok);
    expect<i32>(packet.checkOptions()).toBe(WireError.Malformed);
  });

  it("checks the checksum before the options", () => {
    const p = withOptions([7, 1, 0, 0], 4);
    store<u8>(p + 8, 9); // TTL changed, checksum not refreshed
    expect<i32>(parseAt(p, 32, new Ipv4Repr())).toBe(WireError.BadChecksum);
    // Trusted frames skip the checksum but not the option check.
    expect<i32>(parseAt(p, 32, new Ipv4Repr(), false)).toBe(WireError.Malformed);
  });
});

describe("ipv4 address classes", () => {
  it("tells multicast, class E and 0/8 apart from unicast", () => {
    expect<bool>(ipv4IsMulticast(0xe0000001)).toBe(true);
    expect<bool>(ipv4IsMulticast(0xefffffff)).toBe(true);
    expect<bool>(ipv4IsMulticast(0xdfffffff)).toBe(false);
    expect<bool>(ipv4IsMulticast(0xf0000000)).toBe(false);
    expect<bool>(ipv4IsClassE(0xf0000000)).toBe(true);
    expect<bool>(ipv4IsClassE(0xffffffff)).toBe(true);
    expect<bool>(ipv4IsClassE(0xefffffff)).toBe(false);
    expect<bool>(ipv4IsThisNetwork(0)).toBe(true);
    expect<bool>(ipv4IsThisNetwork(0x00ffffff)).toBe(true);
    expect<bool>(ipv4IsThisNetwork(0x01000000)).toBe(false);
  });
});
