// One running core seen from the host: every call into the module goes through here. A session
// owns the core instance, its NIC (the device side of the virtqueues), the clock, the scheduling
// (one timer per stack at the core's deadline; a poll soon after frames arrive and after socket
// calls that send, never on an interval), the event drain, and the registry handle -> owner.
//
// Event guarantee (docs/DESIGN.md "Wake-ups"): the core's event ring is a hint. Each owner has
// check(), which re-reads the owner's whole state from the core (queued datagrams, pending error,
// room to send) and acts on it. A drain checks each owner named in the ring once; when the ring
// overflowed it checks every owner; an owner registered after its handle's events were drained is
// checked once on registration. So no event can be lost, and an owner whose listener threw is
// simply checked again next time.
//
// Traps are bugs: if the core ever traps, the session is failed for good, and every owner is told
// with a CoreTrapError naming the trap.

import { CoreTrapError, ErrnoError, Errno, layout, readStats } from '../bindings/index.js';
import type { CoreExports } from '../bindings/index.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Transmit, TransmitOptions } from './devices/endpoint.js';
import { reportCallbackError } from './devices/endpoint.js';
import { Nic } from './nic.js';
import { copyRange } from './devices/copy.js';
import { queueTask } from './microtask.js';
import { KeepAlive } from './keepalive.js';
import { OwnerTable } from './owner-table.js';
import { systemError } from './errors.js';

/** What a socket call returns when the core trapped during it (the session is failed then). */
export const TRAPPED = -Errno.EIO;

/** Something that owns one core socket (a dgram socket, the pinger's ICMP socket). */
export interface SocketOwner {
  /** Re-reads the socket's full state from the core (receive queue, pending error, room) and acts. */
  check(): void;
  /** The stack failed or closed: give up with this error. */
  onStackGone(error: Error): void;
}

