// A fixed pool of frame buffers for a link's slow path (delay, rate, reorder, duplication): one
// ArrayBuffer of `capacity` slots of `slotBytes` each, used as a FIFO, with each slot's length,
// arrival time and flags in parallel typed arrays. Nothing is allocated per frame; a link holds
// at most `capacity` frames, and a frame that finds the slab full is the link's queue drop.
// One extra slot past the FIFO holds the frame a reordering link keeps back.

/** Slot flag: the receiver need not verify checksums. */
export const SLOT_TRUSTED = 1;
/** Slot flag: the frame is to be held back and delivered after the next one (reorder). */
export const SLOT_HOLD = 2;

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
  #head = 0;
  #count = 0;

  constructor(capacity: number, slotBytes: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`slab capacity must be a positive integer, got ${capacity}`);
    // Slots start on a word boundary so that copies in and out run a word at a time.
    const rounded = Math.ceil(slotBytes / 4) * 4;
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

  /** Copies slot `slot` into the held-back slot. */
  hold(slot: number): void {
    const from = this.offset(slot);
    this.bytes.copyWithin(this.offset(this.holdSlot), from, from + this.lengths[slot]!);
    this.lengths[this.holdSlot] = this.lengths[slot]!;
    this.at[this.holdSlot] = this.at[slot]!;
    this.flags[this.holdSlot] = this.flags[slot]!;
  }

  /** A fresh copy of a slot's frame, for a receiver that keeps what it is given. */
  copyOut(slot: number): Uint8Array {
    const from = this.offset(slot);
    return this.bytes.slice(from, from + this.lengths[slot]!);
  }

  /** Forgets every frame. */
  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }

  /**
   * A slab with another shape holding the same frames in the same order (when configure() changes
   * the MTU or queueFrames). Frames beyond the new capacity, or longer than its slots, are not
   * copied; the count of those is returned with it.
   */
  reshaped(capacity: number, slotBytes: number, held: boolean): { slab: PayloadSlab; lost: number } {
    const next = new PayloadSlab(capacity, slotBytes);
    let lost = 0;
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#head + i) % this.capacity;
      const length = this.lengths[slot]!;
      if (next.full || length > next.slotBytes) { lost++; continue; }
      const to = next.push(length, this.at[slot]!, this.flags[slot]!);
      next.bytes.set(this.bytes.subarray(this.offset(slot), this.offset(slot) + length), next.offset(to));
    }
    if (held) {
      const length = this.lengths[this.holdSlot]!;
      if (length <= next.slotBytes) {
        next.bytes.set(this.bytes.subarray(this.offset(this.holdSlot), this.offset(this.holdSlot) + length), next.offset(next.holdSlot));
        next.lengths[next.holdSlot] = length;
        next.flags[next.holdSlot] = this.flags[this.holdSlot]!;
      } else {
        lost++;
      }
    }
    return { slab: next, lost };
  }
}
