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
//
// Frames that do not go ring to ring (below) wait in the direction's PayloadSlab: at most
// `queueFrames` of them (plus one held back by reordering), copied in once, never a Uint8Array
// per frame. With a delay, jitter or rate a frame that finds the queue full drops (dropped.queue),
// as at a router's full buffer; without one, a stack sender keeps its frames in its transmit ring
// until there is room, and any other sender's transmit function returns false (the frame was not
// taken: dropped.queue, and the sender counts it). Into a stack, frames go straight into its
// receive buffers, never more at once than it has offered; the rest wait in the slab for its next
// poll. Into any other endpoint each frame is handed over as its own copy.
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
import { ReceiveCoalescer, coalescibleHeadersLen } from './receive-coalescer.js';
import { turn, type TurnTask } from './turn.js';
import { PayloadSlab, SLOT_HOLD, SLOT_TRUSTED } from './payload-slab.js';
import { DepartureQueue } from './departure-queue.js';

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
  /**
   * Frames the direction holds (waiting for their time, for a receiving stack's buffers, or for a
   * receiver to be called), and with a rate also frames being serialized; past it a frame is
   * dropped (dropped.queue), or left in a sending stack's ring when nothing is timed. Default 1000.
   */
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

/** Indices into a direction's byteCounts. */
const BYTES_SENT = 0;
const BYTES_DELIVERED = 1;
const BYTE_COUNTS = 2;

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
  /** Frames accepted but not yet delivered (on the wire, waiting for the receiver, or held back). */
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

/** The largest IPv4 datagram (RFC 791: a 16-bit total length); the slab's slots are this long at most. */
const MAX_MTU = 65535;

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
  if (!Number.isInteger(o.mtu) || o.mtu < 1 || o.mtu > MAX_MTU) throw new RangeError(`mtu must be an integer from 1 to ${MAX_MTU}, got ${o.mtu}`);
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

// PRNG stream numbers: direction * 8 + effect.
const EFFECT_LOSS = 0, EFFECT_CORRUPT = 1, EFFECT_DUPLICATE = 2, EFFECT_JITTER = 3, EFFECT_REORDER = 4;

/** Slots a direction's slab starts with; it doubles while full, up to queueFrames. */
const INITIAL_SLAB_FRAMES = 64;
/** admit(): the frame was counted and dropped (closed, mtu, loss); the sender handed it over. */
const NOT_QUEUED = -1;
/** admit(): the link's queue had no room; the frame was not taken (Transmit returns false). */
const QUEUE_FULL = -2;
const BITS_PER_BYTE = 8;
const MICROS_PER_SECOND = 1e6;

/**
 * One direction of a link: frames transmitted by `from`, received by `to`.
 *
 * Frames that do not go ring to ring wait in a PayloadSlab, at most queueFrames of them (plus one
 * held back for reordering). A frame that finds it full is the queue drop (dropped.queue), except
 * that a stack sender on a direction without a time to wait (no delay, jitter or rate) keeps its
 * frames in its own transmit ring until there is room (backpressure, as on the unimpaired path).
 * Frames leave the slab in order when due, into a receiving stack's receive buffers only while it
 * has some offered (the rest wait for its next poll); into another receiver each as its own copy.
 */
