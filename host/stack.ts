// A wasmnet stack: one core module instance, its NIC (the device side of the core's virtqueues),
// a clock, and the user-facing APIs (dgram, ping, stats, report). The stack is a LinkEndpoint, so
// devices (MemoryLink, Switch, FramePort, PcapWriter) connect to it directly.
//
// Scheduling: the core runs (poll) when a frame arrives, after a socket call that sends, and at
// the deadline the core returned, with at most one pending timer per stack; never on an interval.

import { loadCore, CoreTrapError, ErrnoError, layout, readStats, Errno, NO_DEADLINE } from '../bindings/index.js';
import type { CoreExports, CoreSource } from '../bindings/index.js';
import { parseCidr, parseIpv4, parseMac, formatIpv4, formatMac } from './address.js';
import type { Clock, TimerHandle } from './clock.js';
import { RealClock } from './clock.js';
import type { FrameRings, LinkEndpoint, TransmitOptions } from './devices/endpoint.js';
import { reportCallbackError } from './devices/endpoint.js';
import { Nic } from './nic.js';
import { KeepAlive } from './keepalive.js';
import { DgramApi } from './dgram.js';
import { Pinger } from './ping.js';
import type { PingOptions, PingResult } from './ping.js';

export interface StackLimits {
  /** Socket slots (UDP and ICMP). Default 64. */
  sockets: number;
  /** Datagrams each socket's receive queue holds. Default 64. */
  udpRxDatagrams: number;
  /** Bytes each socket's receive queue holds. Default 65536. */
  udpRxBytes: number;
  /** ARP cache entries. Default 64. */
  neighbours: number;
  /** Frames held per unresolved neighbour. Default 4. */
  neighbourPending: number;
  /** Lifetime of a resolved ARP entry. Default 60000 ms. */
  neighbourLifetimeMs: number;
  /** First ARP retry interval (doubles each retry). Default 1000 ms. */
  arpRetryMs: number;
  /** ARP requests sent before giving up. Default 3. */
  arpMaxRequests: number;
  /** Receive and transmit virtqueue sizes (powers of two). Default 256. */
  rxQueueSize: number;
  txQueueSize: number;
  /** Readiness events between two drains (rounded up to a power of two). Default 1024. */
  eventRingSize: number;
  /** Frames waiting on the software loopback. Default 64. */
  loopbackFrames: number;
  /** ICMP port unreachable messages per second. Default 1000. */
  portUnreachablePerSecond: number;
}

export interface StackOptions {
  /** Address(es) with prefix length, e.g. '10.0.0.1/24'. 127.0.0.1/8 is always there too. */
  ipv4?: string | string[];
  /** Default gateway (must be on a connected prefix). */
  gateway?: string;
  /** MAC address; default a locally administered one derived from the seed. */
  mac?: string;
  /** Default 1500. */
  mtu?: number;
  /** Default: a RealClock. Pass a VirtualClock for deterministic tests. */
  clock?: Clock;
  /** Seed for ISNs, ephemeral ports and the default MAC; default from crypto.getRandomValues. */
  seed?: number | bigint;
  limits?: Partial<StackLimits>;
  /** Where to load the core from (default: the module embedded in the bundle). */
  core?: CoreSource;
  /**
   * Transmit checksum offload (virtio VIRTIO_NET_F_CSUM): the core leaves UDP checksums for the
   * device, which passes them on partial over a trusted link and completes them otherwise.
   * Default false.
   */
  checksumOffload?: boolean;
}

