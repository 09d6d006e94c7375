// Node's dgram API over a wasmnet stack: `stack.dgram.createSocket('udp4')` returns a Socket with
// Node's shape (bind, send, connect, close, address, setBroadcast, 'message' with rinfo, 'listening',
// 'close', 'error'), so code written for node:dgram runs unchanged on top of a userspace stack.

import { ErrnoError, Errno, layout, SocketOption } from '../bindings/index.js';
import { parseIpv4, formatIpv4 } from './address.js';
import { Emitter } from './emitter.js';
import type { Stack, SocketOwner } from './stack.js';

export interface RemoteInfo {
  address: string;
  family: 'IPv4';
  port: number;
  size: number;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

export interface SocketOptions {
  type: 'udp4';
}

type SendCallback = (error: Error | null, bytes?: number) => void;
type Message = string | Uint8Array | DataView | ReadonlyArray<string | Uint8Array | DataView>;

/** Datagrams one socket may have waiting for room before sends fail with ENOBUFS. */
const MAX_BLOCKED_SENDS = 1024;

interface BlockedSend {
  bytes: Uint8Array;
  address: number;
  port: number;
  report(error: Error | null, sent?: number): void;
}

const LOCALHOST = '127.0.0.1';
const ANY = '0.0.0.0';
const MAX_PORT = 0xffff;

class NodeStyleError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function toBytes(message: Message): Uint8Array {
  const one = (m: string | Uint8Array | DataView): Uint8Array =>
    typeof m === 'string' ? new TextEncoder().encode(m)
      : m instanceof Uint8Array ? m
      : new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
  if (typeof message === 'string' || message instanceof Uint8Array || message instanceof DataView) return one(message);
  if (!Array.isArray(message)) {
    throw new NodeStyleError('ERR_INVALID_ARG_TYPE', 'The "msg" argument must be a string, Buffer, TypedArray, DataView or an array of them');
  }
  const parts = message.map(one);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function checkPort(port: unknown, allowZero: boolean): number {
  const n = typeof port === 'string' && /^[0-9]+$/.test(port) ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > MAX_PORT) {
    throw new NodeStyleError('ERR_SOCKET_BAD_PORT', `Port should be > ${allowZero ? '=' : ''} 0 and < 65536. Received ${String(port)}.`);
  }
  return n;
}

function checkAddress(address: string, syscall: string): number {
  const value = parseIpv4(address === 'localhost' ? LOCALHOST : address);
  if (value === undefined) throw new ErrnoError(-Errno.EINVAL, syscall, `${address} is not an IPv4 address (names are not resolved yet)`);
  return value;
}

export class Socket extends Emitter implements SocketOwner {
  #handle = 0;
  #state: 'new' | 'bound' | 'closed' = 'new';
  /** Datagrams waiting for room in the stack (first one got ENOBUFS), oldest first. */
  #blocked: BlockedSend[] = [];
  #connected: AddressInfo | null = null;
  #refed = true;
  #holdsRef = false;

  constructor(readonly stack: Stack) {
    super();
  }

  /** bind([port][, address][, callback]) or bind(options[, callback]); port 0 or none: ephemeral. */
  bind(...args: unknown[]): this {
    let callback: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') callback = args.pop() as () => void;
    let port: unknown = 0;
    let address = ANY;
    if (typeof args[0] === 'object' && args[0] !== null) {
      const o = args[0] as { port?: unknown; address?: string };
      port = o.port ?? 0;
      address = o.address ?? ANY;
    } else {
      port = args[0] ?? 0;
      if (typeof args[1] === 'string') address = args[1];
    }
    if (this.#state !== 'new') throw new NodeStyleError('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    const p = checkPort(port, true);
    if (callback) this.once('listening', callback);
    this.#bindNow(address, p, (error) => {
      if (error) this.emit('error', error);
      else this.emit('listening');
    });
    return this;
  }

