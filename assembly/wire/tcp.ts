// TCP segment header (RFC 9293 section 3.1).
//
//   0        2        4                 8                 12  13  14       16       18       20
//   +--------+--------+--------+--------+--------+--------+---+---+--------+--------+--------+----
//   | src    | dst    | sequence number | ack number      |off|flg| window | checksum| urgent | options
//   | port   | port   |                 |                 |rsv|   |        |         | pointer| (0..40)
//   +--------+--------+--------+--------+--------+--------+---+---+--------+--------+--------+----
//
//   byte 12: data offset (high 4 bits, header length in 32-bit words, 5..15) and reserved bits
//   byte 13: flags  CWR ECE URG ACK PSH RST SYN FIN  (most significant bit first)
//
// TCP carries no length of its own: the segment length is the IP payload length, which the
// caller passes to `check` (and which goes into the checksum's pseudo-header). The checksum
// covers an IPv4 pseudo-header (source, destination, zero, protocol 6, TCP length), the header
// and the payload (RFC 9293 section 3.1, "Checksum").
//
// As with every wire format here: TcpPacket is a view whose `check` validates lengths once,
// TcpRepr parses a checked view into plain fields (options included, see tcp_options.ts) and
// emits them back. Both are created once by their owner and reused; nothing here allocates per
// packet.

import { readU8, readU16, readU32, writeU8, writeU16, writeU32 } from "./bytes";
import { checksumFinish, checksumPartial, checksumVerifies, pseudoHeaderSum } from "./checksum";
import { WireError } from "./error";
import { TcpOptions } from "./tcp_options";
import { IpProtocol } from "./ipv4";
/** The fixed part of the header: data offset 5. */
export const TCP_HEADER_LEN: i32 = 20;
/** Data offset 15 words: 20 bytes of fixed header and 40 of options. */
export const TCP_MAX_HEADER_LEN: i32 = 60;

/** Flag bits of byte 13 (RFC 9293 section 3.1; ECE and CWR from RFC 3168 section 6.1). */
export namespace TcpFlags {
  export const FIN: u8 = 0x01;
  export const SYN: u8 = 0x02;
  export const RST: u8 = 0x04;
  export const PSH: u8 = 0x08;
  export const ACK: u8 = 0x10;
  export const URG: u8 = 0x20;
  export const ECE: u8 = 0x40;
  export const CWR: u8 = 0x80;
}

const SRC_PORT_OFFSET: usize = 0;
const DST_PORT_OFFSET: usize = 2;
const SEQ_OFFSET: usize = 4;
const ACK_OFFSET: usize = 8;
const DATA_OFFSET_OFFSET: usize = 12;
const FLAGS_OFFSET: usize = 13;
const WINDOW_OFFSET: usize = 14;
const CHECKSUM_OFFSET: usize = 16;
const URGENT_OFFSET: usize = 18;

/** The data offset is the high nibble of byte 12. */
const DATA_OFFSET_SHIFT: u8 = 4;
/** The data offset counts 32-bit words. */
const WORD_LEN: i32 = 4;
/** RFC 9293 section 3.1: the header is at least 5 words. */
const MIN_DATA_OFFSET: i32 = 5;

/** A view over a TCP segment. Accessors are valid only after `check` returned Ok. */
@final
export class TcpPacket {
  ptr: usize = 0;
  /** Segment length (header + payload), from the IP layer. */
  len: i32 = 0;
  /** Header length in bytes (data offset * 4), 20..60. */
  headerLen: i32 = 0;

  /**
   * Wraps the segment [ptr, ptr+len), len being the IP payload length. Truncated when the fixed
   * header does not fit or the data offset points past the end of the segment (the buffer ends
   * before the header says it does); Malformed when the data offset is below 5.
   */
  check(ptr: usize, len: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    this.headerLen = 0;
    if (len < TCP_HEADER_LEN) return WireError.Truncated;
    const words = <i32>(readU8(ptr + DATA_OFFSET_OFFSET) >> DATA_OFFSET_SHIFT);
    if (words < MIN_DATA_OFFSET) return WireError.Malformed;
    const headerLen = words * WORD_LEN;
    if (headerLen > len) return WireError.Truncated;
    this.len = len;
    this.headerLen = headerLen;
    return WireError.Ok;
  }

  @inline get srcPort(): u16 { return readU16(this.ptr + SRC_PORT_OFFSET); }
  @inline get dstPort(): u16 { return readU16(this.ptr + DST_PORT_OFFSET); }
  @inline get seqNumber(): u32 { return readU32(this.ptr + SEQ_OFFSET); }
  @inline get ackNumber(): u32 { return readU32(this.ptr + ACK_OFFSET); }
  /** Header length in 32-bit words (5..15). */
  @inline get dataOffset(): i32 { return this.headerLen / WORD_LEN; }
  @inline get flags(): u8 { return readU8(this.ptr + FLAGS_OFFSET); }
  @inline get window(): u16 { return readU16(this.ptr + WINDOW_OFFSET); }
  @inline get checksum(): u16 { return readU16(this.ptr + CHECKSUM_OFFSET); }
  @inline get urgentPointer(): u16 { return readU16(this.ptr + URGENT_OFFSET); }
  @inline get optionsPtr(): usize { return this.ptr + <usize>TCP_HEADER_LEN; }
  @inline get optionsLen(): i32 { return this.headerLen - TCP_HEADER_LEN; }
  @inline get payloadPtr(): usize { return this.ptr + <usize>this.headerLen; }
  @inline get payloadLen(): i32 { return this.len - this.headerLen; }

