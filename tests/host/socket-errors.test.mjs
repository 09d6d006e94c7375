// Faults of issue 6 that a user meets through the socket API: which ICMP errors reach a UDP socket
// (fault 1, Linux's icmp_err_convert), pings to our own address with the loopback ring full
// (fault 3), ICMP errors charged to the ping they quote (fault 4), events that cannot be lost to a
// small event ring, the whole RFC 6056 ephemeral range, seeded and unseeded secrets, and what
// stack.close() leaves in report() (fault 13). Stacks run on a VirtualClock; frames a peer would
// send are crafted by hand and injected through a FramePort. Every wait is a clock advance followed
// by a look at what settled, so a missing behaviour fails an assertion instead of hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, FramePort } from 'wasmnet';
import { collectingUncaught } from './support/uncaught.mjs';

const MS = 1000;
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;
const EPHEMERAL_COUNT = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_UDP = 17;
const IPPROTO_TCP = 6;
const ETHERNET_HEADER = 14;
const ETHERNET_MIN_FRAME = 60;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const ICMP_HEADER = 8;
const DEFAULT_TTL = 64;

// ICMP types and destination-unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1).
const ICMP_ECHO_REPLY = 0;
const ICMP_DEST_UNREACH = 3;
const ICMP_ECHO_REQUEST = 8;
const ICMP_TIME_EXCEEDED = 11;
const UNREACH = {
  NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAG_NEEDED: 4, SR_FAILED: 5, NET_UNKNOWN: 6,
  HOST_UNKNOWN: 7, HOST_ISOLATED: 8, NET_ANO: 9, HOST_ANO: 10, NET_UNR_TOS: 11, HOST_UNR_TOS: 12,
  PKT_FILTERED: 13, PREC_VIOLATION: 14, PREC_CUTOFF: 15,
};
const TTL_EXCEEDED_IN_TRANSIT = 0;
const FRAGMENT_REASSEMBLY_TIME_EXCEEDED = 1;
/** Next-hop MTU a router reports with "fragmentation needed" (RFC 1191 section 4). */
const REPORTED_NEXT_HOP_MTU = 1400;

const LOCAL = '10.0.0.1';
const PEER = '10.0.0.2';
const PEER_PORT = 9;

// ---- frames -------------------------------------------------------------------------------------

