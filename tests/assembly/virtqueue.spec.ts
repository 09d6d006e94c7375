// The driver side of a split virtqueue, with the test playing the device (VirtIO 1.2 section 2.7):
// it reads the available ring and writes the used ring exactly as host/nic.ts does.
import { Virtqueue, NO_DESCRIPTOR } from "../../assembly/storage/virtqueue";
import {
  VIRTQ_DESC_BYTES, VIRTQ_DESC_ADDR, VIRTQ_DESC_LEN, VIRTQ_DESC_FLAGS, VIRTQ_DESC_F_WRITE,
  VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES, VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES,
  VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN, VIRTQ_DESC_F_NEXT,
} from "../../bindings/layout";

/** A device over one queue: its own read index of the available ring. */
class Device {
  lastAvail: u16 = 0;
  constructor(public q: Virtqueue) {}
  pending(): i32 {
    return <i32><u16>(load<u16>(this.q.avail + VIRTQ_RING_IDX) - this.lastAvail);
  }
  take(): i32 {
    const slot = <i32>this.lastAvail & (this.q.size - 1);
    this.lastAvail++;
    return <i32>load<u16>(this.q.avail + VIRTQ_RING_ENTRIES + <usize>slot * VIRTQ_AVAIL_ENTRY_BYTES);
  }
  descLen(id: i32): u32 {
    return load<u32>(this.q.descriptors + <usize>id * VIRTQ_DESC_BYTES + VIRTQ_DESC_LEN);
  }
  complete(id: u32, len: u32): void {
    const idx = load<u16>(this.q.used + VIRTQ_RING_IDX);
    const entry = this.q.used + VIRTQ_RING_ENTRIES + <usize>(<i32>idx & (this.q.size - 1)) * VIRTQ_USED_ENTRY_BYTES;
    store<u32>(entry + VIRTQ_USED_ENTRY_ID, id);
    store<u32>(entry + VIRTQ_USED_ENTRY_LEN, len);
    store<u16>(this.q.used + VIRTQ_RING_IDX, idx + 1);
  }
}

const BUFFER: i32 = 128;

describe("virtqueue (receive)", () => {
  it("offers every buffer, device-writable, at construction", () => {
    const q = new Virtqueue(8, BUFFER, true);
    const dev = new Device(q);
    expect<i32>(dev.pending()).toBe(8);
    for (let i = 0; i < 8; i++) {
      const d = q.descriptors + <usize>i * VIRTQ_DESC_BYTES;
      expect<u16>(load<u16>(d + VIRTQ_DESC_FLAGS)).toBe(<u16>VIRTQ_DESC_F_WRITE);
      expect<u64>(load<u64>(d + VIRTQ_DESC_ADDR)).toBe(<u64>q.bufferOf(i));
    }
  });

  it("returns what the device wrote, and nothing more", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    const id = dev.take();
    store<u8>(q.bufferOf(id), 0xab);
    dev.complete(<u32>id, 60);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(q.usedLen).toBe(60);
    expect<u8>(load<u8>(q.bufferOf(id))).toBe(0xab);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
  });

  it("keeps working when the 16-bit ring indices wrap (70,000 frames through 4 slots)", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    for (let n = 0; n < 70_000; n++) {
      const id = dev.take();
      dev.complete(<u32>id, <u32>(n % BUFFER));
      const got = q.takeUsed();
      if (got != id || q.usedLen != n % BUFFER) expect<i32>(got).toBe(id, "frame " + n.toString());
      q.recycle(got);
    }
    expect<i32>(dev.pending()).toBe(4);
    expect<u32>(q.deviceErrors).toBe(0);
  });

  it("refuses ids it never offered, ids returned twice and out-of-range ids, counting each", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(<u32>id, 10);
    dev.complete(<u32>id, 10); // the same id again
    dev.complete(99, 10); // not a descriptor
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(2);
  });

  it("hands back a buffer whose claimed length is too long as empty", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(<u32>id, <u32>BUFFER + 1);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(q.usedLen).toBe(0);
    expect<u32>(q.deviceErrors).toBe(1);
  });

  it("resynchronises when the device's used index jumps beyond the queue size", () => {
    const q = new Virtqueue(4, BUFFER, true);
    store<u16>(q.used + VIRTQ_RING_IDX, 1000);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(1);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
  });
});

