// IPv4 headers (RFC 791 section 3.1).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-------+-------+-----------+---+-------------------------------+
//   |Version|  IHL  |   DSCP    |ECN|         Total Length          |   0
//   +-------+-------+-----------+---+-----+-------------------------+
//   |        Identification         |0|D|M|     Fragment Offset     |   4
//   +---------------+---------------+-----+-------------------------+
//   |      TTL      |   Protocol    |        Header Checksum        |   8
//   +---------------+---------------+-------------------------------+
//   |                        Source Address                         |  12
//   +---------------------------------------------------------------+
//   |                     Destination Address                       |  16
//   +---------------------------------------------------------------+
//   |          Options (IHL * 4 - 20 bytes, see below)              |  20
//   +---------------------------------------------------------------+
//   |                      Payload (to Total Length)                |
//
// The DSCP/ECN byte is the old Type of Service (RFC 2474, RFC 3168). The buffer handed to `check`
// may be longer than Total Length (Ethernet pads short frames to 60 bytes): everything after Total
// Length is ignored and the payload ends there.
//
// Options (RFC 791 3.1) are a list of single octets (End of Option List 0, No Operation 1) and of
// type-length-value options whose length octet counts the type and the length octets themselves
// (so at least 2) and which end within the header. Nothing after End of Option List is an option
// (it is padding). Parsing checks that shape and nothing more: the stack acts on no option, so the
// content of Record Route, Timestamp and the others is never read.

import { readU16, readU32, readU8, writeU16, writeU32, writeU8 } from "./bytes";
import { checksumVerifies, internetChecksum } from "./checksum";
import { WireError } from "./error";

/** Length of a header without options; also the only header `Ipv4Repr.emit` writes. */
export const IPV4_HEADER_LEN: i32 = 20;
/** IHL is 4 bits counting 32-bit words: at most 15 words (RFC 791 3.1). */
export const IPV4_MAX_HEADER_LEN: i32 = 60;
/** Total Length is 16 bits (RFC 791 3.1). */
export const IPV4_MAX_PACKET_LEN: i32 = 65535;
/** RFC 791 3.2: every internet module must be able to forward a 68-byte datagram unfragmented. */
export const IPV4_MIN_MTU: i32 = 68;
/**
 * RFC 791 3.1 / RFC 1122 3.3.2: every host must accept a datagram of 576 bytes (reassembled if
 * need be); ICMP errors are kept within it (RFC 1812 4.3.2.3).
 */
export const IPV4_MIN_REASSEMBLY_LEN: i32 = 576;
/** The default TTL in the IANA "ip-parameters" registry (RFC 1700), used by Linux and others. */
export const IPV4_DEFAULT_TTL: u8 = 64;
export const IPV4_VERSION: u8 = 4;
/** Smallest legal IHL: five 32-bit words, the fixed header. */
export const IPV4_MIN_IHL: i32 = 5;
/** Fragment Offset counts 8-byte units (RFC 791 3.1). */
export const IPV4_FRAGMENT_UNIT: i32 = 8;

/** Option types that are a single octet (RFC 791 3.1); every other type has a length octet. */
export namespace Ipv4Option {
  export const END_OF_LIST: u8 = 0;
  export const NO_OPERATION: u8 = 1;
}
/** Smallest length of a type-length-value option: the type and length octets (RFC 791 3.1). */
export const IPV4_OPTION_MIN_LEN: i32 = 2;

/** Top four bits of an address: 1110 is multicast (RFC 5771), 1111 class E (RFC 1112 4). */
const CLASS_SHIFT: u32 = 28;
const CLASS_D_MULTICAST: u32 = 0xe;
const CLASS_E_RESERVED: u32 = 0xf;
/** Top octet of 0.0.0.0/8, "this network" (RFC 1122 3.2.1.3(a), (b)). */
const THIS_NETWORK_SHIFT: u32 = 24;

/** 224.0.0.0/4: multicast groups, never the source of a datagram (RFC 1122 3.2.1.3). */
@inline export function ipv4IsMulticast(address: u32): bool {
  return (address >>> CLASS_SHIFT) == CLASS_D_MULTICAST;
}

/** 240.0.0.0/4: class E, reserved (RFC 1112 4), 255.255.255.255 included. */
@inline export function ipv4IsClassE(address: u32): bool {
  return (address >>> CLASS_SHIFT) == CLASS_E_RESERVED;
}

