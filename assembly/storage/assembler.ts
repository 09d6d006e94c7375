// Out-of-order assembler: which byte ranges past the next expected byte have arrived.
//
// Offsets are relative to the receive ring's write end (offset 0 = RCV.NXT, the next byte TCP
// expects, RFC 9293 section 3.3.1). The data itself lives in the ring (RingBuffer.writeAt); this
// only records where it is, as sorted, disjoint, non-touching [start, end) ranges:
//
//   offset 0                                                              (receive window)
//   |--hole--|===range 0===|----hole----|==range 1==|--hole--|===range 2===|
//            start0   end0              start1  end1          start2   end2
//
//   storage, allocated once: (maxHoles + 1) pairs of i32
//   ranges + 0           + 4            + 8           + 12                     + 8 * maxHoles
//   +--------------------+--------------+-------------+-------------+-- ... --+----------------+
//   | start 0            | end 0        | start 1     | end 1       |         | end maxHoles   |
//   +--------------------+--------------+-------------+-------------+-- ... --+----------------+
//
// The bound is on holes: a range that starts after offset 0 has a gap before it that the peer must
// fill. Each costs a slot and, for SACK (RFC 2018), a block, so their number is fixed when the
// assembler is made. A range starting at offset 0 is data ready to hand to the application, not a
// hole, so it never counts and never gets refused: otherwise a full assembler whose first hole is
// wider than one segment could refuse the very in-order segment that would fill it, and the
// connection would stall for ever. That range has the one extra storage slot.
//
// `add` is all or nothing: when accepting a range would need one hole more than allowed, it returns
// AssemblerError.TooManyHoles, counts the refusal, and changes nothing (TCP then drops the segment;
// the peer retransmits it, RFC 9293 3.10.7.4). Merging never adds a hole, so a range that overlaps
// or touches a stored one is always accepted.

/** Most holes any assembler may track (the storage is 8 bytes per hole, plus one range). */
export const ASSEMBLER_MAX_HOLES: i32 = 1024;

/** Bytes per stored range: an i32 start and an i32 end. */
const RANGE_SIZE: usize = 8;
const START_OFFSET: usize = 0;
const END_OFFSET: usize = 4;

export const enum AssemblerError {
  Ok = 0,
  /** Offset or length negative, the end past i32.MAX_VALUE, or an index out of range. */
  Invalid = -1,
  /** Accepting the range would need more holes than allowed; nothing changed. */
  TooManyHoles = -2,
}

@inline function clampHoles(maxHoles: i32): i32 {
  return maxHoles < 0 ? 0 : maxHoles > ASSEMBLER_MAX_HOLES ? ASSEMBLER_MAX_HOLES : maxHoles;
}

@final
export class Assembler {
  /** Start of the range storage, allocated once. */
  private ranges: usize;
  /** Holes allowed (ranges not starting at 0). */
  private holesMax: i32;
  /** Ranges stored, at most holesMax + 1. */
  private count: i32 = 0;
  /** Adds refused because of the hole limit, since construction (never reset by clear). */
  refused: u64 = 0;

  /** An assembler tracking at most `maxHoles` holes, clamped to [0, ASSEMBLER_MAX_HOLES]. */
  constructor(maxHoles: i32) {
    const holes = clampHoles(maxHoles);
    this.holesMax = holes;
    this.ranges = heap.alloc(Assembler.bytesFor(holes));
  }

  /** Bytes an assembler for `maxHoles` holes allocates (the footprint check uses it too). */
  static bytesFor(maxHoles: i32): usize {
    return <usize>(clampHoles(maxHoles) + 1) * RANGE_SIZE;
  }

  @inline get maxHoles(): i32 { return this.holesMax; }
  /** Ranges stored (for SACK blocks: rangeStart(i) / rangeEnd(i) for i in [0, rangeCount)). */
  @inline get rangeCount(): i32 { return this.count; }
  /** True when nothing is stored. */
  @inline get isEmpty(): bool { return this.count == 0; }

  /** Holes stored: the ranges that do not start at offset 0. */
  get holeCount(): i32 {
    return this.count > 0 && this.startAt(0) == 0 ? this.count - 1 : this.count;
  }

