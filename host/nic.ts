// The device side of the core's two virtqueues (VirtIO 1.2 split rings): the host is the device.
// Receive: take a buffer the core offered, write a virtio_net_hdr and the frame, return it in the
// used ring. Transmit: take each frame the core offered, copy it out, return the descriptor.
// Region addresses come from the core's layout table; field offsets from bindings/layout.ts.

import { layout } from '../bindings/index.js';
import type { CoreExports } from '../bindings/index.js';

const {
  VIRTQ_DESC_BYTES, VIRTQ_DESC_ADDR, VIRTQ_DESC_LEN, VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES,
  VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES, VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN,
  VIRTIO_NET_HDR_BYTES, VIRTIO_NET_HDR_FLAGS, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_CSUM_START, VIRTIO_NET_HDR_CSUM_OFFSET,
} = layout;

/** A checksum that computes to zero is sent as its one's complement twin (RFC 768 for UDP). */
const ZERO_CHECKSUM_SENT_AS = 0xffff;

/**
 * The device's half of VIRTIO_NET_F_CSUM: the field at start + offset holds the pseudo-header
 * sum; the one's complement sum from `start` to the end of the frame completes it (RFC 1071).
 */
export function completeChecksum(frame: Uint8Array, start: number, offset: number): void {
  let sum = 0;
  let i = start;
  for (; i + 1 < frame.length; i += 2) sum += (frame[i]! << 8) | frame[i + 1]!;
  if (i < frame.length) sum += frame[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  const checksum = (~sum & 0xffff) || ZERO_CHECKSUM_SENT_AS;
  frame[start + offset] = checksum >> 8;
  frame[start + offset + 1] = checksum & 0xff;
}

const U16_MODULO = 0x10000;

interface QueueRegions {
  desc: number;
  avail: number;
  used: number;
  size: number;
}

/** One virtqueue seen from the device: consumes the available ring, produces the used ring. */
class DeviceQueue {
  #lastAvail = 0;
  constructor(readonly memory: WebAssembly.Memory, readonly q: QueueRegions) {}

  /** Descriptor ids the driver offered and the device has not taken yet. */
  pending(view: DataView): number {
    const availIdx = view.getUint16(this.q.avail + VIRTQ_RING_IDX, true);
    return (availIdx - this.#lastAvail + U16_MODULO) % U16_MODULO;
  }

  /** The next offered descriptor id (call only when pending > 0). */
  take(view: DataView): number {
    const slot = this.#lastAvail % this.q.size;
    this.#lastAvail = (this.#lastAvail + 1) % U16_MODULO;
    return view.getUint16(this.q.avail + VIRTQ_RING_ENTRIES + slot * VIRTQ_AVAIL_ENTRY_BYTES, true);
  }

  descriptor(view: DataView, id: number): { addr: number; len: number } {
    const d = this.q.desc + id * VIRTQ_DESC_BYTES;
    return { addr: Number(view.getBigUint64(d + VIRTQ_DESC_ADDR, true)), len: view.getUint32(d + VIRTQ_DESC_LEN, true) };
  }

  /** Returns descriptor `id` to the driver with `len` bytes written. */
  complete(view: DataView, id: number, len: number): void {
    const usedIdx = view.getUint16(this.q.used + VIRTQ_RING_IDX, true);
    const entry = this.q.used + VIRTQ_RING_ENTRIES + (usedIdx % this.q.size) * VIRTQ_USED_ENTRY_BYTES;
    view.setUint32(entry + VIRTQ_USED_ENTRY_ID, id, true);
    view.setUint32(entry + VIRTQ_USED_ENTRY_LEN, len, true);
    view.setUint16(this.q.used + VIRTQ_RING_IDX, (usedIdx + 1) % U16_MODULO, true);
  }
}

export interface NicCounters {
  /** Frames that arrived when the core had no receive buffer offered (the core was not polled in time). */
  rxNoBuffer: number;
  /** Frames longer than a receive buffer. */
  rxOversize: number;
  /** Frames the core sent while no link was attached. */
  txNoLink: number;
  /** Transport checksums the core left partial and this device completed (the link verifies them). */
  txChecksumsCompleted: number;
}

export class Nic {
  readonly rx: DeviceQueue;
  readonly tx: DeviceQueue;
  readonly counters: NicCounters = { rxNoBuffer: 0, rxOversize: 0, txNoLink: 0, txChecksumsCompleted: 0 };

  constructor(readonly core: CoreExports, layoutTable: number) {
    const t = new DataView(core.memory.buffer, layoutTable, layout.LAYOUT_BYTES);
    const u32 = (offset: number) => t.getUint32(offset, true);
    this.rx = new DeviceQueue(core.memory, {
      desc: u32(layout.LAYOUT_RX_DESC), avail: u32(layout.LAYOUT_RX_AVAIL),
      used: u32(layout.LAYOUT_RX_USED), size: u32(layout.LAYOUT_RX_SIZE),
    });
    this.tx = new DeviceQueue(core.memory, {
      desc: u32(layout.LAYOUT_TX_DESC), avail: u32(layout.LAYOUT_TX_AVAIL),
      used: u32(layout.LAYOUT_TX_USED), size: u32(layout.LAYOUT_TX_SIZE),
    });
  }

  /** Writes a received frame into the next offered buffer; false (counted) if there is none or it is too long. */
  deliver(frame: Uint8Array, trusted: boolean): boolean {
    const memory = this.core.memory;
    const view = new DataView(memory.buffer);
    if (this.rx.pending(view) === 0) {
      this.counters.rxNoBuffer++;
      return false;
    }
    const id = this.rx.take(view);
    const { addr, len } = this.rx.descriptor(view, id);
    if (frame.length + VIRTIO_NET_HDR_BYTES > len) {
      this.counters.rxOversize++;
      this.rx.complete(view, id, 0);
      return false;
    }
    const bytes = new Uint8Array(memory.buffer);
    bytes.fill(0, addr, addr + VIRTIO_NET_HDR_BYTES);
    if (trusted) bytes[addr + VIRTIO_NET_HDR_FLAGS] = VIRTIO_NET_HDR_F_DATA_VALID;
    bytes.set(frame, addr + VIRTIO_NET_HDR_BYTES);
    this.rx.complete(view, id, VIRTIO_NET_HDR_BYTES + frame.length);
    return true;
  }

  /**
   * Takes every frame the core offered for transmission, in order. A frame whose checksum the core
   * left partial is completed here unless the link says its receiver does not verify.
   */
  drain(send: ((frame: Uint8Array) => void) | undefined, acceptsPartialChecksum: boolean): number {
    const memory = this.core.memory;
    const view = new DataView(memory.buffer);
    let n = 0;
    while (this.tx.pending(view) > 0) {
      const id = this.tx.take(view);
      const { addr, len } = this.tx.descriptor(view, id);
      const frame = len > VIRTIO_NET_HDR_BYTES
        ? new Uint8Array(memory.buffer.slice(addr + VIRTIO_NET_HDR_BYTES, addr + len))
        : new Uint8Array(0);
      if (frame.length > 0 && (view.getUint8(addr + VIRTIO_NET_HDR_FLAGS) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0 &&
          !acceptsPartialChecksum) {
        const start = view.getUint16(addr + VIRTIO_NET_HDR_CSUM_START, true);
        const offset = view.getUint16(addr + VIRTIO_NET_HDR_CSUM_OFFSET, true);
        if (start + offset + 2 <= frame.length) {
          completeChecksum(frame, start, offset);
          this.counters.txChecksumsCompleted++;
        }
      }
      this.tx.complete(view, id, 0);
      n++;
      if (send) send(frame);
      else this.counters.txNoLink++;
    }
    return n;
  }
}
