// `stack.net`: TCP with Node's `net` shape. A Socket is a real stream.Duplex (node:stream in Node,
// its userland copy in the browser bundle) over one core connection; a Server an EventEmitter over
// one core listener. Nothing is buffered on the host without bound: a write goes straight into the
// connection's send ring as far as it has room, and the rest of that one chunk waits for a writable
// event (the stream's own buffer above it is what `write()` returning false reports); reads are
// pulled from the receive ring only while the stream wants more (push() returning false stops
// them, so a reader that stops reading closes the window the peer sees).
//
// Readiness is state: every owner's check() re-reads its connection from the core (state, error,
// queued bytes) and acts, so a lost or coalesced event costs a re-check, never a hang.

import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { Errno, layout, TcpOption } from '../bindings/index.js';
import { formatIpv4 } from './address.js';
import { copyRange } from './devices/copy.js';
import type { Session, SocketOwner } from './session.js';
import type { TimerHandle } from './clock.js';
import { ProcessHold } from './keepalive.js';
import { checkPort, checkAddressType, resolveAddress } from './endpoints.js';
import { systemError, invalidArgType, plainError, outOfRange, typeError } from './errors.js';
import { isIpv4 } from './address.js';
import { isIpv6, ipVersion } from './ip-syntax.js';
import { planLookup, pickAddress } from './net-lookup.js';
import type { LookupFunction } from './net-lookup.js';

const ANY = '0.0.0.0';
/** process.nextTick where there is one (the stream's own 'error' is queued there), else a microtask. */
const nextTick: (fn: () => void) => void = typeof process !== 'undefined' && typeof process.nextTick === 'function'
  ? (fn) => process.nextTick(fn) : (fn) => queueMicrotask(fn);
const MICROS_PER_MS = 1000;
/** Node's default keep-alive delay is the system's (2 hours on Linux); ours too. */
const DEFAULT_KEEP_ALIVE_MS = 7_200_000;
/**
 * The core takes keep-alive delays and backlogs as 32-bit integers: larger values saturate here
 * rather than wrap into a short delay or a negative backlog (field report 002).
 */
const MAX_CORE_INT = 0x7fff_ffff;
/** node:net's defaults for Happy Eyeballs (RFC 8305), kept only to answer their getters. */
const DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT_MS = 250;
const MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT_MS = 10;
/** Node's timers hold at most a signed 32-bit ms count; longer ones are cut to it with a warning. */
const TIMEOUT_MAX_MS = 0x7fff_ffff;
/** Linux answers a connect to port 0 with ECONNREFUSED (nothing can listen there); so do we. */
const UNLISTENABLE_PORT = 0;

/** node:timers' getTimerDuration: a non-negative finite number, cut to TIMEOUT_MAX_MS with a warning. */
function timerDurationMs(msecs: unknown, name: string): number {
  if (typeof msecs !== 'number') throw invalidArgType(name, 'of type number', msecs);
  if (msecs < 0 || !Number.isFinite(msecs)) throw outOfRange(name, 'a non-negative finite number', msecs);
  if (msecs > TIMEOUT_MAX_MS) {
    if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
      process.emitWarning(`${msecs} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX_MS}.`, 'TimeoutOverflowWarning');
    }
    return TIMEOUT_MAX_MS;
  }
  return msecs;
}

/** The stream buffer sizes a caller gave (Node hands these to stream.Duplex as they are). */
function streamBufferOptions(options: SocketConstructorOpts): Pick<SocketConstructorOpts, 'highWaterMark' | 'readableHighWaterMark' | 'writableHighWaterMark'> {
  const out: Pick<SocketConstructorOpts, 'highWaterMark' | 'readableHighWaterMark' | 'writableHighWaterMark'> = {};
  if (options.highWaterMark !== undefined) out.highWaterMark = options.highWaterMark;
  if (options.readableHighWaterMark !== undefined) out.readableHighWaterMark = options.readableHighWaterMark;
  if (options.writableHighWaterMark !== undefined) out.writableHighWaterMark = options.writableHighWaterMark;
  return out;
}

/** Node's AbortError for a socket or server whose `signal` aborted. */
function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason }) as Error & { code: string };
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

/** A keep-alive delay in ms as the core takes it: not positive (or NaN) is the default, huge saturates. */
function keepAliveDelayMs(initialDelay: number | undefined): number {
  const ms = Number(initialDelay);
  return ms > 0 ? Math.min(Math.ceil(ms), MAX_CORE_INT) : DEFAULT_KEEP_ALIVE_MS;
}

/** A listen backlog as the core takes it: 0 is the core's default, at least 1 otherwise, huge saturates. */
function coreBacklog(backlog: number | undefined): number {
  if (backlog === undefined || Number.isNaN(Number(backlog))) return 0;
  return Math.min(Math.max(1, Math.floor(Number(backlog))), MAX_CORE_INT);
}

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

