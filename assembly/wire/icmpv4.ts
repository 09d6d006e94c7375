// ICMP for IPv4 (RFC 792), the messages this stack acts on: echo request and reply, destination
// unreachable (with the next-hop MTU of RFC 1191) and time exceeded.
//
//    0               1               2               3
//   +---------------+---------------+-------------------------------+
//   |     Type      |     Code      |           Checksum            |  0
//   +---------------+---------------+-------------------------------+
//   |  echo:        Identifier      |        Sequence Number        |  4
//   |  unreachable: unused (zero)   | Next-Hop MTU (code 4, RFC 1191)|
//   |  time exceeded:             unused (zero)                     |
//   +---------------------------------------------------------------+
//   |  echo: data, echoed back as is                                |  8
//   |  errors: the original IP header + at least 8 bytes of its data|
//
// The message has no length field: it is the whole IPv4 payload, and the checksum covers all of
// it (RFC 792). Other types (redirect, parameter problem, timestamp, source quench, router
// discovery, unknown types) parse to Unsupported with `msgType` and `code` filled in, so the
// caller can count them: RFC 1122 3.2.2 has a host discard unknown types silently, and this stack
// acts on none of the others.

import { readU16, readU32, readU8, writeU16, writeU32, writeU8 } from "./bytes";
import { internetChecksum, checksumVerifies } from "./checksum";
import { WireError } from "./error";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET_LEN, IPV4_MIN_REASSEMBLY_LEN, IPV4_VERSION } from "./ipv4";

/** Type, code, checksum and the 4-byte rest of header. */
export const ICMPV4_HEADER_LEN: i32 = 8;
/** RFC 792: errors quote the original internet header and the first 64 bits of its data. */
export const ICMPV4_QUOTED_DATA_LEN: i32 = 8;
/** Shortest quote an error may carry: a header without options and 8 bytes of data. */
export const ICMPV4_MIN_QUOTE_LEN: i32 = IPV4_HEADER_LEN + ICMPV4_QUOTED_DATA_LEN;
/**
 * Longest quote `emit` writes: RFC 1812 4.3.2.3 lets an error quote as much of the original as
 * fits while the whole IP datagram stays within 576 bytes.
 */
export const ICMPV4_MAX_QUOTE_LEN: i32 = IPV4_MIN_REASSEMBLY_LEN - IPV4_HEADER_LEN - ICMPV4_HEADER_LEN;
/** Largest echo data that fits one IPv4 datagram without options. */
export const ICMPV4_MAX_ECHO_DATA_LEN: i32 = IPV4_MAX_PACKET_LEN - IPV4_HEADER_LEN - ICMPV4_HEADER_LEN;

/** Message types (RFC 792). */
export namespace Icmpv4Type {
  export const ECHO_REPLY: u8 = 0;
  export const DEST_UNREACHABLE: u8 = 3;
  export const SOURCE_QUENCH: u8 = 4;
  export const REDIRECT: u8 = 5;
  export const ECHO_REQUEST: u8 = 8;
  export const TIME_EXCEEDED: u8 = 11;
  export const PARAMETER_PROBLEM: u8 = 12;
  export const TIMESTAMP: u8 = 13;
  export const TIMESTAMP_REPLY: u8 = 14;
}

/** Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
export namespace Icmpv4Unreachable {
  export const NET: u8 = 0;
  export const HOST: u8 = 1;
  export const PROTOCOL: u8 = 2;
  export const PORT: u8 = 3;
  /** Fragmentation needed and DF set; carries the next-hop MTU (RFC 1191 section 4). */
  export const FRAG_NEEDED: u8 = 4;
  export const SOURCE_ROUTE_FAILED: u8 = 5;
  export const NET_UNKNOWN: u8 = 6;
  export const HOST_UNKNOWN: u8 = 7;
  export const SOURCE_HOST_ISOLATED: u8 = 8;
  export const NET_PROHIBITED: u8 = 9;
  export const HOST_PROHIBITED: u8 = 10;
  export const NET_TOS: u8 = 11;
  export const HOST_TOS: u8 = 12;
  export const ADMIN_PROHIBITED: u8 = 13;
  export const HOST_PRECEDENCE: u8 = 14;
  export const PRECEDENCE_CUTOFF: u8 = 15;
}

/** Time exceeded codes (RFC 792). */
export namespace Icmpv4TimeExceeded {
  export const TTL: u8 = 0;
  export const REASSEMBLY: u8 = 1;
}

/** The only code an echo request or reply carries (RFC 792). */
const ECHO_CODE: u8 = 0;

