// ARP in running stacks, under a VirtualClock so every timer is asserted to the microsecond: entry
// lifetime and re-resolution, the request backoff and give-up (RFC 1122 2.3.2.1), the packet queue
// of an unresolved neighbour (RFC 1122 2.3.2.2: the first ping is not lost, the newest packets are
// kept), least-recently-used eviction, and RFC 826's answering and merge rules checked byte by byte
// on frames crafted by hand through a FramePort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, FramePort, PcapWriter } from 'wasmnet';

const MS = 1000;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPPROTO_ICMP = 1;
const IPPROTO_UDP = 17;
const ETHERNET_MIN_FRAME = 60;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const ZERO_MAC = '00:00:00:00:00:00';
const PCAP_GLOBAL_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

// ---- frames ---------------------------------------------------------------------------------------

const macBytes = (text) => Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
const ipBytes = (text) => Uint8Array.from(text.split('.'), Number);
const macText = (f, at) => Array.from(f.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
const ipText = (f, at) => Array.from(f.subarray(at, at + 4)).join('.');

/** An Ethernet + ARP frame (RFC 826 layout for Ethernet/IPv4), padded to the Ethernet minimum. */
function arpFrame({ op, ethDst, ethSrc, sha, spa, tha = ZERO_MAC, tpa }) {
  const f = new Uint8Array(ETHERNET_MIN_FRAME);
  const v = new DataView(f.buffer);
  f.set(macBytes(ethDst), 0);
  f.set(macBytes(ethSrc), 6);
  v.setUint16(12, ETHERTYPE_ARP);
  v.setUint16(14, 1); // hardware type Ethernet
  v.setUint16(16, ETHERTYPE_IPV4);
  f[18] = 6;
  f[19] = 4;
  v.setUint16(20, op);
  f.set(macBytes(sha), 22);
  f.set(ipBytes(spa), 28);
  f.set(macBytes(tha), 32);
  f.set(ipBytes(tpa), 38);
  return f;
}

/** An Ethernet + IPv4 + UDP frame with correct checksums. */
function udpFrame({ ethDst, ethSrc, src, dst, srcPort, dstPort, payload }) {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const f = new Uint8Array(Math.max(ETHERNET_MIN_FRAME, 14 + 20 + 8 + data.length));
  const v = new DataView(f.buffer);
  f.set(macBytes(ethDst), 0);
  f.set(macBytes(ethSrc), 6);
  v.setUint16(12, ETHERTYPE_IPV4);
  f[14] = 0x45;
  v.setUint16(16, 20 + 8 + data.length);
  f[22] = 64;
  f[23] = IPPROTO_UDP;
  f.set(ipBytes(src), 26);
  f.set(ipBytes(dst), 30);
  v.setUint16(24, internetChecksum(f.subarray(14, 34)));
  v.setUint16(34, srcPort);
  v.setUint16(36, dstPort);
  v.setUint16(38, 8 + data.length);
  f.set(data, 42);
  const pseudo = new Uint8Array(12 + 8 + data.length);
  pseudo.set(f.subarray(26, 34), 0);
  pseudo[9] = IPPROTO_UDP;
  new DataView(pseudo.buffer).setUint16(10, 8 + data.length);
  pseudo.set(f.subarray(34, 42 + data.length), 12);
  v.setUint16(40, internetChecksum(pseudo) || 0xffff);
  return f;
}

/** RFC 1071 one's complement sum. */
function internetChecksum(bytes) {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The fields of an Ethernet frame carrying ARP, or IPv4 with ICMP or UDP. */
function parse(f) {
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const out = { bytes: f, length: f.length, dst: macText(f, 0), src: macText(f, 6), type: v.getUint16(12) };
  if (out.type === ETHERTYPE_ARP) {
    out.arp = {
      htype: v.getUint16(14), ptype: v.getUint16(16), hlen: f[18], plen: f[19], op: v.getUint16(20),
      sha: macText(f, 22), spa: ipText(f, 28), tha: macText(f, 32), tpa: ipText(f, 38),
    };
  } else if (out.type === ETHERTYPE_IPV4) {
    const ihl = (f[14] & 0x0f) * 4;
    const total = v.getUint16(16);
    const t = 14 + ihl;
    out.ip = { src: ipText(f, 26), dst: ipText(f, 30), protocol: f[23] };
    if (out.ip.protocol === IPPROTO_UDP) {
      out.udp = { srcPort: v.getUint16(t), dstPort: v.getUint16(t + 2), payload: f.slice(t + 8, 14 + total) };
    } else if (out.ip.protocol === IPPROTO_ICMP) {
      out.icmp = { type: f[t], code: f[t + 1], ident: v.getUint16(t + 4), seq: v.getUint16(t + 6), data: f.slice(t + 8, 14 + total) };
    }
  }
  return out;
}

const isArpRequest = (p) => p.arp?.op === ARP_REQUEST;

/** A pcap callback sink that keeps each record as { at (virtual microseconds), frame }. */
function pcapRecords() {
  const records = [];
  const sink = (chunk) => {
    if (chunk.length === PCAP_GLOBAL_HEADER && records.header === undefined) { records.header = chunk; return; }
    const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const at = v.getUint32(0, true) * 1e6 + v.getUint32(4, true);
    records.push({ at, ...parse(chunk.slice(PCAP_RECORD_HEADER)) });
  };
  return { records, sink };
}

// ---- set-ups --------------------------------------------------------------------------------------

/**
 * Stack a (10.0.0.1/24) on a link to a FramePort whose frames are recorded with their arrival time.
 * `neighbours` maps IPv4 address -> MAC the port answers ARP requests for (after `answerDelayMs`).
 */
async function stackOnPort(t, { limits, neighbours = {}, answerDelayMs = 0, ipv4 = '10.0.0.1/24', mac = '02:aa:00:00:00:01' } = {}) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4, mac, clock, seed: 7, limits });
  const port = new FramePort({ clock });
  const seen = [];
  const table = new Map(Object.entries(neighbours));
  port.onFrame = (frame) => {
    const p = parse(frame);
    p.at = clock.now();
    seen.push(p);
    if (!isArpRequest(p) || !table.has(p.arp.tpa)) return;
    const answer = () => {
      const hw = table.get(p.arp.tpa);
      port.send(arpFrame({ op: ARP_REPLY, ethDst: p.arp.sha, ethSrc: hw, sha: hw, spa: p.arp.tpa, tha: p.arp.sha, tpa: p.arp.spa }));
    };
    if (answerDelayMs > 0) clock.setTimer(clock.now() + answerDelayMs * MS, answer);
    else answer();
  };
  const link = MemoryLink.connect(a, port);
  // Closing the stack releases its sockets and timers even when an assertion failed midway.
  t.after(() => { a.close(); link.close(); });
  const done = () => { a.close(); link.close(); assert.equal(clock.pending, 0, 'no timer left'); };
  return { clock, a, port, seen, table, link, done };
}

