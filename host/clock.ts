// Clocks for the host. The core never reads a clock: the host gives it the time on every poll and
// arms one timer for the deadline it returns. Everything time-related in the host (stacks, links,
// switches, pcap timestamps) goes through the Clock interface, so a test can swap the real clock for
// a VirtualClock and run a whole network deterministically, without waiting.

/** A pending timer. Opaque except for its deadline; pass it back to the clock that made it. */
export interface TimerHandle {
  /** The time (microseconds, the clock's timebase) the timer fires at. */
  readonly at: number;
}

export interface Clock {
  /** Microseconds since an arbitrary origin; monotonic. */
  now(): number;
  /** Calls fn once at time `atMicros` (or as soon as possible if in the past). */
  setTimer(atMicros: number, fn: () => void): TimerHandle;
  /** Cancels a timer. Clearing a timer that fired or was cleared already does nothing. */
  clearTimer(handle: TimerHandle): void;
  /**
   * Optional: keep the process alive while this timer is pending (RealClock in Node). A stack calls
   * it for timers that stand for work a user waits on (a connect, a pending write), `unref` for
   * housekeeping (keep-alive, ARP ageing). Clocks without the notion (VirtualClock) omit it or no-op.
   */
  ref?(handle: TimerHandle): void;
  /** Optional: the opposite of ref. */
  unref?(handle: TimerHandle): void;
}

import { invalidArgType, outOfRange } from './errors.js';

/**
 * The largest time (and duration) a clock accepts: 2^53 microseconds (about 285 years). Beyond it
 * doubles no longer hold every whole microsecond, so now + delay could round back to now and a
 * timer re-arm at the same instant forever.
 */
export const MAX_CLOCK_MICROS = 2 ** 53;

function checkTime(at: number, what: string): void {
  if (typeof at !== 'number' || Number.isNaN(at)) throw invalidArgType(what, 'of type number', at);
}

/** A clock reading or a step: finite, not negative, at most MAX_CLOCK_MICROS (ERR_OUT_OF_RANGE). */
function checkMicros(value: number, what: string): void {
  if (typeof value !== 'number') throw invalidArgType(what, 'of type number', value);
  if (!(value >= 0 && value <= MAX_CLOCK_MICROS)) throw outOfRange(what, `>= 0 and <= 2^53 microseconds`, value);
}

// ---------------------------------------------------------------------------------------------------
// RealClock

/** setTimeout cannot wait longer than this; longer timers are re-armed in steps. */
const MAX_TIMEOUT_MS = 0x7fffffff;

type NativeTimer = { ref?(): unknown; unref?(): unknown } | number | undefined;

class RealTimer implements TimerHandle {
  native: NativeTimer = undefined;
  immediate = false;
  active = true;
  constructor(readonly at: number, readonly fn: () => void, public refed: boolean) {}
}

export interface RealClockOptions {
  /**
   * Whether new timers keep a Node process alive (default false: timers are unref'd, so a forgotten
   * stack never keeps a process running). Individual timers can be switched with ref()/unref().
   */
  ref?: boolean;
}

/**
 * The wall clock: now() is performance.now() in whole microseconds; timers are setTimeout (or
 * setImmediate for a deadline already reached). A timer never fires before its deadline: if the
 * platform wakes early it is re-armed. In Node, timers are unref'd by default (see RealClockOptions);
 * call ref(handle) for timers that represent work a user is waiting for.
 */
export class RealClock implements Clock {
  /** now() === 0 corresponds to this many microseconds since the Unix epoch (for pcap timestamps). */
  readonly originEpochMicros: number;
  private readonly refByDefault: boolean;

  constructor(options: RealClockOptions = {}) {
    this.refByDefault = options.ref ?? false;
    this.originEpochMicros = Math.round(performance.timeOrigin * 1000);
  }

  now(): number {
    return Math.floor(performance.now() * 1000);
  }

