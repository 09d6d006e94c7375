// The socket table: every socket the stack can ever have, allocated in init, named by
// generation-checked handles (a stale handle gets EBADF, never another socket's data). Fields are
// kept as parallel arrays indexed by slot; each slot owns a receive queue sized from the config.

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_KIND_FREE, SOCKET_STATE_OPEN, SOCKET_STATE_BOUND, SOCKET_STATE_CONNECTED,
  STAT_SOCKET_TABLE_FULL,
} from "../../bindings/layout";
import { SlotPool, SLOT_FULL } from "../storage/slot_pool";
import { Random } from "../random";
import { count } from "../iface/stats";
import { DatagramQueue } from "./datagram_queue";

/** RFC 6335 section 6: the dynamic (ephemeral) port range, 49152-65535 inclusive. */
export const EPHEMERAL_PORT_FIRST: u32 = 49152;
export const EPHEMERAL_PORT_LAST: u32 = 65535;
const EPHEMERAL_PORT_COUNT: u32 = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
export const ANY_ADDRESS: u32 = 0;

/** Socket option: may send to broadcast addresses (SO_BROADCAST). */
export const OPTION_BROADCAST: i32 = 1;

export class SocketTable {
  readonly pool: SlotPool;
  readonly kind: StaticArray<u8>;
  readonly state: StaticArray<u8>;
  readonly localAddress: StaticArray<u32>;
  readonly localPort: StaticArray<u32>;
  readonly remoteAddress: StaticArray<u32>;
  readonly remotePort: StaticArray<u32>;
  readonly createdAt: StaticArray<i64>;
  readonly broadcast: StaticArray<bool>;
  /** A pending asynchronous error (negative errno) reported once, as SO_ERROR does. */
  readonly pendingError: StaticArray<i32>;
  /** The socket's last send failed for lack of room (ENOBUFS): tell it when there is room again. */
  readonly wantsWritable: StaticArray<bool>;
  /** How many sockets have wantsWritable set. */
  writableWaiters: i32 = 0;
  readonly rx: StaticArray<DatagramQueue | null>;

  constructor(capacity: i32, rxBytes: i32, rxDatagrams: i32, readonly random: Random) {
    this.pool = new SlotPool(capacity);
    this.kind = new StaticArray<u8>(capacity);
    this.state = new StaticArray<u8>(capacity);
    this.localAddress = new StaticArray<u32>(capacity);
    this.localPort = new StaticArray<u32>(capacity);
    this.remoteAddress = new StaticArray<u32>(capacity);
    this.remotePort = new StaticArray<u32>(capacity);
    this.createdAt = new StaticArray<i64>(capacity);
    this.broadcast = new StaticArray<bool>(capacity);
    this.pendingError = new StaticArray<i32>(capacity);
    this.wantsWritable = new StaticArray<bool>(capacity);
    this.rx = new StaticArray<DatagramQueue | null>(capacity);
    for (let i = 0; i < capacity; i++) this.rx[i] = new DatagramQueue(rxBytes, rxDatagrams);
  }

  @inline get capacity(): i32 { return this.kind.length; }

  @inline queue(index: i32): DatagramQueue {
    return changetype<DatagramQueue>(unchecked(this.rx[index]));
  }

  /** A new socket of `kind`; its handle, or -EMFILE when the table is full (nothing allocated). */
  open(kind: u8, now: i64): i32 {
    const handle = this.pool.alloc();
    if (handle == SLOT_FULL) {
      count(STAT_SOCKET_TABLE_FULL);
      return -Errno.EMFILE;
    }
    const i = this.pool.resolve(handle);
    unchecked(this.kind[i] = kind);
    unchecked(this.state[i] = <u8>SOCKET_STATE_OPEN);
    unchecked(this.localAddress[i] = ANY_ADDRESS);
    unchecked(this.localPort[i] = 0);
    unchecked(this.remoteAddress[i] = ANY_ADDRESS);
    unchecked(this.remotePort[i] = 0);
    unchecked(this.createdAt[i] = now);
    unchecked(this.broadcast[i] = false);
    unchecked(this.pendingError[i] = 0);
    unchecked(this.wantsWritable[i] = false);
    this.queue(i).clear();
    return handle;
  }

