// Results of parsing and emitting wire formats. Zero or positive means success (emitters return
// the number of bytes written); every failure is one of these negative codes so that callers can
// count drops by cause without allocating anything.

export const enum WireError {
  Ok = 0,
  /** The buffer ends before the format (or a length field inside it) says it should. */
  Truncated = -1,
  /** A field holds a value the format forbids (version, header length, option length...). */
  Malformed = -2,
  /** The checksum does not verify. */
  BadChecksum = -3,
  /** Well formed, but a variant this stack does not handle (e.g. ARP for another protocol). */
  Unsupported = -4,
  /** The output buffer given to an emitter is shorter than the bytes it must write. */
  BufferTooSmall = -5,
}

/** Number of distinct WireError codes, for tables of drop counters indexed by -code. */
export const WIRE_ERROR_COUNT: i32 = 6;
