// The device side of the core's two virtqueues (VirtIO 1.2 split rings, section 2.7): the host is
// the device. Receive: take a buffer the core offered, write a virtio_net_hdr and the frame, return
// it in the used ring. Transmit: take each frame the core offered, hand it to the link, return the
// descriptor. Region addresses come from the core's layout table; field offsets from
// bindings/layout.ts.
//
// Two ways to reach a link:
//   - FrameRings (a MemoryLink between two stacks): the link takes frames straight out of the
//     transmit buffers and writes them straight into a peer's receive buffers; the Nic only tells
//     it when there is something to move (after each poll). Nothing is allocated per frame.
//   - a transmit function (any other endpoint, which keeps the frame it is given): each frame is
//     copied out into its own Uint8Array.
// The core's memory never grows after init, so the views made here stay valid; they are remade if
// the buffer ever changes.

import { layout } from '../bindings/index.js';
import type { CoreExports } from '../bindings/index.js';
import type { FrameRings, RingListener, Transmit, TransmitOptions } from './devices/endpoint.js';
import { completeChecksum } from './devices/checksum.js';
import { TcpSegmentCutter } from './devices/tcp-segmentation.js';

const {
  VIRTQ_DESC_BYTES, VIRTQ_DESC_ADDR, VIRTQ_DESC_LEN, VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES,
  VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES, VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN,
  VIRTIO_NET_HDR_BYTES, VIRTIO_NET_HDR_FLAGS, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_CSUM_START, VIRTIO_NET_HDR_CSUM_OFFSET, VIRTIO_NET_HDR_GSO_TYPE, VIRTIO_NET_HDR_HDR_LEN,
  VIRTIO_NET_HDR_GSO_SIZE, VIRTIO_NET_GSO_NONE, VIRTIO_NET_GSO_TCPV4,
} = layout;

const U16_MODULO = 0x10000;
/** No descriptor taken. */
const NONE = -1;
/** Not an available index (they are 16-bit): "none seen yet". */
const NO_INDEX = -1;

interface QueueRegions {
  desc: number;
  avail: number;
  used: number;
  size: number;
}

/** One virtqueue seen from the device: consumes the available ring, produces the used ring. */
class DeviceQueue {
  #lastAvail = 0;
  constructor(readonly q: QueueRegions) {}

