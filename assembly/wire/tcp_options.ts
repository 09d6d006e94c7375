// TCP options (RFC 9293 section 3.2, RFC 7323 window scale and timestamps, RFC 2018 SACK).
//
// The options area sits between the fixed 20-byte TCP header and the payload; its length is
// (data offset * 4) - 20, at most 40 bytes. Each option is either a single kind byte (EOL, NOP)
// or kind, length (counting kind and length bytes), value:
//
//   kind 0  end of list      +--------+
//                            |   0    |
//   kind 1  no-operation     +--------+
//                            |   1    |
//   kind 2  MSS              +--------+--------+--------+--------+
//                            |   2    |   4    |  max segment size |
//   kind 3  window scale     +--------+--------+--------+
//                            |   3    |   3    | shift  |
//   kind 4  SACK-permitted   +--------+--------+
//                            |   4    |   2    |
//   kind 5  SACK             +--------+--------+--------...--------+--------...--------+ ...
//                            |   5    | 2 + 8n | left edge 1 (32)  | right edge 1 (32) | n = 1..4
//   kind 8  timestamps       +--------+--------+--------...--------+--------...--------+
//                            |   8    |   10   |    TSval (32)     |    TSecr (32)     |
//
// On emit every option is written as a group that is a multiple of 4 bytes, led by NOPs where
// needed, so the 32-bit values stay aligned and the area needs no trailing padding (the layout
// RFC 7323 Appendix A suggests for timestamps):
//
//   MSS                        2 4 mss mss                          (4)
//   SACK-permitted + TS        4 2 8 10 TSval TSecr                 (12)
//   TS alone                   1 1 8 10 TSval TSecr                 (12)
//   SACK-permitted alone       1 1 4 2                              (4)
//   window scale               1 3 3 shift                          (4)
//   SACK blocks                1 1 5 2+8n edges...                  (4 + 8n)
//
// A TcpOptions is allocated once by its owner (a TcpRepr) with room for 4 SACK blocks; parse and
// emit never allocate.

import { readU8, readU16, readU32, writeU8, writeU16, writeU32 } from "./bytes";
import { WireError } from "./error";

export namespace TcpOptionKind {
  export const END_OF_LIST: u8 = 0;
  export const NOP: u8 = 1;
  export const MSS: u8 = 2;
  export const WINDOW_SCALE: u8 = 3;
  export const SACK_PERMITTED: u8 = 4;
  export const SACK: u8 = 5;
  export const TIMESTAMPS: u8 = 8;
}

/** The options area can never exceed 40 bytes: the 4-bit data offset allows 60 bytes of header. */
export const TCP_MAX_OPTIONS_LEN: i32 = 40;
/** RFC 2018 section 3: at most 4 blocks fit in 40 bytes (2 + 8 * 4 = 34). */
export const TCP_MAX_SACK_BLOCKS: i32 = 4;
/** RFC 7323 section 2.3: shift counts above 14 are treated as 14. */
export const TCP_MAX_WINDOW_SHIFT: u8 = 14;

const MSS_LEN: i32 = 4;
const WINDOW_SCALE_LEN: i32 = 3;
const SACK_PERMITTED_LEN: i32 = 2;
const TIMESTAMPS_LEN: i32 = 10;
/** A SACK option is kind, length, then 8 bytes per block. */
const SACK_HEADER_LEN: i32 = 2;
const SACK_BLOCK_LEN: i32 = 8;
/** A block is a left and a right edge. */
const EDGES_PER_BLOCK: i32 = 2;
/** Kind and length bytes of any option longer than one byte (RFC 9293 section 3.2 case 2). */
const OPTION_HEADER_LEN: i32 = 2;

/** NOPs that bring TS, SACK-permitted and SACK to a 4-byte boundary on emit. */
const PAIR_NOPS: i32 = 2;
/** The NOP that brings the 3-byte window scale option to 4 bytes on emit. */
const WINDOW_SCALE_NOPS: i32 = 1;

