#!/usr/bin/env node
// Frame fuzzer: random and mutated Ethernet frames through FramePorts into a running stack
// (10.0.0.2/24) with open UDP sockets (bound to the wildcard, to its address, to 127.0.0.1, one
// broadcast, one connected) and a ping always in flight, with virtual time steps between batches
// so ARP retries, give-ups, expiry and the port-unreachable rate limit all run.
//
// Mutations start from valid frames built here: ARP requests and replies for us and not for us,
// probes, ICMP echo requests and replies (some answering the ping in flight), ICMP errors quoting
// our own packets, UDP to open and closed ports and to broadcast, IP options, fragments, unknown
// protocols and EtherTypes, martian addresses, runts and oversized frames. About half are mutated
// (bit flips, field edge values, truncation, extension), and half of those get their checksums
// recomputed so that the damage reaches the layers behind the checksums. A quarter of the frames
// arrive on a link that marks them trusted (checksums not verified). With segmentation offload,
// one in twenty is instead a TCP segment of up to 64 KiB written straight into the receive ring
// and marked as one large segment (virtio gso_type TCPV4, with claimed sizes from 0 to 65,535),
// as a link between two offload stacks hands one over; a third of those are damaged too.
//
// A client socket also talks to the stack's own sockets, so looped-back frames are in the mix.
//
// After every batch the campaign checks that the stack never trapped and that its counters account
// for every frame: each frame the ports sent was refused by the NIC (rxNoBuffer, rxOversize), or
// (with segmentation offload's 64 KiB buffers) dropped as longer than the MTU (rxDropOversize), or
// reached the core (rxFrames, which also counts frames the stack looped back to itself), and every
// frame that reached the core is counted exactly once, as accepted or under one drop reason
// (ACCEPTED and DROPPED below). At the end every socket is closed and the heap, the memory size
// and the socket table must be back where they were, and the stack must still answer a ping.
//
//   node tests/fuzz/frame-fuzz.mjs [frames] [seed|random] [offload]   (the long campaign:
//   20,000,000 frames by default; `offload`: into a stack with segmentation offload, some frames
//   marked as large TCP segments; prints JSON, exits 1 on any problem and writes the failing
//   batch's frames to frame-fuzz-failure-<seed>.txt)
import { Stack, MemoryLink, VirtualClock, FramePort, parseIpv4 } from 'wasmnet';
import { rng } from './wire-fuzz.mjs';
import { tcpFrame, fixTcpChecksums, ACK, PSH, FIN, SYN, RST } from './tcp-segments.mjs';

// ---- addresses --------------------------------------------------------------------------------------

export const STACK_CIDR = '10.0.0.2/24';
export const OUR_IP = ip('10.0.0.2');
export const PEER_IP = ip('10.0.0.1');
export const PEER_MAC = [0x02, 0xfe, 0x00, 0x00, 0x00, 0x01];
const SUBNET = ip('10.0.0.0');
const DIRECTED_BROADCAST = ip('10.0.0.255');
const LIMITED_BROADCAST = 0xffffffff;
const LOOPBACK = ip('127.0.0.1');
const OFF_SUBNET = ip('192.168.7.9');
const BROADCAST_MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** Ports of the sockets the campaign opens, and where the connected one is connected to. */
export const PORTS = { wildcard: 7, ownAddress: 53, localhost: 631, broadcast: 67, peer: 4000, localClient: 1111 };
/** Marks the datagrams the stack sends to itself (over its software loopback). */
const LOCAL_MARK = 'from this host';

function ip(text) {
  return parseIpv4(text);
}

function macBytes(text) {
  return text.split(':').map((h) => parseInt(h, 16));
}

// ---- frame building (RFC 826, RFC 791, RFC 792, RFC 768) -------------------------------------------

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const PROTO_ICMP = 1;
export const PROTO_UDP = 17;
const ETH_HEADER = 14;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const ICMP_HEADER = 8;
const ETH_MIN_FRAME = 60;

