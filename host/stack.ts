// A wasmnet stack, the facade users hold: it composes the Node-style APIs (dgram, ping, net) and
// TCP as web streams (openTcp, listenTcp) over one Session (host/session.ts: every core call,
// trap handling, scheduling, the event drain and the owner registry). The stack is a LinkEndpoint,
// so devices (MemoryLink, Switch, FramePort, PcapWriter) connect to it directly. Stack.create
// checks every option before the core sees it and refuses what cannot work with an error naming
// the option.

import { loadCore, layout, errnoName } from '../bindings/index.js';
import type { CoreExports, CoreSource } from '../bindings/index.js';
import { parseCidr, parseIpv4, parseMac, formatIpv4, formatMac } from './address.js';
import type { Clock } from './clock.js';
import { RealClock } from './clock.js';
import type { FrameRings, LinkEndpoint, Transmit, TransmitOptions } from './devices/endpoint.js';
import type { KeepAlive } from './keepalive.js';
import { Session } from './session.js';
import { DgramApi } from './dgram.js';
import { NetApi } from './net.js';
import { WebStreamsApi } from './webstream-listener.js';
import type { OpenTcpOptions, ListenTcpOptions, TcpListener } from './webstream-listener.js';
import type { TcpConnection } from './webstream-connection.js';
import { Pinger } from './ping.js';
import type { PingOptions, PingResult } from './ping.js';
import { systemError, invalidArgType, invalidArgValue, outOfRange } from './errors.js';

export interface StackLimits {
  /** UDP socket slots. Default 64. */
  sockets: number;
  /** ICMP (ping) socket slots, a pool of their own. Default 8. */
  icmpSockets: number;
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
  /** TCP connections in every state but TIME-WAIT (each owns its two rings). Default 64. */
  tcpConnections: number;
  /** TCP listeners. Default 16. */
  tcpListeners: number;
  /** Bytes of each connection's send ring and receive ring (at least 2048). Default 65536. */
  tcpSendBytes: number;
  tcpRecvBytes: number;
  /** Connections in TIME-WAIT (no buffers; the oldest goes early when full). Default 4096. */
  tcpTimeWaitEntries: number;
  /** TIME-WAIT lasts 2 * MSL. Default 60000 ms. */
  tcpTimeWaitMs: number;
  /** After close, unacknowledged data gets this long before the connection is reset. Default 2000 ms. */
  tcpLingerMs: number;
  /** A close the peer never completes (FIN-WAIT, CLOSING, LAST-ACK) is reset after this. Default 30000 ms. */
  tcpOrphanMs: number;
}

export interface StackOptions {
  /** Address(es) with prefix length, e.g. '10.0.0.1/24'. 127.0.0.1/8 is always there too. */
  ipv4?: string | string[];
  /** Default gateway (must be on a connected prefix). */
  gateway?: string;
  /** MAC address; default a locally administered one drawn from the stack's secret. */
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
   * Transmit checksum offload (virtio VIRTIO_NET_F_CSUM): the core leaves UDP and TCP checksums
   * for the device, which passes them on partial over a trusted link and completes them otherwise.
   * Default false.
   */
  checksumOffload?: boolean;
  /**
   * TCP segmentation offload (virtio VIRTIO_NET_F_HOST_TSO4 and GUEST_TSO4; implies
   * checksumOffload): TCP hands the device segments of up to 64 KiB. A link to another stack
   * with segmentationOffload carries them whole; every other receiver (a stack without it, a
   * switch, a tap, a capture) gets the MSS-sized segments the device cuts them into, with
   * complete checksums. Every queue buffer then holds 64 KiB (default queue sizes 64 instead of
   * 256). Default false.
   */
  segmentationOffload?: boolean;
  /**
   * Tests only: every TCP initial sequence number is this value plus a 4-microsecond clock,
   * instead of RFC 6528's keyed hash (so a test can start next to 2^32, field report 004).
   * Predictable sequence numbers are unsafe on a real network. Default: unset (RFC 6528).
   */
  tcpIssBase?: number;
}