const TYPE_OFFSET: usize = 0;
const CODE_OFFSET: usize = 1;
const CHECKSUM_OFFSET: usize = 2;
const REST_OFFSET: usize = 4;
const IDENT_OFFSET: usize = 4;
const SEQ_OFFSET: usize = 6;
/** RFC 1191 section 4: the low 16 bits of the formerly unused word. */
const MTU_OFFSET: usize = 6;
const DATA_OFFSET: usize = 8;

const QUOTE_VERSION_SHIFT: u8 = 4;
const QUOTE_IHL_MASK: u8 = 0x0f;
const QUOTE_IHL_WORD_LEN: i32 = 4;

/**
 * True for the error messages (RFC 1122 3.2.2), which must never be sent in answer to another
 * error message.
 */
export function icmpv4IsError(msgType: u8): bool {
  return msgType == Icmpv4Type.DEST_UNREACHABLE || msgType == Icmpv4Type.SOURCE_QUENCH ||
    msgType == Icmpv4Type.REDIRECT || msgType == Icmpv4Type.TIME_EXCEEDED ||
    msgType == Icmpv4Type.PARAMETER_PROBLEM;
}

/** A view over an ICMP message: the whole IPv4 payload. Getters are valid after `check` is Ok. */
@final
export class Icmpv4Packet {
  ptr: usize = 0;
  len: i32 = 0;

  /** Wraps [ptr, ptr+len), the IPv4 payload; Ok when the 8-byte header fits. */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (len < ICMPV4_HEADER_LEN) return WireError.Truncated;
    this.len = len;
    return WireError.Ok;
  }

  @inline get msgType(): u8 { return readU8(this.ptr + TYPE_OFFSET); }
  @inline get code(): u8 { return readU8(this.ptr + CODE_OFFSET); }
  @inline get checksum(): u16 { return readU16(this.ptr + CHECKSUM_OFFSET); }
  /** The 4 bytes after the checksum, whatever the type makes of them. */
  @inline get restOfHeader(): u32 { return readU32(this.ptr + REST_OFFSET); }
  @inline get ident(): u16 { return readU16(this.ptr + IDENT_OFFSET); }
  @inline get seqNo(): u16 { return readU16(this.ptr + SEQ_OFFSET); }
  @inline get nextHopMtu(): u16 { return readU16(this.ptr + MTU_OFFSET); }
  @inline get dataPtr(): usize { return this.ptr + DATA_OFFSET; }
  @inline get dataLen(): i32 { return this.len - ICMPV4_HEADER_LEN; }

  /** True when the checksum over the whole message verifies (RFC 792). */
  verifyChecksum(): bool {
    return checksumVerifies(this.ptr, this.len);
  }
}

/** The fields of an echo, destination unreachable or time exceeded message. */
@final
export class Icmpv4Repr {
  msgType: u8 = Icmpv4Type.ECHO_REQUEST;
  code: u8 = 0;
  /** Echo identifier; zero for errors. */
  ident: u16 = 0;
  /** Echo sequence number; zero for errors. */
  seqNo: u16 = 0;
  /**
   * Destination unreachable code 4 only: the MTU of the next hop (RFC 1191 section 4). Zero
   * there means a router older than RFC 1191 that did not say; zero for every other message.
   */
  nextHopMtu: u16 = 0;
  /**
   * Echo: the data to echo back. Errors: the quoted original datagram (its IPv4 header, then at
   * least 8 bytes of its payload). Points into the parsed packet, or at what `emit` copies from.
   */
  dataPtr: usize = 0;
  dataLen: i32 = 0;

  /**
   * Fills this repr from a checked message. BadChecksum when `verifyChecksum` is set and the sum
   * fails (pass false for trusted frames). Malformed: an echo with a code other than 0, or an
   * error whose quote is not an IPv4 header (version 4, IHL at least 5). Truncated: an error whose
   * quote is shorter than its IP header plus 8 bytes (RFC 792). Unsupported: any other type, with
   * `msgType` and `code` still filled in for counting.
   */
  parse(packet: Icmpv4Packet, verifyChecksum: bool = true): i32 {
    if (packet.len < ICMPV4_HEADER_LEN) return WireError.Truncated;
    if (verifyChecksum && !packet.verifyChecksum()) return WireError.BadChecksum;
    const msgType = packet.msgType;
    const code = packet.code;
    this.msgType = msgType;
    this.code = code;
    this.ident = 0;
    this.seqNo = 0;
    this.nextHopMtu = 0;
    this.dataPtr = packet.dataPtr;
    this.dataLen = packet.dataLen;
    if (msgType == Icmpv4Type.ECHO_REQUEST || msgType == Icmpv4Type.ECHO_REPLY) {
      if (code != ECHO_CODE) return WireError.Malformed;
      this.ident = packet.ident;
      this.seqNo = packet.seqNo;
      return WireError.Ok;
    }
    if (msgType == Icmpv4Type.DEST_UNREACHABLE || msgType == Icmpv4Type.TIME_EXCEEDED) {
      const r = checkQuote(packet.dataPtr, packet.dataLen);
      if (r < 0) return r;
      if (msgType == Icmpv4Type.DEST_UNREACHABLE && code == Icmpv4Unreachable.FRAG_NEEDED) {
        this.nextHopMtu = packet.nextHopMtu;
      }
      return WireError.Ok;
    }
    return WireError.Unsupported;
  }

