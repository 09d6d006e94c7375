// Time for the core: instants and durations as i64 microseconds.
//
//   i64.MIN_VALUE          0                     now            deadline          i64.MAX_VALUE
//   |----------------------|----------------------|-----Duration----|----------------|
//   saturated past                       Instant (us since the host's epoch)    NO_DEADLINE
//
// The core never reads a clock. The host passes the current time into every call that needs it,
// above all `poll(nowMicros)`, which returns the next deadline at which the core wants to be polled
// again (NO_DEADLINE when nothing is pending). Tests drive a fake clock the same way, which is what
// makes every TCP timer deterministic.
//
// Instants and durations are plain i64 values (no classes, so nothing is allocated on the paths
// that compute timers). All arithmetic here saturates instead of wrapping at the i64 limits: a
// timeout the user sets to "forever" (a huge value) added to now must stay far in the future, never
// wrap around into the past and fire at once. Code outside this file adds and multiplies times only
// through these functions.

/** A point in time: microseconds since an epoch the host chooses (only differences matter). */
export type Instant = i64;
/** A length of time in microseconds. May be negative (an instant minus a later one). */
export type Duration = i64;

export const MICROS_PER_MILLI: i64 = 1_000;
export const MICROS_PER_SECOND: i64 = 1_000_000;

/** A deadline that never arrives: later than every instant, and what `poll` returns when idle. */
export const NO_DEADLINE: Instant = i64.MAX_VALUE;
/** The instant before every other one (a saturated past). */
export const INSTANT_MIN: Instant = i64.MIN_VALUE;

/** a + b, clamped to [i64.MIN_VALUE, i64.MAX_VALUE] instead of wrapping. */
@inline export function satAdd(a: i64, b: i64): i64 {
  const r = a + b;
  // Signed overflow happened exactly when both operands have the sign the result lacks.
  if (((a ^ r) & (b ^ r)) < 0) return a < 0 ? i64.MIN_VALUE : i64.MAX_VALUE;
  return r;
}

/** a - b, clamped instead of wrapping. */
@inline export function satSub(a: i64, b: i64): i64 {
  const r = a - b;
  // Overflow only when the operands differ in sign and the result's sign differs from a's.
  if (((a ^ b) & (a ^ r)) < 0) return a < 0 ? i64.MIN_VALUE : i64.MAX_VALUE;
  return r;
}

/** a * b, clamped by the sign of the true product instead of wrapping. */
export function satMul(a: i64, b: i64): i64 {
  if (a == 0 || b == 0) return 0;
  const limit = (a < 0) != (b < 0) ? i64.MIN_VALUE : i64.MAX_VALUE;
  // MIN * -1 does not fit, and MIN / -1 would trap, so -1 is checked before dividing.
  if (b == -1) return a == i64.MIN_VALUE ? limit : -a;
  if (a == -1) return b == i64.MIN_VALUE ? limit : -b;
  const r = a * b;
  // With b not 0 or -1 the division cannot trap; it undoes the product only when nothing was lost.
  if (r / b != a) return limit;
  return r;
}

/** A duration of `ms` milliseconds, saturating. */
@inline export function millis(ms: i64): Duration {
  return satMul(ms, MICROS_PER_MILLI);
}

/** A duration of `s` seconds, saturating. */
@inline export function seconds(s: i64): Duration {
  return satMul(s, MICROS_PER_SECOND);
}

/** Whole milliseconds in a duration, rounded up so a timer reported to the host never fires early. */
export function toMillisCeil(d: Duration): i64 {
  const q = d / MICROS_PER_MILLI;
  // Division truncates toward zero: only a positive remainder needs rounding up.
  return d % MICROS_PER_MILLI > 0 ? q + 1 : q;
}

/** The instant `d` after `t` (or before it for a negative d), saturating. */
@inline export function instantAdd(t: Instant, d: Duration): Instant {
  return satAdd(t, d);
}

/** The time from `earlier` to `later`, saturating (negative when `later` is in fact earlier). */
@inline export function elapsed(later: Instant, earlier: Instant): Duration {
  return satSub(later, earlier);
}

/** How long from `now` until `deadline`: 0 once it has passed, NO_DEADLINE when there is none. */
export function remaining(deadline: Instant, now: Instant): Duration {
  if (deadline == NO_DEADLINE) return NO_DEADLINE;
  const d = satSub(deadline, now);
  return d > 0 ? d : 0;
}

/** True once `now` has reached `deadline`; never for NO_DEADLINE. */
@inline export function isExpired(deadline: Instant, now: Instant): bool {
  return deadline != NO_DEADLINE && now >= deadline;
}

/** The earlier of two deadlines (NO_DEADLINE is later than every real one). */
@inline export function minDeadline(a: Instant, b: Instant): Instant {
  return a < b ? a : b;
}