const macBytes = (text) => Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
const ipBytes = (text) => Uint8Array.from(text.split('.'), Number);
const ipText = (f, at) => Array.from(f.subarray(at, at + 4)).join('.');
const macText = (f, at) => Array.from(f.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
const encode = (text) => new TextEncoder().encode(text);
const decode = (bytes) => new TextDecoder().decode(bytes);

/** RFC 1071 one's complement sum. */
function internetChecksum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 packet (no options) with a correct header checksum. */
function ipv4Packet({ src, dst, protocol, payload, ttl = DEFAULT_TTL }) {
  const p = new Uint8Array(IPV4_HEADER + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  p[8] = ttl;
  p[9] = protocol;
  p.set(ipBytes(src), 12);
  p.set(ipBytes(dst), 16);
  v.setUint16(10, internetChecksum(p.subarray(0, IPV4_HEADER)));
  p.set(payload, IPV4_HEADER);
  return p;
}

/** An Ethernet frame, padded to the Ethernet minimum. */
function ethernet({ dst, src, type, payload }) {
  const f = new Uint8Array(Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER + payload.length));
  f.set(macBytes(dst), 0);
  f.set(macBytes(src), 6);
  new DataView(f.buffer).setUint16(12, type);
  f.set(payload, ETHERNET_HEADER);
  return f;
}

/** A UDP datagram (with its RFC 768 checksum) inside an IPv4 packet. */
function udpPacket({ src, dst, srcPort, dstPort, payload }) {
  const data = typeof payload === 'string' ? encode(payload) : payload;
  const udp = new Uint8Array(UDP_HEADER + data.length);
  const v = new DataView(udp.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, udp.length);
  udp.set(data, UDP_HEADER);
  const pseudo = new Uint8Array(12 + udp.length);
  pseudo.set(ipBytes(src), 0);
  pseudo.set(ipBytes(dst), 4);
  pseudo[9] = IPPROTO_UDP;
  new DataView(pseudo.buffer).setUint16(10, udp.length);
  pseudo.set(udp, 12);
  v.setUint16(6, internetChecksum(pseudo) || 0xffff);
  return ipv4Packet({ src, dst, protocol: IPPROTO_UDP, payload: udp });
}

/** An ICMP message (type, code, 4 bytes `rest`, body) with its checksum. */
function icmpMessage({ type, code, rest = new Uint8Array(4), body }) {
  const m = new Uint8Array(ICMP_HEADER + body.length);
  m[0] = type;
  m[1] = code;
  m.set(rest, 4);
  m.set(body, ICMP_HEADER);
  new DataView(m.buffer).setUint16(2, internetChecksum(m));
  return m;
}

/**
 * An ICMP error about `original` (an IPv4 packet we sent): it quotes the original IP header and the
 * first 8 bytes of its payload, the minimum RFC 792 requires and what many routers send.
 */
function icmpError({ type, code, original, from = PEER, to = LOCAL, nextHopMtu = 0 }) {
  const headerLen = (original[0] & 0x0f) * 4;
  const quote = original.slice(0, headerLen + 8);
  const rest = new Uint8Array(4);
  new DataView(rest.buffer).setUint16(2, nextHopMtu);
  return ipv4Packet({ src: from, dst: to, protocol: IPPROTO_ICMP, payload: icmpMessage({ type, code, rest, body: quote }) });
}

/** An echo reply answering `request` (an IPv4 packet carrying an echo request). */
function echoReplyTo(request) {
  const icmp = request.subarray(IPV4_HEADER);
  return ipv4Packet({
    src: ipText(request, 16), dst: ipText(request, 12), protocol: IPPROTO_ICMP,
    payload: icmpMessage({ type: ICMP_ECHO_REPLY, code: 0, rest: icmp.slice(4, 8), body: icmp.slice(ICMP_HEADER) }),
  });
}

/** A copy of echo request `request` with its identifier, sequence or destination changed. */
function alteredEchoRequest(request, { identDelta = 0, seqDelta = 0, dst }) {
  const icmp = request.slice(IPV4_HEADER);
  const v = new DataView(icmp.buffer);
  v.setUint16(4, (v.getUint16(4) + identDelta) & 0xffff);
  v.setUint16(6, (v.getUint16(6) + seqDelta) & 0xffff);
  v.setUint16(2, 0);
  v.setUint16(2, internetChecksum(icmp));
  return ipv4Packet({ src: ipText(request, 12), dst: dst ?? ipText(request, 16), protocol: IPPROTO_ICMP, payload: icmp });
}

/** The IPv4 packet of an Ethernet frame, or null. */
function ipOf(frame) {
  if (new DataView(frame.buffer, frame.byteOffset).getUint16(12) !== ETHERTYPE_IPV4) return null;
  const total = new DataView(frame.buffer, frame.byteOffset).getUint16(ETHERNET_HEADER + 2);
  return frame.slice(ETHERNET_HEADER, ETHERNET_HEADER + total);
}

// ---- set-ups ------------------------------------------------------------------------------------

/** The MAC the fake network behind the port gives IPv4 address `ip`. */
const peerMac = (ip) => `02:bb:00:00:00:${(Number(ip.split('.')[3]) & 0xff).toString(16).padStart(2, '0')}`;

/**
 * Stack 10.0.0.1/24 on a link to a FramePort playing the rest of the network: it answers ARP for
 * every address except those in `silent` (none answers when `silent` is true), and keeps every IPv4
 * packet the stack sends. `inject(packet)` puts an IPv4 packet from the network on the link.
 */
async function stackOnPort(t, { limits, silent = [], seed = 5 } = {}) {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock, seed, limits });
  const port = new FramePort({ clock });
  const sent = [];
  port.onFrame = (frame) => {
    const ip = ipOf(frame);
    if (ip) { sent.push(ip); return; }
    const v = new DataView(frame.buffer, frame.byteOffset);
    if (v.getUint16(12) !== ETHERTYPE_ARP || v.getUint16(20) !== ARP_REQUEST) return;
    const target = ipText(frame, 38);
    if (silent === true || silent.includes(target)) return;
    const asker = macText(frame, 22);
    const arp = new Uint8Array(28);
    const a = new DataView(arp.buffer);
    a.setUint16(0, 1);
    a.setUint16(2, ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    a.setUint16(6, ARP_REPLY);
    arp.set(macBytes(peerMac(target)), 8);
    arp.set(ipBytes(target), 14);
    arp.set(macBytes(asker), 18);
    arp.set(frame.subarray(28, 32), 24);
    port.send(ethernet({ dst: asker, src: peerMac(target), type: ETHERTYPE_ARP, payload: arp }));
  };
  const link = MemoryLink.connect(stack, port);
  t.after(() => { stack.close(); link.close(); port.close(); });
  const inject = (packet) => {
    assert.ok(port.send(ethernet({ dst: stack.mac, src: peerMac(ipText(packet, 12)), type: ETHERTYPE_IPV4, payload: packet })));
  };
  return { clock, stack, port, sent, inject };
}