  /** Slot index for a handle of the given kind, or -EBADF. */
  resolve(handle: i32, kind: u8): i32 {
    const i = this.pool.resolve(handle);
    if (i < 0) return -Errno.EBADF;
    if (unchecked(this.kind[i]) != kind) return -Errno.ENOTSOCK;
    return i;
  }

  close(index: i32): void {
    const handle = this.pool.handleOf(index);
    this.clearWritable(index);
    unchecked(this.kind[index] = <u8>SOCKET_KIND_FREE);
    unchecked(this.state[index] = 0);
    this.queue(index).clear();
    this.pool.free(handle);
  }

  /** Records that socket i waits for room to send (its send just failed with ENOBUFS). */
  waitForWritable(i: i32): void {
    if (unchecked(this.wantsWritable[i])) return;
    unchecked(this.wantsWritable[i] = true);
    this.writableWaiters++;
  }

  clearWritable(i: i32): void {
    if (!unchecked(this.wantsWritable[i])) return;
    unchecked(this.wantsWritable[i] = false);
    this.writableWaiters--;
  }

  /** Whether (address, port) is taken by another socket of `kind` (a wildcard overlaps everything). */
  portInUse(kind: u8, address: u32, port: u32, except: i32): bool {
    const pool = this.pool;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (i == except || unchecked(this.kind[i]) != kind || unchecked(this.localPort[i]) != port) continue;
      const other = unchecked(this.localAddress[i]);
      if (other == ANY_ADDRESS || address == ANY_ADDRESS || other == address) return true;
    }
    return false;
  }

  /**
   * Binds slot i to (address, port); port 0 picks a free ephemeral port starting at a random
   * point of the range (RFC 6056 section 3.3.1 style). -EADDRINUSE when taken or the range is full,
   * -EINVAL when already bound.
   */
  bind(i: i32, address: u32, port: u32): i32 {
    if (unchecked(this.state[i]) != SOCKET_STATE_OPEN) return -Errno.EINVAL;
    const kind = unchecked(this.kind[i]);
    if (port == 0) {
      const start = this.random.below(EPHEMERAL_PORT_COUNT);
      let found: u32 = 0;
      for (let n: u32 = 0; n < EPHEMERAL_PORT_COUNT; n++) {
        const candidate = EPHEMERAL_PORT_FIRST + (start + n) % EPHEMERAL_PORT_COUNT;
        if (!this.portInUse(kind, address, candidate, i)) {
          found = candidate;
          break;
        }
      }
      if (found == 0) return -Errno.EADDRINUSE;
      port = found;
    } else if (this.portInUse(kind, address, port, i)) {
      return -Errno.EADDRINUSE;
    }
    unchecked(this.localAddress[i] = address);
    unchecked(this.localPort[i] = port);
    unchecked(this.state[i] = <u8>SOCKET_STATE_BOUND);
    return 0;
  }

  /** The socket of `kind` that should receive a packet for (dst, dstPort) from (src, srcPort), or -1. */
  lookup(kind: u8, dst: u32, dstPort: u32, src: u32, srcPort: u32): i32 {
    const pool = this.pool;
    let wildcard = -1;
    for (let i = pool.nextLive(0); i >= 0; i = pool.nextLive(i + 1)) {
      if (unchecked(this.kind[i]) != kind || unchecked(this.localPort[i]) != dstPort) continue;
      if (unchecked(this.state[i]) == SOCKET_STATE_CONNECTED &&
          (unchecked(this.remoteAddress[i]) != src || unchecked(this.remotePort[i]) != srcPort)) continue;
      const local = unchecked(this.localAddress[i]);
      if (local == dst) return i;
      if (local == ANY_ADDRESS) wildcard = i;
    }
    return wildcard;
  }
}
