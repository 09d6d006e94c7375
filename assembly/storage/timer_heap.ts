// Timers for slots 0..capacity-1 of a table the caller owns: a binary min-heap of (deadline, slot)
// with each slot's position in the heap, so a slot has at most one timer and
//   set (arm or move), cancel, pop       O(log n)
//   peekDeadline, peekSlot, isSet        O(1)
// The point is the idle cost: asking "is anything due?" reads the root and nothing else, however
// many timers are armed (DESIGN.md, "Timers live in one structure (wheel or heap), not in scans").
//
//   layout, allocated once (bytesFor(capacity))
//   +-----------------------+---------------------+---------------------+
//   | deadlines: i64 x C    | slots: i32 x C      | position: i32 x C   |
//   | heap order            | heap order          | by slot, -1 = unset |
//   +-----------------------+---------------------+---------------------+
//
// Deadlines are plain i64 (the caller's clock: microseconds in the core); ties pop in no
// particular order. Nothing is allocated after construction; bad slots are no-ops.

/** peekSlot() / pop() of an empty heap. */
export const TIMER_NONE: i32 = -1;
/** peekDeadline() of an empty heap: later than every deadline (equal to ../time.ts NO_DEADLINE). */
export const TIMER_NEVER: i64 = i64.MAX_VALUE;
/** Most slots a heap serves (so its arrays' size cannot wrap). */
export const TIMER_MAX_CAPACITY: i32 = 1 << 24;

const UNSET: i32 = -1;
const I64_BYTES: usize = 8;
const I32_BYTES: usize = 4;
const BYTES_PER_SLOT: usize = I64_BYTES + I32_BYTES + I32_BYTES;

@inline function clampCapacity(capacity: i32): i32 {
  return capacity < 0 ? 0 : capacity > TIMER_MAX_CAPACITY ? TIMER_MAX_CAPACITY : capacity;
}

@final
export class TimerHeap {
  private deadlines: usize;
  private slots: usize;
  private position: usize;
  private cap: i32;
  private count: i32 = 0;

  /** Bytes the one allocation of a heap for `capacity` slots takes. */
  static bytesFor(capacity: i32): usize {
    return <usize>clampCapacity(capacity) * BYTES_PER_SLOT;
  }

  /** No timers, for slots 0..capacity-1 (clamped to [0, TIMER_MAX_CAPACITY]). Its only allocation. */
  constructor(capacity: i32) {
    const cap = clampCapacity(capacity);
    this.cap = cap;
    this.deadlines = heap.alloc(TimerHeap.bytesFor(cap));
    this.slots = this.deadlines + <usize>cap * I64_BYTES;
    this.position = this.slots + <usize>cap * I32_BYTES;
    for (let i = 0; i < cap; i++) this.setPosition(i, UNSET);
  }

  @inline get capacity(): i32 { return this.cap; }
  /** Timers armed. */
  @inline get length(): i32 { return this.count; }

  /** The earliest deadline armed, or TIMER_NEVER when none is. */
  @inline peekDeadline(): i64 {
    return this.count == 0 ? TIMER_NEVER : load<i64>(this.deadlines);
  }

  /** The slot whose timer has the earliest deadline, or TIMER_NONE. */
  @inline peekSlot(): i32 {
    return this.count == 0 ? TIMER_NONE : load<i32>(this.slots);
  }

  /** True when `slot` has a timer armed. */
  isSet(slot: i32): bool {
    return slot >= 0 && slot < this.cap && this.positionOf(slot) != UNSET;
  }

  /** The deadline armed for `slot`, or TIMER_NEVER. */
  deadlineOf(slot: i32): i64 {
    if (!this.isSet(slot)) return TIMER_NEVER;
    return this.deadlineAt(this.positionOf(slot));
  }

  /** Arms `slot`'s timer for `deadline`, replacing any it had. False when the slot is out of range. */
  set(slot: i32, deadline: i64): bool {
    if (slot < 0 || slot >= this.cap) return false;
    let at = this.positionOf(slot);
    if (at == UNSET) {
      at = this.count++;
      this.place(at, deadline, slot);
      this.siftUp(at);
      return true;
    }
    const old = this.deadlineAt(at);
    store<i64>(this.deadlines + <usize>at * I64_BYTES, deadline);
    if (deadline < old) this.siftUp(at);
    else if (deadline > old) this.siftDown(at);
    return true;
  }

  /** Disarms `slot`'s timer; false when it had none. */
  cancel(slot: i32): bool {
    if (!this.isSet(slot)) return false;
    this.removeAt(this.positionOf(slot));
    return true;
  }

  /** Disarms the earliest timer and returns its slot, or TIMER_NONE when none is armed. */
  pop(): i32 {
    if (this.count == 0) return TIMER_NONE;
    const slot = this.slotAt(0);
    this.removeAt(0);
    return slot;
  }

  // ---- internals ----

  private removeAt(at: i32): void {
    const slot = this.slotAt(at);
    this.setPosition(slot, UNSET);
    const last = --this.count;
    if (at == last) return;
    // The last leaf fills the gap, then moves whichever way restores the order.
    const deadline = this.deadlineAt(last);
    this.place(at, deadline, this.slotAt(last));
    if (at > 0 && deadline < this.deadlineAt((at - 1) >> 1)) this.siftUp(at);
    else this.siftDown(at);
  }

  private siftUp(at: i32): void {
    const deadline = this.deadlineAt(at);
    const slot = this.slotAt(at);
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const pd = this.deadlineAt(parent);
      if (pd <= deadline) break;
      this.place(at, pd, this.slotAt(parent));
      at = parent;
    }
    this.place(at, deadline, slot);
  }

  private siftDown(at: i32): void {
    const deadline = this.deadlineAt(at);
    const slot = this.slotAt(at);
    const n = this.count;
    while (true) {
      let child = 2 * at + 1;
      if (child >= n) break;
      let cd = this.deadlineAt(child);
      if (child + 1 < n) {
        const rd = this.deadlineAt(child + 1);
        if (rd < cd) {
          child++;
          cd = rd;
        }
      }
      if (cd >= deadline) break;
      this.place(at, cd, this.slotAt(child));
      at = child;
    }
    this.place(at, deadline, slot);
  }

  @inline private place(at: i32, deadline: i64, slot: i32): void {
    store<i64>(this.deadlines + <usize>at * I64_BYTES, deadline);
    store<i32>(this.slots + <usize>at * I32_BYTES, slot);
    this.setPosition(slot, at);
  }

  @inline private deadlineAt(at: i32): i64 { return load<i64>(this.deadlines + <usize>at * I64_BYTES); }
  @inline private slotAt(at: i32): i32 { return load<i32>(this.slots + <usize>at * I32_BYTES); }
  @inline private positionOf(slot: i32): i32 { return load<i32>(this.position + <usize>slot * I32_BYTES); }
  @inline private setPosition(slot: i32, at: i32): void { store<i32>(this.position + <usize>slot * I32_BYTES, at); }
}