/** Emitted group sizes (see the table at the top of the file), each a multiple of 4. */
const MSS_GROUP_LEN: i32 = MSS_LEN;
const TIMESTAMPS_GROUP_LEN: i32 = PAIR_NOPS + TIMESTAMPS_LEN;
const SACK_PERMITTED_GROUP_LEN: i32 = PAIR_NOPS + SACK_PERMITTED_LEN;
const WINDOW_SCALE_GROUP_LEN: i32 = WINDOW_SCALE_NOPS + WINDOW_SCALE_LEN;
const SACK_GROUP_HEADER_LEN: i32 = PAIR_NOPS + SACK_HEADER_LEN;

/** Offsets inside one option, from its kind byte. */
const OPT_LEN_OFFSET: usize = 1;
const OPT_VALUE_OFFSET: usize = 2;
const TS_VAL_OFFSET: usize = 2;
const TS_ECR_OFFSET: usize = 6;
/** Offset of the right edge inside one 8-byte SACK block. */
const SACK_RIGHT_OFFSET: usize = 4;

/** Writes n NOPs at p; returns the address after them. */
@inline function writeNops(p: usize, n: i32): usize {
  for (let i = 0; i < n; i++) writeU8(p + <usize>i, TcpOptionKind.NOP);
  return p + <usize>n;
}

/** Writes an option's kind and length bytes at p. */
@inline function writeOptionHeader(p: usize, kind: u8, optLen: i32): void {
  writeU8(p, kind);
  writeU8(p + OPT_LEN_OFFSET, <u8>optLen);
}

/** The options a segment carries: presence flags and values, ready for a socket to use. */
@final
export class TcpOptions {
  hasMss: bool = false;
  mss: u16 = 0;

  hasWindowScale: bool = false;
  /** Shift count; parse clamps it to 14 (RFC 7323 section 2.3) and emit never writes more. */
  windowScale: u8 = 0;
  /** Set by parse when the peer sent a shift above 14 and it was clamped: worth counting. */
  windowScaleClamped: bool = false;

  sackPermitted: bool = false;

  hasTimestamps: bool = false;
  tsVal: u32 = 0;
  tsEcr: u32 = 0;

  /** Left and right edges of up to 4 SACK blocks, pairs in order; allocated once. */
  private sackEdges: StaticArray<u32> = new StaticArray<u32>(TCP_MAX_SACK_BLOCKS * EDGES_PER_BLOCK);
  private sackBlocks: i32 = 0;

  /** Number of SACK blocks held (0..4). */
  @inline get sackCount(): i32 { return this.sackBlocks; }

  /** Left edge of SACK block i (0 when i is out of range). */
  sackLeft(i: i32): u32 {
    if (i < 0 || i >= this.sackBlocks) return 0;
    return unchecked(this.sackEdges[i * EDGES_PER_BLOCK]);
  }

  /** Right edge (first sequence number after the block) of SACK block i (0 when out of range). */
  sackRight(i: i32): u32 {
    if (i < 0 || i >= this.sackBlocks) return 0;
    return unchecked(this.sackEdges[i * EDGES_PER_BLOCK + 1]);
  }

  /** Appends a SACK block for emit; false (and nothing stored) when 4 are already held. */
  addSackBlock(left: u32, right: u32): bool {
    if (this.sackBlocks >= TCP_MAX_SACK_BLOCKS) return false;
    unchecked(this.sackEdges[this.sackBlocks * EDGES_PER_BLOCK] = left);
    unchecked(this.sackEdges[this.sackBlocks * EDGES_PER_BLOCK + 1] = right);
    this.sackBlocks++;
    return true;
  }

  clearSack(): void {
    this.sackBlocks = 0;
  }

  /** Forgets every option (values are left but unflagged). */
  clear(): void {
    this.hasMss = false;
    this.hasWindowScale = false;
    this.windowScaleClamped = false;
    this.sackPermitted = false;
    this.hasTimestamps = false;
    this.sackBlocks = 0;
  }

