// A socket table: every socket of one kind (UDP, or ICMP echo) the stack can ever have, allocated
// in init, named by generation-checked handles tagged with the kind (a stale handle gets EBADF,
// never another socket's data; a handle of another kind never resolves here). Fields are parallel
// arrays indexed by slot; each slot owns a receive queue sized from the config.
//
// Demultiplexing is by local port, never a scan of the table: every bound socket sits on its
// port's chain (storage/keyed_chains.ts), so finding the receiver of a datagram walks only the
// sockets bound to its destination port, and the index costs memory per socket, not per port.

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_STATE_OPEN, SOCKET_STATE_BOUND, SOCKET_STATE_CONNECTED, STAT_SOCKET_TABLE_FULL,
  EVENT_WRITABLE,
} from "../../bindings/layout";
import { EventRing } from "../iface/events";
import { SlotPool, SLOT_FULL } from "../storage/slot_pool";
import { count } from "../iface/stats";
import { DatagramQueue } from "./datagram_queue";
import { KeyedChains, CHAIN_END } from "../storage/keyed_chains";
import { LruList, LRU_NONE } from "../storage/lru_list";
import { TimerHeap } from "../storage/timer_heap";
import { Secret, SECRET_USE_INDEX } from "../secret";
import { EphemeralPorts, PORT_COUNT } from "./ephemeral_ports";
import { IPV4_DEFAULT_TTL } from "../wire/ipv4";

export const ANY_ADDRESS: u32 = 0;
const NONE: i32 = -1;

/** Socket option: may send to broadcast addresses (SO_BROADCAST). */
export const OPTION_BROADCAST: i32 = 1;
/** Socket option: the TTL of the unicast packets it sends, 1..255 (IP_TTL). */
export const OPTION_TTL: i32 = 2;
export const TTL_MIN: i32 = 1;
export const TTL_MAX: i32 = 255;

export class SocketTable {
  readonly pool: SlotPool;
  readonly state: StaticArray<u8>;
  readonly localAddress: StaticArray<u32>;
  readonly localPort: StaticArray<u32>;
  readonly remoteAddress: StaticArray<u32>;
  readonly remotePort: StaticArray<u32>;
  readonly createdAt: StaticArray<i64>;
  readonly broadcast: StaticArray<bool>;
  /** IP TTL of what the socket sends (OPTION_TTL); the default is IPV4_DEFAULT_TTL. */
  readonly ttl: StaticArray<u8>;
  /**
   * Packets this socket has sent (mod 2^32), counted from its open. An ARP give-up notice carries
   * it, so the owner fails only what it sent before the give-up, never a later packet.
   */
  readonly sentCount: StaticArray<u32>;
  /** A pending asynchronous error (negative errno) reported once, as SO_ERROR does. */
  readonly pendingError: StaticArray<i32>;
  /** Sockets whose last send failed for lack of room (ENOBUFS), oldest at the back. */
  private readonly writers: LruList;
  /**
   * When each socket next needs the dispatch step of poll (later TCP's retransmission, delayed
   * ACK, probe and TIME-WAIT timers): one heap, so thousands of idle timers cost nothing per poll.
   */
  private readonly pollAt: TimerHeap;
  readonly rx: StaticArray<DatagramQueue | null>;
  readonly ports: EphemeralPorts;
  private readonly byPort: KeyedChains;

