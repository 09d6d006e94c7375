// A device whose far side is JavaScript: connect it like any endpoint
// (`MemoryLink.connect(stack, port)`), then `port.send(frame)` puts a frame on the link towards the
// stack, and frames the stack sends come out of `port.onFrame` and/or `for await (const f of port)`.
// Useful to bridge a stack to a WebSocket, a worker, an emulator's NIC, or to script raw frames in a
// test.
//
// Where received frames go:
//   - to `onFrame(frame, trusted)` if set (synchronously, from the link's delivery);
//   - to the iterator buffer when an iterator is open, or when onFrame is not set (so frames that
//     arrive before a consumer starts are kept). With both, each gets its own copy.
// The buffer holds at most `bufferFrames` frames (default 1024). When it is full, newly arriving
// frames are dropped (tail drop, like a full NIC ring) and counted in stats().dropped.overflow.

import { RealClock, type Clock } from '../clock.js';
import { reportCallbackError, transmitted, type LinkEndpoint, type Transmit } from './endpoint.js';

export interface FramePortOptions {
  /** The clock of the endpoint this port is connected to. Default: a RealClock. */
  clock?: Clock;
  /** Frames buffered for the iterator before new ones drop. Default 1024. */
  bufferFrames?: number;
}

export interface FramePortStats {
  /** Frames passed on by send() (taken by the link). */
  sent: number;
  /** Frames received from the link. */
  received: number;
  dropped: {
    /** Received while the buffer was full. */
    overflow: number;
    /** Sent or received after close(). */
    closed: number;
    /** send() before a link was attached. */
    unconnected: number;
    /** send() while the link's queue toward the other side was full (queueFrames waiting). */
    queue: number;
  };
  /** Frames waiting in the buffer. */
  buffered: number;
}

export class FramePort implements LinkEndpoint, AsyncIterable<Uint8Array> {
  readonly clock: Clock;
  /** Called with every frame that arrives (the frame is yours). Errors it throws are reported, not propagated to the link. */
  onFrame: ((frame: Uint8Array, trusted: boolean) => void) | null = null;
  private transmit: Transmit | undefined;
  private readonly capacity: number;
  private readonly buffer: Uint8Array[] = [];
  private bufferHead = 0;
  private readonly waiters: Array<(result: IteratorResult<Uint8Array>) => void> = [];
  private iterators = 0;
  private isClosed = false;
  private readonly counters: FramePortStats = {
    sent: 0, received: 0, dropped: { overflow: 0, closed: 0, unconnected: 0, queue: 0 }, buffered: 0,
  };

  constructor(options: FramePortOptions = {}) {
    const { bufferFrames = 1024 } = options;
    if (!Number.isInteger(bufferFrames) || bufferFrames < 0) throw new RangeError(`bufferFrames must be an integer >= 0, got ${bufferFrames}`);
    this.clock = options.clock ?? new RealClock();
    this.capacity = bufferFrames;
  }

  /**
   * Sends a frame towards the connected endpoint. The frame is copied, so the caller may reuse its
   * buffer. Returns false (and counts a drop) if no link is attached yet, the port is closed, or
   * the link's queue toward the other side is full (dropped.queue: the frame was not taken; the
   * link holds at most its queueFrames, and delivers into a stack only as it offers buffers).
   */
  send(frame: Uint8Array): boolean {
    if (!(frame instanceof Uint8Array)) throw new TypeError('FramePort.send expects a Uint8Array');
    if (this.isClosed) { this.counters.dropped.closed++; return false; }
    if (!this.transmit) { this.counters.dropped.unconnected++; return false; }
    if (!transmitted(this.transmit(frame.slice()))) { this.counters.dropped.queue++; return false; }
    this.counters.sent++;
    return true;
  }

  /** True once a link has been attached (and the port is not closed). */
  get connected(): boolean {
    return this.transmit !== undefined && !this.isClosed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** LinkEndpoint: a frame from the link. */
  receive(frame: Uint8Array, trusted: boolean): void {
    if (this.isClosed) { this.counters.dropped.closed++; return; }
    this.counters.received++;
    const onFrame = this.onFrame;
    const forIterator = this.iterators > 0 || !onFrame;
    if (onFrame) {
      try {
        onFrame(forIterator ? frame.slice() : frame, trusted);
      } catch (error) {
        reportCallbackError(error);
      }
    }
    if (!forIterator) return;
    const waiter = this.waiters.shift();
    if (waiter) { waiter({ value: frame, done: false }); return; }
    if (this.buffer.length - this.bufferHead >= this.capacity) { this.counters.dropped.overflow++; return; }
    this.buffer.push(frame);
  }

  /** LinkEndpoint: the link installs its transmit function. */
  attach(transmit: Transmit): void {
    this.transmit = transmit;
  }

  /**
   * Closes the port: send() returns false, arriving frames are dropped, and iterators finish once
   * they have drained the frames already buffered.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  stats(): FramePortStats {
    return { ...this.counters, dropped: { ...this.counters.dropped }, buffered: this.buffer.length - this.bufferHead };
  }

  /** Takes the next buffered frame, or undefined if none is waiting (never blocks). */
  read(): Uint8Array | undefined {
    if (this.bufferHead >= this.buffer.length) return undefined;
    const frame = this.buffer[this.bufferHead]!;
    this.buffer[this.bufferHead++] = undefined as unknown as Uint8Array;
    if (this.bufferHead === this.buffer.length) { this.buffer.length = 0; this.bufferHead = 0; }
    else if (this.bufferHead > 1024 && this.bufferHead * 2 > this.buffer.length) { this.buffer.splice(0, this.bufferHead); this.bufferHead = 0; }
    return frame;
  }

  /**
   * Iterates over arriving frames until the port is closed (or the loop breaks). Several iterators
   * may be open at once; each frame goes to exactly one of them.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.iterators++;
    let finished = false;
    const finish = (): void => {
      if (!finished) { finished = true; this.iterators--; }
    };
    return {
      next: (): Promise<IteratorResult<Uint8Array>> => {
        if (finished) return Promise.resolve({ value: undefined, done: true });
        const frame = this.read();
        if (frame) return Promise.resolve({ value: frame, done: false });
        if (this.isClosed) { finish(); return Promise.resolve({ value: undefined, done: true }); }
        return new Promise((resolve) => this.waiters.push((result) => {
          if (result.done) finish();
          resolve(result);
        }));
      },
      return: (): Promise<IteratorResult<Uint8Array>> => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
