// The TCP layer: every connection and listener of one stack, the segments between them and the
// interface, and the bounds that keep churn and dead peers from exhausting anything.
//
//   connections: SlotPool (tag SOCKET_KIND_TCP) of TcpConnection, each owning its rings
//     byTuple  HashIndex (local address, remote address, ports) -> connection
//     pollAt   TimerHeap connection -> when it next needs onTimers + dispatch (now: owes a segment)
//     orphans  LruList of connections their user closed that are still finishing, oldest at back
//     owner    who holds each connection: its user, its listener (not yet accepted), or nobody
//   listeners: ListenerTable (tag SOCKET_KIND_TCP_LISTENER), accept queues threaded by acceptNext
//   timeWait: TimeWaitTable, no buffers
//
// Input (from poll's receive step): a segment goes to its connection, else to a TIME-WAIT entry,
// else to a listener, else it is answered with RST (RFC 9293 3.10.7.1). Output happens in poll's
// dispatch step only: each due connection runs its timers and emits what it owes, one segment at a
// time while the transmit path has room. Answers that stand for no connection (RST to a closed
// port, TIME-WAIT's ACKs) go out at once from the control workspace, like ICMP errors.
//
// Limits (field reports 000, 002, 003): a full table refuses connect with EMFILE and a SYN with
// RST, after first reclaiming the oldest orphan; close never blocks and frees the user's handle at
// once; an orphan that cannot finish is reset after a bound; TIME-WAIT holds no slot.

import * as Errno from "../../../bindings/errno_values";
import {
  SOCKET_KIND_TCP, SOCKET_KIND_TCP_LISTENER, TCP_STATE_CLOSED, TCP_STATE_SYN_SENT,
  TCP_STATE_ESTABLISHED, TCP_STATE_TIME_WAIT, TCP_STATE_SYN_RECEIVED, EVENT_READABLE, EVENT_CLOSED,
  EVENT_ERROR, STAT_SOCKET_TABLE_FULL, STAT_TCP_SEGMENTS_RECEIVED, STAT_TCP_SEGMENTS_SENT,
  STAT_TCP_DROP_MALFORMED, STAT_TCP_DROP_CHECKSUM, STAT_TCP_DROP_BROADCAST, STAT_TCP_DROP_NO_SOCKET,
  STAT_TCP_RESETS_SENT, STAT_TCP_RESETS_RECEIVED, STAT_TCP_BACKLOG_FULL, STAT_TCP_TABLE_FULL,
  STAT_TCP_ACTIVE_OPENS, STAT_TCP_PASSIVE_OPENS, STAT_TCP_TIMEOUTS, STAT_TCP_HALF_OPEN_TIMEOUTS,
  STAT_TCP_LINGER_RESETS, STAT_TCP_ORPHANS_TIMED_OUT, STAT_TCP_ORPHANS_EVICTED,
  STAT_TCP_TIME_WAIT_EVICTED, STAT_TCP_SEND_FAILED, STAT_TCP_RETRANSMITS, STAT_TCP_IDLE_WAKEUPS, TCP_OPTION_NO_DELAY,
  TCP_OPTION_KEEP_ALIVE,
} from "../../../bindings/layout";
import { SlotPool, SLOT_FULL } from "../../storage/slot_pool";
import { HashIndex, HASH_NONE } from "../../storage/hash_index";
import { TimerHeap } from "../../storage/timer_heap";
import { LruList, LRU_NONE } from "../../storage/lru_list";
import { WireError } from "../../wire/error";
import { TcpPacket, TcpRepr, TcpFlags, TCP_HEADER_LEN } from "../../wire/tcp";
import { IpProtocol, IPV4_DEFAULT_TTL } from "../../wire/ipv4";
import { Egress, Workspace, CHECKSUM_COMPLETE, NOT_SEGMENTED } from "../../iface/egress";
import { isLoopbackNet, NO_ROUTE } from "../../iface/interface";
import { Ingress } from "../../iface/ingress";
import { EventRing } from "../../iface/events";
import { count, countBy } from "../../iface/stats";
import { Secret, SECRET_USE_INDEX, SECRET_USE_ISN } from "../../secret";
import { seqAdd, seqGt, seqLt } from "../../seq";
import { IcmpErrorMeaning } from "../icmp_error";
import { Instant, NO_DEADLINE, MICROS_PER_MILLI, instantAdd, minDeadline } from "../../time";
import { EphemeralPorts, EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, EPHEMERAL_PORTS } from "../ephemeral_ports";
import {
  TcpConnection, NOTHING, Verdict, RECLAIMED_BY_LINGER, RECLAIMED_BY_ORPHAN_TIMEOUT,
  RECLAIMED_BY_HALF_OPEN_TIMEOUT, RECLAIMED_BY_TIMEOUT,
} from "./connection";
import { TcpParams } from "./params";
import { ListenerTable, ANY_ADDRESS } from "./listeners";
import { TimeWaitTable, tupleKey, tupleKeyHigh } from "./time_wait";

