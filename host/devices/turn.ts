// Bounded work per event-loop turn. Links move frames from microtasks while the turn's frame budget
// lasts; past it, their work continues in the next macrotask (setImmediate in Node, a
// MessageChannel message in browsers, setTimeout(0) elsewhere), so a flood between two stacks
// in one process lets timers, I/O and rendering run between batches instead of starving them.
//
// One scheduler is shared by every link in the realm: the budget is per turn, not per link.
// Tasks are objects with a method, queued at most once each (their own `turnQueued` flag), so
// scheduling allocates nothing per frame.

import { queueTask } from '../microtask.js';

/** Frames all links together may move before yielding to the event loop. */
export const FRAMES_PER_TURN = 1024;

/** Something a link wants run soon. */
export interface TurnTask {
  /** True while the task sits in one of the scheduler's queues (owned by the scheduler). */
  turnQueued: boolean;
  runTurn(): void;
}

type Macrotask = (fn: () => void) => void;

function pickMacrotask(): Macrotask {
  const g = globalThis as {
    setImmediate?: (fn: () => void) => unknown;
    MessageChannel?: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(v: unknown): void } };
  };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (fn) => { setImmediate(fn); };
  }
  if (typeof g.MessageChannel === 'function') {
    // One channel for the realm; messages are delivered in order, one task each.
    const channel = new g.MessageChannel();
    let pending: (() => void) | undefined;
    channel.port1.onmessage = () => { const fn = pending; pending = undefined; fn?.(); };
    return (fn) => { pending = fn; channel.port2.postMessage(0); };
  }
  return (fn) => { setTimeout(fn, 0); };
}

export class TurnScheduler {
  readonly framesPerTurn: number;
  #used = 0;
  #boundaryPending = false;
  #soon: TurnTask[] = [];
  #soonQueued = false;
  #later: TurnTask[] = [];
  #spare: TurnTask[] = [];
  readonly #macrotask: Macrotask;
  readonly #runSoon = (): void => this.#drainSoon();
  readonly #boundary = (): void => this.#newTurn();

  constructor(framesPerTurn = FRAMES_PER_TURN, macrotask: Macrotask = pickMacrotask()) {
    this.framesPerTurn = framesPerTurn;
    this.#macrotask = macrotask;
  }

  /** Frames that may still be moved in this turn. */
  remaining(): number {
    return this.framesPerTurn - this.#used;
  }

  /** Records `frames` moved in this turn; the budget comes back at the next macrotask. */
  charge(frames: number): void {
    if (frames <= 0) return;
    this.#used += frames;
    this.#armBoundary();
  }

  /** Runs the task from a microtask while the budget lasts, else in the next turn. Idempotent. */
  schedule(task: TurnTask): void {
    if (task.turnQueued) return;
    task.turnQueued = true;
    if (this.remaining() > 0) {
      this.#soon.push(task);
      if (!this.#soonQueued) { this.#soonQueued = true; queueTask(this.#runSoon); }
    } else {
      this.#later.push(task);
      this.#armBoundary();
    }
  }

  #armBoundary(): void {
    if (this.#boundaryPending) return;
    this.#boundaryPending = true;
    this.#macrotask(this.#boundary);
  }

  #drainSoon(): void {
    this.#soonQueued = false;
    const tasks = this.#soon;
    this.#soon = this.#spare;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      if (this.remaining() > 0) {
        task.turnQueued = false;
        task.runTurn();
      } else {
        this.#later.push(task); // still queued: the next turn runs it
        this.#armBoundary();
      }
    }
    tasks.length = 0;
    this.#spare = tasks;
  }

  #newTurn(): void {
    this.#boundaryPending = false;
    this.#used = 0;
    const tasks = this.#later;
    this.#later = this.#spare;
    this.#spare = [];
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      task.turnQueued = false;
      task.runTurn();
    }
    tasks.length = 0;
    this.#spare = tasks;
  }
}

/** The realm's scheduler, shared by every link. */
export const turn = new TurnScheduler();
