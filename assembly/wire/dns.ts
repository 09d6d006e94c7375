// DNS messages (RFC 1035 section 4.1) as a stub resolver sends and receives them over UDP.
//
//   0               1               2               3
//   +---------------+---------------+---------------+---------------+
//   |              id               |Q| opcd|A|T|R|R|Z|A|C| rcode |    0   flags: QR opcode AA TC
//   +-------------------------------+-------------------------------+          RD RA Z AD CD rcode
//   |            qdcount            |            ancount            |    4
//   |            nscount            |            arcount            |    8
//   +---------------------------------------------------------------+
//   | question:  name | qtype (16) | qclass (16)                     |   12   qdcount times
//   +---------------------------------------------------------------+
//   | record:    name | type (16) | class (16) | ttl (32) |          |        ancount + nscount
//   |            rdlength (16) | rdata (rdlength bytes)              |        + arcount times
//   +---------------------------------------------------------------+
//
// Names are read by dns_name.ts (labels, compression pointers, loop protection). Parsing walks
// every counted question and record, in all three record sections, so a message whose counts
// promise more than its bytes hold is Truncated however the records are laid out. Of the records,
// A (type 1) and CNAME (type 5) of class IN are decoded; every other type is skipped by rdlength.
//
// DnsPacket is the view (header length checked once); DnsRepr holds the header, the first
// question, the CNAME chain's final target and up to DNS_MAX_ADDRESSES A records of the answer,
// all in storage allocated once in its constructor.

import { readU16, readU32, writeU16, writeU32 } from "./bytes";
import { WireError } from "./error";
import {
  DNS_HEADER_LEN, DNS_NAME_BUF_LEN, DnsNameReader, dnsCheckText, dnsTextEquals, dnsWireLen, dnsWriteName,
} from "./dns_name";

export { DNS_HEADER_LEN } from "./dns_name";

/** How many A records of the answer a DnsRepr keeps; further ones are ignored. */
export const DNS_MAX_ADDRESSES: i32 = 8;

const ID_OFFSET: i32 = 0;
const FLAGS_OFFSET: i32 = 2;
const QDCOUNT_OFFSET: i32 = 4;
const ANCOUNT_OFFSET: i32 = 6;
const NSCOUNT_OFFSET: i32 = 8;
const ARCOUNT_OFFSET: i32 = 10;

/** Header flag bits (RFC 1035 4.1.1; AD and CD from RFC 4035 section 3.2). */
export namespace DnsFlag {
  export const QR: u16 = 0x8000;
  export const AA: u16 = 0x0400;
  export const TC: u16 = 0x0200;
  export const RD: u16 = 0x0100;
  export const RA: u16 = 0x0080;
  export const AD: u16 = 0x0020;
  export const CD: u16 = 0x0010;
}
const OPCODE_SHIFT: u16 = 11;
const OPCODE_MASK: u16 = 0xf;
const RCODE_MASK: u16 = 0xf;

/** Record and query types (RFC 1035 3.2.2, RFC 3596 for AAAA, RFC 6891 for OPT). */
export namespace DnsType {
  export const A: u16 = 1;
  export const NS: u16 = 2;
  export const CNAME: u16 = 5;
  export const SOA: u16 = 6;
  export const PTR: u16 = 12;
  export const MX: u16 = 15;
  export const TXT: u16 = 16;
  export const AAAA: u16 = 28;
  export const OPT: u16 = 41;
}

export namespace DnsClass {
  export const IN: u16 = 1;
}

export namespace DnsOpcode {
  export const QUERY: u8 = 0;
}

/** Response codes (RFC 1035 4.1.1). */
export namespace DnsRcode {
  export const NO_ERROR: u8 = 0;
  export const FORMAT_ERROR: u8 = 1;
  export const SERVER_FAILURE: u8 = 2;
  export const NAME_ERROR: u8 = 3;
  export const NOT_IMPLEMENTED: u8 = 4;
  export const REFUSED: u8 = 5;
}

