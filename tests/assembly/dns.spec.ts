import {
  DnsPacket, DnsRepr, DnsType, DnsClass, DnsRcode, DNS_HEADER_LEN, DNS_MAX_ADDRESSES,
} from "../../assembly/wire/dns";
import { DNS_MAX_POINTER_JUMPS, DNS_MAX_NAME_TEXT_LEN } from "../../assembly/wire/dns_name";
import { WireError } from "../../assembly/wire/error";
import { hexBytes, hexLen, scratch, sameBytes } from "./helpers";

/** A string's UTF-8 bytes in pinned scratch memory (the helpers keep their buffers alive). */
function utf8(s: string): usize {
  const bytes = String.UTF8.encode(s);
  const p = scratch(bytes.byteLength);
  memory.copy(p, changetype<usize>(bytes), bytes.byteLength);
  return p;
}

// Real vectors. Captured on this machine: dnsmasq 2.90 listening on 127.0.0.1 port 5353 only
// (`--address=/example.test/127.0.0.5 --host-record=target.wasmnet.test,127.0.0.7
// --host-record=multi.wasmnet.test,127.0.0.8 --host-record=multi.wasmnet.test,127.0.0.9
// --cname=alias.wasmnet.test,target.wasmnet.test`), queried with `dig @127.0.0.1 -p 5353`,
// `tcpdump -i lo udp port 5353`; these are the UDP payloads, byte for byte.

// dig +noedns +noadflag www.example.test A
const QUERY_WWW = "17 58 01 00 00 01 00 00 00 00 00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 04 74 65 73 74 00 00 01 00 01";
// Its answer: one A record 127.0.0.5, TTL 0, owner compressed to the question (c0 0c).
const ANSWER_WWW =
  "17 58 85 80 00 01 00 01 00 00 00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 04 74 65 73 74 00 00 01 00 01 " +
  "c0 0c 00 01 00 01 00 00 00 00 00 04 7f 00 00 05";
// dig +noedns +noadflag alias.wasmnet.test A, and the answer: CNAME target.wasmnet.test, then
// its A record 127.0.0.7 owned by a pointer (c0 30) to the CNAME's rdata.
const QUERY_ALIAS = "bf 9d 01 00 00 01 00 00 00 00 00 00 05 61 6c 69 61 73 07 77 61 73 6d 6e 65 74 04 74 65 73 74 00 00 01 00 01";
const ANSWER_ALIAS =
  "bf 9d 85 80 00 01 00 02 00 00 00 00 05 61 6c 69 61 73 07 77 61 73 6d 6e 65 74 04 74 65 73 74 00 00 01 00 01 " +
  "c0 0c 00 05 00 01 00 00 00 00 00 15 06 74 61 72 67 65 74 07 77 61 73 6d 6e 65 74 04 74 65 73 74 00 " +
  "c0 30 00 01 00 01 00 00 00 00 00 04 7f 00 00 07";
// dig +noedns +noadflag multi.wasmnet.test A: two A records.
const ANSWER_MULTI =
  "60 2e 85 80 00 01 00 02 00 00 00 00 05 6d 75 6c 74 69 07 77 61 73 6d 6e 65 74 04 74 65 73 74 00 00 01 00 01 " +
  "c0 0c 00 01 00 01 00 00 00 00 00 04 7f 00 00 08 c0 0c 00 01 00 01 00 00 00 00 00 04 7f 00 00 09";
// Plain `dig www.example.test A`: AD flag and an EDNS OPT record (with a cookie) in the additional section.
const QUERY_EDNS =
  "1e f6 01 20 00 01 00 00 00 00 00 01 03 77 77 77 07 65 78 61 6d 70 6c 65 04 74 65 73 74 00 00 01 00 01 " +
  "00 00 29 04 d0 00 00 00 00 00 0c 00 0a 00 08 a9 f9 7f f1 81 6c 11 a4";
const ANSWER_EDNS =
  "1e f6 85 80 00 01 00 01 00 00 00 01 03 77 77 77 07 65 78 61 6d 70 6c 65 04 74 65 73 74 00 00 01 00 01 " +
  "c0 0c 00 01 00 01 00 00 00 00 00 04 7f 00 00 05 00 00 29 04 d0 00 00 00 00 00 00";
