// The event ring's per-source coalescing (pendingAt) across the wrap of its u32 counters.
import { EventRing } from "../../assembly/iface/events";
import {
  EVENTS_WRITE, EVENTS_READ, EVENTS_OVERFLOW, EVENTS_ENTRIES, EVENT_BYTES, EVENT_KIND,
  EVENT_READABLE, EVENT_ERROR,
} from "../../bindings/layout";

function written(r: EventRing): u32 { return load<u32>(r.ptr + EVENTS_WRITE); }
function overflowed(r: EventRing): u32 { return load<u32>(r.ptr + EVENTS_OVERFLOW); }
function startAt(r: EventRing, n: u32): void {
  store<u32>(r.ptr + EVENTS_WRITE, n);
  store<u32>(r.ptr + EVENTS_READ, n);
}

describe("event ring coalescing across the u32 wrap (review)", () => {
  it("an entry written at counter 0xffffffff is still merged into (pendingAt must not read as 'none')", () => {
    const r = new EventRing(4, 4);
    startAt(r, 0xffffffff);
    r.push(0x10000, 0, EVENT_READABLE, 1); // written at counter 0xffffffff: pendingAt = 0xffffffff + 1 = 0
    r.push(0x10000, 0, EVENT_ERROR, -111); // must merge: the first entry is still unread
    expect<u32>(written(r)).toBe(0); // one entry (0xffffffff + 1), not two
    const entry = r.ptr + EVENTS_ENTRIES + <usize>(0xffffffff & (r.capacity - 1)) * EVENT_BYTES;
    expect<u32>(load<u32>(entry + EVENT_KIND)).toBe(EVENT_READABLE | EVENT_ERROR);
  });

  it("a ring with an entry per source does not overflow across the wrap", () => {
    const r = new EventRing(4, 4);
    startAt(r, 0xfffffffc);
    // Sources 0..3 each get one entry; source 3's lands on counter 0xffffffff.
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 4; s++) r.push(0x10000 + s, s, EVENT_READABLE, round);
    }
    expect<u32>(overflowed(r)).toBe(0);
    expect<u32>(written(r)).toBe(0);
  });
});
