// The software loopback ring: frames to our own addresses wait here for the next poll step.
import { Loopback } from "../../assembly/iface/loopback";
import { scratch, sameBytes } from "./helpers";

/** A frame of `len` bytes whose content depends on `tag`. */
function frame(tag: i32, len: i32): usize {
  const p = scratch(len);
  for (let k = 0; k < len; k++) store<u8>(p + k, <u8>(tag * 13 + k));
  return p;
}

function frontIs(l: Loopback, tag: i32, len: i32): bool {
  if (l.frontLen() != len) return false;
  for (let k = 0; k < len; k++) if (load<u8>(l.frontPtr() + k) != <u8>(tag * 13 + k)) return false;
  return true;
}

describe("loopback (edges)", () => {
  it("stays first in, first out across many laps of a 3-slot ring", () => {
    const l = new Loopback(3, 100);
    const buf = scratch(100);
    let pushed = 0;
    let popped = 0;
    let bad = 0;
    for (let lap = 0; lap < 500; lap++) {
      // Bursts of 1..3 frames, then drain 1..3 (never more than queued).
      const burst = 1 + lap % 3;
      for (let k = 0; k < burst && l.length < 3; k++) {
        const len = (pushed * 7) % 101;
        for (let b = 0; b < len; b++) store<u8>(buf + b, <u8>(pushed * 13 + b));
        if (!l.push(buf, len)) bad++;
        pushed++;
      }
      const drain = 1 + (lap * 5) % 3;
      for (let k = 0; k < drain && l.length > 0; k++) {
        if (!frontIs(l, popped, (popped * 7) % 101)) bad++;
        l.pop();
        popped++;
      }
    }
    expect<i32>(bad).toBe(0);
    expect<i32>(pushed - popped).toBe(l.length);
    expect<bool>(popped > 500).toBe(true);
  });

  it("a full ring refuses and keeps every queued frame intact", () => {
    const l = new Loopback(2, 32);
    expect<bool>(l.push(frame(1, 10), 10)).toBe(true);
    expect<bool>(l.push(frame(2, 32), 32)).toBe(true);
    expect<bool>(l.push(frame(3, 1), 1)).toBe(false);
    expect<bool>(l.push(frame(3, 0), 0)).toBe(false);
    expect<i32>(l.length).toBe(2);
    expect<bool>(frontIs(l, 1, 10)).toBe(true);
    l.pop();
    expect<bool>(frontIs(l, 2, 32)).toBe(true);
    expect<bool>(l.push(frame(4, 5), 5)).toBe(true); // room again after one pop
    l.pop();
    expect<bool>(frontIs(l, 4, 5)).toBe(true);
  });

  it("takes a frame of exactly its frame size and an empty one; refuses one byte more", () => {
    const l = new Loopback(4, 60);
    expect<bool>(l.push(frame(5, 61), 61)).toBe(false);
    expect<bool>(l.push(frame(5, 60), 60)).toBe(true);
    expect<bool>(l.push(frame(6, 0), 0)).toBe(true);
    expect<bool>(l.push(frame(6, 1), i32.MAX_VALUE)).toBe(false);
    expect<bool>(l.push(frame(6, 1), i32.MIN_VALUE)).toBe(false);
    expect<i32>(l.length).toBe(2);
    expect<bool>(frontIs(l, 5, 60)).toBe(true);
    l.pop();
    expect<i32>(l.frontLen()).toBe(0);
    expect<bool>(l.frontPtr() != 0).toBe(true); // an empty frame is still a frame
  });

  it("pop on empty changes nothing, and the next frame is still first", () => {
    const l = new Loopback(2, 16);
    l.pop();
    l.pop();
    expect<i32>(l.length).toBe(0);
    expect<usize>(l.frontPtr()).toBe(0);
    expect<i32>(l.frontLen()).toBe(0);
    expect<bool>(l.push(frame(7, 3), 3)).toBe(true);
    expect<bool>(l.push(frame(8, 4), 4)).toBe(true);
    expect<bool>(frontIs(l, 7, 3)).toBe(true);
    l.pop();
    l.pop();
    l.pop(); // one too many
    expect<bool>(l.push(frame(9, 2), 2)).toBe(true);
    expect<bool>(frontIs(l, 9, 2)).toBe(true);
    expect<i32>(l.length).toBe(1);
  });

  it("holds a copy: changing the sender's buffer afterwards changes nothing", () => {
    const l = new Loopback(2, 16);
    const src = frame(10, 8);
    const copy = frame(10, 8);
    l.push(src, 8);
    memory.fill(src, 0xee, 8);
    expect<bool>(sameBytes(l.frontPtr(), copy, 8)).toBe(true);
  });

  it("a ring with no slots refuses everything without trapping", () => {
    const l = new Loopback(0, 64);
    expect<bool>(l.push(frame(1, 4), 4)).toBe(false);
    expect<i32>(l.length).toBe(0);
    l.pop();
    expect<usize>(l.frontPtr()).toBe(0);
  });
});
