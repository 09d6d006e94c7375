// The device's half of TCP segmentation offload (virtio VIRTIO_NET_F_HOST_TSO4, virtio 1.2
// 5.1.6.2): the core hands over one TCP/IPv4 segment of up to 64 KiB marked gso_type TCPV4, and a
// receiver that cannot take it whole gets the segments it stands for, as the core would have sent
// them one by one: each gso_size bytes of payload (the last one the rest) behind a copy of the
// headers, with per segment
//   - IPv4 total length, identification (the first one's plus the segment's index) and header
//     checksum;
//   - TCP sequence number (the first one's plus the payload before it), FIN and PSH only on the
//     last segment, CWR only on the first (as Linux's tcp_gso_segment);
//   - the TCP checksum: completed, or, for a receiver that takes checksums left partial, the
//     pseudo-header sum of the segment's own length (VIRTIO_NET_HDR_F_NEEDS_CSUM's convention).
//
// Cutting happens in place, in the transmit buffer: segment k's headers are written over the last
// hdr_len bytes of segment k-1's payload, which its receiver has copied by then (a frame taken with
// takeTx is copied before completeTx, FrameRings). Nothing is allocated per frame or per segment.
//
//   buffer: [hdr_len headers][payload 0 ............][payload 1 ............][payload 2 ...]
//   seg 1:                        [headers copy][payload 1 ............]
//                                 ^ base + hdr_len + gso_size - hdr_len

import { fold, sumBytes, completeChecksum, storeIpv4HeaderChecksum } from './checksum.js';
import { ETHERNET_HEADER_BYTES } from './endpoint.js';
import {
  ETHERTYPE_OFFSET, ETHERTYPE_IPV4, IPV4_VERSION, IPV4_MIN_HEADER_BYTES, IPV4_TOTAL_LENGTH_OFFSET,
  IPV4_IDENT_OFFSET, IPV4_PROTOCOL_OFFSET, IPV4_ADDRESSES_OFFSET, IPV4_ADDRESSES_BYTES, IP_PROTOCOL_TCP,
  TCP_MIN_HEADER_BYTES, TCP_SEQ_OFFSET, TCP_FLAGS_OFFSET, TCP_CHECKSUM_OFFSET, TCP_FIN, TCP_PSH, TCP_CWR,
  MAX_HEADERS_BYTES, ipVersion, ipv4HeaderLen, tcpHeaderLen, readU16, readU32, writeU16, writeU32,
} from './tcp-ipv4-frame.js';

const U16_MODULO = 0x10000;
const U32_MODULO = 0x1_0000_0000;

export class TcpSegmentCutter {
  /** The frame's headers as the core wrote them (segment 0's), copied before any are overwritten. */
  readonly #headers = new Uint8Array(MAX_HEADERS_BYTES);
  #base = 0;
  #length = 0;
  #headersLen = 0;
  #ipHeaderLen = 0;
  #segmentSize = 0;
  #segments = 0;
  #next = 0;
  #firstIdent = 0;
  #firstSeq = 0;
  #firstFlags = 0;
  /** The sum of the pseudo-header's addresses and protocol (the length differs per segment). */
  #pseudoSum = 0;

  /** Segments of the current frame not yet handed out. */
  get remaining(): number {
    return this.#segments - this.#next;
  }

