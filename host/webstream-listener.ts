// `stack.openTcp` and `stack.listenTcp`: TCP as web streams (host/webstream-connection.ts). A
// listener is an async iterable of accepted connections. It accepts only when someone asks for
// the next one, so connections nobody takes wait in the core's bounded backlog (a full backlog
// answers further SYNs with RST), never in a host-side list.

import { Errno, TcpOption } from '../bindings/index.js';
import type { SocketOwner } from './session.js';
import { NetContext } from './net.js';
import type { Session } from './session.js';
import { LOCALHOST, checkPort, checkAddressType, resolveAddress } from './endpoints.js';
import { systemError, invalidArgType, outOfRange } from './errors.js';
import { ProcessHold } from './keepalive.js';
import { TcpConnection, DEFAULT_WRITABLE_HIGH_WATER_MARK } from './webstream-connection.js';

const ANY = '0.0.0.0';
/** The core takes backlogs as 32-bit integers: larger values saturate. */
const MAX_CORE_INT = 0x7fff_ffff;
/** The largest highWaterMark accepted: a queue above the send ring beyond 1 GiB is a mistake. */
const MAX_HIGH_WATER_MARK = 2 ** 30;

export interface OpenTcpOptions {
  /** Dotted quad or 'localhost'. Default 'localhost'. */
  host?: string;
  port: number | string;
  localAddress?: string;
  localPort?: number;
  /** Turn off Nagle's algorithm. Default false. */
  noDelay?: boolean;
  /** Bytes the writable queues above the send ring before `writer.ready` waits. Default 16384. */
  writableHighWaterMark?: number;
}

export interface ListenTcpOptions {
  /** Default 0: an ephemeral port (see `localPort`). */
  port?: number | string;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Connections the core holds until accepted (0 or unset: the core's default). */
  backlog?: number;
  noDelay?: boolean;
  writableHighWaterMark?: number;
}

function checkOptionsObject(options: unknown, name: string): void {
  if (options === null || typeof options !== 'object') throw invalidArgType(name, 'of type object', options);
}

function highWaterMarkOf(value: unknown): number {
  if (value === undefined) return DEFAULT_WRITABLE_HIGH_WATER_MARK;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_HIGH_WATER_MARK) {
    throw outOfRange('options.writableHighWaterMark', `an integer >= 0 and <= ${MAX_HIGH_WATER_MARK}`, value);
  }
  return value;
}

/** Opens a connection; resolves once established, rejects with ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH... */
export async function openTcp(net: NetContext, options: OpenTcpOptions): Promise<TcpConnection> {
  checkOptionsObject(options, 'options');
  const port = checkPort(options.port, false, 'options.port');
  checkAddressType(options.host, 'options.host');
  checkAddressType(options.localAddress, 'options.localAddress');
  const writableHighWaterMark = highWaterMarkOf(options.writableHighWaterMark);
  const localPort = options.localPort === undefined ? 0 : checkPort(options.localPort, true, 'options.localPort');
  const address = !options.host || options.host === 'localhost' ? LOCALHOST : options.host;
  const session = net.session;
  if (session.failed || session.closed) throw session.goneError('connect');
  const remote = resolveAddress(address, 'connect');
  if (remote instanceof Error) throw remote;
  let local = 0;
  if (options.localAddress !== undefined) {
    const l = resolveAddress(options.localAddress, 'connect');
    if (l instanceof Error) throw l;
    local = l;
  }
  const handle = session.tcpConnect(remote, port, local, localPort);
  if (handle < 0) throw session.failed ?? systemError(handle, 'connect', { address, port });
  const connection = await new Promise<TcpConnection>((resolve, reject) => {
    const c = new TcpConnection({ net, handle, writableHighWaterMark, opening: { address, port, resolve, reject } });
    if (options.noDelay) c.setOption(TcpOption.NoDelay, 1);
    session.afterSend();
  });
  return connection;
}

