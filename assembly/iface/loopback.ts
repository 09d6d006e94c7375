// Software loopback: frames the stack sends to its own addresses wait here, in a fixed ring of
// frame-sized slots, until the next poll step receives them, so they never touch the device.
//
//   slots: count * slotBytes, each [len u32][frame bytes ...]

const LEN_BYTES: usize = 4;

export class Loopback {
  readonly slots: i32;
  readonly frameBytes: i32;
  private readonly base: usize;
  private head: i32 = 0;
  private queued: i32 = 0;

  constructor(slots: i32, frameBytes: i32) {
    this.slots = slots;
    this.frameBytes = frameBytes;
    this.base = heap.alloc(<usize>Loopback.bytesFor(slots, frameBytes));
  }

  /** Bytes a ring of `slots` frames of `frameBytes` allocates (the footprint check uses it too). */
  static bytesFor(slots: i32, frameBytes: i32): u64 {
    return <u64>slots * (<u64>LEN_BYTES + <u64>frameBytes);
  }

  @inline private slot(i: i32): usize {
    return this.base + <usize>i * (LEN_BYTES + <usize>this.frameBytes);
  }

  get length(): i32 { return this.queued; }

  /** Copies a frame in; false when the ring is full or the frame too long (the caller reports it). */
  push(ptr: usize, len: i32): bool {
    if (this.queued == this.slots || len < 0 || len > this.frameBytes) return false;
    const s = this.slot((this.head + this.queued) % this.slots);
    store<u32>(s, <u32>len);
    memory.copy(s + LEN_BYTES, ptr, <usize>len);
    this.queued++;
    return true;
  }

  /** The oldest frame: its address (valid until `pop`), or 0 when empty. */
  frontPtr(): usize {
    return this.queued == 0 ? 0 : this.slot(this.head) + LEN_BYTES;
  }

  frontLen(): i32 {
    return this.queued == 0 ? 0 : <i32>load<u32>(this.slot(this.head));
  }

  pop(): void {
    if (this.queued == 0) return;
    this.head = (this.head + 1) % this.slots;
    this.queued--;
  }
}