/** RFC 1071 one's complement sum of bytes[start, end) folded to 16 bits, added to `initial`. */
function onesSum(bytes, start, end, initial = 0) {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function checksum(bytes, start, end, initial = 0) {
  return ~onesSum(bytes, start, end, initial) & 0xffff;
}

export function put16(b, at, v) { b[at] = (v >>> 8) & 0xff; b[at + 1] = v & 0xff; }
export function put32(b, at, v) { put16(b, at, v >>> 16); put16(b, at + 2, v & 0xffff); }
export function get16(b, at) { return (b[at] << 8) | b[at + 1]; }
export function get32(b, at) { return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0; }

export function ethernet(dst, src, type, payload, { pad = true } = {}) {
  const len = ETH_HEADER + payload.length;
  const f = new Uint8Array(pad ? Math.max(len, ETH_MIN_FRAME) : len);
  f.set(dst, 0);
  f.set(src, 6);
  put16(f, 12, type);
  f.set(payload, ETH_HEADER);
  return f;
}

export function arp(op, senderMac, senderIp, targetMac, targetIp) {
  const p = new Uint8Array(28);
  put16(p, 0, 1); // hardware: Ethernet
  put16(p, 2, ETHERTYPE_IPV4);
  p[4] = 6;
  p[5] = 4;
  put16(p, 6, op);
  p.set(senderMac, 8);
  put32(p, 14, senderIp);
  p.set(targetMac, 18);
  put32(p, 24, targetIp);
  return p;
}

/** An IPv4 packet with a correct header checksum. `options` must be a multiple of 4 bytes. */
export function ipv4(src, dst, protocol, payload, { ttl = 64, options = [], flags = 0x4000, ident = 0, tos = 0 } = {}) {
  const headerLen = IPV4_HEADER + options.length;
  const p = new Uint8Array(headerLen + payload.length);
  p[0] = 0x40 | (headerLen >>> 2);
  p[1] = tos;
  put16(p, 2, p.length);
  put16(p, 4, ident);
  put16(p, 6, flags);
  p[8] = ttl;
  p[9] = protocol;
  put32(p, 12, src);
  put32(p, 16, dst);
  p.set(options, IPV4_HEADER);
  put16(p, 10, checksum(p, 0, headerLen));
  p.set(payload, headerLen);
  return p;
}

export function pseudoHeaderSum(src, dst, protocol, length) {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** A UDP datagram with its checksum (RFC 768: a computed 0 is sent as 0xffff; `noChecksum` sends 0). */
export function udp(src, dst, srcPort, dstPort, data, { noChecksum = false } = {}) {
  const d = new Uint8Array(UDP_HEADER + data.length);
  put16(d, 0, srcPort);
  put16(d, 2, dstPort);
  put16(d, 4, d.length);
  d.set(data, UDP_HEADER);
  if (!noChecksum) put16(d, 6, checksum(d, 0, d.length, pseudoHeaderSum(src, dst, PROTO_UDP, d.length)) || 0xffff);
  return d;
}

export function icmp(type, code, rest, data) {
  const m = new Uint8Array(ICMP_HEADER + data.length);
  m[0] = type;
  m[1] = code;
  put32(m, 4, rest);
  m.set(data, ICMP_HEADER);
  put16(m, 2, checksum(m, 0, m.length));
  return m;
}

/** The bytes a stack.ping request of `size` bytes with sequence `seq` carries (host/ping.ts). */
export function pingPayload(seq, size = 56) {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (i + seq) & 0xff;
  return p;
}

/**
 * Recomputes the IPv4 header checksum and the UDP or ICMP checksum of a (possibly mutated) frame,
 * as far as its header fields let them be found, so that mutations get past checksum checks.
 */
export function fixChecksums(f) {
  if (f.length < ETH_HEADER + IPV4_HEADER || get16(f, 12) !== ETHERTYPE_IPV4) return;
  const at = ETH_HEADER;
  const headerLen = (f[at] & 0x0f) * 4;
  if (headerLen < IPV4_HEADER || at + headerLen > f.length) return;
  put16(f, at + 10, 0);
  put16(f, at + 10, checksum(f, at, at + headerLen));
  const end = Math.min(f.length, at + get16(f, at + 2));
  const l4 = at + headerLen;
  if (end <= l4) return;
  const protocol = f[at + 9];
  if (protocol === PROTO_UDP && end - l4 >= UDP_HEADER) {
    const udpEnd = Math.min(end, l4 + Math.max(get16(f, l4 + 4), UDP_HEADER));
    const length = get16(f, l4 + 4);
    put16(f, l4 + 6, 0);
    const sum = checksum(f, l4, udpEnd, pseudoHeaderSum(get32(f, at + 12), get32(f, at + 16), PROTO_UDP, length));
    put16(f, l4 + 6, sum || 0xffff);
  } else if (protocol === PROTO_ICMP && end - l4 >= 4) {
    put16(f, l4 + 2, 0);
    put16(f, l4 + 2, checksum(f, l4, end));
  }
}

// ---- the corpus of valid frames --------------------------------------------------------------------

const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const ECHO_REPLY = 0;
const DEST_UNREACHABLE = 3;
const ECHO_REQUEST = 8;
const TIME_EXCEEDED = 11;
const OTHER_ICMP_TYPES = [4, 5, 9, 10, 12, 13, 14, 15, 16, 17, 18, 30, 42, 255];
const OTHER_PROTOCOLS = [0, 2, 4, 6, 41, 47, 50, 58, 132, 255];
const OTHER_ETHERTYPES = [0x86dd, 0x8100, 0x88cc, 0x8035, 0x0842, 0x05dc, 0x0000, 0xffff];
/** IP options (RFC 791 3.1): NOP, end of list, record route, timestamp, router alert (RFC 2113), junk. */
const IP_OPTIONS = [
  [1, 1, 1, 1],
  [0, 0, 0, 0],
  [7, 7, 4, 0, 0, 0, 0, 0],
  [68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  [148, 4, 0, 0],
  [1, 131, 3, 4],
  [0xff, 0xff, 0xff, 0xff],
];

/**
 * Builds the valid frames the fuzzer starts from. `ctx` says what the stack looks like right now
 * (its MAC, the ping in flight, the connected socket's port).
 */
export function corpus(ctx) {
  const r = ctx.r;
  const pick = (list) => list[r.below(list.length)];
  const randomBytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = r.below(256); return b; };
  const unicastMac = () => { const m = [...randomBytes(6)]; m[0] = (m[0] & 0xfe) | 0x02; return m; };
  const host = () => (SUBNET | (3 + r.below(250))) >>> 0;
  /** A payload size: mostly small, sometimes up to what fills the MTU. */
  const size = (max) => (r.chance(0.8) ? r.below(Math.min(max, 96) + 1) : r.below(max + 1));
  const source = () => r.chance(0.5) ? PEER_IP : r.chance(0.7) ? host() : r.chance(0.5) ? OFF_SUBNET
    : pick([0, LOOPBACK, LIMITED_BROADCAST, DIRECTED_BROADCAST, OUR_IP, ip('224.0.0.1')]);
  const ourMac = ctx.mac;
  const ethDst = () => r.chance(0.85) ? ourMac : r.chance(0.6) ? BROADCAST_MAC
    : pick([unicastMac(), [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], [0x33, 0x33, 0, 0, 0, 1]]);
  const ethSrc = (sender) => (sender === PEER_IP ? PEER_MAC : unicastMac());
  /** Wraps an IP packet: options, fragmentation and odd TTLs now and then. */
  const ipFrame = (src, dst, protocol, payload, dstMac = ethDst()) => {
    const o = { ident: r.below(0x10000) };
    if (r.chance(0.1)) {
      const options = [];
      const count = 1 + r.below(3);
      for (let i = 0; i < count && options.length <= 32; i++) options.push(...pick(IP_OPTIONS));
      o.options = options;
    }
    if (r.chance(0.08)) o.flags = pick([0x2000, 0x0001, 0x2010, 0x1fff, 0x8000, 0x0000, 0x4000 | 0x2000]);
    if (r.chance(0.05)) o.ttl = pick([0, 1, 255]);
    if (r.chance(0.05)) o.tos = r.below(256);
    return ethernet(dstMac, ethSrc(src), ETHERTYPE_IPV4, ipv4(src, dst, protocol, payload, o), { pad: r.chance(0.8) });
  };
  /** The datagram or echo an ICMP error quotes: one of ours, so the error reaches a socket. */
  const quote = () => {
    const choice = r.below(4);
    let packet;
    if (choice === 0 && ctx.connectedPort) {
      packet = ipv4(OUR_IP, PEER_IP, PROTO_UDP, udp(OUR_IP, PEER_IP, ctx.connectedPort, PORTS.peer, randomBytes(size(64))));
    } else if (choice === 1 && ctx.pingIdent) {
      packet = ipv4(OUR_IP, PEER_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, (ctx.pingIdent << 16) | ctx.pingSeq, pingPayload(ctx.pingSeq)));
    } else if (choice === 2) {
      packet = ipv4(OUR_IP, host(), PROTO_UDP, udp(OUR_IP, host(), r.below(0x10000), r.below(0x10000), randomBytes(size(32))));
    } else {
      packet = randomBytes(28 + r.below(40));
      packet[0] = 0x45;
    }
    // RFC 792 asks for the header and 8 bytes; RFC 1812 allows more.
    return r.chance(0.5) ? packet.subarray(0, Math.min(packet.length, 28)) : packet.subarray(0, Math.min(packet.length, 548));
  };
  const udpTo = (dst, dstPort, { src = source(), srcPort = 1024 + r.below(60000), dstMac } = {}) =>
    ipFrame(src, dst, PROTO_UDP, udp(src, dst, srcPort, dstPort, randomBytes(size(1472)), { noChecksum: r.chance(0.1) }), dstMac);

  return [
    // ARP (RFC 826), requests and replies, for us and not, probes (RFC 5227), gratuitous, bogus.
    [6, () => { const s = r.chance(0.3) ? PEER_IP : host(); return ethernet(r.chance(0.8) ? BROADCAST_MAC : ourMac, ethSrc(s), ETHERTYPE_ARP, arp(ARP_REQUEST, ethSrc(s), s, [0, 0, 0, 0, 0, 0], OUR_IP)); }],
    [3, () => { const s = host(); return ethernet(BROADCAST_MAC, ethSrc(s), ETHERTYPE_ARP, arp(ARP_REQUEST, ethSrc(s), s, [0, 0, 0, 0, 0, 0], host())); }],
    [5, () => ethernet(ourMac, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REPLY, r.chance(0.8) ? PEER_MAC : unicastMac(), PEER_IP, ourMac, OUR_IP))],
    [3, () => { const s = host(); const m = ethSrc(s); return ethernet(r.chance(0.5) ? ourMac : BROADCAST_MAC, m, ETHERTYPE_ARP, arp(ARP_REPLY, m, s, r.chance(0.5) ? ourMac : unicastMac(), r.chance(0.5) ? OUR_IP : host())); }],
    [1, () => ethernet(BROADCAST_MAC, unicastMac(), ETHERTYPE_ARP, arp(ARP_REQUEST, unicastMac(), 0, [0, 0, 0, 0, 0, 0], r.chance(0.7) ? OUR_IP : LOOPBACK))],
    [1, () => { const s = host(); const m = unicastMac(); return ethernet(BROADCAST_MAC, m, ETHERTYPE_ARP, arp(pick([ARP_REQUEST, ARP_REPLY]), m, s, BROADCAST_MAC, s)); }],
    [1, () => ethernet(BROADCAST_MAC, unicastMac(), ETHERTYPE_ARP, arp(ARP_REQUEST, pick([BROADCAST_MAC, [0x01, 0, 0x5e, 0, 0, 1], unicastMac()]), pick([OUR_IP, LOOPBACK, DIRECTED_BROADCAST, LIMITED_BROADCAST, 0]), [0, 0, 0, 0, 0, 0], OUR_IP))],
    // ICMP echo requests (RFC 792) to us, to broadcast, to others.
    [6, () => { const s = source(); return ipFrame(s, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, r.below(0x1_0000_0000), randomBytes(size(1472)))); }],
    [1, () => { const s = source(); return ipFrame(s, pick([DIRECTED_BROADCAST, LIMITED_BROADCAST]), PROTO_ICMP, icmp(ECHO_REQUEST, 0, r.below(0x1_0000_0000), randomBytes(size(64))), BROADCAST_MAC); }],
    [1, () => { const s = source(); return ipFrame(s, pick([host(), OFF_SUBNET, LOOPBACK, ip('127.3.2.1'), 0]), PROTO_ICMP, icmp(ECHO_REQUEST, 0, r.below(0x1_0000_0000), randomBytes(size(64)))); }],
    // Echo replies: some answer the ping in flight exactly, some carry another identifier.
    [4, () => ipFrame(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REPLY, 0, ((ctx.pingIdent ?? 0) << 16) | (r.chance(0.7) ? ctx.pingSeq : r.below(0x10000)), r.chance(0.8) ? pingPayload(ctx.pingSeq) : randomBytes(size(64))))],
    [2, () => { const s = source(); return ipFrame(s, r.chance(0.9) ? OUR_IP : DIRECTED_BROADCAST, PROTO_ICMP, icmp(ECHO_REPLY, 0, r.below(0x1_0000_0000), randomBytes(size(64)))); }],
    // ICMP errors quoting our own packets (connected UDP socket, the ping) or someone else's.
    [4, () => ipFrame(r.chance(0.5) ? PEER_IP : source(), OUR_IP, PROTO_ICMP, icmp(DEST_UNREACHABLE, r.below(16), r.chance(0.2) ? 1400 : 0, quote()))],
    [2, () => ipFrame(source(), OUR_IP, PROTO_ICMP, icmp(TIME_EXCEEDED, r.below(2), 0, quote()))],
    [2, () => ipFrame(source(), OUR_IP, PROTO_ICMP, icmp(pick(OTHER_ICMP_TYPES), r.below(4), r.below(0x1_0000_0000), randomBytes(size(64))))],
    // UDP (RFC 768) to every kind of socket, to closed ports, to broadcast, to localhost.
    [5, () => udpTo(OUR_IP, PORTS.wildcard)],
    [3, () => udpTo(OUR_IP, PORTS.ownAddress)],
    [2, () => udpTo(pick([DIRECTED_BROADCAST, LIMITED_BROADCAST]), PORTS.broadcast, { dstMac: BROADCAST_MAC })],
    [2, () => udpTo(pick([DIRECTED_BROADCAST, LIMITED_BROADCAST]), r.below(0x10000), { dstMac: BROADCAST_MAC })],
    [3, () => udpTo(OUR_IP, ctx.connectedPort ?? 1, { src: PEER_IP, srcPort: r.chance(0.8) ? PORTS.peer : r.below(0x10000) })],
    [3, () => udpTo(OUR_IP, r.chance(0.3) ? PORTS.localhost : r.below(0x10000))],
    [2, () => udpTo(pick([LOOPBACK, ip('127.0.0.2')]), pick([PORTS.localhost, PORTS.wildcard, r.below(0x10000)]))],
    [1, () => udpTo(pick([host(), OFF_SUBNET, ip('224.0.0.251')]), PORTS.wildcard)],
    // Other protocols and EtherTypes, runts, oversized frames, pure noise.
    [1, () => ipFrame(source(), OUR_IP, pick(OTHER_PROTOCOLS), randomBytes(size(200)))],
    [1, () => ethernet(ethDst(), unicastMac(), pick(OTHER_ETHERTYPES), randomBytes(size(200)))],
    [1, () => randomBytes(r.below(ETH_HEADER + 1))],
    // Oversized: past the 1514-byte frame (and longer than the datagram it starts with).
    [1, () => { const f = udpTo(OUR_IP, PORTS.wildcard); const big = new Uint8Array(Math.max(f.length, 1514) + 1 + r.below(500)); big.set(f); return big; }],
    [1, () => ipFrame(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, r.below(0x1_0000_0000), randomBytes(1472)))],
    [1, () => randomBytes(r.below(r.chance(0.5) ? 80 : 1600))],
  ];
}