const NONE: i32 = -1;
/** Who holds a connection. */
const OWNER_NONE: u8 = 0;
const OWNER_USER: u8 = 1;
const OWNER_LISTENER: u8 = 2;
/** Offset of the checksum in the TCP header (for checksum offload). */
const TCP_CHECKSUM_OFFSET: i32 = 16;
/** Node's default backlog, used when listen is given none. */
export const DEFAULT_BACKLOG: i32 = 511;
/** Segments one connection may emit per dispatch step before the others get their turn. */
const SEGMENTS_PER_TURN: i32 = 64;
/** RFC 6528: M is a timer ticking every 4 microseconds. */
const ISN_TICK_SHIFT: i64 = 2;
/** RFC 1122 4.2.2.13 / Linux: a SYN reusing a TIME-WAIT tuple gets an ISS past the old SND.NXT. */
const TIME_WAIT_ISS_GAP: i32 = 65535 + 2;
/** How long a connection that owed nothing after all waits before it is looked at again. */
const IDLE_RETRY: i64 = 1000;
/** Ports counted in the ephemeral range. */
const EPHEMERAL_COUNT: i32 = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;


export class TcpLayer {
  readonly params: TcpParams;
  readonly pool: SlotPool;
  readonly conns: StaticArray<TcpConnection>;
  readonly listeners: ListenerTable;
  readonly timeWait: TimeWaitTable;
  private readonly owner: StaticArray<u8>;
  private readonly parent: StaticArray<i32>;
  private readonly acceptNext: StaticArray<i32>;
  /** The child waits in its listener's accept queue (so a segment never walks the queue to know). */
  private readonly inAcceptQueue: StaticArray<bool>;
  private readonly indexed: StaticArray<bool>;
  /** The connection holds one reference on its local port's ephemeral count. */
  private readonly holdsPort: StaticArray<bool>;
  private readonly byTuple: HashIndex;
  private readonly pollAt: TimerHeap;
  private readonly orphans: LruList;
  /**
   * Connections that owed segments when the transmit path was full, oldest at the back: they run
   * first once there is room, and cost no poll until then (the device wakes the stack when it
   * takes frames), so a full queue never turns into a busy loop.
   */
  private readonly waiters: LruList;
  private readonly portUsers: StaticArray<u16>;
  private readonly ports: EphemeralPorts;
  private readonly packet: TcpPacket = new TcpPacket();
  private readonly segment: TcpRepr = new TcpRepr();
  private readonly out: TcpRepr = new TcpRepr();
  private readonly reply: TcpRepr = new TcpRepr();
  private readonly secret: Secret;
  /** Event sources: connections first, then listeners. */
  readonly sourceBase: i32;
  readonly listenerSourceBase: i32;
  /** Set during dispatch when the transmit path refused a segment; the step ends there. */
  private blocked: bool = false;

  constructor(
    params: TcpParams, connections: i32, listenerCount: i32, timeWaitEntries: i32,
    readonly egress: Egress, readonly events: EventRing, secret: Secret, sourceBase: i32,
  ) {
    this.params = params;
    this.secret = secret;
    this.pool = new SlotPool(connections, 0, SOCKET_KIND_TCP);
    const conns = new StaticArray<TcpConnection>(connections);
    for (let i = 0; i < connections; i++) conns[i] = new TcpConnection(params);
    this.conns = conns;
    this.owner = new StaticArray<u8>(connections);
    this.parent = new StaticArray<i32>(connections);
    this.acceptNext = new StaticArray<i32>(connections);
    this.inAcceptQueue = new StaticArray<bool>(connections);
    this.indexed = new StaticArray<bool>(connections);
    this.holdsPort = new StaticArray<bool>(connections);
    this.byTuple = new HashIndex(connections, secret.keyFor(SECRET_USE_INDEX, 4), secret.keyFor(SECRET_USE_INDEX, 5));
    this.pollAt = new TimerHeap(connections);
    this.orphans = new LruList(connections);
    this.waiters = new LruList(connections);
    this.portUsers = new StaticArray<u16>(EPHEMERAL_COUNT);
    this.ports = new EphemeralPorts(secret);
    this.listeners = new ListenerTable(listenerCount, SOCKET_KIND_TCP_LISTENER,
      secret.keyFor(SECRET_USE_INDEX, 6), secret.keyFor(SECRET_USE_INDEX, 7));
    this.timeWait = new TimeWaitTable(timeWaitEntries, secret.keyFor(SECRET_USE_INDEX, 8), secret.keyFor(SECRET_USE_INDEX, 9));
    this.sourceBase = sourceBase;
    this.listenerSourceBase = sourceBase + connections;
  }

  /** Bytes the layer allocates for these limits (the footprint check uses it). */
  static bytesFor(params: TcpParams, connections: i32, listeners: i32, timeWaitEntries: i32): u64 {
    const perConnection: u64 = TcpConnection.bytesFor(params) + sizeof<usize>() + 2 * sizeof<u8>() +
      2 * sizeof<i32>() + 3 * sizeof<bool>() + <u64>offsetof<TcpConnection>() + 256;
    return <u64>connections * perConnection + <u64>SlotPool.bytesFor(connections, 0) +
      <u64>HashIndex.bytesFor(connections) + <u64>TimerHeap.bytesFor(connections) +
      2 * <u64>LruList.bytesFor(connections) + <u64>EPHEMERAL_COUNT * sizeof<u16>() +
      <u64>EphemeralPorts.bytesFor() + ListenerTable.bytesFor(listeners) +
      TimeWaitTable.bytesFor(timeWaitEntries);
  }

  /** Event sources this layer uses. */
  static sourcesFor(connections: i32, listeners: i32): i32 {
    return connections + listeners;
  }

  // ======================================================================================
  // Handles
  // ======================================================================================

  /** A connection index for a user's handle, or -EBADF (stale, closed by its user, not TCP). */
  resolve(handle: i32): i32 {
    const i = this.pool.resolve(handle);
    if (i < 0 || unchecked(this.owner[i]) != OWNER_USER) return -Errno.EBADF;
    return i;
  }

