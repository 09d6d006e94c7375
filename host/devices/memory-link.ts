// An in-memory Ethernet cable between two endpoints, with optional impairments for tests: loss,
// delay, jitter, reordering, duplication, corruption, a bit rate with a bounded queue, an MTU.
// Every random choice comes from a PRNG seeded by `seed`, one independent stream per direction and
// per effect, so a run is reproducible and enabling one effect does not change another's draws.
//
// A frame sent in one direction goes through, in order:
//   1. MTU: longer than mtu + 14 bytes -> dropped (dropped.mtu).
//   2. Rate (if rateBitsPerSecond): the frame queues behind the frames still being serialized; if
//      `queueFrames` frames are already queued or on the wire, it is dropped (dropped.queue). It leaves
//      the sender when its last bit is serialized: len * 8 / rate seconds after the previous one.
//   3. Loss (dropped.loss). A lost frame still used its slot on the wire.
//   4. Corruption: one random bit flipped past the 14-byte Ethernet header (a damaged header would
//      fail a real NIC's FCS; the point is to exercise the stack's checksums). Forces trusted false.
//   5. Duplication: a copy is delivered right after the original.
//   6. Delay + jitter: arrives delayMs + uniform[0, jitterMs] after leaving. Jitter never reorders:
//      a frame never arrives before the one sent ahead of it (use `reorder` for that).
//   7. Reorder: the frame is held back and delivered right after the next frame of that direction
//      (or after reorderHoldMs if no other frame comes). Counted as reordered only if overtaken.
// Delivery is always asynchronous: due frames are delivered from a microtask, later ones from a timer
// on the endpoints' clock, in order, in batches (all frames due at once are delivered in one go).
// With a delay, jitter or rate, at most `queueFrames` frames are in flight; more drop (dropped.queue).
//
// Between two stacks (endpoints with FrameRings) on an unimpaired direction (no loss, delay,
// jitter, reorder, duplication, corruption or rate), the link is lossless: each frame is copied
// once, from the sender's transmit buffer into the receiver's receive buffer, never more at once
// than the receiver has buffers offered; the rest wait in the sender's transmit ring, whose full
// queue the sender's core reports as ENOBUFS and later as writable (backpressure). Frames move from
// microtasks within the shared per-turn frame budget (turn.ts), then from the next macrotask.

import { sameClock, type Clock, type TimerHandle } from '../clock.js';
import { ETHERNET_HEADER_BYTES, reportCallbackError, type FrameRings, type LinkEndpoint, type RingListener } from './endpoint.js';
import { Random } from './random.js';
import { copyBytes } from './copy.js';
import { turn, type TurnTask } from './turn.js';

/** Impairments of one direction. All optional. */
export interface LinkImpairments {
  /** Largest IP packet carried; frames longer than mtu + 14 are dropped. Default 1500. */
  mtu?: number;
  /** Probability a frame is lost, 0..1. Default 0. */
  loss?: number;
  /** Fixed one-way delay in milliseconds. Default 0. */
  delayMs?: number;
  /** Extra delay, uniform in [0, jitterMs] milliseconds, per frame. Default 0. */
  jitterMs?: number;
  /** Probability a frame is held back and delivered after the next one. Default 0. */
  reorder?: number;
  /** How long a held-back frame waits for a next frame before it is delivered anyway. Default 10 ms. */
  reorderHoldMs?: number;
  /** Probability a frame is delivered twice. Default 0. */
  duplicate?: number;
  /** Probability one bit of a frame is flipped. Default 0. */
  corrupt?: number;
  /** Serialization rate in bits per second; 0 or undefined: infinitely fast (no queue). */
  rateBitsPerSecond?: number;
  /** With a rate: frames queued or being serialized beyond which new frames drop. Default 1000. */
  queueFrames?: number;
  /** Deliver frames as trusted (checksums need no verifying). Default false. */
  trusted?: boolean;
}

export interface MemoryLinkOptions extends LinkImpairments {
  /** Seed for every random choice of the link. Default 1 (runs are reproducible by default). */
  seed?: number | bigint;
  /** Overrides for frames sent by `a` (towards b). */
  aToB?: LinkImpairments;
  /** Overrides for frames sent by `b` (towards a). */
  bToA?: LinkImpairments;
}

