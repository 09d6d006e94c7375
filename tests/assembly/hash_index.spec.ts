import { HashIndex, HASH_NONE } from "../../assembly/storage/hash_index";

let state: u64 = 0x9e3779b97f4a7c15;
function rand(): u64 {
  // xorshift64 (Marsaglia 2003).
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
function below(n: i32): i32 {
  return <i32>(rand() % <u64>n);
}

const K0: u64 = 0x0706050403020100;
const K1: u64 = 0x0f0e0d0c0b0a0908;

describe("hash index", () => {
  it("maps keys to slots and forgets them on remove", () => {
    const h = new HashIndex(8, K0, K1);
    expect<i32>(h.find(42)).toBe(HASH_NONE);
    expect<bool>(h.insert(42, 3)).toBe(true);
    expect<bool>(h.insert(0xffff_ffff_ffff_ffff, 7)).toBe(true);
    expect<bool>(h.insert(0, 0)).toBe(true);
    expect<i32>(h.find(42)).toBe(3);
    expect<i32>(h.find(0xffff_ffff_ffff_ffff)).toBe(7);
    expect<i32>(h.find(0)).toBe(0);
    expect<i32>(h.size).toBe(3);
    expect<i32>(h.remove(42)).toBe(3);
    expect<i32>(h.find(42)).toBe(HASH_NONE);
    expect<i32>(h.remove(42)).toBe(HASH_NONE);
    expect<i32>(h.find(0)).toBe(0);
    expect<i32>(h.size).toBe(2);
  });

  // find() remembers its last answer (the hot path looks up one connection again and again): the
  // memory must never outlive the mapping.
  it("a key found just before it is removed, or before clear(), is not found after", () => {
    const h = new HashIndex(8, K0, K1);
    h.insert(5, 1, 77);
    h.insert(6, 2, 77);
    expect<i32>(h.find(5, 77)).toBe(1);
    expect<i32>(h.find(5, 77)).toBe(1);
    expect<i32>(h.find(5, 78)).toBe(HASH_NONE);
    // Removing another key leaves the remembered one mapped.
    expect<i32>(h.remove(6, 77)).toBe(2);
    expect<i32>(h.find(5, 77)).toBe(1);
    expect<i32>(h.remove(5, 77)).toBe(1);
    expect<i32>(h.find(5, 77)).toBe(HASH_NONE);
    // Mapped again to another slot: the new slot, not the remembered old one.
    expect<bool>(h.insert(5, 4, 77)).toBe(true);
    expect<i32>(h.find(5, 77)).toBe(4);
    h.clear();
    expect<i32>(h.find(5, 77)).toBe(HASH_NONE);
    expect<bool>(h.insert(5, 3, 77)).toBe(true);
    expect<i32>(h.find(5, 77)).toBe(3);
  });

  it("refuses a duplicate key and slots out of range, changing nothing", () => {
    const h = new HashIndex(4, K0, K1);
    expect<bool>(h.insert(9, 1)).toBe(true);
    expect<bool>(h.insert(9, 2)).toBe(false);
    expect<i32>(h.find(9)).toBe(1);
    expect<bool>(h.insert(10, -1)).toBe(false);
    expect<bool>(h.insert(10, 4)).toBe(false);
    expect<i32>(h.find(10)).toBe(HASH_NONE);
    expect<i32>(h.size).toBe(1);
    const z = new HashIndex(0, K0, K1);
    expect<bool>(z.insert(1, 0)).toBe(false);
    expect<i32>(z.find(1)).toBe(HASH_NONE);
    expect<i32>(z.remove(1)).toBe(HASH_NONE);
  });

  it("finds keys that differ only in their high bits, under any secret", () => {
    // The hash covers the whole key: keys equal in their low 32 bits are still told apart.
    const a = new HashIndex(1024, K0, K1);
    const b = new HashIndex(1024, K1, K0);
    for (let i = 0; i < 1024; i++) {
      expect<bool>(a.insert(<u64>i * 0x100000000, i)).toBe(true);
      expect<bool>(b.insert(<u64>i * 0x100000000, i)).toBe(true);
    }
    for (let i = 0; i < 1024; i++) {
      expect<i32>(a.find(<u64>i * 0x100000000)).toBe(i);
      expect<i32>(b.find(<u64>i * 0x100000000)).toBe(i);
    }
  });

  it("tells apart 128-bit keys that share either word (connection 4-tuples)", () => {
    const h = new HashIndex(16, K0, K1);
    // (addresses, ports) pairs: same addresses different ports, same ports different addresses.
    const addrs: u64 = 0x0a000001_0a000002;
    expect<bool>(h.insert(addrs, 0, 0x1f90_c001)).toBe(true);
    expect<bool>(h.insert(addrs, 1, 0x1f90_c002)).toBe(true);
    expect<bool>(h.insert(addrs + 1, 2, 0x1f90_c001)).toBe(true);
    expect<bool>(h.insert(addrs, 3)).toBe(true); // keyHigh 0 is a key of its own
    expect<bool>(h.insert(addrs, 9, 0x1f90_c002)).toBe(false); // already mapped
    expect<i32>(h.find(addrs, 0x1f90_c001)).toBe(0);
    expect<i32>(h.find(addrs, 0x1f90_c002)).toBe(1);
    expect<i32>(h.find(addrs + 1, 0x1f90_c001)).toBe(2);
    expect<i32>(h.find(addrs)).toBe(3);
    expect<i32>(h.find(addrs + 1, 0x1f90_c002)).toBe(HASH_NONE);
    expect<i32>(h.remove(addrs, 0x1f90_c001)).toBe(0);
    expect<i32>(h.find(addrs, 0x1f90_c001)).toBe(HASH_NONE);
    expect<i32>(h.find(addrs, 0x1f90_c002)).toBe(1);
    expect<i32>(h.find(addrs)).toBe(3);
    expect<i32>(h.remove(addrs + 1, 0x1f90_c002)).toBe(HASH_NONE);
    expect<i32>(h.size).toBe(3);
  });

  it("stays exact when filled to capacity, emptied and refilled (wrapping probe runs)", () => {
    const cap = 512;
    const h = new HashIndex(cap, 1, 2);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < cap; i++) expect<bool>(h.insert(<u64>(i * 7919 + round), i)).toBe(true);
      expect<bool>(h.insert(0xdead, 0)).toBe(false); // every slot is mapped: the table stays half empty
      for (let i = 0; i < cap; i++) expect<i32>(h.find(<u64>(i * 7919 + round))).toBe(i);
      for (let i = cap - 1; i >= 0; i -= 2) expect<i32>(h.remove(<u64>(i * 7919 + round))).toBe(i);
      for (let i = 0; i < cap; i++) {
        expect<i32>(h.find(<u64>(i * 7919 + round))).toBe((i & 1) == 0 ? i : HASH_NONE);
      }
      h.clear();
      expect<i32>(h.size).toBe(0);
      expect<i32>(h.find(<u64>round)).toBe(HASH_NONE);
    }
  });

  it("agrees with a linear-search model under random insert/remove/find", () => {
    const cap = 97; // not a power of two: the table rounds up, the slots do not
    const h = new HashIndex(cap, 0x1234, 0x5678);
    // Model: key per slot, or -1 for unmapped; keys from a small space so they recur.
    const modelKey = new StaticArray<i64>(cap);
    for (let i = 0; i < cap; i++) modelKey[i] = -1;
    let mismatches = 0;
    for (let step = 0; step < 100_000; step++) {
      const key = <i64>below(300);
      // Half the keys live in the high word, so both words take part.
      const lo: u64 = <u64>(key % 150);
      const hi: u64 = <u64>(key / 150) * 0x1_0000_0000;
      let slot = -1;
      for (let i = 0; i < cap; i++) if (modelKey[i] == key) slot = i;
      const op = below(3);
      if (op == 0) {
        if (slot >= 0) {
          if (h.insert(lo, slot, hi)) mismatches++;
        } else {
          let free = -1;
          for (let i = below(cap), n = 0; n < cap; n++, i = (i + 1) % cap) {
            if (modelKey[i] < 0) { free = i; break; }
          }
          if (free >= 0) {
            if (!h.insert(lo, free, hi)) mismatches++;
            modelKey[free] = key;
          }
        }
      } else if (op == 1) {
        if (h.remove(lo, hi) != slot) mismatches++;
        if (slot >= 0) modelKey[slot] = -1;
      } else {
        if (h.find(lo, hi) != slot) mismatches++;
      }
      let live = 0;
      for (let i = 0; i < cap; i++) if (modelKey[i] >= 0) live++;
      if (h.size != live) mismatches++;
      if (mismatches > 0) break;
    }
    expect<i32>(mismatches).toBe(0);
    // And a full check of every key at the end.
    for (let k = 0; k < 300; k++) {
      let slot = -1;
      for (let i = 0; i < cap; i++) if (modelKey[i] == <i64>k) slot = i;
      expect<i32>(h.find(<u64>(k % 150), <u64>(k / 150) * 0x1_0000_0000)).toBe(slot);
    }
  });
});
