// DNS domain names (RFC 1035 sections 3.1, 4.1.4) between their wire form and dotted text.
//
//   wire:   | 3 | w w w | 7 | e x a m p l e | 3 | c o m | 0 |      a plain name
//           | 3 | w w w | 0xc0 0x0c |                              "www", then the name at offset 12
//   length byte: 00xxxxxx  a label of 0..63 bytes follows (0 ends the name: the root label)
//                11xxxxxx  with the next byte, a 14-bit offset from the message start where the
//                          rest of the name is (compression, 4.1.4); it ends the name here
//                01xxxxxx, 10xxxxxx  reserved / extended label types (RFC 6891 5): Malformed
//   dotted:  "www.example.com" (no trailing dot; the root name is the empty string)
//
// Hostile input is the norm here: a pointer may aim at itself, forward, into the header, or form a
// loop. This reader only follows a pointer that lands strictly before the start of the piece of
// name it is reading now, so the pieces it visits have strictly decreasing offsets and no loop is
// possible; a cap on the number of pointers also bounds the work per name. The uncompressed name
// may not exceed 255 bytes (RFC 1035 section 2.3.4, 3.1), which also bounds the dotted output
// to 253 bytes. Nothing here allocates.

import { WireError } from "./error";

/** The DNS message header; a pointer into it cannot start a name. */
export const DNS_HEADER_LEN: i32 = 12;
/** RFC 1035 2.3.4: labels are 63 octets or less. */
export const DNS_MAX_LABEL_LEN: i32 = 63;
/** RFC 1035 2.3.4: names are 255 octets or less in wire form (length bytes and root included). */
export const DNS_MAX_NAME_WIRE_LEN: i32 = 255;
/** The longest dotted form: 255 wire bytes less the first length byte and the root byte. */
export const DNS_MAX_NAME_TEXT_LEN: i32 = DNS_MAX_NAME_WIRE_LEN - 2;
/** Size of the buffers that hold a dotted name. */
export const DNS_NAME_BUF_LEN: i32 = 256;
/**
 * Most compression pointers followed in one name. A legitimate name has at most 127 labels
 * (255 bytes / 2), and an encoder points at most once per label, so more is an attack.
 */
export const DNS_MAX_POINTER_JUMPS: i32 = 127;

/** Top two bits of a length byte. */
const LABEL_KIND_MASK: u8 = 0xc0;
const LABEL_KIND_NORMAL: u8 = 0x00;
const LABEL_KIND_POINTER: u8 = 0xc0;
/** The low 6 bits of a pointer's first byte are the high bits of its offset. */
const POINTER_HIGH_MASK: u8 = 0x3f;
const POINTER_LEN: i32 = 2;
const DOT: u8 = 0x2e;
const UPPER_A: u8 = 0x41;
const UPPER_Z: u8 = 0x5a;
const CASE_BIT: u8 = 0x20;

/**
 * Reads names out of a message. One instance is created by its owner and reused; after `read`
 * succeeds, `textLen` is the dotted length written and `dotInLabel` tells whether some label held
 * a '.' byte (legal in DNS, but its dotted form would be ambiguous).
 */
@final
export class DnsNameReader {
  textLen: i32 = 0;
  dotInLabel: bool = false;

