// An open-addressing hash index from a key of up to 128 bits (a u64 `key` plus an optional u64
// `keyHigh`, 0 when unused) to a slot index (0..capacity-1) of some table the caller owns:
// neighbour entries keyed by IPv4 address, connections keyed by their 4-tuple (addresses in one
// word, ports in the other). It only maps: the records live elsewhere.
//
//   layout, allocated once (bytesFor(capacity))
//   +--------------------------------------+-------------------------------+
//   | table: u64 x H                       | keys: 2 x u64 x C             |
//   | (hash32 << 32) | (slot + 1), 0 = empty| key, keyHigh of each slot    |
//   +--------------------------------------+-------------------------------+
//   H = the smallest power of two >= 2C (load factor <= 1/2, so probe runs stay short)
//
// Linear probing. Deletion shifts later members of the probe run back into the hole (no
// tombstones), so lookups never slow down with churn. Each table word keeps the top half of the
// key's hash next to the slot: a probe compares hashes before it reads a key, and the shift on
// delete finds a member's home position without hashing its key again.
//
// The hash is SipHash-2-4 of the two key words under a 128-bit secret given to the constructor: the keys
// come from the network (peer addresses and ports), and without the secret a peer cannot pick
// keys that share a probe run and turn every lookup into a walk of the whole table.
//
// The last key found is remembered with its slot: a bulk transfer's segments all look up one
// connection, and a host sends its frames to a few neighbours, so most finds skip the hash (SipHash
// was 8% of a bulk transfer's CPU time). A key keeps its slot until it is removed, so the memory is
// dropped only by remove() and clear().
//
// Nothing is allocated after construction; no argument traps (bad slots are refused).

import { sipHash24Words } from "./siphash";

/** find() and remove() when the key is not mapped. */
export const HASH_NONE: i32 = -1;
/** Most slots an index maps (so H and the positions fit in 32 bits with room to spare). */
export const HASH_MAX_CAPACITY: i32 = 1 << 24;

/** Table positions per slot at least: the load factor stays at or below 1/2. */
const POSITIONS_PER_SLOT: i32 = 2;
const MIN_POSITIONS: u32 = 2;
const WORD_BYTES: usize = 8;
/** Bytes of one slot's key: two u64 words. */
const KEY_BYTES: usize = 16;
const HASH_SHIFT: u64 = 32;
const SLOT_MASK: u64 = 0xffffffff;
const EMPTY: u64 = 0;

/** The table size for `capacity` slots: a power of two >= 2 * capacity (at least 2). */
function positionsFor(capacity: i32): u32 {
  let n = MIN_POSITIONS;
  while (n < <u32>capacity * <u32>POSITIONS_PER_SLOT) n <<= 1;
  return n;
}

@inline function clampCapacity(capacity: i32): i32 {
  return capacity < 0 ? 0 : capacity > HASH_MAX_CAPACITY ? HASH_MAX_CAPACITY : capacity;
}

@final
export class HashIndex {
  private table: usize;
  private keys: usize;
  private mask: u32;
  private cap: i32;
  private count: i32 = 0;
  private k0: u64;
  private k1: u64;
  /** The last key find() answered and its slot (HASH_NONE: nothing remembered). */
  private lastKey: u64 = 0;
  private lastKeyHigh: u64 = 0;
  private lastSlot: i32 = HASH_NONE;
  /**
   * The last key hashed and its hash: an insert after a find that missed, or a remove after a
   * find, asks for the same key's hash again (a key's hash never changes).
   */
  private hashedKey: u64 = 0;
  private hashedKeyHigh: u64 = 0;
  private hashed: u32 = 0;
  private hashedValid: bool = false;

  /** Bytes the one allocation of an index for `capacity` slots takes. */
  static bytesFor(capacity: i32): usize {
    const cap = clampCapacity(capacity);
    return <usize>positionsFor(cap) * WORD_BYTES + <usize>cap * KEY_BYTES;
  }

  /**
   * An empty index for slots 0..capacity-1 (capacity clamped to [0, HASH_MAX_CAPACITY]), hashing
   * with the secret (k0, k1). The only allocation it makes.
   */
  constructor(capacity: i32, k0: u64, k1: u64) {
    const cap = clampCapacity(capacity);
    const positions = positionsFor(cap);
    const bytes = HashIndex.bytesFor(cap);
    const base = heap.alloc(bytes);
    memory.fill(base, 0, bytes);
    this.table = base;
    this.keys = base + <usize>positions * WORD_BYTES;
    this.mask = positions - 1;
    this.cap = cap;
    this.k0 = k0;
    this.k1 = k1;
  }

  @inline get capacity(): i32 { return this.cap; }
  /** Keys mapped. */
  @inline get size(): i32 { return this.count; }

