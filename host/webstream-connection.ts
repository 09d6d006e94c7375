// One TCP connection as a pair of web streams (WHATWG Streams), for browsers and stream-minded
// code: `readable` is a byte stream (type 'bytes', so BYOB readers fill their own buffers straight
// from the receive ring), `writable` a WritableStream whose sink copies each chunk into the send
// ring. Built on the core's span calls (host/session.ts), not on stack.net's Duplex, so the
// browser bundle carries no stream polyfill for it and a BYOB read is one copy.
//
// Backpressure, as stack.net's: the readable's highWaterMark is 0, so bytes leave the receive ring
// only when a reader asks for them; a reader that stops reading leaves the ring full and the
// window the peer sees closes (RFC 9293 3.8.6). A write resolves once its chunk is in the send
// ring; the WritableStream queues at most `writableHighWaterMark` bytes above that before
// `writer.ready` waits (a writer that ignores `ready` is the only one who can make it grow).
//
// Ends: `writable.close()` sends FIN once everything written is in the ring and reading goes on
// (half-close); reading to the end and closing the writable releases the connection. Discarding
// data is only possible with a reset: `readable.cancel()` (unread data cannot be handed back, as
// RFC 1122 4.2.2.13 has close() with unread data reset) and `writable.abort()` both send RST.
// `close()` ends both at once, as close(2): queued data still goes out (the core lingers), a
// reader sees the end, a writer's pending writes are rejected.
//
// Readiness is state, as everywhere in the host: check() re-reads the connection from the core
// and acts, so a lost event costs a re-check, never a hang.

import { Errno, layout, TcpOption } from '../bindings/index.js';
import type { Session, SocketOwner } from './session.js';
import type { NetContext } from './net.js';
import { systemError, invalidArgType, plainError } from './errors.js';
import { ProcessHold } from './keepalive.js';

/** Node's default writableHighWaterMark for sockets. */
export const DEFAULT_WRITABLE_HIGH_WATER_MARK = 16 * 1024;

/** A chunk waiting for room in the send ring. */
interface PendingWrite {
  bytes: Uint8Array;
  offset: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** @internal How a connection came to be: accepted (established) or connecting to a target. */
export interface ConnectionStart {
  net: NetContext;
  handle: number;
  writableHighWaterMark: number;
  /** Set while connecting: settles once the handshake ends either way. */
  opening?: { address: string; port: number; resolve: (c: TcpConnection) => void; reject: (e: Error) => void };
}

const isEstablishedOrLater = (state: number): boolean =>
  state !== layout.TCP_STATE_SYN_SENT && state !== layout.TCP_STATE_SYN_RECEIVED && state !== layout.TCP_STATE_CLOSED;

/** A Uint8Array over what a writer handed us (any BufferSource), or undefined for anything else. */
function bytesOf(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && chunk instanceof SharedArrayBuffer)) {
    return new Uint8Array(chunk);
  }
  return undefined;
}

/** What the other stream errors with after a cancel or abort: the caller's reason, if it gave one. */
const resetReason = (reason: unknown, otherwise: string): Error =>
  reason instanceof Error ? reason : plainError('ERR_STREAM_DESTROYED', otherwise);

/** The queuing strategy's size of a chunk: its bytes (a chunk that is none is refused by write). */
const chunkBytes = (chunk: unknown): number => bytesOf(chunk)?.byteLength ?? 0;

/** Indices into a TcpConnection's byte counts. */
const BYTES_READ = 0;
const BYTES_WRITTEN = 1;
const BYTE_COUNTS = 2;

