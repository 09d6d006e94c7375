// A socket's receive queue of whole datagrams, bounded by count and by bytes; records never wrap.
import { DatagramQueue, DATAGRAM_HEADER_BYTES } from "../../assembly/socket/datagram_queue";
import { scratch } from "./helpers";

function fill(ptr: usize, len: i32, seed: u8): void {
  for (let i = 0; i < len; i++) store<u8>(ptr + i, <u8>(seed + <u8>i * 7));
}

function matches(ptr: usize, len: i32, seed: u8): bool {
  for (let i = 0; i < len; i++) if (load<u8>(ptr + i) != <u8>(seed + <u8>i * 7)) return false;
  return true;
}

describe("datagram queue", () => {
  it("keeps datagrams in order with their source", () => {
    const q = new DatagramQueue(1024, 8);
    const buf = scratch(100);
    for (let i = 0; i < 3; i++) {
      fill(buf, 10 + i, <u8>i);
      expect<bool>(q.push(0x0a000001 + i, 1000 + i, buf, 10 + i)).toBe(true);
    }
    expect<i32>(q.count).toBe(3);
    expect<i32>(q.payloadBytes).toBe(33);
    for (let i = 0; i < 3; i++) {
      expect<u32>(q.frontAddress()).toBe(0x0a000001 + i);
      expect<u32>(q.frontPort()).toBe(1000 + i);
      expect<i32>(q.frontLen()).toBe(10 + i);
      expect<bool>(matches(q.frontPayload(), 10 + i, <u8>i)).toBe(true);
      q.pop();
    }
    expect<i32>(q.count).toBe(0);
    expect<i32>(q.payloadBytes).toBe(0);
  });

  it("refuses beyond the datagram count, unchanged", () => {
    const q = new DatagramQueue(4096, 2);
    const buf = scratch(4);
    expect<bool>(q.push(1, 1, buf, 4)).toBe(true);
    expect<bool>(q.push(2, 2, buf, 4)).toBe(true);
    expect<bool>(q.push(3, 3, buf, 4)).toBe(false);
    expect<i32>(q.count).toBe(2);
    expect<u32>(q.frontAddress()).toBe(1);
  });

  it("refuses beyond the bytes, and a datagram larger than the whole queue", () => {
    const q = new DatagramQueue(256, 100);
    const buf = scratch(512);
    expect<bool>(q.push(1, 1, buf, 300)).toBe(false);
    expect<bool>(q.push(1, 1, buf, q.maxPayload)).toBe(true);
    expect<bool>(q.push(1, 1, buf, 0)).toBe(false);
    q.pop();
    expect<bool>(q.push(1, 1, buf, 0)).toBe(true);
  });

  it("accepts zero-length datagrams", () => {
    const q = new DatagramQueue(256, 100);
    expect<bool>(q.push(5, 6, 0, 0)).toBe(true);
    expect<i32>(q.frontLen()).toBe(0);
    expect<u32>(q.frontPort()).toBe(6);
  });

  it("wraps whole records to the start instead of splitting them", () => {
    const q = new DatagramQueue(128, 100);
    const buf = scratch(64);
    // Records take 16 + payload rounded to 8: 40 bytes for a 20-byte payload.
    fill(buf, 20, 1);
    expect<bool>(q.push(1, 1, buf, 20)).toBe(true);
    expect<bool>(q.push(2, 2, buf, 20)).toBe(true);
    expect<bool>(q.push(3, 3, buf, 20)).toBe(true);
    q.pop();
    fill(buf, 20, 9);
    // 8 bytes left at the end: the record goes to offset 0, in the space the pop freed.
    expect<bool>(q.push(4, 4, buf, 20)).toBe(true);
    q.pop();
    q.pop();
    expect<u32>(q.frontAddress()).toBe(4);
    expect<bool>(matches(q.frontPayload(), 20, 9)).toBe(true);
  });

  it("matches a plain model over 100,000 random operations", () => {
    const q = new DatagramQueue(2000, 16);
    const buf = scratch(2000);
    const lens: i32[] = [];
    const seeds: u8[] = [];
    let x: u32 = 12345;
    for (let n = 0; n < 100_000; n++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      if ((x & 3) != 0) {
        const len = <i32>((x >> 8) % 300);
        const seed = <u8>(x >> 20);
        fill(buf, len, seed);
        if (q.push(<u32>n, <u32>len, buf, len)) {
          lens.push(len);
          seeds.push(seed);
        }
      } else if (lens.length > 0) {
        const len = lens.shift();
        const seed = seeds.shift();
        if (q.frontLen() != len || !matches(q.frontPayload(), len, seed)) {
          expect<i32>(q.frontLen()).toBe(len, "operation " + n.toString());
          expect<bool>(false).toBe(true, "payload differs at operation " + n.toString());
        }
        q.pop();
      }
      if (q.count != lens.length) expect<i32>(q.count).toBe(lens.length);
    }
    // Never more bytes queued than fit, headers included.
    expect<bool>(q.payloadBytes + q.count * DATAGRAM_HEADER_BYTES <= 2000).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Edges of the byte and count bounds, the wrap marker, hostile lengths, and a model that predicts
// every accept and refuse exactly.

/** Bytes one record takes: the header plus the payload, rounded up to 8 (see datagram_queue.ts). */
function recordBytes(len: i32): i32 {
  return (DATAGRAM_HEADER_BYTES + len + 7) & ~7;
}

/** Whether the oldest datagram lies wholly inside the queue's storage (records never wrap). */
function frontInside(q: DatagramQueue): bool {
  const p = q.frontPayload();
  return p >= q.storage + <usize>DATAGRAM_HEADER_BYTES &&
    p + <usize>q.frontLen() <= q.storage + <usize>q.capacity;
}

describe("datagram queue (edges)", () => {
  it("refuses lengths no queue could hold, including ones whose record size overflows", () => {
    const q = new DatagramQueue(256, 8);
    const buf = scratch(16);
    expect<bool>(q.push(1, 1, buf, 4)).toBe(true);
    expect<bool>(q.push(2, 2, buf, i32.MAX_VALUE)).toBe(false);
    expect<bool>(q.push(3, 3, buf, i32.MAX_VALUE - 7)).toBe(false);
    expect<bool>(q.push(4, 4, buf, i32.MAX_VALUE - DATAGRAM_HEADER_BYTES)).toBe(false);
    expect<bool>(q.push(5, 5, buf, -1)).toBe(false);
    expect<bool>(q.push(6, 6, buf, i32.MIN_VALUE)).toBe(false);
    expect<bool>(q.push(7, 7, buf, q.maxPayload + 1)).toBe(false);
    expect<i32>(q.count).toBe(1);
    expect<i32>(q.payloadBytes).toBe(4);
    expect<u32>(q.frontAddress()).toBe(1);
  });

  it("fills exactly to the byte, refuses one more, and reuses the space a pop frees", () => {
    const q = new DatagramQueue(128, 100);
    const buf = scratch(64);
    // Four 32-byte records (16-byte payloads) fill 128 bytes exactly.
    for (let i = 0; i < 4; i++) {
      fill(buf, 16, <u8>(i * 10));
      expect<bool>(q.push(i, i, buf, 16)).toBe(true);
    }
    expect<bool>(q.push(9, 9, buf, 0)).toBe(false); // even a bare header does not fit
    expect<i32>(q.payloadBytes).toBe(64);
    q.pop();
    fill(buf, 16, 77);
    expect<bool>(q.push(4, 4, buf, 16)).toBe(true); // into the 32 bytes at the start
    expect<bool>(q.push(5, 5, buf, 0)).toBe(false);
    for (let i = 1; i < 4; i++) {
      expect<u32>(q.frontAddress()).toBe(i);
      expect<bool>(matches(q.frontPayload(), 16, <u8>(i * 10))).toBe(true);
      q.pop();
    }
    expect<u32>(q.frontAddress()).toBe(4);
    expect<bool>(matches(q.frontPayload(), 16, 77)).toBe(true);
    expect<bool>(frontInside(q)).toBe(true);
  });

  it("leaves a wrap marker when a record does not fit the end, and the reader follows it", () => {
    const q = new DatagramQueue(128, 100);
    const buf = scratch(64);
    // 48-byte records: two take [0, 96); the third cannot use the 32 bytes left at the end.
    fill(buf, 32, 1);
    expect<bool>(q.push(1, 1, buf, 32)).toBe(true);
    fill(buf, 32, 2);
    expect<bool>(q.push(2, 2, buf, 32)).toBe(true);
    fill(buf, 32, 3);
    expect<bool>(q.push(3, 3, buf, 32)).toBe(false); // 32 at the end, nothing freed at the start
    q.pop();
    expect<bool>(q.push(3, 3, buf, 32)).toBe(true); // to offset 0, marker at 96
    expect<u32>(load<u32>(q.storage + 96)).toBe(0);
    expect<u32>(q.frontAddress()).toBe(2);
    expect<bool>(matches(q.frontPayload(), 32, 2)).toBe(true);
    q.pop();
    expect<u32>(q.frontAddress()).toBe(3);
    expect<usize>(q.frontPayload()).toBe(q.storage + <usize>DATAGRAM_HEADER_BYTES);
    expect<bool>(matches(q.frontPayload(), 32, 3)).toBe(true);
    expect<i32>(q.payloadBytes).toBe(32);
  });

  it("once the reader passes the wrap marker, the space behind the newest record is usable", () => {
    const q = new DatagramQueue(128, 100);
    const buf = scratch(64);
    fill(buf, 32, 1);
    q.push(1, 1, buf, 32); // [0, 48)
    q.push(2, 2, buf, 32); // [48, 96)
    q.pop();
    q.push(3, 3, buf, 32); // [0, 48), wrap marker at 96
    q.pop(); // the reader reaches the marker: the only record is at 0
    // Free: [48, 128), 80 bytes in one piece. A 72-byte record must fit.
    fill(buf, 56, 4);
    expect<bool>(q.push(4, 4, buf, 56)).toBe(true);
    expect<u32>(q.frontAddress()).toBe(3);
    q.pop();
    expect<u32>(q.frontAddress()).toBe(4);
    expect<bool>(matches(q.frontPayload(), 56, 4)).toBe(true);
  });

  it("a record that ends exactly at the end of storage wraps the writer to the start", () => {
    const q = new DatagramQueue(96, 100);
    const buf = scratch(64);
    fill(buf, 32, 5);
    expect<bool>(q.push(1, 1, buf, 32)).toBe(true); // [0, 48)
    expect<bool>(q.push(2, 2, buf, 32)).toBe(true); // [48, 96): full
    expect<bool>(q.push(3, 3, buf, 0)).toBe(false);
    q.pop();
    expect<bool>(q.push(3, 3, buf, 32)).toBe(true); // [0, 48) again
    q.pop();
    expect<u32>(q.frontAddress()).toBe(3);
    expect<bool>(matches(q.frontPayload(), 32, 5)).toBe(true);
  });

  it("zero-length datagrams count against the datagram bound and take a header each", () => {
    const byCount = new DatagramQueue(1024, 3);
    for (let i = 0; i < 3; i++) expect<bool>(byCount.push(i, i, 0, 0)).toBe(true);
    expect<bool>(byCount.push(3, 3, 0, 0)).toBe(false);
    expect<i32>(byCount.payloadBytes).toBe(0);
    expect<i32>(byCount.count).toBe(3);
    const byBytes = new DatagramQueue(2 * DATAGRAM_HEADER_BYTES, 100);
    expect<bool>(byBytes.push(1, 1, 0, 0)).toBe(true);
    expect<bool>(byBytes.push(2, 2, 0, 0)).toBe(true);
    expect<bool>(byBytes.push(3, 3, 0, 0)).toBe(false);
    expect<u32>(byBytes.frontPort()).toBe(1);
  });

  it("an empty queue reports nothing and pop on it changes nothing", () => {
    const q = new DatagramQueue(256, 4);
    q.pop();
    expect<i32>(q.count).toBe(0);
    expect<i32>(q.frontLen()).toBe(0);
    expect<u32>(q.frontAddress()).toBe(0);
    expect<u32>(q.frontPort()).toBe(0);
    expect<usize>(q.frontPayload()).toBe(0);
    expect<bool>(q.push(1, 2, scratch(8), 8)).toBe(true);
    expect<i32>(q.count).toBe(1);
  });

  it("clear empties it and gives back the whole storage", () => {
    const q = new DatagramQueue(256, 4);
    const buf = scratch(256);
    for (let i = 0; i < 4; i++) q.push(i, i, buf, 20);
    q.pop();
    q.clear();
    expect<i32>(q.count).toBe(0);
    expect<i32>(q.payloadBytes).toBe(0);
    expect<usize>(q.frontPayload()).toBe(0);
    fill(buf, q.maxPayload, 3);
    expect<bool>(q.push(7, 8, buf, q.maxPayload)).toBe(true);
    expect<bool>(matches(q.frontPayload(), q.maxPayload, 3)).toBe(true);
  });

  it("rounds its capacity up to whole records and caps the payload accordingly", () => {
    const q = new DatagramQueue(100, 4);
    expect<i32>(q.capacity).toBe(104);
    expect<i32>(q.maxPayload).toBe(104 - DATAGRAM_HEADER_BYTES);
    expect<bool>(q.push(1, 1, scratch(q.maxPayload), q.maxPayload)).toBe(true);
  });
});

/** Where records sit in the model: offset and length of each, oldest first. */
class ModelRecord {
  constructor(public off: i32, public bytes: i32, public len: i32, public address: u32, public port: u32, public tag: u8) {}
}

/**
 * Where a ring of contiguous records must put a new one, or -1: right after the newest record if
 * that space is free up to the end of storage, else at the start if that is free; never over a
 * queued record. Written over the record list, independently of the queue's head and tail.
 */
function modelPlace(records: ModelRecord[], capacity: i32, bytes: i32): i32 {
  if (bytes > capacity) return -1;
  if (records.length == 0) return 0;
  const newest = records[records.length - 1];
  let at = newest.off + newest.bytes;
  if (at == capacity) at = 0;
  if (at + bytes <= capacity && modelFree(records, at, bytes)) return at;
  if (modelFree(records, 0, bytes)) return 0;
  return -1;
}

function modelFree(records: ModelRecord[], at: i32, bytes: i32): bool {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (at < r.off + r.bytes && r.off < at + bytes) return false;
  }
  return true;
}

describe("datagram queue (against an exact model)", () => {
  it("100,000 seeded operations over five shapes: every verdict, field and payload byte", () => {
    const capacities: i32[] = [2000, 256, 1000, 4096, 104];
    const limits: i32[] = [16, 100, 3, 64, 1000];
    const pushPercent: u32[] = [60, 55, 50, 70, 50];
    const buf = scratch(4200);
    let x: u32 = 0x9e3779b9;
    let mismatches = 0;
    let accepted = 0;
    let refused = 0;
    for (let shape = 0; shape < 5; shape++) {
      const capacity = capacities[shape];
      const q = new DatagramQueue(capacity, limits[shape]);
      const records: ModelRecord[] = [];
      let bytesQueued = 0;
      for (let n = 0; n < 20_000; n++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        const roll = x % 100;
        if (roll < pushPercent[shape]) {
          x ^= x << 13; x ^= x >> 17; x ^= x << 5;
          // Mostly small datagrams, some empty ones, some as large as (or larger than) the queue.
          const kind = x & 7;
          const len = kind == 0 ? 0 : kind == 1 ? <i32>((x >> 8) % <u32>(capacity + 16)) : <i32>((x >> 8) % 200);
          const tag = <u8>(x >> 24);
          fill(buf, len, tag);
          const bytes = recordBytes(len);
          const at = records.length >= limits[shape] ? -1 : modelPlace(records, capacity, bytes);
          const ok = q.push(<u32>n, <u32>(n ^ 0xffff), buf, len);
          if (ok != (at >= 0)) mismatches++;
          if (ok) {
            records.push(new ModelRecord(at, bytes, len, <u32>n, <u32>(n ^ 0xffff), tag));
            bytesQueued += len;
            accepted++;
          } else {
            refused++;
          }
        } else if (roll < 99) {
          if (records.length > 0) {
            const r = records.shift();
            if (q.frontLen() != r.len || q.frontAddress() != r.address || q.frontPort() != r.port ||
                !frontInside(q) || !matches(q.frontPayload(), r.len, r.tag)) mismatches++;
            bytesQueued -= r.len;
          }
          q.pop();
        } else {
          q.clear();
          records.length = 0;
          bytesQueued = 0;
        }
        if (q.count != records.length || q.payloadBytes != bytesQueued) mismatches++;
      }
    }
    expect<i32>(mismatches).toBe(0);
    // Both verdicts were exercised many times.
    expect<i32>(accepted).toBeGreaterThan(10_000);
    expect<i32>(refused).toBeGreaterThan(1_000);
  });
});