/** A TCP listener: `for await (const connection of listener)`; close() stops accepting. */
export class TcpListener implements SocketOwner, AsyncIterableIterator<TcpConnection> {
  readonly localAddress: string;
  readonly localPort: number;
  readonly #net: NetContext;
  readonly #options: ListenTcpOptions;
  readonly #writableHighWaterMark: number;
  #handle: number;
  /** next() calls waiting for a connection, oldest first. */
  readonly #waiting: { resolve: (r: IteratorResult<TcpConnection>) => void; reject: (e: Error) => void }[] = [];
  /** Set when the listener ended by a failure: later next() calls reject with it. */
  #error: Error | null = null;
  /** Holds the process while the listener is open. */
  readonly #processHold: ProcessHold;

  /** @internal Use stack.listenTcp. */
  constructor(net: NetContext, handle: number, options: ListenTcpOptions, writableHighWaterMark: number) {
    this.#net = net;
    this.#handle = handle;
    this.#options = options;
    this.#writableHighWaterMark = writableHighWaterMark;
    const e = net.endpoints(handle);
    this.localAddress = e?.local.address ?? ANY;
    this.localPort = e?.local.port ?? 0;
    this.#processHold = new ProcessHold(net.session.keepAlive);
    this.#processHold.update(true);
    net.session.register(handle, this);
  }

  /** The next accepted connection; done once the listener is closed. */
  next(): Promise<IteratorResult<TcpConnection>> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#handle === 0) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.check();
    });
  }

  /** Leaving a for-await loop closes the listener (connections already accepted stay open). */
  return(): Promise<IteratorResult<TcpConnection>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** @internal Hands waiting connections to waiting next() calls. */
  check(): void {
    const session = this.#net.session;
    while (this.#handle !== 0 && this.#waiting.length > 0) {
      const handle = session.tcpAccept(this.#handle);
      if (handle === -Errno.EAGAIN) return;
      if (handle < 0) {
        this.#end(session.failed ?? systemError(handle, 'accept'));
        return;
      }
      const connection = new TcpConnection({ net: this.#net, handle, writableHighWaterMark: this.#writableHighWaterMark });
      if (this.#options.noDelay) connection.setOption(TcpOption.NoDelay, 1);
      this.#waiting.shift()!.resolve({ done: false, value: connection });
    }
  }

  /** @internal A closed stack ends the iteration; a trapped one rejects it. */
  onStackGone(error: Error): void {
    this.#handle = 0;
    this.#end(this.#net.session.failed ? error : null);
  }

  /** Stops accepting at once: the port is free again, waiting next() calls end. */
  close(): void {
    const handle = this.#handle;
    if (handle === 0) return;
    const session = this.#net.session;
    session.unregister(handle);
    session.tcpClose(handle);
    session.afterSend();
    this.#end(null);
  }

  #end(error: Error | null): void {
    this.#processHold.update(false);
    this.#handle = 0;
    this.#error = error;
    for (const w of this.#waiting.splice(0)) {
      if (error) w.reject(error);
      else w.resolve({ done: true, value: undefined });
    }
  }
}

/** Starts listening at once; throws EADDRINUSE, EMFILE, EBADF (closed stack) as stack.net's listen reports them. */
export function listenTcp(net: NetContext, options: ListenTcpOptions = {}): TcpListener {
  checkOptionsObject(options, 'options');
  const port = options.port === undefined ? 0 : checkPort(options.port, true, 'options.port');
  checkAddressType(options.host, 'options.host');
  const writableHighWaterMark = highWaterMarkOf(options.writableHighWaterMark);
  const host = options.host || ANY;
  const session = net.session;
  if (session.failed || session.closed) throw session.goneError('listen');
  const address = resolveAddress(host, 'listen');
  if (address instanceof Error) throw address;
  const backlog = options.backlog === undefined ? 0 : Math.min(Math.max(1, Math.floor(Number(options.backlog))) || 0, MAX_CORE_INT);
  const handle = session.tcpListen(address, port, backlog);
  if (handle < 0) throw session.failed ?? systemError(handle, 'listen', { address: host, port });
  return new TcpListener(net, handle, options, writableHighWaterMark);
}

/** @internal What Stack exposes as openTcp / listenTcp. */
export class WebStreamsApi {
  readonly #net: NetContext;

  constructor(session: Session) {
    this.#net = new NetContext(session);
  }

  openTcp(options: OpenTcpOptions): Promise<TcpConnection> {
    return openTcp(this.#net, options);
  }

  listenTcp(options?: ListenTcpOptions): TcpListener {
    return listenTcp(this.#net, options);
  }
}
