// The Internet checksum (RFC 1071) as a device computes it: completing a transport checksum the
// core left partial (virtio VIRTIO_NET_F_CSUM) and rebuilding the checksums of the segments a
// large TCP segment is cut into (segmentation offload). Big-endian 16-bit words, summed with
// end-around carry.

import { writeU16, IPV4_CHECKSUM_OFFSET } from './tcp-ipv4-frame.js';

/** A checksum that computes to zero is sent as its one's complement twin (RFC 768 for UDP). */
const ZERO_CHECKSUM_SENT_AS = 0xffff;
const U16_MASK = 0xffff;
const U16_BITS = 16;
const BYTE_BITS = 8;

/** The sum folded into 16 bits (end-around carry). */
export function fold(sum: number): number {
  while (sum > U16_MASK) sum = (sum & U16_MASK) + (sum >>> U16_BITS);
  return sum;
}

/** The unfolded sum of bytes[from, to) as big-endian 16-bit words (an odd last byte padded). */
export function sumBytes(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (bytes[i]! << BYTE_BITS) | bytes[i + 1]!;
  if (i < to) sum += bytes[i]! << BYTE_BITS;
  return sum;
}

/**
 * The device's half of VIRTIO_NET_F_CSUM: the field at start + offset holds the pseudo-header
 * sum; the one's complement sum from `start` to the end of the frame completes it (RFC 1071).
 * The frame is bytes[base, base + length).
 */
export function completeChecksum(bytes: Uint8Array, base: number, length: number, start: number, offset: number): void {
  const sum = fold(sumBytes(bytes, base + start, base + length));
  writeU16(bytes, base + start + offset, (~sum & U16_MASK) || ZERO_CHECKSUM_SENT_AS);
}

/** Recomputes the checksum of the IPv4 header of `headerLen` bytes at `at` (RFC 791 3.1). */
export function storeIpv4HeaderChecksum(bytes: Uint8Array, at: number, headerLen: number): void {
  writeU16(bytes, at + IPV4_CHECKSUM_OFFSET, 0);
  writeU16(bytes, at + IPV4_CHECKSUM_OFFSET, ~fold(sumBytes(bytes, at, at + headerLen)) & U16_MASK);
}