// dig +noedns nothere.wasmnet.test A: dnsmasq has no upstream, so REFUSED with no answer.
const ANSWER_REFUSED =
  "69 c1 81 85 00 01 00 00 00 00 00 00 07 6e 6f 74 68 65 72 65 07 77 61 73 6d 6e 65 74 04 74 65 73 74 00 00 01 00 01";

const REAL: string[] = [QUERY_WWW, ANSWER_WWW, QUERY_ALIAS, ANSWER_ALIAS, ANSWER_MULTI, QUERY_EDNS, ANSWER_EDNS, ANSWER_REFUSED];

// Hand-built messages below start from this response header (id 1, QR RD RA) and give their counts.
function header(qd: i32, an: i32, ns: i32, ar: i32): string {
  return "00 01 81 80 " + u16hex(qd) + u16hex(an) + u16hex(ns) + u16hex(ar);
}
function u16hex(v: i32): string {
  return byteHex(v >> 8) + byteHex(v & 0xff);
}
function byteHex(v: i32): string {
  const digits = "0123456789abcdef";
  return digits.charAt((v >> 4) & 15) + digits.charAt(v & 15) + " ";
}
/** A label of n copies of 'a' in wire form. */
function label(n: i32): string {
  return byteHex(n) + "61 ".repeat(n);
}
const QUESTION_WWW = "03 77 77 77 07 65 78 61 6d 70 6c 65 04 74 65 73 74 00 00 01 00 01";
/** An A record owned by the name at offset 12, 127.0.0.1, TTL 60. */
const A_AT_12 = "c0 0c 00 01 00 01 00 00 00 3c 00 04 7f 00 00 01";

function parseMem(ptr: usize, len: i32, repr: DnsRepr): i32 {
  const packet = new DnsPacket();
  const r = packet.check(ptr, len);
  if (r < 0) return r;
  return repr.parse(packet);
}
function parseHex(hex: string, repr: DnsRepr): i32 {
  return parseMem(hexBytes(hex), hexLen(hex), repr);
}
function questionName(repr: DnsRepr): string {
  return String.UTF8.decodeUnsafe(repr.questionNamePtr, repr.questionNameLen);
}
function cnameOf(repr: DnsRepr): string {
  return String.UTF8.decodeUnsafe(repr.cnamePtr, repr.cnameLen);
}
function setQuestion(repr: DnsRepr, name: string, qtype: u16): i32 {
  return repr.setQuestion(utf8(name), String.UTF8.byteLength(name), qtype, DnsClass.IN);
}

