// The driver side of one VirtIO 1.2 split virtqueue (section 2.7) with a fixed buffer behind every
// descriptor. The core is the driver; the host's device code (host/devices/nic.ts) is the device.
//
//   region (one allocation, 16-byte aligned)
//   +------------------+-----------------------+----------------------+---------------------------+
//   | descriptors      | available ring        | used ring            | buffers                   |
//   | size * 16 bytes  | 6 + 2 * size bytes    | 6 + 8 * size bytes   | size * bufferBytes        |
//   +------------------+-----------------------+----------------------+---------------------------+
//   descriptor i always points at buffer i, so a descriptor id names its buffer.
//
// Receive queues: every descriptor is offered device-writable; the device fills a buffer, puts its
// id and length in the used ring; the driver reads it and offers it again.
// Transmit queues: the driver takes a free descriptor, writes a frame into its buffer and offers
// it; the device sends it and returns the id in the used ring; the driver puts it back on its free
// list. The device is another program: every id and length it writes is checked before use.

import {
  VIRTQ_DESC_BYTES, VIRTQ_DESC_ADDR, VIRTQ_DESC_LEN, VIRTQ_DESC_FLAGS, VIRTQ_DESC_NEXT,
  VIRTQ_DESC_F_WRITE, VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES, VIRTQ_AVAIL_ENTRY_BYTES,
  VIRTQ_USED_ENTRY_BYTES, VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN, VIRTQ_MAX_SIZE,
} from "../../bindings/layout";

/** Bytes of the ring header (flags, idx) and trailer (event index) around the entries. */
const RING_OVERHEAD: i32 = 6;
const REGION_ALIGN: usize = 16;

/** `takeUsed` result when the device has returned nothing new. */
export const NO_DESCRIPTOR: i32 = -1;

@inline function alignUp(n: usize, to: usize): usize {
  return (n + to - 1) & ~(to - 1);
}

export class Virtqueue {
  readonly size: i32;
  readonly bufferBytes: i32;
  readonly deviceWritable: bool;
  readonly descriptors: usize;
  readonly avail: usize;
  readonly used: usize;
  readonly buffers: usize;
  /** Bytes from one buffer to the next (bufferBytes rounded up to the region alignment). */
  private readonly stride: usize;
  /** Our copy of avail.idx: the device may read the shared one, never write it. */
  private availIdx: u16 = 0;
  /** Next used-ring index the driver has not consumed yet. */
  private lastUsedIdx: u16 = 0;
  /** Transmit descriptors not currently offered to the device. */
  private freeIds: StaticArray<u16>;
  private freeCount: i32 = 0;
  /** 1 while descriptor i is with the device: a used entry for any other id is a device error. */
  private offered: StaticArray<u8>;
  /** Length the device reported for the last descriptor `takeUsed` returned. */
  usedLen: i32 = 0;
  /** Used entries that named an id we never offered or a length beyond the buffer (counted). */
  deviceErrors: u32 = 0;

  /** Bytes a queue of `size` buffers of `bufferBytes` allocates (the footprint check uses it too). */
  static bytesFor(size: i32, bufferBytes: i32): u64 {
    return <u64>Virtqueue.regionBytes(size, bufferBytes) + <u64>REGION_ALIGN;
  }

  private static regionBytes(size: i32, bufferBytes: i32): usize {
    const descBytes = <usize>size * VIRTQ_DESC_BYTES;
    const availBytes = alignUp(<usize>(RING_OVERHEAD + size * VIRTQ_AVAIL_ENTRY_BYTES), REGION_ALIGN);
    const usedBytes = alignUp(<usize>(RING_OVERHEAD + size * VIRTQ_USED_ENTRY_BYTES), REGION_ALIGN);
    const buffersBytes = <usize>size * <usize>alignUp(<usize>bufferBytes, REGION_ALIGN);
    return descBytes + availBytes + usedBytes + buffersBytes;
  }

  /** `size` must be a power of two from 1 to 32768 (the caller validates config). */
  constructor(size: i32, bufferBytes: i32, deviceWritable: bool) {
    this.size = size;
    this.bufferBytes = bufferBytes;
    this.deviceWritable = deviceWritable;
    const descBytes = <usize>size * VIRTQ_DESC_BYTES;
    const availBytes = alignUp(<usize>(RING_OVERHEAD + size * VIRTQ_AVAIL_ENTRY_BYTES), REGION_ALIGN);
    const usedBytes = alignUp(<usize>(RING_OVERHEAD + size * VIRTQ_USED_ENTRY_BYTES), REGION_ALIGN);
    const total = Virtqueue.regionBytes(size, bufferBytes);
    const region = alignUp(heap.alloc(<usize>Virtqueue.bytesFor(size, bufferBytes)), REGION_ALIGN);
    memory.fill(region, 0, total);
    const descriptors = region;
    const buffers = region + descBytes + availBytes + usedBytes;
    this.descriptors = descriptors;
    this.avail = region + descBytes;
    this.used = region + descBytes + availBytes;
    this.buffers = buffers;
    this.freeIds = new StaticArray<u16>(size);
    this.offered = new StaticArray<u8>(size);
    const stride = alignUp(<usize>bufferBytes, REGION_ALIGN);
    this.stride = stride;
    for (let i = 0; i < size; i++) {
      const d = descriptors + <usize>i * VIRTQ_DESC_BYTES;
      store<u64>(d + VIRTQ_DESC_ADDR, <u64>(buffers + <usize>i * stride));
      store<u32>(d + VIRTQ_DESC_LEN, <u32>bufferBytes);
      store<u16>(d + VIRTQ_DESC_FLAGS, deviceWritable ? <u16>VIRTQ_DESC_F_WRITE : 0);
      store<u16>(d + VIRTQ_DESC_NEXT, 0);
    }
    if (deviceWritable) {
      for (let i = 0; i < size; i++) this.offer(<u16>i, bufferBytes);
    } else {
      for (let i = 0; i < size; i++) unchecked(this.freeIds[i] = <u16>(size - 1 - i));
      this.freeCount = size;
    }
  }

