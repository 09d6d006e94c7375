// TCP segments for tests that play a peer by hand: build one (RFC 9293 3.1 header, options of
// RFC 9293 3.2 and RFC 7323) inside an Ethernet + IPv4 frame with valid checksums, parse the ones a
// stack sends, and make a damaged frame's checksums valid again so it reaches the state machine.
import { ethernet, ipv4, checksum, pseudoHeaderSum, put16, put32, get16, get32, ETHERTYPE_IPV4 } from './frame-fuzz.mjs';

export const PROTO_TCP = 6;
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
const TCP_HEADER = 20;
const ETH_HEADER = 14;
const EMPTY = new Uint8Array(0);

/** The option bytes of RFC 9293 3.2 (MSS, NOP, end of list) and RFC 7323 (window scale, timestamps). */
export const OPTION = {
  mss: (mss) => [2, 4, (mss >>> 8) & 0xff, mss & 0xff],
  windowScale: (shift) => [1, 3, 3, shift],
  timestamps: (value, echo) => [1, 1, 8, 10, ...u32(value), ...u32(echo)],
  sackPermitted: () => [1, 1, 4, 2],
};

function u32(v) {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** A TCP segment with its checksum over the RFC 9293 3.1 pseudo-header. `options` is padded to 4 bytes. */
export function tcp({ src, dst, srcPort, dstPort, seq = 0, ack = 0, flags = 0, window = 65535, urgent = 0, options = [], data = EMPTY }) {
  const optionBytes = [...options];
  while (optionBytes.length % 4 !== 0) optionBytes.push(0);
  const headerLen = TCP_HEADER + optionBytes.length;
  const s = new Uint8Array(headerLen + data.length);
  put16(s, 0, srcPort);
  put16(s, 2, dstPort);
  put32(s, 4, seq >>> 0);
  put32(s, 8, ack >>> 0);
  s[12] = (headerLen / 4) << 4;
  s[13] = flags;
  put16(s, 14, window);
  put16(s, 18, urgent);
  s.set(optionBytes, TCP_HEADER);
  s.set(data, headerLen);
  put16(s, 16, checksum(s, 0, s.length, pseudoHeaderSum(src, dst, PROTO_TCP, s.length)));
  return s;
}

/** `tcp(fields)` in an IPv4 packet in an Ethernet frame from `srcMac` to `dstMac`. */
export function tcpFrame(dstMac, srcMac, fields) {
  return ethernet(dstMac, srcMac, ETHERTYPE_IPV4, ipv4(fields.src, fields.dst, PROTO_TCP, tcp(fields)));
}

/** The TCP segment in an Ethernet frame, or null when the frame carries none. */
export function parseTcpFrame(f) {
  if (f.length < ETH_HEADER + 20 || get16(f, 12) !== ETHERTYPE_IPV4 || f[ETH_HEADER + 9] !== PROTO_TCP) return null;
  const ip = ETH_HEADER;
  const ipHeader = (f[ip] & 0x0f) * 4;
  const end = Math.min(f.length, ip + get16(f, ip + 2));
  const at = ip + ipHeader;
  if (end - at < TCP_HEADER) return null;
  const headerLen = (f[at + 12] >>> 4) * 4;
  return {
    src: get32(f, ip + 12), dst: get32(f, ip + 16),
    srcPort: get16(f, at), dstPort: get16(f, at + 2),
    seq: get32(f, at + 4), ack: get32(f, at + 8), flags: f[at + 13], window: get16(f, at + 14),
    data: f.subarray(Math.min(end, at + headerLen), end),
  };
}

/**
 * Recomputes the IPv4 header checksum and the TCP checksum of a (possibly damaged) frame, as far as
 * its header fields let them be found, so the damage gets past both checks.
 */
export function fixTcpChecksums(f) {
  if (f.length < ETH_HEADER + 20 || get16(f, 12) !== ETHERTYPE_IPV4) return;
  const ip = ETH_HEADER;
  const ipHeader = (f[ip] & 0x0f) * 4;
  if (ipHeader < 20 || ip + ipHeader > f.length) return;
  put16(f, ip + 10, 0);
  put16(f, ip + 10, checksum(f, ip, ip + ipHeader));
  const end = Math.min(f.length, ip + get16(f, ip + 2));
  const at = ip + ipHeader;
  if (f[ip + 9] !== PROTO_TCP || end - at < TCP_HEADER) return;
  put16(f, at + 16, 0);
  put16(f, at + 16, checksum(f, at, end, pseudoHeaderSum(get32(f, ip + 12), get32(f, ip + 16), PROTO_TCP, end - at)));
}