const CONFIG_LIMIT_FIELDS: Record<keyof StackLimits, number> = {
  sockets: layout.CONFIG_MAX_SOCKETS,
  icmpSockets: layout.CONFIG_ICMP_SOCKETS,
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
  tcpConnections: layout.CONFIG_TCP_CONNECTIONS,
  tcpListeners: layout.CONFIG_TCP_LISTENERS,
  tcpSendBytes: layout.CONFIG_TCP_SEND_BYTES,
  tcpRecvBytes: layout.CONFIG_TCP_RECV_BYTES,
  tcpTimeWaitEntries: layout.CONFIG_TCP_TIME_WAIT_ENTRIES,
  tcpTimeWaitMs: layout.CONFIG_TCP_TIME_WAIT_MS,
  tcpLingerMs: layout.CONFIG_TCP_LINGER_MS,
  tcpOrphanMs: layout.CONFIG_TCP_ORPHAN_MS,
};

export interface SocketReport {
  handle: number;
  kind: 'udp' | 'icmp' | 'tcp' | 'tcp-listener';
  /** UDP and ICMP: open, bound, connected. TCP: the RFC 9293 state (LISTEN for a listener). */
  state: 'open' | 'bound' | 'connected' | TcpStateName;
  local: { address: string; port: number };
  remote: { address: string; port: number } | null;
  ageMs: number;
  rxQueuedBytes: number;
  rxQueuedDatagrams: number;
  /** TCP connections and listeners only. */
  tcp?: TcpReport;
}

/** RFC 9293 state names, as netstat prints them. */
export type TcpStateName = 'CLOSED' | 'LISTEN' | 'SYN-SENT' | 'SYN-RECEIVED' | 'ESTABLISHED' | 'FIN-WAIT-1' |
  'FIN-WAIT-2' | 'CLOSE-WAIT' | 'CLOSING' | 'LAST-ACK' | 'TIME-WAIT';
const TCP_STATE_NAMES: readonly TcpStateName[] = ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED',
  'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT'];

export interface TcpReport {
  /** Bytes queued to send (unsent and unacknowledged), and room to write now. */
  txQueuedBytes: number;
  txRoom: number;
  /** Smoothed RTT and retransmission timeout in milliseconds; retransmitted segments. */
  srttMs: number;
  rtoMs: number;
  retransmits: number;
  congestionWindow: number;
  peerWindow: number;
  mss: number;
  /** Closed by its user and still finishing; a listener's child not yet accepted. */
  orphan: boolean;
  unaccepted: boolean;
  peerFinished: boolean;
  /** Nagle off (setNoDelay) and keep-alive on (setKeepAlive), as the core has them. */
  noDelay: boolean;
  keepAlive: boolean;
  /** The error that ended it (a Node-style code), or null. */
  error: string | null;
  /** Listeners: backlog, children (half-open + unaccepted), queued for accept, SYNs refused. */
  backlog?: number;
  children?: number;
  acceptQueued?: number;
  refused?: number;
}

export interface StackReport {
  addresses: string[];
  mac: string;
  failed: string | null;
  memory: { heapTop: number; pages: number };
  sockets: SocketReport[];
  socketSlots: number;
  /** TCP connections in TIME-WAIT: they keep no slot and no buffers, only an entry. */
  tcpTimeWait: number;
}