/** qtype and qclass after a question's name. */
const QUESTION_FIXED_LEN: i32 = 4;
/** type, class, ttl and rdlength after a record's name. */
const RECORD_FIXED_LEN: i32 = 10;
const RECORD_TYPE_OFFSET: i32 = 0;
const RECORD_CLASS_OFFSET: i32 = 2;
const RECORD_TTL_OFFSET: i32 = 4;
const RECORD_RDLENGTH_OFFSET: i32 = 8;
/** The shortest possible question and record: a root name (one byte) and the fixed fields. */
const MIN_QUESTION_LEN: i32 = 1 + QUESTION_FIXED_LEN;
const MIN_RECORD_LEN: i32 = 1 + RECORD_FIXED_LEN;
const A_RDATA_LEN: i32 = 4;
/** A compression pointer: two bytes, the top two bits set, 14 bits of offset (RFC 1035 4.1.4). */
const POINTER_LEN: i32 = 2;
const POINTER_TAG: u16 = 0xc000;
/** RFC 2181 section 8: a TTL with the top bit set is treated as zero. */
const TTL_SIGN_BIT: u32 = 0x8000_0000;

/** A view over a DNS message (the UDP payload). Accessors are valid only after `check` returned Ok. */
@final
export class DnsPacket {
  ptr: usize = 0;
  len: i32 = 0;

  /** Wraps [ptr, ptr+len); Ok when the 12-byte header fits. */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (len < DNS_HEADER_LEN) return WireError.Truncated;
    this.len = len;
    return WireError.Ok;
  }

  @inline get id(): u16 { return readU16(this.ptr + <usize>ID_OFFSET); }
  @inline get flags(): u16 { return readU16(this.ptr + <usize>FLAGS_OFFSET); }
  @inline get qdCount(): u16 { return readU16(this.ptr + <usize>QDCOUNT_OFFSET); }
  @inline get anCount(): u16 { return readU16(this.ptr + <usize>ANCOUNT_OFFSET); }
  @inline get nsCount(): u16 { return readU16(this.ptr + <usize>NSCOUNT_OFFSET); }
  @inline get arCount(): u16 { return readU16(this.ptr + <usize>ARCOUNT_OFFSET); }
}

/**
 * A DNS message as a stub resolver sees it. After `parse`: the header, the first question
 * (`hasQuestion`, its dotted name in `questionName`, `qtype`, `qclass`), the canonical name
 * reached through the answer's CNAME chain (`cnameLen` 0 when there is none), and the addresses
 * and TTLs of the answer's A records that belong to the question name or that chain.
 * For `emit`: set the header fields, the question (`setQuestion`), optionally `setCname` and
 * `addAddress`; the counts are computed, the received ones are ignored.
 */
@final
export class DnsRepr {
  id: u16 = 0;
  qr: bool = false;
  opcode: u8 = DnsOpcode.QUERY;
  aa: bool = false;
  tc: bool = false;
  rd: bool = false;
  ra: bool = false;
  ad: bool = false;
  cd: bool = false;
  rcode: u8 = DnsRcode.NO_ERROR;
  /** Counts as received (parse only). */
  qdCount: u16 = 0;
  anCount: u16 = 0;
  nsCount: u16 = 0;
  arCount: u16 = 0;

  hasQuestion: bool = false;
  qtype: u16 = 0;
  qclass: u16 = 0;
  /** The first question's name in dotted form (no trailing dot), `questionNameLen` bytes. */
  questionName: StaticArray<u8> = new StaticArray<u8>(DNS_NAME_BUF_LEN);
  questionNameLen: i32 = 0;
  /** The last target of the CNAME chain starting at the question name; `cnameLen` 0 if none. */
  cname: StaticArray<u8> = new StaticArray<u8>(DNS_NAME_BUF_LEN);
  cnameLen: i32 = 0;
  cnameTtl: u32 = 0;
  addresses: StaticArray<u32> = new StaticArray<u32>(DNS_MAX_ADDRESSES);
  ttls: StaticArray<u32> = new StaticArray<u32>(DNS_MAX_ADDRESSES);
  addressCount: i32 = 0;

  /** Scratch for an answer record's owner name, compared with the chain. */
  private owner: StaticArray<u8> = new StaticArray<u8>(DNS_NAME_BUF_LEN);
  private names: DnsNameReader = new DnsNameReader();

