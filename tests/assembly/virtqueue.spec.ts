// The driver side of a split virtqueue, with the test playing the device (VirtIO 1.2 section 2.7):
// it reads the available ring and writes the used ring exactly as host/nic.ts does.
import { Virtqueue, NO_DESCRIPTOR } from "../../assembly/storage/virtqueue";
import {
  VIRTQ_DESC_BYTES, VIRTQ_DESC_ADDR, VIRTQ_DESC_LEN, VIRTQ_DESC_FLAGS, VIRTQ_DESC_F_WRITE,
  VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES, VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES,
  VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN,
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
