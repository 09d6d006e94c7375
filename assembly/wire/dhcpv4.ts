// DHCPv4 messages (RFC 2131 section 2, options from RFC 2132), carried in UDP between ports 67
// and 68. The fixed BOOTP part is followed by the magic cookie and a list of options.
//
//   0               1               2               3
//   +---------------+---------------+---------------+---------------+
//   |      op       |     htype     |     hlen      |     hops      |    0
//   +---------------+---------------+---------------+---------------+
//   |                              xid                              |    4
//   +-------------------------------+-------------------------------+
//   |             secs              |             flags             |    8
//   +-------------------------------+-------------------------------+
//   |                   ciaddr (client's current address)           |   12
//   |                   yiaddr ("your", the offered address)        |   16
//   |                   siaddr (next server)                        |   20
//   |                   giaddr (relay agent)                        |   24
//   +---------------------------------------------------------------+
//   |                   chaddr (16 bytes; a 6-byte MAC here)        |   28
//   |                   sname  (64 bytes, skipped)                  |   44
//   |                   file   (128 bytes, skipped)                 |  108
//   +---------------------------------------------------------------+
//   |                   magic cookie 99.130.83.99                   |  236
//   +---------------------------------------------------------------+
//   |  code | len | value ... | code | len | value ... | ... | END  |  240
//   +---------------------------------------------------------------+
//
// Options are code/length/value triples, except PAD (0) and END (255), which are one byte
// (RFC 2132 section 3.1, 3.2). Only the options a client needs are decoded; unknown ones are
// skipped by their length. Option overload (52, RFC 2132 section 9.3: more options in sname/file)
// is reported Unsupported: no server we know of needs it for the few options a client uses.
//
// Like every wire format here: DhcpPacket is a view whose `check` does the length check of the
// fixed part once; DhcpRepr parses a checked view into plain fields (walking the options with a
// bounds check before every read) and emits them back. Neither allocates after construction.

import { readMac, readU16, readU32, readU8, writeMac, writeU16, writeU32, writeU8 } from "./bytes";
import { WireError } from "./error";

/** Offset of the magic cookie: the end of the BOOTP fixed part (RFC 2131 section 2, figure 1). */
export const DHCP_COOKIE_OFFSET: i32 = 236;
/** Fixed part plus cookie: the smallest buffer that can hold a DHCP message at all. */
export const DHCP_OPTIONS_OFFSET: i32 = 240;
/** RFC 2131 section 3 / RFC 1497: the first four option bytes are 99, 130, 83, 99. */
export const DHCP_MAGIC_COOKIE: u32 = 0x63825363;
/**
 * Emitted messages are padded to this size. RFC 951's BOOTP message had a fixed 64-byte vendor
 * area (236 + 64), and BOOTP relays and older servers still drop anything shorter.
 */
export const DHCP_MIN_EMIT_LEN: i32 = 300;
/** Bit 15 of `flags` (RFC 2131 section 2, figure 2): the client wants replies broadcast. */
export const DHCP_FLAG_BROADCAST: u16 = 0x8000;
/** How many DNS servers (option 6) a repr keeps; further ones are ignored. */
export const DHCP_MAX_DNS_SERVERS: i32 = 4;
/** Largest value an option length byte can hold, so the most a parameter request list can carry. */
export const DHCP_MAX_OPTION_LEN: i32 = 255;

const OP_OFFSET: i32 = 0;
const HTYPE_OFFSET: i32 = 1;
const HLEN_OFFSET: i32 = 2;
const HOPS_OFFSET: i32 = 3;
const XID_OFFSET: i32 = 4;
const SECS_OFFSET: i32 = 8;
const FLAGS_OFFSET: i32 = 10;
const CIADDR_OFFSET: i32 = 12;
const YIADDR_OFFSET: i32 = 16;
const SIADDR_OFFSET: i32 = 20;
const GIADDR_OFFSET: i32 = 24;
const CHADDR_OFFSET: i32 = 28;

