// Copies a byte range between two memories (two wasm instances, or wasm memory and a slab) without
// creating a view per call: TypedArray.set needs a source view of exactly the range, and a view
// is an allocation. Both memories are given as a byte view and a 32-bit view of the same buffer,
// made once by their owner; aligned runs move a word at a time.

const WORD_BYTES = 4;
const WORD_MASK = WORD_BYTES - 1;

/** Copies `length` bytes from src[srcOffset..] to dst[dstOffset..] (distinct buffers). */
export function copyBytes(
  src: Uint8Array, srcWords: Int32Array, srcOffset: number,
  dst: Uint8Array, dstWords: Int32Array, dstOffset: number, length: number,
): void {
  let s = srcOffset;
  let d = dstOffset;
  const end = srcOffset + length;
  if ((s & WORD_MASK) === (d & WORD_MASK)) {
    while ((s & WORD_MASK) !== 0 && s < end) dst[d++] = src[s++]!;
    // Int32 elements, not Float64: every int32 value survives a read and write unchanged.
    let ws = s >>> 2;
    let wd = d >>> 2;
    const wordEnd = (end >>> 2);
    while (ws < wordEnd) dstWords[wd++] = srcWords[ws++]!;
    s = ws << 2;
    d = wd << 2;
  }
  while (s < end) dst[d++] = src[s++]!;
}