/** 0.0.0.0/8: "this host on this network"; only ever a source while a host learns its address. */
@inline export function ipv4IsThisNetwork(address: u32): bool {
  return (address >>> THIS_NETWORK_SHIFT) == 0;
}

/** Protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
export namespace IpProtocol {
  export const ICMP: u8 = 1;
  export const TCP: u8 = 6;
  export const UDP: u8 = 17;
}

/** Bits of the 16-bit flags + fragment offset word (RFC 791 3.1). */
export namespace Ipv4Flags {
  /** Bit 0 is reserved and must be zero; received values are ignored (RFC 1122 1.2.2). */
  export const RESERVED: u16 = 0x8000;
  export const DONT_FRAGMENT: u16 = 0x4000;
  export const MORE_FRAGMENTS: u16 = 0x2000;
  export const OFFSET_MASK: u16 = 0x1fff;
}

const VERSION_IHL_OFFSET: usize = 0;
const TOS_OFFSET: usize = 1;
const TOTAL_LEN_OFFSET: usize = 2;
const IDENT_OFFSET: usize = 4;
const FLAGS_FRAG_OFFSET: usize = 6;
const TTL_OFFSET: usize = 8;
/** Offset of the protocol field in an IPv4 header (RFC 791 3.1). */
export const IPV4_PROTOCOL_OFFSET: usize = 9;
const PROTOCOL_OFFSET: usize = IPV4_PROTOCOL_OFFSET;
const CHECKSUM_OFFSET: usize = 10;
const SRC_OFFSET: usize = 12;
const DST_OFFSET: usize = 16;

const VERSION_SHIFT: u8 = 4;
const IHL_MASK: u8 = 0x0f;
/** IHL counts 32-bit words. */
const IHL_WORD_LEN: i32 = 4;
const DSCP_SHIFT: u8 = 2;
const ECN_MASK: u8 = 0x03;
/** DSCP is 6 bits (RFC 2474). */
const DSCP_MAX: u8 = 0x3f;

/**
 * A view over a received or outgoing IPv4 datagram. After `check` returned Ok, `len` is the
 * datagram's Total Length (never more than the buffer) and `headerLen` its IHL in bytes.
 */
@final
export class Ipv4Packet {
  ptr: usize = 0;
  len: i32 = 0;
  headerLen: i32 = 0;

  /**
   * Wraps [ptr, bufLen). Malformed: version not 4, IHL below 5, Total Length shorter than the
   * header. Truncated: the buffer ends before the fixed header, the IHL header, or Total Length.
   */
  check(ptr: usize, bufLen: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    this.headerLen = 0;
    if (bufLen < IPV4_HEADER_LEN) return WireError.Truncated;
    const versionIhl = readU8(ptr + VERSION_IHL_OFFSET);
    if ((versionIhl >> VERSION_SHIFT) != IPV4_VERSION) return WireError.Malformed;
    const headerLen = <i32>(versionIhl & IHL_MASK) * IHL_WORD_LEN;
    if (headerLen < IPV4_MIN_IHL * IHL_WORD_LEN) return WireError.Malformed;
    if (headerLen > bufLen) return WireError.Truncated;
    const totalLen = <i32>readU16(ptr + TOTAL_LEN_OFFSET);
    if (totalLen < headerLen) return WireError.Malformed;
    if (totalLen > bufLen) return WireError.Truncated;
    this.len = totalLen;
    this.headerLen = headerLen;
    return WireError.Ok;
  }

