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
