// The event ring seen from the host: the test reads entries at read % capacity, advances the read
// index and clears the overflow flag exactly as host/stack.ts does (layout: bindings/layout.ts).
import { EventRing } from "../../assembly/iface/events";
import { stats } from "../../assembly/iface/stats";
import {
  EVENTS_WRITE, EVENTS_READ, EVENTS_OVERFLOW, EVENTS_ENTRIES, EVENT_BYTES, EVENT_HANDLE, EVENT_KIND,
  EVENT_VALUE, EVENT_READABLE, EVENT_WRITABLE, EVENT_ERROR, STAT_EVENT_OVERFLOWS,
} from "../../bindings/layout";

function written(r: EventRing): u32 { return load<u32>(r.ptr + EVENTS_WRITE); }
function readIndex(r: EventRing): u32 { return load<u32>(r.ptr + EVENTS_READ); }
function overflowed(r: EventRing): u32 { return load<u32>(r.ptr + EVENTS_OVERFLOW); }
function overflows(): u32 { return stats[STAT_EVENT_OVERFLOWS]; }

/** Sets both counters, as if `n` events had already been written and read. */
function startAt(r: EventRing, n: u32): void {
  store<u32>(r.ptr + EVENTS_WRITE, n);
  store<u32>(r.ptr + EVENTS_READ, n);
}

/** The host's drain: every unread entry's handle, in order; advances the read index. */
function drainHandles(r: EventRing): i32[] {
  const out: i32[] = [];
  let read = readIndex(r);
  const end = written(r);
  while (read != end) {
    const entry = r.ptr + EVENTS_ENTRIES + <usize>(read % r.capacity) * EVENT_BYTES;
    out.push(load<i32>(entry + EVENT_HANDLE));
    read++;
  }
  store<u32>(r.ptr + EVENTS_READ, read);
  return out;
}

/** The host's reaction to the flag: clear it (then re-check every socket). */
function clearOverflow(r: EventRing): void {
  store<u32>(r.ptr + EVENTS_OVERFLOW, 0);
}

