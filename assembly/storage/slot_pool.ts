// A fixed-capacity pool of slots handed out as generation-checked handles (sockets, connections).
//
//   handle (a positive i32)
//    31  30     28 27                  16 15                            0
//   +---+---------+----------------------+-------------------------------+
//   | 0 | tag (3) | generation (12, >= 1)| slot index (16 bits)          |
//   +---+---------+----------------------+-------------------------------+
//   tag: fixed per pool (the socket layer gives each kind of socket its own pool and tag, so a
//   handle alone says which pool it belongs to; a handle of another pool never resolves here)
//
//   storage, allocated once (capacity = C, slotSize = S bytes per slot, 0 for none)
//   base                  base + 4C              base + 8C (rounded up to 16)
//   +---------------------+---------------------+------------------------------------------+
//   | meta: u32 x C       | free queue: i32 x C | slot data: S x C bytes (optional)        |
//   +---------------------+---------------------+------------------------------------------+
//   meta word: bit 15 = live, bits 0..11 = generation of the current (or next) occupant
//
// A handle names one occupancy of one slot. Freeing a slot moves its generation on, so the old
// handle, and any copy the user kept, resolves to SLOT_BAD_HANDLE (EBADF) from then on, even
// after the slot is reused: a stale handle can never reach another socket's data (DESIGN.md,
// "Handles"). Generations run 1..GEN_MAX and wrap back to 1, skipping 0, so every valid handle is
// at least 1 << 16: 0 and negative numbers (which the core uses for errors) are never valid.
//
// Free slots wait in a FIFO queue, so a freed slot is reused only after every other free slot has
// been. A stale handle could only become valid again after its slot has gone through GEN_MAX
// (4095) more occupancies of that slot, and the FIFO order spreads reuse over the whole pool to make that as
// slow as possible.
//
// After construction nothing is allocated: alloc and free only move numbers within the storage.
// The error codes are the negated Linux errno values the socket layer reports (bindings/errno.ts),
// so the stack can pass them through unchanged.

/** alloc() when every slot is in use: -EMFILE (24, "too many open files"). */
export const SLOT_FULL: i32 = -24;
/** A handle that is stale (freed, or its slot reused), out of range or never issued: -EBADF (9). */
export const SLOT_BAD_HANDLE: i32 = -9;

export const SLOT_INDEX_BITS: i32 = 16;
/** Most slots a pool may have: every index fits in the handle's low bits. */
export const SLOT_MAX_CAPACITY: i32 = 1 << SLOT_INDEX_BITS;
const INDEX_MASK: i32 = SLOT_MAX_CAPACITY - 1;
/**
 * Most data bytes per slot: a full pool's data (65536 x 4 KiB = 256 MiB) then stays well below the
 * runtime's largest block (just under 1 GiB), so the one allocation cannot be refused for its size.
 */
export const SLOT_MAX_SIZE: i32 = 4096;
/** Largest generation: 12 bits, leaving 3 bits for the pool's tag and the sign bit clear. */
export const GEN_MAX: u32 = 0xfff;
const GEN_BITS: u32 = 12;
const TAG_SHIFT: u32 = <u32>SLOT_INDEX_BITS + GEN_BITS;
/** Largest pool tag: 3 bits. */
export const SLOT_TAG_MAX: u32 = 7;
/** First generation of every slot; 0 is never used, so no valid handle is below 1 << 16. */
export const GEN_FIRST: u32 = 1;
/** The smallest value any valid handle can have. */
export const SLOT_HANDLE_MIN: i32 = <i32>GEN_FIRST << SLOT_INDEX_BITS;

const META_SIZE: usize = 4;
const QUEUE_ENTRY_SIZE: usize = 4;
const GEN_MASK: u32 = GEN_MAX;
const LIVE_FLAG: u32 = 0x8000;
/** The slot data area starts on this boundary (the runtime's own allocation alignment). */
const DATA_ALIGN: usize = 16;