  /** Opens and binds the core socket; reports asynchronously, as Node does. */
  #bindNow(address: string, port: number, done: (error: Error | null) => void): boolean {
    const stack = this.stack;
    let error: Error | null = null;
    try {
      stack.assertUsable('bind');
      const value = checkAddress(address, 'bind');
      stack.pollQuietly();
      const handle = stack.call(() => stack.core.socketOpen(layout.SOCKET_KIND_UDP, stack.clock.now()));
      if (handle === undefined) throw stack.failed!;
      if (handle < 0) throw new ErrnoError(handle, 'bind');
      const r = stack.call(() => stack.core.socketBind(handle, value, port));
      if (r === undefined || r < 0) {
        stack.call(() => stack.core.socketClose(handle));
        if (r === undefined) throw stack.failed!;
        throw new ErrnoError(r, 'bind', `${address}:${port}`);
      }
      this.#handle = handle;
      this.#state = 'bound';
      stack.register(handle, this);
      this.#updateRef();
    } catch (e) {
      error = e as Error;
    }
    queueMicrotask(() => done(error));
    return error === null;
  }

  /** The bound address; throws ERR_SOCKET_DGRAM_NOT_RUNNING before bind. */
  address(): AddressInfo {
    const info = this.#info();
    return { address: formatIpv4(info.getUint32(layout.INFO_LOCAL_ADDRESS, true)), family: 'IPv4', port: info.getUint32(layout.INFO_LOCAL_PORT, true) };
  }

  remoteAddress(): AddressInfo {
    if (!this.#connected) throw new NodeStyleError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    return { ...this.#connected };
  }

  #info(): DataView {
    if (this.#state !== 'bound') throw new NodeStyleError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    this.stack.assertUsable('address');
    if (this.stack.core.socketDescribe(this.#handle) < 0) throw new ErrnoError(-Errno.EBADF, 'address');
    return this.stack.resultView();
  }

  /** connect(port[, address][, callback]): fixes the peer; only its datagrams are received. */
  connect(port: unknown, address?: string | (() => void), callback?: () => void): void {
    if (typeof address === 'function') { callback = address; address = undefined; }
    const p = checkPort(port, false);
    const host = address ?? LOCALHOST;
    if (this.#connected) throw new NodeStyleError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    if (callback) this.once('connect', callback);
    const go = () => {
      try {
        const value = checkAddress(host, 'connect');
        const r = this.stack.call(() => this.stack.core.socketConnect(this.#handle, value, p));
        if (r === undefined) throw this.stack.failed!;
        if (r < 0) throw new ErrnoError(r, 'connect');
        this.#connected = { address: formatIpv4(value), family: 'IPv4', port: p };
        queueMicrotask(() => this.emit('connect'));
      } catch (error) {
        queueMicrotask(() => this.emit('error', error));
      }
    };
    if (this.#state === 'new') this.#bindNow(ANY, 0, (error) => (error ? this.emit('error', error) : go()));
    else go();
  }

  disconnect(): void {
    if (!this.#connected) throw new NodeStyleError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.stack.call(() => this.stack.core.socketDisconnect(this.#handle));
    this.#connected = null;
  }

  /**
   * send(msg[, offset, length][, port][, address][, callback]). An unbound socket is bound to an
   * ephemeral port first. Errors go to the callback, or to 'error' without one.
   */
  send(message: Message, ...args: unknown[]): void {
    let callback: SendCallback | undefined;
    if (typeof args[args.length - 1] === 'function') callback = args.pop() as SendCallback;
    let bytes = toBytes(message);
    if (typeof args[0] === 'number' && typeof args[1] === 'number' && args.length >= 2 &&
        (args.length > 2 || this.#connected)) {
      const offset = args.shift() as number;
      const length = args.shift() as number;
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        throw new NodeStyleError('ERR_OUT_OF_RANGE', `offset ${offset} and length ${length} are outside the message`);
      }
      bytes = bytes.subarray(offset, offset + length);
    }
    let port = 0;
    let address = 0;
    if (this.#connected) {
      if (args[0] !== undefined && args[0] !== null) throw new NodeStyleError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    } else {
      port = checkPort(args[0], false);
      address = checkAddress(typeof args[1] === 'string' ? args[1] : LOCALHOST, 'send');
    }
    if (this.#state === 'closed') throw new NodeStyleError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    const report = (error: Error | null, sent?: number) => queueMicrotask(() => {
      if (callback) callback(error, sent);
      else if (error) this.emit('error', error);
    });
    if (this.#state === 'new') {
      if (!this.#bindNow(ANY, 0, (error) => { if (!error) this.emit('listening'); })) {
        report(new ErrnoError(-Errno.EMFILE, 'send'));
        return;
      }
    }
    if (this.#blocked.length === 0) {
      const r = this.#sendNow(bytes, address, port);
      if (r !== -Errno.ENOBUFS || this.stack.failed) {
        if (r < 0) report(new ErrnoError(r, 'send', address ? `${formatIpv4(address)}:${port}` : undefined));
        else report(null, r);
        return;
      }
    }
    // No room now (or others already wait): keep a copy in line until the core says there is.
    if (this.#blocked.length >= MAX_BLOCKED_SENDS) {
      report(new ErrnoError(-Errno.ENOBUFS, 'send', '(too many datagrams waiting for room)'));
      return;
    }
    this.#blocked.push({ bytes: Uint8Array.from(bytes), address, port, report });
  }

  /**
   * Sends the waiting datagrams in order. One that finds no room (ENOBUFS) stays first in line
   * until the core's writable event says there is room again, so datagrams are never reordered.
   */
  #sendBlocked(): void {
    while (this.#blocked.length > 0 && this.#state === 'bound') {
      const next = this.#blocked[0]!;
      const r = this.#sendNow(next.bytes, next.address, next.port);
      if (r === -Errno.ENOBUFS && !this.stack.failed) return;
      this.#blocked.shift();
      if (r < 0) {
        next.report(new ErrnoError(r, 'send', next.address ? `${formatIpv4(next.address)}:${next.port}` : undefined));
      } else {
        next.report(null, r);
      }
    }
  }

  #sendNow(bytes: Uint8Array, address: number, port: number): number {
    const stack = this.stack;
    if (stack.failed) return -Errno.EIO;
    if (bytes.length > stack.ioBytes) return -Errno.EMSGSIZE;
    const attempt = () => {
      stack.ioView(bytes.length).set(bytes);
      return stack.call(() => stack.core.socketSend(this.#handle, address, port, bytes.length, stack.clock.now())) ?? -Errno.EIO;
    };
    let r = attempt();
    if (r === -Errno.ENOBUFS) {
      // The transmit queue or the loopback ring is full: let the stack move them on, then retry
      // once. Quietly: a looped datagram lands in its socket's queue (or is dropped and counted
      // there, as Linux does on a full receive buffer), never in a 'message' inside this send.
      stack.flushTransmit();
      stack.pollQuietly();
      stack.flushTransmit();
      r = attempt();
    }
    stack.flushTransmit();
    stack.requestPoll();
    return r;
  }

  setBroadcast(flag: boolean): void {
    if (this.#state !== 'bound') throw new ErrnoError(-Errno.EBADF, 'setBroadcast');
    const r = this.stack.call(() => this.stack.core.socketSetOption(this.#handle, SocketOption.Broadcast, flag ? 1 : 0));
    if (r !== undefined && r < 0) throw new ErrnoError(r, 'setBroadcast');
  }

  close(callback?: () => void): this {
    if (this.#state === 'closed') throw new NodeStyleError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
    if (callback) this.once('close', callback);
    if (this.#handle !== 0) {
      this.stack.call(() => this.stack.core.socketClose(this.#handle));
      this.stack.unregister(this.#handle);
    }
    this.#state = 'closed';
    this.#updateRef();
    this.#failBlocked();
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  #failBlocked(): void {
    for (const waiting of this.#blocked.splice(0)) waiting.report(new ErrnoError(-Errno.EBADF, 'send', '(socket closed)'));
  }

  ref(): this { this.#refed = true; this.#updateRef(); return this; }
  unref(): this { this.#refed = false; this.#updateRef(); return this; }

  #updateRef(): void {
    const want = this.#refed && this.#state === 'bound';
    if (want && !this.#holdsRef) this.stack.keepAlive.acquire();
    if (!want && this.#holdsRef) this.stack.keepAlive.release();
    this.#holdsRef = want;
  }

  // ---- SocketOwner ----

  onReadable(): void {
    const stack = this.stack;
    while (this.#state === 'bound') {
      const ptr = stack.call(() => stack.core.socketRecv(this.#handle));
      if (ptr === undefined || ptr < 0) return;
      const r = stack.resultView();
      const address = formatIpv4(r.getUint32(layout.RESULT_ADDRESS, true));
      const port = r.getUint32(layout.RESULT_PORT, true);
      const size = r.getUint32(layout.RESULT_LENGTH, true);
      const data = stack.copyOut(ptr, size);
      stack.call(() => stack.core.socketRecvDone(this.#handle));
      this.emit('message', data, { address, family: 'IPv4', port, size } satisfies RemoteInfo);
    }
  }

  onWritable(): void {
    this.#sendBlocked();
  }

  onError(errno: number): void {
    // Reported here, so clear the core's pending copy (SO_ERROR is read once).
    this.stack.call(() => this.stack.core.socketError(this.#handle));
    this.emit('error', new ErrnoError(errno, 'recvmsg'));
  }

  onStackGone(error: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#updateRef();
    this.#failBlocked();
    // A trap is an error worth hearing about; stack.close() is a deliberate close, like close().
    // Both asynchronously, as socket.close() does.
    const failed = this.stack.failed !== null;
    queueMicrotask(() => {
      if (failed && this.listenerCount('error') > 0) this.emit('error', error);
      this.emit('close');
    });
  }
}

/** `stack.dgram`: Node's dgram module shape for this stack. */
export class DgramApi {
  constructor(readonly stack: Stack) {}

  createSocket(type: 'udp4' | SocketOptions, listener?: (message: Uint8Array, rinfo: RemoteInfo) => void): Socket {
    const t = typeof type === 'string' ? type : type?.type;
    if (t !== 'udp4') {
      throw new NodeStyleError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4 (udp6 is not supported yet)');
    }
    const socket = new Socket(this.stack);
    if (listener) socket.on('message', listener);
    return socket;
  }
}
