// ARP (RFC 826) for Ethernet hardware addresses and IPv4 protocol addresses, the only pairing this
// stack resolves.
//
//   0        2        4      5      6        8                 14          18                24          28
//   +--------+--------+------+------+--------+-----------------+-----------+-----------------+-----------+
//   | htype  | ptype  | hlen | plen | oper   | sender MAC (sha)| sender IP | target MAC (tha)| target IP |
//   +--------+--------+------+------+--------+-----------------+-----------+-----------------+-----------+
//     1        0x0800   6      4      1 or 2
//
// RFC 826 defines the packet generically: the address fields are hlen and plen bytes long. With
// any other sizes the fixed offsets above do not apply, so the view refuses them (Unsupported)
// before exposing a single address getter. Bytes after the 28th are Ethernet padding (frames are
// padded to 60 bytes) and are ignored.

import { readMac, readU16, readU32, readU8, writeMac, writeU16, writeU32, writeU8 } from "./bytes";
import { WireError } from "./error";

/** Length of an Ethernet/IPv4 ARP packet, the only kind this stack parses or emits. */
export const ARP_PACKET_LEN: i32 = 28;
/** Bytes before the addresses: htype, ptype, hlen, plen, oper (RFC 826 "packet format"). */
export const ARP_FIXED_LEN: i32 = 8;

/** ar$hrd values (IANA "Hardware Types"). */
export namespace ArpHardware {
  export const ETHERNET: u16 = 1;
}

/** ar$pro for IPv4: the EtherType of the protocol being resolved (RFC 826). */
export const ARP_PROTOCOL_IPV4: u16 = 0x0800;
/** ar$hln for Ethernet: a MAC address is 6 bytes. */
export const ARP_HLEN_ETHERNET: u8 = 6;
/** ar$pln for IPv4: an address is 4 bytes. */
export const ARP_PLEN_IPV4: u8 = 4;

/** ar$op values (RFC 826). Other values (RARP 3/4, InARP 8/9...) are not ARP for IPv4. */
export namespace ArpOperation {
  export const REQUEST: u16 = 1;
  export const REPLY: u16 = 2;
}

/** The I/G bit of an Ethernet address, first octet's low bit: set for group addresses (IEEE 802). */
export const MAC_GROUP_BIT: u64 = 0x0100_0000_0000;

/**
 * Whether `mac` can be one host's hardware address: not all zero (no address at all) and not a
 * group address (the group bit covers multicast and ff:ff:ff:ff:ff:ff broadcast). An ARP sender
 * claiming anything else would have replies and learned traffic go to every host or none.
 */
@inline export function macIsUnicast(mac: u64): bool {
  return mac != 0 && (mac & MAC_GROUP_BIT) == 0;
}

const HTYPE_OFFSET: usize = 0;
const PTYPE_OFFSET: usize = 2;
const HLEN_OFFSET: usize = 4;
const PLEN_OFFSET: usize = 5;
const OPER_OFFSET: usize = 6;
const SHA_OFFSET: usize = 8;
const SPA_OFFSET: usize = 14;
const THA_OFFSET: usize = 18;
const TPA_OFFSET: usize = 24;

/**
 * A view over a received or outgoing ARP packet. `check` accepts only the Ethernet/IPv4 address
 * sizes, so every getter (at the fixed offsets above) is valid once it returned Ok.
 */
@final
export class ArpPacket {
  ptr: usize = 0;
  len: i32 = 0;