/** The last UDP packet the stack sent from local port `port`. */
function lastUdpFrom(sent, port) {
  const found = sent.findLast((p) => p[9] === IPPROTO_UDP && new DataView(p.buffer, p.byteOffset).getUint16(IPV4_HEADER) === port);
  assert.ok(found, `the stack sent a UDP datagram from port ${port}`);
  return found;
}

/** Every echo request the stack sent to `dst`, oldest first. */
const echoRequestsTo = (sent, dst) => sent.filter((p) => p[9] === IPPROTO_ICMP && p[IPV4_HEADER] === ICMP_ECHO_REQUEST && ipText(p, 16) === dst);

/** Starts a ping and returns an object that says how (and when) it settled, once it has. */
function track(clock, promise) {
  const outcome = { settled: false };
  promise.then(
    (result) => Object.assign(outcome, { settled: true, result, at: clock.now() }),
    (error) => Object.assign(outcome, { settled: true, error, code: error?.code, at: clock.now() }),
  );
  return outcome;
}

/**
 * A connected UDP socket: connect(PEER_PORT, peer), one datagram sent (so the ICMP errors quote
 * something it really sent), every 'message' and 'error' recorded.
 */
async function connectedSocket(env, { withErrorListener = true, peer = PEER, peerPort = PEER_PORT } = {}) {
  const socket = env.stack.dgram.createSocket('udp4');
  const messages = [];
  const errors = [];
  socket.on('message', (m, rinfo) => messages.push({ text: decode(m), from: `${rinfo.address}:${rinfo.port}` }));
  if (withErrorListener) socket.on('error', (e) => errors.push(e));
  let connected = false;
  socket.connect(peerPort, peer, () => { connected = true; });
  await env.clock.advanceMsAsync(1);
  assert.ok(connected, 'connected');
  socket.send('probe');
  await env.clock.advanceMsAsync(10);
  const localPort = socket.address().port;
  return { socket, messages, errors, localPort, probe: lastUdpFrom(env.sent, localPort) };
}


// ---- fault 1: which ICMP errors reach a connected UDP socket --------------------------------------

/** ICMP errors Linux's icmp_err_convert marks non-fatal: counted, never reported to a UDP socket. */
const SOFT_ERRORS = [
  { name: 'time exceeded (TTL)', type: ICMP_TIME_EXCEEDED, code: TTL_EXCEEDED_IN_TRANSIT },
  { name: 'time exceeded (reassembly)', type: ICMP_TIME_EXCEEDED, code: FRAGMENT_REASSEMBLY_TIME_EXCEEDED },
  { name: 'net unreachable (0)', type: ICMP_DEST_UNREACH, code: UNREACH.NET },
  { name: 'host unreachable (1)', type: ICMP_DEST_UNREACH, code: UNREACH.HOST },
  { name: 'fragmentation needed (4)', type: ICMP_DEST_UNREACH, code: UNREACH.FRAG_NEEDED, nextHopMtu: REPORTED_NEXT_HOP_MTU },
  { name: 'source route failed (5)', type: ICMP_DEST_UNREACH, code: UNREACH.SR_FAILED },
  { name: 'net unreachable for TOS (11)', type: ICMP_DEST_UNREACH, code: UNREACH.NET_UNR_TOS },
  { name: 'host unreachable for TOS (12)', type: ICMP_DEST_UNREACH, code: UNREACH.HOST_UNR_TOS },
];

