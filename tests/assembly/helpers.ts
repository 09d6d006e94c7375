// Helpers shared by the core specs: byte vectors from hex, scratch memory, comparisons.

/** Copies byte values into fresh memory and returns its address. */
export function bytesOf(values: u8[]): usize {
  const buf = new ArrayBuffer(max(values.length, 1));
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(buf) + i, values[i]);
  return changetype<usize>(buf);
}

/** Parses a hex string ("45 00 00 54 ...", spaces and newlines ignored) into fresh memory. */
export function hexBytes(hex: string): usize {
  const digits: u8[] = [];
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (c >= 48 && c <= 57) digits.push(<u8>(c - 48));
    else if (c >= 97 && c <= 102) digits.push(<u8>(c - 87));
    else if (c >= 65 && c <= 70) digits.push(<u8>(c - 55));
  }
  const out: u8[] = [];
  for (let i = 0; i + 1 < digits.length; i += 2) out.push((digits[i] << 4) | digits[i + 1]);
  return bytesOf(out);
}

/** Number of bytes a hex string describes. */
export function hexLen(hex: string): i32 {
  let n = 0;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) n++;
  }
  return n >> 1;
}

/** Fresh zeroed memory of `len` bytes. */
export function scratch(len: i32): usize {
  return changetype<usize>(new ArrayBuffer(max(len, 1)));
}

/** True when two memory ranges hold the same bytes. */
export function sameBytes(a: usize, b: usize, len: i32): bool {
  return memory.compare(a, b, len) == 0;
}