export interface LinkDirectionStats {
  /** Frames the sender handed to the link. */
  sent: number;
  bytesSent: number;
  /** Frames handed to the receiver, duplicates included. */
  delivered: number;
  bytesDelivered: number;
  dropped: { loss: number; mtu: number; queue: number; closed: number };
  duplicated: number;
  corrupted: number;
  /** Held-back frames that were delivered after a later one. */
  reordered: number;
  /** Frames accepted but not yet delivered (on the wire or held back). */
  inFlight: number;
}

export interface MemoryLinkStats {
  /** Frames sent by endpoint a. */
  aToB: LinkDirectionStats;
  /** Frames sent by endpoint b. */
  bToA: LinkDirectionStats;
}

interface Settings {
  mtu: number;
  loss: number;
  delayMicros: number;
  jitterMicros: number;
  reorder: number;
  holdMicros: number;
  duplicate: number;
  corrupt: number;
  rate: number;
  queueFrames: number;
  trusted: boolean;
}

const DEFAULTS: Required<LinkImpairments> = {
  mtu: 1500, loss: 0, delayMs: 0, jitterMs: 0, reorder: 0, reorderHoldMs: 10, duplicate: 0, corrupt: 0,
  rateBitsPerSecond: 0, queueFrames: 1000, trusted: false,
};

function probability(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a probability in 0..1, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (typeof v !== 'number' || !(v >= 0) || v === Infinity) throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  return v;
}

function resolve(base: LinkImpairments, over: LinkImpairments | undefined): Settings {
  const o = { ...DEFAULTS, ...stripUndefined(base), ...stripUndefined(over ?? {}) };
  if (!Number.isInteger(o.mtu) || o.mtu < 1) throw new RangeError(`mtu must be a positive integer, got ${o.mtu}`);
  if (!Number.isInteger(o.queueFrames) || o.queueFrames < 1) throw new RangeError(`queueFrames must be a positive integer, got ${o.queueFrames}`);
  return {
    mtu: o.mtu,
    loss: probability('loss', o.loss),
    delayMicros: nonNegative('delayMs', o.delayMs) * 1000,
    jitterMicros: nonNegative('jitterMs', o.jitterMs) * 1000,
    reorder: probability('reorder', o.reorder),
    holdMicros: nonNegative('reorderHoldMs', o.reorderHoldMs) * 1000,
    duplicate: probability('duplicate', o.duplicate),
    corrupt: probability('corrupt', o.corrupt),
    rate: nonNegative('rateBitsPerSecond', o.rateBitsPerSecond),
    queueFrames: o.queueFrames,
    trusted: Boolean(o.trusted),
  };
}

function stripUndefined(o: LinkImpairments): LinkImpairments {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'aToB' && k !== 'bToA' && k !== 'seed') out[k] = v;
  return out as LinkImpairments;
}

interface InFlight {
  frame: Uint8Array;
  trusted: boolean;
  at: number;
  hold: boolean;
}

// PRNG stream numbers: direction * 8 + effect.
const EFFECT_LOSS = 0, EFFECT_CORRUPT = 1, EFFECT_DUPLICATE = 2, EFFECT_JITTER = 3, EFFECT_REORDER = 4;

/** One direction of a link: frames transmitted by `from`, received by `to`. */
class Direction implements TurnTask {
  settings: Settings;
  closed = false;
  turnQueued = false;
  /** The sender's rings (a stack): frames are taken from its transmit ring. */
  private readonly src: FrameRings | undefined;
  /** The receiver's rings (a stack): frames are written into its receive buffers. */
  private readonly dst: FrameRings | undefined;
  private readonly rng: Random[];
  private readonly queue: InFlight[] = [];
  private queueHead = 0;
  /** Departure times of frames still being serialized (rate limiting). */
  private readonly wire: number[] = [];
  private wireHead = 0;
  private txFreeAt = -Infinity;
  private lastAt = -Infinity;
  private microtaskPending = false;
  /** Delivers due frames from the turn scheduler (one object for the direction's lifetime). */
  private readonly pumpTask: TurnTask = {
    turnQueued: false,
    runTurn: () => { this.microtaskPending = false; this.pump(); },
  };
  private timer: TimerHandle | undefined;
  private held: InFlight | undefined;
  private heldTimer: TimerHandle | undefined;
  readonly stats: LinkDirectionStats = {
    sent: 0, bytesSent: 0, delivered: 0, bytesDelivered: 0,
    dropped: { loss: 0, mtu: 0, queue: 0, closed: 0 },
    duplicated: 0, corrupted: 0, reordered: 0, inFlight: 0,
  };