export interface SocketConstructorOpts {
  /** Default false, as Node: the socket ends its side when the peer's FIN arrives. */
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Aborting it destroys the socket with an AbortError (as Node). */
  signal?: AbortSignal;
  /** The stream's buffers (Node passes these to stream.Duplex too). */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface TcpSocketConnectOpts {
  port: number | string;
  host?: string;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
  /** dns.lookup's signature; resolves host names (without it only 'localhost' resolves). */
  lookup?: LookupFunction;
  /** Accepted as Node accepts them; the stack is IPv4-only, so they change nothing. */
  family?: number;
  hints?: number;
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
}

export interface ServerOpts {
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (no reading until resume()), as Node's. */
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  /** Aborting it closes the server (as Node). */
  signal?: AbortSignal;
  /** Accepted as Node accepts them; they change nothing here (no IPv6, no IPC, no cluster). */
  exclusive?: boolean;
  ipv6Only?: boolean;
  readableAll?: boolean;
  writableAll?: boolean;
}

/** @internal What a Server passes to the sockets it accepts. */
interface AcceptOpts extends SocketConstructorOpts {
  pauseOnCreate?: boolean;
}

type Callback = (error?: Error | null) => void;

/** The parts of a connection's state the owners act on (from tcpDescribe). */
interface ConnectionState {
  state: number;
  flags: number;
  error: number;
  /** Bytes in the receive ring. */
  rxBytes: number;
}

/** @internal Connection handles and listener handles: what a Socket or Server needs from the stack. */
export class NetContext {
  /** describe()'s answer, refilled by every call (owners check per event: no object per check). */
  readonly #state: ConnectionState = { state: 0, flags: 0, error: 0, rxBytes: 0 };

  constructor(readonly session: Session) {}

  /** The connection's state now; the object is reused by the next call, so read it at once. */
  describe(handle: number): ConnectionState | null {
    const r = this.session.tcpDescribe(handle);
    if (r < 0) return null;
    const v = this.session.resultView();
    const s = this.#state;
    s.state = v.getUint32(layout.INFO_STATE, true);
    s.flags = v.getUint32(layout.INFO_TCP_FLAGS, true);
    s.error = v.getInt32(layout.INFO_PENDING_ERROR, true);
    s.rxBytes = v.getUint32(layout.INFO_RX_BYTES, true);
    return s;
  }

  /** Local and remote endpoints of a connection (or the local one of a listener). */
  endpoints(handle: number): { local: AddressInfo; remote: AddressInfo } | null {
    if (this.session.tcpDescribe(handle) < 0) return null;
    const v = this.session.resultView();
    return {
      local: { address: formatIpv4(v.getUint32(layout.INFO_LOCAL_ADDRESS, true)), family: 'IPv4', port: v.getUint32(layout.INFO_LOCAL_PORT, true) },
      remote: { address: formatIpv4(v.getUint32(layout.INFO_REMOTE_ADDRESS, true)), family: 'IPv4', port: v.getUint32(layout.INFO_REMOTE_PORT, true) },
    };
  }
}

const isConnected = (state: number): boolean =>
  state !== layout.TCP_STATE_SYN_SENT && state !== layout.TCP_STATE_SYN_RECEIVED && state !== layout.TCP_STATE_CLOSED;

/** Indices into a Socket's numbers (see Socket#numbers). */
const BYTES_READ = 0;
const BYTES_COMMITTED = 1;
const LOCAL_ADDRESS = 2;
const REMOTE_ADDRESS = 3;
const SOCKET_NUMBERS = 4;

export class Socket extends Duplex implements SocketOwner {
  connecting = false;
  /**
   * The socket's numbers that can leave V8's small-integer range (2^31 on 64-bit Node: byte counts
   * past 2 GiB, IPv4 addresses from 128.0.0.0 such as 192.168.x.x), in a Float64Array rather than
   * fields. A field that starts as a small integer changes representation with its first such
   * value, which gives sockets a new hidden class and deprecates the old one under every inline
   * cache of the socket methods.
   */
  readonly #numbers = new Float64Array(SOCKET_NUMBERS);
  /**
   * The endpoints as the core gave them once the connection existed (0 before); their text is
   * made on first use, as few owners ever ask.
   */
  #endpointsKnown = false;
  #localPort = 0;
  #remotePort = 0;
  #localText: string | undefined;
  #remoteText: string | undefined;
  /** The server that accepted this socket, if any. */
  server: Server | undefined;
  /** The same, kept for telling it of the close whatever `server` is set to later. */
  #acceptedBy: Server | undefined;
  /** The last setTimeout() value (undefined before the first call), as Node's socket.timeout. */
  timeout: number | undefined;
  readonly #net: NetContext;
  #handle = 0;
  #readWanted = false;
  #pending: { chunk: Uint8Array; offset: number; callback: Callback } | null = null;
  #reset = false;
  #noDelay = false;
  #keepAliveMs = 0;
  #timeoutMs = 0;
  #timer: TimerHandle | undefined;
  /** Holds the process while ref'd and not destroyed (as Node's sockets do). */
  readonly #processHold: ProcessHold;
  #connectTarget: { address: string; port: number } | undefined;
  #signalCleanup: (() => void) | undefined;
  readonly #onIdle = (): void => {
    this.#timer = undefined;
    if (this.destroyed || this.#timeoutMs === 0) return;
    this.emit('timeout');
  };