@final
export class SlotPool {
  /** Start of the one allocation; the meta words are first. */
  private meta: usize;
  /** The free queue: a ring of `cap` slot indices. */
  private queue: usize;
  /** The slot data area (slotSize bytes per slot). */
  private data: usize;
  private cap: i32;
  private size: i32;
  /** Index in the free queue of the next slot to hand out. */
  private queueHead: i32 = 0;
  /** Number of indices in the free queue (cap - inUse). */
  private queueLen: i32;
  private live: i32 = 0;
  /** This pool's tag, already shifted into place in every handle it issues. */
  private readonly tagBits: u32;
  /** alloc() calls refused because the pool was full, since construction. */
  refused: u64 = 0;
  /** The most slots ever in use at once. */
  peakInUse: i32 = 0;

  /**
   * A pool of `capacity` slots (clamped to [0, SLOT_MAX_CAPACITY]), each with `slotSize` bytes of
   * zeroed data (clamped to [0, SLOT_MAX_SIZE]) at slotPtr(index), issuing handles that carry
   * `tag` (masked to SLOT_TAG_MAX). The only allocation it makes.
   */
  constructor(capacity: i32, slotSize: i32 = 0, tag: u32 = 0) {
    this.tagBits = (tag & SLOT_TAG_MAX) << TAG_SHIFT;
    const cap = capacity < 0 ? 0 : capacity > SLOT_MAX_CAPACITY ? SLOT_MAX_CAPACITY : capacity;
    const size = slotSize < 0 ? 0 : slotSize > SLOT_MAX_SIZE ? SLOT_MAX_SIZE : slotSize;
    this.cap = cap;
    this.size = size;
    const queueOffset = <usize>cap * META_SIZE;
    const dataOffset = SlotPool.dataOffset(cap);
    const base = heap.alloc(SlotPool.bytesFor(cap, size));
    this.meta = base;
    this.queue = base + queueOffset;
    this.data = base + dataOffset;
    this.queueLen = cap;
    for (let i = 0; i < cap; i++) {
      this.setMeta(i, GEN_FIRST);
      store<i32>(this.queue + <usize>i * QUEUE_ENTRY_SIZE, i);
    }
    memory.fill(this.data, 0, <usize>cap * <usize>size);
  }

  /** Bytes the one allocation of a pool of `capacity` slots of `slotSize` bytes takes. */
  static bytesFor(capacity: i32, slotSize: i32): usize {
    const cap = capacity < 0 ? 0 : capacity > SLOT_MAX_CAPACITY ? SLOT_MAX_CAPACITY : capacity;
    const size = slotSize < 0 ? 0 : slotSize > SLOT_MAX_SIZE ? SLOT_MAX_SIZE : slotSize;
    return SlotPool.dataOffset(cap) + <usize>cap * <usize>size;
  }

  private static dataOffset(cap: i32): usize {
    return (<usize>cap * META_SIZE + <usize>cap * QUEUE_ENTRY_SIZE + DATA_ALIGN - 1) & ~(DATA_ALIGN - 1);
  }

  @inline get capacity(): i32 { return this.cap; }
  @inline get inUse(): i32 { return this.live; }
  @inline get available(): i32 { return this.cap - this.live; }
  @inline get slotSize(): i32 { return this.size; }

  /**
   * Takes a free slot, zeroes its data, and returns its handle (>= SLOT_HANDLE_MIN), or SLOT_FULL
   * when every slot is in use (nothing changes then but the refusal counter).
   */
  alloc(): i32 {
    if (this.queueLen == 0) {
      this.refused++;
      return SLOT_FULL;
    }
    const index = load<i32>(this.queue + <usize>this.queueHead * QUEUE_ENTRY_SIZE);
    this.queueHead = this.queueHead + 1 == this.cap ? 0 : this.queueHead + 1;
    this.queueLen--;
    const gen = this.metaAt(index) & GEN_MASK;
    this.setMeta(index, gen | LIVE_FLAG);
    // A new occupant never sees the previous one's data.
    if (this.size > 0) memory.fill(this.slotPtr(index), 0, <usize>this.size);
    this.live++;
    if (this.live > this.peakInUse) this.peakInUse = this.live;
    return <i32>(this.tagBits | (gen << <u32>SLOT_INDEX_BITS)) | index;
  }