class Direction implements TurnTask {
  settings: Settings;
  closed = false;
  turnQueued = false;
  /** The sender's rings (a stack): frames are taken from its transmit ring. */
  private readonly src: FrameRings | undefined;
  /** The receiver's rings (a stack): frames are written into its receive buffers. */
  private readonly dst: FrameRings | undefined;
  private readonly rng: Random[];
  /** Frames waiting in the link; made at the first frame that needs it, released on close. */
  private slab: PayloadSlab | undefined;
  /** The held-back frame is to be delivered before the FIFO's head. */
  private heldDue = false;
  /** ... because a later frame went ahead of it (counted as reordered), not because its time ran out. */
  private heldOvertaken = false;
  /** Departure times of frames still being serialized (rate limiting). */
  private readonly wire = new DepartureQueue();
  /** Merges in-order segments for a receiver that takes large ones (ring to ring only). */
  private readonly coalescer = new ReceiveCoalescer();
  private txFreeAt = -Infinity;
  private lastAt = -Infinity;
  /** Delivers due frames from the turn scheduler (one object for the direction's lifetime). */
  private readonly pumpTask: TurnTask = { turnQueued: false, runTurn: () => this.pump() };
  private readonly onTimer = (): void => { this.timer = undefined; this.pump(); };
  private readonly onHeldTimer = (): void => { this.heldTimer = undefined; this.heldDue = true; this.pump(); };
  private timer: TimerHandle | undefined;
  private heldTimer: TimerHandle | undefined;
  readonly stats: Omit<LinkDirectionStats, 'bytesSent' | 'bytesDelivered'> = {
    sent: 0, delivered: 0,
    dropped: { loss: 0, mtu: 0, queue: 0, closed: 0 },
    duplicated: 0, corrupted: 0, reordered: 0, inFlight: 0,
  };
  /**
   * bytesSent and bytesDelivered, which pass 2^31 (V8's small-integer range in 64-bit Node) after
   * 2 GiB: in a Float64Array, since a field of `stats` changing from small integer to double
   * mid-transfer replaced the object's hidden class and deoptimized the frame path (ringToRing).
   */
  private readonly byteCounts = new Float64Array(BYTE_COUNTS);

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

  /** Frames wait for a time on the wire (delay, jitter, rate): a full queue drops, as a router's does. */
  private get timed(): boolean {
    const s = this.settings;
    return s.delayMicros > 0 || s.jitterMicros > 0 || s.rate > 0;
  }

  /** Frames accepted and not yet delivered (in the slab's FIFO or held back). */
  private get queued(): number {
    const slab = this.slab;
    return slab ? slab.count + (slab.holding ? 1 : 0) : 0;
  }

  /**
   * True if the slab can take one more frame: fewer than queueFrames wait, and the slab has a
   * free slot as long as the MTU allows (grown, or made, if not).
   */
  private makeRoom(): boolean {
    const queueFrames = this.settings.queueFrames;
    const slotBytes = this.settings.mtu + ETHERNET_HEADER_BYTES;
    const slab = this.slab;
    if (slab && slab.count >= queueFrames) return false;
    if (slab && !slab.full && slab.slotBytes >= slotBytes) return true;
    try {
      this.slab = slab
        ? slab.resized(slab.full ? Math.min(slab.capacity * 2, queueFrames) : slab.capacity, slotBytes)
        : new PayloadSlab(Math.min(INITIAL_SLAB_FRAMES, queueFrames), slotBytes);
    } catch (error) {
      // The memory for a larger queue is not to be had (a huge queueFrames of jumbo frames): the
      // queue is as full as it gets, and the frame is the queue drop, never an exception.
      if (error instanceof RangeError) return false;
      throw error;
    }
    return true;
  }

  /** The sender's transmit ring has frames: move them soon. */
  transmitReady(): void {
    turn.schedule(this);
  }

