// Ethernet II frames (IEEE 802.3 with an EtherType; the FCS is stripped by the device).
//
//   0                   6                  12        14
//   +-------------------+-------------------+---------+----------------
//   | destination MAC   | source MAC        | type    | payload ...
//   +-------------------+-------------------+---------+----------------
//
// This file is the model for every wire format: a *view* (EthernetFrame) that checks the buffer
// length once in `check` and then reads fields without further checks, and a *representation*
// (EthernetRepr) that `parse`s a checked view into plain fields and `emit`s them back. Neither
// allocates: the core creates its views and reprs once and reuses them for every packet.

import { readMac, readU16, writeMac, writeU16 } from "./bytes";
import { WireError } from "./error";

export const ETHERNET_HEADER_LEN: i32 = 14;
/** Smallest frame on the wire without FCS; shorter frames are padded by the sender. */
export const ETHERNET_MIN_FRAME_LEN: i32 = 60;

const DST_OFFSET: usize = 0;
const SRC_OFFSET: usize = 6;
const TYPE_OFFSET: usize = 12;

export namespace EtherType {
  export const IPV4: u16 = 0x0800;
  export const ARP: u16 = 0x0806;
  export const IPV6: u16 = 0x86dd;
  /** Values below this are IEEE 802.3 length fields, not EtherTypes. */
  export const MIN_ETHERTYPE: u16 = 0x0600;
}

/** A view over a received or outgoing frame. Accessors are valid only after `check` returned Ok. */
@final
export class EthernetFrame {
  ptr: usize = 0;
  len: i32 = 0;

  /** Wraps [ptr, ptr+len); Ok when the header fits. */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (len < ETHERNET_HEADER_LEN) return WireError.Truncated;
    this.len = len;
    return WireError.Ok;
  }

  @inline get dst(): u64 { return readMac(this.ptr + DST_OFFSET); }
  @inline get src(): u64 { return readMac(this.ptr + SRC_OFFSET); }
  @inline get etherType(): u16 { return readU16(this.ptr + TYPE_OFFSET); }
  @inline get payloadPtr(): usize { return this.ptr + <usize>ETHERNET_HEADER_LEN; }
  @inline get payloadLen(): i32 { return this.len - ETHERNET_HEADER_LEN; }
}

/** The fields of an Ethernet II header. */
@final
export class EthernetRepr {
  dst: u64 = 0;
  src: u64 = 0;
  etherType: u16 = 0;

  /**
   * Fills this repr from a checked frame. 802.3 frames (type field < 0x0600, a length) and
   * LLC/SNAP are not Ethernet II and come back Unsupported.
   */
  parse(frame: EthernetFrame): i32 {
    if (frame.len < ETHERNET_HEADER_LEN) return WireError.Truncated;
    const type = frame.etherType;
    if (type < EtherType.MIN_ETHERTYPE) return WireError.Unsupported;
    this.dst = frame.dst;
    this.src = frame.src;
    this.etherType = type;
    return WireError.Ok;
  }

  @inline get headerLen(): i32 { return ETHERNET_HEADER_LEN; }

  /** Writes the header at ptr; returns bytes written or BufferTooSmall. */
  emit(ptr: usize, len: i32): i32 {
    if (len < ETHERNET_HEADER_LEN) return WireError.BufferTooSmall;
    writeMac(ptr + DST_OFFSET, this.dst);
    writeMac(ptr + SRC_OFFSET, this.src);
    writeU16(ptr + TYPE_OFFSET, this.etherType);
    return ETHERNET_HEADER_LEN;
  }
}