/** Destination-unreachable codes Linux treats as fatal, with the errno it reports for each. */
const HARD_ERRORS = [
  { code: UNREACH.PROTOCOL, errno: 'ENOPROTOOPT' },
  { code: UNREACH.PORT, errno: 'ECONNREFUSED' },
  { code: UNREACH.NET_UNKNOWN, errno: 'ENETUNREACH' },
  { code: UNREACH.HOST_UNKNOWN, errno: 'EHOSTDOWN' },
  { code: UNREACH.HOST_ISOLATED, errno: 'ENONET' },
  { code: UNREACH.NET_ANO, errno: 'ENETUNREACH' },
  { code: UNREACH.HOST_ANO, errno: 'EHOSTUNREACH' },
  { code: UNREACH.PKT_FILTERED, errno: 'EHOSTUNREACH' },
  { code: UNREACH.PREC_VIOLATION, errno: 'EHOSTUNREACH' },
  { code: UNREACH.PREC_CUTOFF, errno: 'EHOSTUNREACH' },
];

/** Sends each soft error at the socket, then a datagram from the peer; checks what the user sees. */
async function softErrorsLeaveSocketAlone(t, withErrorListener, uncaught = []) {
  const env = await stackOnPort(t);
  const s = await connectedSocket(env, { withErrorListener });
  const ignoredBefore = env.stack.stats().icmpErrorsIgnored;
  for (const [n, soft] of SOFT_ERRORS.entries()) {
    env.inject(icmpError({ type: soft.type, code: soft.code, original: s.probe, nextHopMtu: soft.nextHopMtu ?? 0 }));
    await env.clock.advanceMsAsync(1);
    const text = `after ${soft.name}`;
    env.inject(udpPacket({ src: PEER, dst: LOCAL, srcPort: PEER_PORT, dstPort: s.localPort, payload: text }));
    await env.clock.advanceMsAsync(1);
    assert.deepEqual(s.errors.map((e) => e.code), [], `${soft.name}: no 'error' on the socket`);
    assert.deepEqual(uncaught.map((e) => e?.code ?? String(e)), [], `${soft.name}: nothing thrown at the process`);
    assert.deepEqual(s.messages.at(-1), { text, from: `${PEER}:${PEER_PORT}` }, `${soft.name}: the socket still receives`);
    const ignored = env.stack.stats().icmpErrorsIgnored;
    assert.equal(typeof ignored, 'number', 'stats() has icmpErrorsIgnored');
    assert.equal(ignored - ignoredBefore, n + 1, `${soft.name}: counted as ignored`);
  }
  // And it still sends.
  s.socket.send('still here');
  await env.clock.advanceMsAsync(1);
  assert.equal(decode(lastUdpFrom(env.sent, s.localPort).subarray(IPV4_HEADER + UDP_HEADER)), 'still here');
  s.socket.close();
}

test('fault 1: soft ICMP errors (time exceeded, net/host unreachable, frag needed...) at a connected UDP socket with an error listener: no error, socket keeps working, counted in icmpErrorsIgnored', async (t) => {
  await softErrorsLeaveSocketAlone(t, true);
});

test('fault 1: soft ICMP errors at a connected UDP socket with NO error listener: nothing thrown (the process would die), socket keeps working, counted', async (t) => {
  await collectingUncaught((uncaught) => softErrorsLeaveSocketAlone(t, false, uncaught));
});

test('fault 1: hard ICMP errors reach a connected UDP socket as Linux maps them (port 3 ECONNREFUSED, protocol 2 ENOPROTOOPT, codes 6-10 and 13-15)', async (t) => {
  const env = await stackOnPort(t);
  const s = await connectedSocket(env);
  for (const hard of HARD_ERRORS) {
    const before = s.errors.length;
    env.inject(icmpError({ type: ICMP_DEST_UNREACH, code: hard.code, original: s.probe }));
    await env.clock.advanceMsAsync(1);
    assert.deepEqual(s.errors.slice(before).map((e) => e.code), [hard.errno], `code ${hard.code}: one 'error' ${hard.errno}`);
  }
  // A hard error is reported, not a reason to stop receiving (as on Linux, the socket stays open).
  env.inject(udpPacket({ src: PEER, dst: LOCAL, srcPort: PEER_PORT, dstPort: s.localPort, payload: 'after hard errors' }));
  await env.clock.advanceMsAsync(1);
  assert.equal(s.messages.at(-1)?.text, 'after hard errors');
  s.socket.close();
});

