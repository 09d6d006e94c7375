// The set of taken ports of one transport (0..65535): "is this port taken" in O(1) and "the next
// free port at or after an offset, wrapping, within [first, last]" in a bounded number of steps.
//
// The second question is the one RFC 6056 section 3.3.4 (Algorithm 4, double-hash port
// selection) asks: offset = F(local address, remote address, remote port, secret key), then try
// first + (offset + table[G(...)] + i) % count for i = 0, 1, ... until a port is free. Walking i
// one port at a time costs up to 65536 steps when the range is nearly full; here the walk jumps
// straight to the next free port, and a full range is answered at once from a count.
//
//   layout, allocated once (bytesFor())
//   +---------------------------------+---------------------------+-------------------------+
//   | ports: u64 x 1024               | full: u64 x 16            | takenIn: i32 x 16       |
//   | bit p = port p taken            | bit w = ports word w full | taken ports per block   |
//   +---------------------------------+---------------------------+-------------------------+
//
// A block is the 4096 ports one `full` word covers. With the two levels a search reads at most
// two port words and the 16 summary words, whatever the range and however many ports are taken.
// One range (the ephemeral range, given to the constructor or setRange) also keeps a running
// count of its free ports, so "is the range full?" is one comparison; any other range is counted
// from the block counts and at most two blocks' edge words.
// Nothing is allocated after construction.

/** Number of ports: every 16-bit value. */
export const PORT_COUNT: i32 = 65536;
export const PORT_MAX: i32 = PORT_COUNT - 1;

const WORD_BITS: i32 = 64;
const WORD_SHIFT: i32 = 6;
const BIT_MASK: i32 = WORD_BITS - 1;
const WORD_BYTES: usize = 8;
const COUNT_BYTES: usize = 4;
/** u64 words of port bits. */
const PORT_WORDS: i32 = PORT_COUNT / WORD_BITS;
/** u64 words of "port word is full" bits; also the number of blocks. */
const SUMMARY_WORDS: i32 = PORT_WORDS / WORD_BITS;
const BLOCK_SHIFT: i32 = WORD_SHIFT + WORD_SHIFT;
const BLOCK_PORTS: i32 = 1 << BLOCK_SHIFT;
const ALL_ONES: u64 = 0xffffffffffffffff;

/** Bits at and above bit `b` (0..63) of a word. */
@inline function fromBit(b: i32): u64 {
  return ALL_ONES << <u64>b;
}

/** Bits at and below bit `b` (0..63) of a word. */
@inline function toBit(b: i32): u64 {
  return ALL_ONES >> <u64>(BIT_MASK - b);
}

@final
export class PortSet {
  private ports: usize;
  private full: usize;
  private takenIn: usize;
  private taken: i32 = 0;
  private rangeFirst: i32 = 0;
  private rangeLast: i32 = PORT_MAX;
  private rangeFree: i32 = PORT_COUNT;

  /** Bytes the one allocation of a PortSet takes (for the config's memory bound). */
  static bytesFor(): usize {
    return <usize>PORT_WORDS * WORD_BYTES + <usize>SUMMARY_WORDS * WORD_BYTES +
      <usize>SUMMARY_WORDS * COUNT_BYTES;
  }

  /**
   * An empty set: every port free. [first, last] is the range whose free ports are counted as
   * they change (see setRange). The only allocation it makes.
   */
  constructor(first: i32 = 0, last: i32 = PORT_MAX) {
    const base = heap.alloc(PortSet.bytesFor());
    memory.fill(base, 0, PortSet.bytesFor());
    this.ports = base;
    this.full = base + <usize>PORT_WORDS * WORD_BYTES;
    this.takenIn = this.full + <usize>SUMMARY_WORDS * WORD_BYTES;
    this.setRange(first, last);
  }

