// UDP datagrams (RFC 768).
//
//    0               2               4               6               8
//   +---------------+---------------+---------------+---------------+----------------
//   | source port   | dest. port    | length        | checksum      | payload ...
//   +---------------+---------------+---------------+---------------+----------------
//
// Length counts the header and the payload. It may be shorter than the IPv4 payload it arrives in
// (the rest is ignored) but never longer. The checksum covers an IPv4 pseudo-header (source,
// destination, zero, protocol 17, UDP length), the header and the payload; zero means the sender
// computed none (RFC 768), so a computed zero is sent as all ones.

import { readU16, writeU16 } from "./bytes";
import { checksumFinish, checksumPartial, checksumVerifies, pseudoHeaderSum } from "./checksum";
import { WireError } from "./error";
import { IPV4_HEADER_LEN, IPV4_MAX_PACKET_LEN, IpProtocol } from "./ipv4";

export const UDP_HEADER_LEN: i32 = 8;
/** Largest payload one IPv4 datagram without options can carry. */
export const UDP_MAX_PAYLOAD_LEN: i32 = IPV4_MAX_PACKET_LEN - IPV4_HEADER_LEN - UDP_HEADER_LEN;
/** A zero checksum field means "no checksum" (RFC 768). */
export const UDP_NO_CHECKSUM: u16 = 0;
/** What a computed checksum of zero is sent as, since zero is taken (RFC 768). */
export const UDP_ZERO_CHECKSUM_SENT_AS: u16 = 0xffff;

const SRC_PORT_OFFSET: usize = 0;
const DST_PORT_OFFSET: usize = 2;
const LENGTH_OFFSET: usize = 4;
/** Where the checksum field sits in the header (what a device told to complete it needs). */
export const UDP_CHECKSUM_OFFSET: i32 = 6;
const CHECKSUM_OFFSET: usize = <usize>UDP_CHECKSUM_OFFSET;
const PAYLOAD_OFFSET: usize = 8;

/** A view over a UDP datagram. After `check` is Ok, `len` is the Length field. */
@final
export class UdpPacket {
  ptr: usize = 0;
  len: i32 = 0;

  /**
   * Wraps [ptr, ptr+ipPayloadLen). Truncated: the header does not fit or Length exceeds the IP
   * payload. Malformed: Length below the 8-byte header.
   */
  check(ptr: usize, ipPayloadLen: i32): i32 {
    this.ptr = ptr;
    this.len = 0;
    if (ipPayloadLen < UDP_HEADER_LEN) return WireError.Truncated;
    const length = <i32>readU16(ptr + LENGTH_OFFSET);
    if (length < UDP_HEADER_LEN) return WireError.Malformed;
    if (length > ipPayloadLen) return WireError.Truncated;
    this.len = length;
    return WireError.Ok;
  }

  @inline get srcPort(): u16 { return readU16(this.ptr + SRC_PORT_OFFSET); }
  @inline get dstPort(): u16 { return readU16(this.ptr + DST_PORT_OFFSET); }
  @inline get length(): u16 { return readU16(this.ptr + LENGTH_OFFSET); }
  @inline get checksum(): u16 { return readU16(this.ptr + CHECKSUM_OFFSET); }
  @inline get payloadPtr(): usize { return this.ptr + PAYLOAD_OFFSET; }
  /** Bytes after the header up to the Length field. */
  @inline get payloadLen(): i32 { return this.len - UDP_HEADER_LEN; }

  /**
   * True when the checksum over the pseudo-header, header and payload verifies, or when the
   * sender sent none (zero, RFC 768).
   */
  verifyChecksum(src: u32, dst: u32): bool {
    if (this.checksum == UDP_NO_CHECKSUM) return true;
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.UDP, <u32>this.len);
    return checksumVerifies(this.ptr, this.len, pseudo);
  }
}

/** The fields of a UDP header, and where its payload is. */
@final
export class UdpRepr {
  srcPort: u16 = 0;
  dstPort: u16 = 0;
  /** The payload: inside the parsed datagram, or what `emit` copies from. */
  payloadPtr: usize = 0;
  payloadLen: i32 = 0;

  /**
   * Fills this repr from a checked datagram; `src` and `dst` are the IPv4 addresses it came with,
   * for the pseudo-header. BadChecksum when `verifyChecksum` is set, the field is non-zero and the
   * sum fails (pass false for trusted frames). Port numbers are not judged here: a zero
   * destination port simply matches no socket.
   */
  parse(packet: UdpPacket, src: u32, dst: u32, verifyChecksum: bool = true): i32 {
    if (packet.len < UDP_HEADER_LEN) return WireError.Truncated;
    if (verifyChecksum && !packet.verifyChecksum(src, dst)) return WireError.BadChecksum;
    this.srcPort = packet.srcPort;
    this.dstPort = packet.dstPort;
    this.payloadPtr = packet.payloadPtr;
    this.payloadLen = packet.payloadLen;
    return WireError.Ok;
  }

  @inline get headerLen(): i32 { return UDP_HEADER_LEN; }

  /** Bytes `emit` writes: header and payload. */
  @inline get bufferLen(): i32 { return UDP_HEADER_LEN + this.payloadLen; }

  /**
   * Writes header and payload at ptr; returns bytes written, BufferTooSmall, or Malformed for a
   * payload length that cannot be encoded. The payload is copied from payloadPtr unless it is
   * already at ptr + 8 (ranges may overlap). The checksum uses the pseudo-header of src and dst;
   * a computed zero is sent as 0xffff (RFC 768). With `offloadChecksum` the field holds only the
   * folded pseudo-header sum, for a device to complete over the header and payload (the
   * VIRTIO_NET_F_CSUM convention, csum_start at the UDP header, csum_offset 6).
   */
  emit(ptr: usize, len: i32, src: u32, dst: u32, offloadChecksum: bool = false): i32 {
    const payloadLen = this.payloadLen;
    if (payloadLen < 0 || payloadLen > UDP_MAX_PAYLOAD_LEN) return WireError.Malformed;
    const total = UDP_HEADER_LEN + payloadLen;
    if (len < total) return WireError.BufferTooSmall;
    const payloadDst = ptr + PAYLOAD_OFFSET;
    if (payloadLen > 0 && this.payloadPtr != payloadDst) {
      memory.copy(payloadDst, this.payloadPtr, <usize>payloadLen);
    }
    writeU16(ptr + SRC_PORT_OFFSET, this.srcPort);
    writeU16(ptr + DST_PORT_OFFSET, this.dstPort);
    writeU16(ptr + LENGTH_OFFSET, <u16>total);
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.UDP, <u32>total);
    if (offloadChecksum) {
      writeU16(ptr + CHECKSUM_OFFSET, <u16>pseudo);
      return total;
    }
    writeU16(ptr + CHECKSUM_OFFSET, 0);
    let checksum = checksumFinish(checksumPartial(ptr, total, pseudo));
    if (checksum == UDP_NO_CHECKSUM) checksum = UDP_ZERO_CHECKSUM_SENT_AS;
    writeU16(ptr + CHECKSUM_OFFSET, checksum);
    return total;
  }
}
