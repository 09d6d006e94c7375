// The readiness event ring the core fills during poll and socket calls, and the host drains after
// every poll (layout in bindings/layout.ts, "Event ring").
//
// Events are hints; readiness is state. Each event source (a socket slot, numbered across every
// socket pool) has at most one unread entry in the ring: a second event for a source whose entry
// the host has not read yet is merged into that entry (its kind bits OR-ed in, its value
// replaced). So a ring with at least one entry per source can never overflow. A smaller ring (the
// config allows one) can: then the core stops writing and raises the overflow flag, and the host
// re-checks every owner's full state instead of trusting the ring, so no wake-up is ever lost.
//
//   pendingAt[source]: the write count at which the source's latest entry was written. No "none"
//   value: every u32 is a real counter (1 + 0xffffffff would wrap to a sentinel 0).
//   entrySource[position]: which source wrote each ring position (core-side only).
//   A source's entry is still its own and unread when its position is past the host's read index
//   and entrySource there still names it. Then the same handle merges into it, and another handle
//   (the slot was closed and reused since) takes it over: the dead socket's owner is gone.

import {
  EVENTS_WRITE, EVENTS_READ, EVENTS_OVERFLOW, EVENTS_ENTRIES, EVENT_BYTES, EVENT_HANDLE,
  EVENT_KIND, EVENT_VALUE, STAT_EVENT_OVERFLOWS,
} from "../../bindings/layout";
import { count } from "./stats";

/** Far above anything the config allows; keeps the rounding below from overflowing. */
const MAX_CAPACITY: u32 = 1 << 24;
const NO_SOURCE: i32 = -1;

export class EventRing {
  /** Entries in the ring: the size asked for, rounded up to a power of two. */
  readonly capacity: u32;
  readonly ptr: usize;
  private readonly pendingAt: StaticArray<u32>;
  /** The source of the entry in each ring position (core-side only; -1: none or not a source). */
  private readonly entrySource: StaticArray<i32>;

  /** A ring of at least `capacity` entries for events from `sources` distinct sources. */
  constructor(capacity: i32, sources: i32) {
    // Entry n lives at n % capacity, n being a u32 counter that wraps at 2^32. Only a power of
    // two divides 2^32, so only then do consecutive entries stay in consecutive slots across the
    // wrap (with 3 slots, counters 0xffffffff and 0 would share slot 0 and the host would read
    // one event twice and lose the other).
    const rounded = EventRing.entriesFor(capacity);
    this.capacity = rounded;
    const bytes = EventRing.ringBytes(rounded);
    const ptr = heap.alloc(bytes);
    memory.fill(ptr, 0, bytes);
    this.ptr = ptr;
    this.pendingAt = new StaticArray<u32>(sources < 0 ? 0 : sources);
    const entrySource = new StaticArray<i32>(<i32>rounded);
    for (let i = 0; i < <i32>rounded; i++) unchecked(entrySource[i] = NO_SOURCE);
    this.entrySource = entrySource;
  }

  /** Entries a ring asked for `capacity` has: the next power of two. */
  static entriesFor(capacity: i32): u32 {
    let rounded: u32 = 1;
    while (rounded < <u32>capacity && rounded < MAX_CAPACITY) rounded <<= 1;
    return rounded;
  }

  private static ringBytes(entries: u32): usize {
    return <usize>EVENTS_ENTRIES + <usize>entries * EVENT_BYTES;
  }

  /** Bytes a ring asked for `capacity` entries from `sources` sources allocates (footprint check too). */
  static bytesFor(capacity: i32, sources: i32): u64 {
    const entries = EventRing.entriesFor(capacity);
    return <u64>EventRing.ringBytes(entries) + <u64>entries * sizeof<i32>() +
      <u64>(sources < 0 ? 0 : sources) * sizeof<u32>();
  }

  @inline private entryAt(n: u32): usize {
    return this.ptr + EVENTS_ENTRIES + <usize>(n & (this.capacity - 1)) * EVENT_BYTES;
  }

  /**
   * Tells the host about `handle` (event source `source`): kind bits `kind` (EVENT_* flags) and a
   * value (the errno for EVENT_ERROR, else a hint such as a queue length). Merged into the
   * source's unread entry if it has one; on a full ring sets the overflow flag instead (counted
   * once per episode).
   */
  push(handle: i32, source: i32, kind: u32, value: i32): void {
    const written = load<u32>(this.ptr + EVENTS_WRITE);
    const read = load<u32>(this.ptr + EVENTS_READ);
    if (source >= 0 && source < this.pendingAt.length) {
      const at = unchecked(this.pendingAt[source]);
      // Unread: written after the host's read position (modular, as both counters wrap).
      // ... and still that source's: pendingAt may name a position another source has written
      // since (a source that never pushed names position 0).
      if (at - read < written - read && unchecked(this.entrySource[at & (this.capacity - 1)]) == source) {
        const entry = this.entryAt(at);
        if (load<i32>(entry + EVENT_HANDLE) == handle) {
          store<u32>(entry + EVENT_KIND, load<u32>(entry + EVENT_KIND) | kind);
          store<i32>(entry + EVENT_VALUE, value);
          return;
        }
        // The source's slot was closed and reused since: the old handle's entry is for a socket
        // that no longer exists (its owner is gone too), so the new socket takes the entry over
        // and churn between two drains cannot add entries.
        store<i32>(entry + EVENT_HANDLE, handle);
        store<u32>(entry + EVENT_KIND, kind);
        store<i32>(entry + EVENT_VALUE, value);
        return;
      }
    }
    if (written - read >= this.capacity) {
      if (load<u32>(this.ptr + EVENTS_OVERFLOW) == 0) count(STAT_EVENT_OVERFLOWS);
      store<u32>(this.ptr + EVENTS_OVERFLOW, 1);
      return;
    }
    const entry = this.entryAt(written);
    store<i32>(entry + EVENT_HANDLE, handle);
    store<u32>(entry + EVENT_KIND, kind);
    store<i32>(entry + EVENT_VALUE, value);
    store<u32>(this.ptr + EVENTS_WRITE, written + 1);
    unchecked(this.entrySource[written & (this.capacity - 1)] = source);
    if (source >= 0 && source < this.pendingAt.length) unchecked(this.pendingAt[source] = written);
  }
}
