// Helpers shared by the core specs: byte vectors from hex, scratch memory, comparisons.
//
// Every buffer handed out stays reachable for the whole run: the specs hold raw addresses, which
// do not keep an ArrayBuffer alive, and the test build's incremental GC would otherwise free and
// reuse that memory at any later allocation (a string built for an assertion message is enough).
const pinnedBuffers: ArrayBuffer[] = [];

/** Fresh zeroed memory of `len` bytes, never reclaimed during the run. */
export function scratch(len: i32): usize {
  const buf = new ArrayBuffer(max(len, 1));
  pinnedBuffers.push(buf);
  return changetype<usize>(buf);
}

/** Copies byte values into fresh memory and returns its address. */
export function bytesOf(values: u8[]): usize {
  const p = scratch(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(p + i, values[i]);
  return p;
}

/** Parses a hex string ("45 00 00 54 ...", spaces and newlines ignored) into fresh memory. */
export function hexBytes(hex: string): usize {
  const p = scratch(hexLen(hex));
  let n = 0;
  let high: i32 = -1;
  for (let i = 0; i < hex.length; i++) {
    const d = hexDigit(hex.charCodeAt(i));
    if (d < 0) continue;
    if (high < 0) {
      high = d;
    } else {
      store<u8>(p + n++, <u8>((high << 4) | d));
      high = -1;
    }
  }
  return p;
}

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Number of bytes a hex string describes. */
export function hexLen(hex: string): i32 {
  let n = 0;
  for (let i = 0; i < hex.length; i++) if (hexDigit(hex.charCodeAt(i)) >= 0) n++;
  return n >> 1;
}

/** True when two memory ranges hold the same bytes. */
export function sameBytes(a: usize, b: usize, len: i32): bool {
  return memory.compare(a, b, len) == 0;
}

// Earlier names of the same helpers (they were introduced when the plain ones did not pin yet).
export function pinnedScratch(len: i32): usize { return scratch(len); }
export function pinnedBytes(values: u8[]): usize { return bytesOf(values); }
export function pinnedHex(hex: string): usize { return hexBytes(hex); }
