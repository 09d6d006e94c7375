import {
  seqLt, seqLe, seqGt, seqGe, seqAdd, seqDiff, seqInWindow, seqInRange, seqMax, seqMin,
} from "../../assembly/seq";

// Two numbers 32 apart across the wrap: 0xFFFFFFF0 + 0x20 == 0x10 (mod 2^32).
const BEFORE_WRAP: u32 = 0xffff_fff0;
const AFTER_WRAP: u32 = 0x0000_0010;

describe("sequence numbers", () => {
  it("orders numbers across the wrap, both ways round", () => {
    expect<bool>(seqLt(BEFORE_WRAP, AFTER_WRAP)).toBe(true);
    expect<bool>(seqLe(BEFORE_WRAP, AFTER_WRAP)).toBe(true);
    expect<bool>(seqGt(BEFORE_WRAP, AFTER_WRAP)).toBe(false);
    expect<bool>(seqGe(BEFORE_WRAP, AFTER_WRAP)).toBe(false);
    expect<bool>(seqLt(AFTER_WRAP, BEFORE_WRAP)).toBe(false);
    expect<bool>(seqLe(AFTER_WRAP, BEFORE_WRAP)).toBe(false);
    expect<bool>(seqGt(AFTER_WRAP, BEFORE_WRAP)).toBe(true);
    expect<bool>(seqGe(AFTER_WRAP, BEFORE_WRAP)).toBe(true);
  });

  it("treats equal numbers as equal", () => {
    const values: u32[] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      expect<bool>(seqLt(v, v)).toBe(false);
      expect<bool>(seqGt(v, v)).toBe(false);
      expect<bool>(seqLe(v, v)).toBe(true);
      expect<bool>(seqGe(v, v)).toBe(true);
    }
  });

  it("orders ordinary numbers like integers when they are close", () => {
    expect<bool>(seqLt(1000, 2000)).toBe(true);
    expect<bool>(seqGt(2000, 1000)).toBe(true);
    expect<bool>(seqLt(0xffff_fffe, 0xffff_ffff)).toBe(true);
    expect<bool>(seqLt(0xffff_ffff, 0)).toBe(true);
  });

  it("switches order at half the sequence space (RFC 1982 3.2)", () => {
    // 2^31 - 1 ahead is still ahead; 2^31 + 1 ahead is in fact behind.
    expect<bool>(seqLt(0, 0x7fff_ffff)).toBe(true);
    expect<bool>(seqLt(0, 0x8000_0001)).toBe(false);
    expect<bool>(seqGt(0, 0x8000_0001)).toBe(true);
  });

  it("adds with wrap-around, forwards and backwards", () => {
    expect<u32>(seqAdd(BEFORE_WRAP, 0x20)).toBe(AFTER_WRAP);
    expect<u32>(seqAdd(AFTER_WRAP, -0x20)).toBe(BEFORE_WRAP);
    expect<u32>(seqAdd(0xffff_ffff, 1)).toBe(0);
    expect<u32>(seqAdd(5, 0)).toBe(5);
  });

  it("gives signed distances across the wrap", () => {
    expect<i32>(seqDiff(AFTER_WRAP, BEFORE_WRAP)).toBe(32);
    expect<i32>(seqDiff(BEFORE_WRAP, AFTER_WRAP)).toBe(-32);
    expect<i32>(seqDiff(7, 7)).toBe(0);
    // seqAdd undoes seqDiff for any pair.
    let x: u32 = 0x2545f491;
    for (let i = 0; i < 1000; i++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      const a = x;
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      const b = x;
      if (seqAdd(b, seqDiff(a, b)) != a) expect<u32>(seqAdd(b, seqDiff(a, b))).toBe(a);
    }
  });

  it("tests window membership across the wrap", () => {
    // Window of 0x40 bytes starting 0x20 before the wrap: [0xFFFFFFE0, 0x20).
    const start: u32 = 0xffff_ffe0;
    expect<bool>(seqInWindow(start, start, 0x40)).toBe(true);
    expect<bool>(seqInWindow(BEFORE_WRAP, start, 0x40)).toBe(true);
    expect<bool>(seqInWindow(0, start, 0x40)).toBe(true);
    expect<bool>(seqInWindow(AFTER_WRAP, start, 0x40)).toBe(true);
    expect<bool>(seqInWindow(0x1f, start, 0x40)).toBe(true);
    expect<bool>(seqInWindow(0x20, start, 0x40)).toBe(false); // one past the end
    expect<bool>(seqInWindow(0xffff_ffdf, start, 0x40)).toBe(false); // one before the start
  });

  it("says an empty window contains nothing", () => {
    expect<bool>(seqInWindow(100, 100, 0)).toBe(false);
    expect<bool>(seqInWindow(0, 0xffff_ffff, 0)).toBe(false);
  });

  it("checks inclusive ranges across the wrap", () => {
    expect<bool>(seqInRange(0, BEFORE_WRAP, AFTER_WRAP)).toBe(true);
    expect<bool>(seqInRange(BEFORE_WRAP, BEFORE_WRAP, AFTER_WRAP)).toBe(true);
    expect<bool>(seqInRange(AFTER_WRAP, BEFORE_WRAP, AFTER_WRAP)).toBe(true);
    expect<bool>(seqInRange(AFTER_WRAP + 1, BEFORE_WRAP, AFTER_WRAP)).toBe(false);
    expect<bool>(seqInRange(BEFORE_WRAP - 1, BEFORE_WRAP, AFTER_WRAP)).toBe(false);
  });

  it("picks the later and earlier number across the wrap", () => {
    expect<u32>(seqMax(BEFORE_WRAP, AFTER_WRAP)).toBe(AFTER_WRAP);
    expect<u32>(seqMax(AFTER_WRAP, BEFORE_WRAP)).toBe(AFTER_WRAP);
    expect<u32>(seqMin(BEFORE_WRAP, AFTER_WRAP)).toBe(BEFORE_WRAP);
    expect<u32>(seqMin(AFTER_WRAP, BEFORE_WRAP)).toBe(BEFORE_WRAP);
    expect<u32>(seqMax(100, 200)).toBe(200);
    expect<u32>(seqMin(100, 200)).toBe(100);
  });

  it("agrees with 64-bit unwrapped arithmetic on random nearby pairs", () => {
    // Reference: take a in u64, b = a + d for |d| < 2^31, compare the unwrapped values.
    let x: u64 = 0x9e3779b97f4a7c15;
    for (let i = 0; i < 5000; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const base: i64 = <i64>(x & 0xffff_ffff) + 0x1_0000_0000;
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const d: i64 = <i64>(x % 0xffff_fffe) - 0x7fff_ffff; // in (-2^31, 2^31)
      const a = <u32>base;
      const b = <u32>(base + d);
      const ok = seqLt(a, b) == (d > 0) && seqGt(a, b) == (d < 0)
        && seqLe(a, b) == (d >= 0) && seqGe(a, b) == (d <= 0) && seqDiff(b, a) == <i32>d;
      if (!ok) expect<bool>(ok).toBe(true, "mismatch at a=" + a.toString() + " d=" + d.toString());
    }
  });
});