const INTERESTING = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x0f, 0x10, 0x11, 0x3f, 0x40, 0x45, 0x46, 0x4f, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

/** Damages a frame: bit flips, interesting bytes, 16-bit edge values, truncation, extension. */
export function mutate(r, frame) {
  let f = frame;
  const rounds = 1 + r.below(4);
  for (let k = 0; k < rounds; k++) {
    if (f.length === 0) return f;
    // Headers are where the decisions are: aim most damage at the first 64 bytes.
    const at = r.chance(0.8) ? r.below(Math.min(f.length, 64)) : r.below(f.length);
    switch (r.below(7)) {
      case 0: f[at] ^= 1 << r.below(8); break;
      case 1: f[at] = INTERESTING[r.below(INTERESTING.length)]; break;
      case 2: f[at] = r.below(256); break;
      case 3: {
        if (at + 1 < f.length) {
          const v = [0, 1, 7, 8, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff, f.length, f.length - ETH_HEADER, f.length - ETH_HEADER + 1, f.length - ETH_HEADER - 1][r.below(14)];
          put16(f, at, v & 0xffff);
        }
        break;
      }
      case 4: f = f.slice(0, r.below(f.length + 1)); break;
      case 5: {
        const extra = 1 + r.below(r.chance(0.9) ? 32 : 1200);
        const c = new Uint8Array(f.length + extra);
        c.set(f);
        for (let i = f.length; i < c.length; i++) c[i] = r.below(256);
        f = c;
        break;
      }
      case 6: {
        // Insert bytes in the middle (shifts every field after them).
        const n = 1 + r.below(8);
        const c = new Uint8Array(f.length + n);
        c.set(f.subarray(0, at));
        for (let i = 0; i < n; i++) c[at + i] = r.below(256);
        c.set(f.subarray(at), at + n);
        f = c;
        break;
      }
    }
  }
  return f;
}

