// stack.ping(): ICMP echo over one ICMP socket per stack (its identifier is chosen like an
// ephemeral port). Each request carries a fresh sequence number; the reply must come from the
// address pinged, carry that number and echo the payload unchanged.

import { ErrnoError, Errno, layout } from '../bindings/index.js';
import { parseIpv4, formatIpv4 } from './address.js';
import type { Stack, SocketOwner } from './stack.js';
import type { TimerHandle } from './clock.js';

export interface PingOptions {
  /** How long to wait for the reply. Default 1000 ms. */
  timeoutMs?: number;
  /** Echo data bytes. Default 56, as ping(8). */
  size?: number;
}

export interface PingResult {
  address: string;
  seq: number;
  /** Echo data bytes received. */
  bytes: number;
  /** Round trip in milliseconds, measured on the stack's clock. */
  rttMs: number;
}

interface Waiter {
  address: number;
  payload: Uint8Array;
  sentAt: number;
  timer: TimerHandle;
  resolve(result: PingResult): void;
  reject(error: Error): void;
}

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_SIZE = 56;
const SEQ_MODULO = 0x10000;
const MICROS_PER_MS = 1000;

export class Pinger implements SocketOwner {
  #handle = 0;
  #seq = 0;
  readonly #waiters = new Map<number, Waiter>();

  constructor(readonly stack: Stack) {}

  ping(host: string, options: PingOptions): Promise<PingResult> {
    return new Promise<PingResult>((resolve, reject) => {
      const stack = this.stack;
      stack.assertUsable('ping');
      const address = parseIpv4(host);
      if (address === undefined) throw new ErrnoError(-Errno.EINVAL, 'ping', `${host} is not an IPv4 address`);
      const size = options.size ?? DEFAULT_SIZE;
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (!Number.isInteger(size) || size < 0 || size > stack.ioBytes) {
        throw new RangeError(`ping size must be an integer from 0 to ${stack.ioBytes}`);
      }
      if (this.#handle === 0) {
        stack.pollQuietly();
        const handle = stack.call(() => stack.core.socketOpen(layout.SOCKET_KIND_ICMP, stack.clock.now()));
        if (handle === undefined) throw stack.failed!;
        if (handle < 0) throw new ErrnoError(handle, 'socket');
        this.#handle = handle;
        stack.register(handle, this);
      }
      // The sequence number picks the waiter, so never reuse one still in flight.
      let seq = this.#seq;
      for (let n = 0; this.#waiters.has(seq) && n < SEQ_MODULO; n++) seq = (seq + 1) % SEQ_MODULO;
      if (this.#waiters.has(seq)) throw new ErrnoError(-Errno.ENOBUFS, 'ping', '(every sequence number in flight)');
      this.#seq = (seq + 1) % SEQ_MODULO;
      const payload = new Uint8Array(size);
      for (let i = 0; i < size; i++) payload[i] = (i + seq) & 0xff;
      stack.ioView(size).set(payload);
      const r = stack.call(() => stack.core.socketSend(this.#handle, address, seq, size, stack.clock.now()));
      if (r === undefined) throw stack.failed!;
      if (r < 0) throw new ErrnoError(r, 'sendto');
      stack.flushTransmit();
      stack.requestPoll();
      const sentAt = stack.clock.now();
      const timer = stack.clock.setTimer(sentAt + timeoutMs * MICROS_PER_MS, () => {
        if (this.#waiters.get(seq)?.timer !== timer) return;
        this.#settle(seq);
        reject(new ErrnoError(-Errno.ETIMEDOUT, 'ping', `no reply from ${host} within ${timeoutMs} ms`));
      });
      stack.keepAlive.acquire();
      this.#waiters.set(seq, { address, payload, sentAt, timer, resolve, reject });
    });
  }

  #settle(seq: number): Waiter | undefined {
    const waiter = this.#waiters.get(seq);
    if (!waiter) return undefined;
    this.#waiters.delete(seq);
    this.stack.clock.clearTimer(waiter.timer);
    this.stack.keepAlive.release();
    return waiter;
  }

  onReadable(): void {
    const stack = this.stack;
    for (;;) {
      const ptr = stack.call(() => stack.core.socketRecv(this.#handle));
      if (ptr === undefined || ptr < 0) return;
      const r = stack.resultView();
      const from = r.getUint32(layout.RESULT_ADDRESS, true);
      const seq = r.getUint32(layout.RESULT_PORT, true);
      const length = r.getUint32(layout.RESULT_LENGTH, true);
      const kind = r.getUint32(layout.RESULT_RECORD_KIND, true);
      const errno = r.getInt32(layout.RESULT_ERRNO, true);
      const data = kind === layout.DATAGRAM_RECORD_DATA ? stack.copyOut(ptr, length) : undefined;
      stack.call(() => stack.core.socketRecvDone(this.#handle));
      if (kind === layout.DATAGRAM_RECORD_NEIGHBOUR_UNREACHABLE) {
        this.#neighbourUnreachable(from);
        continue;
      }
      const waiter = this.#waiters.get(seq);
      if (kind === layout.DATAGRAM_RECORD_ICMP_ERROR) {
        // An ICMP error quoting exactly this request (destination and sequence): fail that ping.
        if (!waiter || waiter.address !== from) continue;
        this.#settle(seq);
        waiter.reject(new ErrnoError(errno, 'ping', formatIpv4(from)));
        continue;
      }
      if (data === undefined) continue;
      if (!waiter || waiter.address !== from || !sameBytes(waiter.payload, data)) continue;
      this.#settle(seq);
      waiter.resolve({ address: formatIpv4(from), seq, bytes: length, rttMs: (stack.clock.now() - waiter.sentAt) / MICROS_PER_MS });
    }
  }

  /** ARP gave up on the next hop `nextHop`: every ping routed through it fails now with EHOSTUNREACH. */
  #neighbourUnreachable(nextHop: number): void {
    const core = this.stack.core;
    for (const [seq, waiter] of [...this.#waiters]) {
      if ((core.routeNextHop(waiter.address) >>> 0) !== nextHop) continue;
      this.#settle(seq);
      waiter.reject(new ErrnoError(-Errno.EHOSTUNREACH, 'ping', `${formatIpv4(waiter.address)} did not answer ARP`));
    }
  }

  onError(): void {
    // ICMP sockets hear errors in line with their replies (error records), never as a pending error.
  }

  onStackGone(error: Error): void {
    for (const seq of [...this.#waiters.keys()]) this.#settle(seq)?.reject(error);
    this.#handle = 0;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