describe("dns", () => {
  it("parses a real query from dig", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(QUERY_WWW, repr)).toBe(WireError.Ok);
    expect<u16>(repr.id).toBe(0x1758);
    expect<bool>(repr.qr).toBe(false);
    expect<bool>(repr.rd).toBe(true);
    expect<bool>(repr.ad).toBe(false);
    expect<u16>(repr.qdCount).toBe(1);
    expect<bool>(repr.hasQuestion).toBe(true);
    expect<string>(questionName(repr)).toBe("www.example.test");
    expect<u16>(repr.qtype).toBe(DnsType.A);
    expect<u16>(repr.qclass).toBe(DnsClass.IN);
    expect<i32>(repr.addressCount).toBe(0);
  });

  it("parses a real A answer from dnsmasq", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(ANSWER_WWW, repr)).toBe(WireError.Ok);
    expect<bool>(repr.qr).toBe(true);
    expect<bool>(repr.aa).toBe(true);
    expect<bool>(repr.rd).toBe(true);
    expect<bool>(repr.ra).toBe(true);
    expect<bool>(repr.tc).toBe(false);
    expect<u8>(repr.opcode).toBe(0);
    expect<u8>(repr.rcode).toBe(DnsRcode.NO_ERROR);
    expect<u16>(repr.anCount).toBe(1);
    expect<string>(questionName(repr)).toBe("www.example.test");
    expect<i32>(repr.addressCount).toBe(1);
    expect<u32>(repr.addresses[0]).toBe(0x7f000005);
    expect<u32>(repr.ttls[0]).toBe(0);
    expect<i32>(repr.cnameLen).toBe(0);
  });

  it("follows a real CNAME chain to its address", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(ANSWER_ALIAS, repr)).toBe(WireError.Ok);
    expect<string>(questionName(repr)).toBe("alias.wasmnet.test");
    expect<string>(cnameOf(repr)).toBe("target.wasmnet.test");
    expect<i32>(repr.addressCount).toBe(1);
    expect<u32>(repr.addresses[0]).toBe(0x7f000007);
  });

  it("keeps every A record of a real two-address answer", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(ANSWER_MULTI, repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(2);
    expect<u32>(repr.addresses[0]).toBe(0x7f000008);
    expect<u32>(repr.addresses[1]).toBe(0x7f000009);
  });

  it("walks past EDNS records and reads a refusal", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(QUERY_EDNS, repr)).toBe(WireError.Ok);
    expect<bool>(repr.ad).toBe(true);
    expect<u16>(repr.arCount).toBe(1);
    expect<i32>(parseHex(ANSWER_EDNS, repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(1);
    expect<u32>(repr.addresses[0]).toBe(0x7f000005);
    expect<i32>(parseHex(ANSWER_REFUSED, repr)).toBe(WireError.Ok);
    expect<u8>(repr.rcode).toBe(DnsRcode.REFUSED);
    expect<bool>(repr.aa).toBe(false);
    expect<i32>(repr.addressCount).toBe(0);
    expect<string>(questionName(repr)).toBe("nothere.wasmnet.test");
  });

  it("re-emits the real queries and answers byte for byte", () => {
    const vectors = [QUERY_WWW, ANSWER_WWW, QUERY_ALIAS, ANSWER_ALIAS, ANSWER_MULTI, ANSWER_REFUSED];
    for (let v = 0; v < vectors.length; v++) {
      const hex = vectors[v];
      const repr = new DnsRepr();
      expect<i32>(parseHex(hex, repr)).toBe(WireError.Ok);
      const n = hexLen(hex);
      expect<i32>(repr.bufferLen).toBe(n);
      const out = scratch(n);
      expect<i32>(repr.emit(out, n)).toBe(n);
      expect<bool>(sameBytes(out, hexBytes(hex), n)).toBe(true);
    }
  });

  it("builds the same query dig sent", () => {
    const repr = new DnsRepr();
    // Start from a parsed answer to show that query() clears it.
    expect<i32>(parseHex(ANSWER_ALIAS, repr)).toBe(WireError.Ok);
    const name = "www.example.test";
    expect<i32>(repr.query(0x1758, utf8(name), name.length, DnsType.A)).toBe(WireError.Ok);
    const n = hexLen(QUERY_WWW);
    expect<i32>(repr.bufferLen).toBe(n);
    const out = scratch(n);
    expect<i32>(repr.emit(out, n)).toBe(n);
    expect<bool>(sameBytes(out, hexBytes(QUERY_WWW), n)).toBe(true);
    const bad = "a..b";
    expect<i32>(repr.query(1, utf8(bad), bad.length, DnsType.A)).toBe(WireError.Malformed);
    expect<bool>(repr.hasQuestion).toBe(false);
  });

  it("builds the same CNAME answer dnsmasq sent, and parses its own answers", () => {
    const repr = new DnsRepr();
    repr.id = 0xbf9d;
    repr.qr = true; repr.aa = true; repr.rd = true; repr.ra = true;
    expect<i32>(setQuestion(repr, "alias.wasmnet.test.", DnsType.A)).toBe(WireError.Ok);
    const target = "target.wasmnet.test";
    expect<i32>(repr.setCname(utf8(target), target.length, 0)).toBe(WireError.Ok);
    expect<bool>(repr.addAddress(0x7f000007, 0)).toBe(true);
    const n = hexLen(ANSWER_ALIAS);
    const out = scratch(n);
    expect<i32>(repr.emit(out, n)).toBe(n);
    expect<bool>(sameBytes(out, hexBytes(ANSWER_ALIAS), n)).toBe(true);

    // A full answer: CNAME with a TTL and eight addresses, back through parse.
    for (let i = 1; i < DNS_MAX_ADDRESSES; i++) expect<bool>(repr.addAddress(0x0a4d0000 + i, 300 + i)).toBe(true);
    expect<bool>(repr.addAddress(0x0a4d00ff, 1)).toBe(false);
    expect<i32>(repr.setCname(utf8(target), target.length, 77)).toBe(WireError.Ok);
    const m = repr.bufferLen;
    const big = scratch(m);
    expect<i32>(repr.emit(big, m)).toBe(m);
    const back = new DnsRepr();
    expect<i32>(parseMem(big, m, back)).toBe(WireError.Ok);
    expect<u16>(back.id).toBe(0xbf9d);
    expect<i32>(back.anCount).toBe(1 + DNS_MAX_ADDRESSES);
    expect<string>(questionName(back)).toBe("alias.wasmnet.test");
    expect<string>(cnameOf(back)).toBe(target);
    expect<u32>(back.cnameTtl).toBe(77);
    expect<i32>(back.addressCount).toBe(DNS_MAX_ADDRESSES);
    for (let i = 0; i < DNS_MAX_ADDRESSES; i++) {
      expect<u32>(back.addresses[i]).toBe(repr.addresses[i]);
      expect<u32>(back.ttls[i]).toBe(repr.ttls[i]);
    }
  });

  it("rejects every truncation of every real message without trapping", () => {
    const repr = new DnsRepr();
    for (let v = 0; v < REAL.length; v++) {
      const p = hexBytes(REAL[v]);
      const n = hexLen(REAL[v]);
      expect<i32>(parseMem(p, n, repr)).toBe(WireError.Ok);
      for (let len = 0; len < n; len++) {
        expect<i32>(parseMem(p, len, repr)).toBe(WireError.Truncated);
      }
    }
  });

  it("reports counts that promise more than the bytes hold as truncated", () => {
    const repr = new DnsRepr();
    // The query with ancount 0xffff: cannot fit, refused before any walking.
    expect<i32>(parseHex("17 58 01 00 00 01 ff ff 00 00 00 00 03 77 77 77 00 00 01 00 01", repr)).toBe(WireError.Truncated);
    // One record promised in each section beyond the real answer.
    expect<i32>(parseHex(header(1, 2, 0, 0) + QUESTION_WWW + A_AT_12, repr)).toBe(WireError.Truncated);
    expect<i32>(parseHex(header(1, 1, 1, 0) + QUESTION_WWW + A_AT_12 + A_AT_12.substr(0, 20), repr)).toBe(WireError.Truncated);
    expect<i32>(parseHex(header(1, 1, 0, 1) + QUESTION_WWW + A_AT_12 + "00 00 29 04 d0", repr)).toBe(WireError.Truncated);
    expect<i32>(parseHex(header(2, 0, 0, 0) + QUESTION_WWW, repr)).toBe(WireError.Truncated);
    expect<i32>(parseHex(header(1, 1, 0, 1) + QUESTION_WWW + A_AT_12 + A_AT_12, repr)).toBe(WireError.Ok);
  });

  it("rejects compression pointers to itself, forwards and into the header", () => {
    const repr = new DnsRepr();
    // An answer whose owner at offset 12 points at offset 12.
    expect<i32>(parseHex(header(0, 1, 0, 0) + A_AT_12, repr)).toBe(WireError.Malformed);
    // A question "a" followed by a pointer back to its own start: a one-name loop.
    expect<i32>(parseHex(header(1, 0, 0, 0) + "01 61 c0 0c 00 01 00 01", repr)).toBe(WireError.Malformed);
    // A pointer forward to a valid name at offset 14.
    expect<i32>(parseHex(header(1, 0, 0, 0) + "c0 0e 00 00 01 00 01", repr)).toBe(WireError.Malformed);
    // A pointer into the header.
    expect<i32>(parseHex(header(0, 1, 0, 0) + "c0 05" + A_AT_12.substr(6), repr)).toBe(WireError.Malformed);
    // A pointer cut off after its first byte.
    expect<i32>(parseHex(header(1, 0, 0, 0) + "c0", repr)).toBe(WireError.Truncated);
  });

  it("returns Malformed at once for a loop between two pointers", () => {
    // Record 1 (offset 12): root owner, TXT, rdata = pointer to 25. Record 2 (offset 25): owner
    // is a pointer to 23, the rdata of record 1, which points back to 25.
    const hex = header(0, 2, 0, 0) + "00 00 10 00 01 00 00 00 00 00 02 c0 19 " + "c0 17 00 01 00 01 00 00 00 00 00 04 7f 00 00 01";
    const repr = new DnsRepr();
    expect<i32>(parseHex(hex, repr)).toBe(WireError.Malformed);
  });

  it("bounds the number of pointers followed in one name", () => {
    // Record 1 (offset 12): root owner, TXT whose rdata (offset 23) is a chain of pointers each to
    // the one before it, the first to the root name at 12. Record 2's owner points at the last.
    function chain(links: i32): string {
      let rdata = "c0 0c ";
      for (let i = 1; i < links; i++) rdata += u16hex(0xc000 | (23 + 2 * (i - 1)));
      const last = 23 + 2 * (links - 1);
      return header(0, 2, 0, 0) + "00 00 10 00 01 00 00 00 00 " + u16hex(2 * links) + rdata +
        u16hex(0xc000 | last) + "00 01 00 01 00 00 00 00 00 04 7f 00 00 01";
    }
    const repr = new DnsRepr();
    // Record 2's owner, then every link, each make one jump: links + 1 in all.
    expect<i32>(parseHex(chain(DNS_MAX_POINTER_JUMPS - 1), repr)).toBe(WireError.Ok);
    expect<i32>(parseHex(chain(DNS_MAX_POINTER_JUMPS), repr)).toBe(WireError.Malformed);
  });

  it("rejects reserved label types and over-long labels and names", () => {
    const repr = new DnsRepr();
    // 0x40 (a 64-byte label length, or an extended label type) and 0x80 are both refused.
    expect<i32>(parseHex(header(1, 0, 0, 0) + label(64) + "00 00 01 00 01", repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(header(1, 0, 0, 0) + "81 61 00 00 01 00 01", repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(header(1, 0, 0, 0) + label(63) + "00 00 01 00 01", repr)).toBe(WireError.Ok);
    expect<i32>(repr.questionNameLen).toBe(63);
    // 3 * 64 + 62 + 1 = 255 wire bytes: the longest legal name, 253 dotted.
    const longest = label(63) + label(63) + label(63) + label(61) + "00";
    expect<i32>(parseHex(header(1, 0, 0, 0) + longest + "00 01 00 01", repr)).toBe(WireError.Ok);
    expect<i32>(repr.questionNameLen).toBe(DNS_MAX_NAME_TEXT_LEN);
    // One byte more.
    const tooLong = label(63) + label(63) + label(63) + label(62) + "00";
    expect<i32>(parseHex(header(1, 0, 0, 0) + tooLong + "00 01 00 01", repr)).toBe(WireError.Malformed);
    // Too long only once a pointer is followed: 62 bytes, then the 201 at offset 12.
    const base = label(63) + label(63) + label(63) + label(7) + "00"; // 201 bytes at offset 12
    const viaPointer = header(2, 0, 0, 0) + base + "00 01 00 01 " + label(61) + "c0 0c 00 01 00 01";
    expect<i32>(parseHex(viaPointer, repr)).toBe(WireError.Malformed);
  });

  it("rejects A records that are not four bytes and CNAMEs that are not one name", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 01 00 01 00 00 00 3c 00 05 7f 00 00 01 01", repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 01 00 01 00 00 00 3c 00 03 7f 00 00", repr)).toBe(WireError.Malformed);
    // Also in the additional section, where nothing is collected.
    expect<i32>(parseHex(header(1, 0, 0, 1) + QUESTION_WWW + "c0 0c 00 01 00 01 00 00 00 3c 00 00", repr)).toBe(WireError.Malformed);
    // CNAME rdata: rdlength 4 but the name "a" + root is 3 bytes, then rdlength 2 for 3 bytes.
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 05 00 01 00 00 00 3c 00 04 01 61 00 00", repr)).toBe(WireError.Malformed);
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 05 00 01 00 00 00 3c 00 02 01 61 00", repr)).toBe(WireError.Malformed);
    // A compressed CNAME target ("a" + pointer to the question) is fine.
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 05 00 01 00 00 00 3c 00 04 01 61 c0 0c", repr)).toBe(WireError.Ok);
    expect<string>(cnameOf(repr)).toBe("a.www.example.test");
    // Other types are skipped by rdlength whatever they hold (an AAAA here).
    expect<i32>(parseHex(header(1, 1, 0, 0) + QUESTION_WWW + "c0 0c 00 1c 00 01 00 00 00 3c 00 10 " + "20 01 0d b8 ".repeat(4), repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(0);
  });

  it("keeps only A records of the question name or its CNAME chain", () => {
    const repr = new DnsRepr();
    // Owner "other.test" (written out) is not the question: ignored. Owner in other case: kept.
    const other = "05 6f 74 68 65 72 04 74 65 73 74 00 00 01 00 01 00 00 00 3c 00 04 0a 00 00 01 ";
    const upper = "03 57 57 57 07 45 58 41 4d 50 4c 45 04 54 45 53 54 00 00 01 00 01 00 00 00 3c 00 04 0a 00 00 02";
    expect<i32>(parseHex(header(1, 2, 0, 0) + QUESTION_WWW + other + upper, repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(1);
    expect<u32>(repr.addresses[0]).toBe(0x0a000002);
    // A records in the authority and additional sections are not answers.
    expect<i32>(parseHex(header(1, 0, 1, 1) + QUESTION_WWW + A_AT_12 + A_AT_12, repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(0);
    // After a CNAME, the question name's own A records no longer belong to the chain.
    const cname = "c0 0c 00 05 00 01 00 00 00 3c 00 04 01 62 c0 0c ";
    expect<i32>(parseHex(header(1, 3, 0, 0) + QUESTION_WWW + cname + A_AT_12 + " c0 2e 00 01 00 01 00 00 00 3c 00 04 0a 00 00 03", repr)).toBe(WireError.Ok);
    expect<string>(cnameOf(repr)).toBe("b.www.example.test");
    expect<i32>(repr.addressCount).toBe(1);
    expect<u32>(repr.addresses[0]).toBe(0x0a000003);
  });

  it("keeps at most eight addresses and zeroes TTLs with the top bit set", () => {
    const repr = new DnsRepr();
    let hex = header(1, 10, 0, 0) + QUESTION_WWW;
    for (let i = 0; i < 10; i++) hex += "c0 0c 00 01 00 01 80 00 00 3c 00 04 0a 00 00 " + byteHex(i);
    expect<i32>(parseHex(hex, repr)).toBe(WireError.Ok);
    expect<i32>(repr.addressCount).toBe(DNS_MAX_ADDRESSES);
    expect<u32>(repr.addresses[7]).toBe(0x0a000007);
    expect<u32>(repr.ttls[0]).toBe(0);
  });

  it("refuses names whose labels hold a dot only where they are exposed", () => {
    const repr = new DnsRepr();
    // Question "a.b" as one label: its dotted form would be ambiguous.
    expect<i32>(parseHex(header(1, 0, 0, 0) + "03 61 2e 62 00 00 01 00 01", repr)).toBe(WireError.Malformed);
    // The same label as an additional record's owner is only walked.
    expect<i32>(parseHex(header(1, 0, 0, 1) + QUESTION_WWW + "03 61 2e 62 00 00 10 00 01 00 00 00 00 00 00", repr)).toBe(WireError.Ok);
  });

  it("validates names given to setQuestion", () => {
    const repr = new DnsRepr();
    expect<i32>(setQuestion(repr, "a..b", DnsType.A)).toBe(WireError.Malformed);
    expect<i32>(setQuestion(repr, ".a", DnsType.A)).toBe(WireError.Malformed);
    expect<i32>(setQuestion(repr, "a".repeat(64) + ".test", DnsType.A)).toBe(WireError.Malformed);
    const l63 = "a".repeat(63);
    const n253 = l63 + "." + l63 + "." + l63 + "." + "a".repeat(61);
    expect<i32>(setQuestion(repr, n253, DnsType.A)).toBe(WireError.Ok);
    expect<i32>(repr.bufferLen).toBe(DNS_HEADER_LEN + 255 + 4);
    expect<i32>(setQuestion(repr, n253 + "a", DnsType.A)).toBe(WireError.Malformed);
    expect<i32>(setQuestion(repr, n253 + ".", DnsType.A)).toBe(WireError.Ok);
    // The root: an empty name, one zero byte on the wire.
    expect<i32>(setQuestion(repr, ".", DnsType.NS)).toBe(WireError.Ok);
    expect<i32>(repr.questionNameLen).toBe(0);
    const out = scratch(32);
    expect<i32>(repr.emit(out, 32)).toBe(DNS_HEADER_LEN + 1 + 4);
    const back = new DnsRepr();
    expect<i32>(parseMem(out, DNS_HEADER_LEN + 5, back)).toBe(WireError.Ok);
    expect<bool>(back.hasQuestion).toBe(true);
    expect<i32>(back.questionNameLen).toBe(0);
    expect<u16>(back.qtype).toBe(DnsType.NS);
  });

  it("refuses to emit into a short buffer or answers without a question", () => {
    const repr = new DnsRepr();
    expect<i32>(parseHex(ANSWER_ALIAS, repr)).toBe(WireError.Ok);
    const n = repr.bufferLen;
    const out = scratch(n);
    for (let len = 0; len < n; len++) expect<i32>(repr.emit(out, len)).toBe(WireError.BufferTooSmall);
    repr.hasQuestion = false;
    expect<i32>(repr.emit(out, n)).toBe(WireError.Malformed);
  });
});
