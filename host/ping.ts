// stack.ping(): ICMP echo over an ICMP socket the pinger holds only while a ping is in flight (its
// identifier is chosen like an ephemeral port). Each request carries a fresh sequence number; the
// reply must come from the address pinged, carry that number and echo the payload unchanged.
// A request that finds no room to send (ENOBUFS: transmit queue or loopback ring full) waits in
// line, in order, until the core has room; its timeout runs from the ping() call.

import { Errno, layout } from '../bindings/index.js';
import { parseIpv4, formatIpv4 } from './address.js';
import type { Session, SocketOwner } from './session.js';
import type { TimerHandle } from './clock.js';
import { systemError, invalidArgType, outOfRange } from './errors.js';

export interface PingOptions {
  /** How long to wait for the reply, from the call. Default 1000 ms. */
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

class Waiter {
  sentAt = -1;
  /** Which request of the socket this is (0, 1, ...; as the core counts them), once sent. */
  ordinal = -1;
  timer: TimerHandle | undefined = undefined;
  constructor(
    readonly seq: number,
    readonly address: number,
    readonly size: number,
    readonly resolve: (result: PingResult) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

const DEFAULT_TIMEOUT_MS = 1000;
/** Node's timers cannot wait longer than 2^31 - 1 ms; neither does a ping. */
const MAX_TIMEOUT_MS = 0x7fff_ffff;
const DEFAULT_SIZE = 56;
const SEQ_MODULO = 0x10000;
const SEQ_MASK = 0xffff;
const SEQ_HALF = 0x8000;
const MICROS_PER_MS = 1000;
const BYTE_MASK = 0xff;

/** The echo data of request `seq`: a pattern that differs per sequence number. */
const payloadByte = (seq: number, i: number): number => (i + seq) & BYTE_MASK;

/** @internal */
export class Pinger implements SocketOwner {
  #handle = 0;
  #seq = 0;
  /** Requests sent on the current socket (the core counts the same, from the socket's open). */
  #sent = 0;
  /** Every ping not settled yet, sent or waiting in line, by sequence number. */
  readonly #waiters = new Map<number, Waiter>();
  /** Pings that got ENOBUFS (or came after one that did), oldest first. */
  readonly #line: Waiter[] = [];

  constructor(private readonly session: Session) {}

  ping(host: unknown, options: PingOptions = {}): Promise<PingResult> {
    return new Promise<PingResult>((resolve, reject) => {
      // Every argument is checked before anything is sent or opened.
      if (typeof host !== 'string') throw invalidArgType('host', 'of type string', host);
      if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
      const timeoutMs = checkNumber('options.timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 0, MAX_TIMEOUT_MS, false);
      const session = this.session;
      const size = checkNumber('options.size', options.size ?? DEFAULT_SIZE, 0, session.ioBytes, true);
      session.assertUsable('ping');
      const address = parseIpv4(host);
      if (address === undefined) throw systemError(-Errno.EINVAL, 'ping', { address: host, detail: '(not an IPv4 address)' });
      // The sequence number picks the waiter, so never reuse one still in flight.
      let seq = this.#seq;
      for (let n = 0; this.#waiters.has(seq) && n < SEQ_MODULO; n++) seq = (seq + 1) % SEQ_MODULO;
      if (this.#waiters.has(seq)) throw systemError(-Errno.ENOBUFS, 'ping', { detail: '(every sequence number in flight)' });
      if (this.#handle === 0) {
        const handle = session.openSocket(layout.SOCKET_KIND_ICMP, 'socket');
        this.#handle = handle;
        this.#sent = 0;
        session.register(handle, this);
      }
      this.#seq = (seq + 1) % SEQ_MODULO;
      const waiter = new Waiter(seq, address, size, resolve, reject);
      this.#waiters.set(seq, waiter);
      session.keepAlive.acquire();
      waiter.timer = session.clock.setTimer(session.clock.now() + timeoutMs * MICROS_PER_MS, () => {
        waiter.timer = undefined;
        if (this.#waiters.get(seq) !== waiter) return;
        this.#settle(waiter);
        reject(systemError(-Errno.ETIMEDOUT, 'ping', { address: host, detail: `(no reply within ${timeoutMs} ms)` }));
        this.#closeIfIdle();
      });
      if (this.#line.length > 0) {
        this.#line.push(waiter);
        return;
      }
      const r = this.#send(waiter);
      if (r === -Errno.ENOBUFS && !session.failed) {
        this.#line.push(waiter);
        return;
      }
      if (r < 0) {
        this.#settle(waiter);
        this.#closeIfIdle();
        throw session.failed ?? systemError(r, 'sendto', { address: host });
      }
    });
  }

  /** Writes the echo data and sends; len or -errno. */
  #send(waiter: Waiter): number {
    const session = this.session;
    const io = session.ioView(waiter.size);
    for (let i = 0; i < waiter.size; i++) io[i] = payloadByte(waiter.seq, i);
    const handle = this.#handle;
    const r = session.socketSend(handle, waiter.address, waiter.seq, waiter.size);
    if (r >= 0) {
      waiter.sentAt = session.clock.now();
      waiter.ordinal = this.#sent++;
    }
    session.afterSend();
    return r;
  }

  /** Sends the pings waiting in line, in order, until one finds no room again. */
  #sendLine(): void {
    while (this.#line.length > 0 && this.#handle !== 0) {
      const waiter = this.#line[0]!;
      const r = this.#send(waiter);
      if (r === -Errno.ENOBUFS && !this.session.failed) return;
      this.#line.shift();
      if (r < 0) {
        this.#settle(waiter);
        waiter.reject(this.session.failed ?? systemError(r, 'sendto', { address: formatIpv4(waiter.address) }));
      }
    }
  }

  #settle(waiter: Waiter): void {
    if (this.#waiters.get(waiter.seq) !== waiter) return;
    this.#waiters.delete(waiter.seq);
    const inLine = this.#line.indexOf(waiter);
    if (inLine >= 0) this.#line.splice(inLine, 1);
    if (waiter.timer !== undefined) this.session.clock.clearTimer(waiter.timer);
    waiter.timer = undefined;
    this.session.keepAlive.release();
  }

  /** No ping in flight: give the socket slot back. */
  #closeIfIdle(): void {
    if (this.#waiters.size > 0 || this.#handle === 0) return;
    this.session.closeSocket(this.#handle);
    this.#handle = 0;
  }

  /** Whether the payload at `ptr` is the echo data of `waiter`. */
  #isEcho(waiter: Waiter, ptr: number, length: number): boolean {
    if (length !== waiter.size) return false;
    const bytes = this.session.memoryBytes;
    for (let i = 0; i < length; i++) if (bytes[ptr + i] !== payloadByte(waiter.seq, i)) return false;
    return true;
  }

  /**
   * Re-reads the ICMP socket: every queued record (replies, ICMP errors quoting a request, ARP
   * give-ups), then room for pings in line. @internal
   */
  check(): void {
    const session = this.session;
    while (this.#handle !== 0) {
      const handle = this.#handle;
      const ptr = session.socketRecv(handle);
      if (ptr < 0) break;
      const r = session.resultView();
      const from = r.getUint32(layout.RESULT_ADDRESS, true);
      const seq = r.getUint32(layout.RESULT_PORT, true);
      const length = r.getUint32(layout.RESULT_LENGTH, true);
      const kind = r.getUint32(layout.RESULT_RECORD_KIND, true);
      const errno = r.getInt32(layout.RESULT_ERRNO, true);
      const waiter = this.#waiters.get(seq);
      const sent = waiter !== undefined && waiter.sentAt >= 0;
      const matches = sent && kind === layout.DATAGRAM_RECORD_DATA && waiter.address === from && this.#isEcho(waiter, ptr, length);
      session.socketRecvDone(handle);
      if (kind === layout.DATAGRAM_RECORD_NEIGHBOUR_UNREACHABLE) {
        this.#neighbourUnreachable(from, seq);
      } else if (kind === layout.DATAGRAM_RECORD_ICMP_ERROR) {
        // An ICMP error quoting exactly this request (its destination and sequence): fail it.
        if (sent && waiter.address === from) {
          this.#settle(waiter);
          waiter.reject(systemError(errno, 'ping', { address: formatIpv4(from) }));
        }
      } else if (matches) {
        this.#settle(waiter);
        waiter.resolve({ address: formatIpv4(from), seq, bytes: length, rttMs: (session.clock.now() - waiter.sentAt) / MICROS_PER_MS });
      }
    }
    if (this.#handle !== 0) this.#sendLine();
    this.#closeIfIdle();
  }

  /**
   * ARP gave up on the next hop `nextHop` when the socket had sent `sentBefore` requests (mod
   * 2^16): every ping sent before that through it fails now with EHOSTUNREACH; a later one has its
   * own resolution under way.
   */
  #neighbourUnreachable(nextHop: number, sentBefore: number): void {
    const session = this.session;
    for (const waiter of [...this.#waiters.values()]) {
      if (waiter.sentAt < 0 || session.routeNextHop(waiter.address) !== nextHop) continue;
      // waiter.ordinal < sentBefore, in 16-bit modular order (in flight: far fewer than 2^15).
      const behind = (sentBefore - waiter.ordinal) & SEQ_MASK;
      if (behind === 0 || behind >= SEQ_HALF) continue;
      this.#settle(waiter);
      waiter.reject(systemError(-Errno.EHOSTUNREACH, 'ping', { address: formatIpv4(waiter.address), detail: '(no ARP reply)' }));
    }
  }

  /** @internal */
  onStackGone(error: Error): void {
    this.#handle = 0;
    for (const waiter of [...this.#waiters.values()]) {
      this.#settle(waiter);
      waiter.reject(error);
    }
  }
}

/** A finite number from min to max (an integer when asked): ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE. */
function checkNumber(name: string, value: unknown, min: number, max: number, integer: boolean): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw outOfRange(name, `${integer ? 'an integer ' : ''}>= ${min} and <= ${max}`, value);
  }
  return value;
}