// ---- accounting -------------------------------------------------------------------------------------

/** Counters of frames the core accepted (one per frame). */
export const ACCEPTED = ['arpReceived', 'icmpEchoRequests', 'icmpEchoReplies', 'icmpErrorsReceived', 'udpDelivered',
  // Every well-formed TCP segment that reached the TCP layer (tcpDropNoSocket is a subset of it).
  'tcpSegmentsReceived'];
/**
 * Per-reason drops of received frames (one per frame). Not here: txNoRoute, which counts
 * packets the stack could not *send* (an answer to a source with no route back).
 */
export const DROPPED = [
  'ethDropMalformed', 'ethDropNotForUs', 'ethDropUnknownType', 'arpDropMalformed', 'arpDropUnsupported',
  'arpDropBadSender', 'arpAddressConflicts', 'ipDropMalformed', 'ipDropBadOptions', 'ipDropChecksum', 'ipDropNotForUs',
  'ipDropMartianSource', 'ipDropFragment', 'ipDropUnknownProtocol',
  'icmpDropMalformed', 'icmpDropUnsupportedType', 'icmpDropNoSocket', 'icmpDropQueueFull',
  'udpDropMalformed', 'udpDropChecksum', 'udpDropNoSocket', 'udpDropQueueFull',
  'tcpDropMalformed', 'tcpDropChecksum', 'tcpDropBroadcast',
];