  constructor(private readonly clock: Clock, from: LinkEndpoint, private readonly to: LinkEndpoint, settings: Settings, seed: number | bigint, index: number) {
    this.settings = settings;
    this.rng = [0, 1, 2, 3, 4].map((effect) => new Random(seed, index * 8 + effect));
    this.src = from.rings;
    this.dst = to.rings;
  }

  /** A trusted, uncorrupting direction into an endpoint that forwards nothing may carry partial checksums. */
  get acceptsPartialChecksum(): boolean {
    return this.settings.trusted && this.settings.corrupt === 0 && this.to.terminal === true;
  }

  /** Nothing makes frames wait for a time or vanish: the lossless ring-to-ring path applies. */
  private get unimpaired(): boolean {
    const s = this.settings;
    return s.loss === 0 && s.delayMicros === 0 && s.jitterMicros === 0 && s.reorder === 0 &&
      s.duplicate === 0 && s.corrupt === 0 && s.rate === 0;
  }

  /** Frames accepted from a sender without rings and not yet delivered. */
  private get queued(): number {
    return this.queue.length - this.queueHead + (this.held ? 1 : 0);
  }

  /** The sender's transmit ring has frames: move them soon. */
  transmitReady(): void {
    turn.schedule(this);
  }

  /** The receiver offered buffers again: frames that waited for room move on. */
  receiveRoom(): void {
    if (this.closed || !this.src || this.src.txPending() === 0) return;
    turn.schedule(this);
  }

  /** TurnTask: moves frames out of the sender's transmit ring, within the turn's budget. */
  runTurn(): void {
    const src = this.src;
    if (!src) return;
    if (this.closed) {
      // A cut cable: what the sender transmits is lost (dropped.closed), as on the other path.
      let n = 0;
      for (let length = src.takeTx(false); length >= 0; length = src.takeTx(false)) {
        src.completeTx();
        this.stats.sent++;
        this.stats.bytesSent += length;
        this.stats.dropped.closed++;
        n++;
      }
      if (n > 0) src.wake();
      return;
    }
    let budget = turn.remaining();
    if (budget <= 0) { turn.schedule(this); return; }
    const dst = this.dst;
    if (dst && this.unimpaired && this.queued === 0) {
      const moved = this.ringToRing(src, dst, budget);
      turn.charge(moved);
      // Budget spent with frames and room left: go on in the next turn. Frames left without room
      // wait for the receiver's next poll (receiveRoom).
      if (src.txPending() > 0 && (dst.closed || dst.rxFree() > 0)) turn.schedule(this);
      return;
    }
    // Another receiver, or an impaired direction: each frame leaves the ring as its own copy and
    // takes the regular path (impairments, bounded queue, asynchronous delivery).
    const partial = this.acceptsPartialChecksum;
    let taken = 0;
    for (; budget > 0; budget--) {
      const length = src.takeTx(partial);
      if (length < 0) break;
      const frame = src.bytes.slice(src.txOffset, src.txOffset + length);
      src.completeTx();
      taken++;
      this.send(frame);
    }
    turn.charge(taken);
    if (taken > 0) src.wake();
    if (src.txPending() > 0) turn.schedule(this);
  }

  /** Copies up to `budget` frames, each once, from the sender's transmit ring into the receiver's receive ring. */
  private ringToRing(src: FrameRings, dst: FrameRings, budget: number): number {
    const stats = this.stats;
    const limit = this.settings.mtu + ETHERNET_HEADER_BYTES;
    const trusted = this.settings.trusted;
    const partial = this.acceptsPartialChecksum;
    const dstClosed = dst.closed;
    let moved = 0;
    let delivered = 0;
    while (moved < budget && (dstClosed || dst.rxFree() > 0)) {
      const length = src.takeTx(partial);
      if (length < 0) break;
      moved++;
      stats.sent++;
      stats.bytesSent += length;
      if (dstClosed) { stats.dropped.closed++; src.completeTx(); continue; }
      if (length > limit) { stats.dropped.mtu++; src.completeTx(); continue; }
      const room = dst.takeRx();
      if (length > room) {
        dst.refuseRx();
      } else {
        copyBytes(src.bytes, src.words, src.txOffset, dst.bytes, dst.words, dst.rxOffset, length);
        dst.completeRx(length, trusted);
        stats.delivered++;
        stats.bytesDelivered += length;
        delivered++;
      }
      src.completeTx();
    }
    if (moved > 0) src.wake();
    if (delivered > 0 || moved > 0) dst.wake();
    return moved;
  }