  setTimer(atMicros: number, fn: () => void): TimerHandle {
    checkTime(atMicros, 'atMicros');
    const timer = new RealTimer(atMicros, fn, this.refByDefault);
    this.arm(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (!(handle instanceof RealTimer) || !handle.active) return;
    handle.active = false;
    this.disarm(handle);
  }

  /** Makes a pending timer keep the Node process alive. */
  ref(handle: TimerHandle): void {
    if (!(handle instanceof RealTimer)) return;
    handle.refed = true;
    (handle.native as { ref?(): unknown } | undefined)?.ref?.();
  }

  /** Lets the Node process exit even though this timer is pending. */
  unref(handle: TimerHandle): void {
    if (!(handle instanceof RealTimer)) return;
    handle.refed = false;
    (handle.native as { unref?(): unknown } | undefined)?.unref?.();
  }

  private arm(timer: RealTimer): void {
    if (timer.at === Infinity) return; // never fires; nothing to keep alive
    const delayMs = (timer.at - this.now()) / 1000;
    const fire = (): void => this.fire(timer);
    if (delayMs <= 0 && typeof setImmediate === 'function') {
      timer.immediate = true;
      timer.native = setImmediate(fire) as unknown as NativeTimer;
    } else {
      timer.immediate = false;
      timer.native = setTimeout(fire, Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil(delayMs)))) as unknown as NativeTimer;
    }
    if (!timer.refed) (timer.native as { unref?(): unknown } | undefined)?.unref?.();
  }

  private disarm(timer: RealTimer): void {
    if (timer.native === undefined) return;
    if (timer.immediate) clearImmediate(timer.native as unknown as NodeJS.Immediate);
    else clearTimeout(timer.native as unknown as ReturnType<typeof setTimeout>);
    timer.native = undefined;
  }

  private fire(timer: RealTimer): void {
    timer.native = undefined;
    if (!timer.active) return;
    if (this.now() < timer.at) { this.arm(timer); return; } // woke early, or a step of a long wait
    timer.active = false;
    timer.fn();
  }
}

// ---------------------------------------------------------------------------------------------------
// VirtualClock

class VirtualTimer implements TimerHandle {
  index = -1; // position in the heap, -1 when not pending
  constructor(readonly at: number, readonly seq: number, readonly fn: () => void, readonly owner: VirtualClock) {}
}

const before = (x: VirtualTimer, y: VirtualTimer): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq);