  /**
   * Makes [first, last] (clamped to 0..65535; empty when first > last) the range whose free
   * ports freeIn answers from a running count. Counting it once here costs what one freeIn of
   * another range costs.
   */
  setRange(first: i32, last: i32): void {
    const lo = first < 0 ? 0 : first;
    const hi = last > PORT_MAX ? PORT_MAX : last;
    this.rangeFirst = lo;
    this.rangeLast = hi;
    this.rangeFree = lo > hi ? 0 : hi - lo + 1 - this.takenBetween(lo, hi);
  }

  /** Ports taken in all. */
  @inline get size(): i32 { return this.taken; }

  /** True when `port` is taken; false for free ports and for values outside 0..65535. */
  has(port: i32): bool {
    if (<u32>port > <u32>PORT_MAX) return false;
    return (this.word(port >> WORD_SHIFT) & (<u64>1 << <u64>(port & BIT_MASK))) != 0;
  }

  /** Marks `port` taken; false (nothing changes) when it already was or is out of range. */
  take(port: i32): bool {
    if (<u32>port > <u32>PORT_MAX) return false;
    const w = port >> WORD_SHIFT;
    const bit = <u64>1 << <u64>(port & BIT_MASK);
    const old = this.word(w);
    if ((old & bit) != 0) return false;
    const now = old | bit;
    this.setWord(w, now);
    if (now == ALL_ONES) this.setSummary(w >> WORD_SHIFT, this.summary(w >> WORD_SHIFT) | (<u64>1 << <u64>(w & BIT_MASK)));
    this.addTaken(port >> BLOCK_SHIFT, 1);
    this.taken++;
    if (port >= this.rangeFirst && port <= this.rangeLast) this.rangeFree--;
    return true;
  }

  /** Marks `port` free; false (nothing changes) when it already was or is out of range. */
  release(port: i32): bool {
    if (<u32>port > <u32>PORT_MAX) return false;
    const w = port >> WORD_SHIFT;
    const bit = <u64>1 << <u64>(port & BIT_MASK);
    const old = this.word(w);
    if ((old & bit) == 0) return false;
    this.setWord(w, old & ~bit);
    if (old == ALL_ONES) this.setSummary(w >> WORD_SHIFT, this.summary(w >> WORD_SHIFT) & ~(<u64>1 << <u64>(w & BIT_MASK)));
    this.addTaken(port >> BLOCK_SHIFT, -1);
    this.taken--;
    if (port >= this.rangeFirst && port <= this.rangeLast) this.rangeFree++;
    return true;
  }

  /**
   * Free ports in [first, last] (both clamped to 0..65535; 0 when first > last). The counted
   * range (setRange) is one read; for another, whole blocks come from their counts, so this reads
   * at most 16 counts and the port words of two partial blocks.
   */
  freeIn(first: i32, last: i32): i32 {
    const lo = first < 0 ? 0 : first;
    const hi = last > PORT_MAX ? PORT_MAX : last;
    if (lo > hi) return 0;
    if (lo == this.rangeFirst && hi == this.rangeLast) return this.rangeFree;
    return hi - lo + 1 - this.takenBetween(lo, hi);
  }

  /**
   * The first free port at or after `from`, wrapping from `last` back to `first`, within
   * [first, last] (clamped to 0..65535); `from` outside the range starts at `first`. -1 when every
   * port of the range is taken (or the range is empty).
   */
  nextFree(first: i32, last: i32, from: i32): i32 {
    const lo = first < 0 ? 0 : first;
    const hi = last > PORT_MAX ? PORT_MAX : last;
    if (lo > hi) return -1;
    // The counted range full: answered without a search (RFC 6056 3.3.4's loop would try them all).
    if (lo == this.rangeFirst && hi == this.rangeLast && this.rangeFree == 0) return -1;
    const start = from < lo || from > hi ? lo : from;
    const found = this.scan(start, hi);
    if (found >= 0 || start == lo) return found;
    return this.scan(lo, start - 1);
  }

  // ---- internals ----