describe("virtqueue (transmit)", () => {
  it("hands out each descriptor once, then NO_DESCRIPTOR until the device returns one", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    expect<i32>(dev.pending()).toBe(0);
    const seen = new Set<i32>();
    for (let i = 0; i < 4; i++) {
      const id = q.acquire();
      expect<bool>(id >= 0 && id < 4 && !seen.has(id)).toBe(true);
      seen.add(id);
      q.submit(id, 42 + i);
    }
    expect<i32>(q.acquire()).toBe(NO_DESCRIPTOR);
    expect<i32>(dev.pending()).toBe(4);
    const first = dev.take();
    expect<u32>(dev.descLen(first)).toBe(42);
    dev.complete(<u32>first, 0);
    expect<i32>(q.acquire()).toBe(first);
    expect<i32>(q.acquire()).toBe(NO_DESCRIPTOR);
  });

  it("a hostile device returning one id twice cannot make two senders share a buffer", () => {
    const q = new Virtqueue(2, BUFFER, false);
    const dev = new Device(q);
    const a = q.acquire();
    q.submit(a, 10);
    const b = q.acquire();
    q.submit(b, 10);
    const id = dev.take();
    dev.complete(<u32>id, 0);
    dev.complete(<u32>id, 0);
    expect<i32>(q.available()).toBe(1);
    expect<u32>(q.deviceErrors).toBe(1);
    expect<i32>(q.acquire()).toBe(id);
    expect<i32>(q.acquire()).toBe(NO_DESCRIPTOR);
  });

  it("release gives an unused descriptor back", () => {
    const q = new Virtqueue(2, BUFFER, false);
    const a = q.acquire();
    q.release(a);
    expect<i32>(q.available()).toBe(2);
  });

  it("accepts only power-of-two sizes up to 32768", () => {
    expect<bool>(Virtqueue.validSize(1)).toBe(true);
    expect<bool>(Virtqueue.validSize(256)).toBe(true);
    expect<bool>(Virtqueue.validSize(32768)).toBe(true);
    expect<bool>(Virtqueue.validSize(0)).toBe(false);
    expect<bool>(Virtqueue.validSize(3)).toBe(false);
    expect<bool>(Virtqueue.validSize(65536)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The device's view in more detail, the transmit side across the index wrap, and a hostile
// device: every impossible used entry is counted in deviceErrors, never trusted, never a trap,
// and no descriptor ever reaches two owners.

function descAddr(q: Virtqueue, id: i32): usize {
  return <usize>load<u64>(q.descriptors + <usize>id * VIRTQ_DESC_BYTES + VIRTQ_DESC_ADDR);
}

function descFlags(q: Virtqueue, id: i32): u16 {
  return load<u16>(q.descriptors + <usize>id * VIRTQ_DESC_BYTES + VIRTQ_DESC_FLAGS);
}

/** Publishes a used index without writing entries (a device lying about its progress). */
function setUsedIdx(q: Virtqueue, idx: u16): void {
  store<u16>(q.used + VIRTQ_RING_IDX, idx);
}

function usedIdx(q: Virtqueue): u16 {
  return load<u16>(q.used + VIRTQ_RING_IDX);
}

/** `n` bytes at p of a pattern that depends on `tag`. */
function fillTagged(p: usize, n: i32, tag: u32): void {
  for (let k = 0; k < n; k++) store<u8>(p + k, <u8>(tag * 7 + <u32>k));
}

function holdsTagged(p: usize, n: i32, tag: u32): bool {
  for (let k = 0; k < n; k++) if (load<u8>(p + k) != <u8>(tag * 7 + <u32>k)) return false;
  return true;
}

/** The tests' own seeded generator (xorshift32), independent of assembly/random.ts. */
class TestRng {
  constructor(public s: u32) {}
  next(): u32 {
    let x = this.s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    this.s = x;
    return x;
  }
  below(n: u32): u32 { return this.next() % n; }
}

/** Acquires every free descriptor, checks no id comes out twice, and releases them again. */
function freeListIntact(q: Virtqueue): bool {
  const held = new StaticArray<bool>(q.size);
  const ids: i32[] = [];
  let ok = true;
  let id = q.acquire();
  while (id != NO_DESCRIPTOR) {
    if (id < 0 || id >= q.size || held[id]) { ok = false; break; }
    held[id] = true;
    ids.push(id);
    id = q.acquire();
  }
  for (let i = 0; i < ids.length; i++) q.release(ids[i]);
  return ok;
}

describe("virtqueue (receive, the device's view)", () => {
  it("offers each buffer exactly once, at full length, with no chaining", () => {
    const q = new Virtqueue(8, BUFFER, true);
    const dev = new Device(q);
    const seen = new StaticArray<bool>(8);
    for (let i = 0; i < 8; i++) {
      const id = dev.take();
      expect<bool>(id >= 0 && id < 8 && !seen[id]).toBe(true);
      seen[id] = true;
      expect<u32>(dev.descLen(id)).toBe(<u32>BUFFER);
      expect<u16>(descFlags(q, id) & <u16>VIRTQ_DESC_F_NEXT).toBe(0);
    }
    expect<i32>(dev.pending()).toBe(0);
    expect<u16>(usedIdx(q)).toBe(0);
  });

  it("lays rings and buffers out aligned (VirtIO 2.7) and without overlap", () => {
    const q = new Virtqueue(4, 100, true);
    expect<usize>(q.descriptors & 15).toBe(0);
    expect<usize>(q.avail & 1).toBe(0);
    expect<usize>(q.used & 3).toBe(0);
    expect<bool>(q.avail >= q.descriptors + 4 * VIRTQ_DESC_BYTES).toBe(true);
    // Each ring: flags, idx, entries, then the u16 event field.
    expect<bool>(q.used >= q.avail + VIRTQ_RING_ENTRIES + 4 * VIRTQ_AVAIL_ENTRY_BYTES + 2).toBe(true);
    expect<bool>(q.buffers >= q.used + VIRTQ_RING_ENTRIES + 4 * VIRTQ_USED_ENTRY_BYTES + 2).toBe(true);
    for (let i = 0; i < 3; i++) expect<bool>(q.bufferOf(i + 1) >= q.bufferOf(i) + 100).toBe(true);
  });

  it("returns several ids with their own lengths in used-ring order, not offer order", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    const a = dev.take(), b = dev.take(), c = dev.take();
    fillTagged(descAddr(q, b), 20, 1);
    fillTagged(descAddr(q, a), BUFFER, 2);
    fillTagged(descAddr(q, c), 1, 3);
    dev.complete(<u32>b, 20);
    dev.complete(<u32>a, <u32>BUFFER);
    dev.complete(<u32>c, 1);
    expect<i32>(q.takeUsed()).toBe(b);
    expect<i32>(q.usedLen).toBe(20);
    expect<bool>(holdsTagged(q.bufferOf(b), 20, 1)).toBe(true);
    expect<i32>(q.takeUsed()).toBe(a);
    expect<i32>(q.usedLen).toBe(BUFFER);
    expect<bool>(holdsTagged(q.bufferOf(a), BUFFER, 2)).toBe(true);
    expect<i32>(q.takeUsed()).toBe(c);
    expect<i32>(q.usedLen).toBe(1);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(0);
  });

  it("accepts a zero-length return as a real, empty one", () => {
    const q = new Virtqueue(2, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(<u32>id, 0);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(q.usedLen).toBe(0);
    expect<u32>(q.deviceErrors).toBe(0);
  });

  it("recycle re-offers the buffer writable and at full length", () => {
    const q = new Virtqueue(2, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(<u32>id, 10);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(dev.pending()).toBe(1); // the other buffer is still on offer
    q.recycle(id);
    expect<i32>(dev.pending()).toBe(2);
    dev.take();
    expect<i32>(dev.take()).toBe(id);
    expect<u32>(dev.descLen(id)).toBe(<u32>BUFFER);
    expect<u16>(descFlags(q, id) & <u16>VIRTQ_DESC_F_WRITE).toBe(<u16>VIRTQ_DESC_F_WRITE);
  });

  it("70,000 frames in random bursts through 4 slots: every byte and length intact", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    const rng = new TestRng(12345);
    const FRAMES: u32 = 70_000;
    let sent: u32 = 0;
    let received: u32 = 0;
    const inFlight: u32[] = [];
    let bad: u32 = 0;
    while (received < FRAMES) {
      // The device fills 1..pending buffers, then the driver drains and recycles all of them.
      const burst = 1 + <i32>rng.below(<u32>dev.pending());
      for (let k = 0; k < burst && sent < FRAMES; k++) {
        const id = dev.take();
        const len = <i32>(sent % <u32>(BUFFER + 1));
        fillTagged(descAddr(q, id), len, sent);
        dev.complete(<u32>id, <u32>len);
        inFlight.push(sent++);
      }
      let id = q.takeUsed();
      while (id != NO_DESCRIPTOR) {
        const tag = inFlight.shift();
        const len = <i32>(tag % <u32>(BUFFER + 1));
        if (q.usedLen != len || !holdsTagged(q.bufferOf(id), len, tag)) bad++;
        q.recycle(id);
        received++;
        id = q.takeUsed();
      }
      if (inFlight.length != 0) bad++;
    }
    expect<u32>(bad).toBe(0);
    expect<u32>(q.deviceErrors).toBe(0);
    // Both 16-bit indices wrapped: 4 initial offers plus one per frame.
    expect<u16>(load<u16>(q.avail + VIRTQ_RING_IDX)).toBe(<u16>(FRAMES + 4));
    expect<u16>(usedIdx(q)).toBe(<u16>FRAMES);
    expect<i32>(dev.pending()).toBe(4);
  });
});

describe("virtqueue (transmit, the device's view)", () => {
  it("starts with nothing offered, every descriptor free and none device-writable", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    expect<i32>(dev.pending()).toBe(0);
    expect<i32>(q.available()).toBe(4);
    for (let i = 0; i < 4; i++) expect<u16>(descFlags(q, i) & <u16>VIRTQ_DESC_F_WRITE).toBe(0);
  });

  it("submit shows the device the id, the length and the bytes the driver wrote", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    const id = q.acquire();
    fillTagged(q.bufferOf(id), 42, 9);
    q.submit(id, 42);
    expect<i32>(q.available()).toBe(3);
    expect<i32>(dev.pending()).toBe(1);
    expect<i32>(dev.take()).toBe(id);
    expect<u32>(dev.descLen(id)).toBe(42);
    expect<bool>(holdsTagged(descAddr(q, id), 42, 9)).toBe(true);
  });

  it("reclaim returns every finished descriptor once and says how many", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    for (let i = 0; i < 3; i++) q.submit(q.acquire(), 20);
    for (let i = 0; i < 3; i++) dev.complete(<u32>dev.take(), 0);
    expect<i32>(q.reclaim()).toBe(3);
    expect<i32>(q.reclaim()).toBe(0);
    expect<i32>(q.available()).toBe(4);
    expect<bool>(freeListIntact(q)).toBe(true);
    expect<u32>(q.deviceErrors).toBe(0);
  });

  it("a full queue stays full while the device returns nothing", () => {
    const q = new Virtqueue(2, BUFFER, false);
    q.submit(q.acquire(), 1);
    q.submit(q.acquire(), 1);
    for (let i = 0; i < 3; i++) expect<i32>(q.acquire()).toBe(NO_DESCRIPTOR);
    expect<i32>(q.available()).toBe(0);
    expect<i32>(q.reclaim()).toBe(0);
  });

  it("70,000 frames through 4 slots across the 16-bit index wrap: every byte intact", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    const rng = new TestRng(777);
    const FRAMES: u32 = 70_000;
    let sent: u32 = 0;
    let delivered: u32 = 0;
    let bad: u32 = 0;
    while (delivered < FRAMES) {
      const burst = 1 + <i32>rng.below(5);
      for (let k = 0; k < burst && sent < FRAMES; k++) {
        const id = q.acquire();
        if (id == NO_DESCRIPTOR) break;
        const len = 1 + <i32>(sent % <u32>BUFFER);
        fillTagged(q.bufferOf(id), len, sent);
        q.submit(id, len);
        sent++;
      }
      // The device sends everything offered, in order, returning each descriptor.
      for (let n = dev.pending(); n > 0; n--) {
        const id = dev.take();
        const len = 1 + <i32>(delivered % <u32>BUFFER);
        if (dev.descLen(id) != <u32>len || !holdsTagged(descAddr(q, id), len, delivered)) bad++;
        dev.complete(<u32>id, 0);
        delivered++;
      }
    }
    expect<u32>(bad).toBe(0);
    expect<u32>(q.deviceErrors).toBe(0);
    expect<i32>(q.available()).toBe(4);
    expect<u16>(load<u16>(q.avail + VIRTQ_RING_IDX)).toBe(<u16>FRAMES);
    expect<u16>(usedIdx(q)).toBe(<u16>FRAMES);
  });
});