/** The TCP part of a report row, from the result block socketInfo filled. */
function tcpReport(r: DataView, listener: boolean): TcpReport {
  const flags = r.getUint32(layout.INFO_TCP_FLAGS, true);
  const error = r.getInt32(layout.INFO_PENDING_ERROR, true);
  const row: TcpReport = {
    txQueuedBytes: r.getUint32(layout.INFO_TX_BYTES, true),
    txRoom: r.getUint32(layout.INFO_TX_ROOM, true),
    srttMs: r.getUint32(layout.INFO_SRTT, true) / 1000,
    rtoMs: r.getUint32(layout.INFO_RTO, true) / 1000,
    retransmits: r.getUint32(layout.INFO_RETRANSMITS, true),
    congestionWindow: r.getUint32(layout.INFO_CWND, true),
    peerWindow: r.getUint32(layout.INFO_PEER_WINDOW, true),
    mss: r.getUint32(layout.INFO_MSS, true),
    orphan: (flags & layout.TCP_INFO_FLAG_ORPHAN) !== 0,
    unaccepted: (flags & layout.TCP_INFO_FLAG_UNACCEPTED) !== 0,
    peerFinished: (flags & layout.TCP_INFO_FLAG_PEER_FINISHED) !== 0,
    noDelay: (flags & layout.TCP_INFO_FLAG_NO_DELAY) !== 0,
    keepAlive: (flags & layout.TCP_INFO_FLAG_KEEP_ALIVE) !== 0,
    error: error < 0 ? errnoName(error) : null,
  };
  if (listener) {
    row.backlog = r.getUint32(layout.INFO_BACKLOG, true);
    row.children = r.getUint32(layout.INFO_CHILDREN, true);
    row.acceptQueued = r.getUint32(layout.INFO_ACCEPT_QUEUED, true);
    row.refused = r.getUint32(layout.INFO_REFUSED, true);
  }
  return row;
}

const seedFromCrypto = (): bigint => {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
};


// ---- option checks ----
// The core refuses impossible limits too (init returns EINVAL), but only the host can say which
// option was wrong; the maxima mirror assembly/iface/config.ts.

const MAX_TABLE = 1 << 16;
const MAX_DURATION_MS = 24 * 3600 * 1000;
const LIMIT_MAXIMA: Record<keyof StackLimits, number> = {
  sockets: 0xffff,
  icmpSockets: 0xffff,
  udpRxDatagrams: MAX_TABLE,
  udpRxBytes: 64 * 1024 * 1024,
  neighbours: MAX_TABLE,
  neighbourPending: MAX_TABLE,
  neighbourLifetimeMs: MAX_DURATION_MS,
  arpRetryMs: MAX_DURATION_MS,
  arpMaxRequests: MAX_TABLE,
  rxQueueSize: layout.VIRTQ_MAX_SIZE,
  txQueueSize: layout.VIRTQ_MAX_SIZE,
  eventRingSize: MAX_TABLE,
  loopbackFrames: MAX_TABLE,
  portUnreachablePerSecond: MAX_TABLE,
  tcpConnections: 0xffff,
  tcpListeners: 0xffff,
  tcpSendBytes: 64 * 1024 * 1024,
  tcpRecvBytes: 64 * 1024 * 1024,
  tcpTimeWaitEntries: MAX_TABLE,
  tcpTimeWaitMs: MAX_DURATION_MS,
  tcpLingerMs: MAX_DURATION_MS,
  tcpOrphanMs: MAX_DURATION_MS,
};
/** A TCP ring holds at least this much (assembly/iface/config.ts MIN_TCP_BUFFER). */
const MIN_TCP_BUFFER = 2048;
/** The smallest virtqueue: a split ring needs two descriptors to be a ring at all. */
const MIN_QUEUE_SIZE = 2;
/** RFC 791: every IPv4 module must handle a 68-byte datagram; the Ethernet payload limit above. */
const MIN_MTU = 68;
const MAX_MTU = 0xffff - 14;
const DEFAULT_MTU = 1500;
/** IPv4 header (no options) plus UDP header: what a datagram's payload leaves of the MTU. */
const IP_UDP_HEADER_BYTES = 28;
/** Each datagram in a receive queue carries a 16-byte record header (socket/datagram_queue.ts). */
const DATAGRAM_RECORD_HEADER_BYTES = 16;
/** ping(8)'s default echo data, which a ping reply must find room for. */
const DEFAULT_PING_BYTES = 56;
const MULTICAST_FIRST_OCTET = 224;
const CLASS_E_FIRST_OCTET = 240;
const LOOPBACK_FIRST_OCTET = 127;
const CLOCK_METHODS = ['now', 'setTimer', 'clearTimer'] as const;

