// A pool of frame buffers for a link's slow path (delay, rate, loss, reorder, duplication, or a
// sender or receiver without rings): one ArrayBuffer of `capacity` slots of `slotBytes` each,
// used as a FIFO, with each slot's length, arrival time and flags in parallel typed arrays.
// Nothing is allocated per frame. One extra slot past the FIFO holds the frame a reordering link
// keeps back.
//
// The owner bounds how many frames it keeps (a link's queueFrames) and asks for a larger slab
// only when the FIFO is full and below that bound (`resized`), so the memory a deep or
// jumbo-MTU queue may need is taken only once it is used, a doubling at a time.

/** Slot flag: the receiver need not verify checksums. */
export const SLOT_TRUSTED = 1;
/** Slot flag: the frame is to be held back and delivered after the next one (reorder). */
export const SLOT_HOLD = 2;

/** Slots start on a word boundary so that copies in and out run a word at a time (copy.ts). */
const SLOT_ALIGNMENT = 4;

export class PayloadSlab {
  readonly capacity: number;
  readonly slotBytes: number;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  readonly lengths: Uint32Array;
  readonly at: Float64Array;
  readonly flags: Uint8Array;
  /** Index of the held-back slot (outside the FIFO). */
  readonly holdSlot: number;
  /** The held-back slot holds a frame. */
  holding = false;
  #head = 0;
  #count = 0;

  constructor(capacity: number, slotBytes: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`slab capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(slotBytes) || slotBytes < 1) throw new RangeError(`slab slot size must be a positive integer, got ${slotBytes}`);
    const rounded = Math.ceil(slotBytes / SLOT_ALIGNMENT) * SLOT_ALIGNMENT;
    this.capacity = capacity;
    this.slotBytes = rounded;
    this.holdSlot = capacity;
    const buffer = new ArrayBuffer((capacity + 1) * rounded);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.lengths = new Uint32Array(capacity + 1);
    this.at = new Float64Array(capacity + 1);
    this.flags = new Uint8Array(capacity + 1);
  }

  /** Frames in the FIFO (the held-back slot not included). */
  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.capacity;
  }

  /** Byte offset of slot `slot`. */
  offset(slot: number): number {
    return slot * this.slotBytes;
  }

  /** Appends a slot (call only when not full) and returns it; the caller fills its bytes. */
  push(length: number, at: number, flags: number): number {
    const slot = (this.#head + this.#count) % this.capacity;
    this.#count++;
    this.lengths[slot] = length;
    this.at[slot] = at;
    this.flags[slot] = flags;
    return slot;
  }

  /** The oldest slot, or -1 when empty. */
  head(): number {
    return this.#count === 0 ? -1 : this.#head;
  }

  /** Releases the oldest slot. */
  shift(): void {
    if (this.#count === 0) return;
    this.#head = (this.#head + 1) % this.capacity;
    this.#count--;
  }

  /** Moves the oldest slot's frame into the held-back slot (which must be free). */
  holdHead(): void {
    const slot = this.#head;
    const from = this.offset(slot);
    this.bytes.copyWithin(this.offset(this.holdSlot), from, from + this.lengths[slot]!);
    this.lengths[this.holdSlot] = this.lengths[slot]!;
    this.at[this.holdSlot] = this.at[slot]!;
    this.flags[this.holdSlot] = this.flags[slot]!;
    this.holding = true;
    this.shift();
  }

  /** Appends a copy of slot `slot` (a duplicate; call only when not full) and returns it. */
  pushCopy(slot: number): number {
    const to = this.push(this.lengths[slot]!, this.at[slot]!, this.flags[slot]!);
    const from = this.offset(slot);
    this.bytes.copyWithin(this.offset(to), from, from + this.lengths[slot]!);
    return to;
  }

  /** A fresh copy of a slot's frame, for a receiver that keeps what it is given. */
  copyOut(slot: number): Uint8Array {
    const from = this.offset(slot);
    return this.bytes.slice(from, from + this.lengths[slot]!);
  }

  /**
   * A slab with at least this one's capacity and slot size holding the same frames in the same
   * order (the FIFO full below the owner's bound, or a larger MTU configured). Never loses a frame.
   */
  resized(capacity: number, slotBytes: number): PayloadSlab {
    const next = new PayloadSlab(Math.max(capacity, this.capacity), Math.max(slotBytes, this.slotBytes));
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.capacity;
      const to = next.push(this.lengths[slot]!, this.at[slot]!, this.flags[slot]!);
      next.bytes.set(this.bytes.subarray(this.offset(slot), this.offset(slot) + this.lengths[slot]!), next.offset(to));
    }
    if (this.holding) {
      const length = this.lengths[this.holdSlot]!;
      next.bytes.set(this.bytes.subarray(this.offset(this.holdSlot), this.offset(this.holdSlot) + length), next.offset(next.holdSlot));
      next.lengths[next.holdSlot] = length;
      next.at[next.holdSlot] = this.at[this.holdSlot]!;
      next.flags[next.holdSlot] = this.flags[this.holdSlot]!;
      next.holding = true;
    }
    return next;
  }
}