  /** Bytes contiguous from offset 0 (what takeContiguous would return now). */
  get contiguousLen(): i32 {
    return this.count > 0 && this.startAt(0) == 0 ? this.endAt(0) : 0;
  }

  /** Start offset of stored range i (ascending in i), or Invalid when i is out of range. */
  rangeStart(i: i32): i32 {
    if (i < 0 || i >= this.count) return AssemblerError.Invalid;
    return this.startAt(i);
  }

  /** End offset (exclusive) of stored range i, or Invalid when i is out of range. */
  rangeEnd(i: i32): i32 {
    if (i < 0 || i >= this.count) return AssemblerError.Invalid;
    return this.endAt(i);
  }

  /** Index of the stored range containing `offset`, or -1 (to put the newest block first in SACK). */
  indexOf(offset: i32): i32 {
    for (let i = 0; i < this.count; i++) {
      if (offset < this.startAt(i)) return -1;
      if (offset < this.endAt(i)) return i;
    }
    return -1;
  }

  /** Forgets every range (e.g. when the connection resets). The refusal counter is kept. */
  clear(): void {
    this.count = 0;
  }

  /**
   * Records that [offset, offset + len) has arrived. Overlaps, duplicates and adjacency with stored
   * ranges are merged, in any order. Returns Ok, Invalid (negative values or an end past
   * i32.MAX_VALUE), or TooManyHoles; on an error nothing changes.
   */
  add(offset: i32, len: i32): i32 {
    if (offset < 0 || len < 0 || offset > i32.MAX_VALUE - len) return AssemblerError.Invalid;
    if (len == 0) return AssemblerError.Ok;
    const end = offset + len;
    const count = this.count;
    // First range that ends at or after the new start: the first one it can touch.
    let first = 0;
    while (first < count && this.endAt(first) < offset) first++;
    // One past the last range that starts at or before the new end.
    let last = first;
    while (last < count && this.startAt(last) <= end) last++;

    if (first == last) {
      // Touches nothing: a new range at index `first`. Only one starting after 0 adds a hole.
      if (offset > 0 && this.holeCount >= this.holesMax) {
        this.refused++;
        return AssemblerError.TooManyHoles;
      }
      this.moveRanges(first + 1, first, count - first);
      this.setRange(first, offset, end);
      this.count = count + 1;
      return AssemblerError.Ok;
    }

    // Covers or touches ranges first..last-1: they become one, which can only remove holes.
    const start = min(offset, this.startAt(first));
    const stop = max(end, this.endAt(last - 1));
    this.setRange(first, start, stop);
    this.moveRanges(first + 1, last, count - last);
    this.count = count - (last - first - 1);
    return AssemblerError.Ok;
  }

  /**
   * Removes the bytes contiguous from offset 0 and returns how many there were (0 when the front is
   * still a hole). Every remaining range shifts down by that count, so offsets stay relative to the
   * new write end once the caller commits those bytes to the ring.
   */
  takeContiguous(): i32 {
    if (this.count == 0 || this.startAt(0) != 0) return 0;
    const n = this.endAt(0);
    const rest = this.count - 1;
    for (let i = 0; i < rest; i++) {
      this.setRange(i, this.startAt(i + 1) - n, this.endAt(i + 1) - n);
    }
    this.count = rest;
    return n;
  }

  // ---- storage access ----

  @inline private rangePtr(i: i32): usize {
    return this.ranges + <usize>i * RANGE_SIZE;
  }

  @inline private startAt(i: i32): i32 {
    return load<i32>(this.rangePtr(i) + START_OFFSET);
  }

  @inline private endAt(i: i32): i32 {
    return load<i32>(this.rangePtr(i) + END_OFFSET);
  }

  @inline private setRange(i: i32, start: i32, end: i32): void {
    store<i32>(this.rangePtr(i) + START_OFFSET, start);
    store<i32>(this.rangePtr(i) + END_OFFSET, end);
  }

  /** Moves n ranges from index `from` to index `to` (memory.copy handles the overlap). */
  @inline private moveRanges(to: i32, from: i32, n: i32): void {
    if (n > 0) memory.copy(this.rangePtr(to), this.rangePtr(from), <usize>n * RANGE_SIZE);
  }
}