  /** The slot the key (keyHigh, key) maps to, or HASH_NONE. */
  find(key: u64, keyHigh: u64 = 0): i32 {
    if (this.count == 0) return HASH_NONE;
    if (this.lastSlot != HASH_NONE && key == this.lastKey && keyHigh == this.lastKeyHigh) return this.lastSlot;
    const hash = this.hash(key, keyHigh);
    const mask = this.mask;
    let pos = hash & mask;
    while (true) {
      const word = this.at(pos);
      if (word == EMPTY) return HASH_NONE;
      if (<u32>(word >> HASH_SHIFT) == hash) {
        const slot = <i32>(word & SLOT_MASK) - 1;
        if (this.keyOf(slot) == key && this.keyHighOf(slot) == keyHigh) {
          this.lastKey = key;
          this.lastKeyHigh = keyHigh;
          this.lastSlot = slot;
          return slot;
        }
      }
      pos = (pos + 1) & mask;
    }
    return HASH_NONE;
  }

  /**
   * Maps the key (keyHigh, key) to `slot`. False (nothing changes) when the slot is out of range,
   * or the key is already mapped. The caller keeps each slot mapped at most once (it owns the
   * slots); the table never fills because it has twice as many positions as slots.
   */
  insert(key: u64, slot: i32, keyHigh: u64 = 0): bool {
    if (slot < 0 || slot >= this.cap || this.count >= this.cap) return false;
    if (this.find(key, keyHigh) != HASH_NONE) return false;
    const hash = this.hash(key, keyHigh);
    const mask = this.mask;
    let pos = hash & mask;
    while (this.at(pos) != EMPTY) pos = (pos + 1) & mask;
    this.setAt(pos, (<u64>hash << HASH_SHIFT) | <u64>(slot + 1));
    store<u64>(this.keys + <usize>slot * KEY_BYTES, key);
    store<u64>(this.keys + <usize>slot * KEY_BYTES + WORD_BYTES, keyHigh);
    this.count++;
    return true;
  }

  /** Unmaps the key (keyHigh, key); returns the slot it mapped to, or HASH_NONE if none. */
  remove(key: u64, keyHigh: u64 = 0): i32 {
    if (this.count == 0) return HASH_NONE;
    if (key == this.lastKey && keyHigh == this.lastKeyHigh) this.lastSlot = HASH_NONE;
    const hash = this.hash(key, keyHigh);
    const mask = this.mask;
    let hole = hash & mask;
    let slot = HASH_NONE;
    while (true) {
      const word = this.at(hole);
      if (word == EMPTY) return HASH_NONE;
      if (<u32>(word >> HASH_SHIFT) == hash) {
        const s = <i32>(word & SLOT_MASK) - 1;
        if (this.keyOf(s) == key && this.keyHighOf(s) == keyHigh) {
          slot = s;
          break;
        }
      }
      hole = (hole + 1) & mask;
    }
    // Backward shift: a later member of the run moves into the hole unless its home lies
    // cyclically in (hole, pos], where it would no longer be found from its home.
    let pos = hole;
    while (true) {
      pos = (pos + 1) & mask;
      const word = this.at(pos);
      if (word == EMPTY) break;
      const home = <u32>(word >> HASH_SHIFT) & mask;
      const stays = hole <= pos ? (home > hole && home <= pos) : (home > hole || home <= pos);
      if (!stays) {
        this.setAt(hole, word);
        hole = pos;
      }
    }
    this.setAt(hole, EMPTY);
    this.count--;
    return slot;
  }

  /** Unmaps everything. */
  clear(): void {
    memory.fill(this.table, 0, <usize>(this.mask + 1) * WORD_BYTES);
    this.count = 0;
    this.lastSlot = HASH_NONE;
  }

  // ---- internals ----

  /** 32 bits of the keyed hash: the home position is its low bits (H <= 2^25). */
  @inline private hash(key: u64, keyHigh: u64): u32 {
    if (this.hashedValid && key == this.hashedKey && keyHigh == this.hashedKeyHigh) return this.hashed;
    const h = <u32>sipHash24Words(this.k0, this.k1, key, keyHigh);
    this.hashedKey = key;
    this.hashedKeyHigh = keyHigh;
    this.hashed = h;
    this.hashedValid = true;
    return h;
  }

  @inline private at(pos: u32): u64 {
    return load<u64>(this.table + <usize>pos * WORD_BYTES);
  }

  @inline private setAt(pos: u32, word: u64): void {
    store<u64>(this.table + <usize>pos * WORD_BYTES, word);
  }

  @inline private keyOf(slot: i32): u64 {
    return load<u64>(this.keys + <usize>slot * KEY_BYTES);
  }

  @inline private keyHighOf(slot: i32): u64 {
    return load<u64>(this.keys + <usize>slot * KEY_BYTES + WORD_BYTES);
  }
}