  /**
   * `capacity` sockets of kind `kind` (also the tag in their handles). Event sources
   * `sourceBase .. sourceBase + capacity - 1` are this table's slots.
   */
  constructor(
    readonly kind: u8, capacity: i32, rxBytes: i32, rxDatagrams: i32,
    readonly sourceBase: i32, secret: Secret,
  ) {
    this.pool = new SlotPool(capacity, 0, kind);
    this.state = new StaticArray<u8>(capacity);
    this.localAddress = new StaticArray<u32>(capacity);
    this.localPort = new StaticArray<u32>(capacity);
    this.remoteAddress = new StaticArray<u32>(capacity);
    this.remotePort = new StaticArray<u32>(capacity);
    this.createdAt = new StaticArray<i64>(capacity);
    this.broadcast = new StaticArray<bool>(capacity);
    this.ttl = new StaticArray<u8>(capacity);
    this.pendingError = new StaticArray<i32>(capacity);
    this.sentCount = new StaticArray<u32>(capacity);
    this.writers = new LruList(capacity);
    this.pollAt = new TimerHeap(capacity);
    const rx = new StaticArray<DatagramQueue | null>(capacity);
    for (let i = 0; i < capacity; i++) rx[i] = new DatagramQueue(rxBytes, rxDatagrams);
    this.rx = rx;
    this.ports = new EphemeralPorts(secret);
    this.byPort = new KeyedChains(capacity, secret.keyFor(SECRET_USE_INDEX, 2), secret.keyFor(SECRET_USE_INDEX, 3));
  }

  @inline get capacity(): i32 { return this.state.length; }

  /**
   * Bytes a table of `capacity` sockets with receive queues of `rxBytes` allocates: its pool,
   * its per-slot fields, the queues, the port index and the port set (the footprint check uses
   * it too; the objects themselves are in the caller's allowance).
   */
  static bytesFor(capacity: i32, rxBytes: i32): u64 {
    const perSlot: u64 = 2 * sizeof<u8>() + 5 * sizeof<u32>() + sizeof<i64>() + sizeof<bool>() +
      sizeof<i32>() + sizeof<usize>() + <u64>DatagramQueue.bytesFor(rxBytes);
    return <u64>capacity * perSlot + <u64>SlotPool.bytesFor(capacity, 0) +
      KeyedChains.bytesFor(capacity) + <u64>EphemeralPorts.bytesFor() +
      <u64>LruList.bytesFor(capacity) + <u64>TimerHeap.bytesFor(capacity);
  }

  @inline queue(index: i32): DatagramQueue {
    return changetype<DatagramQueue>(unchecked(this.rx[index]));
  }

  /** The event source number of slot i (unique across every table). */
  @inline source(i: i32): i32 {
    return this.sourceBase + i;
  }

  /** A new socket; its handle, or -EMFILE when the table is full (nothing allocated). */
  open(now: i64): i32 {
    const handle = this.pool.alloc();
    if (handle == SLOT_FULL) {
      count(STAT_SOCKET_TABLE_FULL);
      return -Errno.EMFILE;
    }
    const i = this.pool.resolve(handle);
    unchecked(this.state[i] = <u8>SOCKET_STATE_OPEN);
    unchecked(this.localAddress[i] = ANY_ADDRESS);
    unchecked(this.localPort[i] = 0);
    unchecked(this.remoteAddress[i] = ANY_ADDRESS);
    unchecked(this.remotePort[i] = 0);
    unchecked(this.createdAt[i] = now);
    unchecked(this.broadcast[i] = false);
    unchecked(this.ttl[i] = IPV4_DEFAULT_TTL);
    unchecked(this.pendingError[i] = 0);
    unchecked(this.sentCount[i] = 0);
    this.queue(i).clear();
    return handle;
  }

  /** Slot index for a handle, or -EBADF (stale, never issued, or another kind's). */
  @inline resolve(handle: i32): i32 {
    const i = this.pool.resolve(handle);
    return i < 0 ? -Errno.EBADF : i;
  }

  close(index: i32): void {
    const handle = this.pool.handleOf(index);
    this.clearWritable(index);
    this.pollAt.cancel(index);
    if (unchecked(this.state[index]) != SOCKET_STATE_OPEN) this.unlinkPort(index);
    unchecked(this.state[index] = 0);
    this.queue(index).clear();
    this.pool.free(handle);
  }