  send(frame: Uint8Array): void {
    const s = this.settings;
    const stats = this.stats;
    stats.sent++;
    stats.bytesSent += frame.length;
    if (this.closed) { stats.dropped.closed++; return; }
    if (frame.length > s.mtu + ETHERNET_HEADER_BYTES) { stats.dropped.mtu++; return; }

    // A frame that will wait for a time (rate, delay, jitter) counts against queueFrames: the link
    // holds at most that many frames, like a router's bounded buffer.
    if ((s.delayMicros > 0 || s.jitterMicros > 0) && this.stats.inFlight >= s.queueFrames) {
      stats.dropped.queue++;
      return;
    }
    const now = this.clock.now();
    let departAt = now;
    if (s.rate > 0) {
      while (this.wireHead < this.wire.length && this.wire[this.wireHead]! <= now) this.wireHead++;
      if (this.wireHead > 1024 && this.wireHead * 2 > this.wire.length) { this.wire.splice(0, this.wireHead); this.wireHead = 0; }
      if (this.wire.length - this.wireHead >= s.queueFrames) { stats.dropped.queue++; return; }
      this.txFreeAt = Math.max(now, this.txFreeAt) + (frame.length * 8 * 1e6) / s.rate;
      departAt = this.txFreeAt;
      this.wire.push(departAt);
    }

    if (this.rng[EFFECT_LOSS]!.chance(s.loss)) { stats.dropped.loss++; return; }

    let trusted = s.trusted;
    if (this.rng[EFFECT_CORRUPT]!.chance(s.corrupt)) {
      const r = this.rng[EFFECT_CORRUPT]!;
      const start = frame.length > ETHERNET_HEADER_BYTES ? ETHERNET_HEADER_BYTES : 0;
      if (frame.length > start) {
        const bit = r.nextInt((frame.length - start) * 8);
        frame[start + (bit >>> 3)] ^= 1 << (bit & 7);
        stats.corrupted++;
        trusted = false;
      }
    }
    const duplicate = this.rng[EFFECT_DUPLICATE]!.chance(s.duplicate);
    let delay = s.delayMicros;
    if (s.jitterMicros > 0) delay += this.rng[EFFECT_JITTER]!.next() * s.jitterMicros;
    const at = Math.max(Math.round(departAt + delay), this.lastAt);
    this.lastAt = at;
    const hold = this.rng[EFFECT_REORDER]!.chance(s.reorder);

    this.queue.push({ frame, trusted, at, hold });
    stats.inFlight++;
    if (duplicate) {
      this.queue.push({ frame: frame.slice(), trusted, at, hold: false });
      stats.duplicated++;
      stats.inFlight++;
    }
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    if (this.heldTimer) this.clock.clearTimer(this.heldTimer);
    this.timer = this.heldTimer = undefined;
    const pending = this.queue.length - this.queueHead + (this.held ? 1 : 0);
    this.stats.dropped.closed += pending;
    this.stats.inFlight = 0;
    this.queue.length = 0;
    this.queueHead = 0;
    this.held = undefined;
  }

  private schedule(): void {
    if (this.closed || this.queueHead >= this.queue.length) return;
    const head = this.queue[this.queueHead]!;
    if (head.at <= this.clock.now()) {
      if (!this.microtaskPending) {
        this.microtaskPending = true;
        turn.schedule(this.pumpTask);
      }
    } else if (!this.timer || this.timer.at > head.at) {
      if (this.timer) this.clock.clearTimer(this.timer);
      this.timer = this.clock.setTimer(head.at, () => { this.timer = undefined; this.pump(); });
    }
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    // Only frames queued before this pump started: a frame sent from inside receive() waits its turn.
    const end = this.queue.length;
    while (this.queueHead < end && !this.closed) {
      const item = this.queue[this.queueHead]!;
      if (item.at > now) break;
      this.queue[this.queueHead++] = undefined as unknown as InFlight;
      if (item.hold && !this.held) {
        this.held = item;
        this.heldTimer = this.clock.setTimer(now + this.settings.holdMicros, () => this.releaseHeld());
        continue;
      }
      this.deliver(item);
      if (this.held) {
        const held = this.held;
        this.held = undefined;
        if (this.heldTimer) this.clock.clearTimer(this.heldTimer);
        this.heldTimer = undefined;
        this.stats.reordered++;
        this.deliver(held);
      }
    }
    if (this.queueHead === this.queue.length) { this.queue.length = 0; this.queueHead = 0; }
    else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) { this.queue.splice(0, this.queueHead); this.queueHead = 0; }
    this.schedule();
  }

  private releaseHeld(): void {
    this.heldTimer = undefined;
    const held = this.held;
    this.held = undefined;
    if (held && !this.closed) this.deliver(held);
  }

  private deliver(item: InFlight): void {
    if (this.closed) return;
    turn.charge(1);
    this.stats.inFlight--;
    this.stats.delivered++;
    this.stats.bytesDelivered += item.frame.length;
    try {
      this.to.receive(item.frame, item.trusted);
    } catch (error) {
      reportCallbackError(error);
    }
  }

  snapshot(): LinkDirectionStats {
    return { ...this.stats, dropped: { ...this.stats.dropped } };
  }
}