  @inline get version(): u8 { return readU8(this.ptr + VERSION_IHL_OFFSET) >> VERSION_SHIFT; }
  @inline get tos(): u8 { return readU8(this.ptr + TOS_OFFSET); }
  @inline get dscp(): u8 { return this.tos >> DSCP_SHIFT; }
  @inline get ecn(): u8 { return this.tos & ECN_MASK; }
  @inline get totalLen(): u16 { return readU16(this.ptr + TOTAL_LEN_OFFSET); }
  @inline get ident(): u16 { return readU16(this.ptr + IDENT_OFFSET); }
  @inline get flagsAndOffset(): u16 { return readU16(this.ptr + FLAGS_FRAG_OFFSET); }
  @inline get dontFragment(): bool { return (this.flagsAndOffset & Ipv4Flags.DONT_FRAGMENT) != 0; }
  @inline get moreFragments(): bool { return (this.flagsAndOffset & Ipv4Flags.MORE_FRAGMENTS) != 0; }
  /** Offset of this fragment's data in the original datagram, in bytes. */
  @inline get fragmentOffset(): i32 {
    return <i32>(this.flagsAndOffset & Ipv4Flags.OFFSET_MASK) * IPV4_FRAGMENT_UNIT;
  }
  /** True for any fragment of a larger datagram: more to come, or not the first (RFC 791 2.3). */
  @inline get isFragment(): bool {
    return (this.flagsAndOffset & (Ipv4Flags.MORE_FRAGMENTS | Ipv4Flags.OFFSET_MASK)) != 0;
  }
  @inline get ttl(): u8 { return readU8(this.ptr + TTL_OFFSET); }
  @inline get protocol(): u8 { return readU8(this.ptr + PROTOCOL_OFFSET); }
  @inline get checksum(): u16 { return readU16(this.ptr + CHECKSUM_OFFSET); }
  @inline get src(): u32 { return readU32(this.ptr + SRC_OFFSET); }
  @inline get dst(): u32 { return readU32(this.ptr + DST_OFFSET); }
  @inline get optionsPtr(): usize { return this.ptr + <usize>IPV4_HEADER_LEN; }
  @inline get optionsLen(): i32 { return this.headerLen - IPV4_HEADER_LEN; }
  @inline get payloadPtr(): usize { return this.ptr + <usize>this.headerLen; }
  /** Bytes after the header up to Total Length (padding excluded). */
  @inline get payloadLen(): i32 { return this.len - this.headerLen; }

  /** True when the header checksum, options included, verifies (RFC 791 3.1). */
  verifyChecksum(): bool {
    return checksumVerifies(this.ptr, this.headerLen);
  }

  /**
   * Ok when the options have the shape RFC 791 3.1 gives them: single-octet End of Option List
   * and No Operation, every other option a length octet of at least 2 that ends within the
   * header. Malformed otherwise (a length below 2, a length octet missing or past the header).
   * After End of Option List the rest is padding and is not read.
   */
  checkOptions(): i32 {
    const start = this.optionsPtr;
    const len = this.optionsLen;
    let at = 0;
    while (at < len) {
      const type = readU8(start + <usize>at);
      if (type == Ipv4Option.END_OF_LIST) return WireError.Ok;
      if (type == Ipv4Option.NO_OPERATION) {
        at++;
        continue;
      }
      if (at + 1 >= len) return WireError.Malformed;
      const optionLen = <i32>readU8(start + <usize>(at + 1));
      if (optionLen < IPV4_OPTION_MIN_LEN || at + optionLen > len) return WireError.Malformed;
      at += optionLen;
    }
    return WireError.Ok;
  }
}

/** True when (flags, offset) describe a fragment: MF set or a non-zero offset (RFC 791 2.3). */
@inline export function ipv4IsFragment(moreFragments: bool, fragmentOffset: i32): bool {
  return moreFragments || fragmentOffset != 0;
}

/** The fields of an IPv4 header. */
@final
export class Ipv4Repr {
  src: u32 = 0;
  dst: u32 = 0;
  protocol: u8 = 0;
  ttl: u8 = IPV4_DEFAULT_TTL;
  /** Differentiated Services code point, 6 bits (RFC 2474). */
  dscp: u8 = 0;
  /** Explicit Congestion Notification, 2 bits (RFC 3168). */
  ecn: u8 = 0;
  ident: u16 = 0;
  dontFragment: bool = false;
  moreFragments: bool = false;
  /** In bytes; a multiple of 8 (RFC 791 3.1 counts it in 8-byte units). */
  fragmentOffset: i32 = 0;
  /** Bytes after the header (Total Length minus the header). */
  payloadLen: i32 = 0;
  /**
   * Length of the options of a parsed header. Options are checked for shape only (the view
   * exposes them) and ignored by `emit`, which always writes a 20-byte header: this stack sends
   * no options, not even in an echo reply (RFC 1122 3.2.2.6 makes echoing Record Route and
   * Timestamp a SHOULD, not a MUST).
   */
  optionsLen: i32 = 0;