  /** @internal Use stack.net.Socket / connect / createServer. */
  constructor(net: NetContext, options: AcceptOpts = {}, acceptedHandle = 0, acceptedBy?: Server) {
    // 'close' carries hadError, as Node's net.Socket emits it itself (see _destroy).
    super({
      allowHalfOpen: options.allowHalfOpen === true, emitClose: false, autoDestroy: true, decodeStrings: true,
      ...streamBufferOptions(options),
    });
    this.#net = net;
    this.#processHold = new ProcessHold(net.session.keepAlive);
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAliveMs = keepAliveDelayMs(options.keepAliveInitialDelay);
    if (options.signal !== undefined) this.#watchSignal(options.signal);
    if (acceptedHandle !== 0) {
      this.server = acceptedBy;
      this.#acceptedBy = acceptedBy;
      this.#handle = acceptedHandle;
      this.#learnEndpoints();
      this.#applyOptions();
      this.#processHold.update(!this.destroyed);
      this.#net.session.register(acceptedHandle, this);
      // As Node's net does for a socket with a handle: start reading at once, so the peer's FIN
      // is seen (and 'end', then 'close', follow) even if nobody ever reads; a server's
      // pauseOnConnect leaves it paused instead.
      if (options.pauseOnCreate) this.pause();
      else this.read(0);
    }
  }

  get #session(): Session {
    return this.#net.session;
  }