/**
 * A point-to-point link between two endpoints (stacks, switch ports, FramePorts, pcap taps), e.g.
 * `MemoryLink.connect(stackA, stackB, { loss: 0.01, delayMs: 5, seed: 42 })`.
 * Both endpoints must run on the same clock (the same object, or both RealClocks).
 */
export class MemoryLink {
  private readonly ab: Direction;
  private readonly ba: Direction;
  private readonly base: MemoryLinkOptions;

  private constructor(readonly a: LinkEndpoint, readonly b: LinkEndpoint, options: MemoryLinkOptions) {
    if (!a || !b || typeof a.receive !== 'function' || typeof b.receive !== 'function' ||
        typeof a.attach !== 'function' || typeof b.attach !== 'function') {
      throw new TypeError('MemoryLink.connect needs two LinkEndpoints (receive, attach, clock)');
    }
    if (a === b) throw new TypeError('MemoryLink.connect: cannot connect an endpoint to itself');
    if (!a.clock || !b.clock || !sameClock(a.clock, b.clock)) {
      throw new TypeError('MemoryLink.connect: both endpoints must run on the same clock');
    }
    this.base = { ...options };
    const seed = options.seed ?? 1;
    this.ab = new Direction(a.clock, a, b, resolve(options, options.aToB), seed, 0);
    this.ba = new Direction(a.clock, b, a, resolve(options, options.bToA), seed, 1);
    const ab = this.ab;
    const ba = this.ba;
    // An endpoint with rings sends through them (ab takes from a's transmit ring) and receives
    // through them (ba writes into a's receive ring); others through attach and receive.
    const hook = (end: LinkEndpoint, out: Direction, into: Direction) => {
      if (end.rings) {
        const listener: RingListener = { onTransmitReady: () => out.transmitReady(), onReceiveRoom: () => into.receiveRoom() };
        end.rings.attachRings(listener);
      } else {
        // A trusted, uncorrupting direction into an endpoint that forwards nothing may carry
        // checksums left partial: nothing will ever verify them.
        end.attach((frame) => out.send(frame), { get acceptsPartialChecksum() { return out.acceptsPartialChecksum; } });
      }
    };
    hook(a, ab, ba);
    hook(b, ba, ab);
  }

  /** Connects a and b. Frames a transmits arrive at b.receive and vice versa. */
  static connect(a: LinkEndpoint, b: LinkEndpoint, options: MemoryLinkOptions = {}): MemoryLink {
    return new MemoryLink(a, b, options);
  }

  /**
   * Changes impairments from now on (e.g. `{ loss: 1 }` to cut the cable for a while). Given fields
   * replace the current ones in both directions (and any earlier per-direction override of them);
   * `aToB` / `bToA` override per direction. Frames in flight are unaffected;
   * the random streams continue where they were.
   */
  configure(options: Omit<MemoryLinkOptions, 'seed'>): void {
    const common = stripUndefined(options);
    const aToB: Record<string, unknown> = { ...this.base.aToB };
    const bToA: Record<string, unknown> = { ...this.base.bToA };
    for (const key of Object.keys(common)) { delete aToB[key]; delete bToA[key]; }
    const merged: MemoryLinkOptions = {
      ...this.base, ...common,
      aToB: { ...aToB, ...options.aToB }, bToA: { ...bToA, ...options.bToA },
    };
    const ab = resolve(merged, merged.aToB);
    const ba = resolve(merged, merged.bToA);
    Object.assign(this.base, merged);
    this.ab.settings = ab;
    this.ba.settings = ba;
  }

  /** Stops the link: frames in flight are dropped (dropped.closed), later frames too. Idempotent. */
  close(): void {
    this.ab.close();
    this.ba.close();
  }

  get closed(): boolean {
    return this.ab.closed;
  }

  stats(): MemoryLinkStats {
    return { aToB: this.ab.snapshot(), bToA: this.ba.snapshot() };
  }
}
