// Copies a byte range between two memories (two wasm instances, or wasm memory and a slab) without
// creating a view per frame. Both memories are given as a byte view and a 32-bit view of the same
// buffer, made once by their owner.
//
// Two ways, by length:
//   - short ranges (ACKs, small datagrams) move a word at a time in JavaScript: for a few dozen
//     bytes the loop beats setting up a native copy;
//   - longer ranges go through TypedArray.set, a native memcpy, about 3x faster than the loop for a
//     full 1514-byte frame and 15x for 64 KiB. set() needs a source view of exactly the range, and a
//     view is an allocation, so views are kept in a small direct-mapped table per source memory,
//     keyed by (offset, length). Frames sit in fixed buffers (ring slots, slab slots) and a bulk
//     transfer's frames have one length, so after the first lap every copy finds its view made.

const WORD_BYTES = 4;
const WORD_MASK = WORD_BYTES - 1;
/** From this many bytes on, a native copy through a cached view is the faster way (measured). */
const NATIVE_COPY_MIN_BYTES = 256;
/** Views remembered per source memory: more than any ring's or slab's slots in use at once. */
const VIEW_TABLE_BITS = 11;
const VIEW_TABLE_SIZE = 1 << VIEW_TABLE_BITS;
/** Fibonacci hashing's multiplier (2^32 / golden ratio): spreads slot offsets over the table. */
const HASH_MULTIPLIER = 0x9e3779b1;
const EMPTY = -1;

/** The remembered views of one source memory. */
class RangeViews {
  readonly offsets = new Int32Array(VIEW_TABLE_SIZE).fill(EMPTY);
  readonly lengths = new Int32Array(VIEW_TABLE_SIZE);
  readonly views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(VIEW_TABLE_SIZE).fill(undefined);

  constructor(private readonly bytes: Uint8Array) {}

  /** A view of bytes[offset, offset + length): the remembered one, or a new one remembered in its place. */
  view(offset: number, length: number): Uint8Array {
    const index = (Math.imul(offset ^ (length << 16), HASH_MULTIPLIER) >>> (32 - VIEW_TABLE_BITS));
    if (this.offsets[index] === offset && this.lengths[index] === length) return this.views[index]!;
    const view = this.bytes.subarray(offset, offset + length);
    this.offsets[index] = offset;
    this.lengths[index] = length;
    this.views[index] = view;
    return view;
  }
}

/** Each source memory's table, found from its byte view (the owner's, made once). */
const tables = new WeakMap<Uint8Array, RangeViews>();

function viewsOf(bytes: Uint8Array): RangeViews {
  let table = tables.get(bytes);
  if (table === undefined) {
    table = new RangeViews(bytes);
    tables.set(bytes, table);
  }
  return table;
}

/** Copies `length` bytes from src[srcOffset..] to dst[dstOffset..] (distinct buffers). */
export function copyBytes(
  src: Uint8Array, srcWords: Int32Array, srcOffset: number,
  dst: Uint8Array, dstWords: Int32Array, dstOffset: number, length: number,
): void {
  if (length >= NATIVE_COPY_MIN_BYTES) {
    dst.set(viewsOf(src).view(srcOffset, length), dstOffset);
    return;
  }
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

/** Up to this many bytes, copyRange moves bytes in a loop: less than making a view for set(). */
export const SMALL_RANGE_BYTES = 64;

/**
 * Copies `length` bytes from src[srcOffset..] to dst[dstOffset..] between any two byte arrays
 * (a user's chunk and the core's memory, say: no word views as copyBytes needs). A few bytes (an
 * echo, a request line) go in a loop; more through set(), with a view of the range unless it is
 * the whole of `src`.
 */
export function copyRange(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void {
  if (length <= SMALL_RANGE_BYTES) {
    for (let i = 0; i < length; i++) dst[dstOffset + i] = src[srcOffset + i]!;
  } else {
    dst.set(srcOffset === 0 && length === src.length ? src : src.subarray(srcOffset, srcOffset + length), dstOffset);
  }
}