/**
 * The two identities the counters must satisfy, from a stack's stats() and the number of frames
 * the ports sent: `{ reachedCore, accounted, sent, nicTotal }` with reachedCore === accounted and
 * sent === nicTotal.
 */
export function accounting(stats, sent) {
  let accounted = 0;
  for (const name of [...ACCEPTED, ...DROPPED]) {
    if (typeof stats[name] !== 'number') throw new Error(`stats() has no counter ${name}`);
    accounted += stats[name];
  }
  return {
    reachedCore: stats.rxFrames,
    accounted,
    sent,
    // rxDropOversize: a frame above the MTU that a stack with segmentation offload's 64 KiB
    // buffers took, dropped before it is a received frame (0 without offload).
    nicTotal: stats.rxFrames - stats.loopbackFrames + stats.rxNoBuffer + stats.rxOversize + stats.rxDropOversize,
  };
}

const hex = (f) => Buffer.from(f).toString('hex');
/** Larger than any frame the fuzzer makes, so the links never drop one. */
const LINK_MTU = 65535;
/** Far more than a batch of at most a few hundred frames can legitimately make it answer. */
const MAX_ECHOES_PER_BATCH = 2000;

// ---- large TCP segments handed over whole (segmentation offload) -----------------------------------

/** The most payload one IPv4 packet carries behind 20-byte IPv4 and TCP headers. */
const LARGEST_TCP_PAYLOAD = 0xffff - 40;
const TCP_FLAG_CHOICES = [ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN, SYN, RST, ACK | RST, 0];
/** Segment sizes a large segment may claim: ordinary ones, and the edges a broken sender could write. */
const SEGMENT_SIZES = [0, 1, 536, 1460, 8960, 0x7fff, 0xffff];

/**
 * A TCP/IPv4 frame with up to 64 KiB of payload from the peer to one of the stack's ports (open
 * UDP ports, closed ones: nothing listens for TCP here, so each should get its RST).
 */
function largeTcpFrame(r, stackMac) {
  const data = new Uint8Array(r.chance(0.2) ? r.below(1500) : r.below(LARGEST_TCP_PAYLOAD + 1));
  for (let i = 0; i < data.length; i += 1 + r.below(64)) data[i] = r.below(256);
  return tcpFrame(stackMac, PEER_MAC, {
    src: PEER_IP, dst: r.chance(0.9) ? OUR_IP : r.below(2 ** 32), srcPort: 1 + r.below(65535), dstPort: r.below(65536),
    seq: r.below(2 ** 32), ack: r.below(2 ** 32), flags: TCP_FLAG_CHOICES[r.below(TCP_FLAG_CHOICES.length)], window: r.below(65536), data,
  });
}

