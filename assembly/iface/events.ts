// The readiness event ring the core fills during poll and socket calls, and the host drains after
// every poll (layout in bindings/layout.ts, "Event ring"). When the ring is full the core stops
// writing and raises the overflow flag: the host then re-checks every socket's state instead of
// trusting the ring, so no wake-up is ever lost.

import {
  EVENTS_WRITE, EVENTS_READ, EVENTS_OVERFLOW, EVENTS_ENTRIES, EVENT_BYTES, EVENT_HANDLE,
  EVENT_KIND, EVENT_VALUE, STAT_EVENT_OVERFLOWS,
} from "../../bindings/layout";
import { count } from "./stats";

/** Far above anything the config allows; keeps the rounding below from overflowing. */
const MAX_CAPACITY: u32 = 1 << 24;

export class EventRing {
  /** Entries in the ring: the size asked for, rounded up to a power of two. */
  readonly capacity: u32;
  readonly ptr: usize;

  constructor(capacity: i32) {
    // Entry n lives at n % capacity, n being a u32 counter that wraps at 2^32. Only a power of
    // two divides 2^32, so only then do consecutive entries stay in consecutive slots across the
    // wrap (with 3 slots, counters 0xffffffff and 0 would share slot 0 and the host would read
    // one event twice and lose the other).
    let rounded: u32 = 1;
    while (rounded < <u32>capacity && rounded < MAX_CAPACITY) rounded <<= 1;
    this.capacity = rounded;
    const bytes = <usize>EVENTS_ENTRIES + <usize>rounded * EVENT_BYTES;
    this.ptr = heap.alloc(bytes);
    memory.fill(this.ptr, 0, bytes);
  }

  /** Appends an event; on a full ring sets the overflow flag instead (counted once per episode). */
  push(handle: i32, kind: u32, value: i32): void {
    const written = load<u32>(this.ptr + EVENTS_WRITE);
    const read = load<u32>(this.ptr + EVENTS_READ);
    if (written - read >= this.capacity) {
      if (load<u32>(this.ptr + EVENTS_OVERFLOW) == 0) count(STAT_EVENT_OVERFLOWS);
      store<u32>(this.ptr + EVENTS_OVERFLOW, 1);
      return;
    }
    const entry = this.ptr + EVENTS_ENTRIES + <usize>(written % this.capacity) * EVENT_BYTES;
    store<i32>(entry + EVENT_HANDLE, handle);
    store<u32>(entry + EVENT_KIND, kind);
    store<i32>(entry + EVENT_VALUE, value);
    store<u32>(this.ptr + EVENTS_WRITE, written + 1);
  }
}