  /**
   * Parses the options area [ptr, ptr+len). Ok, or Malformed when an option's length byte is
   * missing, below 2, or runs past the end of the area, or when a known option has the wrong
   * length (RFC 9293 section 3.2, MUST-7: be prepared for an illegal option length). EOL ends
   * parsing; the bytes after it are padding and are not looked at. Unknown kinds with a sane
   * length are skipped (RFC 9293 section 3.2, MUST-6: ignore options not implemented). A repeated
   * option overwrites the earlier one. Values are taken as sent: whether MSS belongs on a
   * non-SYN segment, or an MSS of 0 makes sense, is for the socket to judge. After an error
   * nothing is flagged as present, so a half-parsed area is never acted upon.
   */
  parse(ptr: usize, len: i32): i32 {
    this.clear();
    const r = this.parseArea(ptr, len);
    if (r < 0) this.clear();
    return r;
  }

  private parseArea(ptr: usize, len: i32): i32 {
    let i: i32 = 0;
    while (i < len) {
      const at = ptr + <usize>i;
      const kind = readU8(at);
      if (kind == TcpOptionKind.END_OF_LIST) break;
      if (kind == TcpOptionKind.NOP) { i++; continue; }
      if (i + OPTION_HEADER_LEN > len) return WireError.Malformed; // length byte missing
      const optLen = <i32>readU8(at + OPT_LEN_OFFSET);
      // A length below 2 would not even cover kind and length and could never advance.
      if (optLen < OPTION_HEADER_LEN || optLen > len - i) return WireError.Malformed;
      const value = at + OPT_VALUE_OFFSET;
      if (kind == TcpOptionKind.MSS) {
        if (optLen != MSS_LEN) return WireError.Malformed;
        this.hasMss = true;
        this.mss = readU16(value);
      } else if (kind == TcpOptionKind.WINDOW_SCALE) {
        if (optLen != WINDOW_SCALE_LEN) return WireError.Malformed;
        let shift = readU8(value);
        // RFC 7323 section 2.3: a shift above 14 is logged and used as 14, not refused, so a
        // confused peer still gets a working (if smaller) window.
        this.windowScaleClamped = shift > TCP_MAX_WINDOW_SHIFT;
        if (this.windowScaleClamped) shift = TCP_MAX_WINDOW_SHIFT;
        this.hasWindowScale = true;
        this.windowScale = shift;
      } else if (kind == TcpOptionKind.SACK_PERMITTED) {
        if (optLen != SACK_PERMITTED_LEN) return WireError.Malformed;
        this.sackPermitted = true;
      } else if (kind == TcpOptionKind.SACK) {
        const blockBytes = optLen - SACK_HEADER_LEN;
        const blocks = blockBytes / SACK_BLOCK_LEN;
        // RFC 2018 section 3: length is 2 + 8n; n = 0 says nothing and n > 4 cannot fit a header.
        if (blockBytes % SACK_BLOCK_LEN != 0 || blocks < 1 || blocks > TCP_MAX_SACK_BLOCKS) {
          return WireError.Malformed;
        }
        this.sackBlocks = 0;
        for (let b = 0; b < blocks; b++) {
          const edge = value + <usize>(b * SACK_BLOCK_LEN);
          this.addSackBlock(readU32(edge), readU32(edge + SACK_RIGHT_OFFSET));
        }
      } else if (kind == TcpOptionKind.TIMESTAMPS) {
        if (optLen != TIMESTAMPS_LEN) return WireError.Malformed;
        this.hasTimestamps = true;
        this.tsVal = readU32(at + TS_VAL_OFFSET);
        this.tsEcr = readU32(at + TS_ECR_OFFSET);
      }
      i += optLen;
    }
    return WireError.Ok;
  }

  /** Bytes the options other than SACK blocks take on emit. */
  private get fixedLen(): i32 {
    let n: i32 = 0;
    if (this.hasMss) n += MSS_GROUP_LEN;
    if (this.hasTimestamps) n += TIMESTAMPS_GROUP_LEN;
    else if (this.sackPermitted) n += SACK_PERMITTED_GROUP_LEN;
    if (this.hasWindowScale) n += WINDOW_SCALE_GROUP_LEN;
    return n;
  }

