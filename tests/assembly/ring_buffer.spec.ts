import { RingBuffer, RingError } from "../../assembly/storage/ring_buffer";
import { pinnedBytes, pinnedScratch, sameBytes } from "./helpers";

// Every buffer here is pinned: the random test allocates (strings, arrays) between uses, and the
// test runtime's GC would otherwise reclaim memory a bare pointer still refers to.
function scratch(n: i32): usize { return pinnedScratch(n); }
function bytesOf(values: u8[]): usize { return pinnedBytes(values); }

/** n bytes counting up from `first` (wrapping at 256). */
function counting(first: i32, n: i32): usize {
  const p = scratch(n);
  for (let i = 0; i < n; i++) store<u8>(p + i, <u8>(first + i));
  return p;
}

/** Bytes at p as an array, for readable comparisons. */
function arrayOf(p: usize, n: i32): u8[] {
  const out: u8[] = [];
  for (let i = 0; i < n; i++) out.push(load<u8>(p + i));
  return out;
}

describe("ring buffer", () => {
  it("starts empty with the capacity it was given", () => {
    const r = new RingBuffer(100);
    expect<i32>(r.capacity).toBe(100);
    expect<i32>(r.len).toBe(0);
    expect<i32>(r.free).toBe(100);
    expect<i32>(r.readSpanLen).toBe(0);
    expect<i32>(r.writeSpanLen).toBe(100);
  });

  it("reads back what was written, in order", () => {
    const r = new RingBuffer(16);
    expect<i32>(r.write(bytesOf([1, 2, 3, 4, 5]), 5)).toBe(5);
    expect<i32>(r.write(bytesOf([6, 7]), 2)).toBe(2);
    expect<i32>(r.len).toBe(7);
    const out = scratch(16);
    expect<i32>(r.read(out, 3)).toBe(3);
    expect<u8[]>(arrayOf(out, 3)).toStrictEqual([1, 2, 3]);
    expect<i32>(r.read(out, 16)).toBe(4);
    expect<u8[]>(arrayOf(out, 4)).toStrictEqual([4, 5, 6, 7]);
    expect<i32>(r.len).toBe(0);
  });

  it("writes only what fits when nearly full, then nothing when full", () => {
    const r = new RingBuffer(8);
    expect<i32>(r.write(counting(0, 5), 5)).toBe(5);
    expect<i32>(r.write(counting(5, 10), 10)).toBe(3);
    expect<i32>(r.free).toBe(0);
    expect<i32>(r.write(counting(100, 4), 4)).toBe(0);
    expect<i32>(r.writeSpanLen).toBe(0);
    const out = scratch(8);
    expect<i32>(r.read(out, 8)).toBe(8);
    expect<bool>(sameBytes(out, counting(0, 8), 8)).toBe(true);
  });

  it("reads only what is there, then nothing when empty", () => {
    const r = new RingBuffer(8);
    r.write(counting(40, 3), 3);
    const out = scratch(8);
    expect<i32>(r.read(out, 8)).toBe(3);
    expect<i32>(r.read(out, 8)).toBe(0);
    expect<i32>(r.read(out, -1)).toBe(0);
    expect<i32>(r.write(out, -1)).toBe(0);
    expect<i32>(r.len).toBe(0);
  });

  it("wraps around the end of its memory with copy-in and copy-out", () => {
    const r = new RingBuffer(10);
    const out = scratch(10);
    r.write(counting(0, 7), 7);
    r.read(out, 6); // read end at index 6, one byte left
    expect<i32>(r.write(counting(7, 9), 9)).toBe(9); // 3 bytes to the end, 6 wrapped
    expect<i32>(r.len).toBe(10);
    expect<i32>(r.read(out, 10)).toBe(10);
    expect<bool>(sameBytes(out, counting(6, 10), 10)).toBe(true);
  });

  it("offers the contiguous free span, stopping at the end of memory", () => {
    const r = new RingBuffer(10);
    r.write(counting(0, 7), 7);
    r.consume(5); // filled [5, 7)
    expect<usize>(r.writeSpanPtr).toBe(r.dataPtr + 7);
    expect<i32>(r.writeSpanLen).toBe(3);
    memory.copy(r.writeSpanPtr, counting(7, 3), 3);
    expect<i32>(r.commitWrite(3)).toBe(3);
    // Now the free space is [0, 5) at the start of memory.
    expect<usize>(r.writeSpanPtr).toBe(r.dataPtr);
    expect<i32>(r.writeSpanLen).toBe(5);
    memory.copy(r.writeSpanPtr, counting(10, 5), 5);
    expect<i32>(r.commitWrite(5)).toBe(5);
    expect<i32>(r.free).toBe(0);
    const out = scratch(10);
    expect<i32>(r.read(out, 10)).toBe(10);
    expect<bool>(sameBytes(out, counting(5, 10), 10)).toBe(true);
  });

  it("offers the filled data in two spans when it wraps", () => {
    const r = new RingBuffer(10);
    r.write(counting(0, 8), 8);
    r.consume(6);
    r.write(counting(8, 6), 6); // filled: indices 6..9 then 0..3
    expect<usize>(r.readSpanPtr).toBe(r.dataPtr + 6);
    expect<i32>(r.readSpanLen).toBe(4);
    expect<bool>(sameBytes(r.readSpanPtr, counting(6, 4), 4)).toBe(true);
    expect<i32>(r.consume(4)).toBe(4);
    expect<usize>(r.readSpanPtr).toBe(r.dataPtr);
    expect<i32>(r.readSpanLen).toBe(4);
    expect<bool>(sameBytes(r.readSpanPtr, counting(10, 4), 4)).toBe(true);
  });

  it("refuses to commit more than the free space, changing nothing", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 5), 5);
    expect<i32>(r.commitWrite(4)).toBe(RingError.OutOfRange);
    expect<i32>(r.commitWrite(-1)).toBe(RingError.OutOfRange);
    expect<i32>(r.len).toBe(5);
    expect<i32>(r.commitWrite(3)).toBe(3);
    expect<i32>(r.commitWrite(1)).toBe(RingError.OutOfRange);
    expect<i32>(r.len).toBe(8);
  });

  it("refuses to consume more than it holds, changing nothing", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 5), 5);
    expect<i32>(r.consume(6)).toBe(RingError.OutOfRange);
    expect<i32>(r.consume(-3)).toBe(RingError.OutOfRange);
    expect<i32>(r.len).toBe(5);
    expect<bool>(sameBytes(r.readSpanPtr, counting(0, 5), 5)).toBe(true);
    expect<i32>(r.consume(0)).toBe(0);
    expect<i32>(r.consume(5)).toBe(5);
    expect<i32>(r.len).toBe(0);
  });

  it("consumes across the wrap in one call (a cumulative ACK)", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 6), 6);
    r.consume(5);
    r.write(counting(6, 6), 6); // filled: index 5..7 then 0..3
    expect<i32>(r.consume(5)).toBe(5);
    const out = scratch(2);
    expect<i32>(r.read(out, 2)).toBe(2);
    expect<u8[]>(arrayOf(out, 2)).toStrictEqual([10, 11]);
  });

  it("peeks at an offset without consuming, across the wrap", () => {
    const r = new RingBuffer(10);
    r.write(counting(0, 8), 8);
    r.consume(7);
    r.write(counting(8, 8), 8); // 9 bytes: values 7..15, index 7..9 then 0..5
    const out = scratch(10);
    expect<i32>(r.peek(2, out, 4)).toBe(4); // values 9..12 straddle the end of memory
    expect<u8[]>(arrayOf(out, 4)).toStrictEqual([9, 10, 11, 12]);
    expect<i32>(r.peek(6, out, 10)).toBe(3); // only 3 bytes after offset 6
    expect<u8[]>(arrayOf(out, 3)).toStrictEqual([13, 14, 15]);
    expect<i32>(r.peek(9, out, 10)).toBe(0);
    expect<i32>(r.peek(10, out, 1)).toBe(RingError.OutOfRange);
    expect<i32>(r.peek(-1, out, 1)).toBe(RingError.OutOfRange);
    expect<i32>(r.len).toBe(9);
  });

  it("gives contiguous peek spans at an offset for zero-copy retransmission", () => {
    const r = new RingBuffer(10);
    r.write(counting(0, 8), 8);
    r.consume(7);
    r.write(counting(8, 8), 8); // values 7..15, index 7..9 then 0..5
    expect<usize>(r.peekSpanPtr(1)).toBe(r.dataPtr + 8);
    expect<i32>(r.peekSpanLen(1)).toBe(2);
    expect<usize>(r.peekSpanPtr(3)).toBe(r.dataPtr);
    expect<i32>(r.peekSpanLen(3)).toBe(6);
    expect<u8>(load<u8>(r.peekSpanPtr(3))).toBe(10);
    expect<i32>(r.peekSpanLen(9)).toBe(0);
    expect<i32>(r.peekSpanLen(10)).toBe(0);
  });

  it("stores out-of-order bytes past the write end and commits them later", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 3), 3);
    r.consume(3); // write end at index 3
    // Segment for offsets 2..6 arrives first (wraps past index 7), then 0..2.
    expect<i32>(r.writeAt(2, counting(2, 4), 4)).toBe(4);
    expect<i32>(r.len).toBe(0);
    expect<i32>(r.writeAt(0, counting(0, 2), 2)).toBe(2);
    expect<i32>(r.commitWrite(6)).toBe(6);
    const out = scratch(6);
    expect<i32>(r.read(out, 6)).toBe(6);
    expect<bool>(sameBytes(out, counting(0, 6), 6)).toBe(true);
  });

  it("clips out-of-order writes to the free space", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 5), 5);
    expect<i32>(r.writeAt(1, counting(0, 10), 10)).toBe(2);
    expect<i32>(r.writeAt(3, counting(0, 1), 1)).toBe(0);
    expect<i32>(r.writeAt(4, counting(0, 1), 1)).toBe(RingError.OutOfRange);
    expect<i32>(r.writeAt(-1, counting(0, 1), 1)).toBe(RingError.OutOfRange);
    // The filled bytes were not touched.
    expect<bool>(sameBytes(r.readSpanPtr, counting(0, 5), 5)).toBe(true);
  });

  it("clears to empty with the read end back at the start", () => {
    const r = new RingBuffer(8);
    r.write(counting(0, 6), 6);
    r.consume(4);
    r.clear();
    expect<i32>(r.len).toBe(0);
    expect<i32>(r.free).toBe(8);
    expect<usize>(r.writeSpanPtr).toBe(r.dataPtr);
    expect<i32>(r.writeSpanLen).toBe(8);
  });

  it("handles a zero-capacity ring without touching memory", () => {
    const r = new RingBuffer(0);
    const out = scratch(4);
    expect<i32>(r.capacity).toBe(0);
    expect<i32>(r.write(counting(0, 4), 4)).toBe(0);
    expect<i32>(r.read(out, 4)).toBe(0);
    expect<i32>(r.commitWrite(1)).toBe(RingError.OutOfRange);
    expect<i32>(r.writeSpanLen).toBe(0);
    expect<i32>(r.peek(0, out, 4)).toBe(0);
    expect<i32>(new RingBuffer(-5).capacity).toBe(0);
  });

  it("matches a plain array queue over thousands of random operations", () => {
    // Reference model: the filled bytes as a u8[] queue. Every operation is applied to both, and
    // lengths and contents are compared after each one.
    const CAP = 37; // not a power of two, so wraps land everywhere
    const r = new RingBuffer(CAP);
    const model: u8[] = [];
    const src = scratch(64);
    const out = scratch(64);
    let x: u32 = 0x1234_5678;
    let next: u8 = 0;
    for (let step = 0; step < 20000; step++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      const op = x % 7;
      const n = <i32>((x >> 8) % 45) - 2; // -2..42: includes negatives and more than capacity
      for (let i = 0; i < 64; i++) store<u8>(src + i, <u8>(next + i));
      if (op == 0) { // copy-in
        const moved = r.write(src, n);
        const expected = n < 0 ? 0 : min(n, CAP - model.length);
        if (moved != expected) expect<i32>(moved).toBe(expected, "write at step " + step.toString());
        for (let i = 0; i < expected; i++) model.push(<u8>(next + i));
        next += <u8>expected;
      } else if (op == 1) { // copy-out
        const moved = r.read(out, n);
        const expected = n < 0 ? 0 : min(n, model.length);
        if (moved != expected) expect<i32>(moved).toBe(expected, "read at step " + step.toString());
        for (let i = 0; i < expected; i++) {
          const want = model.shift();
          if (load<u8>(out + i) != want) expect<u8>(load<u8>(out + i)).toBe(want);
        }
      } else if (op == 2) { // one-copy write through the span
        const span = r.writeSpanLen;
        const k = n < 0 ? 0 : min(n, span);
        memory.copy(r.writeSpanPtr, src, k);
        const rc = r.commitWrite(k);
        if (rc != k) expect<i32>(rc).toBe(k);
        for (let i = 0; i < k; i++) model.push(<u8>(next + i));
        next += <u8>k;
      } else if (op == 3) { // one-copy read through the span
        const span = r.readSpanLen;
        const k = n < 0 ? 0 : min(n, span);
        for (let i = 0; i < k; i++) {
          const want = model.shift();
          if (load<u8>(r.readSpanPtr + i) != want) expect<u8>(load<u8>(r.readSpanPtr + i)).toBe(want);
        }
        const rc = r.consume(k);
        if (rc != k) expect<i32>(rc).toBe(k);
      } else if (op == 4) { // peek at a random offset
        const off = <i32>((x >> 16) % <u32>(model.length + 2)) - 1;
        const got = r.peek(off, out, n);
        if (off < 0 || off > model.length) {
          if (got != RingError.OutOfRange) expect<i32>(got).toBe(RingError.OutOfRange);
        } else {
          const expected = n < 0 ? 0 : min(n, model.length - off);
          if (got != expected) expect<i32>(got).toBe(expected, "peek at step " + step.toString());
          for (let i = 0; i < expected; i++) {
            if (load<u8>(out + i) != model[off + i]) expect<u8>(load<u8>(out + i)).toBe(model[off + i]);
          }
        }
      } else if (op == 5) { // out-of-order fill: the second half first, then the first, then commit
        const k = n < 0 ? 0 : min(n, CAP - model.length);
        const half = k >> 1;
        const second = r.writeAt(half, src + half, k - half);
        const first = r.writeAt(0, src, half);
        const committed = r.commitWrite(k);
        if (second != k - half || first != half || committed != k) {
          expect<i32[]>([second, first, committed]).toStrictEqual([k - half, half, k]);
        }
        for (let i = 0; i < k; i++) model.push(<u8>(next + i));
        next += <u8>k;
      } else { // refused or oversized commit/consume must change nothing
        const before = r.len;
        const rc = (x & 0x100) != 0 ? r.commitWrite(r.free + 1) : r.consume(r.len + 1);
        if (rc != RingError.OutOfRange) expect<i32>(rc).toBe(RingError.OutOfRange);
        if (r.len != before) expect<i32>(r.len).toBe(before);
      }
      if (r.len != model.length) expect<i32>(r.len).toBe(model.length, "len at step " + step.toString());
      if (r.free != CAP - model.length) expect<i32>(r.free).toBe(CAP - model.length);
    }
    // Finally drain and compare everything left.
    const rest = r.read(out, 64);
    expect<i32>(rest).toBe(model.length);
    for (let i = 0; i < rest; i++) expect<u8>(load<u8>(out + i)).toBe(model[i]);
  });
});
