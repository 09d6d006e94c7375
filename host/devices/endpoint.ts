// The one interface every frame device speaks. A link (MemoryLink, a switch port, a FramePort, a
// pcap tap) connects two LinkEndpoints: it calls `attach` on each to install the function that
// endpoint transmits with, and calls `receive` on each to hand it frames from the other side.
//
// Ownership: a frame passed to `receive` or to the transmit function belongs to the callee from then
// on. The caller must not touch it afterwards (a stack copies out of wasm memory before transmitting);
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

/** Something that sends and receives Ethernet frames: a stack's NIC, a switch port, a FramePort. */
export interface LinkEndpoint {
  /** The link calls this to hand a frame to the endpoint. `trusted`: checksums need no verifying. */
  receive(frame: Uint8Array, trusted: boolean): void;
  /** The link installs its transmit function here; the endpoint calls it for every frame it sends. */
  attach(transmit: (frame: Uint8Array) => void, options?: TransmitOptions): void;
  /** The clock the endpoint runs on (links schedule delays on it). */
  readonly clock: Clock;
  /**
   * True for an endpoint that consumes frames itself and never passes them on (a stack). Only to
   * such an endpoint may a trusted link carry partial checksums: a switch or a tap would forward
   * or record them where they are checked.
   */
  readonly terminal?: boolean;
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