test('fault 1: an unconnected UDP socket never gets an error from ICMP, hard or soft', async (t) => {
  const env = await stackOnPort(t);
  const socket = env.stack.dgram.createSocket('udp4');
  const errors = [];
  const messages = [];
  socket.on('error', (e) => errors.push(e.code));
  socket.on('message', (m) => messages.push(decode(m)));
  socket.send('probe', PEER_PORT, PEER);
  await env.clock.advanceMsAsync(10);
  const localPort = socket.address().port;
  const probe = lastUdpFrom(env.sent, localPort);
  const all = [...SOFT_ERRORS, ...HARD_ERRORS.map((h) => ({ type: ICMP_DEST_UNREACH, code: h.code }))];
  for (const e of all) env.inject(icmpError({ type: e.type, code: e.code, original: probe, nextHopMtu: e.nextHopMtu ?? 0 }));
  await env.clock.advanceMsAsync(10);
  assert.deepEqual(errors, []);
  env.inject(udpPacket({ src: PEER, dst: LOCAL, srcPort: PEER_PORT, dstPort: localPort, payload: 'reply' }));
  await env.clock.advanceMsAsync(1);
  assert.deepEqual(messages, ['reply']);
  socket.close();
});

// ---- fault 3: pings to our own address with the loopback ring full --------------------------------

async function pingSelf(t, count, limits) {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock, seed: 3, limits });
  t.after(() => stack.close());
  const pings = Array.from({ length: count }, (_, n) => track(clock, stack.ping(LOCAL, { size: n })));
  await clock.advanceMsAsync(2000); // past the default 1000 ms timeout: every ping has settled
  return pings;
}

function assertAllReplied(pings) {
  const failures = pings.flatMap((p, n) => (p.error ? [`ping ${n}: ${p.code ?? p.error.message}`] : []));
  assert.deepEqual(failures, [], 'no ping failed');
  assert.ok(pings.every((p) => p.settled), 'every ping settled');
  assert.deepEqual(pings.map((p) => p.result.bytes), pings.map((_, n) => n), 'each got its own reply');
  assert.deepEqual(pings.map((p) => p.result.address), pings.map(() => LOCAL));
}

test('fault 3: 64 concurrent pings to our own address all get their reply (the looped answers are not dropped)', async (t) => {
  assertAllReplied(await pingSelf(t, 64));
});

test('fault 3: with loopbackFrames: 1, several concurrent pings to self all succeed; the ones beyond the ring wait in line (no ENOBUFS)', async (t) => {
  assertAllReplied(await pingSelf(t, 5, { loopbackFrames: 1 }));
});

test('fault 3: with loopbackFrames: 1, one ping to self at a time succeeds, again and again', async (t) => {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock, seed: 3, limits: { loopbackFrames: 1 } });
  t.after(() => stack.close());
  for (let n = 0; n < 3; n++) {
    const p = track(clock, stack.ping(LOCAL, { size: n }));
    await clock.advanceMsAsync(2000);
    assert.equal(p.code, undefined, `ping ${n} did not fail`);
    assert.equal(p.result?.bytes, n, `ping ${n} got its reply`);
  }
});

// ---- fault 4: an ICMP error fails only the ping it quotes -----------------------------------------

const PING_TIMEOUT_MS = 5000;

test('fault 4: two pings to different destinations; an error quoting the second fails only the second, the first gets its reply', async (t) => {
  const env = await stackOnPort(t);
  const first = track(env.clock, env.stack.ping('10.0.0.2', { timeoutMs: PING_TIMEOUT_MS }));
  const second = track(env.clock, env.stack.ping('10.0.0.3', { timeoutMs: PING_TIMEOUT_MS }));
  await env.clock.advanceMsAsync(10);
  const [request1] = echoRequestsTo(env.sent, '10.0.0.2');
  const [request2] = echoRequestsTo(env.sent, '10.0.0.3');
  assert.ok(request1 && request2, 'both echo requests went out');
  env.inject(icmpError({ type: ICMP_DEST_UNREACH, code: UNREACH.HOST, original: request2, from: '10.0.0.254' }));
  await env.clock.advanceMsAsync(10);
  assert.equal(second.code, 'EHOSTUNREACH', 'the quoted ping failed');
  assert.equal(first.settled, false, 'the other ping still waits');
  env.inject(echoReplyTo(request1));
  await env.clock.advanceMsAsync(10);
  assert.equal(first.code, undefined, 'the first ping did not fail');
  assert.equal(first.result?.address, '10.0.0.2');
});