  /** True when the checksum over pseudo-header, header and payload verifies. */
  verifyChecksum(src: u32, dst: u32): bool {
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.TCP, <u32>this.len);
    return checksumVerifies(this.ptr, this.len, pseudo);
  }
}

/** The fields of a TCP segment header, its options, and where its payload is. */
@final
export class TcpRepr {
  srcPort: u16 = 0;
  dstPort: u16 = 0;
  /** Raw 32-bit sequence and acknowledgment numbers; arithmetic on them belongs to seq.ts. */
  seq: u32 = 0;
  ack: u32 = 0;
  /** TcpFlags bits. */
  flags: u8 = 0;
  /** The window field as sent, not yet scaled (RFC 7323: SYN windows are never scaled). */
  window: u16 = 0;
  urgentPointer: u16 = 0;
  /** Options, allocated once with the repr. */
  options: TcpOptions = new TcpOptions();
  /** After parse: the payload inside the received segment. */
  payloadPtr: usize = 0;
  /** After parse: payload bytes received. For emit: payload bytes already placed after the header. */
  payloadLen: i32 = 0;

  @inline has(flag: u8): bool { return (this.flags & flag) != 0; }

  /**
   * Fills this repr from a checked segment. `src` and `dst` are the IPv4 addresses for the
   * pseudo-header. With `verifyChecksum` false (a frame the device marked trusted) the checksum is
   * not looked at. Returns Ok, Truncated (unchecked view), BadChecksum, or Malformed for a zero
   * port (RFC 6335 section 6: port 0 is reserved and names no connection) or a bad option.
   */
  parse(packet: TcpPacket, src: u32, dst: u32, verifyChecksum: bool): i32 {
    if (packet.len < TCP_HEADER_LEN) return WireError.Truncated;
    // Checksum first: a corrupted segment is reported as corrupted, not as whatever it now says.
    if (verifyChecksum && !packet.verifyChecksum(src, dst)) return WireError.BadChecksum;
    const srcPort = packet.srcPort;
    const dstPort = packet.dstPort;
    if (srcPort == 0 || dstPort == 0) return WireError.Malformed;
    const r = this.options.parse(packet.optionsPtr, packet.optionsLen);
    if (r < 0) return r;
    this.srcPort = srcPort;
    this.dstPort = dstPort;
    this.seq = packet.seqNumber;
    this.ack = packet.ackNumber;
    // Reserved bits of byte 12 are ignored on receipt (RFC 9293 section 3.1, "Reserved").
    this.flags = packet.flags;
    this.window = packet.window;
    this.urgentPointer = packet.urgentPointer;
    this.payloadPtr = packet.payloadPtr;
    this.payloadLen = packet.payloadLen;
    return WireError.Ok;
  }

  /**
   * Header bytes emit writes: 20 plus the options (a multiple of 4, at most 40; SACK blocks that
   * would not fit are left out, see `options.sackBlocksDropped`).
   */
  @inline get headerLen(): i32 { return TCP_HEADER_LEN + this.options.bufferLen; }

  /** Whole segment length: header plus `payloadLen`. */
  @inline get bufferLen(): i32 { return this.headerLen + this.payloadLen; }

  /**
   * Writes the header at ptr. The caller has already placed `payloadLen` payload bytes at
   * ptr + headerLen (so a socket copies from its send ring straight into the frame); they are
   * covered by the checksum. `src` and `dst` are the IPv4 addresses for the pseudo-header.
   * With `offloadChecksum` the checksum field is left holding the pseudo-header sum, which is
   * what a device completing the checksum (virtio VIRTIO_NET_HDR_F_NEEDS_CSUM) expects; otherwise
   * the full checksum is computed. Returns the segment length (header + payload), BufferTooSmall
   * when `len` is shorter, or Malformed for a negative payloadLen.
   */
  emit(ptr: usize, len: i32, src: u32, dst: u32, offloadChecksum: bool): i32 {
    if (this.payloadLen < 0) return WireError.Malformed;
    const headerLen = this.headerLen;
    const total = headerLen + this.payloadLen;
    if (len < total) return WireError.BufferTooSmall;
    writeU16(ptr + SRC_PORT_OFFSET, this.srcPort);
    writeU16(ptr + DST_PORT_OFFSET, this.dstPort);
    writeU32(ptr + SEQ_OFFSET, this.seq);
    writeU32(ptr + ACK_OFFSET, this.ack);
    // Reserved bits are sent as zero (RFC 9293 section 3.1).
    writeU8(ptr + DATA_OFFSET_OFFSET, <u8>(headerLen / WORD_LEN) << DATA_OFFSET_SHIFT);
    writeU8(ptr + FLAGS_OFFSET, this.flags);
    writeU16(ptr + WINDOW_OFFSET, this.window);
    writeU16(ptr + URGENT_OFFSET, this.urgentPointer);
    this.options.emit(ptr + <usize>TCP_HEADER_LEN, headerLen - TCP_HEADER_LEN);
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.TCP, <u32>total);
    if (offloadChecksum) {
      writeU16(ptr + CHECKSUM_OFFSET, <u16>pseudo);
    } else {
      writeU16(ptr + CHECKSUM_OFFSET, 0);
      writeU16(ptr + CHECKSUM_OFFSET, checksumFinish(checksumPartial(ptr, total, pseudo)));
    }
    return total;
  }
}