  /** Closes every socket (the stack is going away). */
  closeAll(): void {
    const pool = this.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) this.close(i);
  }

  /** Records that socket i waits for room to send (its send just failed with ENOBUFS). */
  waitForWritable(i: i32): void {
    if (!this.writers.isMember(i)) this.writers.pushFront(i);
  }

  clearWritable(i: i32): void {
    this.writers.remove(i);
  }

  @inline isWaitingWritable(i: i32): bool {
    return this.writers.isMember(i);
  }

  @inline get writableWaiters(): i32 {
    return this.writers.length;
  }

  /**
   * Sockets whose send found no room hear that there is room again (EVENT_WRITABLE), oldest
   * first. Costs one step per waiting socket, nothing for the others.
   */
  wakeWriters(events: EventRing): void {
    const writers = this.writers;
    for (let i = writers.back(); i != LRU_NONE; i = writers.back()) {
      writers.remove(i);
      events.push(this.pool.handleOf(i), this.source(i), EVENT_WRITABLE, 0);
    }
  }

  /** Asks for the dispatch step of a poll at `at` or later for socket i (replacing any earlier ask). */
  schedule(i: i32, at: i64): void {
    this.pollAt.set(i, at);
  }

  unschedule(i: i32): void {
    this.pollAt.cancel(i);
  }

  /** The earliest time a socket of this table asked for (TIMER_NEVER: none). */
  @inline nextPollAt(): i64 {
    return this.pollAt.peekDeadline();
  }

  /** A socket whose asked-for time has come (removed from the heap), or -1 when none is due. */
  takeDue(now: i64): i32 {
    if (this.pollAt.peekDeadline() > now) return NONE;
    return this.pollAt.pop();
  }

  /** Whether (address, port) is taken by another socket (a wildcard overlaps everything). */
  portInUse(address: u32, port: u32, except: i32): bool {
    const chains = this.byPort;
    for (let i = chains.first(port); i != CHAIN_END; i = chains.next(i)) {
      if (i == except) continue;
      const other = unchecked(this.localAddress[i]);
      if (other == ANY_ADDRESS || address == ANY_ADDRESS || other == address) return true;
    }
    return false;
  }

  /**
   * Binds slot i to (address, port); port 0 picks a free ephemeral port (RFC 6056, see
   * ephemeral_ports.ts). -EADDRINUSE when taken or the range is full, -EINVAL when already bound.
   */
  bind(i: i32, address: u32, port: u32): i32 {
    if (unchecked(this.state[i]) != SOCKET_STATE_OPEN) return -Errno.EINVAL;
    if (port == 0) {
      const chosen = this.ports.choose(address);
      if (chosen < 0) return -Errno.EADDRINUSE;
      port = <u32>chosen;
    } else if (this.portInUse(address, port, i)) {
      return -Errno.EADDRINUSE;
    }
    unchecked(this.localAddress[i] = address);
    unchecked(this.localPort[i] = port);
    unchecked(this.state[i] = <u8>SOCKET_STATE_BOUND);
    this.linkPort(i, port);
    return 0;
  }

  /** The socket that should receive a packet for (dst, dstPort) from (src, srcPort), or -1. */
  lookup(dst: u32, dstPort: u32, src: u32, srcPort: u32): i32 {
    if (dstPort >= <u32>PORT_COUNT) return NONE;
    let wildcard = NONE;
    const chains = this.byPort;
    for (let i = chains.first(dstPort); i != CHAIN_END; i = chains.next(i)) {
      if (unchecked(this.state[i]) == SOCKET_STATE_CONNECTED &&
          (unchecked(this.remoteAddress[i]) != src || unchecked(this.remotePort[i]) != srcPort)) continue;
      const local = unchecked(this.localAddress[i]);
      if (local == dst) return i;
      if (local == ANY_ADDRESS) wildcard = i;
    }
    return wildcard;
  }

  /** Puts slot i on its port's chain; the first socket on a port takes it from the ephemeral set. */
  private linkPort(i: i32, port: u32): void {
    if (this.byPort.link(i, port)) this.ports.take(port);
  }

  /** Takes slot i off its port's chain; the last one gives the port back. */
  private unlinkPort(i: i32): void {
    const port = unchecked(this.localPort[i]);
    if (this.byPort.unlink(i, port)) this.ports.release(port);
  }
}