/** Bytes of an option's code and length fields. */
const OPTION_HEADER_LEN: i32 = 2;
const ADDRESS_LEN: i32 = 4;
const U32_OPTION_LEN: i32 = 4;
const MTU_OPTION_LEN: i32 = 2;
const MESSAGE_TYPE_LEN: i32 = 1;
const OVERLOAD_LEN: i32 = 1;
/** RFC 2132 section 9.14: a client identifier is at least a type byte and one more byte. */
const CLIENT_ID_MIN_LEN: i32 = 2;
/** RFC 2132 section 5.1: the smallest legal interface MTU. */
export const DHCP_MIN_MTU: u16 = 68;
/** Option codes are tracked in a 64-bit presence mask; every decoded code is below this. */
const PRESENCE_BITS: i32 = 64;

/** BOOTP `op` values (RFC 2131 section 2). */
export namespace DhcpOp {
  export const REQUEST: u8 = 1;
  export const REPLY: u8 = 2;
}

/** Hardware type and length for Ethernet (RFC 1700 "Hardware Type" 1, 6-byte addresses). */
export const DHCP_HTYPE_ETHERNET: u8 = 1;
export const DHCP_HLEN_ETHERNET: u8 = 6;

/** Values of option 53 (RFC 2132 section 9.6). */
export namespace DhcpMessageType {
  export const DISCOVER: u8 = 1;
  export const OFFER: u8 = 2;
  export const REQUEST: u8 = 3;
  export const DECLINE: u8 = 4;
  export const ACK: u8 = 5;
  export const NAK: u8 = 6;
  export const RELEASE: u8 = 7;
  export const INFORM: u8 = 8;
}

/** Option codes (RFC 2132). */
export namespace DhcpOption {
  export const PAD: u8 = 0;
  export const SUBNET_MASK: u8 = 1;
  export const ROUTER: u8 = 3;
  export const DNS_SERVER: u8 = 6;
  export const HOST_NAME: u8 = 12;
  export const MTU: u8 = 26;
  export const BROADCAST: u8 = 28;
  export const REQUESTED_IP: u8 = 50;
  export const LEASE_TIME: u8 = 51;
  export const OVERLOAD: u8 = 52;
  export const MESSAGE_TYPE: u8 = 53;
  export const SERVER_ID: u8 = 54;
  export const PARAMETER_REQUEST_LIST: u8 = 55;
  export const RENEWAL_TIME: u8 = 58;
  export const REBINDING_TIME: u8 = 59;
  export const CLIENT_ID: u8 = 61;
  export const END: u8 = 255;
}

/** A view over a DHCP message (the UDP payload). Accessors are valid only after `check` returned Ok. */
@final
export class DhcpPacket {
  ptr: usize = 0;
  len: i32 = 0;

  /** Wraps [ptr, ptr+len); Ok when the fixed part and the magic cookie fit. */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (len < DHCP_OPTIONS_OFFSET) return WireError.Truncated;
    this.len = len;
    return WireError.Ok;
  }

  @inline get op(): u8 { return readU8(this.ptr + <usize>OP_OFFSET); }
  @inline get htype(): u8 { return readU8(this.ptr + <usize>HTYPE_OFFSET); }
  @inline get hlen(): u8 { return readU8(this.ptr + <usize>HLEN_OFFSET); }
  @inline get hops(): u8 { return readU8(this.ptr + <usize>HOPS_OFFSET); }
  @inline get xid(): u32 { return readU32(this.ptr + <usize>XID_OFFSET); }
  @inline get secs(): u16 { return readU16(this.ptr + <usize>SECS_OFFSET); }
  @inline get flags(): u16 { return readU16(this.ptr + <usize>FLAGS_OFFSET); }
  @inline get ciaddr(): u32 { return readU32(this.ptr + <usize>CIADDR_OFFSET); }
  @inline get yiaddr(): u32 { return readU32(this.ptr + <usize>YIADDR_OFFSET); }
  @inline get siaddr(): u32 { return readU32(this.ptr + <usize>SIADDR_OFFSET); }
  @inline get giaddr(): u32 { return readU32(this.ptr + <usize>GIADDR_OFFSET); }
  /** The first six bytes of chaddr; meaningful when htype/hlen say Ethernet. */
  @inline get chaddr(): u64 { return readMac(this.ptr + <usize>CHADDR_OFFSET); }
  @inline get magicCookie(): u32 { return readU32(this.ptr + <usize>DHCP_COOKIE_OFFSET); }
  @inline get optionsPtr(): usize { return this.ptr + <usize>DHCP_OPTIONS_OFFSET; }
  @inline get optionsLen(): i32 { return this.len - DHCP_OPTIONS_OFFSET; }
}