  /** Whether `size` is a valid queue size (VirtIO requires a power of two up to 32768). */
  static validSize(size: i32): bool {
    return size >= 1 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
  }

  /**
   * The buffer behind descriptor `id`, computed from our own layout: the descriptor table lies in
   * memory the device can write, and an address read back from it could point anywhere.
   */
  @inline bufferOf(id: i32): usize {
    return this.buffers + <usize>id * this.stride;
  }

  /** Puts descriptor `id` in the available ring with `len` bytes (the frame, or the room for one). */
  private offer(id: u16, len: i32): void {
    store<u32>(this.descriptors + <usize>id * VIRTQ_DESC_BYTES + VIRTQ_DESC_LEN, <u32>len);
    unchecked(this.offered[id] = 1);
    const slot = <i32>this.availIdx & (this.size - 1);
    store<u16>(this.avail + VIRTQ_RING_ENTRIES + <usize>slot * VIRTQ_AVAIL_ENTRY_BYTES, id);
    this.availIdx++;
    store<u16>(this.avail + VIRTQ_RING_IDX, this.availIdx);
  }

  /**
   * The next descriptor the device returned, or NO_DESCRIPTOR. Its length is in `usedLen`.
   * Entries with an impossible id or length are skipped and counted, never trusted.
   */
  takeUsed(): i32 {
    while (true) {
      const deviceIdx = load<u16>(this.used + VIRTQ_RING_IDX);
      if (deviceIdx == this.lastUsedIdx) return NO_DESCRIPTOR;
      // A device that claims more returns than were ever offered is broken: resynchronise.
      if (<u16>(deviceIdx - this.lastUsedIdx) > <u16>this.size) {
        this.deviceErrors++;
        this.lastUsedIdx = deviceIdx;
        return NO_DESCRIPTOR;
      }
      const slot = <i32>this.lastUsedIdx & (this.size - 1);
      const entry = this.used + VIRTQ_RING_ENTRIES + <usize>slot * VIRTQ_USED_ENTRY_BYTES;
      this.lastUsedIdx++;
      const id = load<u32>(entry + VIRTQ_USED_ENTRY_ID);
      const len = load<u32>(entry + VIRTQ_USED_ENTRY_LEN);
      if (id >= <u32>this.size || unchecked(this.offered[id]) == 0) {
        this.deviceErrors++;
        continue;
      }
      unchecked(this.offered[id] = 0);
      if (len > <u32>this.bufferBytes) {
        // The buffer is ours again but its contents cannot be trusted: report it as empty.
        this.deviceErrors++;
        this.usedLen = 0;
        return <i32>id;
      }
      this.usedLen = <i32>len;
      return <i32>id;
    }
  }

  /** Receive queues: offers a consumed buffer to the device again. */
  @inline recycle(id: i32): void {
    this.offer(<u16>id, this.bufferBytes);
  }

  /** Transmit queues: returns every descriptor the device has finished with to the free list. */
  reclaim(): i32 {
    let n = 0;
    while (this.freeCount < this.size) {
      const id = this.takeUsed();
      if (id == NO_DESCRIPTOR) break;
      unchecked(this.freeIds[this.freeCount++] = <u16>id);
      n++;
    }
    return n;
  }

  /** Transmit queues: a free descriptor id (its buffer is ours to fill), or NO_DESCRIPTOR. */
  acquire(): i32 {
    if (this.freeCount == 0) this.reclaim();
    if (this.freeCount == 0) return NO_DESCRIPTOR;
    return <i32>unchecked(this.freeIds[--this.freeCount]);
  }

  /** Transmit queues: gives an acquired descriptor back unused. */
  release(id: i32): void {
    unchecked(this.freeIds[this.freeCount++] = <u16>id);
  }

  /** Transmit queues: offers acquired descriptor `id` holding `len` bytes to the device. */
  @inline submit(id: i32, len: i32): void {
    this.offer(<u16>id, len);
  }

  /** Transmit queues: descriptors free right now (after reclaiming returned ones). */
  available(): i32 {
    this.reclaim();
    return this.freeCount;
  }
}
