// TCP listeners: a pool of their own behind generation-checked handles (tagged
// SOCKET_KIND_TCP_LISTENER), found by local port through a chain per port (storage/keyed_chains.ts)
// (several listeners may share a port on different local addresses, as in socket/table.ts).
//
// Each listener's backlog counts its half-open children (SYN-RECEIVED) and the established ones
// not yet accepted, together (the rule; Linux counts the two apart). Established children
// wait in an accept queue threaded through the connections (TcpLayer.acceptNext), oldest first, so
// the queue costs nothing per listener.

import { SlotPool, SLOT_FULL } from "../../storage/slot_pool";
import { KeyedChains, CHAIN_END } from "../../storage/keyed_chains";
import { Instant } from "../../time";

const NONE: i32 = -1;
export const ANY_ADDRESS: u32 = 0;

export class ListenerTable {
  readonly pool: SlotPool;
  readonly address: StaticArray<u32>;
  readonly port: StaticArray<u16>;
  readonly backlog: StaticArray<i32>;
  /** Half-open plus established-not-accepted children. */
  readonly children: StaticArray<i32>;
  /** Accept queue: first and last connection index (-1: empty), and its length. */
  readonly acceptHead: StaticArray<i32>;
  readonly acceptTail: StaticArray<i32>;
  readonly queued: StaticArray<i32>;
  readonly createdAt: StaticArray<i64>;
  /** SYNs refused because the backlog was full, per listener (for the report). */
  readonly refused: StaticArray<u32>;
  private readonly byPort: KeyedChains;

  constructor(capacity: i32, tag: u32, k0: u64, k1: u64) {
    this.pool = new SlotPool(capacity, 0, tag);
    this.address = new StaticArray<u32>(capacity);
    this.port = new StaticArray<u16>(capacity);
    this.backlog = new StaticArray<i32>(capacity);
    this.children = new StaticArray<i32>(capacity);
    this.acceptHead = new StaticArray<i32>(capacity);
    this.acceptTail = new StaticArray<i32>(capacity);
    this.queued = new StaticArray<i32>(capacity);
    this.createdAt = new StaticArray<i64>(capacity);
    this.refused = new StaticArray<u32>(capacity);
    this.byPort = new KeyedChains(capacity, k0, k1);
  }

  static bytesFor(capacity: i32): u64 {
    const perSlot: u64 = sizeof<u32>() + sizeof<u16>() + 6 * sizeof<i32>() + sizeof<i64>() + sizeof<u32>();
    return <u64>capacity * perSlot + <u64>SlotPool.bytesFor(capacity, 0) + KeyedChains.bytesFor(capacity);
  }

  @inline get capacity(): i32 { return this.address.length; }

  /** Whether a listener on (address, port) would overlap one that exists (a wildcard overlaps all). */
  inUse(address: u32, port: u32): bool {
    const chains = this.byPort;
    for (let i = chains.first(port); i != CHAIN_END; i = chains.next(i)) {
      const other = unchecked(this.address[i]);
      if (other == ANY_ADDRESS || address == ANY_ADDRESS || other == address) return true;
    }
    return false;
  }

  /** A new listener on (address, port): its index, or SLOT_FULL. The caller checked inUse. */
  add(address: u32, port: u16, backlog: i32, now: Instant): i32 {
    const handle = this.pool.alloc();
    if (handle == SLOT_FULL) return SLOT_FULL;
    const i = this.pool.resolve(handle);
    unchecked(this.address[i] = address);
    unchecked(this.port[i] = port);
    unchecked(this.backlog[i] = backlog);
    unchecked(this.children[i] = 0);
    unchecked(this.acceptHead[i] = NONE);
    unchecked(this.acceptTail[i] = NONE);
    unchecked(this.queued[i] = 0);
    unchecked(this.createdAt[i] = now);
    unchecked(this.refused[i] = 0);
    this.byPort.link(i, <u64>port);
    return i;
  }

  /** Removes listener i from its port (its children are the caller's to end first). */
  remove(i: i32): void {
    this.byPort.unlink(i, <u64>unchecked(this.port[i]));
    this.pool.free(this.pool.handleOf(i));
  }

  /** The listener for a segment to (dst, dstPort): one bound to dst, else a wildcard, else -1. */
  lookup(dst: u32, dstPort: u32): i32 {
    let wildcard = NONE;
    const chains = this.byPort;
    for (let i = chains.first(<u64>dstPort); i != CHAIN_END; i = chains.next(i)) {
      const local = unchecked(this.address[i]);
      if (local == dst) return i;
      if (local == ANY_ADDRESS) wildcard = i;
    }
    return wildcard;
  }

  @inline isFull(i: i32): bool {
    return unchecked(this.children[i]) >= unchecked(this.backlog[i]);
  }
}
