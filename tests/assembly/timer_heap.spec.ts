import { TimerHeap, TIMER_NONE, TIMER_NEVER } from "../../assembly/storage/timer_heap";

let state: u64 = 0x2545f4914f6cdd1d;
function rand(): u64 {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
function below(n: i32): i32 {
  return <i32>(rand() % <u64>n);
}

const UNSET: i64 = i64.MIN_VALUE; // the model's "no timer" (never a deadline the test arms)

/** The model: one deadline per slot, the earliest found by scanning. */
function earliest(model: StaticArray<i64>): i64 {
  let t = TIMER_NEVER;
  for (let i = 0; i < model.length; i++) if (model[i] != UNSET && model[i] < t) t = model[i];
  return t;
}

describe("timer heap", () => {
  it("pops timers in deadline order", () => {
    const h = new TimerHeap(8);
    expect<i64>(h.peekDeadline()).toBe(TIMER_NEVER);
    expect<i32>(h.peekSlot()).toBe(TIMER_NONE);
    expect<i32>(h.pop()).toBe(TIMER_NONE);
    h.set(3, 300);
    h.set(1, 100);
    h.set(7, 700);
    h.set(0, -5);
    h.set(5, 500);
    expect<i32>(h.length).toBe(5);
    expect<i64>(h.peekDeadline()).toBe(-5);
    const order: i32[] = [];
    for (let s = h.pop(); s != TIMER_NONE; s = h.pop()) order.push(s);
    expect<i32[]>(order).toStrictEqual([0, 1, 3, 5, 7]);
    expect<i32>(h.length).toBe(0);
  });

  it("moves a slot's one timer when set again, earlier or later", () => {
    const h = new TimerHeap(4);
    h.set(0, 10);
    h.set(1, 20);
    h.set(2, 30);
    h.set(2, 5);
    expect<i32>(h.peekSlot()).toBe(2);
    expect<i32>(h.length).toBe(3);
    h.set(2, 25);
    expect<i32>(h.peekSlot()).toBe(0);
    h.set(0, 40);
    expect<i32>(h.peekSlot()).toBe(1);
    expect<i64>(h.deadlineOf(0)).toBe(40);
    expect<i32>(h.length).toBe(3);
  });

  it("cancels a timer wherever it sits, and refuses bad slots", () => {
    const h = new TimerHeap(4);
    h.set(0, 10);
    h.set(1, 20);
    h.set(2, 30);
    expect<bool>(h.cancel(0)).toBe(true);
    expect<bool>(h.cancel(0)).toBe(false);
    expect<bool>(h.isSet(0)).toBe(false);
    expect<i64>(h.deadlineOf(0)).toBe(TIMER_NEVER);
    expect<i32>(h.peekSlot()).toBe(1);
    expect<bool>(h.set(4, 1)).toBe(false);
    expect<bool>(h.set(-1, 1)).toBe(false);
    expect<bool>(h.cancel(17)).toBe(false);
    expect<i32>(h.length).toBe(2);
    expect<i32>(h.pop()).toBe(1);
    expect<i32>(h.pop()).toBe(2);
    expect<i32>(h.pop()).toBe(TIMER_NONE);
  });

  it("handles the extremes of i64 as deadlines", () => {
    const h = new TimerHeap(3);
    h.set(0, i64.MAX_VALUE);
    h.set(1, i64.MIN_VALUE);
    h.set(2, 0);
    expect<i32>(h.pop()).toBe(1);
    expect<i32>(h.pop()).toBe(2);
    expect<i64>(h.peekDeadline()).toBe(i64.MAX_VALUE);
    expect<i32>(h.pop()).toBe(0);
  });

  it("agrees with a scanning model under random set/cancel/pop", () => {
    const cap = 50;
    const h = new TimerHeap(cap);
    const model = new StaticArray<i64>(cap);
    for (let i = 0; i < cap; i++) model[i] = UNSET;
    let mismatches = 0;
    for (let step = 0; step < 50_000; step++) {
      const slot = below(cap);
      const op = below(5);
      if (op < 2) {
        // Few distinct deadlines, so ties happen often.
        const d = <i64>below(40) - 10;
        h.set(slot, d);
        model[slot] = d;
      } else if (op == 2) {
        if (h.cancel(slot) != (model[slot] != UNSET)) mismatches++;
        model[slot] = UNSET;
      } else if (op == 3) {
        const want = earliest(model);
        const s = h.pop();
        if (want == TIMER_NEVER) {
          if (s != TIMER_NONE) mismatches++;
        } else if (s < 0 || model[s] != want) {
          mismatches++;
        } else {
          model[s] = UNSET;
        }
      } else {
        if (h.peekDeadline() != earliest(model)) mismatches++;
        const s = h.peekSlot();
        if (s >= 0 && model[s] != h.peekDeadline()) mismatches++;
        if (h.isSet(slot) != (model[slot] != UNSET)) mismatches++;
        if (model[slot] != UNSET && h.deadlineOf(slot) != model[slot]) mismatches++;
      }
      let armed = 0;
      for (let i = 0; i < cap; i++) if (model[i] != UNSET) armed++;
      if (h.length != armed) mismatches++;
      if (mismatches > 0) break;
    }
    expect<i32>(mismatches).toBe(0);
  });
});
