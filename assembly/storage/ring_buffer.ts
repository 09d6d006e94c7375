// A byte ring: the send and receive buffers of a socket, and any other byte queue of fixed size.
//
//   buf                                                                      buf + capacity
//   +--------------+==========================================+-------------------+
//   | free (wraps) | filled: len bytes                        | free              |
//   +--------------+==========================================+-------------------+
//                  ^ head (read end)                          ^ tail = head + len (write end)
//
//   when the filled bytes wrap:
//   +===============+---------------------------------------+=====================+
//   | filled (tail) | free                                  | filled (head part)  |
//   +===============+---------------------------------------+=====================+
//                   ^ tail                                  ^ head
//
// The memory is allocated once, when the ring is constructed, and kept for the life of the module
// (the core never frees: see the memory rules in DESIGN.md). `head` is an index in [0, capacity) and
// `len` in [0, capacity]; the write end is (head + len) wrapped. Capacity need not be a power of two
// (socket buffer sizes come from the user), so wrapping is a compare and a subtract, not a mask.
//
// Data moves with one copy. A producer asks for the contiguous free span at the write end
// (writeSpanPtr/writeSpanLen), writes into it directly, and calls commitWrite(n); a consumer reads
// the contiguous filled span at the read end (readSpanPtr/readSpanLen) and calls consume(n). A span
// stops at the end of the memory, so a full transfer may take two spans. write/read are the copying
// forms that handle the wrap themselves and move as much as fits (partial when full or empty).
//
// TCP uses the ring beyond a queue: the send side retransmits unacknowledged bytes with peek at an
// offset from the read end (they stay in the ring until acknowledged, then consume), and the
// receive side stores out-of-order segments with writeAt at an offset past the write end, then
// commits them once the gap before them is filled (see assembler.ts).
//
// Nothing here ever writes outside [buf, buf + capacity): every count a caller passes is checked,
// and a commit or consume of more than there is gets refused with RingError.OutOfRange, changing
// nothing.

/**
 * Largest capacity (512 MiB): below the runtime's largest block (just under 1 GiB), and keeps
 * head + len + offset sums far from i32 overflow.
 */
export const RING_MAX_CAPACITY: i32 = 1 << 29;

export const enum RingError {
  Ok = 0,
  /** A count or offset was negative or larger than the bytes (or free space) there are. */
  OutOfRange = -1,
}

@final
export class RingBuffer {
  /** Start of the storage, allocated once. */
  private buf: usize;
  /** Bytes of storage. */
  private cap: i32;
  /** Index of the first filled byte (the read end). */
  private head: i32 = 0;
  /** Number of filled bytes. */
  private count: i32 = 0;

  /** A ring of `capacity` bytes, clamped to [0, RING_MAX_CAPACITY]. The only allocation it makes. */
  constructor(capacity: i32) {
    const cap = capacity < 0 ? 0 : capacity > RING_MAX_CAPACITY ? RING_MAX_CAPACITY : capacity;
    this.cap = cap;
    this.buf = heap.alloc(<usize>cap);
  }

  @inline get capacity(): i32 { return this.cap; }
  /** Filled bytes, readable from the read end. */
  @inline get len(): i32 { return this.count; }
  /** Free bytes, writable at the write end. */
  @inline get free(): i32 { return this.cap - this.count; }
  /** Start of the storage (for tests and for the host's view of memory). */
  @inline get dataPtr(): usize { return this.buf; }

  /** Empties the ring. The read end returns to the start of the memory, making spans longest. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** Reduces an index in [0, 2 * capacity) into [0, capacity). */
  @inline private wrap(index: i32): i32 {
    return index >= this.cap ? index - this.cap : index;
  }

  @inline private get tail(): i32 {
    return this.wrap(this.head + this.count);
  }

  // ---- one-copy producer side ----

  /** Where the next bytes go: the start of the contiguous free span at the write end. */
  @inline get writeSpanPtr(): usize {
    return this.buf + <usize>this.tail;
  }

  /** Length of the contiguous free span at writeSpanPtr (0 when full). */
  get writeSpanLen(): i32 {
    const toEnd = this.cap - this.tail;
    const free = this.cap - this.count;
    return free < toEnd ? free : toEnd;
  }

