// An intrusive doubly linked list over slot indices 0..capacity-1 of a table the caller owns: the
// links are two i32 arrays indexed by slot, so joining, leaving and moving to the front are O(1)
// and nothing is allocated per member. Used most-recently-used first (front) for LRU eviction
// (back() is the next victim), and as a FIFO (pushFront new members, serve back()).
//
//   layout, allocated once (bytesFor(capacity))
//   +---------------------+---------------------+
//   | prev: i32 x C       | next: i32 x C       |
//   +---------------------+---------------------+
//   prev = LRU_NONE at the front, next = LRU_NONE at the back; a slot that is not a member has
//   prev = next = NOT_MEMBER.
//
// Every call checks its slot, so a bad index is a no-op (or a neutral answer), never a trap.

/** No slot: front()/back() of an empty list, next()/prev() at the ends. */
export const LRU_NONE: i32 = -1;
/** Most slots a list spans (so its arrays' size cannot wrap). */
export const LRU_MAX_CAPACITY: i32 = 1 << 24;
const NOT_MEMBER: i32 = -2;
const I32_BYTES: usize = 4;

@inline function clampCapacity(capacity: i32): i32 {
  return capacity < 0 ? 0 : capacity > LRU_MAX_CAPACITY ? LRU_MAX_CAPACITY : capacity;
}

@final
export class LruList {
  private prevs: usize;
  private nexts: usize;
  private cap: i32;
  private head: i32 = LRU_NONE;
  private tail: i32 = LRU_NONE;
  private count: i32 = 0;

  /** Bytes the one allocation of a list over `capacity` slots takes. */
  static bytesFor(capacity: i32): usize {
    return <usize>clampCapacity(capacity) * 2 * I32_BYTES;
  }

  /** An empty list over slots 0..capacity-1 (capacity clamped to [0, LRU_MAX_CAPACITY]). The only allocation it makes. */
  constructor(capacity: i32) {
    const cap = clampCapacity(capacity);
    this.cap = cap;
    this.prevs = heap.alloc(LruList.bytesFor(cap));
    this.nexts = this.prevs + <usize>cap * I32_BYTES;
    for (let i = 0; i < cap; i++) {
      this.setPrev(i, NOT_MEMBER);
      this.setNext(i, NOT_MEMBER);
    }
  }

  @inline get capacity(): i32 { return this.cap; }
  /** Members. */
  @inline get length(): i32 { return this.count; }
  /** The most recently pushed or moved member, or LRU_NONE. */
  @inline front(): i32 { return this.head; }
  /** The least recently pushed or moved member, or LRU_NONE. */
  @inline back(): i32 { return this.tail; }

  isMember(slot: i32): bool {
    return slot >= 0 && slot < this.cap && this.prevOf(slot) != NOT_MEMBER;
  }

  /** The member after `slot` (towards the back), or LRU_NONE. */
  next(slot: i32): i32 {
    return this.isMember(slot) ? this.nextOf(slot) : LRU_NONE;
  }

  /** The member before `slot` (towards the front), or LRU_NONE. */
  prev(slot: i32): i32 {
    return this.isMember(slot) ? this.prevOf(slot) : LRU_NONE;
  }

  /** Adds `slot` at the front; false (nothing changes) if it is a member already or out of range. */
  pushFront(slot: i32): bool {
    if (slot < 0 || slot >= this.cap || this.prevOf(slot) != NOT_MEMBER) return false;
    this.linkFront(slot);
    this.count++;
    return true;
  }

  /** Moves member `slot` to the front; false when it is not a member. */
  moveToFront(slot: i32): bool {
    if (!this.isMember(slot)) return false;
    if (this.head == slot) return true;
    this.unlink(slot);
    this.linkFront(slot);
    return true;
  }

  /** Takes `slot` out of the list; false when it was not a member. */
  remove(slot: i32): bool {
    if (!this.isMember(slot)) return false;
    this.unlink(slot);
    this.setPrev(slot, NOT_MEMBER);
    this.setNext(slot, NOT_MEMBER);
    this.count--;
    return true;
  }

  // ---- internals ----

  private linkFront(slot: i32): void {
    this.setPrev(slot, LRU_NONE);
    this.setNext(slot, this.head);
    if (this.head != LRU_NONE) this.setPrev(this.head, slot);
    else this.tail = slot;
    this.head = slot;
  }

  private unlink(slot: i32): void {
    const p = this.prevOf(slot);
    const n = this.nextOf(slot);
    if (p != LRU_NONE) this.setNext(p, n);
    else this.head = n;
    if (n != LRU_NONE) this.setPrev(n, p);
    else this.tail = p;
  }

  @inline private prevOf(slot: i32): i32 { return load<i32>(this.prevs + <usize>slot * I32_BYTES); }
  @inline private nextOf(slot: i32): i32 { return load<i32>(this.nexts + <usize>slot * I32_BYTES); }
  @inline private setPrev(slot: i32, v: i32): void { store<i32>(this.prevs + <usize>slot * I32_BYTES, v); }
  @inline private setNext(slot: i32, v: i32): void { store<i32>(this.nexts + <usize>slot * I32_BYTES, v); }
}