describe("virtqueue (hostile device)", () => {
  it("after a used-index jump the driver resynchronises and takes honest entries again", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    setUsedIdx(q, 5); // one more than the queue size
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(1);
    const id = dev.take();
    dev.complete(<u32>id, 8);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<i32>(q.usedLen).toBe(8);
    expect<u32>(q.deviceErrors).toBe(1);
  });

  it("a used index moving backwards is a jump too", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    dev.complete(<u32>dev.take(), 1);
    expect<i32>(q.takeUsed()).toBeGreaterThanOrEqual(0);
    setUsedIdx(q, 0); // 65535 entries "ahead"
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(1);
  });

  it("a jump on a transmit queue never hands a descriptor out twice", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    for (let i = 0; i < 4; i++) q.submit(q.acquire(), 10);
    setUsedIdx(q, 300);
    expect<i32>(q.acquire()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(1);
    // The device then returns two of them honestly.
    dev.complete(<u32>dev.take(), 0);
    dev.complete(<u32>dev.take(), 0);
    expect<i32>(q.available()).toBe(2);
    expect<bool>(freeListIntact(q)).toBe(true);
  });

  it("out-of-range ids (including ones that truncate to a valid u16) are skipped and counted", () => {
    const q = new Virtqueue(4, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(4, 10);
    dev.complete(0xffffffff, 10);
    dev.complete(0x10000 + <u32>id, 10); // as a u16 this would be `id`
    dev.complete(<u32>id, 10);
    expect<i32>(q.takeUsed()).toBe(id);
    expect<u32>(q.deviceErrors).toBe(3);
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
  });

  it("ids the driver never offered (free or merely acquired) are refused on transmit", () => {
    const q = new Virtqueue(4, BUFFER, false);
    const dev = new Device(q);
    const a = q.acquire();
    q.submit(a, 10);
    const b = q.acquire(); // acquired but not submitted: not the device's to return
    for (let i: u32 = 0; i < 4; i++) dev.complete(i, 0);
    expect<i32>(q.reclaim()).toBe(1);
    expect<u32>(q.deviceErrors).toBe(3);
    q.release(b);
    expect<i32>(q.available()).toBe(4);
    expect<bool>(freeListIntact(q)).toBe(true);
  });

  it("a receive buffer returned again before the driver recycled it is refused", () => {
    const q = new Virtqueue(2, BUFFER, true);
    const dev = new Device(q);
    const id = dev.take();
    dev.complete(<u32>id, 5);
    expect<i32>(q.takeUsed()).toBe(id);
    dev.complete(<u32>id, 6); // the driver still holds it
    expect<i32>(q.takeUsed()).toBe(NO_DESCRIPTOR);
    expect<u32>(q.deviceErrors).toBe(1);
  });

  it("a length of 0xffffffff is counted and reported as empty; the buffer can be offered again", () => {
    const q = new Virtqueue(2, BUFFER, true);
    const dev = new Device(q);
    const a = dev.take();
    dev.complete(<u32>a, 0xffffffff);
    expect<i32>(q.takeUsed()).toBe(a);
    expect<i32>(q.usedLen).toBe(0);
    expect<u32>(q.deviceErrors).toBe(1);
    q.recycle(a);
    expect<i32>(dev.pending()).toBe(2);
  });

  it("a device that rewrites descriptor addresses cannot redirect the driver's buffers", () => {
    const q = new Virtqueue(2, BUFFER, false);
    const own0 = q.bufferOf(0);
    const own1 = q.bufferOf(1);
    // The descriptor table is written by the driver only (VirtIO 1.2 2.7.5); a device scribbling
    // on it must not make the driver write frames into memory it never set aside.
    store<u64>(q.descriptors + VIRTQ_DESC_ADDR, 8);
    store<u64>(q.descriptors + VIRTQ_DESC_BYTES + VIRTQ_DESC_ADDR, 0xffff_ffff_0000);
    expect<usize>(q.bufferOf(0)).toBe(own0);
    expect<usize>(q.bufferOf(1)).toBe(own1);
  });

  it("20,000 random hostile steps: no trap, no id with two owners, errors counted", () => {
    const SIZE = 8;
    const q = new Virtqueue(SIZE, BUFFER, false);
    const dev = new Device(q);
    const rng = new TestRng(4242);
    const held = new StaticArray<bool>(SIZE);
    const heldIds: i32[] = [];
    let bad = 0;
    for (let step = 0; step < 20_000; step++) {
      const what = rng.below(10);
      if (what < 3) {
        const id = q.acquire();
        if (id != NO_DESCRIPTOR) {
          if (id < 0 || id >= SIZE || held[id]) bad++;
          else { held[id] = true; heldIds.push(id); }
        }
      } else if (what < 5 && heldIds.length > 0) {
        const id = heldIds.shift();
        held[id] = false;
        q.submit(id, 1 + <i32>rng.below(<u32>BUFFER));
      } else if (what < 6 && heldIds.length > 0) {
        const id = heldIds.pop();
        held[id] = false;
        q.release(id);
      } else if (what < 8) {
        // Honest half the time when it can be, otherwise any id with any length.
        if (dev.pending() > 0 && rng.below(2) == 0) dev.complete(<u32>dev.take(), 0);
        else dev.complete(rng.below(SIZE + 4), rng.next());
      } else if (what < 9) {
        setUsedIdx(q, <u16>(usedIdx(q) + <u16>rng.below(2 * SIZE)));
      } else {
        q.reclaim();
      }
      // What the driver holds plus what is free can never exceed the descriptors there are.
      if (q.available() + heldIds.length > SIZE) bad++;
    }
    expect<i32>(bad).toBe(0);
    expect<u32>(q.deviceErrors).toBeGreaterThan(0);
  });
});