  resolveListener(handle: i32): i32 {
    const i = this.listeners.pool.resolve(handle);
    return i < 0 ? -Errno.EBADF : i;
  }

  @inline conn(i: i32): TcpConnection {
    return unchecked(this.conns[i]);
  }

  // ======================================================================================
  // Opening
  // ======================================================================================

  /**
   * connect(): a new connection from (local, localPort) (0: chosen) to (remote, port). Returns its
   * handle, or -EMFILE (table full), -ENETUNREACH (no route), -EADDRINUSE (four-tuple taken, or
   * no ephemeral port free), -EINVAL (bad port or address), -EADDRNOTAVAIL (local not ours).
   */
  connect(remote: u32, port: u32, local: u32, localPort: u32, now: Instant): i32 {
    if (port == 0 || port > 0xffff || localPort > 0xffff) return -Errno.EINVAL;
    const iface = this.egress.iface;
    // RFC 1122 4.2.3.10: never to a broadcast or multicast address.
    if (remote == ANY_ADDRESS || iface.isBroadcast(remote) || (remote >>> 28) == 0xe) return -Errno.ENETUNREACH;
    if (local != ANY_ADDRESS && !iface.isOwn(local)) return -Errno.EADDRNOTAVAIL;
    // No route (neither a connected prefix nor a usable gateway): fail now, as Linux's connect()
    // does, rather than retransmit SYNs that can never leave (sourceFor still names an address).
    if (!isLoopbackNet(remote) && !iface.isOwn(remote) && iface.nextHop(remote) == NO_ROUTE) return -Errno.ENETUNREACH;
    const src = local != ANY_ADDRESS ? local : iface.sourceFor(remote);
    if (src == 0) return -Errno.ENETUNREACH;
    // TIME-WAIT entries whose time is up go first: the host calls this without polling, and an
    // expired entry must not make its tuple look taken.
    this.timeWait.expire(now);
    let chosen = localPort;
    if (chosen == 0) {
      // RFC 6056 3.3.3: the next port whose tuple is neither in use nor in TIME-WAIT, as Linux's
      // connect() looks for one; EADDRINUSE only when every free port is.
      for (let tries = 0; tries < EPHEMERAL_PORTS && chosen == 0; tries++) {
        const p = this.ports.chooseFor(src, remote, port);
        if (p < 0) return -Errno.EADDRINUSE;
        if (this.findConnection(src, p, remote, port) == NONE && this.timeWait.find(src, p, remote, port) == NONE) chosen = <u32>p;
      }
      if (chosen == 0) return -Errno.EADDRINUSE;
    } else if (this.findConnection(src, chosen, remote, port) != NONE ||
        this.timeWait.find(src, chosen, remote, port) != NONE) return -Errno.EADDRINUSE;
    const i = this.allocate(now);
    if (i < 0) {
      count(STAT_SOCKET_TABLE_FULL);
      return -Errno.EMFILE;
    }
    const c = this.conn(i);
    c.connect(src, <u16>chosen, remote, <u16>port, this.isn(src, chosen, remote, port, now), now);
    unchecked(this.owner[i] = OWNER_USER);
    this.index(i);
    this.takePort(i, chosen);
    count(STAT_TCP_ACTIVE_OPENS);
    this.pollAt.set(i, now);
    return this.pool.handleOf(i);
  }

  /**
   * listen(): a listener on (address, port) (port 0: chosen) with room for `backlog` half-open
   * plus unaccepted connections (0: the default). Handle, or -EADDRINUSE, -EMFILE, -EINVAL,
   * -EADDRNOTAVAIL.
   */
  listen(address: u32, port: u32, backlog: i32, now: Instant): i32 {
    if (port > 0xffff || backlog < 0) return -Errno.EINVAL;
    if (address != ANY_ADDRESS && !this.egress.iface.isOwn(address)) return -Errno.EADDRNOTAVAIL;
    let chosen = port;
    if (chosen == 0) {
      const p = this.ports.choose(address);
      if (p < 0) return -Errno.EADDRINUSE;
      chosen = <u32>p;
    }
    if (this.listeners.inUse(address, chosen)) return -Errno.EADDRINUSE;
    const limit = backlog == 0 ? DEFAULT_BACKLOG : backlog;
    const i = this.listeners.add(address, <u16>chosen, limit < this.pool.capacity ? limit : this.pool.capacity, now);
    if (i == SLOT_FULL) {
      count(STAT_SOCKET_TABLE_FULL);
      return -Errno.EMFILE;
    }
    this.addPortUser(chosen);
    return this.listeners.pool.handleOf(i);
  }

  /** The next established connection waiting on listener `handle`: its handle, or -EAGAIN. */
  accept(handle: i32): i32 {
    const l = this.resolveListener(handle);
    if (l < 0) return l;
    const listeners = this.listeners;
    const i = unchecked(listeners.acceptHead[l]);
    if (i == NONE) return -Errno.EAGAIN;
    const next = unchecked(this.acceptNext[i]);
    unchecked(listeners.acceptHead[l] = next);
    if (next == NONE) unchecked(listeners.acceptTail[l] = NONE);
    unchecked(listeners.queued[l] = unchecked(listeners.queued[l]) - 1);
    unchecked(listeners.children[l] = unchecked(listeners.children[l]) - 1);
    unchecked(this.inAcceptQueue[i] = false);
    unchecked(this.owner[i] = OWNER_USER);
    unchecked(this.parent[i] = NONE);
    return this.pool.handleOf(i);
  }