/**
 * Writes `f` straight into the stack's receive ring marked as one large TCP segment (virtio
 * gso_type TCPV4 with the claimed gso_size and hdr_len), as a link between two stacks with
 * segmentation offload hands one over. Returns whether the NIC took or refused it (and so counts
 * it); false when no receive buffer was free (nothing is counted then).
 */
function deliverMarked(rings, f, trusted, segmentSize, headersLen) {
  const room = rings.takeRx();
  if (room < 0) return false;
  if (f.length > room) {
    rings.refuseRx();
    return true;
  }
  rings.bytes.set(f, rings.rxOffset);
  rings.completeRx(f.length, trusted, segmentSize, headersLen);
  rings.wake();
  return true;
}

// ---- the campaign -----------------------------------------------------------------------------------

/**
 * Runs `frames` fuzzed frames into a fresh stack and returns what happened. Throws (naming the
 * batch, its frames in hex and the counters) as soon as the stack traps or the counters stop
 * adding up, so a failure can be replayed. `core`: another build of the core (Stack.create's option).
 */
export async function fuzzFrames({ frames, seed = 1, maxBatch = 160, onProgress, core, segmentationOffload = false } = {}) {
  const r = rng(seed);
  const clock = new VirtualClock();
  const stack = await Stack.create({
    ipv4: STACK_CIDR, clock, seed, core, segmentationOffload,
    limits: {
      sockets: 16, udpRxDatagrams: 4, udpRxBytes: 4096, neighbours: 8, neighbourPending: 2,
      neighbourLifetimeMs: 3000, arpRetryMs: 200, arpMaxRequests: 3, rxQueueSize: 128, txQueueSize: 128,
      portUnreachablePerSecond: 50,
    },
  });
  const baseline = { memory: stack.memory(), sockets: stack.report().sockets.length };
  // Links far wider than the stack's MTU: every frame reaches the NIC, which refuses oversized ones.
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(port, stack, { mtu: LINK_MTU });
  // Trusted frames (VIRTIO_NET_HDR_F_DATA_VALID) come through a second port whose link marks them
  // trusted; it only delivers to the stack (the stack transmits on the first link).
  const trustedPort = new FramePort({ clock });
  const receiveOnly = { clock, receive: (f, trusted) => stack.receive(f, trusted), attach() {} };
  const trustedLink = MemoryLink.connect(trustedPort, receiveOnly, { mtu: LINK_MTU, trusted: true });

  const out = { frames: 0, arpRequestsForPeer: 0, echoReplies: 0, portUnreachable: 0 };
  const answers = [];
  const stackMac = macBytes(stack.mac);
  port.onFrame = (f) => {
    out.frames++;
    // Play the peer now and then: answer ARP for 10.0.0.1 so queued packets go out.
    if (f.length >= 42 && get16(f, 12) === ETHERTYPE_ARP && get16(f, 20) === ARP_REQUEST && get32(f, 38) === PEER_IP) {
      out.arpRequestsForPeer++;
      if (r.chance(0.5)) answers.push(ethernet(stackMac, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REPLY, PEER_MAC, PEER_IP, stackMac, get32(f, 28))));
    } else if (f.length >= 42 && get16(f, 12) === ETHERTYPE_IPV4 && f[23] === PROTO_ICMP) {
      const l4 = ETH_HEADER + (f[14] & 0x0f) * 4;
      if (f[l4] === ECHO_REPLY) out.echoReplies++;
      if (f[l4] === DEST_UNREACHABLE) out.portUnreachable++;
    }
  };

  // Sockets: wildcard echo server, one on our address, one on localhost only, one for broadcast,
  // one connected to the peer, and a client that talks to the stack's own sockets (loopback).
  const got = { wildcard: 0, ownAddress: 0, localhost: 0, localhostFromWire: 0, broadcast: 0, connected: 0, errors: 0, sendErrors: 0 };
  const onError = () => { got.errors++; };
  const onSent = (error) => { if (error) got.sendErrors++; };
  // The echo service answers everything, so a datagram that makes it answer itself would loop
  // forever inside one batch: it stops answering past a bound, and the batch check reports it.
  let echoesThisBatch = 0;
  const echo = stack.dgram.createSocket('udp4', (msg, rinfo) => {
    got.wildcard++;
    if (rinfo.port !== 0 && ++echoesThisBatch <= MAX_ECHOES_PER_BATCH) echo.send(msg, rinfo.port, rinfo.address, onSent);
  });
  echo.on('error', onError).bind(PORTS.wildcard);
  const own = stack.dgram.createSocket('udp4', () => { got.ownAddress++; }).on('error', onError);
  own.bind(PORTS.ownAddress, '10.0.0.2');
  const isLocal = (msg, rinfo) => rinfo.port === PORTS.localClient && new TextDecoder().decode(msg) === LOCAL_MARK;
  const local = stack.dgram.createSocket('udp4', (msg, rinfo) => {
    if (isLocal(msg, rinfo)) got.localhost++;
    else got.localhostFromWire++;
  }).on('error', onError);
  local.bind(PORTS.localhost, '127.0.0.1');
  const broadcast = stack.dgram.createSocket('udp4', () => { got.broadcast++; }).on('error', onError);
  broadcast.bind(PORTS.broadcast, () => broadcast.setBroadcast(true));
  const connected = stack.dgram.createSocket('udp4', () => { got.connected++; }).on('error', onError);
  connected.connect(PORTS.peer, '10.0.0.1');
  const localClient = stack.dgram.createSocket('udp4').on('error', onError);
  localClient.bind(PORTS.localClient);
  const sockets = [echo, own, local, broadcast, connected, localClient];
  await clock.advanceMsAsync(0);

  const ctx = { r, mac: stackMac, connectedPort: connected.address().port, pingIdent: 0, pingSeq: 0 };
  const generators = corpus(ctx);
  const totalWeight = generators.reduce((n, [w]) => n + w, 0);
  const generate = () => {
    let x = r.below(totalWeight);
    for (const [w, make] of generators) {
      if (x < w) return make();
      x -= w;
    }
    throw new Error('unreachable');
  };

  // One ping always in flight to the peer; a new one starts when the last settles.
  const pings = { sent: 0, resolved: 0, rejected: 0, inFlight: false };
  const startPing = () => {
    pings.inFlight = true;
    pings.sent++;
    stack.ping('10.0.0.1', { timeoutMs: 2000 }).then(
      () => { pings.resolved++; pings.inFlight = false; },
      () => { pings.rejected++; pings.inFlight = false; },
    );
    const icmpSocket = stack.report().sockets.find((s) => s.kind === 'icmp');
    ctx.pingIdent = icmpSocket.local.port;
    ctx.pingSeq = (pings.sent - 1) & 0xffff;
  };

  // With segmentation offload, some frames come as a link between two offload stacks hands them
  // over: written straight into the receive ring and marked as one large TCP segment (most longer
  // than the MTU, with claimed segment sizes that may be nonsense), mutated like the rest.
  const rings = segmentationOffload ? stack.rings : undefined;
  const marked = { delivered: 0, noBuffer: 0 };

  let sent = 0;
  let batches = 0;
  let mutated = 0;
  let trusted = 0;
  while (sent < frames) {
    if (!pings.inFlight) startPing();
    if (r.chance(0.05)) connected.send(Uint8Array.of(batches & 0xff), onSent);
    if (r.chance(0.05)) localClient.send(LOCAL_MARK, PORTS.localhost, '127.0.0.1', onSent);
    if (r.chance(0.05)) localClient.send(LOCAL_MARK, PORTS.ownAddress, '10.0.0.2', onSent);
    const batch = [];
    echoesThisBatch = 0;
    for (const f of answers.splice(0)) { port.send(f); batch.push(f); }
    const n = Math.min(frames - sent, 1 + r.below(maxBatch));
    for (let i = 0; i < n; i++) {
      let f;
      if (r.chance(0.03)) {
        f = new Uint8Array(r.below(1600));
        for (let j = 0; j < f.length; j++) f[j] = r.below(256);
      } else {
        f = generate();
        if (r.chance(0.5)) {
          mutated++;
          f = mutate(r, f);
          if (r.chance(0.5)) fixChecksums(f);
        }
      }
      if (rings && r.chance(0.05)) {
        f = largeTcpFrame(r, stackMac);
        if (r.chance(0.3)) {
          f = mutate(r, f);
          if (r.chance(0.5)) fixTcpChecksums(f);
        }
        const headersLen = r.chance(0.8) ? ETH_HEADER + 40 : r.below(256);
        if (deliverMarked(rings, f, r.chance(0.5), SEGMENT_SIZES[r.below(SEGMENT_SIZES.length)], headersLen)) marked.delivered++;
        else marked.noBuffer++;
      } else if (r.chance(0.25)) { trusted++; trustedPort.send(f); } else port.send(f);
      batch.push(f);
    }
    sent += n;
    batches++;
    // Time steps: often none, sometimes past ARP retries, lifetimes and rate-limit windows.
    const step = r.chance(0.4) ? 0 : r.chance(0.8) ? r.below(250) : r.below(4000);
    await clock.advanceMsAsync(step);
    if (echoesThisBatch > MAX_ECHOES_PER_BATCH) {
      const error = new Error(`batch ${batches}: the UDP echo service answered ${echoesThisBatch} datagrams for ${batch.length} frames: it is talking to itself`);
      error.frames = batch.map(hex);
      throw error;
    }
    check(stack, port, trustedPort, batch, batches, marked.delivered);
    onProgress?.(sent);
  }

  // Let every timer run out (ARP give-ups, the last ping's timeout) with no more input.
  await clock.advanceMsAsync(10_000);
  const afterCampaign = check(stack, port, trustedPort, [], batches, marked.delivered);
  const stats = stack.stats();

  // Close every socket: the pools and the heap are back to where they were.
  for (const s of sockets) s.close();
  await clock.advanceMsAsync(0);
  const reportAfterClose = stack.report();
  const memoryAfter = stack.memory();

  // The stack still answers a ping (from the port, which plays 10.0.0.1).
  // It may have to resolve 10.0.0.1 again first; the port answers every ARP request now.
  const replies = [];
  const finalFrames = [];
  port.onFrame = (f) => {
    if (f.length >= 42 && get16(f, 12) === ETHERTYPE_ARP && get16(f, 20) === ARP_REQUEST && get32(f, 38) === PEER_IP) {
      const answer = ethernet(stackMac, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REPLY, PEER_MAC, PEER_IP, stackMac, get32(f, 28)));
      finalFrames.push(answer);
      port.send(answer);
    } else {
      replies.push(f);
    }
  };
  const request = ethernet(stackMac, PEER_MAC, ETHERTYPE_IPV4, ipv4(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x4242_0001, pingPayload(7, 32))));
  finalFrames.push(request);
  port.send(request);
  await clock.advanceMsAsync(10);
  const finalCheck = check(stack, port, trustedPort, finalFrames, batches + 1, marked.delivered);

  const result = {
    seed, frames: sent, batches, mutated, trusted, marked,
    baseline, memoryAfter, reportAfterClose, replies, afterCampaign, finalCheck,
    stats, pings, got, out, failed: stack.failed,
  };
  stack.close();
  link.close();
  trustedLink.close();
  return result;
}

