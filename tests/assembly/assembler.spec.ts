import { Assembler, AssemblerError, ASSEMBLER_MAX_HOLES } from "../../assembly/storage/assembler";

/** The stored ranges flattened as [start0, end0, start1, end1, ...]. */
function rangesOf(a: Assembler): i32[] {
  const out: i32[] = [];
  for (let i = 0; i < a.rangeCount; i++) {
    out.push(a.rangeStart(i));
    out.push(a.rangeEnd(i));
  }
  return out;
}

describe("assembler", () => {
  it("takes in-order data straight through", () => {
    const a = new Assembler(4);
    expect<i32>(a.add(0, 100)).toBe(AssemblerError.Ok);
    expect<i32>(a.contiguousLen).toBe(100);
    expect<i32>(a.takeContiguous()).toBe(100);
    expect<bool>(a.isEmpty).toBe(true);
    expect<i32>(a.add(0, 50)).toBe(AssemblerError.Ok);
    expect<i32>(a.takeContiguous()).toBe(50);
    expect<i32>(a.takeContiguous()).toBe(0);
  });

  it("holds out-of-order data until the gap before it fills", () => {
    const a = new Assembler(4);
    expect<i32>(a.add(100, 50)).toBe(AssemblerError.Ok);
    expect<i32>(a.takeContiguous()).toBe(0);
    expect<i32>(a.holeCount).toBe(1);
    expect<i32[]>(rangesOf(a)).toStrictEqual([100, 150]);
    expect<i32>(a.add(0, 100)).toBe(AssemblerError.Ok);
    expect<i32>(a.holeCount).toBe(0);
    expect<i32>(a.takeContiguous()).toBe(150);
    expect<bool>(a.isEmpty).toBe(true);
  });

  it("keeps ranges sorted whatever the arrival order", () => {
    const a = new Assembler(8);
    a.add(300, 10);
    a.add(100, 10);
    a.add(500, 10);
    a.add(200, 10);
    expect<i32[]>(rangesOf(a)).toStrictEqual([100, 110, 200, 210, 300, 310, 500, 510]);
    expect<i32>(a.holeCount).toBe(4);
  });

  it("merges adjacent ranges on either side", () => {
    const a = new Assembler(4);
    a.add(10, 10);           // [10, 20)
    a.add(20, 5);            // touches the end
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 25]);
    a.add(5, 5);             // touches the start
    expect<i32[]>(rangesOf(a)).toStrictEqual([5, 25]);
    a.add(30, 5);
    a.add(25, 5);            // fills exactly the hole between two ranges
    expect<i32[]>(rangesOf(a)).toStrictEqual([5, 35]);
  });

  it("merges overlapping ranges", () => {
    const a = new Assembler(4);
    a.add(10, 10);           // [10, 20)
    a.add(15, 10);           // overlaps the end
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 25]);
    a.add(5, 8);             // overlaps the start
    expect<i32[]>(rangesOf(a)).toStrictEqual([5, 25]);
    a.add(40, 10);
    a.add(60, 10);
    a.add(20, 45);           // swallows [40, 50) and overlaps [60, 70)
    expect<i32[]>(rangesOf(a)).toStrictEqual([5, 70]);
  });

  it("ignores duplicates and ranges already covered", () => {
    const a = new Assembler(4);
    a.add(10, 20);
    expect<i32>(a.add(10, 20)).toBe(AssemblerError.Ok);
    expect<i32>(a.add(12, 3)).toBe(AssemblerError.Ok);
    expect<i32>(a.add(10, 0)).toBe(AssemblerError.Ok);
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 30]);
  });

  it("covers many ranges with one big one", () => {
    const a = new Assembler(8);
    for (let i = 1; i <= 8; i++) a.add(i * 10, 5);
    expect<i32>(a.rangeCount).toBe(8);
    expect<i32>(a.add(0, 200)).toBe(AssemblerError.Ok);
    expect<i32[]>(rangesOf(a)).toStrictEqual([0, 200]);
    expect<i32>(a.takeContiguous()).toBe(200);
  });

  it("shifts what remains after taking the contiguous front", () => {
    const a = new Assembler(4);
    a.add(0, 10);
    a.add(20, 5);
    a.add(40, 5);
    expect<i32>(a.takeContiguous()).toBe(10);
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 15, 30, 35]);
    a.add(0, 10);
    expect<i32>(a.takeContiguous()).toBe(15);
    expect<i32[]>(rangesOf(a)).toStrictEqual([15, 20]);
  });

  it("refuses a range needing one hole too many and changes nothing", () => {
    const a = new Assembler(2);
    expect<i32>(a.add(10, 10)).toBe(AssemblerError.Ok);
    expect<i32>(a.add(30, 10)).toBe(AssemblerError.Ok);
    expect<i32>(a.add(50, 10)).toBe(AssemblerError.TooManyHoles);
    expect<i32>(a.add(25, 2)).toBe(AssemblerError.TooManyHoles);
    expect<u64>(a.refused).toBe(2);
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 20, 30, 40]);
    // Touching a stored range never needs a new hole, so it is still accepted.
    expect<i32>(a.add(40, 5)).toBe(AssemblerError.Ok);
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 20, 30, 45]);
  });

  it("accepts the refused range once the front fills", () => {
    const a = new Assembler(2);
    a.add(10, 10);
    a.add(30, 10);
    expect<i32>(a.add(50, 10)).toBe(AssemblerError.TooManyHoles);
    expect<i32>(a.add(0, 10)).toBe(AssemblerError.Ok); // fills the first hole
    expect<i32>(a.holeCount).toBe(1);
    expect<i32>(a.add(50, 10)).toBe(AssemblerError.Ok);
    expect<i32>(a.takeContiguous()).toBe(20);
    expect<i32[]>(rangesOf(a)).toStrictEqual([10, 20, 30, 40]);
    expect<u64>(a.refused).toBe(1);
  });

  it("always accepts in-order data even when every hole is used", () => {
    // The first hole is wider than the segment: refusing it would stall the connection.
    const a = new Assembler(2);
    a.add(3000, 1000);
    a.add(5000, 1000);
    expect<i32>(a.add(0, 1000)).toBe(AssemblerError.Ok);
    expect<i32>(a.rangeCount).toBe(3);
    expect<i32>(a.holeCount).toBe(2);
    expect<i32>(a.takeContiguous()).toBe(1000);
    expect<i32[]>(rangesOf(a)).toStrictEqual([2000, 3000, 4000, 5000]);
  });

  it("with no holes allowed, takes only in-order data", () => {
    const a = new Assembler(0);
    expect<i32>(a.add(5, 5)).toBe(AssemblerError.TooManyHoles);
    expect<i32>(a.add(0, 5)).toBe(AssemblerError.Ok);
    expect<i32>(a.add(5, 5)).toBe(AssemblerError.Ok); // touches the front range
    expect<i32>(a.takeContiguous()).toBe(10);
  });

  it("rejects negative or overflowing ranges", () => {
    const a = new Assembler(4);
    a.add(10, 5);
    expect<i32>(a.add(-1, 5)).toBe(AssemblerError.Invalid);
    expect<i32>(a.add(5, -1)).toBe(AssemblerError.Invalid);
    expect<i32>(a.add(i32.MAX_VALUE, 1)).toBe(AssemblerError.Invalid);
    expect<i32>(a.add(i32.MAX_VALUE - 1, 1)).toBe(AssemblerError.Ok);
    expect<i32>(a.rangeCount).toBe(2);
    expect<u64>(a.refused).toBe(0);
  });

  it("exposes ranges for SACK and finds the one holding an offset", () => {
    const a = new Assembler(4);
    a.add(100, 10);
    a.add(200, 10);
    expect<i32>(a.rangeStart(1)).toBe(200);
    expect<i32>(a.rangeEnd(1)).toBe(210);
    expect<i32>(a.rangeStart(2)).toBe(AssemblerError.Invalid);
    expect<i32>(a.rangeEnd(-1)).toBe(AssemblerError.Invalid);
    expect<i32>(a.indexOf(205)).toBe(1);
    expect<i32>(a.indexOf(100)).toBe(0);
    expect<i32>(a.indexOf(110)).toBe(-1);
    expect<i32>(a.indexOf(50)).toBe(-1);
  });

  it("clears its ranges but keeps counting refusals", () => {
    const a = new Assembler(1);
    a.add(10, 1);
    a.add(20, 1);
    a.clear();
    expect<bool>(a.isEmpty).toBe(true);
    expect<u64>(a.refused).toBe(1);
    expect<i32>(a.add(20, 1)).toBe(AssemblerError.Ok);
  });

  it("clamps its hole limit", () => {
    expect<i32>(new Assembler(-3).maxHoles).toBe(0);
    expect<i32>(new Assembler(1 << 30).maxHoles).toBe(ASSEMBLER_MAX_HOLES);
  });

  it("matches a per-byte reference model over thousands of random operations", () => {
    // Reference model: one bool per byte of a window, true when received. Its runs of true are the
    // ranges; runs not starting at 0 are holes. Each add is applied to a copy first to decide
    // whether it exceeds the hole limit (then both must stay unchanged).
    const WINDOW = 300;
    const MAX_HOLES = 5;
    const a = new Assembler(MAX_HOLES);
    let model = new Array<bool>(WINDOW);
    let refusals: u64 = 0;
    let x: u32 = 0xdead_beef;
    for (let step = 0; step < 20000; step++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      if (x % 8 == 0) {
        // take the contiguous front
        let n = 0;
        while (n < WINDOW && model[n]) n++;
        const got = a.takeContiguous();
        if (got != n) expect<i32>(got).toBe(n, "take at step " + step.toString());
        const shifted = new Array<bool>(WINDOW);
        for (let i = n; i < WINDOW; i++) shifted[i - n] = model[i];
        model = shifted;
      } else {
        // Offsets favour the front a little so the window keeps moving.
        const offset = <i32>((x >> 3) % <u32>(x % 3 == 0 ? 40 : 250));
        const len = <i32>((x >> 12) % 30);
        const candidate = model.slice(0);
        for (let i = offset; i < offset + len && i < WINDOW; i++) candidate[i] = true;
        const allowed = holesIn(candidate, WINDOW) <= MAX_HOLES;
        const rc = a.add(offset, len);
        const expected = allowed ? AssemblerError.Ok : AssemblerError.TooManyHoles;
        if (rc != expected) expect<i32>(rc).toBe(expected, "add at step " + step.toString());
        if (allowed) model = candidate;
        else refusals++;
      }
      // Compare every stored range with the model's runs.
      const want = runsOf(model, WINDOW);
      const got = rangesOf(a);
      if (want.length != got.length) {
        expect<i32[]>(got).toStrictEqual(want, "ranges at step " + step.toString());
      } else {
        for (let i = 0; i < want.length; i++) {
          if (want[i] != got[i]) expect<i32[]>(got).toStrictEqual(want, "ranges at step " + step.toString());
        }
      }
      if (a.holeCount > MAX_HOLES) expect<i32>(a.holeCount).toBeLessThanOrEqual(MAX_HOLES);
    }
    expect<u64>(a.refused).toBe(refusals);
    expect<u64>(refusals).toBeGreaterThan(0); // the limit was actually exercised
  });
});

/** Runs of true in a bool array, flattened as [start, end, ...]. */
function runsOf(bits: bool[], n: i32): i32[] {
  const out: i32[] = [];
  let i = 0;
  while (i < n) {
    if (!bits[i]) { i++; continue; }
    const start = i;
    while (i < n && bits[i]) i++;
    out.push(start);
    out.push(i);
  }
  return out;
}

/** Runs of true that do not start at 0. */
function holesIn(bits: bool[], n: i32): i32 {
  const runs = runsOf(bits, n);
  let holes = runs.length >> 1;
  if (holes > 0 && runs[0] == 0) holes--;
  return holes;
}