const firstOctet = (address: number): number => address >>> 24;
const prefixMask = (length: number): number => (length === 0 ? 0 : (0xffff_ffff << (32 - length)) >>> 0);

/**
 * RFC 1122 3.2.1.3: 0/8 means "this network", 127/8 is loopback (always there already), 224/4 is
 * multicast and 240/4 (with 255.255.255.255) reserved or broadcast: none is an interface address.
 */
function addressProblem(address: number, prefixLength: number): string | undefined {
  const octet = firstOctet(address);
  if (octet === 0) return 'is in 0.0.0.0/8 ("this network", RFC 1122 3.2.1.3)';
  if (octet === LOOPBACK_FIRST_OCTET) return 'is a loopback address (127.0.0.1/8 is always configured)';
  if (octet >= CLASS_E_FIRST_OCTET) return 'is reserved (240.0.0.0/4) or the limited broadcast address';
  if (octet >= MULTICAST_FIRST_OCTET) return 'is a multicast address (224.0.0.0/4)';
  if (prefixLength === 0) return 'has prefix length 0 (every address on-link)';
  return undefined;
}

function checkLimit(name: keyof StackLimits, value: unknown, min: number): number {
  const option = `options.limits.${name}`;
  if (typeof value !== 'number') throw invalidArgType(option, 'of type number', value);
  const max = LIMIT_MAXIMA[name];
  if (!Number.isInteger(value) || value < min || value > max) throw outOfRange(option, `an integer >= ${min} and <= ${max}`, value);
  if ((name === 'rxQueueSize' || name === 'txQueueSize') && (value & (value - 1)) !== 0) {
    throw invalidArgValue(option, value, `must be a power of two from ${MIN_QUEUE_SIZE} to ${max}`);
  }
  return value;
}

function isClock(clock: unknown): clock is Clock {
  if (clock === null || typeof clock !== 'object') return false;
  return CLOCK_METHODS.every((m) => typeof (clock as Record<string, unknown>)[m] === 'function');
}

