// Receive-side coalescing (as Linux's GRO) for a receiver that takes large TCP segments
// (segmentation offload): while a link moves one batch of frames, in-order TCP/IPv4 data segments
// of one flow are merged into one frame in the receiver's buffer, marked gso_type TCPV4 with the
// first segment's payload as gso_size, so the receiving core processes one segment where the
// sender sent many, and acknowledges it once. Only over a trusted link: the merged segment's TCP
// checksum is not recomputed (the receiver does not verify it, as a NIC that validated each
// segment's checksum marks its GRO result).
//
// A segment continues the open one only if it is its next in sequence, of the same flow, with the
// same IPv4 header length and TTL, the same acknowledgment, window, TCP header length and option
// bytes, flags ACK (PSH allowed) and no more payload than the first; the open frame is closed (handed
// to the receiver) by a shorter segment, a PSH, a segment that does not continue it, 65,535 bytes of
// IPv4 packet, or the end of the batch, so frames are never reordered. Nothing is allocated.

import type { FrameRings } from './endpoint.js';
import { ETHERNET_HEADER_BYTES } from './endpoint.js';
import { storeIpv4HeaderChecksum } from './checksum.js';
import { copyBytes } from './copy.js';
import {
  ETHERTYPE_OFFSET, ETHERTYPE_IPV4, IPV4_PLAIN_VERSION_IHL, IPV4_MIN_HEADER_BYTES, IPV4_TOTAL_LENGTH_OFFSET,
  IPV4_FLAGS_OFFSET, IPV4_MORE_FRAGMENTS_OR_OFFSET, IPV4_TTL_OFFSET, IPV4_PROTOCOL_OFFSET, IPV4_ADDRESSES_OFFSET,
  IPV4_MAX_PACKET, IP_PROTOCOL_TCP, TCP_SEQ_OFFSET, TCP_ACK_OFFSET, TCP_FLAGS_OFFSET, TCP_WINDOW_OFFSET,
  TCP_MIN_HEADER_BYTES, TCP_ACK, TCP_PSH, tcpHeaderLen, readU16, readU32, writeU16,
} from './tcp-ipv4-frame.js';

const TCP_MERGEABLE_FLAGS = TCP_ACK | TCP_PSH;
const U32_MODULO = 0x1_0000_0000;
/** Headers of a coalescible frame: Ethernet, an IPv4 header without options, TCP. */
const IP_AT = ETHERNET_HEADER_BYTES;
const TCP_AT = ETHERNET_HEADER_BYTES + IPV4_MIN_HEADER_BYTES;

/**
 * The header bytes (Ethernet + IPv4 + TCP) of a frame that may start or continue a coalesced
 * segment: a TCP/IPv4 data segment without IP options or fragments, flags ACK or ACK|PSH. 0 if not.
 */
export function coalescibleHeadersLen(bytes: Uint8Array, at: number, length: number): number {
  if (length < TCP_AT + TCP_MIN_HEADER_BYTES) return 0;
  if (readU16(bytes, at + ETHERTYPE_OFFSET) !== ETHERTYPE_IPV4) return 0;
  const ip = at + IP_AT;
  if (bytes[ip] !== IPV4_PLAIN_VERSION_IHL || bytes[ip + IPV4_PROTOCOL_OFFSET] !== IP_PROTOCOL_TCP) return 0;
  if ((readU16(bytes, ip + IPV4_FLAGS_OFFSET) & IPV4_MORE_FRAGMENTS_OR_OFFSET) !== 0) return 0;
  if (ETHERNET_HEADER_BYTES + readU16(bytes, ip + IPV4_TOTAL_LENGTH_OFFSET) !== length) return 0;
  const tcp = at + TCP_AT;
  const flags = bytes[tcp + TCP_FLAGS_OFFSET]!;
  if ((flags & ~TCP_MERGEABLE_FLAGS) !== 0 || (flags & TCP_ACK) === 0) return 0;
  const tcpLen = tcpHeaderLen(bytes, tcp);
  const headersLen = TCP_AT + tcpLen;
  if (tcpLen < TCP_MIN_HEADER_BYTES || headersLen >= length) return 0;
  return headersLen;
}