  /**
   * Reads the name starting at `offset` in the message [msg, msg+len). When `out` is not 0 the
   * dotted form is written there (at most DNS_MAX_NAME_TEXT_LEN bytes; give it DNS_NAME_BUF_LEN).
   * Returns the offset just after the name where it starts (after its first pointer, if any),
   * Truncated if it runs past `len`, or Malformed (bad label type, bad pointer, too long).
   */
  read(msg: usize, len: i32, offset: i32, out: usize): i32 {
    this.textLen = 0;
    this.dotInLabel = false;
    let pos = offset;
    let pieceStart = offset;
    let after = -1;
    let jumps = 0;
    let wireLen = 0;
    let textLen = 0;
    while (true) {
      if (pos < 0 || pos >= len) return WireError.Truncated;
      const b = load<u8>(msg + <usize>pos);
      const kind = b & LABEL_KIND_MASK;
      if (kind == LABEL_KIND_NORMAL) {
        if (b == 0) {
          if (after < 0) after = pos + 1;
          this.textLen = textLen;
          return after;
        }
        const labelLen = <i32>b;
        if (pos + 1 + labelLen > len) return WireError.Truncated;
        wireLen += 1 + labelLen;
        // The root byte must still fit after this label.
        if (wireLen + 1 > DNS_MAX_NAME_WIRE_LEN) return WireError.Malformed;
        const label = msg + <usize>(pos + 1);
        if (out != 0) {
          if (textLen > 0) { store<u8>(out + <usize>textLen, DOT); textLen++; }
          memory.copy(out + <usize>textLen, label, <usize>labelLen);
          textLen += labelLen;
        }
        for (let i = 0; i < labelLen; i++) {
          if (load<u8>(label + <usize>i) == DOT) { this.dotInLabel = true; break; }
        }
        pos += 1 + labelLen;
      } else if (kind == LABEL_KIND_POINTER) {
        if (pos + POINTER_LEN > len) return WireError.Truncated;
        const target = (<i32>(b & POINTER_HIGH_MASK) << 8) | <i32>load<u8>(msg + <usize>(pos + 1));
        // Only strictly backwards, before this piece of name, and never into the header.
        if (target >= pieceStart || target < DNS_HEADER_LEN) return WireError.Malformed;
        jumps++;
        if (jumps > DNS_MAX_POINTER_JUMPS) return WireError.Malformed;
        if (after < 0) after = pos + POINTER_LEN;
        pos = target;
        pieceStart = target;
      } else {
        // 0x40 (extended label types, RFC 6891 5) and 0x80 (reserved) are not names we can read.
        return WireError.Malformed;
      }
    }
    return WireError.Malformed;
  }
}

/**
 * Checks a dotted name for `dnsWriteName`: labels of 1..63 bytes with no empty label, at most
 * DNS_MAX_NAME_TEXT_LEN bytes. One trailing dot is allowed ("example.com." is the same name).
 * Returns the length without the trailing dot (0 for the root, "" or "."), or Malformed.
 */
export function dnsCheckText(text: usize, len: i32): i32 {
  if (len < 0) return WireError.Malformed;
  if (len > 0 && load<u8>(text + <usize>(len - 1)) == DOT) len--;
  if (len > DNS_MAX_NAME_TEXT_LEN) return WireError.Malformed;
  let labelLen = 0;
  for (let i = 0; i < len; i++) {
    if (load<u8>(text + <usize>i) == DOT) {
      if (labelLen == 0) return WireError.Malformed;
      labelLen = 0;
    } else {
      labelLen++;
      if (labelLen > DNS_MAX_LABEL_LEN) return WireError.Malformed;
    }
  }
  // A dot at the end was removed above; one left here means an empty label ("a..").
  if (len > 0 && labelLen == 0) return WireError.Malformed;
  return len;
}

/** Wire length of a dotted name already accepted by `dnsCheckText` (without trailing dot). */
@inline export function dnsWireLen(textLen: i32): i32 {
  return textLen == 0 ? 1 : textLen + 2;
}

/**
 * Writes a dotted name accepted by `dnsCheckText` in uncompressed wire form at `out`, which must
 * hold `dnsWireLen(textLen)` bytes. Returns the bytes written.
 */
export function dnsWriteName(text: usize, textLen: i32, out: usize): i32 {
  let lengthAt = out;
  let p = out + 1;
  let labelLen = 0;
  for (let i = 0; i < textLen; i++) {
    const c = load<u8>(text + <usize>i);
    if (c == DOT) {
      store<u8>(lengthAt, <u8>labelLen);
      lengthAt = p;
      labelLen = 0;
    } else {
      store<u8>(p, c);
      labelLen++;
    }
    p++;
  }
  if (textLen == 0) {
    store<u8>(out, 0);
    return 1;
  }
  store<u8>(lengthAt, <u8>labelLen);
  store<u8>(p, 0);
  return <i32>(p + 1 - out);
}

@inline function asciiLower(c: u8): u8 {
  return c >= UPPER_A && c <= UPPER_Z ? c | CASE_BIT : c;
}

/** RFC 4343: names compare equal ignoring ASCII case (and only ASCII case). */
export function dnsTextEquals(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen != bLen) return false;
  for (let i = 0; i < aLen; i++) {
    if (asciiLower(load<u8>(a + <usize>i)) != asciiLower(load<u8>(b + <usize>i))) return false;
  }
  return true;
}