/** Checks every option and fills the core's config block; throws an error naming the bad option. */
function writeConfig(config: DataView, options: StackOptions, seed: bigint): { cidrs: string[] } {
  for (let i = 0; i < layout.CONFIG_BYTES; i += 4) config.setUint32(i, 0, true);
  const ipv4 = options.ipv4;
  const cidrs = ipv4 === undefined ? [] : Array.isArray(ipv4) ? [...ipv4] : [ipv4];
  if (cidrs.length > layout.CONFIG_MAX_ADDRESSES) {
    throw invalidArgValue('options.ipv4', ipv4, `must hold at most ${layout.CONFIG_MAX_ADDRESSES} addresses`);
  }
  const parsed = cidrs.map((text) => {
    if (typeof text !== 'string') throw invalidArgType('options.ipv4', 'of type string or an array of strings', text);
    const cidr = parseCidr(text);
    if (!cidr) throw invalidArgValue('options.ipv4', text, 'must be an IPv4 address with a prefix length, e.g. 10.0.0.1/24');
    const problem = addressProblem(cidr.address, cidr.prefixLength);
    if (problem) throw invalidArgValue('options.ipv4', text, problem);
    return cidr;
  });
  config.setUint32(layout.CONFIG_ADDRESS_COUNT, parsed.length, true);
  parsed.forEach((cidr, i) => {
    config.setUint32(layout.CONFIG_ADDRESSES + i * layout.CONFIG_ADDRESS_STRIDE, cidr.address, true);
    config.setUint32(layout.CONFIG_ADDRESSES + i * layout.CONFIG_ADDRESS_STRIDE + 4, cidr.prefixLength, true);
  });
  if (options.gateway !== undefined) {
    if (typeof options.gateway !== 'string') throw invalidArgType('options.gateway', 'of type string', options.gateway);
    const gateway = parseIpv4(options.gateway);
    if (gateway === undefined) throw invalidArgValue('options.gateway', options.gateway, 'must be an IPv4 address');
    const problem = addressProblem(gateway, 32);
    if (problem) throw invalidArgValue('options.gateway', options.gateway, problem);
    if (parsed.some((c) => c.address === gateway)) throw invalidArgValue('options.gateway', options.gateway, 'is one of the stack\'s own addresses');
    // RFC 1122 3.3.1.1: the first hop must be reachable directly, i.e. on a connected prefix.
    const onLink = parsed.some((c) => ((c.address ^ gateway) & prefixMask(c.prefixLength)) === 0);
    if (!onLink) throw invalidArgValue('options.gateway', options.gateway, 'is not on any connected prefix of options.ipv4');
    config.setUint32(layout.CONFIG_GATEWAY, gateway, true);
  }
  if (options.mac !== undefined) {
    if (typeof options.mac !== 'string') throw invalidArgType('options.mac', 'of type string', options.mac);
    const bytes = parseMac(options.mac);
    if (!bytes) throw invalidArgValue('options.mac', options.mac, 'must be six hex bytes, e.g. 02:00:00:00:00:01');
    // IEEE 802: bit 0 of the first byte marks a group (multicast or broadcast) address.
    if ((bytes[0]! & 1) !== 0) throw invalidArgValue('options.mac', options.mac, 'is a multicast or broadcast MAC, not a unicast one');
    if (bytes.every((b) => b === 0)) throw invalidArgValue('options.mac', options.mac, 'is the all-zero MAC');
    bytes.forEach((b, i) => config.setUint8(layout.CONFIG_MAC + i, b));
  }
  // Without one, the core draws a locally administered MAC from the secret (LAYOUT_MAC).
  let mtu = DEFAULT_MTU;
  if (options.mtu !== undefined) {
    if (typeof options.mtu !== 'number') throw invalidArgType('options.mtu', 'of type number', options.mtu);
    if (!Number.isInteger(options.mtu) || options.mtu < MIN_MTU || options.mtu > MAX_MTU) {
      throw outOfRange('options.mtu', `an integer >= ${MIN_MTU} and <= ${MAX_MTU}`, options.mtu);
    }
    mtu = options.mtu;
    config.setUint32(layout.CONFIG_MTU, mtu, true);
  }
  const limits = options.limits ?? {};
  if (limits === null || typeof limits !== 'object') throw invalidArgType('options.limits', 'of type object', limits);
  for (const [name, value] of Object.entries(limits) as [keyof StackLimits, unknown][]) {
    if (value === undefined) continue;
    const offset = CONFIG_LIMIT_FIELDS[name];
    if (offset === undefined) throw invalidArgValue('options.limits', name, `has an unknown limit (known: ${Object.keys(CONFIG_LIMIT_FIELDS).join(', ')})`);
    const min = name === 'rxQueueSize' || name === 'txQueueSize' ? MIN_QUEUE_SIZE
      : name === 'tcpSendBytes' || name === 'tcpRecvBytes' ? MIN_TCP_BUFFER : 1;
    config.setUint32(offset, checkLimit(name, value, min), true);
  }
  if (limits.udpRxBytes !== undefined) {
    // One datagram of the largest payload the MTU allows, and one default ping reply, must fit.
    const needed = DATAGRAM_RECORD_HEADER_BYTES + Math.max(mtu - IP_UDP_HEADER_BYTES, DEFAULT_PING_BYTES);
    if (limits.udpRxBytes < needed) {
      throw invalidArgValue('options.limits.udpRxBytes', limits.udpRxBytes, `is too small for one ${mtu - IP_UDP_HEADER_BYTES}-byte datagram at MTU ${mtu}: at least ${needed}`);
    }
  }
  config.setBigUint64(layout.CONFIG_SEED, seed, true);
  // The secret keys every hash a peer must not predict (ports, the default MAC; later ISNs). With
  // a seed it stays zero and the core derives it from the seed, so a seeded run replays exactly;
  // without one it comes from crypto, apart from the seed.
  if (options.seed === undefined) {
    const secret = new Uint8Array(config.buffer, config.byteOffset + layout.CONFIG_SECRET, layout.CONFIG_SECRET_BYTES);
    globalThis.crypto.getRandomValues(secret);
  }
  let flags = options.checksumOffload || options.segmentationOffload ? layout.CONFIG_FLAG_TX_CHECKSUM_OFFLOAD : 0;
  if (options.segmentationOffload) flags |= layout.CONFIG_FLAG_SEGMENTATION_OFFLOAD;
  if (options.tcpIssBase !== undefined) {
    const base = options.tcpIssBase;
    if (typeof base !== 'number' || !Number.isInteger(base) || base < 0 || base > 0xffff_ffff) {
      throw outOfRange('options.tcpIssBase', 'an integer >= 0 and <= 4294967295', base);
    }
    flags |= layout.CONFIG_FLAG_TCP_FIXED_ISS;
    config.setUint32(layout.CONFIG_TCP_ISS_BASE, base, true);
  }
  config.setUint32(layout.CONFIG_FLAGS, flags, true);
  return { cidrs };
}