/** Throws unless the stack is alive and its counters account for every frame the ports sent. */
/** `markedSent`: frames written straight into the receive ring (deliverMarked), besides the ports'. */
function check(stack, port, trustedPort, batch, batchNumber, markedSent = 0) {
  const fail = (what, extra) => {
    // The message stays short; the frames of the batch (in hex) come with the error to replay it.
    const error = new Error(`batch ${batchNumber} (${batch.length} frames): ${what}${extra ? `\n${JSON.stringify(extra)}` : ''}`);
    error.frames = batch.map(hex);
    throw error;
  };
  if (stack.failed) fail(`the stack trapped: ${stack.failed.message}`);
  const stats = stack.stats();
  const sent = port.stats().sent + trustedPort.stats().sent + markedSent;
  const a = accounting(stats, sent);
  if (a.reachedCore !== a.accounted) fail(`rxFrames ${a.reachedCore} != accepted + dropped ${a.accounted}`, stats);
  if (a.sent !== a.nicTotal) fail(`sent ${a.sent} != rxFrames - loopbackFrames + rxNoBuffer + rxOversize + rxDropOversize ${a.nicTotal}`, stats);
  return a;
}

/**
 * What is wrong with a finished campaign (empty when nothing is): the end-of-campaign conditions
 * the long campaign checks (the test asserts them one by one).
 */
