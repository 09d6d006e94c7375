// The event ring (core -> host) and the software loopback ring.
import { EventRing } from "../../assembly/iface/events";
import { Loopback } from "../../assembly/iface/loopback";
import { stats } from "../../assembly/iface/stats";
import {
  EVENTS_WRITE, EVENTS_READ, EVENTS_OVERFLOW, EVENTS_ENTRIES, EVENT_BYTES, EVENT_HANDLE, EVENT_KIND,
  EVENT_VALUE, EVENT_READABLE, STAT_EVENT_OVERFLOWS,
} from "../../bindings/layout";
import { bytesOf, sameBytes } from "./helpers";

describe("event ring", () => {
  it("appends records the host can read in order", () => {
    const r = new EventRing(4, 0);
    r.push(7, -1, EVENT_READABLE, 1);
    r.push(8, -1, EVENT_READABLE, 2);
    expect<u32>(load<u32>(r.ptr + EVENTS_WRITE)).toBe(2);
    const second = r.ptr + EVENTS_ENTRIES + EVENT_BYTES;
    expect<i32>(load<i32>(second + EVENT_HANDLE)).toBe(8);
    expect<u32>(load<u32>(second + EVENT_KIND)).toBe(EVENT_READABLE);
    expect<i32>(load<i32>(second + EVENT_VALUE)).toBe(2);
  });

  it("raises the overflow flag instead of overwriting, counted once per episode", () => {
    const before = stats[STAT_EVENT_OVERFLOWS];
    const r = new EventRing(2, 0);
    r.push(1, -1, EVENT_READABLE, 0);
    r.push(2, -1, EVENT_READABLE, 0);
    r.push(3, -1, EVENT_READABLE, 0);
    r.push(4, -1, EVENT_READABLE, 0);
    expect<u32>(load<u32>(r.ptr + EVENTS_WRITE)).toBe(2);
    expect<u32>(load<u32>(r.ptr + EVENTS_OVERFLOW)).toBe(1);
    expect<u32>(stats[STAT_EVENT_OVERFLOWS] - before).toBe(1);
    expect<i32>(load<i32>(r.ptr + EVENTS_ENTRIES + EVENT_HANDLE)).toBe(1);
  });

  it("honours the host's read index and keeps going across the u32 wrap", () => {
    const r = new EventRing(4, 0);
    store<u32>(r.ptr + EVENTS_WRITE, 0xfffffffe);
    store<u32>(r.ptr + EVENTS_READ, 0xfffffffe);
    for (let i = 0; i < 4; i++) r.push(i, -1, EVENT_READABLE, 0);
    expect<u32>(load<u32>(r.ptr + EVENTS_WRITE)).toBe(2);
    expect<u32>(load<u32>(r.ptr + EVENTS_OVERFLOW)).toBe(0);
    r.push(9, -1, EVENT_READABLE, 0);
    expect<u32>(load<u32>(r.ptr + EVENTS_OVERFLOW)).toBe(1);
    store<u32>(r.ptr + EVENTS_READ, 2);
    store<u32>(r.ptr + EVENTS_OVERFLOW, 0);
    r.push(10, -1, EVENT_READABLE, 0);
    expect<u32>(load<u32>(r.ptr + EVENTS_WRITE)).toBe(3);
  });
});

describe("loopback", () => {
  it("is first in, first out with each frame's bytes intact", () => {
    const l = new Loopback(3, 64);
    const a = bytesOf([1, 2, 3]);
    const b = bytesOf([4, 5, 6, 7]);
    expect<bool>(l.push(a, 3)).toBe(true);
    expect<bool>(l.push(b, 4)).toBe(true);
    expect<i32>(l.frontLen()).toBe(3);
    expect<bool>(sameBytes(l.frontPtr(), a, 3)).toBe(true);
    l.pop();
    expect<i32>(l.frontLen()).toBe(4);
    expect<bool>(sameBytes(l.frontPtr(), b, 4)).toBe(true);
  });

  it("refuses when full or when a frame is too long, and pop on empty does nothing", () => {
    const l = new Loopback(2, 8);
    const f = bytesOf([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect<bool>(l.push(f, 9)).toBe(false);
    expect<bool>(l.push(f, -1)).toBe(false);
    expect<bool>(l.push(f, 8)).toBe(true);
    expect<bool>(l.push(f, 8)).toBe(true);
    expect<bool>(l.push(f, 1)).toBe(false);
    l.pop();
    l.pop();
    l.pop();
    expect<i32>(l.length).toBe(0);
    expect<usize>(l.frontPtr()).toBe(0);
    expect<bool>(l.push(f, 1)).toBe(true);
  });
});