describe("event ring (host's view)", () => {
  it("starts empty and zeroed", () => {
    const r = new EventRing(8, 0);
    expect<u32>(written(r)).toBe(0);
    expect<u32>(readIndex(r)).toBe(0);
    expect<u32>(overflowed(r)).toBe(0);
    expect<i32>(drainHandles(r).length).toBe(0);
  });

  it("keeps kind and value with each handle, negative errnos included", () => {
    const r = new EventRing(4, 0);
    r.push(3, -1, EVENT_WRITABLE, 0);
    r.push(-1, -1, EVENT_ERROR, -111);
    const e = r.ptr + EVENTS_ENTRIES + EVENT_BYTES;
    expect<i32>(load<i32>(e + EVENT_HANDLE)).toBe(-1);
    expect<u32>(load<u32>(e + EVENT_KIND)).toBe(EVENT_ERROR);
    expect<i32>(load<i32>(e + EVENT_VALUE)).toBe(-111);
    expect<u32>(load<u32>(r.ptr + EVENTS_ENTRIES + EVENT_KIND)).toBe(EVENT_WRITABLE);
  });

  it("space the host frees by advancing its read index is used again, in order", () => {
    const r = new EventRing(4, 0);
    for (let i = 0; i < 4; i++) r.push(i, -1, EVENT_READABLE, 0);
    expect<i32[]>(drainHandles(r).slice(0, 2)).toStrictEqual([0, 1]);
    // The drain above read all four; only the host's index says so.
    for (let i = 4; i < 8; i++) r.push(i, -1, EVENT_READABLE, 0);
    expect<u32>(overflowed(r)).toBe(0);
    expect<i32[]>(drainHandles(r)).toStrictEqual([4, 5, 6, 7]);
  });

  it("never overwrites entries the host has not read", () => {
    const r = new EventRing(4, 0);
    for (let i = 0; i < 4; i++) r.push(10 + i, -1, EVENT_READABLE, 0);
    store<u32>(r.ptr + EVENTS_READ, 1); // the host read one
    r.push(14, -1, EVENT_READABLE, 0); // fits in the freed slot
    r.push(15, -1, EVENT_READABLE, 0); // does not
    expect<u32>(overflowed(r)).toBe(1);
    expect<i32[]>(drainHandles(r)).toStrictEqual([11, 12, 13, 14]);
  });

  it("overflow: flag set once, counted once per episode, however many events are refused", () => {
    const r = new EventRing(2, 0);
    const before = overflows();
    r.push(1, -1, EVENT_READABLE, 0);
    r.push(2, -1, EVENT_READABLE, 0);
    for (let i = 0; i < 100; i++) r.push(3, -1, EVENT_READABLE, 0);
    expect<u32>(overflowed(r)).toBe(1);
    expect<u32>(overflows() - before).toBe(1);
    expect<u32>(written(r)).toBe(2);
    // The host drains but has not cleared the flag yet: still the same episode.
    drainHandles(r);
    r.push(4, -1, EVENT_READABLE, 0);
    r.push(5, -1, EVENT_READABLE, 0);
    r.push(6, -1, EVENT_READABLE, 0);
    expect<u32>(overflows() - before).toBe(1);
    expect<u32>(overflowed(r)).toBe(1);
    // Cleared: the next time the ring fills is a new episode, counted again.
    clearOverflow(r);
    drainHandles(r);
    for (let i = 0; i < 5; i++) r.push(7, -1, EVENT_READABLE, 0);
    expect<u32>(overflows() - before).toBe(2);
    expect<u32>(overflowed(r)).toBe(1);
  });

  it("a full ring without overflow raises no flag", () => {
    const r = new EventRing(3, 0);
    const before = overflows();
    for (let i = 0; i < <i32>r.capacity; i++) r.push(i, -1, EVENT_READABLE, 0);
    expect<u32>(overflowed(r)).toBe(0);
    expect<u32>(overflows()).toBe(before);
  });

  it("the u32 counters wrap without losing or repeating an event (4 slots)", () => {
    const r = new EventRing(4, 0);
    startAt(r, 0xfffffff0);
    const got: i32[] = [];
    for (let n = 0; n < 40; n += 3) {
      for (let k = 0; k < 3; k++) r.push(n + k, -1, EVENT_READABLE, 0);
      const d = drainHandles(r);
      for (let i = 0; i < d.length; i++) got.push(d[i]);
    }
    expect<i32>(got.length).toBe(42);
    let inOrder = true;
    for (let i = 0; i < got.length; i++) if (got[i] != i) inOrder = false;
    expect<bool>(inOrder).toBe(true);
    expect<u32>(written(r)).toBe(0xfffffff0 + 42);
    expect<u32>(overflowed(r)).toBe(0);
  });

  it("a size that is not a power of two still survives the wrap (rounded up)", () => {
    const r = new EventRing(3, 0);
    startAt(r, 0xfffffffe);
    r.push(1, -1, EVENT_READABLE, 0); // counter 0xfffffffe
    r.push(2, -1, EVENT_READABLE, 0); // counter 0xffffffff
    r.push(3, -1, EVENT_READABLE, 0); // counter 0: with 3 slots it would land on the 0xffffffff one
    expect<i32[]>(drainHandles(r)).toStrictEqual([1, 2, 3]);
    expect<bool>(r.capacity >= 3).toBe(true);
    // 2^32 is a multiple of the capacity, so slots stay continuous across the wrap.
    expect<u32>(r.capacity & (r.capacity - 1)).toBe(0);
    const big = new EventRing(1000, 0);
    expect<u32>(big.capacity).toBe(1024);
  });

  it("a read index ahead of the write index (a confused host) refuses events, no trap", () => {
    const r = new EventRing(4, 0);
    store<u32>(r.ptr + EVENTS_READ, 10);
    r.push(1, -1, EVENT_READABLE, 0);
    expect<u32>(written(r)).toBe(0);
    expect<u32>(overflowed(r)).toBe(1);
  });

  it("merges events for a source whose entry is unread: kind bits OR-ed, latest value kept", () => {
    const r = new EventRing(4, 3);
    r.push(100, 0, EVENT_READABLE, 1);
    r.push(200, 1, EVENT_READABLE, 1);
    r.push(100, 0, EVENT_ERROR, -111);
    r.push(100, 0, EVENT_WRITABLE, 0);
    expect<u32>(written(r)).toBe(2);
    const first = r.ptr + EVENTS_ENTRIES;
    expect<u32>(load<u32>(first + EVENT_KIND)).toBe(EVENT_READABLE | EVENT_ERROR | EVENT_WRITABLE);
    expect<i32>(load<i32>(first + EVENT_VALUE)).toBe(0);
  });

  it("a ring with an entry per source never overflows, however many events each source has", () => {
    const r = new EventRing(4, 4);
    for (let round = 0; round < 100; round++) {
      for (let source = 0; source < 4; source++) r.push(1000 + source, source, EVENT_READABLE, round);
    }
    expect<u32>(written(r)).toBe(4);
    expect<u32>(overflowed(r)).toBe(0);
    expect<i32>(drainHandles(r).length).toBe(4);
  });

  it("once the host has read a source's entry, its next event gets a new entry", () => {
    const r = new EventRing(4, 2);
    r.push(7, 0, EVENT_READABLE, 1);
    expect<i32>(drainHandles(r).length).toBe(1);
    r.push(7, 0, EVENT_ERROR, -113);
    expect<u32>(written(r)).toBe(2);
    const second = r.ptr + EVENTS_ENTRIES + EVENT_BYTES;
    expect<u32>(load<u32>(second + EVENT_KIND)).toBe(EVENT_ERROR);
  });

  it("a slot reused by another socket (another handle) takes the dead socket's unread entry over", () => {
    const r = new EventRing(4, 1);
    r.push(0x10000, 0, EVENT_READABLE, 1);
    r.push(0x20000, 0, EVENT_WRITABLE, 0);
    expect<u32>(written(r)).toBe(1);
    const first = r.ptr + EVENTS_ENTRIES;
    expect<u32>(load<u32>(first + EVENT_KIND)).toBe(EVENT_WRITABLE); // not OR-ed with the dead one's
    expect<i32>(drainHandles(r)[0]).toBe(0x20000);
    // Close/reopen churn between two drains never grows the ring past one entry per slot.
    for (let g = 3; g < 100; g++) r.push(g << 16, 0, EVENT_READABLE, 1);
    expect<u32>(written(r)).toBe(2);
    expect<u32>(overflowed(r)).toBe(0);
  });
});

describe("event ring, sources that never pushed", () => {
  it("a first event from a new source never lands in another source's entry", () => {
    const r = new EventRing(8, 4);
    r.push(0x10000, 0, EVENT_READABLE, 1); // position 0, source 0
    r.push(0x20001, 1, EVENT_READABLE, 1); // source 1 never pushed: its pendingAt names position 0
    r.push(0x30002, 2, EVENT_ERROR, -111);
    expect<u32>(written(r)).toBe(3);
    const handles = drainHandles(r);
    expect<i32>(handles[0]).toBe(0x10000);
    expect<i32>(handles[1]).toBe(0x20001);
    expect<i32>(handles[2]).toBe(0x30002);
  });
});