  /** Taken ports in [lo, hi], 0 <= lo <= hi <= 65535. */
  private takenBetween(lo: i32, hi: i32): i32 {
    const loBlock = lo >> BLOCK_SHIFT;
    const hiBlock = hi >> BLOCK_SHIFT;
    if (loBlock == hiBlock) return this.takenInSpan(lo, hi);
    let n = this.takenInSpan(lo, ((loBlock + 1) << BLOCK_SHIFT) - 1) + this.takenInSpan(hiBlock << BLOCK_SHIFT, hi);
    for (let b = loBlock + 1; b < hiBlock; b++) n += this.takenInBlock(b);
    return n;
  }

  /** Taken ports in [lo, hi] inside one block: its count when the span is the whole block. */
  private takenInSpan(lo: i32, hi: i32): i32 {
    if ((lo & (BLOCK_PORTS - 1)) == 0 && hi - lo == BLOCK_PORTS - 1) return this.takenInBlock(lo >> BLOCK_SHIFT);
    const loWord = lo >> WORD_SHIFT;
    const hiWord = hi >> WORD_SHIFT;
    if (loWord == hiWord) {
      return <i32>popcnt<u64>(this.word(loWord) & fromBit(lo & BIT_MASK) & toBit(hi & BIT_MASK));
    }
    let n = <i32>popcnt<u64>(this.word(loWord) & fromBit(lo & BIT_MASK)) +
      <i32>popcnt<u64>(this.word(hiWord) & toBit(hi & BIT_MASK));
    for (let w = loWord + 1; w < hiWord; w++) n += <i32>popcnt<u64>(this.word(w));
    return n;
  }

  /** The first free port in [lo, hi] (0 <= lo <= hi <= 65535), or -1. */
  private scan(lo: i32, hi: i32): i32 {
    const loWord = lo >> WORD_SHIFT;
    const hiWord = hi >> WORD_SHIFT;
    let free = ~this.word(loWord) & fromBit(lo & BIT_MASK);
    if (loWord == hiWord) free &= toBit(hi & BIT_MASK);
    if (free != 0) return (loWord << WORD_SHIFT) + <i32>ctz<u64>(free);
    if (loWord == hiWord) return -1;
    // The next port word after loWord, up to hiWord, that is not full: from the summary bits.
    const w = this.nextNotFull(loWord + 1, hiWord);
    if (w < 0) return -1;
    free = ~this.word(w);
    if (w == hiWord) free &= toBit(hi & BIT_MASK);
    return free != 0 ? (w << WORD_SHIFT) + <i32>ctz<u64>(free) : -1;
  }

  /** The first port word index in [lo, hi] whose word is not full, or -1. */
  private nextNotFull(lo: i32, hi: i32): i32 {
    let s = lo >> WORD_SHIFT;
    const last = hi >> WORD_SHIFT;
    let open = ~this.summary(s) & fromBit(lo & BIT_MASK);
    while (true) {
      if (s == last) open &= toBit(hi & BIT_MASK);
      if (open != 0) return (s << WORD_SHIFT) + <i32>ctz<u64>(open);
      if (s == last) return -1;
      s++;
      open = ~this.summary(s);
    }
    return -1;
  }

  @inline private word(w: i32): u64 {
    return load<u64>(this.ports + <usize>w * WORD_BYTES);
  }

  @inline private setWord(w: i32, value: u64): void {
    store<u64>(this.ports + <usize>w * WORD_BYTES, value);
  }

  @inline private summary(s: i32): u64 {
    return load<u64>(this.full + <usize>s * WORD_BYTES);
  }

  @inline private setSummary(s: i32, value: u64): void {
    store<u64>(this.full + <usize>s * WORD_BYTES, value);
  }

  @inline private takenInBlock(b: i32): i32 {
    return load<i32>(this.takenIn + <usize>b * COUNT_BYTES);
  }

  @inline private addTaken(b: i32, delta: i32): void {
    store<i32>(this.takenIn + <usize>b * COUNT_BYTES, this.takenInBlock(b) + delta);
  }
}