  @inline get isEcho(): bool {
    return this.msgType == Icmpv4Type.ECHO_REQUEST || this.msgType == Icmpv4Type.ECHO_REPLY;
  }

  @inline get isError(): bool { return icmpv4IsError(this.msgType); }

  /** Bytes of data `emit` writes after the header: errors quote at most ICMPV4_MAX_QUOTE_LEN. */
  get emitDataLen(): i32 {
    if (this.dataLen <= 0) return 0;
    if (this.isEcho) return this.dataLen;
    return min(this.dataLen, ICMPV4_MAX_QUOTE_LEN);
  }

  /** Bytes `emit` writes: the header and the (possibly capped) data. */
  @inline get bufferLen(): i32 { return ICMPV4_HEADER_LEN + this.emitDataLen; }

  /**
   * Writes the message at ptr and its checksum; returns bytes written. The data (echo payload or
   * quoted datagram) is copied from dataPtr unless it is already at ptr + 8; overlapping ranges
   * are fine, so an error may be built in place over the datagram it quotes. An error quotes the
   * first dataLen bytes of the original, capped at ICMPV4_MAX_QUOTE_LEN so that the datagram stays
   * within 576 bytes (RFC 1812 4.3.2.3); the caller passes the whole original datagram, or just
   * its header and 8 bytes for the RFC 792 minimum. Unsupported for types other than echo,
   * destination unreachable and time exceeded; Malformed for a negative length or echo data that
   * cannot fit a datagram; BufferTooSmall when `len` < bufferLen.
   */
  emit(ptr: usize, len: i32): i32 {
    const msgType = this.msgType;
    const echo = this.isEcho;
    if (!echo && msgType != Icmpv4Type.DEST_UNREACHABLE && msgType != Icmpv4Type.TIME_EXCEEDED) {
      return WireError.Unsupported;
    }
    if (this.dataLen < 0 || (echo && this.dataLen > ICMPV4_MAX_ECHO_DATA_LEN)) return WireError.Malformed;
    const dataLen = this.emitDataLen;
    const total = ICMPV4_HEADER_LEN + dataLen;
    if (len < total) return WireError.BufferTooSmall;
    // Data first: the source may overlap the header bytes about to be written (in-place errors).
    const dataDst = ptr + DATA_OFFSET;
    if (dataLen > 0 && this.dataPtr != dataDst) memory.copy(dataDst, this.dataPtr, <usize>dataLen);
    writeU8(ptr + TYPE_OFFSET, msgType);
    writeU8(ptr + CODE_OFFSET, this.code);
    writeU16(ptr + CHECKSUM_OFFSET, 0);
    if (echo) {
      writeU16(ptr + IDENT_OFFSET, this.ident);
      writeU16(ptr + SEQ_OFFSET, this.seqNo);
    } else {
      // RFC 792: the word is unused and zero, except the next-hop MTU of RFC 1191.
      writeU32(ptr + REST_OFFSET, 0);
      if (msgType == Icmpv4Type.DEST_UNREACHABLE && this.code == Icmpv4Unreachable.FRAG_NEEDED) {
        writeU16(ptr + MTU_OFFSET, this.nextHopMtu);
      }
    }
    writeU16(ptr + CHECKSUM_OFFSET, internetChecksum(ptr, total));
    return total;
  }
}

/**
 * Checks that an error's data starts with an IPv4 header followed by at least 8 bytes, so the
 * transport layer can find the original addresses and ports without further checks.
 */
function checkQuote(ptr: usize, len: i32): i32 {
  if (len < ICMPV4_MIN_QUOTE_LEN) return WireError.Truncated;
  const versionIhl = readU8(ptr);
  if ((versionIhl >> QUOTE_VERSION_SHIFT) != IPV4_VERSION) return WireError.Malformed;
  const headerLen = <i32>(versionIhl & QUOTE_IHL_MASK) * QUOTE_IHL_WORD_LEN;
  if (headerLen < IPV4_HEADER_LEN) return WireError.Malformed;
  if (len < headerLen + ICMPV4_QUOTED_DATA_LEN) return WireError.Truncated;
  return WireError.Ok;
}
