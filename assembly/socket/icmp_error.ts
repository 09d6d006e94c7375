// What an ICMP error quoting one of our packets means for the socket that sent it, as Linux
// decides it (net/ipv4/icmp.c, icmp_err_convert): an errno, and whether the error is "hard" (the
// peer or the path definitively refuses: reported to a connected socket at once) or "soft" (may be
// transient, such as a route flap or a TTL too small: counted, never raised on a datagram socket).
// RFC 1122 4.1.3.3 asks UDP to pass ICMP errors up; Linux passes only hard ones, and so do we, so
// that a spoofed time exceeded cannot kill a connected socket.

import * as Errno from "../../bindings/errno_values";
import { Icmpv4Type } from "../wire/icmpv4";
import { IpProtocol } from "../wire/ipv4";
import { readU8, readU16, readU32 } from "../wire/bytes";

/** Packed result: the negative errno in the low 16 bits' place, HARD_FLAG set for hard errors. */
const HARD_FLAG: i32 = 1 << 16;
const ERRNO_MASK: i32 = 0xffff;

/** Destination unreachable codes 0..15 (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
const UNREACHABLE_CODES: i32 = 16;

// errno | hard, indexed by the destination-unreachable code.
const UNREACHABLE: StaticArray<i32> = [
  Errno.ENETUNREACH,                  // 0 net unreachable: soft
  Errno.EHOSTUNREACH,                 // 1 host unreachable: soft
  Errno.ENOPROTOOPT | HARD_FLAG,      // 2 protocol unreachable
  Errno.ECONNREFUSED | HARD_FLAG,     // 3 port unreachable
  Errno.EMSGSIZE,                     // 4 fragmentation needed: soft (path MTU)
  Errno.EOPNOTSUPP,                   // 5 source route failed: soft
  Errno.ENETUNREACH | HARD_FLAG,      // 6 destination network unknown
  Errno.EHOSTDOWN | HARD_FLAG,        // 7 destination host unknown
  Errno.ENONET | HARD_FLAG,           // 8 source host isolated
  Errno.ENETUNREACH | HARD_FLAG,      // 9 network administratively prohibited
  Errno.EHOSTUNREACH | HARD_FLAG,     // 10 host administratively prohibited
  Errno.ENETUNREACH,                  // 11 network unreachable for TOS: soft
  Errno.EHOSTUNREACH,                 // 12 host unreachable for TOS: soft
  Errno.EHOSTUNREACH | HARD_FLAG,     // 13 communication administratively prohibited
  Errno.EHOSTUNREACH | HARD_FLAG,     // 14 host precedence violation
  Errno.EHOSTUNREACH | HARD_FLAG,     // 15 precedence cutoff in effect
];

/** The meaning of one ICMP error: `errno` (negative) and whether it is hard. */
export class IcmpErrorMeaning {
  errno: i32 = 0;
  hard: bool = false;

  /** Fills in the meaning of (type, code); returns false for messages that are not errors to report. */
  of(type: u8, code: u8): bool {
    if (type == Icmpv4Type.DEST_UNREACHABLE) {
      // Unassigned codes: Linux treats them as host unreachable, soft.
      const packed = <i32>code < UNREACHABLE_CODES ? unchecked(UNREACHABLE[code]) : Errno.EHOSTUNREACH;
      this.errno = -(packed & ERRNO_MASK);
      this.hard = (packed & HARD_FLAG) != 0;
      return true;
    }
    if (type == Icmpv4Type.TIME_EXCEEDED) {
      this.errno = -Errno.EHOSTUNREACH;
      this.hard = false;
      return true;
    }
    return false;
  }
}

/** Offsets inside the IPv4 header an ICMP error quotes (RFC 791 3.1). */
const QUOTED_IP_VERSION_IHL: usize = 0;
const QUOTED_IP_PROTOCOL: usize = 9;
const QUOTED_IP_SRC: usize = 12;
const QUOTED_IP_DST: usize = 16;
const IHL_MASK: u8 = 0x0f;
/** The IHL field counts 32-bit words. */
const IHL_UNIT: usize = 4;
/** Offsets inside the 8 quoted transport bytes (RFC 792): ports, or the echo header. */
const QUOTED_SRC_PORT: usize = 0;
const QUOTED_DST_PORT: usize = 2;
const QUOTED_ICMP_TYPE: usize = 0;
const QUOTED_ECHO_IDENT: usize = 4;
const QUOTED_ECHO_SEQ: usize = 6;
/** The TCP sequence number: bytes 4..7 of the quoted header, inside RFC 792's 8 bytes. */
const QUOTED_TCP_SEQ: usize = 4;

/**
 * The packet of ours an ICMP error quotes: its protocol, addresses and the first 8 bytes of its
 * transport header. The wire parser already checked that the quote holds an IPv4 header (version
 * 4, IHL >= 5) and at least 8 more bytes, so every read here stays inside it.
 */
export class QuotedPacket {
  protocol: u8 = 0;
  src: u32 = 0;
  dst: u32 = 0;
  private transport: usize = 0;

  read(quote: usize): void {
    const headerLen = <usize>(readU8(quote + QUOTED_IP_VERSION_IHL) & IHL_MASK) * IHL_UNIT;
    this.transport = quote + headerLen;
    this.protocol = readU8(quote + QUOTED_IP_PROTOCOL);
    this.src = readU32(quote + QUOTED_IP_SRC);
    this.dst = readU32(quote + QUOTED_IP_DST);
  }

  @inline get srcPort(): u32 { return readU16(this.transport + QUOTED_SRC_PORT); }
  /** For a quoted TCP segment: its sequence number (RFC 5927 4.1 checks it against ours). */
  @inline get tcpSeq(): u32 { return readU32(this.transport + QUOTED_TCP_SEQ); }
  @inline get dstPort(): u32 { return readU16(this.transport + QUOTED_DST_PORT); }
  @inline get isEchoRequest(): bool {
    return this.protocol == IpProtocol.ICMP && readU8(this.transport + QUOTED_ICMP_TYPE) == Icmpv4Type.ECHO_REQUEST;
  }
  @inline get echoIdent(): u32 { return readU16(this.transport + QUOTED_ECHO_IDENT); }
  @inline get echoSeq(): u32 { return readU16(this.transport + QUOTED_ECHO_SEQ); }
}
