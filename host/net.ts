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
import type { Session, SocketOwner } from './session.js';
import type { TimerHandle } from './clock.js';
import { LOCALHOST, checkPort, checkAddressType, resolveAddress } from './endpoints.js';
import { systemError, invalidArgType, plainError } from './errors.js';

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
}

export interface ServerOpts {
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
}

type Callback = (error?: Error | null) => void;

/** The parts of a connection's state the owners act on (from tcpDescribe). */
interface ConnectionState {
  state: number;
  flags: number;
  error: number;
}

/** @internal Connection handles and listener handles: what a Socket or Server needs from the stack. */
export class NetContext {
  constructor(readonly session: Session) {}

  describe(handle: number): ConnectionState | null {
    const r = this.session.tcpDescribe(handle);
    if (r < 0) return null;
    const v = this.session.resultView();
    return {
      state: v.getUint32(layout.INFO_STATE, true),
      flags: v.getUint32(layout.INFO_TCP_FLAGS, true),
      error: v.getInt32(layout.INFO_PENDING_ERROR, true),
    };
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

export class Socket extends Duplex implements SocketOwner {
  /** Bytes received and handed to the stream. */
  bytesRead = 0;
  connecting = false;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: 'IPv4' | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** The server that accepted this socket, if any. */
  server: Server | undefined;
  readonly #net: NetContext;
  #handle = 0;
  #committed = 0;
  #readWanted = false;
  #pending: { chunk: Uint8Array; offset: number; callback: Callback } | null = null;
  #reset = false;
  #noDelay = false;
  #keepAliveMs = 0;
  #timeoutMs = 0;
  #timer: TimerHandle | undefined;
  #refed = true;
  #holdsRef = false;
  #connectTarget: { address: string; port: number } | undefined;
  readonly #onIdle = (): void => {
    this.#timer = undefined;
    if (this.destroyed || this.#timeoutMs === 0) return;
    this.emit('timeout');
  };

  /** @internal Use stack.net.Socket / connect / createServer. */
  constructor(net: NetContext, options: SocketConstructorOpts = {}, acceptedHandle = 0) {
    // 'close' carries hadError, as Node's net.Socket emits it itself (see _destroy).
    super({ allowHalfOpen: options.allowHalfOpen === true, emitClose: false, autoDestroy: true, decodeStrings: true });
    this.#net = net;
    if (acceptedHandle !== 0) {
      this.#handle = acceptedHandle;
      this.#learnEndpoints();
      this.#hold();
      this.#net.session.register(acceptedHandle, this);
      // As Node's net does for a socket with a handle: start reading at once, so the peer's FIN
      // is seen (and 'end', then 'close', follow) even if nobody ever reads.
      this.read(0);
    }
  }

  get #session(): Session {
    return this.#net.session;
  }

  // ---- connect ----

  connect(options: TcpSocketConnectOpts, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [options, listener] = normalizeConnectArgs(args);
    if (listener) this.once('connect', listener);
    if (this.#handle !== 0 || this.connecting) throw systemError(-Errno.EISCONN, 'connect');
    const port = checkPort(options.port, false);
    checkAddressType(options.host, 'options.host');
    const host = options.host || 'localhost';
    const address = host === 'localhost' ? LOCALHOST : host;
    this.#connectTarget = { address, port };
    this.connecting = true;
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAliveMs = keepAliveDelayMs(options.keepAliveInitialDelay);
    if (options.timeout !== undefined) this.setTimeout(options.timeout);
    const session = this.#session;
    if (session.failed || session.closed) {
      this.#failSoon(session.goneError('connect'));
      return this;
    }
    const remote = resolveAddress(address, 'connect');
    if (remote instanceof Error) {
      this.#failSoon(remote);
      return this;
    }
    let local = 0;
    if (options.localAddress !== undefined) {
      const l = resolveAddress(options.localAddress, 'connect');
      if (l instanceof Error) {
        this.#failSoon(l);
        return this;
      }
      local = l;
    }
    const localPort = options.localPort === undefined ? 0 : checkPort(options.localPort, true, 'options.localPort');
    session.pollQuietly();
    const handle = session.tcpConnect(remote, port, local, localPort);
    if (handle < 0) {
      this.#failSoon(session.failed ?? systemError(handle, 'connect', { address, port }));
      return this;
    }
    this.#handle = handle;
    this.#learnEndpoints();
    this.#applyOptions();
    this.#hold();
    session.register(handle, this);
    session.afterSend();
    return this;
  }

  #failSoon(error: Error): void {
    queueMicrotask(() => this.destroy(error));
  }

  #applyOptions(): void {
    const session = this.#session;
    if (this.#noDelay) session.tcpSetOption(this.#handle, TcpOption.NoDelay, 1);
    if (this.#keepAliveMs > 0) session.tcpSetOption(this.#handle, TcpOption.KeepAlive, this.#keepAliveMs);
  }

  #learnEndpoints(): void {
    const e = this.#net.endpoints(this.#handle);
    if (!e) return;
    this.localAddress = e.local.address;
    this.localPort = e.local.port;
    this.remoteAddress = e.remote.address;
    this.remotePort = e.remote.port;
    this.remoteFamily = 'IPv4';
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
    if (this.connecting) {
      if (isConnected(s.state)) {
        this.connecting = false;
        this.#touch();
        this.emit('connect');
        this.emit('ready');
        // Node's afterConnect starts reading unless paused: see the constructor.
        if (!this.isPaused()) this.read(0);
      } else if (s.state === layout.TCP_STATE_CLOSED) {
        const target = this.#connectTarget!;
        this.destroy(systemError(s.error || -Errno.ECONNREFUSED, 'connect', target));
        return;
      } else {
        return;
      }
    }
    if (this.#readWanted) this.#pull();
    if (this.destroyed) return;
    if (this.#pending) this.#continueWrite();
    if (this.destroyed) return;
    if (s.state === layout.TCP_STATE_CLOSED && s.error !== 0 && !this.#readWanted) {
      // Reset or timed out while nobody was reading: the error is news of its own (Node emits it).
      this.destroy(systemError(s.error, 'read'));
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
        const ptr = session.resultView().getUint32(layout.RESULT_SPAN_PTR, true);
        const chunk = session.copyOut(ptr, n);
        session.tcpReadConsume(handle, n);
        consumed = true;
        this.bytesRead += n;
        this.#touch();
        if (!this.push(chunk)) this.#readWanted = false;
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
      memory.set(p.chunk.subarray(p.offset, p.offset + take), ptr);
      session.tcpWriteCommit(handle, take);
      p.offset += take;
      this.#committed += take;
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
    this.#release();
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
    nextTick(() => this.emit('close', hadError));
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

  /** Emits 'timeout' after `ms` of inactivity (0 turns it off); the socket stays open, as in Node. */
  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw invalidArgType('msecs', 'of type number', ms);
    this.#timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#touch();
    return this;
  }

  get timeout(): number | undefined {
    return this.#timeoutMs === 0 ? undefined : this.#timeoutMs;
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

  address(): AddressInfo | Record<string, never> {
    if (this.localAddress === undefined || this.localPort === undefined) return {};
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  get bytesWritten(): number {
    const pending = this.#pending ? this.#pending.chunk.length - this.#pending.offset : 0;
    return this.#committed + pending + this.writableLength;
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
    this.#refed = true;
    this.#hold();
    return this;
  }

  unref(): this {
    this.#refed = false;
    this.#release();
    return this;
  }

  #hold(): void {
    if (this.#refed && !this.#holdsRef && !this.destroyed) {
      this.#holdsRef = true;
      this.#session.keepAlive.acquire();
    }
  }

  #release(): void {
    if (this.#holdsRef) {
      this.#holdsRef = false;
      this.#session.keepAlive.release();
    }
  }
}

export class Server extends EventEmitter implements SocketOwner {
  /** Beyond this many connections, new ones are reset and 'drop' is emitted (as Node). */
  maxConnections: number | undefined;
  readonly #net: NetContext;
  readonly #options: ServerOpts;
  #handle = 0;
  #address: AddressInfo | null = null;
  readonly #connections = new Set<Socket>();
  #closeCallbacks: Callback[] = [];
  #closing = false;
  #refed = true;
  #holdsRef = false;

  /** @internal Use stack.net.createServer. */
  constructor(net: NetContext, options: ServerOpts = {}, connectionListener?: (socket: Socket) => void) {
    super();
    this.#net = net;
    this.#options = options;
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
    const port = options.port === undefined ? 0 : checkPort(options.port, true, 'options.port');
    checkAddressType(options.host, 'options.host');
    const host = options.host || ANY;
    if (listener) this.once('listening', listener);
    const session = this.#net.session;
    const emitError = (error: Error): void => { queueMicrotask(() => this.emit('error', error)); };
    if (session.failed || session.closed) {
      emitError(session.goneError('listen'));
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
    this.#hold();
    session.register(handle, this);
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  /** @internal Accepts every connection waiting. */
  check(): void {
    if (this.#handle === 0) return;
    const session = this.#net.session;
    for (;;) {
      const h = session.tcpAccept(this.#handle);
      if (h < 0) break;
      if (this.maxConnections !== undefined && this.#connections.size >= this.maxConnections) {
        const e = this.#net.endpoints(h);
        session.tcpAbort(h);
        session.afterSend();
        this.emit('drop', e ? {
          localAddress: e.local.address, localPort: e.local.port, localFamily: 'IPv4',
          remoteAddress: e.remote.address, remotePort: e.remote.port, remoteFamily: 'IPv4',
        } : undefined);
        continue;
      }
      const socket = new Socket(this.#net, { allowHalfOpen: this.#options.allowHalfOpen === true }, h);
      socket.server = this;
      if (this.#options.noDelay) socket.setNoDelay(true);
      if (this.#options.keepAlive) socket.setKeepAlive(true, this.#options.keepAliveInitialDelay ?? 0);
      this.#connections.add(socket);
      socket.once('close', () => {
        this.#connections.delete(socket);
        this.#maybeClosed();
      });
      this.emit('connection', socket);
    }
  }

  /** @internal The stack failed (an error, if anyone listens) or closed (the server just closes). */
  onStackGone(error: Error): void {
    this.#handle = 0;
    this.#release();
    const failed = this.#net.session.failed !== null;
    queueMicrotask(() => {
      if (failed && this.listenerCount('error') > 0) this.emit('error', error);
      this.#closing = true;
      this.#maybeClosed();
    });
  }

  address(): AddressInfo | null {
    return this.#handle === 0 ? null : this.#address;
  }

  /** Stops accepting; 'close' (and the callback) once every connection it accepted has closed. */
  close(callback?: Callback): this {
    if (this.#handle === 0) {
      if (callback) queueMicrotask(() => callback(plainError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      return this;
    }
    if (callback) this.#closeCallbacks.push(callback);
    const session = this.#net.session;
    session.unregister(this.#handle);
    session.tcpClose(this.#handle);
    session.afterSend();
    this.#handle = 0;
    this.#closing = true;
    this.#release();
    queueMicrotask(() => this.#maybeClosed());
    return this;
  }

  #maybeClosed(): void {
    if (!this.#closing || this.#connections.size > 0) return;
    this.#closing = false;
    const callbacks = this.#closeCallbacks;
    this.#closeCallbacks = [];
    this.emit('close');
    for (const cb of callbacks) cb();
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    const n = this.#connections.size;
    queueMicrotask(() => callback(null, n));
    return this;
  }

  ref(): this {
    this.#refed = true;
    this.#hold();
    return this;
  }

  unref(): this {
    this.#refed = false;
    this.#release();
    return this;
  }

  #hold(): void {
    if (this.#refed && !this.#holdsRef && this.#handle !== 0) {
      this.#holdsRef = true;
      this.#net.session.keepAlive.acquire();
    }
  }

  #release(): void {
    if (this.#holdsRef) {
      this.#holdsRef = false;
      this.#net.session.keepAlive.release();
    }
  }
}

/** `stack.net`: createServer, connect, createConnection, and the Socket and Server classes. */
export class NetApi {
  /** `new stack.net.Socket()` then `socket.connect(...)`, as with node:net. */
  readonly Socket: new (options?: SocketConstructorOpts) => Socket;
  readonly Server: new (options?: ServerOpts, connectionListener?: (socket: Socket) => void) => Server;
  readonly #net: NetContext;

  /** @internal */
  constructor(session: Session) {
    const net = new NetContext(session);
    this.#net = net;
    this.Socket = class extends Socket {
      constructor(options?: SocketConstructorOpts) { super(net, options); }
    };
    this.Server = class extends Server {
      constructor(options?: ServerOpts, connectionListener?: (socket: Socket) => void) { super(net, options, connectionListener); }
    };
  }

  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options?: ServerOpts, connectionListener?: (socket: Socket) => void): Server;
  createServer(a?: ServerOpts | ((socket: Socket) => void), b?: (socket: Socket) => void): Server {
    if (typeof a === 'function') return new Server(this.#net, {}, a);
    return new Server(this.#net, a ?? {}, b);
  }

  connect(options: TcpSocketConnectOpts & SocketConstructorOpts, connectListener?: () => void): Socket;
  connect(port: number | string, host?: string, connectListener?: () => void): Socket;
  connect(port: number | string, connectListener?: () => void): Socket;
  connect(...args: unknown[]): Socket {
    const first = args[0];
    const options = typeof first === 'object' && first !== null ? first as SocketConstructorOpts : {};
    const socket = new Socket(this.#net, { allowHalfOpen: options.allowHalfOpen === true });
    return (socket.connect as (...a: unknown[]) => Socket)(...args);
  }

  createConnection(options: TcpSocketConnectOpts & SocketConstructorOpts, connectListener?: () => void): Socket;
  createConnection(port: number | string, host?: string, connectListener?: () => void): Socket;
  createConnection(port: number | string, connectListener?: () => void): Socket;
  createConnection(...args: unknown[]): Socket {
    return (this.connect as (...a: unknown[]) => Socket)(...args);
  }
}

/** connect's argument forms: (options[, cb]), (port[, host][, cb]). */
function normalizeConnectArgs(args: unknown[]): [TcpSocketConnectOpts, (() => void) | undefined] {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? last as () => void : undefined;
  const first = args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as TcpSocketConnectOpts & { path?: unknown };
    if (o.path !== undefined) throw invalidArgType('options.path', 'undefined (IPC is not supported)', o.path);
    return [o, listener];
  }
  if (typeof first === 'string' && !/^\d+$/.test(first.trim())) {
    throw invalidArgType('port', 'a number (IPC paths are not supported)', first);
  }
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return [{ port: first as number, host }, listener];
}

/** listen's argument forms: (port[, host][, backlog][, cb]), (options[, cb]), (cb). */
function normalizeListenArgs(args: unknown[]): [ListenOptions, (() => void) | undefined] {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? last as () => void : undefined;
  const rest = listener ? args.slice(0, -1) : args;
  const first = rest[0];
  if (typeof first === 'object' && first !== null) return [first as ListenOptions, listener];
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
