// Node's dgram API over a wasmnet stack: `stack.dgram.createSocket('udp4')` returns a Socket with
// Node's shape (bind, send, connect, close, address, setBroadcast, 'message' with rinfo, 'listening',
// 'connect', 'close', 'error'), so code written for node:dgram runs unchanged on top of a userspace
// stack. Argument checks follow Node's lib/dgram.js order and codes (tests/host/dgram-node.test.mjs
// runs the same cases against both).

import { Errno, layout, SocketOption } from '../bindings/index.js';
import { parseIpv4, formatIpv4 } from './address.js';
import { LOCALHOST, checkPort, checkAddressType, resolveAddress } from './endpoints.js';
import { Emitter } from './emitter.js';
import type { Session, SocketOwner } from './session.js';
import { ProcessHold } from './keepalive.js';
import { reportCallbackError } from './devices/endpoint.js';
import {
  systemError, invalidArgType, badPort, rangeError, typeError,
  socketNotRunning, socketIsConnected, socketNotConnected, socketAlreadyBound,
} from './errors.js';

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
type Chunk = string | ArrayBufferView;
type Message = Chunk | ReadonlyArray<Chunk>;

/** Datagrams one socket may have waiting for room before sends fail with ENOBUFS. */
const MAX_BLOCKED_SENDS = 1024;

const ANY = '0.0.0.0';
const MESSAGE_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

/** A datagram waiting for room (its first attempt got ENOBUFS), with where it goes. */
class BlockedSend {
  constructor(
    readonly bytes: Uint8Array,
    readonly address: number,
    readonly port: number,
    readonly callback: SendCallback | undefined,
  ) {}
}

const encoder = new TextEncoder();