  @inline get questionNamePtr(): usize { return changetype<usize>(this.questionName); }
  @inline get cnamePtr(): usize { return changetype<usize>(this.cname); }

  /** Clears every field (the storage is kept). */
  reset(): void {
    this.id = 0; this.qr = false; this.opcode = DnsOpcode.QUERY;
    this.aa = false; this.tc = false; this.rd = false; this.ra = false; this.ad = false; this.cd = false;
    this.rcode = DnsRcode.NO_ERROR;
    this.qdCount = 0; this.anCount = 0; this.nsCount = 0; this.arCount = 0;
    this.hasQuestion = false; this.qtype = 0; this.qclass = 0; this.questionNameLen = 0;
    this.cnameLen = 0; this.cnameTtl = 0; this.addressCount = 0;
  }

  /** Sets the question from a dotted name; Malformed (question unchanged) if it is not a valid name. */
  setQuestion(name: usize, nameLen: i32, qtype: u16, qclass: u16): i32 {
    const n = dnsCheckText(name, nameLen);
    if (n < 0) return n;
    memory.copy(this.questionNamePtr, name, <usize>n);
    this.questionNameLen = n;
    this.qtype = qtype;
    this.qclass = qclass;
    this.hasQuestion = true;
    return WireError.Ok;
  }

  /**
   * Makes this repr a standard recursive query for `name` (RFC 1035 4.1.1: opcode QUERY, RD set,
   * class IN, one question, no answers). Malformed (repr cleared) if the name is not valid.
   */
  query(id: u16, name: usize, nameLen: i32, qtype: u16): i32 {
    this.reset();
    this.id = id;
    this.rd = true;
    return this.setQuestion(name, nameLen, qtype, DnsClass.IN);
  }

  /** Sets the CNAME that `emit` answers with before the addresses; an empty name clears it. */
  setCname(name: usize, nameLen: i32, ttl: u32): i32 {
    const n = dnsCheckText(name, nameLen);
    if (n < 0) return n;
    memory.copy(this.cnamePtr, name, <usize>n);
    this.cnameLen = n;
    this.cnameTtl = ttl;
    return WireError.Ok;
  }

  /** Appends an A answer for `emit`; false when DNS_MAX_ADDRESSES are already set. */
  addAddress(address: u32, ttl: u32): bool {
    if (this.addressCount >= DNS_MAX_ADDRESSES) return false;
    unchecked(this.addresses[this.addressCount] = address);
    unchecked(this.ttls[this.addressCount] = ttl);
    this.addressCount++;
    return true;
  }