/** Two stacks on a MemoryLink; a's frames (both ways) are captured by a PcapWriter tap. */
async function pairWithTap(t, { delayMs = 1, aLimits, bLimits } = {}) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: aLimits });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits: bLimits });
  const { records, sink } = pcapRecords();
  const tap = PcapWriter.tap(a, sink);
  const link = MemoryLink.connect(tap, b, { delayMs });
  t.after(async () => { a.close(); b.close(); link.close(); await tap.close(); });
  const done = async () => { a.close(); b.close(); link.close(); await tap.close(); assert.equal(clock.pending, 0, 'no timer left'); };
  return { clock, a, b, records, link, done };
}

/** Starts a ping, runs the clock to absolute time `untilMicros`, returns how it settled. */
async function pingUntil(clock, stack, host, untilMicros, options) {
  const outcome = { settled: false };
  stack.ping(host, options).then(
    (result) => Object.assign(outcome, { settled: true, result, at: clock.now() }),
    (error) => Object.assign(outcome, { settled: true, error, at: clock.now() }),
  );
  await clock.advanceToAsync(untilMicros);
  return outcome;
}

/** A dgram socket on `stack` bound to `port`, collecting what it receives with the arrival time. */
async function udpSink(stack, port) {
  const got = [];
  const s = stack.dgram.createSocket('udp4', (msg, rinfo) => got.push({ msg, rinfo, at: stack.clock.now() }));
  await new Promise((resolve) => s.bind(port, resolve));
  return { socket: s, got };
}

async function udpSender(stack, port = 5000) {
  const s = stack.dgram.createSocket('udp4');
  const errors = [];
  s.on('error', (e) => errors.push(e));
  await new Promise((resolve) => s.bind(port, resolve));
  return { socket: s, errors };
}

// ---- lifetime and re-resolution -------------------------------------------------------------------

test('ARP entry expiry: no request at lifetime - 1 ms, exactly one at and after the lifetime', async (t) => {
  const lifetimeMs = 10_000;
  // b keeps its entries longer, so b never re-ARPs a (which would refresh a's entry by merging).
  const { clock, a, b, records, done } = await pairWithTap(t, { delayMs: 1, aLimits: { neighbourLifetimeMs: lifetimeMs } });
  const requestsFromA = () => records.filter((r) => isArpRequest(r) && r.src === a.mac).map((r) => r.at);

  // t = 0: the request goes out, b answers at 1 ms, a learns b at 2 ms, the echo round trip follows.
  const first = await pingUntil(clock, a, '10.0.0.2', 100 * MS);
  assert.equal(first.result?.rttMs, 4, 'ARP (2 ms) + echo (2 ms)');
  assert.deepEqual(requestsFromA(), [0]);
  const learnedAt = records.find((r) => r.arp?.op === ARP_REPLY && r.dst === a.mac).at;
  assert.equal(learnedAt, 2 * MS);
  const expiresAt = learnedAt + lifetimeMs * MS;

  // 1 ms before the lifetime ends the entry is still used: no request, a plain 2 ms round trip.
  await clock.advanceToAsync(expiresAt - 1 * MS);
  const before = await pingUntil(clock, a, '10.0.0.2', expiresAt);
  assert.deepEqual(requestsFromA(), [0], 'no ARP request 1 ms before the lifetime ended');
  assert.equal(a.stats().arpRequestsSent, 1);

  // At exactly the lifetime (that ping's reply is still on its way): exactly one new request, sent
  // that very microsecond, and the ping waits for it instead of being lost.
  const at = await pingUntil(clock, a, '10.0.0.2', expiresAt + 100 * MS);
  assert.equal(before.result?.rttMs, 2);
  assert.equal(before.at, expiresAt + 1 * MS);
  assert.equal(at.result?.rttMs, 4, 'at the lifetime: re-resolved, and the ping still succeeds');
  assert.deepEqual(requestsFromA(), [0, expiresAt]);
  assert.equal(a.stats().arpRequestsSent, 2);

  // Long after the new lifetime ended (the entry was freed by then): again exactly one request.
  const expires2 = expiresAt + 2 * MS + lifetimeMs * MS;
  const later = expires2 + 12_345 * MS;
  await clock.advanceToAsync(expires2 - 1);
  assert.equal(a.stats().arpRequestsSent, 2, 'expiry itself sends nothing');
  await clock.advanceToAsync(later);
  const after = await pingUntil(clock, a, '10.0.0.2', later + 100 * MS);
  assert.equal(after.result?.rttMs, 4);
  assert.deepEqual(requestsFromA(), [0, expiresAt, later]);

  const s = a.stats();
  assert.equal(s.arpRequestsSent, 3);
  assert.equal(s.arpGiveUps, 0);
  assert.equal(s.arpPendingDropped, 0);
  assert.equal(b.stats().arpRequestsAnswered, 3);
  assert.equal(b.stats().arpRequestsSent, 0, 'b (60 s lifetime, refreshed by every request) never asked');
  assert.equal(b.stats().icmpEchoAnswered, 4);
  await done();
});