  /** Closes listener `handle`: children not yet accepted are reset (as Linux does). */
  closeListener(handle: i32, now: Instant): i32 {
    const l = this.resolveListener(handle);
    if (l < 0) return l;
    const pool = this.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (unchecked(this.owner[i]) == OWNER_LISTENER && unchecked(this.parent[i]) == l) {
        unchecked(this.owner[i] = OWNER_NONE);
        unchecked(this.parent[i] = NONE);
        this.conn(i).abort();
        this.flushNow(i, now);
      }
    }
    this.releasePortUser(<u32>unchecked(this.listeners.port[l]));
    this.listeners.remove(l);
    return 0;
  }

  // ======================================================================================
  // The user's calls on a connection
  // ======================================================================================

  /** Asks for a dispatch of connection i at `now` (something may be owed after a user call). */
  @inline wake(i: i32, now: Instant): void {
    if (!this.waiters.isMember(i)) this.pollAt.set(i, now);
  }

  /**
   * close(): the handle is the user's no more (EBADF from now on); the connection finishes on its
   * own (connection.ts close) and is reclaimed by the orphan bounds, or at once when done.
   */
  close(handle: i32, now: Instant): i32 {
    const i = this.resolve(handle);
    if (i < 0) return i;
    unchecked(this.owner[i] = OWNER_NONE);
    const c = this.conn(i);
    c.takeEvents();
    if (c.close(now) && !this.hasOwed(i, now)) {
      this.free(i);
      return 0;
    }
    this.orphans.pushFront(i);
    this.settle(i, now);
    return 0;
  }

  /** abort(): RST now (if the peer knows of us), the slot free at once. */
  abort(handle: i32, now: Instant): i32 {
    const i = this.resolve(handle);
    if (i < 0) return i;
    unchecked(this.owner[i] = OWNER_NONE);
    this.conn(i).abort();
    this.flushNow(i, now);
    return 0;
  }

  setOption(handle: i32, option: i32, value: i32, now: Instant): i32 {
    const i = this.resolve(handle);
    if (i < 0) return i;
    const c = this.conn(i);
    if (option == TCP_OPTION_NO_DELAY) {
      c.noDelay = value != 0;
    } else if (option == TCP_OPTION_KEEP_ALIVE) {
      if (value < 0) return -Errno.EINVAL;
      c.setKeepAlive(value != 0, now, <i64>value * MICROS_PER_MILLI);
    } else {
      return -Errno.ENOPROTOOPT;
    }
    this.wake(i, now);
    return 0;
  }

  // ======================================================================================
  // Input
  // ======================================================================================

  /** A TCP segment the interface accepted for one of our addresses. */
  input(ingress: Ingress, trusted: bool, now: Instant): void {
    const ip = ingress.ip;
    if (ingress.toBroadcast) {
      count(STAT_TCP_DROP_BROADCAST);
      return;
    }
    const packet = this.packet;
    const seg = this.segment;
    if (packet.check(ingress.payloadPtr, ingress.payloadLen) < 0) {
      count(STAT_TCP_DROP_MALFORMED);
      return;
    }
    const r = seg.parse(packet, ip.src, ip.dst, !trusted);
    if (r == WireError.BadChecksum) {
      count(STAT_TCP_DROP_CHECKSUM);
      return;
    }
    if (r < 0) {
      count(STAT_TCP_DROP_MALFORMED);
      return;
    }
    count(STAT_TCP_SEGMENTS_RECEIVED);
    const src = ip.src;
    const dst = ip.dst;
    const i = this.findConnection(dst, <u32>seg.dstPort, src, <u32>seg.srcPort);
    if (i != NONE) {
      this.connectionInput(i, seg, src, dst, now);
      return;
    }
    const tw = this.timeWait.find(dst, <u32>seg.dstPort, src, <u32>seg.srcPort);
    if (tw != NONE) {
      if (!this.timeWaitInput(tw, seg, src, dst, now)) return;
      // A new SYN took the TIME-WAIT tuple over: it goes to the listener below.
    }
    const l = this.listeners.lookup(dst, <u32>seg.dstPort);
    if (l != NONE) {
      this.listenInput(l, seg, src, dst, now, tw);
      return;
    }
    count(STAT_TCP_DROP_NO_SOCKET);
    this.resetFor(seg, src, dst, now);
  }

  private connectionInput(i: i32, seg: TcpRepr, src: u32, dst: u32, now: Instant): void {
    const c = this.conn(i);
    const wasOpen = c.state != TCP_STATE_CLOSED;
    const v = c.process(seg, now);
    if (v == Verdict.ResetForAck) {
      this.sendReset(dst, src, seg.dstPort, seg.srcPort, seg.ack, 0, false, now);
    }
    if (wasOpen && c.state == TCP_STATE_CLOSED && seg.has(TcpFlags.RST)) count(STAT_TCP_RESETS_RECEIVED);
    this.settle(i, now);
  }

  /**
   * A segment for a TIME-WAIT entry (RFC 9293 3.10.7.4 in TIME-WAIT). Returns true when it is a
   * new SYN that may reopen the tuple (RFC 1122 4.2.2.13: its sequence number is past what we
   * received); the entry is then gone and the caller hands the SYN to the listener.
   */
  private timeWaitInput(tw: i32, seg: TcpRepr, src: u32, dst: u32, now: Instant): bool {
    const table = this.timeWait;
    if (seg.has(TcpFlags.RST)) {
      table.remove(tw);
      return false;
    }
    const rcvNxt = unchecked(table.rcvNxt[tw]);
    if (seg.has(TcpFlags.SYN) && !seg.has(TcpFlags.ACK) && seqGt(seg.seq, rcvNxt)) return true;
    if (seg.has(TcpFlags.FIN)) table.restart(tw, instantAdd(now, this.params.timeWait));
    // Anything else is answered with an ACK of what we have (a retransmitted FIN, a stray segment).
    const r = this.reply;
    r.options.clear();
    r.srcPort = seg.dstPort;
    r.dstPort = seg.srcPort;
    r.seq = unchecked(table.sndNxt[tw]);
    r.ack = rcvNxt;
    r.flags = TcpFlags.ACK;
    r.window = unchecked(table.window[tw]);
    r.urgentPointer = 0;
    r.payloadLen = 0;
    this.sendControl(r, dst, src, now);
    return false;
  }

  /** RFC 9293 3.10.7.2: a segment for a listener. `reused`: a TIME-WAIT entry it replaces, or -1. */
  private listenInput(l: i32, seg: TcpRepr, src: u32, dst: u32, now: Instant, reused: i32): void {
    if (seg.has(TcpFlags.RST)) return;
    if (seg.has(TcpFlags.ACK)) {
      this.sendReset(dst, src, seg.dstPort, seg.srcPort, seg.ack, 0, false, now);
      return;
    }
    if (!seg.has(TcpFlags.SYN)) return;
    const listeners = this.listeners;
    if (listeners.isFull(l)) {
      // Field report 002: a full backlog answers RST (and counts), so the peer hears at once.
      count(STAT_TCP_BACKLOG_FULL);
      unchecked(listeners.refused[l] = unchecked(listeners.refused[l]) + 1);
      this.resetFor(seg, src, dst, now);
      return;
    }
    const i = this.allocate(now);
    if (i < 0) {
      count(STAT_TCP_TABLE_FULL);
      this.resetFor(seg, src, dst, now);
      return;
    }
    let iss = this.isn(dst, <u32>seg.dstPort, src, <u32>seg.srcPort, now);
    if (reused != NONE) {
      iss = seqAdd(unchecked(this.timeWait.sndNxt[reused]), TIME_WAIT_ISS_GAP);
      this.timeWait.remove(reused);
    }
    const c = this.conn(i);
    c.isPassive = true;
    c.acceptSyn(dst, src, seg, iss, now);
    unchecked(this.owner[i] = OWNER_LISTENER);
    unchecked(this.parent[i] = l);
    unchecked(listeners.children[l] = unchecked(listeners.children[l]) + 1);
    this.index(i);
    this.pollAt.set(i, now);
  }

  /** RST in answer to a segment that has no connection (RFC 9293 3.10.7.1), never to a RST. */
  private resetFor(seg: TcpRepr, src: u32, dst: u32, now: Instant): void {
    if (seg.has(TcpFlags.RST)) return;
    if (seg.has(TcpFlags.ACK)) {
      this.sendReset(dst, src, seg.dstPort, seg.srcPort, seg.ack, 0, false, now);
    } else {
      const len = seg.payloadLen + (seg.has(TcpFlags.SYN) ? 1 : 0) + (seg.has(TcpFlags.FIN) ? 1 : 0);
      this.sendReset(dst, src, seg.dstPort, seg.srcPort, 0, seqAdd(seg.seq, len), true, now);
    }
  }

  private sendReset(src: u32, dst: u32, srcPort: u16, dstPort: u16, seq: u32, ack: u32, withAck: bool, now: Instant): void {
    const r = this.reply;
    r.options.clear();
    r.srcPort = srcPort;
    r.dstPort = dstPort;
    r.seq = seq;
    r.ack = withAck ? ack : 0;
    r.flags = withAck ? TcpFlags.RST | TcpFlags.ACK : TcpFlags.RST;
    r.window = 0;
    r.urgentPointer = 0;
    r.payloadLen = 0;
    count(STAT_TCP_RESETS_SENT);
    this.sendControl(r, src, dst, now);
  }

  /** Sends a segment without payload from the control workspace. */
  private sendControl(r: TcpRepr, src: u32, dst: u32, now: Instant): void {
    const ws = this.egress.control;
    this.emit(ws, r, src, dst, now);
  }

  // ======================================================================================
  // Dispatch
  // ======================================================================================

  /**
   * The dispatch step of poll: TIME-WAIT entries whose time is up go; every connection whose time
   * has come runs its timers and emits what it owes while the transmit path has room.
   */
  dispatch(now: Instant): void {
    this.timeWait.expire(now);
    this.blocked = false;
    // Those that waited for room first, oldest first.
    const waiters = this.waiters;
    for (let i = waiters.back(); i != LRU_NONE && !this.blocked; i = waiters.back()) {
      waiters.remove(i);
      this.run(i, now);
    }
    // Each due connection is taken once per step; one that still owes (it hit SEGMENTS_PER_TURN)
    // is put back for the next step, so no connection can hold the step for ever.
    const pollAt = this.pollAt;
    let budget = this.pool.capacity;
    while (budget-- > 0 && !this.blocked && pollAt.peekDeadline() <= now) {
      const i = pollAt.pop();
      this.run(i, now);
    }
    if (this.blocked) {
      // Everything still due waits for room, out of the heap, so the deadline is not "now".
      while (pollAt.peekDeadline() <= now) {
        const i = pollAt.pop();
        if (!waiters.isMember(i)) waiters.pushFront(i);
      }
    }
  }

  /** Connections wait for the transmit path to take frames (the host polls once it did). */
  @inline get waitingForRoom(): bool {
    return this.waiters.length > 0;
  }

  /** Runs connection i's timers and emits up to SEGMENTS_PER_TURN segments, then settles it. */
  private run(i: i32, now: Instant): void {
    const c = this.conn(i);
    const retransmitsBefore = c.retransmits;
    c.onTimers(now);
    const egress = this.egress;
    const out = this.out;
    let emitted = 0;
    for (let n = 0; n < SEGMENTS_PER_TURN; n++) {
      if (!egress.hasRoom()) {
        this.blocked = true;
        break;
      }
      // Straight into a transmit buffer when the frame can go to the device as it is built.
      const ws = egress.workspaceFor(c.remoteAddress, now);
      const payload = ws.payloadPtr + <usize>TCP_HEADER_LEN;
      // With segmentation offload a transmit buffer takes one segment of up to 64 KiB.
      const room = egress.maxTransportLenIn(ws);
      const len = c.dispatch(now, out, payload, room - TCP_HEADER_LEN, room > egress.maxTransportLen);
      if (len == NOTHING) {
        egress.cancelDirect();
        break;
      }
      if (out.headerLen != TCP_HEADER_LEN && len > 0) {
        memory.copy(ws.payloadPtr + <usize>out.headerLen, payload, <usize>len);
      }
      if (out.has(TcpFlags.RST)) count(STAT_TCP_RESETS_SENT);
      emitted++;
      const sent = this.emit(ws, out, c.localAddress, c.remoteAddress, now, c.sendMss);
      if (sent < 0) {
        // Lost like any segment (the timers recover it); a full queue also ends this step.
        count(STAT_TCP_SEND_FAILED);
        if (sent == -Errno.ENOBUFS) {
          this.blocked = true;
          break;
        }
      }
    }
    egress.cancelDirect();
    if (c.retransmits != retransmitsBefore) countBy(STAT_TCP_RETRANSMITS, c.retransmits - retransmitsBefore);
    this.idle = emitted == 0 && !this.blocked;
    this.settle(i, now);
    this.idle = false;
  }

  /** Set while settling a connection whose run emitted nothing with room to spare. */
  private idle: bool = false;

  /**
   * Emits `r` (payload already in place after its header) from src to dst: 0 or -errno. A segment
   * longer than one packet (segmentation offload) is cut by the device into `mss`-byte payloads.
   */
  private emit(ws: Workspace, r: TcpRepr, src: u32, dst: u32, now: Instant, mss: i32 = NOT_SEGMENTED): i32 {
    const egress = this.egress;
    const offload = egress.checksumOffload;
    const written = r.emit(ws.payloadPtr, egress.maxTransportLenIn(ws), src, dst, offload);
    if (written < 0) return -Errno.EMSGSIZE;
    const result = egress.sendIp(ws, src, dst, IpProtocol.TCP, written, now,
      offload ? TCP_CHECKSUM_OFFSET : CHECKSUM_COMPLETE, IPV4_DEFAULT_TTL, mss, r.headerLen);
    if (result < 0) return result;
    // A large segment counts as the segments the device cuts it into (as Linux's segs_out).
    const payloadLen = r.payloadLen;
    countBy(STAT_TCP_SEGMENTS_SENT, mss > 0 && payloadLen > mss ? <u32>((payloadLen + mss - 1) / mss) : 1);
    return 0;
  }

  /** Emits at once what connection i owes (a RST on abort), then settles it. */
  private flushNow(i: i32, now: Instant): void {
    this.pollAt.cancel(i);
    this.run(i, now);
  }

  /** When the layer next needs a poll. */
  nextPollAt(): Instant {
    return minDeadline(this.pollAt.peekDeadline(), this.timeWait.nextDeadline());
  }

  // ======================================================================================
  // After every call: events, accept queue, end of life
  // ======================================================================================

  /**
   * Reports connection i's events to its owner, moves an established child to its listener's
   * accept queue, ends the connection when nothing more can happen to it, and reschedules it.
   */
  private settle(i: i32, now: Instant): void {
    const c = this.conn(i);
    const owner = unchecked(this.owner[i]);
    const events = c.takeEvents();
    if (owner == OWNER_USER && events != 0) {
      const value = (events & (EVENT_ERROR | EVENT_CLOSED)) != 0 ? c.error : c.recvBuf.len;
      this.events.push(this.pool.handleOf(i), this.sourceBase + i, events, value);
    }
    if (owner == OWNER_LISTENER) this.settleChild(i, c, now);
    this.countEnd(c);
    const state = c.state;
    if (state == TCP_STATE_CLOSED) {
      // Gone for the peer: later segments for the tuple get the closed port's RST.
      this.unindex(i);
      // A connection nobody holds goes once its last segment (a RST) is out.
      if (unchecked(this.owner[i]) != OWNER_USER && !this.hasOwed(i, now)) {
        this.free(i);
        return;
      }
    } else if (state == TCP_STATE_TIME_WAIT && unchecked(this.owner[i]) == OWNER_NONE && !this.hasOwed(i, now)) {
      this.toTimeWait(i, c);
      return;
    }
    let at = c.nextDeadline(now);
    if (at <= now && this.idle && c.state != TCP_STATE_CLOSED) {
      // It owes "now" yet had nothing to send: never let that become a busy poll.
      count(STAT_TCP_IDLE_WAKEUPS);
      at = instantAdd(now, IDLE_RETRY);
    }
    if (at <= now && this.blocked) {
      this.pollAt.cancel(i);
      if (!this.waiters.isMember(i)) this.waiters.pushFront(i);
    } else if (at == NO_DEADLINE) {
      this.pollAt.cancel(i);
    } else {
      this.pollAt.set(i, at);
    }
  }

  private settleChild(i: i32, c: TcpConnection, now: Instant): void {
    const l = unchecked(this.parent[i]);
    const listeners = this.listeners;
    if (c.state == TCP_STATE_CLOSED) {
      // Died before it was accepted: it leaves its listener (and the queue, if it was in it).
      this.unlinkChild(i, l);
      unchecked(this.owner[i] = OWNER_NONE);
      return;
    }
    if (c.state != TCP_STATE_SYN_RECEIVED && !unchecked(this.inAcceptQueue[i])) {
      count(STAT_TCP_PASSIVE_OPENS);
      unchecked(this.inAcceptQueue[i] = true);
      unchecked(this.acceptNext[i] = NONE);
      const tail = unchecked(listeners.acceptTail[l]);
      if (tail == NONE) unchecked(listeners.acceptHead[l] = i);
      else unchecked(this.acceptNext[tail] = i);
      unchecked(listeners.acceptTail[l] = i);
      const wasEmpty = unchecked(listeners.queued[l]) == 0;
      unchecked(listeners.queued[l] = unchecked(listeners.queued[l]) + 1);
      if (wasEmpty) {
        this.events.push(listeners.pool.handleOf(l), this.listenerSourceBase + l, EVENT_READABLE, 1);
      }
    }
  }

  private unlinkChild(i: i32, l: i32): void {
    const listeners = this.listeners;
    unchecked(listeners.children[l] = unchecked(listeners.children[l]) - 1);
    unchecked(this.parent[i] = NONE);
    if (!unchecked(this.inAcceptQueue[i])) return;
    unchecked(this.inAcceptQueue[i] = false);
    // Only a child that dies before it is accepted walks the queue (a singly linked one).
    let prev = NONE;
    for (let k = unchecked(listeners.acceptHead[l]); k != NONE; k = unchecked(this.acceptNext[k])) {
      if (k == i) {
        const next = unchecked(this.acceptNext[k]);
        if (prev == NONE) unchecked(listeners.acceptHead[l] = next);
        else unchecked(this.acceptNext[prev] = next);
        if (unchecked(listeners.acceptTail[l]) == i) unchecked(listeners.acceptTail[l] = prev);
        unchecked(listeners.queued[l] = unchecked(listeners.queued[l]) - 1);
        break;
      }
      prev = k;
    }
  }

  /** Counts a connection that a bound ended (once: the reason is cleared). */
  private countEnd(c: TcpConnection): void {
    const why = c.reclaimedBy;
    if (why == 0) return;
    if (why == RECLAIMED_BY_LINGER) count(STAT_TCP_LINGER_RESETS);
    else if (why == RECLAIMED_BY_ORPHAN_TIMEOUT) count(STAT_TCP_ORPHANS_TIMED_OUT);
    else if (why == RECLAIMED_BY_HALF_OPEN_TIMEOUT) count(STAT_TCP_HALF_OPEN_TIMEOUTS);
    else if (why == RECLAIMED_BY_TIMEOUT) count(STAT_TCP_TIMEOUTS);
    c.reclaimedBy = 0;
  }

  @inline private hasOwed(i: i32, now: Instant): bool {
    return this.conn(i).nextDeadline(now) <= now;
  }

  /** A closed connection in TIME-WAIT keeps only an entry; its slot goes back to the pool. */
  private toTimeWait(i: i32, c: TcpConnection): void {
    const before = this.timeWait.evicted;
    this.timeWait.add(c.localAddress, c.localPort, c.remoteAddress, c.remotePort, c.sndNxt, c.rcvNxt,
      <u16>0, c.timeWaitDeadline);
    if (this.timeWait.evicted != before) count(STAT_TCP_TIME_WAIT_EVICTED);
    this.free(i);
  }

  // ======================================================================================
  // Slots, tuples, ports
  // ======================================================================================

  /** A fresh connection slot, reclaiming the oldest orphan if the table is full; -1 if none. */
  private allocate(now: Instant): i32 {
    let handle = this.pool.alloc();
    if (handle == SLOT_FULL) {
      const victim = this.orphans.back();
      if (victim == LRU_NONE) return NONE;
      count(STAT_TCP_ORPHANS_EVICTED);
      this.conn(victim).abort();
      this.flushNow(victim, now);
      if (this.pool.isLive(victim)) this.free(victim);
      handle = this.pool.alloc();
      if (handle == SLOT_FULL) return NONE;
    }
    const i = this.pool.resolve(handle);
    this.conn(i).reset(now);
    unchecked(this.owner[i] = OWNER_NONE);
    unchecked(this.parent[i] = NONE);
    unchecked(this.acceptNext[i] = NONE);
    unchecked(this.inAcceptQueue[i] = false);
    unchecked(this.indexed[i] = false);
    unchecked(this.holdsPort[i] = false);
    return i;
  }

  private free(i: i32): void {
    const c = this.conn(i);
    this.unindex(i);
    if (unchecked(this.holdsPort[i])) {
      this.releasePortUser(<u32>c.localPort);
      unchecked(this.holdsPort[i] = false);
    }
    if (unchecked(this.owner[i]) == OWNER_LISTENER) this.unlinkChild(i, unchecked(this.parent[i]));
    this.pollAt.cancel(i);
    this.orphans.remove(i);
    this.waiters.remove(i);
    unchecked(this.owner[i] = OWNER_NONE);
    c.state = TCP_STATE_CLOSED;
    this.pool.free(this.pool.handleOf(i));
  }

  private index(i: i32): void {
    const c = this.conn(i);
    this.byTuple.insert(tupleKey(c.localAddress, c.remoteAddress), i, tupleKeyHigh(<u32>c.localPort, <u32>c.remotePort));
    unchecked(this.indexed[i] = true);
  }

  private unindex(i: i32): void {
    if (!unchecked(this.indexed[i])) return;
    const c = this.conn(i);
    this.byTuple.remove(tupleKey(c.localAddress, c.remoteAddress), tupleKeyHigh(<u32>c.localPort, <u32>c.remotePort));
    unchecked(this.indexed[i] = false);
  }

  private findConnection(local: u32, localPort: u32, remote: u32, remotePort: u32): i32 {
    const i = this.byTuple.find(tupleKey(local, remote), tupleKeyHigh(localPort, remotePort));
    return i == HASH_NONE ? NONE : i;
  }

  private takePort(i: i32, port: u32): void {
    this.addPortUser(port);
    unchecked(this.holdsPort[i] = true);
  }

  private addPortUser(port: u32): void {
    if (port < <u32>EPHEMERAL_PORT_FIRST) return;
    const k = <i32>port - EPHEMERAL_PORT_FIRST;
    const n = unchecked(this.portUsers[k]);
    if (n == 0) this.ports.take(port);
    unchecked(this.portUsers[k] = n + 1);
  }

  private releasePortUser(port: u32): void {
    if (port < <u32>EPHEMERAL_PORT_FIRST) return;
    const k = <i32>port - EPHEMERAL_PORT_FIRST;
    const n = unchecked(this.portUsers[k]);
    if (n == 0) return;
    if (n == 1) this.ports.release(port);
    unchecked(this.portUsers[k] = n - 1);
  }

  /** RFC 6528: ISN = M + F(local, localPort, remote, remotePort, secret), M a 4 us clock. */
  private isn(local: u32, localPort: u32, remote: u32, remotePort: u32, now: Instant): u32 {
    const m = <u32>(now >> ISN_TICK_SHIFT);
    if (this.params.fixedIss) return this.params.issBase + m;
    const f = <u32>this.secret.hash(SECRET_USE_ISN, tupleKey(local, remote), tupleKeyHigh(localPort, remotePort));
    return f + m;
  }

  // ======================================================================================
  // Errors from below
  // ======================================================================================

  /**
   * ARP gave up on `nextHop`: connections still opening through it fail with EHOSTUNREACH, as on
   * Linux. Walks the table, but only on a give-up.
   */
  neighbourUnreachable(nextHop: u32, now: Instant): void {
    const pool = this.pool;
    const iface = this.egress.iface;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      const c = this.conn(i);
      if (c.state != TCP_STATE_SYN_SENT) continue;
      if (iface.nextHop(c.remoteAddress) != nextHop) continue;
      c.becomeClosed(-Errno.EHOSTUNREACH);
      this.settle(i, now);
    }
  }

  /**
   * An ICMP error quoting a segment we sent from (src, srcPort) to (dst, dstPort) with sequence
   * number `seq`. As Linux (tcp_v4_err) and RFC 5927 advise: the quote must name a sequence number
   * we have outstanding (SND.UNA..SND.NXT), else it is a forgery; only a connection still opening
   * dies of it (connect fails with the error: ECONNREFUSED, EHOSTUNREACH, ENETUNREACH...);
   * an established one keeps going (errors there are transient or spoofed, RFC 5927 4.2). Returns
   * whether a connection took it.
   */
  icmpError(meaning: IcmpErrorMeaning, src: u32, srcPort: u32, dst: u32, dstPort: u32, seq: u32, now: Instant): bool {
    const i = this.findConnection(src, srcPort, dst, dstPort);
    if (i == NONE) return false;
    const c = this.conn(i);
    if (seqLt(seq, c.sndUna) || seqGt(seq, c.sndMax)) return false;
    if (c.state != TCP_STATE_SYN_SENT && c.state != TCP_STATE_SYN_RECEIVED) return false;
    // Fragmentation needed is path MTU news, not a failure (we send with DF and no larger than
    // the MTU, so a router with a smaller one is the only sender); it is not acted on yet.
    if (meaning.errno == -Errno.EMSGSIZE) return false;
    c.becomeClosed(c.isPassive ? 0 : meaning.errno);
    this.settle(i, now);
    return true;
  }

  /** Every connection and listener goes (the stack is closing); nothing is sent. */
  closeAll(): void {
    const pool = this.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) this.free(i);
    const lp = this.listeners.pool;
    for (let l = lp.nextLive(0); l >= 0; l = lp.nextLive(l + 1)) {
      this.releasePortUser(<u32>unchecked(this.listeners.port[l]));
      this.listeners.remove(l);
    }
    this.timeWait.clear();
  }

  /** Connections held by nobody yet (children and orphans), for the report. */
  isOrphan(i: i32): bool {
    return unchecked(this.owner[i]) == OWNER_NONE;
  }

  isUnaccepted(i: i32): bool {
    return unchecked(this.owner[i]) == OWNER_LISTENER;
  }
}