  /**
   * Fills this repr from a checked packet. Returns Ok, Truncated (a name, question or record
   * runs past the end, or the counts promise more than the bytes hold), or Malformed (a bad
   * name, an A record whose rdata is not 4 bytes, a CNAME whose rdata is not exactly one name,
   * or a name this repr must expose whose label holds a '.').
   */
  parse(packet: DnsPacket): i32 {
    const len = packet.len;
    if (len < DNS_HEADER_LEN) return WireError.Truncated;
    const msg = packet.ptr;
    this.reset();
    this.id = packet.id;
    const flags = packet.flags;
    this.qr = (flags & DnsFlag.QR) != 0;
    this.opcode = <u8>((flags >> OPCODE_SHIFT) & OPCODE_MASK);
    this.aa = (flags & DnsFlag.AA) != 0;
    this.tc = (flags & DnsFlag.TC) != 0;
    this.rd = (flags & DnsFlag.RD) != 0;
    this.ra = (flags & DnsFlag.RA) != 0;
    this.ad = (flags & DnsFlag.AD) != 0;
    this.cd = (flags & DnsFlag.CD) != 0;
    this.rcode = <u8>(flags & RCODE_MASK);
    const qd = <i32>packet.qdCount;
    const an = <i32>packet.anCount;
    const ns = <i32>packet.nsCount;
    const ar = <i32>packet.arCount;
    this.qdCount = <u16>qd; this.anCount = <u16>an; this.nsCount = <u16>ns; this.arCount = <u16>ar;

    // Cheap early bound before any walking: even the shortest questions and records could not
    // fit. (At most 65535 * 5 + 3 * 65535 * 11 + 12, well inside i32.)
    const records = an + ns + ar;
    if (DNS_HEADER_LEN + qd * MIN_QUESTION_LEN + records * MIN_RECORD_LEN > len) return WireError.Truncated;

    const names = this.names;
    let pos = DNS_HEADER_LEN;
    for (let i = 0; i < qd; i++) {
      const first = i == 0;
      const end = names.read(msg, len, pos, first ? this.questionNamePtr : 0);
      if (end < 0) return end;
      if (end + QUESTION_FIXED_LEN > len) return WireError.Truncated;
      if (first) {
        if (names.dotInLabel) return WireError.Malformed;
        this.questionNameLen = names.textLen;
        this.qtype = readU16(msg + <usize>end);
        this.qclass = readU16(msg + <usize>(end + 2));
        this.hasQuestion = true;
      }
      pos = end + QUESTION_FIXED_LEN;
    }

    // The name the answer's next records must be owned by: the question's, then each CNAME
    // target in turn (RFC 1034 3.6.2 and 4.3.2: a server appends the chain in order).
    let chainPtr = this.questionNamePtr;
    let chainLen = this.questionNameLen;
    const ownerPtr = changetype<usize>(this.owner);
    for (let i = 0; i < records; i++) {
      const ownerOff = pos;
      const fixed = names.read(msg, len, pos, 0);
      if (fixed < 0) return fixed;
      if (fixed + RECORD_FIXED_LEN > len) return WireError.Truncated;
      const rp = msg + <usize>fixed;
      const type = readU16(rp + <usize>RECORD_TYPE_OFFSET);
      const klass = readU16(rp + <usize>RECORD_CLASS_OFFSET);
      let ttl = readU32(rp + <usize>RECORD_TTL_OFFSET);
      if ((ttl & TTL_SIGN_BIT) != 0) ttl = 0;
      const rdLen = <i32>readU16(rp + <usize>RECORD_RDLENGTH_OFFSET);
      const rdOff = fixed + RECORD_FIXED_LEN;
      const rdEnd = rdOff + rdLen;
      if (rdEnd > len) return WireError.Truncated;

      const isA = klass == DnsClass.IN && type == DnsType.A;
      const isCname = klass == DnsClass.IN && type == DnsType.CNAME;
      let inChain = false;
      if (i < an && this.hasQuestion && (isA || isCname)) {
        // Already validated above, so this second read of the owner cannot fail.
        if (names.read(msg, len, ownerOff, ownerPtr) < 0) return WireError.Malformed;
        inChain = !names.dotInLabel && dnsTextEquals(ownerPtr, names.textLen, chainPtr, chainLen);
      }
      if (isA) {
        if (rdLen != A_RDATA_LEN) return WireError.Malformed;
        if (inChain && this.addressCount < DNS_MAX_ADDRESSES) {
          unchecked(this.addresses[this.addressCount] = readU32(msg + <usize>rdOff));
          unchecked(this.ttls[this.addressCount] = ttl);
          this.addressCount++;
        }
      } else if (isCname) {
        // RFC 1035 3.3.1: the rdata is exactly one name. Reading it bounded by rdEnd keeps its
        // labels inside the rdata; running out there is a lie in rdlength, not a short packet.
        const end = names.read(msg, rdEnd, rdOff, inChain ? this.cnamePtr : 0);
        if (end == WireError.Truncated) return WireError.Malformed;
        if (end < 0) return end;
        if (end != rdEnd) return WireError.Malformed;
        if (inChain) {
          if (names.dotInLabel) return WireError.Malformed;
          this.cnameLen = names.textLen;
          this.cnameTtl = ttl;
          chainPtr = this.cnamePtr;
          chainLen = this.cnameLen;
        }
      }
      pos = rdEnd;
    }
    return WireError.Ok;
  }

  /** Wire length of the CNAME answer, 0 when there is none. */
  private cnameRecordLen(): i32 {
    return this.cnameLen > 0 ? POINTER_LEN + RECORD_FIXED_LEN + dnsWireLen(this.cnameLen) : 0;
  }