export function problems(result) {
  const out = [];
  const { stats } = result;
  if (result.failed) out.push(`the stack failed: ${result.failed.message}`);
  for (const check of [result.afterCampaign, result.finalCheck]) {
    if (check.reachedCore !== check.accounted) out.push(`rxFrames ${check.reachedCore} != accepted + dropped ${check.accounted}`);
    if (check.sent !== check.nicTotal) out.push(`sent ${check.sent} != frames the NIC took or refused ${check.nicTotal}`);
  }
  if (JSON.stringify(result.memoryAfter) !== JSON.stringify(result.baseline.memory)) {
    out.push(`memory moved: ${JSON.stringify(result.baseline.memory)} -> ${JSON.stringify(result.memoryAfter)}`);
  }
  // stack.ping keeps one ICMP socket per stack; nothing else may be left.
  const left = result.reportAfterClose.sockets.filter((s) => s.kind !== 'icmp' || s.rxQueuedDatagrams !== 0);
  if (left.length > 0 || result.reportAfterClose.sockets.length > 1) out.push(`sockets left: ${JSON.stringify(result.reportAfterClose.sockets)}`);
  if (result.got.localhostFromWire !== 0) out.push(`127.0.0.1 received ${result.got.localhostFromWire} datagrams from the wire`);
  const answered = result.replies.some((f) => f.length >= 42 && f[23] === PROTO_ICMP && f[ETH_HEADER + (f[ETH_HEADER] & 0x0f) * 4] === ECHO_REPLY);
  if (!answered) out.push('the stack no longer answers a ping');
  for (const name of [...ACCEPTED, ...DROPPED]) if (!(stats[name] > 0)) out.push(`${name} never counted`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const frames = Number(process.argv[2] ?? 20_000_000);
  const seedArg = process.argv[3];
  const seed = seedArg === undefined || seedArg === 'random' ? Date.now() & 0x7fffffff : Number(seedArg);
  const segmentationOffload = process.argv[4] === 'offload';
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  let next = 1_000_000;
  let result;
  try {
    result = await fuzzFrames({
      frames, seed, segmentationOffload,
      onProgress: (n) => {
        if (n < next) return;
        next += 1_000_000;
        process.stderr.write(`${n} frames, ${seconds()} s\n`);
      },
    });
  } catch (error) {
    // Keep the frames of the failing batch, to replay them against a fixed stack.
    const file = `frame-fuzz-failure-${seed}.txt`;
    if (error.frames) (await import('node:fs')).writeFileSync(file, `${error.message}\n${error.frames.join('\n')}\n`);
    console.error(`seed ${seed}: ${error.message}${error.frames ? `\nframes of the batch in ${file}` : ''}`);
    process.exit(1);
  }
  const { replies, reportAfterClose, stats, baseline, memoryAfter, ...rest } = result;
  const found = problems(result);
  console.log(JSON.stringify({ ...rest, seconds: Number(seconds()), problems: found, stats }, null, 1));
  process.exit(found.length > 0 ? 1 : 0);
}