export class ReceiveCoalescer {
  /** A frame is open in the receiver's buffer taken with takeRx (rxOffset), not yet completed. */
  open = false;
  #base = 0;
  #length = 0;
  #headersLen = 0;
  #segmentSize = 0;
  #segments = 0;
  #nextSeq = 0;

  /** Bytes of the open frame so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Opens a coalesced frame with the segment already copied into dst's buffer at dst.rxOffset
   * (`headersLen` from coalescibleHeadersLen).
   */
  start(dst: FrameRings, length: number, headersLen: number): void {
    const bytes = dst.bytes;
    const base = dst.rxOffset;
    this.open = true;
    this.#base = base;
    this.#length = length;
    this.#headersLen = headersLen;
    this.#segmentSize = length - headersLen;
    this.#segments = 1;
    this.#nextSeq = (readU32(bytes, base + TCP_AT + TCP_SEQ_OFFSET) + this.#segmentSize) % U32_MODULO;
  }

  /** Whether the segment at src[at, at + length) continues the open frame (see the header comment). */
  continues(src: Uint8Array, at: number, length: number, dst: Uint8Array): boolean {
    if (!this.open || (dst[this.#base + TCP_AT + TCP_FLAGS_OFFSET]! & TCP_PSH) !== 0) return false;
    const headersLen = this.#headersLen;
    const payload = length - headersLen;
    if (coalescibleHeadersLen(src, at, length) !== headersLen) return false;
    if (payload > this.#segmentSize || this.#length + payload > ETHERNET_HEADER_BYTES + IPV4_MAX_PACKET) return false;
    // The open frame's last segment was a full one (a shorter one closes it).
    if ((this.#length - headersLen) !== this.#segments * this.#segmentSize) return false;
    const base = this.#base;
    if (readU32(src, at + TCP_AT + TCP_SEQ_OFFSET) !== this.#nextSeq) return false;
    if (src[at + IP_AT + IPV4_TTL_OFFSET] !== dst[base + IP_AT + IPV4_TTL_OFFSET]) return false;
    // Addresses, ports: the flow.
    for (let i = IP_AT + IPV4_ADDRESSES_OFFSET; i < TCP_AT + TCP_SEQ_OFFSET; i++) if (src[at + i] !== dst[base + i]) return false;
    // Acknowledgment, data offset, window; then the options.
    for (let i = TCP_AT + TCP_ACK_OFFSET; i < TCP_AT + TCP_FLAGS_OFFSET; i++) if (src[at + i] !== dst[base + i]) return false;
    for (let i = TCP_AT + TCP_WINDOW_OFFSET; i < TCP_AT + TCP_WINDOW_OFFSET + 2; i++) if (src[at + i] !== dst[base + i]) return false;
    for (let i = TCP_AT + TCP_MIN_HEADER_BYTES; i < headersLen; i++) if (src[at + i] !== dst[base + i]) return false;
    return true;
  }

  /** Appends the payload (and the PSH) of src's frame taken with takeTx to the open frame. */
  append(src: FrameRings, dst: FrameRings, length: number): void {
    const at = src.txOffset;
    const payload = length - this.#headersLen;
    copyBytes(src.bytes, src.words, at + this.#headersLen, dst.bytes, dst.words, this.#base + this.#length, payload);
    this.#length += payload;
    this.#segments++;
    this.#nextSeq = (this.#nextSeq + payload) % U32_MODULO;
    const flags = this.#base + TCP_AT + TCP_FLAGS_OFFSET;
    dst.bytes[flags] = dst.bytes[flags]! | (src.bytes[at + TCP_AT + TCP_FLAGS_OFFSET]! & TCP_PSH);
  }

  /** Hands the open frame to the receiver: one ordinary frame, or a large segment of several. */
  close(dst: FrameRings, trusted: boolean): number {
    this.open = false;
    const length = this.#length;
    if (this.#segments === 1) {
      dst.completeRx(length, trusted);
      return length;
    }
    const bytes = dst.bytes;
    const ip = this.#base + IP_AT;
    writeU16(bytes, ip + IPV4_TOTAL_LENGTH_OFFSET, length - ETHERNET_HEADER_BYTES);
    storeIpv4HeaderChecksum(bytes, ip, IPV4_MIN_HEADER_BYTES);
    dst.completeRx(length, trusted, this.#segmentSize, this.#headersLen);
    return length;
  }
}