  /** The tag carried by a handle (which pool issued it), whatever its validity. */
  @inline static tagOf(handle: i32): u32 {
    return (<u32>handle >>> TAG_SHIFT) & SLOT_TAG_MAX;
  }

  /**
   * The slot index a handle names, or SLOT_BAD_HANDLE when it is not a handle this pool issued to
   * the slot's current occupant (0, negative, index out of range, slot free, generation moved on).
   */
  resolve(handle: i32): i32 {
    if (handle < SLOT_HANDLE_MIN) return SLOT_BAD_HANDLE;
    const index = handle & INDEX_MASK;
    if (index >= this.cap) return SLOT_BAD_HANDLE;
    if ((<u32>handle & ~((1 << TAG_SHIFT) - 1)) != this.tagBits) return SLOT_BAD_HANDLE;
    const gen = (<u32>handle >>> <u32>SLOT_INDEX_BITS) & GEN_MASK;
    if (this.metaAt(index) != (gen | LIVE_FLAG)) return SLOT_BAD_HANDLE;
    return index;
  }

  /** Frees the slot a handle names; returns 0, or SLOT_BAD_HANDLE (nothing changes) like resolve. */
  free(handle: i32): i32 {
    const index = this.resolve(handle);
    if (index < 0) return index;
    this.release(index);
    return 0;
  }

  /** True when slot `index` is in use. */
  isLive(index: i32): bool {
    return index >= 0 && index < this.cap && (this.metaAt(index) & LIVE_FLAG) != 0;
  }

  /** The handle of the occupant of slot `index`, or SLOT_BAD_HANDLE when it is free or out of range. */
  handleOf(index: i32): i32 {
    if (!this.isLive(index)) return SLOT_BAD_HANDLE;
    return <i32>(this.tagBits | ((this.metaAt(index) & GEN_MASK) << <u32>SLOT_INDEX_BITS)) | index;
  }

  /**
   * The first live slot index >= from, or -1 when there is none. Iterate with
   * `for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1))`; freeing slot i inside
   * the loop is safe.
   */
  nextLive(from: i32): i32 {
    for (let i = from < 0 ? 0 : from; i < this.cap; i++) {
      if ((this.metaAt(i) & LIVE_FLAG) != 0) return i;
    }
    return -1;
  }

  /** Start of slot `index`'s data. `index` must come from resolve (or be live): no check here. */
  @inline slotPtr(index: i32): usize {
    return this.data + <usize>index * <usize>this.size;
  }

  /** Frees every live slot; all their handles go stale. */
  freeAll(): void {
    for (let i = this.nextLive(0); i >= 0; i = this.nextLive(i + 1)) this.release(i);
  }

  // ---- internals ----

  /** Marks a live slot free with the next generation and queues it for reuse last. */
  private release(index: i32): void {
    const gen = this.metaAt(index) & GEN_MASK;
    this.setMeta(index, gen >= GEN_MAX ? GEN_FIRST : gen + 1);
    let tail = this.queueHead + this.queueLen;
    if (tail >= this.cap) tail -= this.cap;
    store<i32>(this.queue + <usize>tail * QUEUE_ENTRY_SIZE, index);
    this.queueLen++;
    this.live--;
  }

  @inline private metaAt(index: i32): u32 {
    return load<u32>(this.meta + <usize>index * META_SIZE);
  }

  @inline private setMeta(index: i32, value: u32): void {
    store<u32>(this.meta + <usize>index * META_SIZE, value);
  }
}