// ---- backoff and give-up --------------------------------------------------------------------------

test('ARP retry backoff and give-up: requests at exactly 0, 1 s, 3 s; give-up at 7 s drops the packet', async (t) => {
  const { clock, a, seen, table, done } = await stackOnPort(t);
  const { socket, errors } = await udpSender(a);
  const requestTimes = () => seen.filter((p) => isArpRequest(p) && p.arp.tpa === '10.0.0.99').map((p) => p.at);

  socket.send('hello?', 9, '10.0.0.99');
  await clock.advanceToAsync(6_999_999);
  assert.deepEqual(requestTimes(), [0, 1_000_000, 3_000_000], 'exponential: 0, retry, 3 * retry');
  for (const p of seen) {
    // Each request: broadcast, from our MAC and address, asking for 10.0.0.99.
    assert.equal(p.dst, BROADCAST);
    assert.equal(p.src, a.mac);
    assert.deepEqual(p.arp, { htype: 1, ptype: ETHERTYPE_IPV4, hlen: 6, plen: 4, op: ARP_REQUEST, sha: a.mac, spa: '10.0.0.1', tha: ZERO_MAC, tpa: '10.0.0.99' });
  }
  let s = a.stats();
  assert.equal(s.arpRequestsSent, 3);
  assert.equal(s.arpGiveUps, 0, 'not given up 1 us before 7 s');
  assert.equal(s.arpPendingDropped, 0, 'the datagram still waits');

  await clock.advanceToAsync(7_000_000);
  s = a.stats();
  assert.equal(s.arpGiveUps, 1, 'given up at exactly 7 s');
  assert.equal(s.arpPendingDropped, 1, 'the waiting datagram was dropped and counted');
  assert.equal(s.arpRequestsSent, 3);

  // Nothing more goes out: no fourth request, and the dropped datagram is never sent.
  await clock.advanceToAsync(20_000_000);
  assert.equal(seen.length, 3);
  assert.equal(a.stats().txFrames, 3);

  // A later send starts a fresh resolution at once; this time 10.0.0.99 answers and the new
  // datagram (only it: the old one is gone) is delivered.
  table.set('10.0.0.99', '02:00:00:00:00:99');
  socket.send('again', 9, '10.0.0.99');
  await clock.advanceToAsync(20_500_000);
  assert.deepEqual(requestTimes(), [0, 1_000_000, 3_000_000, 20_000_000]);
  const udp = seen.filter((p) => p.udp);
  assert.equal(udp.length, 1);
  assert.equal(udp[0].at, 20_000_000);
  assert.equal(udp[0].dst, '02:00:00:00:00:99');
  assert.equal(new TextDecoder().decode(udp[0].udp.payload), 'again');
  s = a.stats();
  assert.equal(s.arpRequestsSent, 4);
  assert.equal(s.arpGiveUps, 1);
  assert.equal(s.arpPendingDropped, 1);
  assert.deepEqual(errors, []);
  socket.close();
  done();
});

test('ARP backoff follows the configured retry and request count (250 ms, 5 requests)', async (t) => {
  const { clock, a, seen, done } = await stackOnPort(t, { limits: { arpRetryMs: 250, arpMaxRequests: 5 } });
  // The ping itself times out at 1 s; its echo request keeps waiting for ARP until the give-up.
  await pingUntil(clock, a, '10.0.0.200', 7_749_999);
  const times = seen.filter(isArpRequest).map((p) => p.at);
  // 250 ms doubling: 0, 250, 750, 1750, 3750 ms; the give-up one more interval (4 s) later.
  assert.deepEqual(times, [0, 250_000, 750_000, 1_750_000, 3_750_000]);
  assert.equal(a.stats().arpGiveUps, 0);
  assert.equal(a.stats().arpPendingDropped, 0);
  await clock.advanceToAsync(7_750_000);
  assert.equal(a.stats().arpGiveUps, 1);
  assert.equal(a.stats().arpPendingDropped, 1, 'the echo request that waited');
  await clock.advanceToAsync(30_000_000);
  assert.equal(seen.length, 5, 'nothing after the give-up');
  assert.equal(a.stats().txFrames, 5, 'the dropped echo request never went out');
  done();
});