/** Yields to the event loop once: every queued microtask (promise jobs, queueMicrotask) runs first. */
function macrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A clock that only moves when told to. Timers fire in time order, ties in the order they were set;
 * inside a callback now() equals the timer's time; timers set by callbacks fire in the same advance
 * if they are due by its end; a timer set in the past fires at the current time. Never uses real
 * timers, so a run is deterministic.
 *
 * The synchronous methods (advance, advanceMs, advanceTo, runUntilIdle) fire timers back to back.
 * Work that callbacks queue as microtasks (a MemoryLink's zero-delay deliveries, promise
 * continuations) only runs after they return. The Async variants let the event loop drain all
 * microtasks before and after every timer, so zero-delay work happens at the virtual time it was
 * caused; use them to drive whole stacks.
 *
 * If a callback throws, the advance stops there: now() stays at that timer's time, and the error
 * propagates to the caller of advance.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  private busy = false;

  constructor(startMicros = 0) {
    checkMicros(startMicros, 'startMicros');
    this.time = startMicros;
  }

  now(): number {
    return this.time;
  }

  setTimer(atMicros: number, fn: () => void): TimerHandle {
    checkTime(atMicros, 'atMicros');
    const timer = new VirtualTimer(Math.max(atMicros, this.time), this.seq++, fn, this);
    if (timer.at !== Infinity) this.push(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    if (!(handle instanceof VirtualTimer) || handle.owner !== this || handle.index < 0) return;
    this.removeAt(handle.index);
  }

  /** No-op: virtual timers never hold a process open. */
  ref(_handle: TimerHandle): void {}
  /** No-op. */
  unref(_handle: TimerHandle): void {}

  /** Number of pending timers. */
  get pending(): number {
    return this.heap.length;
  }

  /** Deadline of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Moves time forward by `micros`, firing every timer due by then. */
  advance(micros: number): void {
    this.checkDelta(micros, 'micros');
    this.advanceTo(this.time + micros);
  }

  advanceMs(ms: number): void {
    this.checkDelta(typeof ms === 'number' ? ms * 1000 : ms, 'ms * 1000');
    this.advanceTo(this.time + ms * 1000);
  }

  /** Moves time forward to `atMicros` (which must not be in the past), firing due timers. */
  advanceTo(atMicros: number): void {
    this.checkTarget(atMicros);
    this.enter();
    try {
      while (this.heap.length > 0 && this.heap[0]!.at <= atMicros) this.fireNext();
      this.time = atMicros;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Fires timers until none is pending, but lets at most `limitMicros` of virtual time pass (a stack
   * with a periodic timer is never idle). Returns true if it stopped because no timer was left
   * (now() is then the time of the last timer fired), false if it hit the limit (now() is then
   * start + limitMicros).
   */
  runUntilIdle(limitMicros: number): boolean {
    this.checkDelta(limitMicros, 'limitMicros');
    const end = Math.min(this.time + limitMicros, MAX_CLOCK_MICROS);
    this.enter();
    try {
      while (this.heap.length > 0 && this.heap[0]!.at <= end) this.fireNext();
      if (this.heap.length === 0) return true;
      this.time = end;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Like advance, draining microtasks before and after every timer. */
  async advanceAsync(micros: number): Promise<void> {
    this.checkDelta(micros, 'micros');
    await this.advanceToAsync(this.time + micros);
  }

  async advanceMsAsync(ms: number): Promise<void> {
    this.checkDelta(typeof ms === 'number' ? ms * 1000 : ms, 'ms * 1000');
    await this.advanceToAsync(this.time + ms * 1000);
  }

  async advanceToAsync(atMicros: number): Promise<void> {
    this.checkTarget(atMicros);
    this.enter();
    try {
      await macrotask();
      while (this.heap.length > 0 && this.heap[0]!.at <= atMicros) {
        this.fireNext();
        await macrotask();
      }
      this.time = atMicros;
    } finally {
      this.busy = false;
    }
  }

  /** Like runUntilIdle, draining microtasks before and after every timer. */
  async runUntilIdleAsync(limitMicros: number): Promise<boolean> {
    this.checkDelta(limitMicros, 'limitMicros');
    const end = Math.min(this.time + limitMicros, MAX_CLOCK_MICROS);
    this.enter();
    try {
      await macrotask();
      while (this.heap.length > 0 && this.heap[0]!.at <= end) {
        this.fireNext();
        await macrotask();
      }
      if (this.heap.length === 0) return true;
      this.time = end;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Lets every queued microtask run (time does not move). */
  settle(): Promise<void> {
    return macrotask();
  }

  private enter(): void {
    if (this.busy) throw new Error('VirtualClock: advance called while the clock is already advancing');
    this.busy = true;
  }

  private checkDelta(d: number, what: string): void {
    checkMicros(d, what);
  }

  /** The time to move to: not in the past (the clock never goes back), not beyond 2^53 us. */
  private checkTarget(at: number): void {
    checkMicros(at, 'atMicros');
    if (at < this.time) throw outOfRange('atMicros', `>= now (${this.time}): a VirtualClock cannot go back in time`, at);
  }

  private fireNext(): void {
    const timer = this.heap[0]!;
    this.removeAt(0);
    if (timer.at > this.time) this.time = timer.at;
    timer.fn();
  }

  // Binary min-heap on (at, seq), with each timer knowing its index so clearTimer is O(log n).
  private push(timer: VirtualTimer): void {
    timer.index = this.heap.length;
    this.heap.push(timer);
    this.up(timer.index);
  }

  private removeAt(i: number): void {
    const heap = this.heap;
    const removed = heap[i]!;
    const last = heap.pop()!;
    removed.index = -1;
    if (i < heap.length) {
      heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
  }

  private up(i: number): void {
    const heap = this.heap;
    const t = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(t, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = t;
    t.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const t = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!before(child, t)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = t;
    t.index = i;
  }
}

/** True if two clocks share a timebase: the same object, or both RealClocks (performance.now). */
export function sameClock(a: Clock, b: Clock): boolean {
  return a === b || (a instanceof RealClock && b instanceof RealClock);
}
