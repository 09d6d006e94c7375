// Slots grouped by a key: each key's slots form a doubly linked chain through two per-slot arrays,
// and a keyed hash index finds a chain's first slot from the key. Finding every slot of a key walks
// only that key's chain, and the memory is per slot, not per possible key (sockets by local port).
//
//   heads: HashIndex key -> first slot      next / prev [capacity] (CHAIN_END: none)

import { HashIndex, HASH_NONE } from "./hash_index";

export const CHAIN_END: i32 = -1;

export class KeyedChains {
  private readonly heads: HashIndex;
  private readonly nextSlot: StaticArray<i32>;
  private readonly prevSlot: StaticArray<i32>;

  constructor(capacity: i32, k0: u64, k1: u64) {
    this.heads = new HashIndex(capacity, k0, k1);
    this.nextSlot = new StaticArray<i32>(capacity);
    this.prevSlot = new StaticArray<i32>(capacity);
  }

  static bytesFor(capacity: i32): u64 {
    return <u64>HashIndex.bytesFor(capacity) + 2 * <u64>capacity * sizeof<i32>();
  }

  /** The first slot of `key`'s chain, or CHAIN_END. */
  @inline first(key: u64): i32 {
    const i = this.heads.find(key);
    return i == HASH_NONE ? CHAIN_END : i;
  }

  /** The slot after `i` on its chain, or CHAIN_END. */
  @inline next(i: i32): i32 {
    return unchecked(this.nextSlot[i]);
  }

  /** Puts slot i first on `key`'s chain; true when the key had no slot before. */
  link(i: i32, key: u64): bool {
    const head = this.heads.remove(key);
    unchecked(this.nextSlot[i] = head == HASH_NONE ? CHAIN_END : head);
    unchecked(this.prevSlot[i] = CHAIN_END);
    if (head != HASH_NONE) unchecked(this.prevSlot[head] = i);
    this.heads.insert(key, i);
    return head == HASH_NONE;
  }

  /** Takes slot i (on `key`'s chain) off it; true when the key has no slot left. */
  unlink(i: i32, key: u64): bool {
    const next = unchecked(this.nextSlot[i]);
    const prev = unchecked(this.prevSlot[i]);
    if (next != CHAIN_END) unchecked(this.prevSlot[next] = prev);
    if (prev != CHAIN_END) {
      unchecked(this.nextSlot[prev] = next);
      return false;
    }
    // i headed the chain: the next slot (if any) heads it now.
    this.heads.remove(key);
    if (next == CHAIN_END) return true;
    this.heads.insert(key, next);
    return false;
  }
}