  #watchSignal(signal: AbortSignal): void {
    if (signal.aborted) {
      nextTick(() => this.destroy(abortError(signal)));
      return;
    }
    const onAbort = (): void => { this.destroy(abortError(signal)); };
    signal.addEventListener('abort', onAbort, { once: true });
    this.#signalCleanup = () => signal.removeEventListener('abort', onAbort);
  }

  // ---- connect ----

  connect(options: TcpSocketConnectOpts, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [options, listener] = normalizeConnectArgs(args);
    if (this.#handle !== 0 || this.connecting) throw systemError(-Errno.EISCONN, 'connect');
    // Node's lookupAndConnect checks these before anything starts.
    if (options.port === undefined || options.port === null) {
      throw typeError('ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
    }
    const port = checkPort(options.port, true);
    checkAddressType(options.host, 'options.host');
    if (options.localAddress !== undefined && ipVersion(options.localAddress) === 0) {
      throw typeError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(options.localAddress)}`);
    }
    const localPort = options.localPort === undefined ? 0 : checkPort(options.localPort, true, 'options.localPort');
    const host = options.host || 'localhost';
    const plan = planLookup(host, options.lookup);
    if (listener) this.once('connect', listener);
    this.connecting = true;
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAliveMs = keepAliveDelayMs(options.keepAliveInitialDelay);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    if ('address' in plan) {
      this.#connectTo(plan.address, port, options.localAddress, localPort);
      return this;
    }
    this.#connectTarget = { address: host, port };
    plan.lookup(host, { family: 4, hints: options.hints ?? 0, all: false }, (error, answer, family) => {
      this.emit('lookup', error, error ? undefined : answer, error ? undefined : family, host);
      if (!this.connecting || this.destroyed) return;
      if (error) {
        this.destroy(error);
        return;
      }
      const address = pickAddress(answer, host, port);
      if (address instanceof Error) this.destroy(address);
      else this.#connectTo(address, port, options.localAddress, localPort);
    });
    return this;
  }

  /** The connect itself, to an IP literal (straight away, or once a lookup answered). */
  #connectTo(address: string, port: number, localAddress: string | undefined, localPort: number): void {
    this.#connectTarget = { address, port };
    const session = this.#session;
    if (session.failed || session.closed) {
      this.#failSoon(session.goneError('connect'));
      return;
    }
    if (!isIpv4(address) || (localAddress !== undefined && !isIpv4(localAddress))) {
      this.#failSoon(systemError(-Errno.EAFNOSUPPORT, 'connect', { address, port, detail: '(IPv6 is not supported)' }));
      return;
    }
    if (port === UNLISTENABLE_PORT) {
      this.#failSoon(systemError(-Errno.ECONNREFUSED, 'connect', { address, port }));
      return;
    }
    const remote = resolveAddress(address, 'connect') as number;
    const local = localAddress === undefined ? 0 : resolveAddress(localAddress, 'connect') as number;
    // No poll first: the call carries the time, and a full table makes room itself (the oldest
    // closed-by-us connection goes, as Linux's orphan limit does).
    const handle = session.tcpConnect(remote, port, local, localPort);
    if (handle < 0) {
      this.#failSoon(session.failed ?? systemError(handle, 'connect', { address, port }));
      return;
    }
    this.#handle = handle;
    this.#learnEndpoints();
    this.#applyOptions();
    this.#processHold.update(!this.destroyed);
    session.register(handle, this, true);
    session.afterSend();
  }

  #failSoon(error: Error): void {
    queueMicrotask(() => this.destroy(error));
  }

  #applyOptions(): void {
    const session = this.#session;
    if (this.#noDelay) session.tcpSetOption(this.#handle, TcpOption.NoDelay, 1);
    if (this.#keepAliveMs > 0) session.tcpSetOption(this.#handle, TcpOption.KeepAlive, this.#keepAliveMs);
  }

  /**
   * Reads the connection's endpoints from the result block, which tcpConnect and tcpAccept leave
   * describing the connection they return (nothing calls the core between those and this).
   */
  #learnEndpoints(): void {
    const session = this.#session;
    const v = session.resultView();
    // Anything else there (it never is): ask.
    if (v.getInt32(layout.INFO_HANDLE, true) !== this.#handle && session.tcpDescribe(this.#handle) < 0) return;
    this.#numbers[LOCAL_ADDRESS] = v.getUint32(layout.INFO_LOCAL_ADDRESS, true);
    this.#localPort = v.getUint32(layout.INFO_LOCAL_PORT, true);
    this.#numbers[REMOTE_ADDRESS] = v.getUint32(layout.INFO_REMOTE_ADDRESS, true);
    this.#remotePort = v.getUint32(layout.INFO_REMOTE_PORT, true);
    this.#endpointsKnown = true;
  }

  /** The peer's address; kept after close, as Node keeps the peer it learned. */
  get remoteAddress(): string | undefined {
    if (!this.#endpointsKnown) return undefined;
    return (this.#remoteText ??= formatIpv4(this.#numbers[REMOTE_ADDRESS]));
  }

  get remotePort(): number | undefined {
    return this.#endpointsKnown ? this.#remotePort : undefined;
  }

  get remoteFamily(): 'IPv4' | undefined {
    return this.#endpointsKnown ? 'IPv4' : undefined;
  }

  // ---- the owner's check: re-read everything, act on it ----

  /** @internal */
  check(): void {
    if (this.destroyed || this.#handle === 0) return;
    const s = this.#net.describe(this.#handle);
    if (!s) {
      this.destroy(this.#session.goneError('read'));
      return;
    }
    // Read at once: the described state is reused by the next describe.
    const state = s.state;
    const pendingError = s.error;
    // What a read would find: nothing (EAGAIN) unless bytes, the peer's FIN or the end is there.
    const readable = s.rxBytes > 0 || (s.flags & layout.TCP_INFO_FLAG_PEER_FINISHED) !== 0 || state === layout.TCP_STATE_CLOSED;
    if (this.connecting) {
      if (isConnected(state)) {
        this.connecting = false;
        this.#touch();
        this.emit('connect');
        this.emit('ready');
        // Node's afterConnect starts reading unless paused: see the constructor.
        if (!this.isPaused()) this.read(0);
      } else if (state === layout.TCP_STATE_CLOSED) {
        const target = this.#connectTarget!;
        this.destroy(systemError(pendingError || -Errno.ECONNREFUSED, 'connect', target));
        return;
      } else {
        return;
      }
    }
    // A stale "nothing" (the 'connect' listener's calls ran the core) costs only the re-check
    // the events of that run bring.
    if (this.#readWanted && readable) this.#pull();
    if (this.destroyed) return;
    if (this.#pending) this.#continueWrite();
    if (this.destroyed) return;
    if (state === layout.TCP_STATE_CLOSED && pendingError !== 0 && !this.#readWanted) {
      // Reset or timed out while nobody was reading: the error is news of its own (Node emits it).
      this.destroy(systemError(pendingError, 'read'));
    }
  }

  /**
   * @internal The stack failed or closed. A trap is an error worth hearing about; stack.close() is
   * a deliberate close, like destroy(), so the socket just closes (as dgram sockets do).
   */
  onStackGone(error: Error): void {
    this.#handle = 0;
    const failed = this.#session.failed !== null;
    this.destroy(failed && this.listenerCount('error') > 0 ? error : undefined);
  }

  // ---- reading ----

  override _read(): void {
    this.#readWanted = true;
    if (!this.connecting) this.#pull();
  }

  /** Moves what the receive ring holds into the stream while it wants more. */
  #pull(): void {
    const session = this.#session;
    const handle = this.#handle;
    let consumed = false;
    while (this.#readWanted && !this.destroyed) {
      const n = session.tcpReadSpan(handle);
      if (n > 0) {
        const result = session.resultView();
        const ptr = result.getUint32(layout.RESULT_SPAN_PTR, true);
        // All that is queued, with more to come only from the peer: another span now would be
        // EAGAIN, so this pull ends here (what arrives later brings its own event).
        const drained = n === result.getUint32(layout.RESULT_SPAN_TOTAL, true) && result.getUint32(layout.RESULT_SPAN_FINAL, true) === 0;
        const chunk = session.copyOut(ptr, n);
        session.tcpReadConsume(handle, n);
        consumed = true;
        this.#numbers[BYTES_READ] += n;
        this.#touch();
        if (!this.push(chunk)) this.#readWanted = false;
        if (drained) break;
      } else if (n === 0) {
        this.#readWanted = false;
        this.push(null);
        // As Node's onStreamRead does after EOF: with nothing buffered, 'end' comes now, without
        // waiting for a reader.
        this.read(0);
      } else if (n === -Errno.EAGAIN) {
        break;
      } else {
        this.#readWanted = false;
        this.destroy(session.failed ?? systemError(n, 'read'));
      }
    }
    // Reading may have opened the window: the update goes out with the next poll.
    if (consumed) session.afterSend();
  }

  // ---- writing ----

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: Callback): void {
    this.#pending = { chunk, offset: 0, callback };
    this.#continueWrite();
  }

  /** Copies as much of the pending chunk as the send ring takes; the rest waits for room. */
  #continueWrite(): void {
    const p = this.#pending;
    if (!p) return;
    const session = this.#session;
    const handle = this.#handle;
    const memory = session.memoryBytes;
    let wrote = false;
    while (p.offset < p.chunk.length) {
      const n = session.tcpWriteSpan(handle);
      if (n === -Errno.EAGAIN) break;
      if (n < 0) {
        this.#pending = null;
        const error = session.failed ?? systemError(n === -Errno.EPIPE ? -Errno.EPIPE : n, 'write');
        p.callback(error);
        return;
      }
      const take = Math.min(n, p.chunk.length - p.offset);
      const ptr = session.resultView().getUint32(layout.RESULT_SPAN_PTR, true);
      copyRange(p.chunk, p.offset, memory, ptr, take);
      session.tcpWriteCommit(handle, take);
      p.offset += take;
      this.#numbers[BYTES_COMMITTED] += take;
      wrote = true;
    }
    if (wrote) {
      this.#touch();
      session.afterSend();
    }
    if (p.offset === p.chunk.length) {
      this.#pending = null;
      p.callback();
    }
  }

  override _final(callback: Callback): void {
    if (this.#handle === 0) {
      callback();
      return;
    }
    const r = this.#session.tcpShutdown(this.#handle);
    this.#session.afterSend();
    callback(r < 0 && r !== -Errno.ENOTCONN ? systemError(r, 'shutdown') : null);
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.#clearTimer();
    this.#signalCleanup?.();
    this.#signalCleanup = undefined;
    this.#processHold.update(false);
    const handle = this.#handle;
    this.#handle = 0;
    this.connecting = false;
    const pending = this.#pending;
    this.#pending = null;
    if (handle !== 0) {
      const session = this.#session;
      session.unregister(handle);
      if (this.#reset) session.tcpAbort(handle);
      else session.tcpClose(handle);
      session.afterSend();
    }
    if (pending) pending.callback(error ?? plainError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
    callback(error);
    // After the 'error' the stream schedules (a tick), as Node emits close(hadError) once the
    // handle is closed.
    const hadError = error !== null && error !== undefined;
    nextTick(() => {
      // Before the socket's own 'close', as the server's count drops first in Node.
      this.#acceptedBy?.connectionClosed();
      this.emit('close', hadError);
    });
  }

  /** Closes with a RST instead of a FIN (Node's resetAndDestroy). */
  resetAndDestroy(): this {
    this.#reset = true;
    this.destroy();
    return this;
  }

  // ---- options ----

  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    if (this.#handle !== 0) this.#setOption(TcpOption.NoDelay, noDelay ? 1 : 0);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAliveMs = enable ? keepAliveDelayMs(initialDelay) : 0;
    if (this.#handle !== 0) this.#setOption(TcpOption.KeepAlive, this.#keepAliveMs);
    return this;
  }

  /** Sets a core option and polls soon: the option may move a deadline (keep-alive) or free a send (Nagle). */
  #setOption(option: number, value: number): void {
    this.#session.tcpSetOption(this.#handle, option, value);
    this.#session.afterSend();
  }

  /**
   * Emits 'timeout' after `msecs` of inactivity (0 turns it off); the socket stays open, as in
   * Node. Node's checks: a number, finite and not negative (setTimeout(Infinity) is a RangeError),
   * more than 2^31-1 ms cut to that with a TimeoutOverflowWarning.
   */
  setTimeout(msecs: number, callback?: () => void): this {
    const ms = timerDurationMs(msecs, 'msecs');
    // Node arms the timer before it checks the callback (a bad callback throws, the timeout stays).
    this.timeout = msecs;
    this.#timeoutMs = ms;
    this.#touch();
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#touch();
    return this;
  }

  #touch(): void {
    this.#clearTimer();
    if (this.#timeoutMs === 0 || this.destroyed) return;
    const clock = this.#session.clock;
    this.#timer = clock.setTimer(clock.now() + this.#timeoutMs * MICROS_PER_MS, this.#onIdle);
    clock.unref?.(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#session.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The local endpoint while the socket has its connection; as in Node (which asks the closed
   * handle), nothing once destroyed. The remote fields stay, as Node keeps the peer it learned.
   */
  address(): AddressInfo | Record<string, never> {
    if (!this.#endpointsKnown || this.destroyed) return {};
    return { address: this.#localAddressText(), family: 'IPv4', port: this.#localPort };
  }

  get localAddress(): string | undefined {
    return !this.#endpointsKnown || this.destroyed ? undefined : this.#localAddressText();
  }

  get localPort(): number | undefined {
    return !this.#endpointsKnown || this.destroyed ? undefined : this.#localPort;
  }

  get localFamily(): 'IPv4' | undefined {
    return !this.#endpointsKnown || this.destroyed ? undefined : 'IPv4';
  }

  #localAddressText(): string {
    return (this.#localText ??= formatIpv4(this.#numbers[LOCAL_ADDRESS]));
  }

  /** Ends the writable side, then destroys once it has finished (Node's destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Deprecated in Node (writableLength): bytes the stream holds that are not in the send ring yet. */
  get bufferSize(): number {
    const pending = this.#pending ? this.#pending.chunk.length - this.#pending.offset : 0;
    return pending + this.writableLength;
  }

  get bytesWritten(): number {
    const pending = this.#pending ? this.#pending.chunk.length - this.#pending.offset : 0;
    return this.#numbers[BYTES_COMMITTED] + pending + this.writableLength;
  }

  /** Bytes received and handed to the stream. */
  get bytesRead(): number {
    return this.#numbers[BYTES_READ];
  }

  get pending(): boolean {
    return this.#handle === 0 || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  ref(): this {
    this.#processHold.setRefed(true, !this.destroyed);
    return this;
  }

  unref(): this {
    this.#processHold.setRefed(false, !this.destroyed);
    return this;
  }
}

export class Server extends EventEmitter implements SocketOwner {
  /** Beyond this many connections, new ones are reset and 'drop' is emitted (as Node). */
  maxConnections: number | undefined;
  readonly #net: NetContext;
  readonly #options: ServerOpts;
  #handle = 0;
  #address: AddressInfo | null = null;
  /**
   * Accepted sockets not yet closed (a count, as Node's _connections: a Set churned per connection
   * kept garbage alive, see owner-table.ts).
   */
  #connections = 0;
  /** Holds the process while ref'd and listening (as Node's servers do). */
  readonly #processHold: ProcessHold;
  /** What every accepted socket is made with (from the server's options, fixed at creation). */
  readonly #acceptOptions: AcceptOpts;

  /** @internal Use stack.net.createServer. */
  constructor(net: NetContext, options: ServerOpts = {}, connectionListener?: (socket: Socket) => void) {
    super();
    this.#net = net;
    this.#processHold = new ProcessHold(net.session.keepAlive);
    this.#options = options;
    this.#acceptOptions = {
      allowHalfOpen: options.allowHalfOpen === true, pauseOnCreate: options.pauseOnConnect === true,
      noDelay: options.noDelay === true, keepAlive: options.keepAlive === true, keepAliveInitialDelay: options.keepAliveInitialDelay ?? 0,
      ...streamBufferOptions(options),
    };
    if (connectionListener) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.#handle !== 0;
  }

  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(options: ListenOptions, listeningListener?: () => void): this;
  listen(listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    const [options, listener] = normalizeListenArgs(args);
    if (this.#handle !== 0) throw plainError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    const port = options.port === undefined || options.port === null ? 0 : checkPort(options.port, true, 'options.port');
    checkAddressType(options.host, 'options.host');
    const host = options.host || ANY;
    if (listener) this.once('listening', listener);
    const session = this.#net.session;
    const emitError = (error: Error): void => { nextTick(() => this.emit('error', error)); };
    if (options.signal?.aborted) return this;
    if (session.failed || session.closed) {
      emitError(session.goneError('listen'));
      return this;
    }
    if (isIpv6(host)) {
      emitError(systemError(-Errno.EAFNOSUPPORT, 'listen', { address: host, port, detail: '(IPv6 is not supported)' }));
      return this;
    }
    const address = resolveAddress(host, 'listen');
    if (address instanceof Error) {
      emitError(address);
      return this;
    }
    const backlog = coreBacklog(options.backlog);
    const handle = session.tcpListen(address, port, backlog);
    if (handle < 0) {
      emitError(session.failed ?? systemError(handle, 'listen', { address: host, port }));
      return this;
    }
    this.#handle = handle;
    const e = this.#net.endpoints(handle);
    this.#address = e ? e.local : { address: host, family: 'IPv4', port };
    this.#processHold.update(this.#handle !== 0);
    session.register(handle, this);
    if (options.signal) {
      const signal = options.signal;
      const onAbort = (): void => { this.close(); };
      signal.addEventListener('abort', onAbort, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    nextTick(() => { if (this.#handle === handle) this.emit('listening'); });
    return this;
  }

  /** @internal Accepts every connection waiting. */
  check(): void {
    if (this.#handle === 0) return;
    const session = this.#net.session;
    for (;;) {
      const h = session.tcpAccept(this.#handle);
      if (h < 0) break;
      if (this.maxConnections !== undefined && this.maxConnections !== null && this.#connections >= this.maxConnections) {
        // As Node: the new connection's handle is closed (a FIN, not a RST) and 'drop' says who it was.
        const e = this.#net.endpoints(h);
        session.tcpClose(h);
        session.afterSend();
        this.emit('drop', e ? {
          localAddress: e.local.address, localPort: e.local.port, localFamily: 'IPv4',
          remoteAddress: e.remote.address, remotePort: e.remote.port, remoteFamily: 'IPv4',
        } : undefined);
        continue;
      }
      const socket = new Socket(this.#net, this.#acceptOptions, h, this);
      this.#connections++;
      this.emit('connection', socket);
    }
  }

  /** @internal The stack failed (an error, if anyone listens) or closed (the server just closes). */
  onStackGone(error: Error): void {
    this.#handle = 0;
    this.#processHold.update(false);
    const failed = this.#net.session.failed !== null;
    if (failed) nextTick(() => { if (this.listenerCount('error') > 0) this.emit('error', error); });
    // Now, not in that tick: the accepted sockets told of the same end may already have counted
    // themselves out in ticks of their own (owners hear of it in handle order, not by age), and
    // a count of 0 seen then as well would emit 'close' twice. 'close' still follows 'error'.
    this.#emitCloseIfDrained();
  }

  address(): AddressInfo | null {
    return this.#handle === 0 ? null : this.#address;
  }

  /**
   * Stops accepting; 'close' (and the callback) once every connection it accepted has closed. As
   * Node's: on a server that is not listening the callback gets ERR_SERVER_NOT_RUNNING, and 'close'
   * is still emitted.
   */
  close(callback?: Callback): this {
    if (typeof callback === 'function') {
      if (this.#handle === 0) this.once('close', () => callback(plainError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      else this.once('close', callback);
    }
    if (this.#handle !== 0) {
      const session = this.#net.session;
      session.unregister(this.#handle);
      session.tcpClose(this.#handle);
      session.afterSend();
      this.#handle = 0;
      this.#processHold.update(false);
    }
    this.#emitCloseIfDrained();
    return this;
  }

  /** @internal An accepted socket closed: it no longer counts (Node's _connections--). */
  connectionClosed(): void {
    this.#connections--;
    this.#emitCloseIfDrained();
  }

  #emitCloseIfDrained(): void {
    if (this.#handle !== 0 || this.#connections > 0) return;
    nextTick(() => this.emit('close'));
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    const n = this.#connections;
    queueMicrotask(() => callback(null, n));
    return this;
  }

  ref(): this {
    this.#processHold.setRefed(true, this.#handle !== 0);
    return this;
  }

  unref(): this {
    this.#processHold.setRefed(false, this.#handle !== 0);
    return this;
  }
}

/**
 * `stack.net.Socket` and `stack.net.Server`: constructors bound to one stack whose instances are
 * plain Sockets and Servers, so the sockets of every stack in a process share one hidden class. A
 * class extending Socket per stack gave each stack's sockets a map of their own: after a few stacks
 * in one process the socket methods' field accesses turned megamorphic and a 1-byte echo became up
 * to twice as slow (`--log-ic`: the #handle, #pending, #readWanted sites went polymorphic, then
 * megamorphic). Like node:net's, they also work without `new`; a subclass (`class extends
 * stack.net.Socket`) gets its own prototype through new.target.
 */
function boundConstructor<T extends object, A extends unknown[]>(
  name: string, Base: new (...args: never[]) => T, bind: (...args: A) => unknown[],
): new (...args: A) => T {
  const Bound = function (this: unknown, ...args: A): T {
    const target = new.target === undefined || new.target === Bound ? Base : new.target;
    return Reflect.construct(Base, bind(...args), target) as T;
  };
  Object.defineProperty(Bound, 'prototype', { value: Base.prototype, writable: false });
  Object.defineProperty(Bound, 'name', { value: name });
  return Bound as unknown as new (...args: A) => T;
}

/**
 * `stack.net`: what node:net exports, for this stack, so it can stand in for node:net where a
 * library takes a `net`-like module or a `createConnection` function. Every function is bound:
 * `const { connect } = stack.net` works as `net.connect` does.
 */
export class NetApi {
  /** `new stack.net.Socket()` then `socket.connect(...)`, as with node:net. */
  readonly Socket: new (options?: SocketConstructorOpts) => Socket;
  /** node:net's old alias of Socket. */
  readonly Stream: new (options?: SocketConstructorOpts) => Socket;
  readonly Server: new (options?: ServerOpts | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) => Server;
  readonly #net: NetContext;
  #autoSelectFamily = true;
  #autoSelectFamilyAttemptTimeout = DEFAULT_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT_MS;

  /** @internal */
  constructor(session: Session) {
    const net = new NetContext(session);
    this.#net = net;
    this.Socket = boundConstructor('Socket', Socket, (options?: SocketConstructorOpts) => [net, options]);
    this.Stream = this.Socket;
    // As node:net's Server: new Server(listener) or new Server(options, listener).
    this.Server = boundConstructor('Server', Server,
      (options?: ServerOpts | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) =>
        typeof options === 'function' ? [net, {}, options] : [net, options, connectionListener]);
    for (const name of ['createServer', 'connect', 'createConnection', 'isIP', 'isIPv4', 'isIPv6',
      'getDefaultAutoSelectFamily', 'setDefaultAutoSelectFamily',
      'getDefaultAutoSelectFamilyAttemptTimeout', 'setDefaultAutoSelectFamilyAttemptTimeout'] as const) {
      Object.defineProperty(this, name, { value: (this[name] as (...a: unknown[]) => unknown).bind(this), enumerable: true });
    }
  }

  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options?: ServerOpts, connectionListener?: (socket: Socket) => void): Server;
  createServer(a?: ServerOpts | ((socket: Socket) => void), b?: (socket: Socket) => void): Server {
    if (typeof a === 'function') return new this.Server({}, a);
    return new this.Server(a ?? {}, b);
  }

  connect(options: TcpSocketConnectOpts & SocketConstructorOpts, connectListener?: () => void): Socket;
  connect(port: number | string, host?: string, connectListener?: () => void): Socket;
  connect(port: number | string, connectListener?: () => void): Socket;
  connect(...args: unknown[]): Socket {
    // As node:net: the options object is also the socket's constructor options.
    const first = args[0];
    const options = typeof first === 'object' && first !== null ? first as SocketConstructorOpts : {};
    const socket = new this.Socket(options);
    return (socket.connect as (...a: unknown[]) => Socket)(...args);
  }

  createConnection(options: TcpSocketConnectOpts & SocketConstructorOpts, connectListener?: () => void): Socket;
  createConnection(port: number | string, host?: string, connectListener?: () => void): Socket;
  createConnection(port: number | string, connectListener?: () => void): Socket;
  createConnection(...args: unknown[]): Socket {
    return (this.connect as (...a: unknown[]) => Socket)(...args);
  }

  /** 4 for an IPv4 address, 6 for IPv6, else 0 (as net.isIP; the stack itself speaks IPv4 only). */
  isIP(input: unknown): 0 | 4 | 6 {
    return ipVersion(input);
  }

  isIPv4(input: unknown): boolean {
    return ipVersion(input) === 4;
  }

  isIPv6(input: unknown): boolean {
    return ipVersion(input) === 6;
  }

  /** Kept for code that sets it; with IPv4 only there is never a family to select between. */
  getDefaultAutoSelectFamily(): boolean {
    return this.#autoSelectFamily;
  }

  setDefaultAutoSelectFamily(value: boolean): void {
    if (typeof value !== 'boolean') throw invalidArgType('value', 'of type boolean', value);
    this.#autoSelectFamily = value;
  }

  getDefaultAutoSelectFamilyAttemptTimeout(): number {
    return this.#autoSelectFamilyAttemptTimeout;
  }

  setDefaultAutoSelectFamilyAttemptTimeout(value: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw outOfRange('value', '>= 1', value);
    this.#autoSelectFamilyAttemptTimeout = Math.max(value, MIN_AUTO_SELECT_FAMILY_ATTEMPT_TIMEOUT_MS);
  }
}

/**
 * connect's argument forms, as node:net's normalizeArgs reads them: (options[, cb]),
 * (port[, host][, cb]); a first argument that is a non-numeric string is an IPC path, which a
 * TCP/IP stack cannot open (a clear error, not a silent TCP connect).
 */
function normalizeConnectArgs(args: unknown[]): [TcpSocketConnectOpts, (() => void) | undefined] {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? last as () => void : undefined;
  const first = args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as TcpSocketConnectOpts & { path?: unknown };
    // http.Agent passes `path: null`; only a real path means IPC.
    if (o.path !== undefined && o.path !== null && o.path !== '') throw ipcUnsupported('options.path', o.path);
    return [o, listener];
  }
  if (typeof first === 'string' && first.trim() !== '' && Number.isNaN(Number(first))) throw ipcUnsupported('path', first);
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return [{ port: first as number, host }, listener];
}

function ipcUnsupported(name: string, value: unknown): Error {
  return invalidArgType(name, 'undefined: IPC (Unix domain sockets and named pipes) is not supported by a TCP/IP stack', value);
}

/** listen's argument forms: (port[, host][, backlog][, cb]), (options[, cb]), (cb). */
function normalizeListenArgs(args: unknown[]): [ListenOptions, (() => void) | undefined] {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? last as () => void : undefined;
  const rest = listener ? args.slice(0, -1) : args;
  const first = rest[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as ListenOptions & { path?: unknown; fd?: unknown; handle?: unknown; _handle?: unknown };
    if (o.path !== undefined && o.path !== null) throw ipcUnsupported('options.path', o.path);
    if (o.fd !== undefined || o.handle !== undefined || o._handle !== undefined) {
      throw invalidArgType('options', 'listen options with a port (listening on a handle or fd is not supported)', first);
    }
    return [o, listener];
  }
  if (typeof first === 'string' && first.trim() !== '' && Number.isNaN(Number(first))) throw ipcUnsupported('path', first);
  const options: ListenOptions = {};
  if (first !== undefined && first !== null) options.port = first as number;
  if (typeof rest[1] === 'string') {
    options.host = rest[1];
    if (typeof rest[2] === 'number') options.backlog = rest[2];
  } else if (typeof rest[1] === 'number') {
    options.backlog = rest[1];
  }
  return [options, listener];
}