  /**
   * Starts cutting the frame bytes[base, base + length) whose headers take `headersLen` bytes
   * into payloads of `segmentSize`. False (nothing started) if the frame is not the TCP/IPv4
   * segment its virtio header claims: the caller drops it.
   */
  start(bytes: Uint8Array, base: number, length: number, headersLen: number, segmentSize: number): boolean {
    this.#segments = 0;
    this.#next = 0;
    if (segmentSize < 1 || headersLen > MAX_HEADERS_BYTES || headersLen >= length) return false;
    if (readU16(bytes, base + ETHERTYPE_OFFSET) !== ETHERTYPE_IPV4) return false;
    const ip = base + ETHERNET_HEADER_BYTES;
    const ipHeaderLen = ipv4HeaderLen(bytes, ip);
    if (ipVersion(bytes, ip) !== IPV4_VERSION || ipHeaderLen < IPV4_MIN_HEADER_BYTES) return false;
    if (bytes[ip + IPV4_PROTOCOL_OFFSET] !== IP_PROTOCOL_TCP) return false;
    const tcp = ip + ipHeaderLen;
    const tcpLen = tcpHeaderLen(bytes, tcp);
    if (tcpLen < TCP_MIN_HEADER_BYTES) return false;
    if (ETHERNET_HEADER_BYTES + ipHeaderLen + tcpLen !== headersLen) return false;
    this.#headers.set(bytes.subarray(base, base + headersLen));
    this.#base = base;
    this.#length = length;
    this.#headersLen = headersLen;
    this.#ipHeaderLen = ipHeaderLen;
    this.#segmentSize = segmentSize;
    this.#segments = Math.ceil((length - headersLen) / segmentSize);
    this.#firstIdent = readU16(bytes, ip + IPV4_IDENT_OFFSET);
    this.#firstSeq = readU32(bytes, tcp + TCP_SEQ_OFFSET);
    this.#firstFlags = bytes[tcp + TCP_FLAGS_OFFSET]!;
    const source = ip + IPV4_ADDRESSES_OFFSET;
    this.#pseudoSum = sumBytes(bytes, source, source + IPV4_ADDRESSES_BYTES) + IP_PROTOCOL_TCP;
    return true;
  }

  /** Abandons the frame (its descriptor goes back to the core). */
  stop(): void {
    this.#segments = 0;
    this.#next = 0;
  }

  /**
   * Builds the next segment in place and returns its offset in `bytes` (its length is
   * `segmentLength`). With `partialChecksum` the TCP checksum field is left holding the
   * pseudo-header sum for a receiver that never verifies it; otherwise it is completed.
   */
  next(bytes: Uint8Array, partialChecksum: boolean): number {
    const k = this.#next++;
    const headersLen = this.#headersLen;
    const segmentSize = this.#segmentSize;
    const payloadBefore = k * segmentSize;
    const payloadLen = Math.min(segmentSize, this.#length - headersLen - payloadBefore);
    const at = this.#base + payloadBefore;
    if (k > 0) bytes.set(this.#headers.subarray(0, headersLen), at);
    const ip = at + ETHERNET_HEADER_BYTES;
    const ipHeaderLen = this.#ipHeaderLen;
    const tcp = ip + ipHeaderLen;
    const tcpLen = headersLen - ETHERNET_HEADER_BYTES - ipHeaderLen + payloadLen;
    writeU16(bytes, ip + IPV4_TOTAL_LENGTH_OFFSET, ipHeaderLen + tcpLen);
    writeU16(bytes, ip + IPV4_IDENT_OFFSET, (this.#firstIdent + k) % U16_MODULO);
    storeIpv4HeaderChecksum(bytes, ip, ipHeaderLen);
    const seq = (this.#firstSeq + payloadBefore) % U32_MODULO;
    writeU32(bytes, tcp + TCP_SEQ_OFFSET, seq);
    let flags = this.#firstFlags;
    if (k < this.#segments - 1) flags &= ~(TCP_FIN | TCP_PSH);
    if (k > 0) flags &= ~TCP_CWR;
    bytes[tcp + TCP_FLAGS_OFFSET] = flags;
    writeU16(bytes, tcp + TCP_CHECKSUM_OFFSET, fold(this.#pseudoSum + tcpLen));
    this.segmentLength = headersLen + payloadLen;
    if (!partialChecksum) completeChecksum(bytes, at, this.segmentLength, ETHERNET_HEADER_BYTES + ipHeaderLen, TCP_CHECKSUM_OFFSET);
    return at;
  }

  /** Length of the segment `next` built last. */
  segmentLength = 0;
}