/**
 * The fields of a DHCP message and the options a client uses. Which options are present is kept
 * in `present` (bit n set for option code n); `has`, `include` and `exclude` read and change it.
 * The host name and client identifier are not copied: after `parse` they point into the parsed
 * buffer (valid only while it is), and before `emit` the caller points them at its own bytes.
 */
@final
export class DhcpRepr {
  op: u8 = DhcpOp.REQUEST;
  hops: u8 = 0;
  xid: u32 = 0;
  secs: u16 = 0;
  flags: u16 = 0;
  ciaddr: u32 = 0;
  yiaddr: u32 = 0;
  siaddr: u32 = 0;
  giaddr: u32 = 0;
  chaddr: u64 = 0;

  /** Bit n set when option n is present (every decoded option code is below 64). */
  present: u64 = 0;
  messageType: u8 = 0;
  subnetMask: u32 = 0;
  /** The first router of option 3 (RFC 2132 3.5: listed in order of preference). */
  router: u32 = 0;
  dnsServers: StaticArray<u32> = new StaticArray<u32>(DHCP_MAX_DNS_SERVERS);
  dnsServerCount: i32 = 0;
  leaseTime: u32 = 0;
  renewalTime: u32 = 0;
  rebindingTime: u32 = 0;
  serverId: u32 = 0;
  requestedIp: u32 = 0;
  mtu: u16 = 0;
  broadcastAddress: u32 = 0;
  parameterRequests: StaticArray<u8> = new StaticArray<u8>(DHCP_MAX_OPTION_LEN);
  parameterRequestCount: i32 = 0;
  hostNamePtr: usize = 0;
  hostNameLen: i32 = 0;
  clientIdPtr: usize = 0;
  clientIdLen: i32 = 0;

  @inline has(code: u8): bool {
    return <i32>code < PRESENCE_BITS && (this.present & (<u64>1 << <u64>code)) != 0;
  }

  /** Marks option `code` present so that `emit` writes it (codes of 64 and above are ignored). */
  @inline include(code: u8): void {
    if (<i32>code < PRESENCE_BITS) this.present |= <u64>1 << <u64>code;
  }

  @inline exclude(code: u8): void {
    if (<i32>code < PRESENCE_BITS) this.present &= ~(<u64>1 << <u64>code);
  }

  @inline get broadcast(): bool { return (this.flags & DHCP_FLAG_BROADCAST) != 0; }
  set broadcast(on: bool) {
    this.flags = on ? this.flags | DHCP_FLAG_BROADCAST : this.flags & ~DHCP_FLAG_BROADCAST;
  }

  /** Clears every field and option (the storage is kept). */
  reset(): void {
    this.op = DhcpOp.REQUEST;
    this.hops = 0; this.xid = 0; this.secs = 0; this.flags = 0;
    this.ciaddr = 0; this.yiaddr = 0; this.siaddr = 0; this.giaddr = 0; this.chaddr = 0;
    this.present = 0;
    this.messageType = 0; this.subnetMask = 0; this.router = 0; this.dnsServerCount = 0;
    this.leaseTime = 0; this.renewalTime = 0; this.rebindingTime = 0;
    this.serverId = 0; this.requestedIp = 0; this.mtu = 0; this.broadcastAddress = 0;
    this.parameterRequestCount = 0;
    this.hostNamePtr = 0; this.hostNameLen = 0; this.clientIdPtr = 0; this.clientIdLen = 0;
  }

  /** Appends a DNS server for `emit`; false when DHCP_MAX_DNS_SERVERS are already set. */
  addDnsServer(address: u32): bool {
    if (this.dnsServerCount >= DHCP_MAX_DNS_SERVERS) return false;
    unchecked(this.dnsServers[this.dnsServerCount] = address);
    this.dnsServerCount++;
    this.include(DhcpOption.DNS_SERVER);
    return true;
  }