const CONFIG_LIMIT_FIELDS: Record<keyof StackLimits, number> = {
  sockets: layout.CONFIG_MAX_SOCKETS,
  udpRxDatagrams: layout.CONFIG_UDP_RX_DATAGRAMS,
  udpRxBytes: layout.CONFIG_UDP_RX_BYTES,
  neighbours: layout.CONFIG_NEIGHBOURS,
  neighbourPending: layout.CONFIG_NEIGHBOUR_PENDING,
  neighbourLifetimeMs: layout.CONFIG_NEIGHBOUR_LIFETIME_MS,
  arpRetryMs: layout.CONFIG_ARP_RETRY_MS,
  arpMaxRequests: layout.CONFIG_ARP_MAX_REQUESTS,
  rxQueueSize: layout.CONFIG_RX_QUEUE_SIZE,
  txQueueSize: layout.CONFIG_TX_QUEUE_SIZE,
  eventRingSize: layout.CONFIG_EVENT_RING_SIZE,
  loopbackFrames: layout.CONFIG_LOOPBACK_FRAMES,
  portUnreachablePerSecond: layout.CONFIG_PORT_UNREACHABLE_PER_SECOND,
};

/** Something that wants to hear about one socket's events (dgram sockets, the pinger). */
export interface SocketOwner {
  onReadable(): void;
  /** Room to send again after a send failed with ENOBUFS. */
  onWritable?(): void;
  onError(errno: number): void;
  /** The stack failed or closed: give up with this error. */
  onStackGone(error: Error): void;
}

export interface SocketReport {
  handle: number;
  kind: 'udp' | 'icmp';
  state: 'open' | 'bound' | 'connected';
  local: { address: string; port: number };
  remote: { address: string; port: number } | null;
  ageMs: number;
  rxQueuedBytes: number;
  rxQueuedDatagrams: number;
}

export interface StackReport {
  addresses: string[];
  mac: string;
  failed: string | null;
  memory: { heapTop: number; pages: number };
  sockets: SocketReport[];
  socketSlots: number;
}

const seedFromCrypto = (): bigint => {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
};