export class TcpConnection implements SocketOwner {
  /** The bytes the peer sends, as a byte stream (BYOB readers supported). */
  readonly readable: ReadableStream<Uint8Array>;
  /** The bytes we send: any BufferSource chunk. */
  readonly writable: WritableStream<BufferSource>;
  remoteAddress = '';
  remotePort = 0;
  localAddress = '';
  localPort = 0;
  /**
   * bytesRead and bytesWritten, in a Float64Array rather than fields: past 2 GiB a count leaves
   * V8's small-integer range, and a field changing representation would give every later
   * connection a new hidden class (as net.ts's Socket#numbers).
   */
  readonly #byteCounts = new Float64Array(BYTE_COUNTS);
  /**
   * Settles once the connection is released: fulfils after a clean end (both directions done,
   * close(), cancel or abort), rejects with the error when it failed (reset by the peer, timed
   * out, stack closed or trapped). Never an unhandled rejection by itself.
   */
  readonly closed: Promise<void>;
  readonly #net: NetContext;
  #handle: number;
  #opening: ConnectionStart['opening'];
  #readController!: ReadableByteStreamController;
  #writeController!: WritableStreamDefaultController;
  /** The pull() the readable is waiting on (at most one: a stream never pulls twice at once). */
  #pullWaiting: (() => void) | null = null;
  #writeWaiting: PendingWrite | null = null;
  #readDone = false;
  #writeDone = false;
  /** Holds the process while the connection is open. */
  readonly #processHold: ProcessHold;
  #settleClosed!: { resolve: () => void; reject: (e: Error) => void };