  /** Appends an option code to the parameter request list; false when the list is full. */
  addParameterRequest(code: u8): bool {
    if (this.parameterRequestCount >= DHCP_MAX_OPTION_LEN) return false;
    unchecked(this.parameterRequests[this.parameterRequestCount] = code);
    this.parameterRequestCount++;
    this.include(DhcpOption.PARAMETER_REQUEST_LIST);
    return true;
  }

  /**
   * Fills this repr from a checked packet. Returns Ok, Truncated (shorter than the fixed part),
   * Malformed (bad op, bad cookie, no END option, an option running past the end, a known
   * option with a wrong length or value, a fixed-size option repeated), or Unsupported
   * (hardware other than Ethernet, option overload, a host name or client id split in pieces).
   */
  parse(packet: DhcpPacket): i32 {
    const len = packet.len;
    if (len < DHCP_OPTIONS_OFFSET) return WireError.Truncated;
    const op = packet.op;
    if (op != DhcpOp.REQUEST && op != DhcpOp.REPLY) return WireError.Malformed;
    if (packet.htype != DHCP_HTYPE_ETHERNET || packet.hlen != DHCP_HLEN_ETHERNET) {
      return WireError.Unsupported;
    }
    if (packet.magicCookie != DHCP_MAGIC_COOKIE) return WireError.Malformed;

    this.reset();
    this.op = op;
    this.hops = packet.hops;
    this.xid = packet.xid;
    this.secs = packet.secs;
    this.flags = packet.flags;
    this.ciaddr = packet.ciaddr;
    this.yiaddr = packet.yiaddr;
    this.siaddr = packet.siaddr;
    this.giaddr = packet.giaddr;
    this.chaddr = packet.chaddr;

    // Offsets, not pointers, so that the bound `len` can never wrap at the top of memory.
    const ptr = packet.ptr;
    let off = DHCP_OPTIONS_OFFSET;
    while (true) {
      // RFC 2131 section 4.1: the options end with END; running out of bytes first is malformed.
      if (off >= len) return WireError.Malformed;
      const code = readU8(ptr + <usize>off);
      if (code == DhcpOption.PAD) { off++; continue; }
      if (code == DhcpOption.END) break;
      if (off + OPTION_HEADER_LEN > len) return WireError.Malformed;
      const optLen = <i32>readU8(ptr + <usize>(off + 1));
      const valueOff = off + OPTION_HEADER_LEN;
      if (valueOff + optLen > len) return WireError.Malformed;
      const r = this.option(code, ptr + <usize>valueOff, optLen);
      if (r < 0) return r;
      off = valueOff + optLen;
    }
    return WireError.Ok;
  }

  /** A fixed-size option: right length, and not seen before (see `option`). */
  private fixedOk(code: u8, optLen: i32, want: i32): bool {
    return optLen == want && !this.has(code);
  }

