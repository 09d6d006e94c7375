// Packet capture in the classic libpcap format, which Wireshark, tshark and tcpdump read:
// a 24-byte global header (magic 0xa1b2c3d4 written little-endian, version 2.4, thiszone 0,
// sigfigs 0, snaplen, LINKTYPE_ETHERNET = 1), then per frame a 16-byte record header (ts_sec,
// ts_usec, incl_len, orig_len) and incl_len = min(orig_len, snaplen) bytes of the frame.
//
//   const tapped = PcapWriter.tap(stack, 'capture.pcap');   // or a (chunk) => void callback
//   MemoryLink.connect(tapped, other);
//   ...
//   await tapped.close();
//
// Timestamps come from the clock (the tapped endpoint's): VirtualClock time 0 is the Unix epoch;
// RealClock time is converted to wall-clock time through its originEpochMicros.
// Sinks: a file path or file: URL (Node; the file is truncated and written asynchronously in batches,
// close() resolves once everything is written and the file is closed), or a callback receiving
// Uint8Array chunks in order (browsers; the header first, then one chunk per frame, each chunk is the
// callback's to keep).

import { RealClock, type Clock } from '../clock.js';
import type { LinkEndpoint, Transmit } from './endpoint.js';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

export type PcapSink = string | URL | ((chunk: Uint8Array) => void);

export interface PcapWriterOptions {
  /** Clock for timestamps when write() is not given one. Default: a RealClock. */
  clock?: Clock;
  /** Bytes of each frame kept. Default 65535. */
  snaplen?: number;
  /** Added to clock time to get Unix microseconds. Default: RealClock's originEpochMicros, else 0. */
  epochOffsetMicros?: number;
}

/** A LinkEndpoint that records every frame passing through it to a PcapWriter. */
export interface PcapTap extends LinkEndpoint {
  readonly writer: PcapWriter;
  /** Stops recording (frames still pass) and closes the writer. */
  close(): Promise<void>;
}

interface FileTarget {
  pending: Uint8Array[];
  flushing: Promise<void> | undefined;
  handle: Promise<import('node:fs/promises').FileHandle>;
  error: unknown;
}

async function openFile(path: string | URL): Promise<import('node:fs/promises').FileHandle> {
  // A variable specifier keeps browser bundlers from trying to include node:fs.
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  return fs.open(path, 'w');
}

export class PcapWriter {
  readonly snaplen: number;
  private readonly clock: Clock;
  private readonly epochOffset: number;
  private readonly callback: ((chunk: Uint8Array) => void) | undefined;
  private readonly file: FileTarget | undefined;
  private count = 0;
  private isClosed = false;
  private closing: Promise<void> | undefined;

  constructor(sink: PcapSink, options: PcapWriterOptions = {}) {
    const { snaplen = 65535 } = options;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) throw new RangeError(`snaplen must be a positive integer, got ${snaplen}`);
    this.snaplen = snaplen;
    this.clock = options.clock ?? new RealClock();
    this.epochOffset = options.epochOffsetMicros ??
      (this.clock instanceof RealClock ? this.clock.originEpochMicros : 0);
    if (typeof sink === 'function') {
      this.callback = sink;
    } else if (typeof sink === 'string' || sink instanceof URL) {
      const handle = openFile(sink);
      this.file = { pending: [], flushing: undefined, handle, error: undefined };
      handle.catch((error: unknown) => { if (this.file) this.file.error ??= error; });
    } else {
      throw new TypeError('PcapWriter sink must be a file path, a file: URL or a callback');
    }
    const header = new Uint8Array(PCAP_GLOBAL_HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, PCAP_MAGIC, true);
    view.setUint16(4, PCAP_VERSION_MAJOR, true);
    view.setUint16(6, PCAP_VERSION_MINOR, true);
    view.setInt32(8, 0, true); // thiszone
    view.setUint32(12, 0, true); // sigfigs
    view.setUint32(16, snaplen, true);
    view.setUint32(20, LINKTYPE_ETHERNET, true);
    this.emit(header);
  }

  /**
   * Records a frame, stamped `atMicros` (clock time; default now). The frame is copied. Ignored
   * after close().
   */
  write(frame: Uint8Array, atMicros?: number): void {
    if (this.isClosed) return;
    const t = Math.max(0, Math.floor((atMicros ?? this.clock.now()) + this.epochOffset));
    const incl = Math.min(frame.length, this.snaplen);
    const record = new Uint8Array(PCAP_RECORD_HEADER_BYTES + incl);
    const view = new DataView(record.buffer);
    view.setUint32(0, Math.floor(t / 1e6) >>> 0, true);
    view.setUint32(4, t % 1e6, true);
    view.setUint32(8, incl, true);
    view.setUint32(12, frame.length, true);
    record.set(frame.subarray(0, incl), PCAP_RECORD_HEADER_BYTES);
    this.count++;
    this.emit(record);
  }

  /** Frames recorded so far. */
  get records(): number {
    return this.count;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops recording; resolves when everything is written (and the file closed), rejects on an I/O error. */
  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      this.closing = this.finish();
    }
    return this.closing;
  }

  /**
   * Wraps an endpoint: the returned endpoint is connected in its place, records every frame it
   * receives and every frame the endpoint transmits, and passes them on unchanged. `sink` may be an
   * existing writer (several taps into one capture); the tap's close() closes it.
   */
  static tap(endpoint: LinkEndpoint, sink: PcapSink | PcapWriter, options: Omit<PcapWriterOptions, 'clock'> = {}): PcapTap {
    const writer = sink instanceof PcapWriter ? sink : new PcapWriter(sink, { ...options, clock: endpoint.clock });
    return {
      writer,
      get clock() { return endpoint.clock; },
      receive(frame: Uint8Array, trusted: boolean): void {
        writer.write(frame, endpoint.clock.now());
        endpoint.receive(frame, trusted);
      },
      attach(transmit: Transmit): void {
        // The frame left the endpoint whether or not the link took it: it is recorded either way.
        endpoint.attach((frame) => {
          writer.write(frame, endpoint.clock.now());
          return transmit(frame);
        });
      },
      close: () => writer.close(),
    };
  }

  private emit(chunk: Uint8Array): void {
    if (this.callback) { this.callback(chunk); return; }
    const file = this.file!;
    file.pending.push(chunk);
    file.flushing ??= this.flush(file);
  }

  /** Writes pending chunks in batches until none is left. */
  private async flush(file: FileTarget): Promise<void> {
    try {
      const handle = await file.handle;
      while (file.pending.length > 0 && file.error === undefined) {
        const chunks = file.pending.splice(0);
        let total = 0;
        for (const c of chunks) total += c.length;
        const batch = new Uint8Array(total);
        let offset = 0;
        for (const c of chunks) { batch.set(c, offset); offset += c.length; }
        for (let written = 0; written < batch.length;) {
          const { bytesWritten } = await handle.write(batch, written, batch.length - written);
          written += bytesWritten;
        }
      }
    } catch (error) {
      file.error ??= error;
    } finally {
      file.flushing = undefined;
    }
  }

  private async finish(): Promise<void> {
    const file = this.file;
    if (!file) return;
    while (file.flushing) await file.flushing;
    let handle: import('node:fs/promises').FileHandle | undefined;
    try {
      handle = await file.handle;
    } catch {
      // reported below
    }
    if (handle) {
      try {
        await handle.close();
      } catch (error) {
        file.error ??= error;
      }
    }
    if (file.error !== undefined) throw file.error;
  }
}