  /** @internal Use stack.openTcp / stack.listenTcp. */
  constructor(start: ConnectionStart) {
    this.#net = start.net;
    this.#processHold = new ProcessHold(start.net.session.keepAlive);
    this.#handle = start.handle;
    this.#opening = start.opening;
    this.closed = new Promise<void>((resolve, reject) => { this.#settleClosed = { resolve, reject }; });
    this.closed.catch(() => {});
    this.readable = new ReadableStream({
      type: 'bytes',
      start: (controller) => { this.#readController = controller; },
      pull: () => new Promise<void>((resolve) => {
        this.#pullWaiting = resolve;
        this.#tryRead();
      }),
      cancel: (reason) => this.#reset(resetReason(reason, 'The readable side was cancelled: the connection was reset')),
    }, { highWaterMark: 0 }) as ReadableStream<Uint8Array>;
    this.writable = new WritableStream<BufferSource>({
      start: (controller) => { this.#writeController = controller; },
      write: (chunk) => this.#write(chunk),
      close: () => this.#shutdown(),
      abort: (reason) => this.#reset(resetReason(reason, 'The writable side was aborted: the connection was reset')),
    }, { highWaterMark: start.writableHighWaterMark, size: chunkBytes });
    this.#learnEndpoints();
    this.#hold();
    this.#session.register(this.#handle, this);
  }

  /** Bytes handed to readers so far. */
  get bytesRead(): number {
    return this.#byteCounts[BYTES_READ];
  }

  /** Bytes accepted into the send ring so far. */
  get bytesWritten(): number {
    return this.#byteCounts[BYTES_WRITTEN];
  }

  get #session(): Session {
    return this.#net.session;
  }

  /** @internal Sets a core TCP option (NoDelay...) on the open connection. */
  setOption(option: number, value: number): void {
    if (this.#handle === 0) return;
    this.#session.tcpSetOption(this.#handle, option, value);
    this.#session.afterSend();
  }

  /** Turns Nagle's algorithm off (true) or on (RFC 9293 3.7.4). */
  setNoDelay(noDelay = true): this {
    this.setOption(TcpOption.NoDelay, noDelay ? 1 : 0);
    return this;
  }

  /**
   * Ends the connection in both directions at once without blocking: what is already in the send
   * ring still goes out before the FIN (the core lingers; data unacknowledged after tcpLingerMs is
   * reset), the readable ends, writes not yet in the ring are rejected with ERR_SOCKET_CLOSED.
   */
  close(): void {
    if (this.#handle === 0) return;
    const closedError = plainError('ERR_SOCKET_CLOSED', 'Socket is closed');
    this.#endReadable();
    this.#errorWritable(closedError);
    this.#release(false);
    this.#settleClosed.resolve();
  }

  #learnEndpoints(): void {
    const e = this.#net.endpoints(this.#handle);
    if (!e) return;
    this.localAddress = e.local.address;
    this.localPort = e.local.port;
    this.remoteAddress = e.remote.address;
    this.remotePort = e.remote.port;
  }

  // ---- the owner's check: re-read everything, act on it ----

  /** @internal */
  check(): void {
    if (this.#handle === 0) return;
    const s = this.#net.describe(this.#handle);
    if (!s) {
      this.#fail(this.#session.goneError('read'));
      return;
    }
    // Read at once: the described state is reused by the next describe.
    const state = s.state;
    const pendingError = s.error;
    const opening = this.#opening;
    if (opening) {
      if (state === layout.TCP_STATE_CLOSED) {
        this.#opening = undefined;
        const error = systemError(pendingError || -Errno.ECONNREFUSED, 'connect', opening);
        this.#fail(error);
        opening.reject(error);
        return;
      }
      if (!isEstablishedOrLater(state)) return;
      this.#opening = undefined;
      this.#learnEndpoints();
      opening.resolve(this);
    }
    this.#tryRead();
    this.#tryWrite();
    if (this.#handle !== 0 && state === layout.TCP_STATE_CLOSED && pendingError !== 0) {
      // Reset or timed out: news for both directions even if nobody is reading or writing now.
      this.#fail(systemError(pendingError, 'read'));
    }
  }

  /** @internal The stack closed or trapped: a pending read or write must not wait forever. */
  onStackGone(error: Error): void {
    this.#handle = 0;
    this.#releaseRef();
    const opening = this.#opening;
    this.#opening = undefined;
    this.#fail(error);
    opening?.reject(error);
  }

  // ---- reading ----

  /** Serves the waiting pull from the receive ring: into the BYOB buffer if there is one, else a new chunk. */
  #tryRead(): void {
    const done = this.#pullWaiting;
    if (!done || this.#handle === 0 || this.#opening) return;
    const session = this.#session;
    const handle = this.#handle;
    const n = session.tcpReadSpan(handle);
    if (n === -Errno.EAGAIN) return;
    this.#pullWaiting = null;
    if (n > 0) {
      const ptr = session.resultView().getUint32(layout.RESULT_SPAN_PTR, true);
      const source = session.memoryBytes;
      const controller = this.#readController;
      const request = controller.byobRequest;
      let taken: number;
      if (request?.view) {
        const view = request.view;
        taken = Math.min(n, view.byteLength);
        new Uint8Array(view.buffer, view.byteOffset, taken).set(source.subarray(ptr, ptr + taken));
        session.tcpReadConsume(handle, taken);
        request.respond(taken);
      } else {
        // A chunk of its own: enqueue transfers its buffer, so never a view of a shared pool.
        taken = n;
        const chunk = new Uint8Array(n);
        chunk.set(source.subarray(ptr, ptr + n));
        session.tcpReadConsume(handle, n);
        controller.enqueue(chunk);
      }
      this.#byteCounts[BYTES_READ] += taken;
      // Reading opened the window: the update goes out with the next poll.
      session.afterSend();
    } else if (n === 0) {
      this.#endReadable();
      this.#maybeRelease();
    } else {
      this.#fail(session.failed ?? systemError(n, 'read'));
    }
    done();
  }

  /** The peer's FIN (or our close()): readers see the end; a waiting BYOB read gets its buffer back empty. */
  #endReadable(): void {
    if (this.#readDone) return;
    this.#readDone = true;
    const controller = this.#readController;
    controller.close();
    controller.byobRequest?.respond(0);
    const pull = this.#pullWaiting;
    this.#pullWaiting = null;
    pull?.();
  }

  // ---- writing ----

  #write(chunk: BufferSource): Promise<void> {
    const bytes = bytesOf(chunk);
    if (!bytes) {
      // The stream is errored by this rejection; the bytes before it cannot be told apart from a
      // complete message by the peer, so the connection is reset rather than ended with a FIN.
      const error = invalidArgType('chunk', 'an ArrayBuffer, a TypedArray or a DataView', chunk);
      this.#reset(error);
      return Promise.reject(error);
    }
    if (this.#handle === 0) return Promise.reject(this.#session.goneError('write'));
    return new Promise<void>((resolve, reject) => {
      this.#writeWaiting = { bytes, offset: 0, resolve, reject };
      this.#tryWrite();
    });
  }

  /** Copies as much of the waiting chunk as the send ring takes; the rest waits for room. */
  #tryWrite(): void {
    const p = this.#writeWaiting;
    if (!p || this.#handle === 0 || this.#opening) return;
    const session = this.#session;
    const handle = this.#handle;
    let wrote = false;
    while (p.offset < p.bytes.length) {
      const room = session.tcpWriteSpan(handle);
      if (room === -Errno.EAGAIN) break;
      if (room < 0) {
        this.#fail(session.failed ?? systemError(room, 'write'));
        return;
      }
      const take = Math.min(room, p.bytes.length - p.offset);
      const ptr = session.resultView().getUint32(layout.RESULT_SPAN_PTR, true);
      session.memoryBytes.set(p.bytes.subarray(p.offset, p.offset + take), ptr);
      session.tcpWriteCommit(handle, take);
      p.offset += take;
      this.#byteCounts[BYTES_WRITTEN] += take;
      wrote = true;
    }
    if (wrote) session.afterSend();
    if (p.offset === p.bytes.length) {
      this.#writeWaiting = null;
      p.resolve();
    }
  }

  /** writable.close(): every write is in the ring by now (the stream waits for them); FIN follows it. */
  #shutdown(): void {
    this.#writeDone = true;
    if (this.#handle === 0) return;
    const r = this.#session.tcpShutdown(this.#handle);
    this.#session.afterSend();
    if (r < 0 && r !== -Errno.ENOTCONN) throw this.#session.failed ?? systemError(r, 'shutdown');
    this.#maybeRelease();
  }

  #errorWritable(error: Error): void {
    if (this.#writeDone) return;
    this.#writeDone = true;
    this.#writeController.error(error);
    const pending = this.#writeWaiting;
    this.#writeWaiting = null;
    pending?.reject(error);
  }

  #errorReadable(error: Error): void {
    if (this.#readDone) return;
    this.#readDone = true;
    this.#readController.error(error);
    const pull = this.#pullWaiting;
    this.#pullWaiting = null;
    pull?.();
  }

  // ---- ends ----

  /** readable.cancel() or writable.abort(): RST (RFC 9293 3.10.7 ABORT); the other side errors too. */
  #reset(reason: Error): void {
    this.#errorReadable(reason);
    this.#errorWritable(reason);
    if (this.#handle === 0) return;
    this.#release(true);
    this.#settleClosed.resolve();
  }

  /** The connection failed: both streams error with `error`, the slot is freed. */
  #fail(error: Error): void {
    this.#errorReadable(error);
    this.#errorWritable(error);
    this.#release(false);
    this.#settleClosed.reject(error);
  }

  /** Both directions ended cleanly: hand the connection back to the core (it finishes the close). */
  #maybeRelease(): void {
    if (!this.#readDone || !this.#writeDone || this.#handle === 0) return;
    this.#release(false);
    this.#settleClosed.resolve();
  }

  #release(reset: boolean): void {
    const handle = this.#handle;
    this.#releaseRef();
    if (handle === 0) return;
    this.#handle = 0;
    const session = this.#session;
    session.unregister(handle);
    if (reset) session.tcpAbort(handle);
    else session.tcpClose(handle);
    session.afterSend();
  }

  #hold(): void {
    this.#processHold.update(true);
  }

  #releaseRef(): void {
    this.#processHold.update(false);
  }
}