  /** Decodes one option whose value [value, value+optLen) is known to be inside the packet. */
  private option(code: u8, value: usize, optLen: i32): i32 {
    // A repeated option is one long option split in pieces (RFC 3396 section 5), so a repeated
    // fixed-size option concatenates to the wrong length: Malformed. Address lists (3, 6) and the
    // parameter request list are concatenated; host name and client id pieces are not joined
    // (they are kept as one pointer into the packet), which is Unsupported.
    switch (code) {
      case DhcpOption.SUBNET_MASK: {
        if (!this.fixedOk(code, optLen, ADDRESS_LEN)) return WireError.Malformed;
        this.subnetMask = readU32(value);
        break;
      }
      case DhcpOption.BROADCAST: {
        if (!this.fixedOk(code, optLen, ADDRESS_LEN)) return WireError.Malformed;
        this.broadcastAddress = readU32(value);
        break;
      }
      case DhcpOption.SERVER_ID: {
        if (!this.fixedOk(code, optLen, ADDRESS_LEN)) return WireError.Malformed;
        this.serverId = readU32(value);
        break;
      }
      case DhcpOption.REQUESTED_IP: {
        if (!this.fixedOk(code, optLen, ADDRESS_LEN)) return WireError.Malformed;
        this.requestedIp = readU32(value);
        break;
      }
      case DhcpOption.LEASE_TIME: {
        if (!this.fixedOk(code, optLen, U32_OPTION_LEN)) return WireError.Malformed;
        this.leaseTime = readU32(value);
        break;
      }
      case DhcpOption.RENEWAL_TIME: {
        if (!this.fixedOk(code, optLen, U32_OPTION_LEN)) return WireError.Malformed;
        this.renewalTime = readU32(value);
        break;
      }
      case DhcpOption.REBINDING_TIME: {
        if (!this.fixedOk(code, optLen, U32_OPTION_LEN)) return WireError.Malformed;
        this.rebindingTime = readU32(value);
        break;
      }
      case DhcpOption.MTU: {
        if (!this.fixedOk(code, optLen, MTU_OPTION_LEN)) return WireError.Malformed;
        const mtu = readU16(value);
        if (mtu < DHCP_MIN_MTU) return WireError.Malformed;
        this.mtu = mtu;
        break;
      }
      case DhcpOption.MESSAGE_TYPE: {
        if (!this.fixedOk(code, optLen, MESSAGE_TYPE_LEN)) return WireError.Malformed;
        // Zero is no message type at all. Values above INFORM (FORCERENEW, leasequery...) are
        // kept as they are: the DHCP client decides what to ignore.
        const type = readU8(value);
        if (type == 0) return WireError.Malformed;
        this.messageType = type;
        break;
      }
      case DhcpOption.ROUTER:
      case DhcpOption.DNS_SERVER: {
        // RFC 2132 sections 3.5 and 3.8: one or more addresses, so a non-zero multiple of 4.
        if (optLen == 0 || optLen % ADDRESS_LEN != 0) return WireError.Malformed;
        if (code == DhcpOption.ROUTER) {
          if (!this.has(code)) this.router = readU32(value);
        } else {
          for (let i = 0; i < optLen && this.dnsServerCount < DHCP_MAX_DNS_SERVERS; i += ADDRESS_LEN) {
            unchecked(this.dnsServers[this.dnsServerCount] = readU32(value + <usize>i));
            this.dnsServerCount++;
          }
        }
        break;
      }
      case DhcpOption.PARAMETER_REQUEST_LIST: {
        // RFC 2132 section 9.8: at least one code.
        if (optLen == 0) return WireError.Malformed;
        if (this.parameterRequestCount + optLen > DHCP_MAX_OPTION_LEN) return WireError.Unsupported;
        memory.copy(changetype<usize>(this.parameterRequests) + <usize>this.parameterRequestCount, value, optLen);
        this.parameterRequestCount += optLen;
        break;
      }
      case DhcpOption.HOST_NAME: {
        // RFC 2132 section 3.14: minimum length 1.
        if (optLen == 0) return WireError.Malformed;
        if (this.has(code)) return WireError.Unsupported;
        this.hostNamePtr = value;
        this.hostNameLen = optLen;
        break;
      }
      case DhcpOption.CLIENT_ID: {
        if (optLen < CLIENT_ID_MIN_LEN) return WireError.Malformed;
        if (this.has(code)) return WireError.Unsupported;
        this.clientIdPtr = value;
        this.clientIdLen = optLen;
        break;
      }
      case DhcpOption.OVERLOAD: {
        if (optLen != OVERLOAD_LEN) return WireError.Malformed;
        return WireError.Unsupported;
      }
      default:
        // RFC 2131 section 4.1 / RFC 2132 section 2: unknown options are skipped.
        return WireError.Ok;
    }
    this.include(code);
    return WireError.Ok;
  }