test('fault 4: two pings to the same destination; an error quoting the second sequence fails only that one', async (t) => {
  const env = await stackOnPort(t);
  const first = track(env.clock, env.stack.ping(PEER, { timeoutMs: PING_TIMEOUT_MS }));
  const second = track(env.clock, env.stack.ping(PEER, { timeoutMs: PING_TIMEOUT_MS }));
  await env.clock.advanceMsAsync(10);
  const [request1, request2] = echoRequestsTo(env.sent, PEER);
  assert.ok(request1 && request2, 'both echo requests went out');
  env.inject(icmpError({ type: ICMP_DEST_UNREACH, code: UNREACH.HOST, original: request2, from: '10.0.0.254' }));
  await env.clock.advanceMsAsync(10);
  assert.equal(second.code, 'EHOSTUNREACH', 'the quoted ping failed');
  assert.equal(first.settled, false, 'the older ping still waits');
  env.inject(echoReplyTo(request1));
  await env.clock.advanceMsAsync(10);
  assert.equal(first.code, undefined, 'the first ping did not fail');
  assert.equal(first.result?.seq, new DataView(request1.buffer).getUint16(IPV4_HEADER + 6));
});

test('fault 4: forged errors quoting a wrong identifier, a wrong sequence or a wrong destination fail no ping', async (t) => {
  const env = await stackOnPort(t);
  const ping = track(env.clock, env.stack.ping(PEER, { timeoutMs: PING_TIMEOUT_MS }));
  await env.clock.advanceMsAsync(10);
  const [request] = echoRequestsTo(env.sent, PEER);
  assert.ok(request, 'the echo request went out');
  const forgeries = {
    'wrong identifier': alteredEchoRequest(request, { identDelta: 1 }),
    'wrong sequence': alteredEchoRequest(request, { seqDelta: 1 }),
    'wrong destination': alteredEchoRequest(request, { dst: '10.0.0.4' }),
  };
  for (const [name, original] of Object.entries(forgeries)) {
    env.inject(icmpError({ type: ICMP_DEST_UNREACH, code: UNREACH.HOST, original, from: '10.0.0.254' }));
    await env.clock.advanceMsAsync(1);
    assert.equal(ping.settled, false, `an error quoting a ${name} failed the ping (${ping.code})`);
  }
  env.inject(echoReplyTo(request));
  await env.clock.advanceMsAsync(10);
  assert.equal(ping.code, undefined);
  assert.equal(ping.result?.address, PEER);
});

// ---- events cannot be lost -------------------------------------------------------------------------

const SMALL_EVENT_RING = 2;

test('events: eventRingSize 2, 8 connected UDP sockets each get a port unreachable in ONE poll: all 8 emit error ECONNREFUSED', async (t) => {
  const env = await stackOnPort(t, { limits: { eventRingSize: SMALL_EVENT_RING } });
  const sockets = [];
  for (let n = 0; n < 8; n++) sockets.push(await connectedSocket(env, { peerPort: PEER_PORT + n }));
  // All eight in one synchronous batch: the link delivers them together, the stack polls once.
  for (const s of sockets) env.inject(icmpError({ type: ICMP_DEST_UNREACH, code: UNREACH.PORT, original: s.probe }));
  await env.clock.advanceMsAsync(10);
  assert.deepEqual(sockets.map((s) => s.errors.map((e) => e.code)), sockets.map(() => ['ECONNREFUSED']));
  for (const s of sockets) s.socket.close();
});