  /**
   * Fills this repr from a checked datagram. BadChecksum when `verifyChecksum` is set and the
   * header checksum fails (pass false for frames the device marks trusted). Malformed when a
   * fragment would end beyond 65535 bytes (RFC 791 3.1 caps a datagram there; reassembling one
   * that does not is the "ping of death") and when the options are malformed (`checkOptions`;
   * Linux drops such datagrams too). A zero TTL is accepted: RFC 1122 3.2.1.7 forbids a host to
   * discard a datagram for a low TTL.
   */
  parse(packet: Ipv4Packet, verifyChecksum: bool = true): i32 {
    if (packet.headerLen < IPV4_HEADER_LEN) return WireError.Truncated;
    if (verifyChecksum && !packet.verifyChecksum()) return WireError.BadChecksum;
    const fragmentOffset = packet.fragmentOffset;
    const payloadLen = packet.payloadLen;
    if (fragmentOffset + payloadLen > IPV4_MAX_PACKET_LEN) return WireError.Malformed;
    if (packet.checkOptions() < 0) return WireError.Malformed;
    this.src = packet.src;
    this.dst = packet.dst;
    this.protocol = packet.protocol;
    this.ttl = packet.ttl;
    this.dscp = packet.dscp;
    this.ecn = packet.ecn;
    this.ident = packet.ident;
    this.dontFragment = packet.dontFragment;
    this.moreFragments = packet.moreFragments;
    this.fragmentOffset = fragmentOffset;
    this.payloadLen = payloadLen;
    this.optionsLen = packet.optionsLen;
    return WireError.Ok;
  }

  @inline get isFragment(): bool { return ipv4IsFragment(this.moreFragments, this.fragmentOffset); }

  /** Bytes `emit` writes: the header only; the caller places the payload after it. */
  @inline get headerLen(): i32 { return IPV4_HEADER_LEN; }

  /** Header plus payload: the buffer a whole datagram needs. */
  @inline get bufferLen(): i32 { return IPV4_HEADER_LEN + this.payloadLen; }

  /**
   * Writes a 20-byte header (no options) at ptr; returns bytes written, BufferTooSmall, or
   * Malformed when the repr cannot be encoded (payload beyond 65515 bytes, an offset that is not a
   * multiple of 8 or beyond 13 bits, a DSCP beyond 6 bits or ECN beyond 2). The checksum is
   * computed, or left zero when `offloadChecksum` says the device fills it in.
   */
  emit(ptr: usize, len: i32, offloadChecksum: bool = false): i32 {
    if (len < IPV4_HEADER_LEN) return WireError.BufferTooSmall;
    if (this.payloadLen < 0 || this.payloadLen > IPV4_MAX_PACKET_LEN - IPV4_HEADER_LEN) {
      return WireError.Malformed;
    }
    const offset = this.fragmentOffset;
    if (offset < 0 || (offset & (IPV4_FRAGMENT_UNIT - 1)) != 0 ||
        offset / IPV4_FRAGMENT_UNIT > <i32>Ipv4Flags.OFFSET_MASK) {
      return WireError.Malformed;
    }
    if (this.dscp > DSCP_MAX || this.ecn > ECN_MASK) return WireError.Malformed;
    let flags = <u16>(offset / IPV4_FRAGMENT_UNIT);
    if (this.dontFragment) flags |= Ipv4Flags.DONT_FRAGMENT;
    if (this.moreFragments) flags |= Ipv4Flags.MORE_FRAGMENTS;
    writeU8(ptr + VERSION_IHL_OFFSET, (IPV4_VERSION << VERSION_SHIFT) | <u8>IPV4_MIN_IHL);
    writeU8(ptr + TOS_OFFSET, (this.dscp << DSCP_SHIFT) | this.ecn);
    writeU16(ptr + TOTAL_LEN_OFFSET, <u16>(IPV4_HEADER_LEN + this.payloadLen));
    writeU16(ptr + IDENT_OFFSET, this.ident);
    writeU16(ptr + FLAGS_FRAG_OFFSET, flags);
    writeU8(ptr + TTL_OFFSET, this.ttl);
    writeU8(ptr + PROTOCOL_OFFSET, this.protocol);
    writeU16(ptr + CHECKSUM_OFFSET, 0);
    writeU32(ptr + SRC_OFFSET, this.src);
    writeU32(ptr + DST_OFFSET, this.dst);
    if (!offloadChecksum) writeU16(ptr + CHECKSUM_OFFSET, internetChecksum(ptr, IPV4_HEADER_LEN));
    return IPV4_HEADER_LEN;
  }
}