  /** Bytes of the options `emit` writes (END included), or Malformed if one cannot be encoded. */
  private optionsLen(): i32 {
    let n = 1; // END
    if (this.has(DhcpOption.MESSAGE_TYPE)) n += OPTION_HEADER_LEN + MESSAGE_TYPE_LEN;
    if (this.has(DhcpOption.REQUESTED_IP)) n += OPTION_HEADER_LEN + ADDRESS_LEN;
    if (this.has(DhcpOption.SERVER_ID)) n += OPTION_HEADER_LEN + ADDRESS_LEN;
    if (this.has(DhcpOption.LEASE_TIME)) n += OPTION_HEADER_LEN + U32_OPTION_LEN;
    if (this.has(DhcpOption.RENEWAL_TIME)) n += OPTION_HEADER_LEN + U32_OPTION_LEN;
    if (this.has(DhcpOption.REBINDING_TIME)) n += OPTION_HEADER_LEN + U32_OPTION_LEN;
    if (this.has(DhcpOption.SUBNET_MASK)) n += OPTION_HEADER_LEN + ADDRESS_LEN;
    if (this.has(DhcpOption.BROADCAST)) n += OPTION_HEADER_LEN + ADDRESS_LEN;
    if (this.has(DhcpOption.HOST_NAME)) {
      if (this.hostNameLen < 1 || this.hostNameLen > DHCP_MAX_OPTION_LEN) return WireError.Malformed;
      n += OPTION_HEADER_LEN + this.hostNameLen;
    }
    if (this.has(DhcpOption.DNS_SERVER)) {
      if (this.dnsServerCount < 1 || this.dnsServerCount > DHCP_MAX_DNS_SERVERS) return WireError.Malformed;
      n += OPTION_HEADER_LEN + this.dnsServerCount * ADDRESS_LEN;
    }
    if (this.has(DhcpOption.ROUTER)) n += OPTION_HEADER_LEN + ADDRESS_LEN;
    if (this.has(DhcpOption.MTU)) {
      if (this.mtu < DHCP_MIN_MTU) return WireError.Malformed;
      n += OPTION_HEADER_LEN + MTU_OPTION_LEN;
    }
    if (this.has(DhcpOption.CLIENT_ID)) {
      if (this.clientIdLen < CLIENT_ID_MIN_LEN || this.clientIdLen > DHCP_MAX_OPTION_LEN) return WireError.Malformed;
      n += OPTION_HEADER_LEN + this.clientIdLen;
    }
    if (this.has(DhcpOption.PARAMETER_REQUEST_LIST)) {
      if (this.parameterRequestCount < 1 || this.parameterRequestCount > DHCP_MAX_OPTION_LEN) return WireError.Malformed;
      n += OPTION_HEADER_LEN + this.parameterRequestCount;
    }
    return n;
  }

  /**
   * Bytes `emit` writes: fixed part, cookie, options and END, padded to DHCP_MIN_EMIT_LEN.
   * Malformed when the repr cannot be encoded (bad op, an included option with an empty or
   * over-long value, an MTU below 68, message type 0).
   */
  get bufferLen(): i32 {
    if (this.op != DhcpOp.REQUEST && this.op != DhcpOp.REPLY) return WireError.Malformed;
    if (this.has(DhcpOption.MESSAGE_TYPE) && this.messageType == 0) return WireError.Malformed;
    const n = this.optionsLen();
    if (n < 0) return n;
    return max(DHCP_OPTIONS_OFFSET + n, DHCP_MIN_EMIT_LEN);
  }