test('events: eventRingSize 2, 8 sockets each receiving a datagram in one poll: all 8 emit message', async (t) => {
  const env = await stackOnPort(t, { limits: { eventRingSize: SMALL_EVENT_RING } });
  const FIRST_PORT = 5000;
  const got = [];
  const sockets = [];
  for (let n = 0; n < 8; n++) {
    const socket = env.stack.dgram.createSocket('udp4');
    socket.on('message', (m) => got.push(decode(m)));
    socket.bind(FIRST_PORT + n);
    sockets.push(socket);
  }
  await env.clock.advanceMsAsync(1);
  for (let n = 0; n < 8; n++) {
    env.inject(udpPacket({ src: PEER, dst: LOCAL, srcPort: PEER_PORT, dstPort: FIRST_PORT + n, payload: `to ${n}` }));
  }
  await env.clock.advanceMsAsync(10);
  assert.deepEqual(got.sort(), Array.from({ length: 8 }, (_, n) => `to ${n}`));
  for (const s of sockets) s.close();
});

test('events: eventRingSize 2, 6 pings whose ARP gives up in the same poll all reject EHOSTUNREACH at the give-up, none waits for its timeout', async (t) => {
  // ARP requests at 0, retry, 3 * retry (the interval doubles); the last waits 4 * retry more.
  const ARP_RETRY_MS = 1000;
  const ARP_MAX_REQUESTS = 3;
  let giveUpMs = 0;
  for (let n = 0; n < ARP_MAX_REQUESTS; n++) giveUpMs += ARP_RETRY_MS * 2 ** n;
  const env = await stackOnPort(t, {
    silent: true,
    limits: { eventRingSize: SMALL_EVENT_RING, arpRetryMs: ARP_RETRY_MS, arpMaxRequests: ARP_MAX_REQUESTS },
  });
  const pings = Array.from({ length: 6 }, (_, n) => track(env.clock, env.stack.ping(`10.0.0.${20 + n}`, { timeoutMs: 60_000 })));
  await env.clock.advanceToAsync(giveUpMs * MS - 1);
  assert.ok(pings.every((p) => !p.settled), 'nothing settles before the give-up');
  await env.clock.advanceToAsync(giveUpMs * MS);
  assert.deepEqual(pings.map((p) => [p.code, p.at]), pings.map(() => ['EHOSTUNREACH', giveUpMs * MS]));
  assert.equal(env.stack.stats().arpGiveUps, 6);
});

// ---- ephemeral ports (RFC 6056) ----------------------------------------------------------------------

/** Binds a socket to `port` and resolves with its port, or with the error's code. */
function bindResult(stack, port = 0) {
  const socket = stack.dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', (e) => resolve({ socket, code: e.code }));
    socket.bind(port, () => resolve({ socket, port: socket.address().port }));
  });
}

test('ephemeral ports: 16384 binds to port 0 get 16384 distinct ports in 49152..65535; the next fails EADDRINUSE; after a close, a bind gets exactly that port', async (t) => {
  const clock = new VirtualClock();
  const stack = await Stack.create({
    ipv4: `${LOCAL}/24`, clock, seed: 9,
    limits: { sockets: EPHEMERAL_COUNT + 8, udpRxBytes: 4096, udpRxDatagrams: 2 },
  });
  t.after(() => stack.close());
  const results = [];
  for (let n = 0; n < EPHEMERAL_COUNT; n++) results.push(await bindResult(stack));
  const failed = results.filter((r) => r.code !== undefined).map((r) => r.code);
  assert.deepEqual([...new Set(failed)], [], `${failed.length} binds failed`);
  const ports = results.map((r) => r.port);
  assert.equal(new Set(ports).size, EPHEMERAL_COUNT, 'all distinct');
  assert.ok(ports.every((p) => p >= EPHEMERAL_FIRST && p <= EPHEMERAL_LAST), 'all in the RFC 6056 range');
  const full = await bindResult(stack);
  assert.equal(full.code, 'EADDRINUSE', 'the range is exhausted');
  const freed = results[1234];
  freed.socket.close();
  await clock.advanceMsAsync(1);
  const again = await bindResult(stack);
  assert.equal(again.code, undefined, 'a bind succeeds after a close');
  assert.equal(again.port, freed.port, 'and gets the one free port');
});

// ---- secrets ------------------------------------------------------------------------------------------

async function firstPorts(options, count = 8) {
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock: new VirtualClock(), ...options });
  const ports = [];
  for (let n = 0; n < count; n++) ports.push((await bindResult(stack)).port);
  const mac = stack.mac;
  stack.close();
  return { ports, mac };
}