// ---- the first packet is not lost -----------------------------------------------------------------

test('the first ping is not lost (RFC 1122 2.3.2.2): it waits for ARP and goes out with the reply', async (t) => {
  for (const delayMs of [5, 200]) {
    const { clock, a, b, records, done } = await pairWithTap(t, { delayMs });
    const d = delayMs * MS;
    const p = await pingUntil(clock, a, '10.0.0.2', 5 * d);
    assert.deepEqual(p.result, { address: '10.0.0.2', seq: 0, bytes: 56, rttMs: 4 * delayMs });
    // Exact timeline at a: request out at 0, reply in at 2d, the held echo out at 2d, its reply at 4d.
    const timeline = records.map((r) => [r.at, r.src === a.mac ? 'out' : 'in', r.arp ? `arp${r.arp.op}` : `icmp${r.icmp.type}`]);
    assert.deepEqual(timeline, [[0, 'out', 'arp1'], [2 * d, 'in', 'arp2'], [2 * d, 'out', 'icmp8'], [4 * d, 'in', 'icmp0']]);
    const echo = records[2];
    assert.equal(echo.dst, b.mac);
    assert.equal(echo.icmp.seq, 0);
    assert.deepEqual(Array.from(echo.icmp.data), Array.from({ length: 56 }, (_, i) => i & 0xff), 'the held request, intact');
    assert.equal(b.stats().icmpEchoRequests, 1, 'b got exactly the one echo request');
    assert.equal(b.stats().icmpEchoAnswered, 1);
    assert.equal(a.stats().arpPendingDropped, 0);
    await done();
  }
});

// ---- the pending queue bound ----------------------------------------------------------------------

test('pending queue bound: 10 datagrams to an unresolved peer with room for 4 -> the 4 newest arrive, 6 dropped', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { neighbourPending: 4 } });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const link = MemoryLink.connect(a, b, { delayMs: 5 });
  t.after(() => { a.close(); b.close(); link.close(); });
  const { socket: rx, got } = await udpSink(b, 9);
  const { socket: tx, errors } = await udpSender(a);
  const datagram = (i) => Uint8Array.from({ length: 100 + i * 37 }, (_, k) => (k * 13 + i * 101) & 0xff);
  for (let i = 0; i < 10; i++) tx.send(datagram(i), 9, '10.0.0.2');
  await clock.advanceToAsync(14_999);
  assert.equal(got.length, 0);
  await clock.advanceToAsync(100_000);
  // ARP request 5 ms, reply 5 ms, then the held datagrams 5 ms: all four arrive at 15 ms.
  assert.deepEqual(got.map((g) => g.at), [15_000, 15_000, 15_000, 15_000]);
  got.forEach((g, k) => {
    assert.deepEqual(g.msg, Buffer.from(datagram(6 + k)), `datagram ${6 + k} intact and in order`);
    assert.deepEqual(g.rinfo, { address: '10.0.0.1', family: 'IPv4', port: 5000, size: 100 + (6 + k) * 37 });
  });
  const s = a.stats();
  assert.equal(s.arpPendingDropped, 6, 'the 6 oldest were dropped and counted');
  assert.equal(s.arpRequestsSent, 1);
  assert.equal(s.arpGiveUps, 0);
  assert.equal(b.stats().udpDelivered, 4);
  assert.equal(link.stats().aToB.sent, 1 + 4, 'one ARP request and the four datagrams');
  assert.deepEqual(errors, []);

  // Once resolved, nothing waits any more: 10 more all arrive.
  for (let i = 0; i < 10; i++) tx.send(datagram(i), 9, '10.0.0.2');
  await clock.advanceToAsync(200_000);
  assert.equal(got.length, 14);
  assert.deepEqual(got.slice(4).map((g) => g.msg.length), Array.from({ length: 10 }, (_, i) => 100 + i * 37));
  assert.equal(a.stats().arpPendingDropped, 6);
  rx.close();
  tx.close();
  a.close();
  b.close();
  link.close();
  assert.equal(clock.pending, 0);
});

test('pending queue bound with a peer that answers ARP by hand 500 ms late: newest 4 of 10, bytes exact', async (t) => {
  const { clock, a, seen, done } = await stackOnPort(t, {
    limits: { neighbourPending: 4 }, neighbours: { '10.0.0.2': '02:00:00:00:00:02' }, answerDelayMs: 500,
  });
  const { socket } = await udpSender(a, 6000);
  for (let i = 0; i < 10; i++) socket.send(`datagram #${i}`, 7, '10.0.0.2');
  await clock.advanceToAsync(499_999);
  assert.equal(seen.filter((p) => p.udp).length, 0, 'held while unresolved');
  assert.equal(a.stats().arpPendingDropped, 6);
  await clock.advanceToAsync(600_000);
  const udp = seen.filter((p) => p.udp);
  assert.deepEqual(udp.map((p) => new TextDecoder().decode(p.udp.payload)), ['datagram #6', 'datagram #7', 'datagram #8', 'datagram #9']);
  for (const p of udp) {
    assert.equal(p.at, 500_000, 'sent the moment the reply arrived');
    assert.equal(p.dst, '02:00:00:00:00:02');
    assert.equal(p.src, a.mac);
    assert.deepEqual(p.ip, { src: '10.0.0.1', dst: '10.0.0.2', protocol: IPPROTO_UDP });
    assert.equal(p.udp.srcPort, 6000);
    assert.equal(p.udp.dstPort, 7);
  }
  assert.equal(seen.filter(isArpRequest).length, 1, 'one request: the answer came before the 1 s retry');
  socket.close();
  done();
});