  /** The receiver offered buffers again: frames that waited for room move on. */
  receiveRoom(): void {
    if (this.closed) return;
    if (this.queued > 0) this.schedulePump();
    if (this.src && this.src.txPending() > 0) turn.schedule(this);
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
        this.byteCounts[BYTES_SENT] += length;
        this.stats.dropped.closed++;
        n++;
      }
      if (n > 0) src.txTaken();
      return;
    }
    let budget = turn.remaining();
    if (budget <= 0) { turn.schedule(this); return; }
    const dst = this.dst;
    if (dst && this.unimpaired && this.queued === 0) {
      turn.charge(this.ringToRing(src, dst, budget));
      // Budget spent with frames and room left: go on in the next turn. Frames left without room
      // wait for the receiver's next poll (receiveRoom).
      if (src.txPending() > 0 && (dst.closed || dst.rxFree() > 0)) turn.schedule(this);
      return;
    }
    // Another receiver, or an impaired direction (or frames still waiting from one): each frame
    // is copied from the transmit buffer into the slab and takes the regular path.
    const partial = this.acceptsPartialChecksum;
    const backpressure = !this.timed;
    let taken = 0;
    let blocked = false;
    for (; budget > 0; budget--) {
      if (backpressure && !this.makeRoom()) { blocked = true; break; }
      const length = src.takeTx(partial);
      if (length < 0) break;
      taken++;
      const departAt = this.admit(length);
      if (departAt >= 0) {
        const slab = this.slab!;
        const slot = slab.push(length, departAt, 0);
        copyBytes(src.bytes, src.words, src.txOffset, slab.bytes, slab.words, slab.offset(slot), length);
        this.impair(slot, departAt);
      }
      src.completeTx();
    }
    turn.charge(taken);
    if (taken > 0) { src.txTaken(); this.schedulePump(); }
    // A blocked sender moves on when the slab drains (pump).
    if (!blocked && src.txPending() > 0) turn.schedule(this);
  }

  /**
   * Copies frames, each once, from the sender's transmit ring into the receiver's receive ring,
   * for up to `budget` frames of the turn's budget; returns how much of it they used. A large TCP
   * segment taken whole is charged as the segments it stands for, so a turn does as much work
   * with segmentation offload as without (a turn of 1,024 64 KiB segments starved timers by 60 ms).
   */
  private ringToRing(src: FrameRings, dst: FrameRings, budget: number): number {
    const stats = this.stats;
    const limit = this.settings.mtu + ETHERNET_HEADER_BYTES;
    const trusted = this.settings.trusted;
    const partial = this.acceptsPartialChecksum;
    const dstClosed = dst.closed;
    // A receiving stack with segmentation offload takes large TCP segments whole; the sender's
    // device cuts them for any other.
    const large = dst.takesLargeSegments && this.to.terminal === true;
    // ... and over a trusted link, in-order segments of one flow are merged for it (receive-coalescer.ts).
    const coalesce = large && trusted;
    const gro = this.coalescer;
    let moved = 0;
    let used = 0;
    let delivered = 0;
    while (used < budget && (dstClosed || dst.rxFree() > 0)) {
      const length = src.takeTx(partial, large);
      if (length < 0) break;
      moved++;
      used++;
      stats.sent++;
      this.byteCounts[BYTES_SENT] += length;
      if (dstClosed) { stats.dropped.closed++; src.completeTx(); continue; }
      // A large segment stands for segments of txHeadersLen + txSegmentSize bytes: those meet the MTU.
      const segmentSize = src.txSegmentSize;
      const onWire = segmentSize > 0 ? Math.min(length, src.txHeadersLen + segmentSize) : length;
      if (segmentSize > 0) used += Math.ceil((length - src.txHeadersLen) / segmentSize) - 1;
      if (onWire > limit) { stats.dropped.mtu++; src.completeTx(); continue; }
      if (gro.open) {
        if (segmentSize === 0 && gro.continues(src.bytes, src.txOffset, length, dst.bytes)) {
          gro.append(src, dst, length);
          src.completeTx();
          continue;
        }
        this.byteCounts[BYTES_DELIVERED] += gro.close(dst, trusted);
        stats.delivered++;
        delivered++;
      }
      const headersLen = coalesce && segmentSize === 0 ? coalescibleHeadersLen(src.bytes, src.txOffset, length) : 0;
      const room = dst.takeRx();
      if (length > room) {
        dst.refuseRx();
      } else {
        copyBytes(src.bytes, src.words, src.txOffset, dst.bytes, dst.words, dst.rxOffset, length);
        if (headersLen > 0) {
          // Stays open for the segments that continue it; handed over when one does not.
          gro.start(dst, length, headersLen);
        } else {
          dst.completeRx(length, trusted, segmentSize, src.txHeadersLen);
          stats.delivered++;
          this.byteCounts[BYTES_DELIVERED] += length;
          delivered++;
        }
      }
      src.completeTx();
    }
    if (gro.open) {
      this.byteCounts[BYTES_DELIVERED] += gro.close(dst, trusted);
      stats.delivered++;
      delivered++;
    }
    if (moved > 0) src.txTaken();
    if (delivered > 0 || moved > 0) dst.wake();
    return used;
  }

  /** The transmit function of a sender without rings: the frame is copied into the slab at once. */
  send(frame: Uint8Array): boolean {
    const departAt = this.admit(frame.length);
    if (departAt === QUEUE_FULL) return false;
    if (departAt >= 0) {
      const slab = this.slab!;
      const slot = slab.push(frame.length, departAt, 0);
      slab.bytes.set(frame, slab.offset(slot));
      this.impair(slot, departAt);
      this.schedulePump();
    }
    return true;
  }

  /**
   * Counts a frame handed to the link and decides whether it enters the slab: returns when its
   * last bit leaves the sender, or NOT_QUEUED (dropped and counted: closed, mtu, loss) or
   * QUEUE_FULL (dropped.queue). On success the slab has a free slot for it.
   */
  private admit(length: number): number {
    const s = this.settings;
    const stats = this.stats;
    stats.sent++;
    this.byteCounts[BYTES_SENT] += length;
    if (this.closed) { stats.dropped.closed++; return NOT_QUEUED; }
    if (length > s.mtu + ETHERNET_HEADER_BYTES) { stats.dropped.mtu++; return NOT_QUEUED; }
    // The link holds at most queueFrames frames, like a router's bounded buffer.
    if (!this.makeRoom()) { stats.dropped.queue++; return QUEUE_FULL; }
    const now = this.clock.now();
    let departAt = now;
    if (s.rate > 0) {
      this.wire.expire(now);
      if (this.wire.count >= s.queueFrames) { stats.dropped.queue++; return QUEUE_FULL; }
      this.txFreeAt = Math.max(now, this.txFreeAt) + (length * BITS_PER_BYTE * MICROS_PER_SECOND) / s.rate;
      departAt = this.txFreeAt;
      this.wire.push(departAt);
    }
    // A lost frame still used its slot on the wire.
    if (this.rng[EFFECT_LOSS]!.chance(s.loss)) { stats.dropped.loss++; return NOT_QUEUED; }
    return departAt;
  }

  /** Applies corruption, duplication, delay, jitter and reordering to the frame just queued in `slot`. */
  private impair(slot: number, departAt: number): void {
    const s = this.settings;
    const stats = this.stats;
    const slab = this.slab!;
    const length = slab.lengths[slot]!;
    let trusted = s.trusted;
    if (this.rng[EFFECT_CORRUPT]!.chance(s.corrupt)) {
      const r = this.rng[EFFECT_CORRUPT]!;
      const start = length > ETHERNET_HEADER_BYTES ? ETHERNET_HEADER_BYTES : 0;
      if (length > start) {
        const bit = r.nextInt((length - start) * BITS_PER_BYTE);
        slab.bytes[slab.offset(slot) + start + (bit >>> 3)] ^= 1 << (bit & 7);
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
    slab.at[slot] = at;
    slab.flags[slot] = (trusted ? SLOT_TRUSTED : 0) | (hold ? SLOT_HOLD : 0);
    stats.inFlight++;
    if (duplicate) {
      stats.duplicated++;
      // The copy needs a slot of its own; without one it is the queue drop. (makeRoom may move
      // the frames into a larger slab: `slot` is found again as the newest one.)
      if (this.makeRoom()) {
        const grown = this.slab!;
        const original = (grown.head() + grown.count - 1) % grown.capacity;
        const copy = grown.pushCopy(original);
        grown.flags[copy] = trusted ? SLOT_TRUSTED : 0;
        stats.inFlight++;
      } else {
        stats.dropped.queue++;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    if (this.heldTimer) this.clock.clearTimer(this.heldTimer);
    this.timer = this.heldTimer = undefined;
    this.stats.dropped.closed += this.queued;
    this.stats.inFlight = 0;
    this.slab = undefined;
    this.heldDue = this.heldOvertaken = false;
    this.wire.clear();
  }

  /** Arranges the next pump: soon if a frame is due and can be taken, at the head's time otherwise. */
  private schedulePump(): void {
    const slab = this.slab;
    if (this.closed || !slab) return;
    const head = slab.head();
    if (this.heldDue || (head >= 0 && slab.at[head]! <= this.clock.now())) {
      // A receiving stack without free buffers polls soon (it has frames to process) and offers
      // them again: receiveRoom pumps then.
      const dst = this.dst;
      if (dst && !dst.closed && dst.rxFree() === 0) return;
      turn.schedule(this.pumpTask);
    } else if (head >= 0 && (!this.timer || this.timer.at > slab.at[head]!)) {
      if (this.timer) this.clock.clearTimer(this.timer);
      this.timer = this.clock.setTimer(slab.at[head]!, this.onTimer);
    }
  }

  /**
   * Delivers the frames that are due, in order, while the receiver takes them. The work of one
   * pump is bounded by queueFrames (and by a receiving stack's free buffers).
   */
  private pump(): void {
    if (this.closed || !this.slab) return;
    const now = this.clock.now();
    let delivered = 0;
    // Only the frames waiting when the pump began: one that a receiver sends back into this
    // direction from inside receive() waits for the next pump.
    for (let left = this.queued; left > 0;) {
      // Re-read: a receiver that sends on from inside receive() may have grown the slab.
      const slab: PayloadSlab | undefined = this.slab;
      if (this.closed || !slab) return;
      if (this.heldDue) {
        if (!this.deliver(slab, slab.holdSlot)) break;
        slab.holding = false;
        this.heldDue = false;
        if (this.heldOvertaken) this.stats.reordered++;
        this.heldOvertaken = false;
        delivered++;
        left--;
        continue;
      }
      const head = slab.head();
      if (head < 0 || slab.at[head]! > now) break;
      if ((slab.flags[head]! & SLOT_HOLD) !== 0 && !slab.holding) {
        slab.holdHead();
        this.heldTimer = this.clock.setTimer(now + this.settings.holdMicros, this.onHeldTimer);
        continue;
      }
      if (!this.deliver(slab, head)) break;
      delivered++;
      left--;
      if (this.slab?.holding) {
        // The frame held back goes right after the one that overtook it.
        if (this.heldTimer) this.clock.clearTimer(this.heldTimer);
        this.heldTimer = undefined;
        this.heldDue = true;
        this.heldOvertaken = true;
      }
    }
    turn.charge(delivered);
    if (delivered > 0) {
      this.dst?.wake();
      // A sender held back by a full slab moves on.
      if (this.src && this.src.txPending() > 0) turn.schedule(this);
    }
    this.schedulePump();
  }

  /**
   * Hands the frame in `slot` to the receiver and releases it (the FIFO's head, or the held-back
   * slot, which the caller releases). False, with nothing changed, if a receiving stack has no
   * buffer offered.
   */
  private deliver(slab: PayloadSlab, slot: number): boolean {
    const stats = this.stats;
    const dst = this.dst;
    const length = slab.lengths[slot]!;
    const trusted = (slab.flags[slot]! & SLOT_TRUSTED) !== 0;
    let frame: Uint8Array | undefined;
    if (dst) {
      if (dst.closed) {
        this.release(slab, slot);
        stats.dropped.closed++;
        return true;
      }
      const room = dst.takeRx();
      if (room < 0) return false;
      if (length > room) {
        dst.refuseRx(); // the NIC counts it (rxOversize)
      } else {
        copyBytes(slab.bytes, slab.words, slab.offset(slot), dst.bytes, dst.words, dst.rxOffset, length);
        dst.completeRx(length, trusted);
      }
    } else {
      // A receiver that keeps what it is given gets its own copy; the slot is free before it runs.
      frame = slab.copyOut(slot);
    }
    this.release(slab, slot);
    stats.delivered++;
    this.byteCounts[BYTES_DELIVERED] += length;
    if (frame) {
      try {
        this.to.receive(frame, trusted);
      } catch (error) {
        reportCallbackError(error);
      }
    }
    return true;
  }

  /** Frees a delivered slot (the FIFO's head; the held-back slot is freed by the caller). */
  private release(slab: PayloadSlab, slot: number): void {
    if (slot !== slab.holdSlot) slab.shift();
    this.stats.inFlight--;
  }

  snapshot(): LinkDirectionStats {
    const { sent, delivered, ...rest } = this.stats;
    return {
      sent, bytesSent: this.byteCounts[BYTES_SENT], delivered, bytesDelivered: this.byteCounts[BYTES_DELIVERED],
      ...rest, dropped: { ...this.stats.dropped },
    };
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