test('secrets: two stacks with the same seed choose the same ephemeral ports and MAC', async () => {
  const a = await firstPorts({ seed: 42 });
  const b = await firstPorts({ seed: 42 });
  assert.deepEqual(a.ports, b.ports);
  assert.equal(a.mac, b.mac);
});

test('secrets: two stacks without a seed choose different ephemeral ports and MACs', async () => {
  const a = await firstPorts({});
  const b = await firstPorts({});
  assert.notDeepEqual(a.ports, b.ports);
  assert.notEqual(a.mac, b.mac);
});

test('secrets: the default MAC does not reveal the seed: seeds 1 and 2 differ in at least 3 of the 5 free bytes; locally administered unicast', async () => {
  const macs = [];
  for (const seed of [1, 2]) {
    const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock: new VirtualClock(), seed });
    macs.push(macBytes(stack.mac));
    stack.close();
  }
  for (const mac of macs) {
    assert.equal(mac[0] & 0x02, 0x02, 'locally administered (IEEE 802 U/L bit set)');
    assert.equal(mac[0] & 0x01, 0, 'unicast (I/G bit clear)');
  }
  let differing = 0;
  for (let i = 1; i < 6; i++) if (macs[0][i] !== macs[1][i]) differing++;
  assert.ok(differing >= 3, `seed 1 ${macs[0]} and seed 2 ${macs[1]} differ in only ${differing} bytes`);
});

// ---- fault 13: stack.close() releases the core's sockets -------------------------------------------

test('fault 13: after stack.close(), report() lists no core socket (or is refused)', async () => {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock, seed: 13 });
  const a = await bindResult(stack, 5000);
  const b = await bindResult(stack);
  assert.equal(a.code, undefined);
  assert.equal(b.code, undefined);
  const ping = track(clock, stack.ping(LOCAL));
  await clock.advanceMsAsync(10);
  assert.ok(ping.result, 'the ping to self worked');
  assert.ok(stack.report().sockets.length >= 2, 'the sockets show before close');
  stack.close();
  let report;
  try {
    report = stack.report();
  } catch {
    return; // refused: fine
  }
  assert.deepEqual(report.sockets, []);
});

test('fault 13: with sockets: 1, a UDP socket can still be bound after a ping (the pinger does not hold the slot forever)', async () => {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: `${LOCAL}/24`, clock, seed: 13, limits: { sockets: 1 } });
  try {
    const ping = track(clock, stack.ping(LOCAL));
    await clock.advanceMsAsync(10);
    assert.ok(ping.result, `the ping to self worked (${ping.code})`);
    const bound = await bindResult(stack);
    assert.equal(bound.code, undefined, 'the bind succeeded');
  } finally {
    stack.close();
  }
});

test('tcp: an ICMP port unreachable quoting our SYN fails connect with ECONNREFUSED; a quote of a sequence number we never sent is ignored', async (t) => {
  const env = await stackOnPort(t);
  const { clock, stack, sent, inject } = env;
  const syns = () => sent.filter((p) => p[9] === IPPROTO_TCP && (p[IPV4_HEADER + 13] & 0x02) !== 0);
  const socket = stack.net.connect(80, PEER);
  const events = [];
  socket.on('error', (e) => events.push(e.code));
  for (let i = 0; i < 5 && syns().length === 0; i++) await clock.advanceMsAsync(1);
  const syn = syns()[0];
  assert.ok(syn, 'the SYN went out');
  // A forgery: the quoted sequence number is not one we have outstanding (RFC 5927 4.1).
  const forged = syn.slice();
  const view = new DataView(forged.buffer, forged.byteOffset);
  view.setUint32(IPV4_HEADER + 4, (view.getUint32(IPV4_HEADER + 4) + 100000) >>> 0);
  const ignoredBefore = stack.stats().icmpErrorsIgnored;
  inject(icmpError({ type: 3, code: 3, original: forged }));
  await clock.advanceMsAsync(1);
  assert.equal(stack.stats().icmpErrorsIgnored, ignoredBefore + 1);
  assert.deepEqual(events, []);
  assert.equal(socket.connecting, true);
  inject(icmpError({ type: 3, code: 3, original: syn }));
  await clock.advanceMsAsync(1);
  assert.deepEqual(events, ['ECONNREFUSED']);
});