  /**
   * Writes the message at ptr; returns bytes written, BufferTooSmall, or Malformed for a repr
   * that cannot be encoded. sname and file are zeroed; options are written in the order a server
   * such as dnsmasq uses (type, identity, lease, addresses), client ones after, then END and PAD.
   */
  emit(ptr: usize, len: i32): i32 {
    const total = this.bufferLen;
    if (total < 0) return total;
    if (len < total) return WireError.BufferTooSmall;
    memory.fill(ptr, 0, <usize>total);
    writeU8(ptr + <usize>OP_OFFSET, this.op);
    writeU8(ptr + <usize>HTYPE_OFFSET, DHCP_HTYPE_ETHERNET);
    writeU8(ptr + <usize>HLEN_OFFSET, DHCP_HLEN_ETHERNET);
    writeU8(ptr + <usize>HOPS_OFFSET, this.hops);
    writeU32(ptr + <usize>XID_OFFSET, this.xid);
    writeU16(ptr + <usize>SECS_OFFSET, this.secs);
    writeU16(ptr + <usize>FLAGS_OFFSET, this.flags);
    writeU32(ptr + <usize>CIADDR_OFFSET, this.ciaddr);
    writeU32(ptr + <usize>YIADDR_OFFSET, this.yiaddr);
    writeU32(ptr + <usize>SIADDR_OFFSET, this.siaddr);
    writeU32(ptr + <usize>GIADDR_OFFSET, this.giaddr);
    writeMac(ptr + <usize>CHADDR_OFFSET, this.chaddr);
    writeU32(ptr + <usize>DHCP_COOKIE_OFFSET, DHCP_MAGIC_COOKIE);

    let p = ptr + <usize>DHCP_OPTIONS_OFFSET;
    if (this.has(DhcpOption.MESSAGE_TYPE)) {
      p = putHeader(p, DhcpOption.MESSAGE_TYPE, MESSAGE_TYPE_LEN);
      writeU8(p, this.messageType); p += <usize>MESSAGE_TYPE_LEN;
    }
    if (this.has(DhcpOption.REQUESTED_IP)) p = putU32(p, DhcpOption.REQUESTED_IP, this.requestedIp);
    if (this.has(DhcpOption.SERVER_ID)) p = putU32(p, DhcpOption.SERVER_ID, this.serverId);
    if (this.has(DhcpOption.LEASE_TIME)) p = putU32(p, DhcpOption.LEASE_TIME, this.leaseTime);
    if (this.has(DhcpOption.RENEWAL_TIME)) p = putU32(p, DhcpOption.RENEWAL_TIME, this.renewalTime);
    if (this.has(DhcpOption.REBINDING_TIME)) p = putU32(p, DhcpOption.REBINDING_TIME, this.rebindingTime);
    if (this.has(DhcpOption.SUBNET_MASK)) p = putU32(p, DhcpOption.SUBNET_MASK, this.subnetMask);
    if (this.has(DhcpOption.BROADCAST)) p = putU32(p, DhcpOption.BROADCAST, this.broadcastAddress);
    if (this.has(DhcpOption.HOST_NAME)) {
      p = putHeader(p, DhcpOption.HOST_NAME, this.hostNameLen);
      memory.copy(p, this.hostNamePtr, <usize>this.hostNameLen); p += <usize>this.hostNameLen;
    }
    if (this.has(DhcpOption.DNS_SERVER)) {
      p = putHeader(p, DhcpOption.DNS_SERVER, this.dnsServerCount * ADDRESS_LEN);
      for (let i = 0; i < this.dnsServerCount; i++) {
        writeU32(p, unchecked(this.dnsServers[i])); p += <usize>ADDRESS_LEN;
      }
    }
    if (this.has(DhcpOption.ROUTER)) p = putU32(p, DhcpOption.ROUTER, this.router);
    if (this.has(DhcpOption.MTU)) {
      p = putHeader(p, DhcpOption.MTU, MTU_OPTION_LEN);
      writeU16(p, this.mtu); p += <usize>MTU_OPTION_LEN;
    }
    if (this.has(DhcpOption.CLIENT_ID)) {
      p = putHeader(p, DhcpOption.CLIENT_ID, this.clientIdLen);
      memory.copy(p, this.clientIdPtr, <usize>this.clientIdLen); p += <usize>this.clientIdLen;
    }
    if (this.has(DhcpOption.PARAMETER_REQUEST_LIST)) {
      p = putHeader(p, DhcpOption.PARAMETER_REQUEST_LIST, this.parameterRequestCount);
      memory.copy(p, changetype<usize>(this.parameterRequests), <usize>this.parameterRequestCount);
      p += <usize>this.parameterRequestCount;
    }
    writeU8(p, DhcpOption.END);
    // The rest, up to DHCP_MIN_EMIT_LEN, is already PAD (zero) from the fill above.
    return total;
  }
}

@inline function putHeader(p: usize, code: u8, len: i32): usize {
  writeU8(p, code);
  writeU8(p + 1, <u8>len);
  return p + <usize>OPTION_HEADER_LEN;
}

@inline function putU32(p: usize, code: u8, value: u32): usize {
  const q = putHeader(p, code, U32_OPTION_LEN);
  writeU32(q, value);
  return q + <usize>U32_OPTION_LEN;
}
