// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
// the data taken as 16-bit big-endian words, an odd final byte padded with a zero byte.
//
// The sum is byte-order independent (RFC 1071 section 2(B)): summing little-endian loads and
// swapping the folded result gives the same value as summing big-endian words. Both paths below
// use that, so they load words natively with no per-word swap.
//
// "Partial" sums here are folded to 16 bits but not complemented, in network-order value (the
// number readU16 would return), so they combine by plain addition: a pseudo-header sum, then the
// header and payload. Only the last piece of a combined sum may have an odd length.

/** Below this length the SIMD loop's setup costs more than it saves. */
const SIMD_MIN_LEN: i32 = 64;
/** Bytes one SIMD step consumes. */
const SIMD_STEP: i32 = 16;
/**
 * Each step adds at most 2 * 0xffff to each 32-bit lane; after this many steps (1 MiB of data)
 * the lanes are moved into the 64-bit total so they can never overflow.
 */
const SIMD_STEPS_PER_FLUSH: i32 = 0x8000 - 1;

/** Folds a wide one's complement sum down to 16 bits (end-around carry). */
@inline export function checksumFold(sum: u64): u32 {
  sum = (sum & 0xffff_ffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return <u32>sum;
}

/** Little-endian word sum of [ptr, ptr+len), scalar. */
function sumLittleEndianScalar(ptr: usize, len: i32): u64 {
  let sum: u64 = 0;
  let i: i32 = 0;
  // Eight bytes at a time: four 16-bit words per load keeps the loop short.
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(ptr + <usize>i);
    sum += (w & 0xffff) + ((w >> 16) & 0xffff) + ((w >> 32) & 0xffff) + (w >> 48);
  }
  for (; i + 2 <= len; i += 2) sum += <u64>load<u16>(ptr + <usize>i);
  if (i < len) sum += <u64>load<u8>(ptr + <usize>i); // odd byte: low half of a LE word
  return sum;
}

/** Little-endian word sum of [ptr, ptr+len) with 128-bit SIMD lanes. */
function sumLittleEndianSimd(ptr: usize, len: i32): u64 {
  let total: u64 = 0;
  let i: i32 = 0;
  while (i + SIMD_STEP <= len) {
    let lanes = i32x4.splat(0);
    let steps: i32 = 0;
    while (i + SIMD_STEP <= len && steps < SIMD_STEPS_PER_FLUSH) {
      lanes = i32x4.add(lanes, i32x4.extadd_pairwise_i16x8_u(v128.load(ptr + <usize>i)));
      i += SIMD_STEP;
      steps++;
    }
    total += <u64><u32>i32x4.extract_lane(lanes, 0) + <u64><u32>i32x4.extract_lane(lanes, 1) +
      <u64><u32>i32x4.extract_lane(lanes, 2) + <u64><u32>i32x4.extract_lane(lanes, 3);
  }
  return total + sumLittleEndianScalar(ptr + <usize>i, len - i);
}

@inline function toNetworkPartial(littleEndianSum: u64, initial: u32): u32 {
  const swapped = <u32>bswap<u16>(<u16>checksumFold(littleEndianSum));
  return checksumFold(<u64>swapped + <u64>initial);
}

/** Partial sum of [ptr, ptr+len) added to `initial`, scalar path (exported for cross-checks). */
export function checksumPartialScalar(ptr: usize, len: i32, initial: u32): u32 {
  return toNetworkPartial(sumLittleEndianScalar(ptr, len), initial);
}

/** Partial sum of [ptr, ptr+len) added to `initial`, SIMD path (exported for cross-checks). */
export function checksumPartialSimd(ptr: usize, len: i32, initial: u32): u32 {
  return toNetworkPartial(sumLittleEndianSimd(ptr, len), initial);
}

/** Partial sum of [ptr, ptr+len) added to `initial`, by the fastest path for the length. */
export function checksumPartial(ptr: usize, len: i32, initial: u32 = 0): u32 {
  return len >= SIMD_MIN_LEN
    ? checksumPartialSimd(ptr, len, initial)
    : checksumPartialScalar(ptr, len, initial);
}

/** Turns a partial sum into the value stored in a checksum field. */
@inline export function checksumFinish(partial: u32): u16 {
  return ~<u16>checksumFold(<u64>partial);
}

/** The checksum of [ptr, ptr+len) alone, ready to store. */
export function internetChecksum(ptr: usize, len: i32): u16 {
  return checksumFinish(checksumPartial(ptr, len, 0));
}

/**
 * True when [ptr, ptr+len), checksum field included, sums to all ones (RFC 1071 section 1:
 * a correct checksum makes the receiver's sum 0xffff), starting from `initial`.
 */
export function checksumVerifies(ptr: usize, len: i32, initial: u32 = 0): bool {
  return checksumPartial(ptr, len, initial) == 0xffff;
}

/** Partial sum of the IPv4 pseudo-header used by UDP and TCP (RFC 768, RFC 9293 section 3.1). */
export function pseudoHeaderSum(src: u32, dst: u32, protocol: u8, length: u32): u32 {
  const sum: u64 = <u64>(src >> 16) + <u64>(src & 0xffff) + <u64>(dst >> 16) +
    <u64>(dst & 0xffff) + <u64>protocol + <u64>length;
  return checksumFold(sum);
}

/**
 * RFC 1624 equation 3: the new checksum after one 16-bit word of the covered data changes from
 * `oldWord` to `newWord`, without summing the data again: HC' = ~(~HC + ~m + m').
 */
export function checksumAdjust(checksum: u16, oldWord: u16, newWord: u16): u16 {
  const sum: u64 = <u64>(~checksum & 0xffff) + <u64>(~oldWord & 0xffff) + <u64>newWord;
  return ~<u16>checksumFold(sum);
}
