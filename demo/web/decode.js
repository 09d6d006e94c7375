// One Ethernet frame as a packet-list row (source, destination, protocol, info), the way a
// capture viewer summarises it. Reads only what the frame holds: a short or odd frame is shown as
// such, never an exception.

const ETHERNET_HEADER_BYTES = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const IP_PROTOCOL_ICMP = 1;
const IP_PROTOCOL_TCP = 6;
const IP_PROTOCOL_UDP = 17;
const IPV4_MIN_HEADER_BYTES = 20;
const TCP_MIN_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
const ARP_BYTES = 28;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const ICMP_ECHO_REPLY = 0;
const ICMP_UNREACHABLE = 3;
const ICMP_ECHO_REQUEST = 8;
/** RFC 9293 3.1: the control bits, lowest first, as capture tools name them. */
const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

const ipv4 = (b, at) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const mac = (b, at) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
const u16 = (b, at) => (b[at] << 8) | b[at + 1];
const u32 = (b, at) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/**
 * @param {Uint8Array} frame the captured bytes (may be cut at the snap length)
 * @param {number} wireBytes the frame's length on the wire
 */
export function decodeFrame(frame, wireBytes = frame.length) {
  if (frame.length < ETHERNET_HEADER_BYTES) return { source: '?', destination: '?', protocol: 'short', info: `${frame.length} bytes` };
  const type = u16(frame, 12);
  const row = { source: mac(frame, 6), destination: mac(frame, 0), protocol: `0x${type.toString(16)}`, info: `${wireBytes} bytes` };
  const l3 = frame.subarray(ETHERNET_HEADER_BYTES);
  if (type === ETHERTYPE_ARP && l3.length >= ARP_BYTES) return { ...row, protocol: 'ARP', ...decodeArp(l3) };
  if (type === ETHERTYPE_IPV4 && l3.length >= IPV4_MIN_HEADER_BYTES) return decodeIpv4(l3, row);
  return row;
}

function decodeArp(b) {
  const op = u16(b, 6);
  if (op === ARP_REQUEST) return { info: `Who has ${ipv4(b, 24)}? Tell ${ipv4(b, 14)}` };
  if (op === ARP_REPLY) return { info: `${ipv4(b, 14)} is at ${mac(b, 8)}` };
  return { info: `ARP op ${op}` };
}

function decodeIpv4(b, row) {
  const headerBytes = (b[0] & 0x0f) * 4;
  const totalBytes = u16(b, 2);
  const protocol = b[9];
  const out = { ...row, source: ipv4(b, 12), destination: ipv4(b, 16), protocol: `IPv4/${protocol}` };
  const l4 = b.subarray(headerBytes);
  const payloadBytes = totalBytes - headerBytes;
  if (protocol === IP_PROTOCOL_TCP && l4.length >= TCP_MIN_HEADER_BYTES) {
    const dataOffset = (l4[12] >> 4) * 4;
    const flags = TCP_FLAG_NAMES.filter((_, bit) => l4[13] & (1 << bit)).join(', ');
    const info = `${u16(l4, 0)} → ${u16(l4, 2)} [${flags}] Seq=${u32(l4, 4)}${l4[13] & 0x10 ? ` Ack=${u32(l4, 8)}` : ''} ` +
      `Win=${u16(l4, 14)} Len=${Math.max(0, payloadBytes - dataOffset)}`;
    return { ...out, protocol: 'TCP', info };
  }
  if (protocol === IP_PROTOCOL_UDP && l4.length >= UDP_HEADER_BYTES) {
    return { ...out, protocol: 'UDP', info: `${u16(l4, 0)} → ${u16(l4, 2)} Len=${u16(l4, 4) - UDP_HEADER_BYTES}` };
  }
  if (protocol === IP_PROTOCOL_ICMP && l4.length >= 4) {
    const kind = { [ICMP_ECHO_REQUEST]: 'Echo request', [ICMP_ECHO_REPLY]: 'Echo reply', [ICMP_UNREACHABLE]: 'Destination unreachable' }[l4[0]];
    return { ...out, protocol: 'ICMP', info: kind ?? `type ${l4[0]} code ${l4[1]}` };
  }
  return out;
}