  /**
   * Wraps [ptr, ptr+len). Truncated when the fixed part or the 28 bytes of an Ethernet/IPv4
   * packet do not fit; Unsupported when hlen/plen are not 6/4 (RFC 826 allows other sizes, but
   * then the address offsets differ and this stack has no use for the packet). Trailing bytes
   * (Ethernet padding) are allowed.
   */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (len < ARP_FIXED_LEN) return WireError.Truncated;
    if (readU8(ptr + HLEN_OFFSET) != ARP_HLEN_ETHERNET || readU8(ptr + PLEN_OFFSET) != ARP_PLEN_IPV4) {
      return WireError.Unsupported;
    }
    if (len < ARP_PACKET_LEN) return WireError.Truncated;
    this.len = ARP_PACKET_LEN;
    return WireError.Ok;
  }

  @inline get hardwareType(): u16 { return readU16(this.ptr + HTYPE_OFFSET); }
  @inline get protocolType(): u16 { return readU16(this.ptr + PTYPE_OFFSET); }
  @inline get hardwareLen(): u8 { return readU8(this.ptr + HLEN_OFFSET); }
  @inline get protocolLen(): u8 { return readU8(this.ptr + PLEN_OFFSET); }
  @inline get operation(): u16 { return readU16(this.ptr + OPER_OFFSET); }
  @inline get senderMac(): u64 { return readMac(this.ptr + SHA_OFFSET); }
  @inline get senderIp(): u32 { return readU32(this.ptr + SPA_OFFSET); }
  @inline get targetMac(): u64 { return readMac(this.ptr + THA_OFFSET); }
  @inline get targetIp(): u32 { return readU32(this.ptr + TPA_OFFSET); }
}

/** The fields of an Ethernet/IPv4 ARP request or reply. */
@final
export class ArpRepr {
  operation: u16 = ArpOperation.REQUEST;
  senderMac: u64 = 0;
  senderIp: u32 = 0;
  /** In a request the target MAC is unknown; Linux and RFC 5227 send zero. */
  targetMac: u64 = 0;
  targetIp: u32 = 0;

  /**
   * Fills this repr from a checked packet. A hardware type other than Ethernet or a protocol
   * other than IPv4 is Unsupported (RFC 826 "Packet Reception": a host that lacks the hardware type
   * or does not speak the protocol ignores the packet); an operation other than
   * request or reply is Malformed. Address sanity (broadcast sender and the like) is the
   * neighbour cache's policy, not a wire-format question.
   */
  parse(packet: ArpPacket): i32 {
    if (packet.len < ARP_PACKET_LEN) return WireError.Truncated;
    if (packet.hardwareType != ArpHardware.ETHERNET) return WireError.Unsupported;
    if (packet.protocolType != ARP_PROTOCOL_IPV4) return WireError.Unsupported;
    const op = packet.operation;
    if (op != ArpOperation.REQUEST && op != ArpOperation.REPLY) return WireError.Malformed;
    this.operation = op;
    this.senderMac = packet.senderMac;
    this.senderIp = packet.senderIp;
    this.targetMac = packet.targetMac;
    this.targetIp = packet.targetIp;
    return WireError.Ok;
  }

  /** Bytes `emit` writes. The caller pads the frame to the Ethernet minimum if it must. */
  @inline get bufferLen(): i32 { return ARP_PACKET_LEN; }

  /** Writes the 28-byte packet at ptr; returns bytes written or BufferTooSmall. */
  emit(ptr: usize, len: i32): i32 {
    if (len < ARP_PACKET_LEN) return WireError.BufferTooSmall;
    writeU16(ptr + HTYPE_OFFSET, ArpHardware.ETHERNET);
    writeU16(ptr + PTYPE_OFFSET, ARP_PROTOCOL_IPV4);
    writeU8(ptr + HLEN_OFFSET, ARP_HLEN_ETHERNET);
    writeU8(ptr + PLEN_OFFSET, ARP_PLEN_IPV4);
    writeU16(ptr + OPER_OFFSET, this.operation);
    writeMac(ptr + SHA_OFFSET, this.senderMac);
    writeU32(ptr + SPA_OFFSET, this.senderIp);
    writeMac(ptr + THA_OFFSET, this.targetMac);
    writeU32(ptr + TPA_OFFSET, this.targetIp);
    return ARP_PACKET_LEN;
  }
}