/** @internal */
export class Session {
  readonly core: CoreExports;
  readonly clock: Clock;
  readonly keepAlive = new KeepAlive();
  readonly nic: Nic;
  /** Set when the core trapped: every later call fails with this error. */
  failed: CoreTrapError | null = null;
  closed = false;
  /** handle -> owner (owner-table.ts says why not a Map). */
  readonly #owners = new OwnerTable<SocketOwner>();
  /** Handles registered since the last due-check run: each is checked once soon. */
  #due: number[] = [];
  #checksQueued = false;
  /**
   * The owners one drain checks, each once however many events it had (collected by batch id);
   * a drain started from inside an owner's check (through a listener) takes a list of its own.
   */
  #woken: SocketOwner[] = [];
  #wokenSpare: SocketOwner[] | undefined = [];
  #batchId = 0;
  readonly #io: number;
  readonly #ioBytes: number;
  readonly #events: number;
  readonly #eventCapacity: number;
  readonly #stats: number;
  /** Views of the core's memory: it never grows after init, so they stay valid. */
  readonly #bytes: Uint8Array;
  readonly #result: DataView;
  readonly #eventView: DataView;
  #pollQueued = false;
  /** The time the core was last polled at (0 before the first poll: the core's own start). */
  #polledAt = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  readonly #runQueuedPoll = (): void => {
    this.#pollQueued = false;
    this.pollNow();
  };
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    this.pollNow();
  };
  readonly #runDueChecks = (): void => {
    this.#checksQueued = false;
    const due = this.#due;
    this.#due = [];
    if (this.closed || this.failed) return;
    // An owner unregistered meanwhile is not found (nor is one whose handle was reused).
    for (let i = 0; i < due.length; i++) {
      const owner = this.#owners.get(due[i]!);
      if (owner) this.#check(owner);
    }
  };

  constructor(core: CoreExports, clock: Clock) {
    this.core = core;
    this.clock = clock;
    const t = new DataView(core.memory.buffer, core.layoutTable(), layout.LAYOUT_BYTES);
    this.#io = t.getUint32(layout.LAYOUT_IO, true);
    this.#ioBytes = t.getUint32(layout.LAYOUT_IO_BYTES, true);
    this.#events = t.getUint32(layout.LAYOUT_EVENTS, true);
    this.#eventCapacity = t.getUint32(layout.LAYOUT_EVENT_CAPACITY, true);
    this.#stats = t.getUint32(layout.LAYOUT_STATS, true);
    this.#bytes = new Uint8Array(core.memory.buffer);
    this.#result = new DataView(core.memory.buffer, t.getUint32(layout.LAYOUT_RESULT, true), layout.RESULT_BYTES);
    this.#eventView = new DataView(core.memory.buffer, this.#events);
    this.nic = new Nic(core, core.layoutTable(), this);
  }

  // ---- frames ----

  /** A frame from the link. */
  receive(frame: Uint8Array, trusted: boolean): void {
    if (this.closed || this.failed) return;
    this.nic.deliver(frame, trusted);
    this.requestPoll();
  }

  attach(transmit: Transmit | undefined, options?: TransmitOptions): void {
    this.nic.attach(transmit, options);
  }

  /**
   * Hands every frame the core queued for transmission to the link (or tells a ring-to-ring link).
   * If something waited for room and frames just left, the core runs again soon (a ring-to-ring
   * link tells the stack itself when it takes frames: Nic.txTaken).
   */
  flushTransmit(): void {
    if (this.nic.flush() > 0 && this.waitingForRoom()) this.requestPoll();
  }

  /** Something in the core waits for the transmit queue to take frames (core.waitingForRoom). */
  waitingForRoom(): boolean {
    if (this.failed || this.closed) return false;
    try {
      return this.core.waitingForRoom() !== 0;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  // ---- scheduling ----

  /** The time to give the core: whole microseconds (the clock refuses values beyond 2^53). */
  nowMicros(): number {
    return Math.floor(this.clock.now());
  }

  /** Runs the core soon (once, however often it is asked before it runs). */
  requestPoll(): void {
    if (this.#pollQueued || this.closed || this.failed) return;
    this.#pollQueued = true;
    queueTask(this.#runQueuedPoll);
  }

  /** Runs the core now, moves frames out and events to their owners, and arms the deadline timer. */
  pollNow(): void {
    if (this.closed || this.failed) return;
    const now = this.nowMicros();
    const deadline = this.#poll(now);
    if (deadline === undefined) return;
    this.flushTransmit();
    this.drainEvents();
    if (deadline === Infinity) {
      this.#armTimer(Infinity);
    } else if (deadline <= now) {
      // Due now (frames the loopback produced during this poll): run again without waiting for
      // the clock, which may be a VirtualClock that only moves when a test says so.
      this.requestPoll();
    } else {
      this.#armTimer(deadline);
    }
  }

  /** The core's poll at `now`: its next deadline, or undefined once it trapped (see call). */
  #poll(now: number): number | undefined {
    if (this.failed) return undefined;
    this.#polledAt = now;
    try {
      return this.core.poll(now);
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  /**
   * Runs the core at the clock's time but leaves its events in the ring for the regular poll this
   * requests. Socket calls use it: it brings the core's notion of "now" up to date and moves frames
   * on, without emitting 'message' or 'error' from inside the user's own call (Node never does).
   */
  pollQuietly(): void {
    if (this.closed || this.failed) return;
    this.#poll(this.nowMicros());
    this.requestPoll();
  }

  /** After a socket call that queued frames: move them out now and poll soon. */
  afterSend(): void {
    this.flushTransmit();
    this.requestPoll();
  }

  #armTimer(at: number): void {
    if (at === this.#timerAt) return;
    // A timer armed for an earlier time stays: when it fires, the poll finds nothing due yet and
    // arms the later deadline then. Every ACK pushes the retransmission deadline on and every
    // segment the delayed ACK's, so moving the native timer each poll cost more than the one early
    // wake-up per deadline this costs.
    if (this.#timer !== undefined && at > this.#timerAt && at !== Infinity) return;
    this.#clearTimer();
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = this.clock.setTimer(at, this.#onTimer);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  // ---- events ----

  drainEvents(): void {
    const view = this.#eventView;
    let read = view.getUint32(layout.EVENTS_READ, true);
    const written = view.getUint32(layout.EVENTS_WRITE, true);
    const woken = this.#woken;
    const batchId = ++this.#batchId;
    const owners = this.#owners;
    while (read !== written) {
      const entry = layout.EVENTS_ENTRIES + (read % this.#eventCapacity) * layout.EVENT_BYTES;
      // Whatever the entry's kind bits say, the owner's check re-reads everything.
      owners.collect(view.getInt32(entry + layout.EVENT_HANDLE, true), woken, batchId);
      read = (read + 1) >>> 0;
    }
    view.setUint32(layout.EVENTS_READ, read, true);
    // Events were lost to a full ring: every owner looks for itself.
    if (view.getUint32(layout.EVENTS_OVERFLOW, true) !== 0) {
      view.setUint32(layout.EVENTS_OVERFLOW, 0, true);
      woken.length = 0;
      for (const owner of owners.owners()) woken.push(owner);
    }
    if (woken.length === 0) return;
    this.#woken = this.#wokenSpare ?? [];
    this.#wokenSpare = undefined;
    for (let i = 0; i < woken.length; i++) this.#check(woken[i]!);
    woken.length = 0;
    this.#wokenSpare = woken;
  }

  /**
   * One owner's check. A listener that throws must not cost anyone their events (the owner is
   * re-checked next time, others still run): the error is reported as Node reports an exception
   * thrown by an event listener.
   */
  #check(owner: SocketOwner): void {
    if (this.closed || this.failed) return;
    try {
      owner.check();
    } catch (error) {
      reportCallbackError(error);
    }
  }

  // ---- owners ----

  /**
   * Registers the owner of `handle`; it is checked once soon, so no earlier event is missed.
   * `created`: the handle was made by the call just before (a connect), with no drain between,
   * so every event it has is still in the ring and the next drain brings it: no check needed.
   */
  register(handle: number, owner: SocketOwner, created = false): void {
    this.#owners.set(handle, owner);
    if (created) return;
    this.#due.push(handle);
    if (this.#checksQueued) return;
    this.#checksQueued = true;
    queueTask(this.#runDueChecks);
  }

  unregister(handle: number): void {
    this.#owners.delete(handle);
  }

  /** Opens a core socket of `kind`; throws the system error (EMFILE...) or the trap. */
  openSocket(kind: number, syscall: string): number {
    this.assertUsable(syscall);
    this.pollQuietly();
    let handle: number;
    try {
      handle = this.core.socketOpen(kind, this.nowMicros());
    } catch (error) {
      this.#fail(error);
      throw this.failed!;
    }
    if (handle < 0) throw systemError(handle, syscall);
    return handle;
  }

  /** Closes a core socket and forgets its owner. */
  closeSocket(handle: number): void {
    this.unregister(handle);
    this.#closeInCore(handle);
  }

  #closeInCore(handle: number): void {
    if (this.failed) return;
    try { this.core.socketClose(handle); } catch (error) { this.#fail(error); }
  }

  // ---- socket calls: the one place that names the core's socket exports ----
  // Each returns the core's result, or TRAPPED (-EIO) when the call trapped (the session is then
  // failed; check `failed` to tell the two apart). No closure per call: these run per datagram.

  socketBind(handle: number, address: number, port: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketBind(handle, address, port); } catch (error) { return this.#trapped(error); }
  }

  socketConnect(handle: number, address: number, port: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketConnect(handle, address, port); } catch (error) { return this.#trapped(error); }
  }

  socketDisconnect(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketDisconnect(handle); } catch (error) { return this.#trapped(error); }
  }

  /** Sends `length` bytes already written to the I/O area. */
  socketSend(handle: number, address: number, port: number, length: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketSend(handle, address, port, length, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  /** The oldest queued datagram's payload address (result block: source, port, length) or -errno. */
  socketRecv(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketRecv(handle); } catch (error) { return this.#trapped(error); }
  }

  socketRecvDone(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketRecvDone(handle); } catch (error) { return this.#trapped(error); }
  }

  /** The pending error (negative errno), cleared by reading; 0 when none. */
  socketError(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketError(handle); } catch (error) { return this.#trapped(error); }
  }

  socketSetOption(handle: number, option: number, value: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketSetOption(handle, option, value); } catch (error) { return this.#trapped(error); }
  }

  /** Describes slot `index` in the result block: its handle, or 0 when free (or trapped). */
  socketInfo(index: number): number {
    if (this.failed) return 0;
    try { return this.core.socketInfo(index); } catch (error) { this.#trapped(error); return 0; }
  }

  /** Describes the socket `handle` names in the result block (state, queue, pending error): 0 or -EBADF. */
  socketDescribe(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.socketDescribe(handle); } catch (error) { return this.#trapped(error); }
  }

  /** The next hop toward `address` (0: no route), as the core's routing would choose it. */
  routeNextHop(address: number): number {
    if (this.failed) return 0;
    try { return this.core.routeNextHop(address) >>> 0; } catch (error) { this.#trapped(error); return 0; }
  }

  socketCapacity(): number {
    if (this.failed) return 0;
    try { return this.core.socketCapacity(); } catch (error) { this.#trapped(error); return 0; }
  }

  // TCP (assembly/abi/tcp.ts): the same shape, with the host's time for calls that may send.

  tcpConnect(address: number, port: number, localAddress: number, localPort: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpConnect(address, port, localAddress, localPort, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  tcpListen(address: number, port: number, backlog: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpListen(address, port, backlog, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  tcpAccept(listener: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpAccept(listener); } catch (error) { return this.#trapped(error); }
  }

  /** The send ring's free span: its length (address and total room in the result block) or -errno. */
  tcpWriteSpan(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpWriteSpan(handle); } catch (error) { return this.#trapped(error); }
  }

  /**
   * Commits `n` bytes written into the send ring. The time given is the last poll's: the call
   * only marks the connection due (segments leave in the poll it asks for, which reads the
   * clock), and a mark made at an earlier time is just as due (with reads, a 1-byte echo was
   * about 6% faster for it).
   */
  tcpWriteCommit(handle: number, n: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpWriteCommit(handle, n, this.#polledAt); } catch (error) { return this.#trapped(error); }
  }

  /** The receive ring's filled span: its length, 0 at end of stream, or -errno (EAGAIN: nothing yet). */
  tcpReadSpan(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpReadSpan(handle); } catch (error) { return this.#trapped(error); }
  }

  /** Consumes `n` read bytes; as tcpWriteCommit, at the last poll's time (it only marks a window update due). */
  tcpReadConsume(handle: number, n: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpReadConsume(handle, n, this.#polledAt); } catch (error) { return this.#trapped(error); }
  }

  /** Queues the FIN; as tcpWriteCommit, at the last poll's time (it only marks the FIN due). */
  tcpShutdown(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpShutdown(handle, this.#polledAt); } catch (error) { return this.#trapped(error); }
  }

  tcpClose(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpClose(handle, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  tcpAbort(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpAbort(handle, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  tcpSetOption(handle: number, option: number, value: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpSetOption(handle, option, value, this.nowMicros()); } catch (error) { return this.#trapped(error); }
  }

  /** Describes a connection or listener in the result block: 0 or -EBADF. */
  tcpDescribe(handle: number): number {
    if (this.failed) return TRAPPED;
    try { return this.core.tcpDescribe(handle); } catch (error) { return this.#trapped(error); }
  }

  #trapped(error: unknown): number {
    this.#fail(error);
    return TRAPPED;
  }

  // ---- calls into the core ----

  /** Runs a core call; a trap marks the session failed, tells every owner and returns undefined. */
  call<T>(fn: () => T): T | undefined {
    if (this.failed) return undefined;
    try {
      return fn();
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  /** Like call, but throws the trap error instead of returning undefined. */
  callOrThrow<T>(fn: () => T): T {
    const r = this.call(fn);
    if (this.failed) throw this.failed;
    return r as T;
  }

  #fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failed = error instanceof CoreTrapError ? error : new CoreTrapError(message, { cause: error });
    this.#clearTimer();
    this.#goodbye(this.failed);
  }

  #goodbye(error: Error): void {
    const owners = this.#owners.owners();
    this.#owners.clear();
    this.#due = [];
    for (const owner of owners) {
      try { owner.onStackGone(error); } catch (e) { reportCallbackError(e); }
    }
    this.keepAlive.releaseAll();
  }

  /** Throws the failure if the core trapped, EBADF if the stack was closed. */
  assertUsable(syscall: string): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw systemError(-Errno.EBADF, syscall, { detail: '(stack closed)' });
  }

  /** The error an operation gets on a failed or closed stack (EBADF for a closed one). */
  goneError(syscall: string): Error {
    return this.failed ?? systemError(-Errno.EBADF, syscall, { detail: '(stack closed)' });
  }

  /**
   * Closes every core socket (owned or not), stops the timer, tells every owner; the session is
   * unusable afterwards. The core itself stays readable (report() shows no socket left).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#clearTimer();
    // Every socket of every kind, owned or not.
    if (!this.failed) this.call(() => this.core.socketCloseAll());
    this.#goodbye(new ErrnoError(-Errno.EBADF, 'close', '(stack closed)'));
    this.nic.attach(undefined);
  }

  // ---- I/O helpers ----

  get ioBytes(): number {
    return this.#ioBytes;
  }

  /** The I/O area as bytes (valid until the next core call). */
  ioView(length: number): Uint8Array {
    return this.#bytes.subarray(this.#io, this.#io + length);
  }

  /** Copies `bytes` into the I/O area. */
  writeIo(bytes: Uint8Array): void {
    this.#bytes.set(bytes, this.#io);
  }

  /** The result block (valid until the next core call). */
  resultView(): DataView {
    return this.#result;
  }

  /** The core's memory as bytes (never grows after init). */
  get memoryBytes(): Uint8Array {
    return this.#bytes;
  }

  /** Copies a received payload out of the core's memory into one new Buffer (Uint8Array outside Node). */
  copyOut(ptr: number, length: number): Uint8Array {
    const out = allocBytes(length);
    copyRange(this.#bytes, ptr, out, 0, length);
    return out;
  }

  stats(): Record<string, number> {
    return { ...readStats(this.core.memory, this.#stats), ...this.nic.counters };
  }
}


type BufferLike = { allocUnsafe(n: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const allocBytes = (n: number): Uint8Array => (NodeBuffer ? NodeBuffer.allocUnsafe(n) : new Uint8Array(n));
