// The one interface every frame device speaks. A link (MemoryLink, a switch port, a FramePort, a
// pcap tap) connects two LinkEndpoints: it calls `attach` on each to install the function that
// endpoint transmits with, and calls `receive` on each to hand it frames from the other side.
//
// Ownership: a frame passed to `receive`, or taken by the transmit function, belongs to the callee
// from then on. The caller must not touch it afterwards (a stack copies out of wasm memory before transmitting);
// the callee may keep it, mutate it or pass it on without copying, and must copy it to keep or hand
// out more than one reference (duplication, flooding).
//
// Re-entrancy: links never call `receive` from inside the transmit function; delivery is always
// asynchronous (a microtask, or a clock timer when delayed). A switch forwards synchronously inside
// its own `receive`, which is safe because the links on both sides of it are asynchronous.

import type { Clock } from '../clock.js';

/** What a link tells an endpoint about the transmit function it installs (read at every send). */
export interface TransmitOptions {
  /**
   * The link hands frames to a receiver that trusts them without verifying checksums, so a
   * transport checksum may be left partial (virtio NEEDS_CSUM). Otherwise the sender completes it.
   */
  readonly acceptsPartialChecksum?: boolean;
}

/**
 * The function a link installs on an endpoint to send with. It returns false when the link had
 * no room for the frame (its queue toward the far side is full, dropped.queue): the frame was not
 * taken, and a sender that counts its own drops (a switch, a FramePort) counts it. True means
 * taken; the link may still lose it on the way and counts that in its own stats.
 */
export type Transmit = (frame: Uint8Array) => boolean;

/**
 * True unless a transmit function said the frame was not taken. A transmit function written
 * before Transmit returned a result returns undefined: that means taken.
 */
export function transmitted(result: boolean | void): boolean {
  return result !== false;
}

/** Something that sends and receives Ethernet frames: a stack's NIC, a switch port, a FramePort. */
export interface LinkEndpoint {
  /** The link calls this to hand a frame to the endpoint. `trusted`: checksums need no verifying. */
  receive(frame: Uint8Array, trusted: boolean): void;
  /** The link installs its transmit function here; the endpoint calls it for every frame it sends. */
  attach(transmit: Transmit, options?: TransmitOptions): void;
  /** The clock the endpoint runs on (links schedule delays on it). */
  readonly clock: Clock;
  /**
   * True for an endpoint that consumes frames itself and never passes them on (a stack). Only to
   * such an endpoint may a trusted link carry partial checksums: a switch or a tap would forward
   * or record them where they are checked.
   */
  readonly terminal?: boolean;
  /**
   * Direct access to the endpoint's device rings (a stack's NIC). A MemoryLink between two
   * endpoints with rings copies each frame once, from the sender's transmit buffer into the
   * receiver's receive buffer, never more at once than the receiver has buffers; frames that do
   * not fit wait in the sender's transmit ring (backpressure). Without rings, `receive` and the
   * transmit function are used.
   */
  readonly rings?: FrameRings;
}

/** What a link installs on FrameRings to hear when there is work for it. */
export interface RingListener {
  /** The sender's transmit ring holds frames. */
  onTransmitReady(): void;
  /** The receiver's core offered receive buffers (called after its polls). */
  onReceiveRoom(): void;
}

/**
 * The device side of a stack's virtqueues, for links that move frames ring to ring. A frame taken
 * with takeTx / a buffer taken with takeRx lies at txOffset / rxOffset in `bytes` (and `words`,
 * the same memory as 32-bit words) until completeTx / completeRx; take and complete alternate.
 */
export interface FrameRings {
  /** The endpoint is closed or failed: it takes and offers nothing. */
  readonly closed: boolean;
  /** Frames offered for transmission and not yet taken. */
  txPending(): number;
  /**
   * Takes the next frame to transmit and returns its length (-1 if none). A checksum left partial
   * is completed first unless `acceptsPartialChecksum`. A large TCP segment (segmentation
   * offload) is taken whole only if `acceptsLargeSegments` (txSegmentSize says so); otherwise it
   * comes out as the MSS-sized segments it stands for, one per takeTx.
   */
  takeTx(acceptsPartialChecksum: boolean, acceptsLargeSegments?: boolean): number;
  readonly txOffset: number;
  /**
   * For the frame takeTx returned last: 0 for an ordinary frame, or the payload bytes per
   * segment of a large TCP segment taken whole (virtio gso_size), whose headers (Ethernet, IPv4,
   * TCP) take txHeadersLen bytes.
   */
  readonly txSegmentSize: number;
  readonly txHeadersLen: number;
  /** The receiving core takes large TCP segments whole (it negotiated segmentation offload). */
  readonly takesLargeSegments: boolean;
  /** Returns the frame taken by takeTx to the core. */
  completeTx(): void;
  /** Receive buffers offered and not yet taken. */
  rxFree(): number;
  /** Takes the next receive buffer and returns how many frame bytes it holds (-1 if none). */
  takeRx(): number;
  readonly rxOffset: number;
  /**
   * Returns the buffer taken by takeRx holding a frame of `length` bytes (0 is an empty frame).
   * `segmentSize` and `headersLen`: a large TCP segment's (see txSegmentSize), 0 for others.
   */
  completeRx(length: number, trusted: boolean, segmentSize?: number, headersLen?: number): void;
  /** Returns the buffer taken by takeRx unused: the frame was longer (counted as rxOversize). */
  refuseRx(): void;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  /** Asks the endpoint to process what was moved into its receive ring (the stack polls soon). */
  wake(): void;
  /**
   * Frames were taken from the transmit ring: the stack polls soon if anything in it waits for
   * room (a blocked connection, a socket whose send found none), and not otherwise.
   */
  txTaken(): void;
  /** Installs (or removes) the link moving frames through these rings. */
  attachRings(listener: RingListener | undefined): void;
}

/** Length of an Ethernet II header (destination MAC, source MAC, EtherType); no FCS on our links. */
export const ETHERNET_HEADER_BYTES = 14;

/** Formats 6 bytes at `offset` as aa:bb:cc:dd:ee:ff. */
export function formatMac(frame: Uint8Array, offset = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (frame[offset + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** Reports an error thrown by an endpoint's callback without breaking the caller's loop. */
export function reportCallbackError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else queueMicrotask(() => { throw error; });
}