  /** Bytes `emit` writes: header, question, CNAME answer, A answers. */
  get bufferLen(): i32 {
    let n = DNS_HEADER_LEN;
    if (this.hasQuestion) n += dnsWireLen(this.questionNameLen) + QUESTION_FIXED_LEN;
    n += this.cnameRecordLen();
    n += this.addressCount * (POINTER_LEN + RECORD_FIXED_LEN + A_RDATA_LEN);
    return n;
  }

  /**
   * Writes the message at ptr; returns bytes written, BufferTooSmall, or Malformed when it has
   * answers but no question (their owner names are pointers to the question name, 4.1.4).
   * A query is a repr with qr false, rd set and no answers. In a response, the CNAME record (if
   * any) is owned by the question name and the A records by the CNAME target, or by the
   * question name when there is none; nscount and arcount are 0.
   */
  emit(ptr: usize, len: i32): i32 {
    const hasCname = this.cnameLen > 0;
    const answers = (hasCname ? 1 : 0) + this.addressCount;
    if (answers > 0 && !this.hasQuestion) return WireError.Malformed;
    const total = this.bufferLen;
    if (len < total) return WireError.BufferTooSmall;

    let flags: u16 = (<u16>(this.opcode & <u8>OPCODE_MASK) << OPCODE_SHIFT) | (<u16>this.rcode & RCODE_MASK);
    if (this.qr) flags |= DnsFlag.QR;
    if (this.aa) flags |= DnsFlag.AA;
    if (this.tc) flags |= DnsFlag.TC;
    if (this.rd) flags |= DnsFlag.RD;
    if (this.ra) flags |= DnsFlag.RA;
    if (this.ad) flags |= DnsFlag.AD;
    if (this.cd) flags |= DnsFlag.CD;
    writeU16(ptr + <usize>ID_OFFSET, this.id);
    writeU16(ptr + <usize>FLAGS_OFFSET, flags);
    writeU16(ptr + <usize>QDCOUNT_OFFSET, this.hasQuestion ? 1 : 0);
    writeU16(ptr + <usize>ANCOUNT_OFFSET, <u16>answers);
    writeU16(ptr + <usize>NSCOUNT_OFFSET, 0);
    writeU16(ptr + <usize>ARCOUNT_OFFSET, 0);

    let off = DNS_HEADER_LEN;
    if (this.hasQuestion) {
      off += dnsWriteName(this.questionNamePtr, this.questionNameLen, ptr + <usize>off);
      writeU16(ptr + <usize>off, this.qtype);
      writeU16(ptr + <usize>(off + 2), this.qclass);
      off += QUESTION_FIXED_LEN;
    }
    // The A records' owner: the question name, or the CNAME target written below.
    let addressOwner = DNS_HEADER_LEN;
    if (hasCname) {
      const nameLen = dnsWireLen(this.cnameLen);
      off = writeRecordHead(ptr, off, DNS_HEADER_LEN, DnsType.CNAME, this.cnameTtl, nameLen);
      addressOwner = off;
      off += dnsWriteName(this.cnamePtr, this.cnameLen, ptr + <usize>off);
    }
    // addressOwner is at most 12 + 255 + 4 + 12, far below POINTER_MAX_OFFSET (0x3fff).
    for (let i = 0; i < this.addressCount; i++) {
      off = writeRecordHead(ptr, off, addressOwner, DnsType.A, unchecked(this.ttls[i]), A_RDATA_LEN);
      writeU32(ptr + <usize>off, unchecked(this.addresses[i]));
      off += A_RDATA_LEN;
    }
    return off;
  }
}

/** Writes a class IN record's compressed owner, type, class, ttl and rdlength; returns the rdata offset. */
function writeRecordHead(msg: usize, off: i32, ownerOff: i32, type: u16, ttl: u32, rdLen: i32): i32 {
  const p = msg + <usize>off;
  writeU16(p, POINTER_TAG | <u16>ownerOff);
  const f = p + <usize>POINTER_LEN;
  writeU16(f + <usize>RECORD_TYPE_OFFSET, type);
  writeU16(f + <usize>RECORD_CLASS_OFFSET, DnsClass.IN);
  writeU32(f + <usize>RECORD_TTL_OFFSET, ttl);
  writeU16(f + <usize>RECORD_RDLENGTH_OFFSET, <u16>rdLen);
  return off + POINTER_LEN + RECORD_FIXED_LEN;
}