  /**
   * Makes n bytes at the write end readable. n may go past the current span (bytes written with
   * writeAt beyond the wrap); it returns n, or OutOfRange with nothing changed when n < 0 or n > free.
   */
  commitWrite(n: i32): i32 {
    if (n < 0 || n > this.cap - this.count) return RingError.OutOfRange;
    this.count += n;
    return n;
  }

  // ---- one-copy consumer side ----

  /** The first filled byte: start of the contiguous filled span at the read end. */
  @inline get readSpanPtr(): usize {
    return this.buf + <usize>this.head;
  }

  /** Length of the contiguous filled span at readSpanPtr (0 when empty). */
  get readSpanLen(): i32 {
    const toEnd = this.cap - this.head;
    return this.count < toEnd ? this.count : toEnd;
  }

  /**
   * Drops n bytes from the read end (read, or acknowledged by the peer). n may span the wrap; it
   * returns n, or OutOfRange with nothing changed when n < 0 or n > len.
   */
  consume(n: i32): i32 {
    if (n < 0 || n > this.count) return RingError.OutOfRange;
    this.head = this.wrap(this.head + n);
    this.count -= n;
    return n;
  }

  // ---- copying forms ----

  /** Copies up to len bytes from src in at the write end; returns the bytes moved (0 when full). */
  write(src: usize, len: i32): i32 {
    const n = this.writeAt(0, src, len);
    if (n > 0) this.count += n;
    return n;
  }

  /** Copies up to len bytes out from the read end to dst and consumes them; returns bytes moved. */
  read(dst: usize, len: i32): i32 {
    const n = this.peek(0, dst, len);
    if (n > 0) this.consume(n);
    return n;
  }

  /**
   * Copies up to len filled bytes starting `offset` bytes after the read end, without consuming
   * them (TCP retransmission reads unacknowledged data this way). Returns the bytes copied (fewer
   * when the data ends first; 0 at offset == len), or OutOfRange when offset < 0 or offset > len.
   */
  peek(offset: i32, dst: usize, len: i32): i32 {
    if (offset < 0 || offset > this.count) return RingError.OutOfRange;
    const avail = this.count - offset;
    const n = len < 0 ? 0 : len < avail ? len : avail;
    this.copyOut(this.wrap(this.head + offset), dst, n);
    return n;
  }

  /**
   * Copies up to len bytes from src into the free space starting `offset` bytes after the write end,
   * without making them readable (TCP stores out-of-order data this way and commits it once the gap
   * before it is filled). Returns the bytes copied (fewer when the free space ends first), or
   * OutOfRange when offset < 0 or offset > free.
   */
  writeAt(offset: i32, src: usize, len: i32): i32 {
    const free = this.cap - this.count;
    if (offset < 0 || offset > free) return RingError.OutOfRange;
    const room = free - offset;
    const n = len < 0 ? 0 : len < room ? len : room;
    // head + count + offset <= head + capacity < 2 * capacity: one wrap is enough.
    this.copyIn(this.wrap(this.head + this.count + offset), src, n);
    return n;
  }

  /** Start of the contiguous filled span beginning `offset` bytes after the read end. */
  peekSpanPtr(offset: i32): usize {
    if (offset < 0 || offset > this.count) return this.buf + <usize>this.head;
    return this.buf + <usize>this.wrap(this.head + offset);
  }

  /** Length of the contiguous filled span at peekSpanPtr(offset) (0 when offset is out of range). */
  peekSpanLen(offset: i32): i32 {
    if (offset < 0 || offset > this.count) return 0;
    const toEnd = this.cap - this.wrap(this.head + offset);
    const avail = this.count - offset;
    return avail < toEnd ? avail : toEnd;
  }

  // ---- internals: the only places memory is touched ----

  /** Copies n bytes (n <= capacity) from src into the ring at index `at`, wrapping once. */
  private copyIn(at: i32, src: usize, n: i32): void {
    const first = min(n, this.cap - at);
    memory.copy(this.buf + <usize>at, src, <usize>first);
    if (n > first) memory.copy(this.buf, src + <usize>first, <usize>(n - first));
  }

  /** Copies n bytes (n <= capacity) out of the ring from index `at` to dst, wrapping once. */
  private copyOut(at: i32, dst: usize, n: i32): void {
    const first = min(n, this.cap - at);
    memory.copy(dst, this.buf + <usize>at, <usize>first);
    if (n > first) memory.copy(dst + <usize>first, this.buf, <usize>(n - first));
  }
}