  /** Descriptor ids the driver offered and the device has not taken yet. */
  pending(view: DataView): number {
    return (this.availIndex(view) - this.#lastAvail + U16_MODULO) % U16_MODULO;
  }

  /** The driver's available index: it moves on with every descriptor offered. */
  availIndex(view: DataView): number {
    return view.getUint16(this.q.avail + VIRTQ_RING_IDX, true);
  }

  /** The next offered descriptor id (call only when pending > 0). */
  take(view: DataView): number {
    const slot = this.#lastAvail % this.q.size;
    this.#lastAvail = (this.#lastAvail + 1) % U16_MODULO;
    return view.getUint16(this.q.avail + VIRTQ_RING_ENTRIES + slot * VIRTQ_AVAIL_ENTRY_BYTES, true);
  }

  /**
   * The buffer address of descriptor `id`. The field is 64 bits (little-endian); wasm32 addresses
   * fit its low word, so no BigInt is needed.
   */
  address(view: DataView, id: number): number {
    return view.getUint32(this.q.desc + id * VIRTQ_DESC_BYTES + VIRTQ_DESC_ADDR, true);
  }

  length(view: DataView, id: number): number {
    return view.getUint32(this.q.desc + id * VIRTQ_DESC_BYTES + VIRTQ_DESC_LEN, true);
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
  /** Large TCP segments (segmentation offload) cut into MSS-sized ones for a receiver that cannot take them whole. */
  txSegmentsCut: number;
  /** Frames whose virtio header claimed a large TCP segment they were not: dropped. */
  txBadSegments: number;
}

/** What the Nic needs from the stack it belongs to. */
export interface NicHost {
  readonly closed: boolean;
  readonly failed: Error | null;
  /** Runs the core soon (frames were written to its receive ring, or taken while it waits for room). */
  requestPoll(): void;
  /** Something in the core waits for the transmit queue to take frames. */
  waitingForRoom(): boolean;
}

export class Nic implements FrameRings {
  readonly rx: DeviceQueue;
  readonly tx: DeviceQueue;
  readonly counters: NicCounters = {
    rxNoBuffer: 0, rxOversize: 0, txNoLink: 0, txChecksumsCompleted: 0, txSegmentsCut: 0, txBadSegments: 0,
  };
  /** The core negotiated segmentation offload: it sends large TCP segments and takes them whole. */
  readonly takesLargeSegments: boolean;
  readonly #cutter = new TcpSegmentCutter();
  /** The descriptor whose large segment the cutter is handing out (NONE: none). */
  #cutId = NONE;
  txSegmentSize = 0;
  txHeadersLen = 0;
  #view: DataView;
  #bytes: Uint8Array;
  #words: Int32Array;
  #transmit: Transmit | undefined;
  #transmitOptions: TransmitOptions | undefined;
  #listener: RingListener | undefined;
  /** The receive queue's available index at the last flush that told the link of room. */
  #rxOfferedSeen = NO_INDEX;
  #txId = NONE;
  #rxId = NONE;
  txOffset = 0;
  rxOffset = 0;

  constructor(readonly core: CoreExports, layoutTable: number, private readonly host: NicHost) {
    const buffer = core.memory.buffer;
    this.#view = new DataView(buffer);
    this.#bytes = new Uint8Array(buffer);
    this.#words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    const u32 = (offset: number) => this.#view.getUint32(layoutTable + offset, true);
    this.rx = new DeviceQueue({
      desc: u32(layout.LAYOUT_RX_DESC), avail: u32(layout.LAYOUT_RX_AVAIL),
      used: u32(layout.LAYOUT_RX_USED), size: u32(layout.LAYOUT_RX_SIZE),
    });
    this.tx = new DeviceQueue({
      desc: u32(layout.LAYOUT_TX_DESC), avail: u32(layout.LAYOUT_TX_AVAIL),
      used: u32(layout.LAYOUT_TX_USED), size: u32(layout.LAYOUT_TX_SIZE),
    });
    this.takesLargeSegments = (u32(layout.LAYOUT_FEATURES) & layout.CONFIG_FLAG_SEGMENTATION_OFFLOAD) !== 0;
  }

  /**
   * The DataView over the core's memory. The core's memory never grows after init (DESIGN.md
   * "Memory", tests/host/memory.test.mjs), so the views made at construction stay valid and are
   * not re-checked per frame: reading `memory.buffer` twice per call was ~8% of a bulk transfer's
   * CPU time.
   */
  #memoryView(): DataView {
    return this.#view;
  }

  get bytes(): Uint8Array {
    this.#memoryView();
    return this.#bytes;
  }

  get words(): Int32Array {
    this.#memoryView();
    return this.#words;
  }

  get closed(): boolean {
    return this.host.closed || this.host.failed !== null;
  }

  // ---- a transmit function (endpoints that keep what they are given) ----

  /** The link's transmit function (undefined: detached, frames count as txNoLink). */
  attach(transmit: Transmit | undefined, options?: TransmitOptions): void {
    this.#transmit = transmit;
    this.#transmitOptions = options;
    if (transmit) this.#listener = undefined;
  }

  /** Writes a received frame into the next offered buffer; false (counted) if there is none or it is too long. */
  deliver(frame: Uint8Array, trusted: boolean): boolean {
    if (this.takeRx() < 0) {
      this.counters.rxNoBuffer++;
      return false;
    }
    if (frame.length + VIRTIO_NET_HDR_BYTES > this.#rxCapacity) {
      this.refuseRx();
      return false;
    }
    this.#bytes.set(frame, this.rxOffset);
    this.completeRx(frame.length, trusted);
    return true;
  }

  /**
   * After every poll and every socket call that may have queued frames: with a ring link, tells it
   * what there is to move; otherwise hands every frame the core offered to the transmit function,
   * in order, each in its own copy (a frame the link has no room for is its queue drop, counted
   * by the link).
   */
  flush(): number {
    const listener = this.#listener;
    if (listener) {
      if (this.closed) return 0;
      const view = this.#memoryView();
      if (this.txPending() > 0) listener.onTransmitReady();
      // Room to tell of only when the core offered receive buffers since the last flush (a link
      // whose receiver had none waits for exactly that); most flushes offered none.
      const rxOffered = this.rx.availIndex(view);
      if (rxOffered !== this.#rxOfferedSeen) {
        this.#rxOfferedSeen = rxOffered;
        if (this.rx.pending(view) > 0) listener.onReceiveRoom();
      }
      return 0;
    }
    const send = this.#transmit;
    const acceptsPartial = this.#transmitOptions?.acceptsPartialChecksum === true;
    let moved = 0;
    for (let length = this.takeTx(acceptsPartial); length >= 0; length = this.takeTx(acceptsPartial)) {
      const frame = this.#bytes.slice(this.txOffset, this.txOffset + length);
      this.completeTx();
      moved++;
      if (send) send(frame);
      else this.counters.txNoLink++;
    }
    return moved;
  }

  // ---- FrameRings (a link that moves frames ring to ring) ----

  attachRings(listener: RingListener | undefined): void {
    this.#listener = listener;
    // A new link hears of the room there is at its first flush.
    this.#rxOfferedSeen = NO_INDEX;
    if (listener) { this.#transmit = undefined; this.#transmitOptions = undefined; }
  }

  wake(): void {
    this.host.requestPoll();
  }

  txTaken(): void {
    if (this.host.waitingForRoom()) this.host.requestPoll();
  }

  /** Frames to transmit: those offered, and the segments left of a large one being cut. */
  txPending(): number {
    return this.closed ? 0 : this.tx.pending(this.#memoryView()) + this.#cutter.remaining;
  }

  takeTx(acceptsPartialChecksum: boolean, acceptsLargeSegments = false): number {
    if (this.#txId !== NONE) return NONE;
    const cutter = this.#cutter;
    const bytes = this.#bytes;
    this.txSegmentSize = 0;
    this.txHeadersLen = 0;
    if (cutter.remaining > 0) {
      // The next piece of the large segment being cut (its descriptor stays taken until the last).
      this.#txId = this.#cutId;
      this.txOffset = cutter.next(bytes, acceptsPartialChecksum);
      this.counters.txSegmentsCut++;
      return cutter.segmentLength;
    }
    const view = this.#memoryView();
    // Frames whose header claims a large segment they are not are dropped, and the next one taken.
    for (;;) {
      if (this.tx.pending(view) === 0) return NONE;
      const id = this.tx.take(view);
      const addr = this.tx.address(view, id);
      const len = this.tx.length(view, id);
      this.#txId = id;
      this.txOffset = addr + VIRTIO_NET_HDR_BYTES;
      const length = len > VIRTIO_NET_HDR_BYTES ? len - VIRTIO_NET_HDR_BYTES : 0;
      const gsoType = length > 0 ? view.getUint8(addr + VIRTIO_NET_HDR_GSO_TYPE) : VIRTIO_NET_GSO_NONE;
      if (gsoType !== VIRTIO_NET_GSO_NONE) {
        const segmentSize = view.getUint16(addr + VIRTIO_NET_HDR_GSO_SIZE, true);
        const headersLen = view.getUint16(addr + VIRTIO_NET_HDR_HDR_LEN, true);
        if (gsoType !== VIRTIO_NET_GSO_TCPV4 || !this.takesLargeSegments ||
            !cutter.start(bytes, this.txOffset, length, headersLen, segmentSize)) {
          // Not the segment its header claims (only a broken core writes one): never sent.
          this.counters.txBadSegments++;
          cutter.stop();
          this.completeTx();
          continue;
        }
        if (!acceptsLargeSegments) {
          this.#cutId = id;
          this.txOffset = cutter.next(bytes, acceptsPartialChecksum);
          this.counters.txSegmentsCut++;
          return cutter.segmentLength;
        }
        cutter.stop();
        this.txSegmentSize = segmentSize;
        this.txHeadersLen = headersLen;
      }
      if (length > 0 && !acceptsPartialChecksum &&
          (view.getUint8(addr + VIRTIO_NET_HDR_FLAGS) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
        const start = view.getUint16(addr + VIRTIO_NET_HDR_CSUM_START, true);
        const offset = view.getUint16(addr + VIRTIO_NET_HDR_CSUM_OFFSET, true);
        if (start + offset + 2 <= length) {
          completeChecksum(this.#bytes, this.txOffset, length, start, offset);
          this.counters.txChecksumsCompleted++;
        }
      }
      return length;
    }
  }

  completeTx(): void {
    if (this.#txId === NONE) return;
    if (this.#txId === this.#cutId) {
      // The descriptor goes back with its last segment.
      this.#txId = NONE;
      if (this.#cutter.remaining > 0) return;
      this.tx.complete(this.#memoryView(), this.#cutId, 0);
      this.#cutId = NONE;
      return;
    }
    this.tx.complete(this.#memoryView(), this.#txId, 0);
    this.#txId = NONE;
  }

  rxFree(): number {
    return this.closed ? 0 : this.rx.pending(this.#memoryView());
  }

  #rxCapacity = 0;

  takeRx(): number {
    const view = this.#memoryView();
    if (this.#rxId !== NONE || this.rx.pending(view) === 0) return NONE;
    const id = this.rx.take(view);
    const addr = this.rx.address(view, id);
    this.#rxCapacity = this.rx.length(view, id);
    this.#rxId = id;
    this.rxOffset = addr + VIRTIO_NET_HDR_BYTES;
    return this.#rxCapacity > VIRTIO_NET_HDR_BYTES ? this.#rxCapacity - VIRTIO_NET_HDR_BYTES : 0;
  }

  completeRx(length: number, trusted: boolean, segmentSize = 0, headersLen = 0): void {
    if (this.#rxId === NONE) return;
    const view = this.#memoryView();
    const bytes = this.#bytes;
    const header = this.rxOffset - VIRTIO_NET_HDR_BYTES;
    bytes.fill(0, header, this.rxOffset);
    if (trusted) bytes[header + VIRTIO_NET_HDR_FLAGS] = VIRTIO_NET_HDR_F_DATA_VALID;
    if (segmentSize > 0) {
      // virtio 1.2 5.1.6.4: a large segment received whole says what it stands for.
      bytes[header + VIRTIO_NET_HDR_GSO_TYPE] = VIRTIO_NET_GSO_TCPV4;
      view.setUint16(header + VIRTIO_NET_HDR_HDR_LEN, headersLen, true);
      view.setUint16(header + VIRTIO_NET_HDR_GSO_SIZE, segmentSize, true);
    }
    this.rx.complete(view, this.#rxId, VIRTIO_NET_HDR_BYTES + length);
    this.#rxId = NONE;
  }

  refuseRx(): void {
    if (this.#rxId === NONE) return;
    this.counters.rxOversize++;
    // Nothing written, not even a header: the core counts the empty buffer as a device error.
    this.rx.complete(this.#memoryView(), this.#rxId, 0);
    this.#rxId = NONE;
  }
}
