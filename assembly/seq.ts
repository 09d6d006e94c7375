// 32-bit TCP sequence number arithmetic, modulo 2^32 (RFC 9293 section 3.4).
//
//              seqLt(a, b): b lies in the half circle "ahead" of a
//
//                 0xFFFF_FFFF | 0
//                        .----+----.
//                      /      |      \          a = 0xFFFF_FFF0, b = 0x0000_0010:
//                     |   a . | . b   |         b - a = 0x20 (mod 2^32), as i32 = +32 > 0
//                     |       |       |         so a < b although a > b as plain integers.
//                      \             /
//                        '----+----'
//                        0x8000_0000
//
// Sequence numbers live on a circle, so "less than" only makes sense between numbers less than
// half the circle (2^31) apart: a < b when the distance from a forward to b, taken modulo 2^32 and
// read as a signed 32-bit number, is positive (the serial number arithmetic of RFC 1982 section 3.2,
// with SERIAL_BITS = 32). TCP keeps every window well inside that bound (RFC 7323 section 2.3 caps
// scaled windows at 2^30), so every comparison the stack makes is well defined.
//
// At a distance of exactly 2^31 the order is undefined (RFC 1982 3.2); these functions then say
// that each number is less than the other. Nothing in TCP compares numbers that far apart.
//
// This file is the ONLY place in the core where two sequence numbers are subtracted: everything
// else goes through these functions, so no code can compare raw u32 values by accident.

/** Half the sequence space: the largest distance over which an order is defined is just below it. */
export const SEQ_HALF: u32 = 0x8000_0000;

/** a < b modulo 2^32. */
@inline export function seqLt(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}

/** a <= b modulo 2^32. */
@inline export function seqLe(a: u32, b: u32): bool {
  return <i32>(a - b) <= 0;
}

/** a > b modulo 2^32. */
@inline export function seqGt(a: u32, b: u32): bool {
  return <i32>(a - b) > 0;
}

/** a >= b modulo 2^32. */
@inline export function seqGe(a: u32, b: u32): bool {
  return <i32>(a - b) >= 0;
}

/** a advanced by n bytes (n may be negative to step back), wrapping at 2^32. */
@inline export function seqAdd(a: u32, n: i32): u32 {
  return a + <u32>n;
}

/**
 * The signed distance from b forward to a: positive when a is ahead of b. seqAdd(b, seqDiff(a, b))
 * is always a. Used to turn a sequence number into an offset in a buffer (e.g. SEG.SEQ - RCV.NXT).
 */
@inline export function seqDiff(a: u32, b: u32): i32 {
  return <i32>(a - b);
}

/**
 * start <= x < start + size, modulo 2^32: x lies in a window of `size` bytes beginning at start
 * (RFC 9293 section 3.10.7.4, the receive window test RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND).
 * An empty window (size 0) contains nothing; the zero-window special cases of 3.10.7.4 are the
 * caller's. Works for any size up to 2^32 - 1, across the wrap.
 */
@inline export function seqInWindow(x: u32, start: u32, size: u32): bool {
  // Unsigned distance from start forward to x: below size exactly when x is inside.
  return x - start < size;
}

/**
 * lo <= x <= hi modulo 2^32, for lo <= hi: e.g. the acceptable ACK test of RFC 9293 3.10.7.4,
 * SND.UNA < SEG.ACK =< SND.NXT, is seqInRange(ack, una + 1, nxt) or seqLt(una, ack) && seqLe(ack, nxt).
 */
@inline export function seqInRange(x: u32, lo: u32, hi: u32): bool {
  return x - lo <= hi - lo;
}

/** The later of two sequence numbers. */
@inline export function seqMax(a: u32, b: u32): u32 {
  return seqGt(a, b) ? a : b;
}

/** The earlier of two sequence numbers. */
@inline export function seqMin(a: u32, b: u32): u32 {
  return seqLt(a, b) ? a : b;
}
