import {
  SlotPool, SLOT_FULL, SLOT_BAD_HANDLE, SLOT_HANDLE_MIN, SLOT_MAX_CAPACITY, SLOT_MAX_SIZE, SLOT_INDEX_BITS,
  GEN_MAX, SLOT_TAG_MAX,
} from "../../assembly/storage/slot_pool";
import { HANDLE_INDEX_BITS, HANDLE_TAG_SHIFT, HANDLE_TAG_COUNT } from "../../bindings/layout";

describe("slot pool", () => {
  it("hands out distinct positive handles that resolve to distinct slots", () => {
    const p = new SlotPool(4);
    const seen: i32[] = [];
    for (let i = 0; i < 4; i++) {
      const h = p.alloc();
      expect<i32>(h).toBeGreaterThanOrEqual(SLOT_HANDLE_MIN);
      const index = p.resolve(h);
      expect<i32>(index).toBeGreaterThanOrEqual(0);
      expect<i32>(index).toBeLessThan(4);
      expect<bool>(seen.includes(index)).toBe(false);
      seen.push(index);
    }
    expect<i32>(p.inUse).toBe(4);
    expect<i32>(p.capacity).toBe(4);
  });

  it("returns SLOT_FULL (-EMFILE) when exhausted and counts it", () => {
    const p = new SlotPool(2);
    p.alloc();
    const h = p.alloc();
    expect<i32>(p.alloc()).toBe(SLOT_FULL);
    expect<i32>(p.alloc()).toBe(SLOT_FULL);
    expect<i32>(SLOT_FULL).toBe(-24);
    expect<u64>(p.refused).toBe(2);
    expect<i32>(p.inUse).toBe(2);
    expect<i32>(p.free(h)).toBe(0);
    expect<i32>(p.alloc()).toBeGreaterThanOrEqual(SLOT_HANDLE_MIN);
  });

  it("refuses a handle after it is freed", () => {
    const p = new SlotPool(4);
    const h = p.alloc();
    expect<i32>(p.free(h)).toBe(0);
    expect<i32>(p.resolve(h)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.free(h)).toBe(SLOT_BAD_HANDLE); // double free
    expect<i32>(SLOT_BAD_HANDLE).toBe(-9);
    expect<i32>(p.inUse).toBe(0);
  });

  it("refuses an old handle after its slot is reused", () => {
    const p = new SlotPool(1);
    const old = p.alloc();
    p.free(old);
    const fresh = p.alloc();
    expect<i32>(p.resolve(fresh)).toBe(0); // the same slot, its only one
    expect<bool>(fresh != old).toBe(true);
    expect<i32>(p.resolve(old)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.free(old)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.resolve(fresh)).toBe(0); // the stale free did not touch the new occupant
  });

  it("refuses handles that were never issued", () => {
    const p = new SlotPool(4);
    const h = p.alloc();
    expect<i32>(p.resolve(0)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.resolve(-1)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.resolve(i32.MIN_VALUE)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.resolve(p.resolve(h))).toBe(SLOT_BAD_HANDLE); // a bare index is not a handle
    expect<i32>(p.resolve(h + 1)).toBe(SLOT_BAD_HANDLE); // a free slot of the same generation
    expect<i32>(p.resolve(h | 7)).toBe(SLOT_BAD_HANDLE); // index beyond capacity
    expect<i32>(p.resolve(h + (1 << SLOT_INDEX_BITS))).toBe(SLOT_BAD_HANDLE); // a future generation
    expect<i32>(p.resolve(i32.MAX_VALUE)).toBe(SLOT_BAD_HANDLE);
  });

  it("reuses freed slots in FIFO order, spreading generations", () => {
    const p = new SlotPool(3);
    const a = p.alloc(), b = p.alloc(), c = p.alloc();
    const ia = p.resolve(a), ib = p.resolve(b), ic = p.resolve(c);
    p.free(b);
    p.free(a);
    expect<i32>(p.resolve(p.alloc())).toBe(ib);
    expect<i32>(p.resolve(p.alloc())).toBe(ia);
    expect<i32>(p.alloc()).toBe(SLOT_FULL);
    expect<i32>(p.resolve(c)).toBe(ic);
  });

  it("wraps generations without ever validating a stale, zero or negative handle", () => {
    const p = new SlotPool(1);
    const first = p.alloc();
    expect<i32>(p.free(first)).toBe(0);
    let h = 0;
    let minSeen = i32.MAX_VALUE;
    // Occupancies with generations 2 .. GEN_MAX - 1.
    for (let i: u32 = 0; i < GEN_MAX - 2; i++) {
      h = p.alloc();
      if (h < minSeen) minSeen = h;
      if (p.resolve(first) != SLOT_BAD_HANDLE) expect<i32>(p.resolve(first)).toBe(SLOT_BAD_HANDLE);
      const rc = p.free(h);
      if (rc != 0) expect<i32>(rc).toBe(0);
    }
    expect<i32>(minSeen).toBeGreaterThanOrEqual(SLOT_HANDLE_MIN);
    // The next occupancy has the last generation; after it the generation wraps to the first.
    h = p.alloc();
    expect<i32>(h).toBe(<i32>(GEN_MAX << SLOT_INDEX_BITS));
    expect<i32>(p.resolve(0)).toBe(SLOT_BAD_HANDLE);
    p.free(h);
    const wrapped = p.alloc();
    expect<i32>(wrapped).toBe(first); // full circle: documented ABA bound of GEN_MAX occupancies
    expect<i32>(wrapped).toBeGreaterThan(0);
    expect<i32>(p.resolve(h)).toBe(SLOT_BAD_HANDLE);
  });

  it("gives each occupant zeroed slot data", () => {
    const p = new SlotPool(2, 24);
    expect<i32>(p.slotSize).toBe(24);
    const h = p.alloc();
    const ptr = p.slotPtr(p.resolve(h));
    for (let i = 0; i < 24; i++) expect<u8>(load<u8>(ptr + i)).toBe(0);
    memory.fill(ptr, 0xab, 24);
    p.free(h);
    const other = p.alloc();
    const h2 = p.alloc(); // FIFO: the slot we dirtied comes back second
    expect<usize>(p.slotPtr(p.resolve(h2))).toBe(ptr);
    for (let i = 0; i < 24; i++) expect<u8>(load<u8>(ptr + i)).toBe(0);
    expect<bool>(p.slotPtr(p.resolve(other)) != ptr).toBe(true);
  });

  it("keeps slot data areas apart", () => {
    const p = new SlotPool(5, 12);
    for (let i = 0; i < 5; i++) p.alloc();
    for (let i = 0; i < 5; i++) memory.fill(p.slotPtr(i), <u8>(i + 1), 12);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 12; j++) expect<u8>(load<u8>(p.slotPtr(i) + j)).toBe(<u8>(i + 1));
    }
  });

  it("iterates over live slots only, and lets the loop free them", () => {
    const p = new SlotPool(6);
    const hs: i32[] = [];
    for (let i = 0; i < 6; i++) hs.push(p.alloc());
    p.free(hs[1]);
    p.free(hs[4]);
    const live: i32[] = [];
    for (let i = p.nextLive(0); i >= 0; i = p.nextLive(i + 1)) {
      live.push(i);
      expect<i32>(p.resolve(p.handleOf(i))).toBe(i);
      if (i == 3) p.free(p.handleOf(i));
    }
    expect<i32[]>(live).toStrictEqual([0, 2, 3, 5]);
    expect<i32>(p.inUse).toBe(3);
    expect<bool>(p.isLive(3)).toBe(false);
    expect<i32>(p.handleOf(3)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.handleOf(99)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.nextLive(6)).toBe(-1);
  });

  it("frees everything at once, making every handle stale", () => {
    const p = new SlotPool(3);
    const a = p.alloc(), b = p.alloc();
    p.freeAll();
    expect<i32>(p.inUse).toBe(0);
    expect<i32>(p.resolve(a)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(p.resolve(b)).toBe(SLOT_BAD_HANDLE);
    for (let i = 0; i < 3; i++) expect<i32>(p.alloc()).toBeGreaterThanOrEqual(SLOT_HANDLE_MIN);
    expect<i32>(p.alloc()).toBe(SLOT_FULL);
  });

  it("tracks the peak number in use", () => {
    const p = new SlotPool(4);
    const a = p.alloc(), b = p.alloc();
    p.alloc();
    p.free(a);
    p.free(b);
    p.alloc();
    expect<i32>(p.peakInUse).toBe(3);
  });

  it("clamps capacity, and a zero-capacity pool is always full", () => {
    const z = new SlotPool(0);
    expect<i32>(z.alloc()).toBe(SLOT_FULL);
    expect<i32>(z.resolve(SLOT_HANDLE_MIN)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(new SlotPool(-1).capacity).toBe(0);
    expect<i32>(new SlotPool(SLOT_MAX_CAPACITY + 1).capacity).toBe(SLOT_MAX_CAPACITY);
    expect<i32>(new SlotPool(1, SLOT_MAX_SIZE + 1).slotSize).toBe(SLOT_MAX_SIZE);
    expect<i32>(new SlotPool(1, -8).slotSize).toBe(0);
  });

  it("serves a full 65536-slot pool with handles that stay positive", () => {
    const p = new SlotPool(SLOT_MAX_CAPACITY);
    let last = 0;
    for (let i = 0; i < SLOT_MAX_CAPACITY; i++) {
      last = p.alloc();
      if (last < SLOT_HANDLE_MIN) expect<i32>(last).toBeGreaterThanOrEqual(SLOT_HANDLE_MIN);
    }
    expect<i32>(p.resolve(last)).toBe(SLOT_MAX_CAPACITY - 1);
    expect<i32>(p.alloc()).toBe(SLOT_FULL);
  });

  it("matches a reference model over thousands of random operations", () => {
    // Reference model: for every handle ever issued, whether it is still live, plus the set of
    // occupied indices. Live handles must resolve to their own distinct slot; all others must fail.
    const CAP = 8;
    const p = new SlotPool(CAP, 4);
    const issued: i32[] = [];
    const alive: bool[] = [];
    const owner = new Array<i32>(CAP).fill(-1); // index -> position in `issued`, or -1
    let liveCount = 0;
    let x: u32 = 0xc0ff_ee11;
    for (let step = 0; step < 20000; step++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      const op = x % 3;
      if (op == 0) {
        const h = p.alloc();
        if (liveCount == CAP) {
          expect<i32>(h).toBe(SLOT_FULL);
        } else {
          const index = p.resolve(h);
          if (index < 0 || owner[index] != -1) expect<i32>(index).toBe(-100, "alloc gave a busy slot");
          owner[index] = issued.length;
          issued.push(h);
          alive.push(true);
          liveCount++;
          store<i32>(p.slotPtr(index), h); // stamp the slot with its owner
        }
      } else if (op == 1 && issued.length > 0) {
        // Free a handle ever issued: half the time a live one (when the picked slot has one),
        // otherwise any, mostly stale. Live ones succeed, stale ones are refused.
        let k = <i32>((x >> 8) % <u32>issued.length);
        const slot = <i32>((x >> 24) % <u32>CAP);
        if ((x & 0x10000) != 0 && owner[slot] >= 0) k = owner[slot];
        const rc = p.free(issued[k]);
        if (alive[k]) {
          expect<i32>(rc).toBe(0);
          alive[k] = false;
          for (let i = 0; i < CAP; i++) if (owner[i] == k) owner[i] = -1;
          liveCount--;
        } else if (rc != SLOT_BAD_HANDLE) {
          expect<i32>(rc).toBe(SLOT_BAD_HANDLE, "stale free at step " + step.toString());
        }
      } else if (issued.length > 0) {
        const k = <i32>((x >> 8) % <u32>issued.length);
        const index = p.resolve(issued[k]);
        if (alive[k]) {
          if (index < 0 || owner[index] != k) expect<i32>(owner[index]).toBe(k);
          // The slot still holds what its owner stamped: no one else was given it.
          if (load<i32>(p.slotPtr(index)) != issued[k]) expect<i32>(load<i32>(p.slotPtr(index))).toBe(issued[k]);
        } else if (index != SLOT_BAD_HANDLE) {
          expect<i32>(index).toBe(SLOT_BAD_HANDLE, "stale resolve at step " + step.toString());
        }
      }
      if (p.inUse != liveCount) expect<i32>(p.inUse).toBe(liveCount);
    }
    // Iteration visits exactly the occupied indices.
    let visited = 0;
    for (let i = p.nextLive(0); i >= 0; i = p.nextLive(i + 1)) {
      expect<bool>(owner[i] >= 0).toBe(true);
      visited++;
    }
    expect<i32>(visited).toBe(liveCount);
  });

  it("tags every handle with its pool, and a handle of another pool never resolves", () => {
    const udp = new SlotPool(4, 0, 1);
    const icmp = new SlotPool(4, 0, 2);
    const a = udp.alloc();
    const b = icmp.alloc();
    expect<u32>(SlotPool.tagOf(a)).toBe(1);
    expect<u32>(SlotPool.tagOf(b)).toBe(2);
    expect<i32>(udp.resolve(a)).toBe(0);
    expect<i32>(icmp.resolve(b)).toBe(0);
    // Same index and generation, other tag: refused by both pools.
    expect<i32>(icmp.resolve(a)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(udp.resolve(b)).toBe(SLOT_BAD_HANDLE);
    expect<i32>(udp.handleOf(0)).toBe(a);
    const top = new SlotPool(1, 0, SLOT_TAG_MAX);
    const h = top.alloc();
    expect<i32>(h).toBeGreaterThan(0); // the sign bit stays clear with the largest tag
    expect<u32>(SlotPool.tagOf(h)).toBe(SLOT_TAG_MAX);
  });

  it("lays handles out as bindings/layout.ts tells the host (HANDLE_*: the host's owner table reads them)", () => {
    const tag: u32 = 5;
    const p = new SlotPool(300, 0, tag);
    let h = 0;
    for (let i = 0; i < 300; i++) h = p.alloc();
    const index = p.resolve(h);
    expect<i32>(h & ((1 << HANDLE_INDEX_BITS) - 1)).toBe(index);
    expect<u32>((<u32>h >>> <u32>HANDLE_TAG_SHIFT) & <u32>(HANDLE_TAG_COUNT - 1)).toBe(tag);
    expect<u32>(SLOT_TAG_MAX + 1).toBe(<u32>HANDLE_TAG_COUNT);
    expect<i32>(SLOT_INDEX_BITS).toBe(HANDLE_INDEX_BITS);
  });
});
