import {
  satAdd, satSub, satMul, millis, seconds, toMillisCeil, instantAdd, elapsed, remaining,
  isExpired, minDeadline, NO_DEADLINE, INSTANT_MIN, MICROS_PER_SECOND,
} from "../../assembly/time";

const MAX = i64.MAX_VALUE;
const MIN = i64.MIN_VALUE;

describe("time", () => {
  it("adds normally away from the limits", () => {
    expect<i64>(satAdd(1_000_000, 250_000)).toBe(1_250_000);
    expect<i64>(satAdd(-5, 3)).toBe(-2);
    expect<i64>(satAdd(MAX, MIN)).toBe(-1);
  });

  it("saturates addition at the top: MAX + 1 stays MAX", () => {
    expect<i64>(satAdd(MAX, 1)).toBe(MAX);
    expect<i64>(satAdd(1, MAX)).toBe(MAX);
    expect<i64>(satAdd(MAX, MAX)).toBe(MAX);
    expect<i64>(satAdd(MAX - 10, 10)).toBe(MAX);
    expect<i64>(satAdd(MAX - 10, 9)).toBe(MAX - 1);
  });

  it("saturates addition at the bottom: MIN - 1 stays MIN", () => {
    expect<i64>(satAdd(MIN, -1)).toBe(MIN);
    expect<i64>(satAdd(MIN, MIN)).toBe(MIN);
    expect<i64>(satSub(MIN, 1)).toBe(MIN);
    expect<i64>(satAdd(MIN + 10, -9)).toBe(MIN + 1);
  });

  it("saturates subtraction both ways", () => {
    expect<i64>(satSub(MAX, -1)).toBe(MAX);
    expect<i64>(satSub(0, MIN)).toBe(MAX); // -MIN does not fit
    expect<i64>(satSub(-2, MAX)).toBe(MIN);
    expect<i64>(satSub(10, 4)).toBe(6);
    expect<i64>(satSub(-1, MIN)).toBe(MAX);
  });

  it("multiplies without overflow exactly", () => {
    expect<i64>(satMul(3, 7)).toBe(21);
    expect<i64>(satMul(-3, 7)).toBe(-21);
    expect<i64>(satMul(-3, -7)).toBe(21);
    expect<i64>(satMul(0, MIN)).toBe(0);
    expect<i64>(satMul(MAX, 0)).toBe(0);
    expect<i64>(satMul(MAX, 1)).toBe(MAX);
    expect<i64>(satMul(MIN, 1)).toBe(MIN);
    expect<i64>(satMul(MAX, -1)).toBe(-MAX);
    expect<i64>(satMul(0x1_0000_0000, 0x7fff_ffff)).toBe(0x7fff_ffff_0000_0000);
  });

  it("saturates multiplication by the sign of the true product", () => {
    expect<i64>(satMul(MAX, 2)).toBe(MAX);
    expect<i64>(satMul(MAX, -2)).toBe(MIN);
    expect<i64>(satMul(MIN, 2)).toBe(MIN);
    expect<i64>(satMul(MIN, -2)).toBe(MAX);
    expect<i64>(satMul(MIN, -1)).toBe(MAX); // would trap as a division, and wrap as a product
    expect<i64>(satMul(-1, MIN)).toBe(MAX);
    expect<i64>(satMul(0x1_0000_0000, 0x8000_0000)).toBe(MAX); // exactly 2^63
    expect<i64>(satMul(-0x1_0000_0000, 0x8000_0000)).toBe(MIN); // exactly -2^63 fits
    expect<i64>(satMul(-0x1_0000_0000, 0x8000_0001)).toBe(MIN);
    expect<i64>(satMul(3_037_000_500, 3_037_000_500)).toBe(MAX); // just over sqrt(2^63)
    expect<i64>(satMul(3_037_000_499, 3_037_000_499)).toBe(9_223_372_030_926_249_001);
  });

  it("builds durations from millis and seconds, saturating", () => {
    expect<i64>(millis(1500)).toBe(1_500_000);
    expect<i64>(seconds(3)).toBe(3 * MICROS_PER_SECOND);
    expect<i64>(seconds(-2)).toBe(-2_000_000);
    expect<i64>(millis(MAX)).toBe(MAX);
    expect<i64>(seconds(MAX / 1000)).toBe(MAX);
    expect<i64>(seconds(MIN / 1000)).toBe(MIN);
    expect<i64>(millis(MAX / 1000)).toBe((MAX / 1000) * 1000);
  });

  it("rounds durations up to whole milliseconds", () => {
    expect<i64>(toMillisCeil(0)).toBe(0);
    expect<i64>(toMillisCeil(1)).toBe(1);
    expect<i64>(toMillisCeil(1000)).toBe(1);
    expect<i64>(toMillisCeil(1001)).toBe(2);
    expect<i64>(toMillisCeil(-1500)).toBe(-1);
    expect<i64>(toMillisCeil(MAX)).toBe(MAX / 1000 + 1);
  });

  it("never lets a huge timeout wrap into the past", () => {
    const now: i64 = 1_700_000_000_000_000; // a realistic epoch time in us
    const deadline = instantAdd(now, seconds(MAX));
    expect<i64>(deadline).toBe(NO_DEADLINE);
    expect<bool>(isExpired(deadline, now)).toBe(false);
    expect<i64>(instantAdd(INSTANT_MIN, -1)).toBe(INSTANT_MIN);
  });

  it("measures elapsed and remaining time", () => {
    expect<i64>(elapsed(5_000_000, 2_000_000)).toBe(3_000_000);
    expect<i64>(elapsed(2_000_000, 5_000_000)).toBe(-3_000_000);
    expect<i64>(elapsed(MAX, MIN)).toBe(MAX);
    expect<i64>(remaining(5_000_000, 2_000_000)).toBe(3_000_000);
    expect<i64>(remaining(2_000_000, 5_000_000)).toBe(0);
    expect<i64>(remaining(NO_DEADLINE, 5_000_000)).toBe(NO_DEADLINE);
    expect<i64>(remaining(MAX - 1, MIN)).toBe(MAX);
  });

  it("expires deadlines exactly when now reaches them", () => {
    expect<bool>(isExpired(1000, 999)).toBe(false);
    expect<bool>(isExpired(1000, 1000)).toBe(true);
    expect<bool>(isExpired(1000, 1001)).toBe(true);
    expect<bool>(isExpired(NO_DEADLINE, MAX)).toBe(false);
  });

  it("takes the earliest deadline, with NO_DEADLINE later than all", () => {
    expect<i64>(minDeadline(NO_DEADLINE, 42)).toBe(42);
    expect<i64>(minDeadline(42, NO_DEADLINE)).toBe(42);
    expect<i64>(minDeadline(NO_DEADLINE, NO_DEADLINE)).toBe(NO_DEADLINE);
    expect<i64>(minDeadline(-5, 3)).toBe(-5);
  });

  it("matches a wide reference on random operands", () => {
    // Reference: the f64 sum or product decides overflow wherever it is clearly away from the i64
    // limits (f64 keeps 53 bits, so within ~1% of 2^63 the case is left to the exact tests above).
    let x: u64 = 0x0123_4567_89ab_cdef;
    for (let i = 0; i < 5000; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const a = <i64>x >> <i64>(x & 63);
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const b = <i64>x >> <i64>(x & 63);
      const sumF = <f64>a + <f64>b;
      const s = satAdd(a, b);
      if (sumF > 9.3e18) { if (s != MAX) expect<i64>(s).toBe(MAX); }
      else if (sumF < -9.3e18) { if (s != MIN) expect<i64>(s).toBe(MIN); }
      else if (sumF < 9.1e18 && sumF > -9.1e18 && s != a + b) expect<i64>(s).toBe(a + b);
      const prodF = <f64>a * <f64>b;
      const p = satMul(a, b);
      if (prodF > 9.3e18) { if (p != MAX) expect<i64>(p).toBe(MAX); }
      else if (prodF < -9.3e18) { if (p != MIN) expect<i64>(p).toBe(MIN); }
      else if (prodF < 9.1e18 && prodF > -9.1e18 && p != a * b) expect<i64>(p).toBe(a * b);
    }
  });
});
