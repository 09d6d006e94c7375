// A socket's receive queue of whole datagrams, bounded both in datagrams and in bytes (like
// SO_RCVBUF on Linux, plus a count so tiny datagrams cannot pin a huge number of records).
// Records never wrap: a datagram's payload is always contiguous, so the host copies it out of the
// core's memory in one step.
//
//   storage (capacity bytes)
//   +-----------------------+-----------------------+----------+------------------+
//   | record: hdr | payload | record: hdr | payload | (unused) | ...              |
//   +-----------------------+-----------------------+----------+------------------+
//   hdr (16 bytes): total record length u32 (0 = wrap marker: continue at offset 0),
//                   source address u32, source port u16 + record kind u8 + errno u8, payload length u32
//   record kind: DATAGRAM_RECORD_* (bindings/layout.ts); errno: positive, for error records
//   Records are 8-byte aligned.

import { DATAGRAM_RECORD_DATA } from "../../bindings/layout";

const HDR_RECORD_LEN: usize = 0;
const HDR_ADDRESS: usize = 4;
const HDR_PORT: usize = 8;
const HDR_KIND: usize = 10;
const HDR_ERRNO: usize = 11;
const HDR_PAYLOAD_LEN: usize = 12;
export const DATAGRAM_HEADER_BYTES: i32 = 16;
const RECORD_ALIGN: i32 = 8;
/** A record length of zero tells the reader to continue at the start of the storage. */
const WRAP_MARKER: u32 = 0;

@inline function recordLen(payload: i32): i32 {
  return (DATAGRAM_HEADER_BYTES + payload + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

export class DatagramQueue {
  readonly storage: usize;
  readonly capacity: i32;
  readonly maxDatagrams: i32;
  private head: i32 = 0;
  private tail: i32 = 0;
  count: i32 = 0;
  /** Payload bytes queued (what FIONREAD-style queries report). */
  payloadBytes: i32 = 0;

  constructor(capacityBytes: i32, maxDatagrams: i32) {
    this.capacity = <i32>DatagramQueue.bytesFor(capacityBytes);
    this.maxDatagrams = maxDatagrams;
    this.storage = heap.alloc(<usize>this.capacity);
  }

  /** Bytes a queue of `capacityBytes` allocates (the footprint check uses it too). */
  static bytesFor(capacityBytes: i32): u64 {
    return (<u64>capacityBytes + <u64>RECORD_ALIGN - 1) & ~(<u64>RECORD_ALIGN - 1);
  }

  clear(): void {
    this.head = 0;
    this.tail = 0;
    this.count = 0;
    this.payloadBytes = 0;
  }

  /** Largest payload that can ever be queued (when the queue is empty). */
  get maxPayload(): i32 {
    return this.capacity - DATAGRAM_HEADER_BYTES;
  }

  /**
   * Copies a datagram in. Returns false (queue unchanged) when the count or the bytes are used up;
   * the caller counts the drop.
   */
  push(address: u32, port: u32, ptr: usize, len: i32): bool {
    return this.pushRecord(<u8>DATAGRAM_RECORD_DATA, 0, address, port, ptr, len);
  }

  /**
   * Queues an error record in line with the datagrams (kind DATAGRAM_RECORD_*, `errno` negative),
   * so the owner reads it in order and knows which of its packets it is about (address, port).
   */
  pushError(kind: u8, errno: i32, address: u32, port: u32): bool {
    return this.pushRecord(kind, <u8>(-errno), address, port, 0, 0);
  }

  private pushRecord(kind: u8, errno: u8, address: u32, port: u32, ptr: usize, len: i32): bool {
    // Checked before the record size is computed, which a huge len would overflow.
    if (len < 0 || len > this.maxPayload || this.count >= this.maxDatagrams) return false;
    const need = recordLen(len);
    let at = this.tail;
    if (this.count == 0) {
      // Empty: restart at the beginning so the whole storage is available in one piece.
      this.head = 0;
      this.tail = 0;
      at = 0;
    } else if (this.tail > this.head) {
      // Free space is [tail, capacity) and then [0, head).
      if (this.capacity - this.tail < need) {
        if (this.head < need) return false;
        if (this.capacity - this.tail >= DATAGRAM_HEADER_BYTES) {
          store<u32>(this.storage + <usize>this.tail + HDR_RECORD_LEN, WRAP_MARKER);
        }
        at = 0;
      }
    } else if (this.head - this.tail < need) {
      // Free space is [tail, head); tail == head with records queued means full.
      return false;
    }
    const record = this.storage + <usize>at;
    store<u32>(record + HDR_RECORD_LEN, <u32>need);
    store<u32>(record + HDR_ADDRESS, address);
    store<u16>(record + HDR_PORT, <u16>port);
    store<u8>(record + HDR_KIND, kind);
    store<u8>(record + HDR_ERRNO, errno);
    store<u32>(record + HDR_PAYLOAD_LEN, <u32>len);
    memory.copy(record + <usize>DATAGRAM_HEADER_BYTES, ptr, <usize>len);
    this.tail = at + need;
    if (this.tail == this.capacity) this.tail = 0;
    this.count++;
    this.payloadBytes += len;
    return true;
  }

  /** Address of the oldest record, skipping a wrap marker. Only valid when count > 0. */
  private front(): usize {
    this.skipWrap();
    return this.storage + <usize>this.head;
  }

  /**
   * Moves head past a wrap marker (or an end gap too short for one) to the record at offset 0.
   * Done as soon as head lands there, not lazily: `push` reads head to find the free space, and a
   * head left on the marker would hide the space between the marker and the end.
   */
  private skipWrap(): void {
    if (this.capacity - this.head < DATAGRAM_HEADER_BYTES ||
        load<u32>(this.storage + <usize>this.head + HDR_RECORD_LEN) == WRAP_MARKER) {
      this.head = 0;
    }
  }

  @inline frontAddress(): u32 { return this.count == 0 ? 0 : load<u32>(this.front() + HDR_ADDRESS); }
  @inline frontPort(): u32 { return this.count == 0 ? 0 : <u32>load<u16>(this.front() + HDR_PORT); }
  @inline frontKind(): u32 { return this.count == 0 ? 0 : <u32>load<u8>(this.front() + HDR_KIND); }
  /** The negative errno of an error record, 0 for data. */
  @inline frontErrno(): i32 { return this.count == 0 ? 0 : -<i32>load<u8>(this.front() + HDR_ERRNO); }
  @inline frontLen(): i32 { return this.count == 0 ? 0 : <i32>load<u32>(this.front() + HDR_PAYLOAD_LEN); }
  @inline frontPayload(): usize { return this.count == 0 ? 0 : this.front() + <usize>DATAGRAM_HEADER_BYTES; }

  /** Drops the oldest datagram. */
  pop(): void {
    if (this.count == 0) return;
    const record = this.front();
    const need = <i32>load<u32>(record + HDR_RECORD_LEN);
    this.payloadBytes -= <i32>load<u32>(record + HDR_PAYLOAD_LEN);
    this.head += need;
    if (this.head == this.capacity) this.head = 0;
    this.count--;
    if (this.count == 0) this.clear();
    else this.skipWrap();
  }
}