/** One chunk as bytes, without copying a view's data; undefined when it is no chunk at all. */
function chunkBytes(chunk: unknown): Uint8Array | undefined {
  if (chunk instanceof Uint8Array) return chunk; // Buffer included: no view per send
  if (typeof chunk === 'string') return encoder.encode(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

/** Node's sliceBuffer: `offset` and `length` count bytes of the view (or of the UTF-8 string). */
function sliceMessage(message: unknown, offset: unknown, length: unknown): Uint8Array {
  const bytes = Array.isArray(message) ? undefined : chunkBytes(message);
  if (!bytes) throw invalidArgType('buffer', MESSAGE_TYPES, message);
  const start = Number(offset) >>> 0;
  const count = Number(length) >>> 0;
  if (start > bytes.byteLength) throw rangeError('ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
  if (start + count > bytes.byteLength) throw rangeError('ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
  return start === 0 && count === bytes.byteLength ? bytes : bytes.subarray(start, start + count);
}

/** The whole message as one byte view (an array of chunks is joined, every chunk checked first). */
function messageBytes(message: unknown): Uint8Array {
  if (!Array.isArray(message)) {
    const bytes = chunkBytes(message);
    if (!bytes) throw invalidArgType('buffer', MESSAGE_TYPES, message);
    return bytes;
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const chunk of message) {
    const bytes = chunkBytes(chunk);
    if (!bytes) throw invalidArgType('buffer list arguments', MESSAGE_TYPES, message);
    parts.push(bytes);
    total += bytes.byteLength;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** Node's validatePort: an integer (or a string of digits) from 0 (when allowed) to 65535. */
/** A call this stack does not support, as the system error Node would give for it on a socket without the feature. */
function unsupported(syscall: string, why: string): Error {
  return systemError(-Errno.EOPNOTSUPP, syscall, { detail: `(${why})` });
}

type ConnectState = 'disconnected' | 'connecting' | 'connected';

export class Socket extends Emitter implements SocketOwner {
  #handle = 0;
  #state: 'new' | 'bound' | 'closed' = 'new';
  /** Datagrams waiting for room in the stack (first one got ENOBUFS), oldest first. */
  #blocked: BlockedSend[] = [];
  #connectState: ConnectState = 'disconnected';
  #connected: AddressInfo | null = null;
  /** Holds the process while ref'd and bound (as Node's sockets do). */
  readonly #processHold: ProcessHold;

  /** @internal */
  constructor(private readonly session: Session) {
    super();
    this.#processHold = new ProcessHold(session.keepAlive);
  }

  /** bind([port][, address][, callback]) or bind(options[, callback]); port 0 or none: ephemeral. */
  bind(...args: unknown[]): this {
    if (this.#state === 'closed') throw socketNotRunning();
    if (this.#state !== 'new') throw socketAlreadyBound();
    let callback: (() => void) | undefined;
    if (typeof args[args.length - 1] === 'function') callback = args.pop() as () => void;
    let port: unknown = 0;
    let address: unknown = ANY;
    if (typeof args[0] === 'object' && args[0] !== null) {
      const o = args[0] as { port?: unknown; address?: unknown };
      port = o.port ?? 0;
      address = o.address || ANY;
    } else {
      port = args[0] ?? 0;
      if (typeof args[1] === 'string' && args[1] !== '') address = args[1];
    }
    checkAddressType(address);
    const p = checkPort(port, true);
    if (callback) this.once('listening', callback);
    const error = this.#bindNow(address as string, p);
    queueMicrotask(() => (error ? this.emit('error', error) : this.emit('listening')));
    return this;
  }

  /** Opens and binds the core socket; returns the error (reported asynchronously by the caller). */
  #bindNow(address: string, port: number): Error | null {
    const session = this.session;
    if (session.closed || session.failed) return session.goneError('bind');
    const value = resolveAddress(address, 'bind');
    if (typeof value !== 'number') return value;
    let handle: number;
    try {
      handle = session.openSocket(layout.SOCKET_KIND_UDP, 'bind');
    } catch (error) {
      return error as Error;
    }
    const r = session.socketBind(handle, value, port);
    if (r < 0) {
      session.closeSocket(handle);
      return session.failed ?? systemError(r, 'bind', { address, port });
    }
    this.#handle = handle;
    this.#state = 'bound';
    session.register(handle, this);
    this.#updateRef();
    return null;
  }

  /** The bound address; throws ERR_SOCKET_DGRAM_NOT_RUNNING before bind. */
  address(): AddressInfo {
    const info = this.#info();
    return { address: formatIpv4(info.getUint32(layout.INFO_LOCAL_ADDRESS, true)), family: 'IPv4', port: info.getUint32(layout.INFO_LOCAL_PORT, true) };
  }

  remoteAddress(): AddressInfo {
    if (!this.#connected) throw socketNotConnected();
    return { ...this.#connected };
  }

  #info(): DataView {
    if (this.#state !== 'bound') throw socketNotRunning();
    this.session.assertUsable('getsockname');
    const r = this.session.socketDescribe(this.#handle);
    if (this.session.failed) throw this.session.failed;
    if (r < 0) throw systemError(-Errno.EBADF, 'getsockname');
    return this.session.resultView();
  }

  /** connect(port[, address][, callback]): fixes the peer; only its datagrams are received. */
  connect(port: unknown, address?: unknown, callback?: () => void): void {
    const p = checkPort(port, false);
    if (typeof address === 'function') { callback = address as () => void; address = undefined; }
    checkAddressType(address);
    if (this.#connectState !== 'disconnected') throw socketIsConnected();
    if (this.#state === 'closed') throw socketNotRunning();
    const host = (address as string | undefined) || LOCALHOST;
    if (callback) this.once('connect', callback);
    this.#connectState = 'connecting';
    if (this.#state === 'new') {
      const error = this.#bindNow(ANY, 0);
      if (error) { this.#connectFailed(error); return; }
      queueMicrotask(() => this.emit('listening'));
    }
    const value = resolveAddress(host, 'connect');
    if (typeof value !== 'number') { this.#connectFailed(value); return; }
    const session = this.session;
    const r = session.socketConnect(this.#handle, value, p);
    if (r < 0) {
      this.#connectFailed(session.failed ?? systemError(r, 'connect', { address: host, port: p }));
      return;
    }
    this.#connectState = 'connected';
    this.#connected = { address: formatIpv4(value), family: 'IPv4', port: p };
    queueMicrotask(() => this.emit('connect'));
  }

  #connectFailed(error: Error): void {
    this.#connectState = 'disconnected';
    queueMicrotask(() => this.emit('error', error));
  }

  disconnect(): void {
    // As Node: a closed socket is "not running" before it is "not connected"; and a closed
    // socket's handle is never used again (its slot may belong to another socket by now).
    if (this.#state === 'closed') throw socketNotRunning();
    if (this.#connectState !== 'connected') throw socketNotConnected();
    this.session.socketDisconnect(this.#handle);
    this.#connected = null;
    this.#connectState = 'disconnected';
  }

  /**
   * send(msg[, offset, length][, port][, address][, callback]). An unbound socket is bound to an
   * ephemeral port first. Errors go to the callback, or to 'error' without one.
   */
  send(message: Message, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    let bytes: Uint8Array | undefined;
    const connected = this.#connectState === 'connected';
    // Node's argument shuffle (lib/dgram.js Socket.prototype.send), in its order.
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        bytes = sliceMessage(message, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        bytes = sliceMessage(message, offset, length);
        if (typeof port === 'function') { callback = port; port = null; }
      } else {
        callback = offset;
      }
      if (port || address) throw socketIsConnected();
    }
    bytes ??= messageBytes(message);
    const p = connected ? 0 : checkPort(port, false);
    if (typeof callback !== 'function') callback = undefined;
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    } else {
      checkAddressType(address);
    }
    if (this.#state === 'closed') throw socketNotRunning();
    const done = callback as SendCallback | undefined;
    const host = connected ? this.#connected!.address : ((address as string | undefined) || LOCALHOST);

    if (this.#state === 'new') {
      const error = this.#bindNow(ANY, 0);
      if (error) {
        // The implicit bind's own error (EBADF on a closed stack, EMFILE, EADDRINUSE), as the send's.
        this.#report(done, systemErrorLike(error, 'send', host, p));
        return;
      }
      queueMicrotask(() => this.emit('listening'));
    }
    let value = 0;
    if (!connected) {
      const resolved = resolveAddress(host, 'send');
      if (typeof resolved !== 'number') { this.#report(done, resolved); return; }
      value = resolved;
    }
    if (this.#blocked.length === 0) {
      const r = this.#sendNow(bytes, value, p);
      if (r !== -Errno.ENOBUFS || this.session.failed) {
        this.#report(done, r < 0 ? this.#sendError(r, value, p) : null, r);
        return;
      }
    }
    // No room now (or others already wait): keep a copy in line until the core says there is.
    if (this.#blocked.length >= MAX_BLOCKED_SENDS) {
      this.#report(done, systemError(-Errno.ENOBUFS, 'send', { address: host, port: p, detail: '(too many datagrams waiting for room)' }));
      return;
    }
    this.#blocked.push(new BlockedSend(Uint8Array.from(bytes), value, p, done));
  }

  /** The text of a peer's address; a flood from one peer formats it once, not per datagram. */
  #addressText(address: number): string {
    if (address !== this.#lastPeer) {
      this.#lastPeer = address;
      this.#lastPeerText = formatIpv4(address);
    }
    return this.#lastPeerText;
  }

  #lastPeer = -1;
  #lastPeerText = '';

  #sendError(r: number, address: number, port: number): Error {
    if (this.session.failed) return this.session.failed;
    if (address === 0 && this.#connected) return systemError(r, 'send', { address: this.#connected.address, port: this.#connected.port });
    return systemError(r, 'send', { address: formatIpv4(address), port });
  }

  /**
   * A send's outcome, asynchronously as Node reports it: to the callback, or 'error' without one.
   * Outcomes wait in three parallel arrays and one bound flush runs them: no closure per send.
   */
  #report(callback: SendCallback | undefined, error: Error | null, sent?: number): void {
    const n = this.#doneCount++;
    this.#doneCallbacks[n] = callback;
    this.#doneErrors[n] = error;
    this.#doneBytes[n] = sent;
    if (n === 0) queueMicrotask(this.#flushReports);
  }

  /** Reports waiting in the three arrays below (which keep their size, so reuse costs nothing). */
  #doneCount = 0;

  readonly #doneCallbacks: Array<SendCallback | undefined> = [];
  readonly #doneErrors: Array<Error | null> = [];
  readonly #doneBytes: Array<number | undefined> = [];
  readonly #flushReports = (): void => {
    // Run in place and emptied at the end, so a flush allocates nothing; a report a callback adds
    // meanwhile runs in this same flush (still after its own send returned, as Node's would).
    const callbacks = this.#doneCallbacks;
    const errors = this.#doneErrors;
    const bytes = this.#doneBytes;
    for (let i = 0; i < this.#doneCount; i++) {
      const callback = callbacks[i];
      const error = errors[i]!;
      callbacks[i] = undefined; // not kept alive by the array
      errors[i] = null;
      try {
        if (callback) callback(error, bytes[i]);
        else if (error) this.emit('error', error);
      } catch (thrown) {
        // As an exception in a Node callback: reported, and the other sends are still told.
        reportCallbackError(thrown);
      }
    }
    this.#doneCount = 0;
  };

  /**
   * Sends the waiting datagrams in order. One that finds no room (ENOBUFS) stays first in line
   * until the core says there is room again, so datagrams are never reordered.
   */
  #sendBlocked(): void {
    while (this.#blocked.length > 0 && this.#state === 'bound') {
      const next = this.#blocked[0]!;
      const r = this.#sendNow(next.bytes, next.address, next.port);
      if (r === -Errno.ENOBUFS && !this.session.failed) return;
      this.#blocked.shift();
      this.#report(next.callback, r < 0 ? this.#sendError(r, next.address, next.port) : null, r);
    }
  }

  #sendNow(bytes: Uint8Array, address: number, port: number): number {
    const session = this.session;
    if (session.failed) return -Errno.EIO;
    if (bytes.length > session.ioBytes) return -Errno.EMSGSIZE;
    const handle = this.#handle;
    const length = bytes.length;
    session.writeIo(bytes);
    let r = session.socketSend(handle, address, port, length);
    if (r === -Errno.ENOBUFS) {
      // The transmit queue or the loopback ring is full: let the stack move them on, then retry
      // once. Quietly: a looped datagram lands in its socket's queue (or is dropped and counted
      // there, as Linux does on a full receive buffer), never in a 'message' inside this send.
      session.flushTransmit();
      session.pollQuietly();
      session.flushTransmit();
      session.writeIo(bytes);
      r = session.socketSend(handle, address, port, length);
    }
    session.afterSend();
    return r;
  }

  setBroadcast(flag: boolean): void {
    if (this.#state !== 'bound') throw systemError(-Errno.EBADF, 'setBroadcast');
    const r = this.session.socketSetOption(this.#handle, SocketOption.Broadcast, flag ? 1 : 0);
    if (this.session.failed) throw this.session.failed;
    if (r < 0) throw systemError(r, 'setBroadcast');
  }

  /** IP TTL of the unicast datagrams it sends, 1..255 (Node: EINVAL outside). Returns ttl. */
  setTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw invalidArgType('ttl', 'of type number', ttl);
    if (this.#state === 'closed') throw socketNotRunning();
    if (this.#state !== 'bound') throw systemError(-Errno.EBADF, 'setTTL');
    // As libuv: the value is truncated to an integer first (1.5 is 1), then checked.
    const r = this.session.socketSetOption(this.#handle, SocketOption.Ttl, Number.isFinite(ttl) ? Math.trunc(ttl) : 0);
    if (this.session.failed) throw this.session.failed;
    if (r < 0) throw systemError(r, 'setTTL');
    return ttl;
  }

  /** Bytes of the datagrams waiting for room in the stack (sent, not yet taken). */
  getSendQueueSize(): number {
    let bytes = 0;
    for (const waiting of this.#blocked) bytes += waiting.bytes.length;
    return bytes;
  }

  /** Datagrams waiting for room in the stack. */
  getSendQueueCount(): number {
    return this.#blocked.length;
  }

  // Multicast and socket buffer sizes are not supported: each says so with EOPNOTSUPP rather
  // than pretending (the README lists these differences from node:dgram).
  setMulticastTTL(_ttl: number): number { throw unsupported('setMulticastTTL', 'multicast is not supported'); }
  setMulticastLoopback(_flag: boolean): boolean { throw unsupported('setMulticastLoopback', 'multicast is not supported'); }
  setMulticastInterface(_address: string): void { throw unsupported('setMulticastInterface', 'multicast is not supported'); }
  addMembership(_group: string, _iface?: string): void { throw unsupported('addMembership', 'multicast is not supported'); }
  dropMembership(_group: string, _iface?: string): void { throw unsupported('dropMembership', 'multicast is not supported'); }
  addSourceSpecificMembership(_source: string, _group: string, _iface?: string): void {
    throw unsupported('addSourceSpecificMembership', 'multicast is not supported');
  }
  dropSourceSpecificMembership(_source: string, _group: string, _iface?: string): void {
    throw unsupported('dropSourceSpecificMembership', 'multicast is not supported');
  }
  getRecvBufferSize(): number { throw unsupported('getRecvBufferSize', 'buffer sizes are fixed at stack creation: limits.udpRxBytes'); }
  getSendBufferSize(): number { throw unsupported('getSendBufferSize', 'there is no send buffer: datagrams go to the transmit queue'); }
  setRecvBufferSize(_size: number): void { throw unsupported('setRecvBufferSize', 'buffer sizes are fixed at stack creation: limits.udpRxBytes'); }
  setSendBufferSize(_size: number): void { throw unsupported('setSendBufferSize', 'there is no send buffer: datagrams go to the transmit queue'); }

  close(callback?: () => void): this {
    if (this.#state === 'closed') throw socketNotRunning();
    if (callback) this.once('close', callback);
    if (this.#handle !== 0) this.session.closeSocket(this.#handle);
    this.#handle = 0;
    this.#state = 'closed';
    this.#updateRef();
    this.#failBlocked();
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  #failBlocked(): void {
    for (const waiting of this.#blocked.splice(0)) {
      this.#report(waiting.callback, systemError(-Errno.EBADF, 'send', { detail: '(socket closed)' }));
    }
  }

  ref(): this { this.#processHold.setRefed(true, this.#state === 'bound'); return this; }
  unref(): this { this.#processHold.setRefed(false, this.#state === 'bound'); return this; }

  #updateRef(): void {
    this.#processHold.update(this.#state === 'bound');
  }

  // ---- SocketOwner ----

  /**
   * Re-reads everything from the core: every queued datagram ('message'), the pending error
   * ('error'), and room for datagrams waiting in line. A listener that throws is reported the way
   * Node reports an exception in a listener, and delivery goes on (fault 2).
   * @internal
   */
  check(): void {
    const session = this.session;
    while (this.#state === 'bound') {
      const handle = this.#handle;
      const ptr = session.socketRecv(handle);
      if (ptr < 0) break;
      const r = session.resultView();
      const from = r.getUint32(layout.RESULT_ADDRESS, true);
      const port = r.getUint32(layout.RESULT_PORT, true);
      const size = r.getUint32(layout.RESULT_LENGTH, true);
      const data = session.copyOut(ptr, size);
      session.socketRecvDone(handle);
      const rinfo: RemoteInfo = { address: this.#addressText(from), family: 'IPv4', port, size };
      try {
        this.emit('message', data, rinfo);
      } catch (error) {
        reportCallbackError(error);
      }
    }
    if (this.#state !== 'bound') return;
    // SO_ERROR: read once, cleared by reading.
    const handle = this.#handle;
    const errno = session.socketError(handle);
    if (errno < 0 && !session.failed) {
      // As Node reports an asynchronous socket error (libuv's receive callback): syscall 'recvmsg'.
      // A listener that throws (or none) is reported, and the datagrams waiting for room below are
      // still sent: this check consumed their writable wake-up, and none other may come.
      try {
        this.emit('error', systemError(errno, 'recvmsg'));
      } catch (error) {
        reportCallbackError(error);
      }
    }
    if (this.#blocked.length > 0) this.#sendBlocked();
  }

  /** @internal */
  onStackGone(error: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#handle = 0;
    this.#updateRef();
    this.#failBlocked();
    // A trap is an error worth hearing about; stack.close() is a deliberate close, like close().
    // Both asynchronously, as socket.close() does.
    const failed = this.session.failed !== null;
    queueMicrotask(() => {
      if (failed && this.listenerCount('error') > 0) this.emit('error', error);
      this.emit('close');
    });
  }
}

/** An implicit bind's error as the send's: same code, syscall 'send', where it was going. */
function systemErrorLike(error: Error, syscall: string, address: string, port: number): Error {
  const errno = (error as { errno?: unknown }).errno;
  if (typeof errno !== 'number') return error;
  return systemError(errno, syscall, { address, port });
}

/** `stack.dgram`: Node's dgram module shape for this stack. */
export class DgramApi {
  /** @internal */
  constructor(private readonly session: Session) {}

  createSocket(type: 'udp4' | SocketOptions, listener?: (message: Uint8Array, rinfo: RemoteInfo) => void): Socket {
    const t = typeof type === 'string' ? type : type?.type;
    if (t !== 'udp4') {
      throw typeError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4 (udp6 is not supported yet)');
    }
    const socket = new Socket(this.session);
    if (listener) socket.on('message', listener);
    return socket;
  }
}