  /**
   * SACK blocks emit will write: all held blocks, or fewer when the whole set would exceed the
   * 40-byte options area. SACK blocks are the first thing dropped because they are advisory
   * (RFC 2018 section 4: the data receiver may report fewer blocks; the sender must not rely on
   * them), while MSS, window scale and timestamps change how the connection behaves.
   */
  get sackBlocksToEmit(): i32 {
    if (this.sackBlocks == 0) return 0;
    const room = TCP_MAX_OPTIONS_LEN - this.fixedLen - SACK_GROUP_HEADER_LEN;
    if (room < SACK_BLOCK_LEN) return 0;
    return min(this.sackBlocks, room / SACK_BLOCK_LEN);
  }

  /** SACK blocks held that emit leaves out to stay within 40 bytes (0 when all fit). */
  @inline get sackBlocksDropped(): i32 {
    return this.sackBlocks - this.sackBlocksToEmit;
  }

  /** Length of the options area emit writes: a multiple of 4, at most 40. */
  get bufferLen(): i32 {
    const blocks = this.sackBlocksToEmit;
    return this.fixedLen + (blocks > 0 ? SACK_GROUP_HEADER_LEN + blocks * SACK_BLOCK_LEN : 0);
  }

  /** Writes the options at ptr; returns bytes written (== bufferLen) or BufferTooSmall. */
  emit(ptr: usize, len: i32): i32 {
    const total = this.bufferLen;
    if (len < total) return WireError.BufferTooSmall;
    let p = ptr;
    if (this.hasMss) {
      writeOptionHeader(p, TcpOptionKind.MSS, MSS_LEN);
      writeU16(p + OPT_VALUE_OFFSET, this.mss);
      p += <usize>MSS_LEN;
    }
    if (this.hasTimestamps) {
      // SACK-permitted fills the two bytes that would otherwise be NOPs in front of TS.
      if (this.sackPermitted) {
        writeOptionHeader(p, TcpOptionKind.SACK_PERMITTED, SACK_PERMITTED_LEN);
        p += <usize>SACK_PERMITTED_LEN;
      } else {
        p = writeNops(p, PAIR_NOPS);
      }
      writeOptionHeader(p, TcpOptionKind.TIMESTAMPS, TIMESTAMPS_LEN);
      writeU32(p + TS_VAL_OFFSET, this.tsVal);
      writeU32(p + TS_ECR_OFFSET, this.tsEcr);
      p += <usize>TIMESTAMPS_LEN;
    } else if (this.sackPermitted) {
      p = writeNops(p, PAIR_NOPS);
      writeOptionHeader(p, TcpOptionKind.SACK_PERMITTED, SACK_PERMITTED_LEN);
      p += <usize>SACK_PERMITTED_LEN;
    }
    if (this.hasWindowScale) {
      p = writeNops(p, WINDOW_SCALE_NOPS);
      writeOptionHeader(p, TcpOptionKind.WINDOW_SCALE, WINDOW_SCALE_LEN);
      // Never advertise a shift the peer must clamp (RFC 7323 section 2.3).
      writeU8(p + OPT_VALUE_OFFSET, min(this.windowScale, TCP_MAX_WINDOW_SHIFT));
      p += <usize>WINDOW_SCALE_LEN;
    }
    const blocks = this.sackBlocksToEmit;
    if (blocks > 0) {
      p = writeNops(p, PAIR_NOPS);
      writeOptionHeader(p, TcpOptionKind.SACK, SACK_HEADER_LEN + blocks * SACK_BLOCK_LEN);
      p += <usize>SACK_HEADER_LEN;
      for (let b = 0; b < blocks; b++) {
        writeU32(p, unchecked(this.sackEdges[b * EDGES_PER_BLOCK]));
        writeU32(p + SACK_RIGHT_OFFSET, unchecked(this.sackEdges[b * EDGES_PER_BLOCK + 1]));
        p += <usize>SACK_BLOCK_LEN;
      }
    }
    return total;
  }
}