test('a full transmit queue at resolution holds waiting packets back only briefly, and nothing overtakes them', async (t) => {
  // Room for 2 frames in the transmit queue, up to 8 waiting datagrams: the reply releases more
  // frames than the queue takes at once. The rest must follow as soon as the device drains the
  // queue (not at the entry's expiry a minute later), and a datagram sent meanwhile must not
  // overtake them.
  const { clock, a, port, seen, done } = await stackOnPort(t, { limits: { txQueueSize: 2, neighbourPending: 8 } });
  const { socket } = await udpSender(a, 5000);
  const reply = (ip, hw) => arpFrame({ op: ARP_REPLY, ethDst: a.mac, ethSrc: hw, sha: hw, spa: ip, tha: a.mac, tpa: '10.0.0.1' });
  const udpTo = (ip) => seen.filter((p) => p.udp && p.ip.dst === ip);
  const text = (p) => new TextDecoder().decode(p.udp.payload);

  // Six datagrams wait for 10.0.0.2; its reply comes alone at 100 ms.
  for (let i = 0; i < 6; i++) socket.send(`d${i}`, 9, '10.0.0.2');
  await clock.advanceToAsync(100 * MS);
  port.send(reply('10.0.0.2', '02:00:00:00:00:02'));
  await clock.advanceToAsync(101 * MS);
  assert.deepEqual(udpTo('10.0.0.2').map(text), ['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
  assert.ok(udpTo('10.0.0.2').every((p) => p.at === 100 * MS), 'all sent when the reply came');

  // Six wait for 10.0.0.3; its reply arrives together with a datagram that a's socket answers at
  // once (to 10.0.0.3 as well): the answer goes out after the six, not between them.
  socket.on('message', () => socket.send('late', 9, '10.0.0.3'));
  for (let i = 0; i < 6; i++) socket.send(`e${i}`, 9, '10.0.0.3');
  await clock.advanceToAsync(200 * MS);
  port.send(reply('10.0.0.3', '02:00:00:00:00:03'));
  port.send(udpFrame({ ethDst: a.mac, ethSrc: '02:00:00:00:00:03', src: '10.0.0.3', dst: '10.0.0.1', srcPort: 9, dstPort: 5000, payload: 'hi' }));
  await clock.advanceToAsync(201 * MS);
  assert.deepEqual(udpTo('10.0.0.3').map(text), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'late']);
  assert.ok(udpTo('10.0.0.3').every((p) => p.at === 200 * MS && p.dst === '02:00:00:00:00:03'));

  const s = a.stats();
  assert.equal(s.arpPendingDropped, 0);
  assert.equal(s.arpRequestsSent, 2);
  socket.close();
  done();
});

// ---- least recently used eviction -----------------------------------------------------------------

test('LRU eviction with neighbours: 2 -- the least recently used entry goes, counted', async (t) => {
  const neighbours = {};
  for (let i = 2; i <= 9; i++) neighbours[`10.0.0.${i}`] = `02:00:00:00:00:0${i}`;
  const { clock, a, seen, done } = await stackOnPort(t, { limits: { neighbours: 2 }, neighbours });
  const { socket } = await udpSender(a);
  const sendTo = async (host) => {
    socket.send(host, 9, host);
    await clock.advanceAsync(10 * MS);
  };
  const asked = () => seen.filter(isArpRequest).map((p) => p.arp.tpa);

  await sendTo('10.0.0.2');
  await sendTo('10.0.0.3'); // cache: .3 (most recent), .2
  await sendTo('10.0.0.2'); // a hit: .2, .3
  assert.deepEqual(asked(), ['10.0.0.2', '10.0.0.3']);
  assert.equal(a.stats().arpEvictions, 0);
  await sendTo('10.0.0.4'); // full: .3 is the least recently used and goes -> .4, .2
  assert.equal(a.stats().arpEvictions, 1);
  await sendTo('10.0.0.2'); // still cached: no request -> .2, .4
  assert.deepEqual(asked(), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
  await sendTo('10.0.0.3'); // evicted earlier: asked again; .4 goes now -> .3, .2
  assert.deepEqual(asked(), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.3']);
  assert.equal(a.stats().arpEvictions, 2);
  await sendTo('10.0.0.2');
  await sendTo('10.0.0.3');
  assert.deepEqual(asked().length, 4, '.2 and .3 are the two cached');
  await sendTo('10.0.0.4');
  assert.deepEqual(asked().slice(4), ['10.0.0.4']);
  assert.equal(a.stats().arpEvictions, 3);

  // Every datagram went out exactly once, to its neighbour's MAC, none lost to the evictions.
  const udp = seen.filter((p) => p.udp);
  const expected = ['2', '3', '2', '4', '2', '3', '2', '3', '4'].map((n) => `10.0.0.${n}`);
  assert.deepEqual(udp.map((p) => new TextDecoder().decode(p.udp.payload)), expected);
  assert.deepEqual(udp.map((p) => p.dst), expected.map((ip) => neighbours[ip]));
  assert.equal(a.stats().arpPendingDropped, 0);
  socket.close();
  done();
});

test('LRU eviction of an unresolved entry drops its waiting packets, counted', async (t) => {
  // Nobody answers: every send makes an INCOMPLETE entry holding one datagram.
  const { clock, a, seen, done } = await stackOnPort(t, { limits: { neighbours: 2 } });
  const { socket } = await udpSender(a);
  socket.send('x', 9, '10.0.0.50');
  socket.send('y', 9, '10.0.0.51');
  socket.send('z', 9, '10.0.0.52'); // evicts .50 and its datagram
  await clock.advanceToAsync(10 * MS);
  let s = a.stats();
  assert.equal(s.arpEvictions, 1);
  assert.equal(s.arpPendingDropped, 1);
  // .50 was evicted before its first request went out: only .51 and .52 are asked for.
  assert.deepEqual(seen.filter(isArpRequest).map((p) => p.arp.tpa).sort(), ['10.0.0.51', '10.0.0.52']);
  await clock.advanceToAsync(7_000 * MS);
  s = a.stats();
  assert.equal(s.arpGiveUps, 2);
  assert.equal(s.arpPendingDropped, 3);
  socket.close();
  done();
});

// ---- answering requests ---------------------------------------------------------------------------

test('answers broadcast and unicast requests for each of its addresses; ignores others and 127/8', async (t) => {
  const mac = '02:aa:bb:cc:dd:01';
  const { clock, a, port, seen, done } = await stackOnPort(t, { ipv4: ['10.0.0.1/24', '192.168.5.1/24'], mac });
  const asker = '02:00:00:00:00:42';
  const ask = async (fields) => {
    const before = seen.length;
    port.send(arpFrame({ op: ARP_REQUEST, ethSrc: asker, sha: asker, ...fields }));
    await clock.advanceAsync(1 * MS);
    return seen.slice(before);
  };
  const expectReply = (frames, { ourIp, askerIp }) => {
    assert.equal(frames.length, 1, `one reply for ${ourIp}`);
    const f = frames[0];
    assert.equal(f.length, ETHERNET_MIN_FRAME, 'padded to the Ethernet minimum');
    assert.equal(f.dst, asker, 'unicast to the asker');
    assert.equal(f.src, mac);
    assert.equal(f.type, ETHERTYPE_ARP);
    assert.deepEqual(f.arp, { htype: 1, ptype: ETHERTYPE_IPV4, hlen: 6, plen: 4, op: ARP_REPLY, sha: mac, spa: ourIp, tha: asker, tpa: askerIp });
    assert.ok(f.bytes.subarray(42).every((b) => b === 0), 'zero padding');
  };

  expectReply(await ask({ ethDst: BROADCAST, spa: '10.0.0.42', tpa: '10.0.0.1' }), { ourIp: '10.0.0.1', askerIp: '10.0.0.42' });
  expectReply(await ask({ ethDst: mac, spa: '10.0.0.42', tpa: '10.0.0.1' }), { ourIp: '10.0.0.1', askerIp: '10.0.0.42' });
  expectReply(await ask({ ethDst: BROADCAST, spa: '192.168.5.9', tpa: '192.168.5.1' }), { ourIp: '192.168.5.1', askerIp: '192.168.5.9' });
  expectReply(await ask({ ethDst: mac, spa: '192.168.5.9', tpa: '192.168.5.1' }), { ourIp: '192.168.5.1', askerIp: '192.168.5.9' });
  assert.equal(a.stats().arpRequestsAnswered, 4);

  // Not ours: another host on the subnet, an address off every subnet, the loopback addresses
  // (broadcast or unicast), and a request sent to some other station's MAC.
  assert.deepEqual(await ask({ ethDst: BROADCAST, spa: '10.0.0.43', tpa: '10.0.0.77' }), []);
  assert.deepEqual(await ask({ ethDst: BROADCAST, spa: '10.0.0.43', tpa: '172.16.0.1' }), []);
  assert.deepEqual(await ask({ ethDst: BROADCAST, spa: '10.0.0.42', tpa: '127.0.0.1' }), []);
  assert.deepEqual(await ask({ ethDst: mac, spa: '10.0.0.42', tpa: '127.0.0.1' }), []);
  assert.deepEqual(await ask({ ethDst: BROADCAST, spa: '10.0.0.42', tpa: '127.1.2.3' }), []);
  assert.deepEqual(await ask({ ethDst: '02:00:00:00:00:77', spa: '10.0.0.42', tpa: '10.0.0.1' }), []);
  const s = a.stats();
  assert.equal(s.arpRequestsAnswered, 4, 'none of those answered');
  assert.equal(s.ethDropNotForUs, 1, 'the one to another MAC is dropped before ARP');
  assert.equal(s.arpRequestsSent, 0);

  // RFC 826: the asker of a request addressed to us was learned (no request needed to reach it);
  // a host whose request was for someone else was not.
  const { socket } = await udpSender(a);
  socket.send('to .42', 9, '10.0.0.42');
  socket.send('to .43', 9, '10.0.0.43');
  await clock.advanceAsync(1 * MS);
  const after = seen.slice(-2);
  const udp = after.find((p) => p.udp);
  assert.equal(udp?.dst, asker, '10.0.0.42 sent at once to the learned MAC');
  assert.equal(udp.ip.dst, '10.0.0.42');
  const request = after.find(isArpRequest);
  assert.equal(request?.arp.tpa, '10.0.0.43', '10.0.0.43 must be resolved first');
  assert.equal(a.stats().arpRequestsSent, 1);
  socket.close();
  done();
});

test('answers an address probe (sender 0.0.0.0, RFC 5227) for its address only', async (t) => {
  const mac = '02:aa:bb:cc:dd:02';
  const { clock, a, port, seen, done } = await stackOnPort(t, { mac });
  const prober = '02:00:00:00:00:55';
  port.send(arpFrame({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: prober, sha: prober, spa: '0.0.0.0', tpa: '10.0.0.1' }));
  await clock.advanceAsync(1 * MS);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].dst, prober);
  assert.deepEqual(seen[0].arp, { htype: 1, ptype: ETHERTYPE_IPV4, hlen: 6, plen: 4, op: ARP_REPLY, sha: mac, spa: '10.0.0.1', tha: prober, tpa: '0.0.0.0' });
  // A probe for another address gets nothing.
  port.send(arpFrame({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: prober, sha: prober, spa: '0.0.0.0', tpa: '10.0.0.9' }));
  await clock.advanceAsync(1 * MS);
  assert.equal(seen.length, 1);
  assert.equal(a.stats().arpRequestsAnswered, 1);
  done();
});

// ---- RFC 826 merge: gratuitous ARP and changed MACs -----------------------------------------------

test('gratuitous ARP and a changed MAC update a known neighbour (RFC 826 merge), refreshing its lifetime', async (t) => {
  const lifetimeMs = 10_000;
  const { clock, a, port, seen, done } = await stackOnPort(t, {
    limits: { neighbourLifetimeMs: lifetimeMs }, neighbours: { '10.0.0.2': '02:00:00:00:01:01' },
  });
  const { socket } = await udpSender(a);
  const sendAndSee = async (text) => {
    const before = seen.length;
    socket.send(text, 9, '10.0.0.2');
    await clock.advanceAsync(1 * MS);
    return seen.slice(before);
  };
  const announce = async (fields) => {
    const before = seen.length;
    port.send(arpFrame({ spa: '10.0.0.2', tpa: '10.0.0.2', ...fields }));
    await clock.advanceAsync(1 * MS);
    assert.deepEqual(seen.slice(before), [], 'a gratuitous ARP is not answered');
  };

  let out = await sendAndSee('one'); // resolves .2 at t = 0
  assert.equal(out.length, 2);
  assert.equal(out[1].dst, '02:00:00:00:01:01');

  // Gratuitous request (broadcast, sender = target = 10.0.0.2) with a new MAC: merged.
  await announce({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: '02:00:00:00:02:02', sha: '02:00:00:00:02:02' });
  out = await sendAndSee('two');
  assert.equal(out.length, 1, 'no new request');
  assert.equal(out[0].dst, '02:00:00:00:02:02');

  // Gratuitous reply form (op 2, broadcast).
  await announce({ op: ARP_REPLY, ethDst: BROADCAST, ethSrc: '02:00:00:00:03:03', sha: '02:00:00:00:03:03', tha: BROADCAST });
  out = await sendAndSee('three');
  assert.deepEqual(out.map((p) => p.dst), ['02:00:00:00:03:03']);

  // An ordinary request from 10.0.0.2 for our address, with yet another MAC: merged and answered.
  const mergedAt = clock.now();
  port.send(arpFrame({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: '02:00:00:00:04:04', sha: '02:00:00:00:04:04', spa: '10.0.0.2', tpa: '10.0.0.1' }));
  await clock.advanceAsync(1 * MS);
  assert.equal(seen.at(-1).arp?.op, ARP_REPLY);
  assert.equal(seen.at(-1).dst, '02:00:00:00:04:04');
  out = await sendAndSee('four');
  assert.deepEqual(out.map((p) => p.dst), ['02:00:00:00:04:04']);
  assert.equal(a.stats().arpRequestsSent, 1, 'still the one request of the start');

  // The last merge restarted the lifetime: at mergedAt + lifetime - 1 ms it is still valid,
  // although the first resolution (at 0) is more than a lifetime ago by then.
  await clock.advanceToAsync(mergedAt + lifetimeMs * MS - 1 * MS);
  out = await sendAndSee('five');
  assert.deepEqual(out.map((p) => p.dst), ['02:00:00:00:04:04']);
  assert.equal(a.stats().arpRequestsSent, 1);
  out = await sendAndSee('six'); // now past mergedAt + lifetime
  assert.equal(out[0].arp?.op, ARP_REQUEST);
  assert.equal(a.stats().arpRequestsSent, 2);

  // A gratuitous ARP for an address a has no entry for creates none (it was not addressed to us).
  await announce({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: '02:00:00:00:05:05', sha: '02:00:00:00:05:05', spa: '10.0.0.5', tpa: '10.0.0.5' });
  socket.send('to .5', 9, '10.0.0.5');
  await clock.advanceAsync(1 * MS);
  assert.equal(seen.at(-1).arp?.op, ARP_REQUEST);
  assert.equal(seen.at(-1).arp.tpa, '10.0.0.5');
  assert.equal(a.stats().arpRequestsSent, 3);

  // A "gratuitous ARP" giving 10.0.0.2 a multicast MAC is refused, and the entry keeps its MAC.
  await announce({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: '02:00:00:00:06:06', sha: '03:00:00:00:06:06' });
  assert.equal(a.stats().arpDropBadSender, 1);
  out = await sendAndSee('seven');
  assert.deepEqual(out.map((p) => p.dst), ['02:00:00:00:01:01']);
  socket.close();
  done();
});

// ---- cost of an idle poll with a full cache (issue 6) ---------------------------------------------

// Work is counted, not timed: the test runs a copy of the release core that Binaryen's
// log-execution pass instruments at every function entry and loop header, with the logging
// import replaced by a counter the copy exports. The shipped module is untouched.
import binaryen from 'binaryen';
import { readFileSync } from 'node:fs';

const WORK_COUNTER = '__workCount';

/** build/release.wasm with a counter of function entries and loop iterations exported. */
function coreCountingWork() {
  const m = binaryen.readBinary(readFileSync(new URL('../../build/release.wasm', import.meta.url)));
  m.setFeatures(binaryen.Features.All);
  m.runPasses(['log-execution']);
  const logger = 'log_execution';
  m.removeFunction(logger);
  m.addGlobal(WORK_COUNTER, binaryen.i32, true, m.i32.const(0));
  m.addFunction(logger, binaryen.i32, binaryen.none, [],
    m.global.set(WORK_COUNTER, m.i32.add(m.global.get(WORK_COUNTER, binaryen.i32), m.i32.const(1))));
  m.addGlobalExport(WORK_COUNTER, WORK_COUNTER);
  assert.ok(m.validate(), 'instrumented core validates');
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

/** An ARP request for 10.0.0.1 from 10.1.(n >> 8).(n & 255), MAC 02:10:00:nn:nn:01. */
function requestFromNeighbour(n) {
  const mac = `02:10:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}:01`;
  return arpFrame({ op: ARP_REQUEST, ethDst: BROADCAST, ethSrc: mac, sha: mac, spa: `10.1.${(n >> 8) & 0xff}.${n & 0xff}`, tpa: '10.0.0.1' });
}

test('an idle poll with 65536 neighbours cached costs what it costs with none (work counted, not timed)', async (t) => {
  const ENTRIES = 65536;
  const LIFETIME_MS = 60_000;
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/8', mac: '02:aa:00:00:00:01', clock, seed: 7,
    core: coreCountingWork(), limits: { neighbours: ENTRIES, neighbourLifetimeMs: LIFETIME_MS } });
  const port = new FramePort({ clock, bufferFrames: 0 });
  let replies = 0;
  port.onFrame = (frame) => { if (parse(frame).arp?.op === ARP_REPLY) replies++; };
  const link = MemoryLink.connect(a, port);
  t.after(() => { a.close(); link.close(); });
  const counter = a.core[WORK_COUNTER];
  /** Work done by one poll at the clock's current time. */
  const pollWork = () => {
    const before = counter.value;
    a.session.pollNow();
    return (counter.value - before) >>> 0;
  };

  pollWork();
  const idleEmpty = pollWork();

  // RFC 826: each request addressed to us creates an entry for its sender (and is answered).
  const BATCH = 128; // well inside the receive ring
  for (let n = 0; n < ENTRIES; n += BATCH) {
    for (let k = n; k < n + BATCH; k++) port.send(requestFromNeighbour(k));
    await clock.advanceAsync(1); // the link hands frames over on the clock
  }
  assert.equal(a.stats().arpRequestsAnswered, ENTRIES);
  assert.equal(replies, ENTRIES);
  assert.equal(a.stats().arpEvictions, 0, 'every neighbour fits');

  pollWork();
  const idleFull = pollWork();
  // The same work as with an empty cache, give or take a few calls: nothing walks the entries
  // (before issue 6 expiry and the deadline each visited all 65536, about 131072 more).
  assert.ok(idleFull <= idleEmpty + 64, `idle poll work: ${idleFull} with ${ENTRIES} entries vs ${idleEmpty} with none`);

  // The counter does see per-entry work: the polls at which the lifetimes end (one per batch,
  // at the stack's own deadlines) free each entry once.
  const before = counter.value;
  await clock.advanceToAsync(LIFETIME_MS * MS + MS);
  const expiring = (counter.value - before) >>> 0;
  assert.ok(expiring >= ENTRIES, `the expiring polls did ${expiring} units of work`);
  const idleAfter = pollWork();
  assert.ok(idleAfter <= idleEmpty + 64, `idle poll work after expiry: ${idleAfter}`);
  link.close();
  a.close();
});

test('a send after a long idle runs on the host\'s time, not the last poll\'s: the ARP retry comes exactly 1 s after it', async (t) => {
  const { clock, a, seen, done } = await stackOnPort(t);
  const socket = a.dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(5000, resolve));
  await clock.advanceMsAsync(1);
  // Idle for 10 s: nothing is scheduled, so the core is not polled in between.
  await clock.advanceMsAsync(10_000);
  const sentAt = clock.now();
  socket.send('late', 9, '10.0.0.9');
  await clock.advanceMsAsync(999);
  const requests = () => seen.filter((p) => isArpRequest(p) && p.arp.tpa === '10.0.0.9').map((p) => p.at - sentAt);
  assert.deepEqual(requests(), [0], 'one request at the send, none due at once after it');
  await clock.advanceMsAsync(1);
  assert.deepEqual(requests(), [0, 1000 * MS]);
  socket.close();
  await clock.advanceMsAsync(10_000);
  done();
});