export class Stack implements LinkEndpoint {
  readonly clock: Clock;
  /** A stack consumes the frames it receives (LinkEndpoint.terminal). */
  readonly terminal = true;
  readonly mac: string;
  readonly addresses: readonly string[];
  readonly dgram: DgramApi;
  /** Set when the core trapped: every later call fails with this error. */
  failed: Error | null = null;
  closed = false;
  /** @internal */ readonly core: CoreExports;
  /** @internal */ readonly keepAlive = new KeepAlive();
  readonly #nic: Nic;
  readonly #owners = new Map<number, SocketOwner>();
  readonly #io: number;
  readonly #ioBytes: number;
  readonly #result: number;
  readonly #events: number;
  readonly #eventCapacity: number;
  readonly #stats: number;
  readonly #pinger: Pinger;
  #pollQueued = false;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  private constructor(core: CoreExports, clock: Clock, mac: string, addresses: string[]) {
    this.core = core;
    this.clock = clock;
    this.mac = mac;
    this.addresses = addresses;
    const t = new DataView(core.memory.buffer, core.layoutTable(), layout.LAYOUT_BYTES);
    this.#io = t.getUint32(layout.LAYOUT_IO, true);
    this.#ioBytes = t.getUint32(layout.LAYOUT_IO_BYTES, true);
    this.#result = t.getUint32(layout.LAYOUT_RESULT, true);
    this.#events = t.getUint32(layout.LAYOUT_EVENTS, true);
    this.#eventCapacity = t.getUint32(layout.LAYOUT_EVENT_CAPACITY, true);
    this.#stats = t.getUint32(layout.LAYOUT_STATS, true);
    this.#nic = new Nic(core, core.layoutTable(), this);
    this.dgram = new DgramApi(this);
    this.#pinger = new Pinger(this);
  }

  static async create(options: StackOptions = {}): Promise<Stack> {
    const core = await loadCore(options.core);
    const clock = options.clock ?? new RealClock();
    const seed = BigInt.asUintN(64, options.seed !== undefined ? BigInt(options.seed) : seedFromCrypto());
    const config = new DataView(core.memory.buffer, core.configBlock(), layout.CONFIG_BYTES);
    for (let i = 0; i < layout.CONFIG_BYTES; i += 4) config.setUint32(i, 0, true);

    const cidrs = options.ipv4 === undefined ? [] : Array.isArray(options.ipv4) ? options.ipv4 : [options.ipv4];
    if (cidrs.length > layout.CONFIG_MAX_ADDRESSES) {
      throw new RangeError(`at most ${layout.CONFIG_MAX_ADDRESSES} addresses, got ${cidrs.length}`);
    }
    config.setUint32(layout.CONFIG_ADDRESS_COUNT, cidrs.length, true);
    cidrs.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new TypeError(`invalid IPv4 address/prefix: ${JSON.stringify(text)}`);
      config.setUint32(layout.CONFIG_ADDRESSES + i * layout.CONFIG_ADDRESS_STRIDE, cidr.address, true);
      config.setUint32(layout.CONFIG_ADDRESSES + i * layout.CONFIG_ADDRESS_STRIDE + 4, cidr.prefixLength, true);
    });
    if (options.gateway !== undefined) {
      const gateway = parseIpv4(options.gateway);
      if (gateway === undefined) throw new TypeError(`invalid gateway: ${JSON.stringify(options.gateway)}`);
      config.setUint32(layout.CONFIG_GATEWAY, gateway, true);
    }
    let mac: Uint8Array;
    if (options.mac !== undefined) {
      const parsed = parseMac(options.mac);
      if (!parsed || (parsed[0]! & 1) !== 0) throw new TypeError(`invalid unicast MAC: ${JSON.stringify(options.mac)}`);
      mac = parsed;
    } else {
      // Locally administered, unicast (IEEE 802: bit 1 set, bit 0 clear), the rest from the seed.
      const bits = BigInt.asUintN(40, seed ^ (seed >> 24n));
      mac = Uint8Array.from([0x02, ...Array.from({ length: 5 }, (_, i) => Number((bits >> BigInt(32 - 8 * i)) & 0xffn))]);
    }
    mac.forEach((b, i) => config.setUint8(layout.CONFIG_MAC + i, b));
    if (options.mtu !== undefined) config.setUint32(layout.CONFIG_MTU, checkLimit('mtu', options.mtu), true);
    for (const [name, value] of Object.entries(options.limits ?? {}) as [keyof StackLimits, number][]) {
      const offset = CONFIG_LIMIT_FIELDS[name];
      if (offset === undefined) throw new TypeError(`unknown limit: ${name}`);
      config.setUint32(offset, checkLimit(name, value), true);
    }
    config.setBigUint64(layout.CONFIG_SEED, seed, true);
    if (options.checksumOffload) config.setUint32(layout.CONFIG_FLAGS, layout.CONFIG_FLAG_TX_CHECKSUM_OFFLOAD, true);
    const r = core.init();
    if (r < 0) throw new ErrnoError(r, 'init', 'invalid stack options (a limit out of range, a queue size not a power of two, or limits that together need more than 1 GiB)');
    return new Stack(core, clock, formatMac(mac), cidrs);
  }

  // ---- LinkEndpoint ----

  /** A frame from the link. */
  receive(frame: Uint8Array, trusted: boolean): void {
    if (this.closed || this.failed) return;
    this.#nic.deliver(frame, trusted);
    this.requestPoll();
  }

  attach(transmit: (frame: Uint8Array) => void, options?: TransmitOptions): void {
    this.#nic.attach(transmit, options);
  }

  /** LinkEndpoint: the NIC's rings, for links that move frames ring to ring. */
  get rings(): FrameRings {
    return this.#nic;
  }

  // ---- scheduling ----

  /** Runs the core soon (once, however often it is asked before it runs). */
  requestPoll(): void {
    if (this.#pollQueued || this.closed || this.failed) return;
    this.#pollQueued = true;
    queueMicrotask(() => {
      this.#pollQueued = false;
      this.pollNow();
    });
  }

  /** Runs the core now, moves frames out and events to their sockets, and arms the deadline timer. */
  pollNow(): void {
    if (this.closed || this.failed) return;
    const now = Math.floor(this.clock.now());
    const deadline = this.call(() => this.core.poll(BigInt(now)));
    if (deadline === undefined) return;
    this.flushTransmit();
    this.drainEvents();
    if (deadline === NO_DEADLINE) {
      this.#armTimer(Infinity);
    } else if (Number(deadline) <= now) {
      // More work right away (frames the loopback produced during this poll): run again without
      // waiting for the clock, which may be a VirtualClock that only moves when a test says so.
      this.requestPoll();
    } else {
      this.#armTimer(Number(deadline));
    }
  }

  /**
   * Runs the core at the clock's time but leaves its events in the ring for the regular poll this
   * requests. Socket calls use it: it brings the core's notion of "now" up to date (a new socket is
   * stamped with it) and moves frames on, without emitting 'message' or 'error' from inside the
   * user's own call, which Node never does.
   */
  pollQuietly(): void {
    if (this.closed || this.failed) return;
    this.call(() => this.core.poll(BigInt(Math.floor(this.clock.now()))));
    this.requestPoll();
  }

  #armTimer(at: number): void {
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = this.clock.setTimer(at, () => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.pollNow();
    });
  }

  /** Hands every frame the core queued for transmission to the link. */
  flushTransmit(): void {
    this.#nic.flush();
  }

  // ---- calls into the core ----

  /**
   * Runs a core call; a trap marks the stack failed, rejects every waiter and returns undefined.
   * @internal
   */
  call<T>(fn: () => T): T | undefined {
    if (this.failed) return undefined;
    try {
      return fn();
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  #fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failed = error instanceof CoreTrapError ? error : new CoreTrapError(message, { cause: error });
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    for (const owner of [...this.#owners.values()]) owner.onStackGone(this.failed);
    this.#owners.clear();
    this.keepAlive.releaseAll();
  }

  /** Throws the failure if the stack trapped or was closed. @internal */
  assertUsable(syscall: string): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new ErrnoError(-Errno.EBADF, syscall, '(stack closed)');
  }

  /** @internal */
  register(handle: number, owner: SocketOwner): void {
    this.#owners.set(handle, owner);
  }

  /** @internal */
  unregister(handle: number): void {
    this.#owners.delete(handle);
  }

  /** The I/O area as bytes (valid until the next core call). @internal */
  ioView(length: number): Uint8Array {
    return new Uint8Array(this.core.memory.buffer, this.#io, length);
  }

  /** @internal */
  get ioBytes(): number {
    return this.#ioBytes;
  }

  /** The result block as a DataView. @internal */
  resultView(): DataView {
    return new DataView(this.core.memory.buffer, this.#result, layout.RESULT_BYTES);
  }

  /** Copies a received payload out of the core's memory. @internal */
  copyOut(ptr: number, length: number): Uint8Array {
    const B = (globalThis as { Buffer?: { from(a: ArrayBuffer): Uint8Array } }).Buffer;
    const copy = this.core.memory.buffer.slice(ptr, ptr + length);
    return B ? B.from(copy) : new Uint8Array(copy);
  }

  drainEvents(): void {
    const view = new DataView(this.core.memory.buffer, this.#events);
    let read = view.getUint32(layout.EVENTS_READ, true);
    const written = view.getUint32(layout.EVENTS_WRITE, true);
    const pending: Array<[number, number, number]> = [];
    while (read !== written) {
      const entry = layout.EVENTS_ENTRIES + (read % this.#eventCapacity) * layout.EVENT_BYTES;
      pending.push([
        view.getInt32(entry + layout.EVENT_HANDLE, true),
        view.getUint32(entry + layout.EVENT_KIND, true),
        view.getInt32(entry + layout.EVENT_VALUE, true),
      ]);
      read = (read + 1) >>> 0;
    }
    view.setUint32(layout.EVENTS_READ, read, true);
    const overflowed = view.getUint32(layout.EVENTS_OVERFLOW, true) !== 0;
    if (overflowed) view.setUint32(layout.EVENTS_OVERFLOW, 0, true);
    // A listener that throws must not cost the other sockets their events: each owner runs on its
    // own and the error is rethrown outside this loop, where Node reports it as uncaught.
    const dispatch = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        reportCallbackError(error);
      }
    };
    for (const [handle, kind, value] of pending) {
      if (handle === 0 && kind === layout.EVENT_HOST_UNREACHABLE) {
        dispatch(() => this.#pinger.onHostUnreachable(value >>> 0));
        continue;
      }
      const owner = this.#owners.get(handle);
      if (!owner) continue;
      if (kind === layout.EVENT_READABLE) dispatch(() => owner.onReadable());
      else if (kind === layout.EVENT_WRITABLE) dispatch(() => owner.onWritable?.());
      else if (kind === layout.EVENT_ERROR) dispatch(() => owner.onError(value));
    }
    // Events were lost to a full ring: ask every socket to look for itself.
    if (overflowed) for (const owner of [...this.#owners.values()]) dispatch(() => owner.onReadable());
  }

  // ---- user API ----

  /** Sends ICMP echo requests and resolves with the reply's round trip (rejects ETIMEDOUT). */
  ping(host: string, options: PingOptions = {}): Promise<PingResult> {
    return this.#pinger.ping(host, options);
  }

  /** Every counter of the core, plus the NIC's. */
  stats(): Record<string, number> {
    this.assertUsable('stats');
    return { ...readStats(this.core.memory, this.#stats), ...this.#nic.counters };
  }

  /** Heap top and memory size of the core: both fixed after init. */
  memory(): { heapTop: number; pages: number } {
    this.assertUsable('memory');
    return { heapTop: this.core.heapTop() >>> 0, pages: this.core.memoryPages() };
  }

  /** Every socket slot in use: kind, state, addresses, age, queue. */
  report(): StackReport {
    const sockets: SocketReport[] = [];
    const slots = this.failed ? 0 : this.core.socketCapacity();
    const now = this.clock.now();
    for (let i = 0; i < slots; i++) {
      if (this.core.socketInfo(i) === 0) continue;
      const r = this.resultView();
      const kind = r.getUint32(layout.INFO_KIND, true);
      const state = r.getUint32(layout.INFO_STATE, true);
      const remoteAddress = r.getUint32(layout.INFO_REMOTE_ADDRESS, true);
      sockets.push({
        handle: r.getInt32(layout.INFO_HANDLE, true),
        kind: kind === layout.SOCKET_KIND_UDP ? 'udp' : 'icmp',
        state: state === layout.SOCKET_STATE_CONNECTED ? 'connected' : state === layout.SOCKET_STATE_BOUND ? 'bound' : 'open',
        local: { address: formatIpv4(r.getUint32(layout.INFO_LOCAL_ADDRESS, true)), port: r.getUint32(layout.INFO_LOCAL_PORT, true) },
        remote: remoteAddress === 0 ? null : { address: formatIpv4(remoteAddress), port: r.getUint32(layout.INFO_REMOTE_PORT, true) },
        ageMs: (now - Number(r.getBigInt64(layout.INFO_CREATED_AT, true))) / 1000,
        rxQueuedBytes: r.getUint32(layout.INFO_RX_BYTES, true),
        rxQueuedDatagrams: r.getUint32(layout.INFO_RX_DATAGRAMS, true),
      });
    }
    return {
      addresses: [...this.addresses],
      mac: this.mac,
      failed: this.failed?.message ?? null,
      memory: this.failed ? { heapTop: 0, pages: 0 } : { heapTop: this.core.heapTop() >>> 0, pages: this.core.memoryPages() },
      sockets,
      socketSlots: slots,
    };
  }

  /** Closes every socket, stops every timer; the stack is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const error = new ErrnoError(-Errno.EBADF, 'close', '(stack closed)');
    for (const owner of [...this.#owners.values()]) owner.onStackGone(error);
    this.#owners.clear();
    this.keepAlive.releaseAll();
    this.#nic.attach(undefined);
  }
}

function checkLimit(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 0xffff_ffff) {
    throw new RangeError(`limit ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
