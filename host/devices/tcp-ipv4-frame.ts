// Where the fields of an Ethernet II + IPv4 + TCP frame lie (RFC 791 3.1, RFC 9293 3.1), and
// big-endian reads and writes of them: the one layout the devices that rewrite TCP frames (the
// segmentation cutter, the receive coalescer, the checksum completer) share. Offsets of IPv4
// fields are from the IPv4 header, of TCP fields from the TCP header.

import { ETHERNET_HEADER_BYTES } from './endpoint.js';

export const ETHERTYPE_OFFSET = 12;
export const ETHERTYPE_IPV4 = 0x0800;

export const IPV4_VERSION = 4;
/** Version 4, a header of 5 words: IPv4 without options. */
export const IPV4_PLAIN_VERSION_IHL = 0x45;
export const IPV4_MIN_HEADER_BYTES = 20;
export const IPV4_MAX_HEADER_BYTES = 60;
export const IPV4_TOTAL_LENGTH_OFFSET = 2;
export const IPV4_IDENT_OFFSET = 4;
export const IPV4_FLAGS_OFFSET = 6;
/** More-fragments flag and fragment offset: any of them set is a fragment. */
export const IPV4_MORE_FRAGMENTS_OR_OFFSET = 0x3fff;
export const IPV4_TTL_OFFSET = 8;
export const IPV4_PROTOCOL_OFFSET = 9;
export const IPV4_CHECKSUM_OFFSET = 10;
/** Source then destination address, 4 bytes each. */
export const IPV4_ADDRESSES_OFFSET = 12;
export const IPV4_ADDRESSES_BYTES = 8;
export const IPV4_MAX_PACKET = 0xffff;
export const IP_PROTOCOL_TCP = 6;

export const TCP_SEQ_OFFSET = 4;
export const TCP_ACK_OFFSET = 8;
/** High nibble: the header length in 32-bit words. */
export const TCP_DATA_OFFSET_OFFSET = 12;
export const TCP_FLAGS_OFFSET = 13;
export const TCP_WINDOW_OFFSET = 14;
export const TCP_CHECKSUM_OFFSET = 16;
export const TCP_MIN_HEADER_BYTES = 20;
export const TCP_MAX_HEADER_BYTES = 60;
export const TCP_FIN = 0x01;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_CWR = 0x80;

/** The most header bytes a TCP/IPv4 frame can have before its payload. */
export const MAX_HEADERS_BYTES = ETHERNET_HEADER_BYTES + IPV4_MAX_HEADER_BYTES + TCP_MAX_HEADER_BYTES;

const WORD_BYTES = 4;
const NIBBLE_MASK = 0x0f;
const NIBBLE_BITS = 4;
const BYTE_BITS = 8;
const BYTE_MASK = 0xff;
const U16_MASK = 0xffff;
const U16_BITS = 16;

/** Header length in bytes of the IPv4 header at `ip` (its IHL field). */
export function ipv4HeaderLen(bytes: Uint8Array, ip: number): number {
  return (bytes[ip]! & NIBBLE_MASK) * WORD_BYTES;
}

/** Header length in bytes of the TCP header at `tcp` (its data offset). */
export function tcpHeaderLen(bytes: Uint8Array, tcp: number): number {
  return (bytes[tcp + TCP_DATA_OFFSET_OFFSET]! >>> NIBBLE_BITS) * WORD_BYTES;
}

/** The IPv4 version field of the header at `ip`. */
export function ipVersion(bytes: Uint8Array, ip: number): number {
  return bytes[ip]! >>> NIBBLE_BITS;
}

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << BYTE_BITS) | bytes[at + 1]!;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> BYTE_BITS) & BYTE_MASK;
  bytes[at + 1] = value & BYTE_MASK;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  writeU16(bytes, at, value >>> U16_BITS);
  writeU16(bytes, at + 2, value & U16_MASK);
}