export class Stack implements LinkEndpoint {
  readonly clock: Clock;
  /** A stack consumes the frames it receives (LinkEndpoint.terminal). */
  readonly terminal = true;
  readonly mac: string;
  readonly addresses: readonly string[];
  readonly dgram: DgramApi;
  /** TCP with node:net's shape: createServer, connect, createConnection, Socket, Server. */
  readonly net: NetApi;
  /** @internal */ readonly session: Session;
  readonly #pinger: Pinger;
  readonly #streams: WebStreamsApi;

  private constructor(session: Session, mac: string, addresses: string[]) {
    this.session = session;
    this.clock = session.clock;
    this.mac = mac;
    this.addresses = addresses;
    this.dgram = new DgramApi(session);
    this.net = new NetApi(session);
    this.#pinger = new Pinger(session);
    this.#streams = new WebStreamsApi(session);
  }

  static async create(options: StackOptions = {}): Promise<Stack> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (options.clock !== undefined && !isClock(options.clock)) {
      throw invalidArgType('options.clock', `an object with the Clock methods (${CLOCK_METHODS.join(', ')})`, options.clock);
    }
    const clock = options.clock ?? new RealClock();
    const seed = BigInt.asUintN(64, options.seed !== undefined ? BigInt(options.seed) : seedFromCrypto());
    const core = await loadCore(options.core);
    const config = new DataView(core.memory.buffer, core.configBlock(), layout.CONFIG_BYTES);
    const { cidrs } = writeConfig(config, options, seed);
    const r = core.init();
    if (r < 0) throw systemError(r, 'init', { detail: '(the limits together need more than 1 GiB, or the core refused them)' });
    const mac = new Uint8Array(core.memory.buffer, core.layoutTable() + layout.LAYOUT_MAC, 6);
    return new Stack(new Session(core, clock), formatMac(mac), cidrs);
  }

  /** Set when the core trapped: every later call fails with this error. */
  get failed(): Error | null {
    return this.session.failed;
  }

  get closed(): boolean {
    return this.session.closed;
  }

  /** @internal */
  get core(): CoreExports {
    return this.session.core;
  }

  /** @internal */
  get keepAlive(): KeepAlive {
    return this.session.keepAlive;
  }

  // ---- LinkEndpoint ----

  /** A frame from the link. */
  receive(frame: Uint8Array, trusted: boolean): void {
    this.session.receive(frame, trusted);
  }

  attach(transmit: Transmit, options?: TransmitOptions): void {
    this.session.attach(transmit, options);
  }

  /** LinkEndpoint: the NIC's rings, for links that move frames ring to ring. */
  get rings(): FrameRings {
    return this.session.nic;
  }

  // ---- user API ----

  /** Sends an ICMP echo request and resolves with the reply's round trip (rejects ETIMEDOUT). */
  ping(host: string, options: PingOptions = {}): Promise<PingResult> {
    return this.#pinger.ping(host, options);
  }

  /**
   * TCP as web streams: resolves once connected to `{ readable, writable, remoteAddress, ... }`
   * (a byte ReadableStream with BYOB reads, a WritableStream); rejects with ECONNREFUSED...
   */
  openTcp(options: OpenTcpOptions): Promise<TcpConnection> {
    return this.#streams.openTcp(options);
  }

  /** A TCP listener as an async iterable of web-stream connections (close() stops it). */
  listenTcp(options?: ListenTcpOptions): TcpListener {
    return this.#streams.listenTcp(options);
  }

  /** Every counter of the core, plus the NIC's. */
  stats(): Record<string, number> {
    this.session.assertUsable('stats');
    return this.session.stats();
  }

  /** Heap top and memory size of the core: both fixed after init. */
  memory(): { heapTop: number; pages: number } {
    this.session.assertUsable('memory');
    return { heapTop: this.core.heapTop() >>> 0, pages: this.core.memoryPages() };
  }

  /**
   * Every socket slot in use: kind, state, addresses, age, queue. Also on a closed stack (whose
   * sockets are all closed, so it lists none); on a failed one only the failure.
   */
  report(): StackReport {
    const session = this.session;
    const sockets: SocketReport[] = [];
    const slots = session.socketCapacity();
    const now = this.clock.now();
    for (let i = 0; i < slots; i++) {
      if (session.socketInfo(i) === 0) continue;
      const r = session.resultView();
      const kind = r.getUint32(layout.INFO_KIND, true);
      const state = r.getUint32(layout.INFO_STATE, true);
      const remoteAddress = r.getUint32(layout.INFO_REMOTE_ADDRESS, true);
      const isTcp = kind === layout.SOCKET_KIND_TCP || kind === layout.SOCKET_KIND_TCP_LISTENER;
      sockets.push({
        handle: r.getInt32(layout.INFO_HANDLE, true),
        kind: kind === layout.SOCKET_KIND_UDP ? 'udp' : kind === layout.SOCKET_KIND_ICMP ? 'icmp'
          : kind === layout.SOCKET_KIND_TCP ? 'tcp' : 'tcp-listener',
        state: isTcp ? TCP_STATE_NAMES[state] ?? 'CLOSED'
          : state === layout.SOCKET_STATE_CONNECTED ? 'connected' : state === layout.SOCKET_STATE_BOUND ? 'bound' : 'open',
        local: { address: formatIpv4(r.getUint32(layout.INFO_LOCAL_ADDRESS, true)), port: r.getUint32(layout.INFO_LOCAL_PORT, true) },
        remote: remoteAddress === 0 ? null : { address: formatIpv4(remoteAddress), port: r.getUint32(layout.INFO_REMOTE_PORT, true) },
        ageMs: (now - Number(r.getBigInt64(layout.INFO_CREATED_AT, true))) / 1000,
        rxQueuedBytes: r.getUint32(layout.INFO_RX_BYTES, true),
        rxQueuedDatagrams: r.getUint32(layout.INFO_RX_DATAGRAMS, true),
        ...(isTcp ? { tcp: tcpReport(r, kind === layout.SOCKET_KIND_TCP_LISTENER) } : {}),
      });
    }
    return {
      addresses: [...this.addresses],
      mac: this.mac,
      failed: session.failed?.message ?? null,
      memory: session.failed ? { heapTop: 0, pages: 0 } : { heapTop: this.core.heapTop() >>> 0, pages: this.core.memoryPages() },
      sockets,
      socketSlots: slots,
      tcpTimeWait: session.failed ? 0 : session.call(() => this.core.tcpTimeWaitCount()) ?? 0,
    };
  }

  /** Closes every socket (in the core too), stops every timer; the stack is unusable afterwards. */
  close(): void {
    this.session.close();
  }
}

