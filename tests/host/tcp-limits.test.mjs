// The TCP limits of field reports 000, 002 and 003 over the public API: a full table is an error
// and nothing is lost to peers that vanish (000); data on the handshake ACK, RST when the table or
// the backlog is full, port 65535, huge timeout values (002); close never blocks and connection
// churn with RST-closing clients on a 10-slot table leaves a concurrent 64 MiB upload alone (003).
// Peers are either another stack on a MemoryLink or a ScriptedPeer (tests/fuzz/tcp-peer.mjs) that
// behaves as no stack would; everything runs on a VirtualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Stack, MemoryLink, Switch, VirtualClock, parseIpv4 } from 'wasmnet';
import { ScriptedPeer } from '../fuzz/tcp-peer.mjs';
import { SYN, ACK, RST, FIN, PSH, OPTION } from '../fuzz/tcp-segments.mjs';

const PEER_IP = parseIpv4('10.0.0.1');
const STACK_IP = parseIpv4('10.0.0.2');
const PEER_ISS = 0x1000_0000;
const tcpRows = (stack) => stack.report().sockets.filter((s) => s.kind === 'tcp');

/** A stack at 10.0.0.2 and a scripted peer at 10.0.0.1 on one VirtualClock. */
async function stackAndPeer(limits = {}, options = {}) {
  const clock = options.clock ?? new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 5, limits });
  const peer = new ScriptedPeer({ stack, clock, ip: PEER_IP });
  const close = () => { stack.close(); peer.close(); };
  return { clock, stack, peer, close };
}

/** Answers every SYN with a SYN-ACK and, when `vanished` says so for that port, nothing else. */
function handshakeOnly(peer) {
  peer.onSegment = (s) => {
    if ((s.flags & (SYN | ACK)) === SYN) {
      peer.send({ dst: s.src, srcPort: s.dstPort, dstPort: s.srcPort, seq: PEER_ISS, ack: s.seq + 1, flags: SYN | ACK, options: OPTION.mss(1460) });
    }
  };
}

/** Steps the clock 1 ms at a time until `done()` (at most `limitMs`); returns the ms it took. */
async function stepUntil(clock, done, limitMs) {
  for (let t = 0; t < limitMs; t++) {
    if (done()) return t;
    await clock.advanceMsAsync(1);
  }
  if (done()) return limitMs;
  throw new Error(`not done after ${limitMs} virtual ms`);
}

const CYCLES = 100_000;
const TABLE = 16;

test(`field report 000: ${CYCLES} open/close cycles against a peer that vanishes, on a table of ${TABLE}, no slot lost`, async (t) => {
  const { clock, stack, peer, close } = await stackAndPeer({ tcpConnections: TABLE });
  t.after(close);
  handshakeOnly(peer);
  const baseline = stack.memory();
  const failures = [];
  const payload = Buffer.alloc(1000, 7);
  for (let i = 0; i < CYCLES; i++) {
    const socket = stack.net.connect(80, '10.0.0.1');
    let connected = false;
    socket.once('connect', () => { connected = true; });
    socket.once('error', (e) => failures.push(`${i}: ${e.code}`));
    // Four ways to leave a peer that no longer answers: close with nothing queued (FIN-WAIT-1
    // until the orphan bound), close with unacknowledged data (RST at the linger bound), RST at
    // once, and close while the SYN is still out.
    const way = i % 4;
    if (way === 3) {
      socket.destroy();
    } else {
      await stepUntil(clock, () => connected || failures.length > 0, 100);
      if (failures.length > 0) break;
      if (way === 1) socket.write(payload);
      if (way === 2) socket.resetAndDestroy();
      else socket.destroy();
    }
    // Now and then, long enough for the bounds to run out rather than the table to reclaim.
    if (i % 5000 === 4999) await clock.advanceMsAsync(35_000);
  }
  assert.deepEqual(failures, []);
  const s = stack.stats();
  assert.ok(s.tcpOrphansEvicted > 0 && s.tcpOrphansTimedOut > 0 && s.tcpLingerResets > 0, JSON.stringify(s));
  // Past every bound, every slot is back ...
  await clock.advanceMsAsync(35_000);
  assert.deepEqual(tcpRows(stack), []);
  assert.deepEqual(stack.memory(), baseline);
  // ... and the table holds exactly 16 again: all 16 connect, the 17th is EMFILE with nothing
  // allocated (field report 000: a full pool is an error, never a crash or a leak).
  const held = [];
  for (let i = 0; i < TABLE; i++) held.push(stack.net.connect(80, '10.0.0.1'));
  let connects = 0;
  for (const h of held) h.once('connect', () => connects++);
  // (ARP for the peer may have expired: the SYNs past its 4-packet queue go again after 1 s.)
  await stepUntil(clock, () => connects === TABLE, 3000);
  const extra = stack.net.connect(80, '10.0.0.1');
  const error = await new Promise((resolve) => extra.once('error', resolve));
  assert.equal(error.code, 'EMFILE');
  assert.equal(error.syscall, 'connect');
  assert.equal(tcpRows(stack).length, TABLE);
  assert.equal(stack.stats().socketTableFull, 1);
  assert.deepEqual(stack.memory(), baseline);
  for (const h of held) h.resetAndDestroy();
  await clock.advanceMsAsync(1);
  assert.deepEqual(tcpRows(stack), []);
  assert.equal(stack.failed, null);
});

/** Two stacks on a MemoryLink (a: 10.0.0.1, b: 10.0.0.2), b with `limitsB`. */
async function pair({ limitsA = {}, limitsB = {}, clock = new VirtualClock(), link = {} } = {}) {
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: limitsA });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits: limitsB });
  const memoryLink = MemoryLink.connect(a, b, link);
  const close = () => { a.close(); b.close(); memoryLink.close(); };
  return { clock, a, b, close };
}

/** Steps the clock until `emitter` emits `event` (at most `limitMs`); returns the event's argument. */
async function waitFor(clock, emitter, event, limitMs) {
  let fired = false;
  let value;
  emitter.once(event, (v) => { fired = true; value = v; });
  await stepUntil(clock, () => fired, limitMs);
  return value;
}

test('field report 002: data on the handshake-completing ACK reaches the server socket, acknowledged', async (t) => {
  const { clock, stack, peer, close } = await stackAndPeer();
  t.after(close);
  const got = [];
  let ended = false;
  stack.net.createServer((socket) => {
    socket.on('data', (d) => got.push(d));
    socket.on('end', () => { ended = true; });
  }).listen(80);
  await clock.advanceMsAsync(1);
  const segments = [];
  peer.onSegment = (s) => segments.push(s);
  const clientIss = 0x7000_0000;
  peer.send({ dst: STACK_IP, srcPort: 40000, dstPort: 80, seq: clientIss, flags: SYN, options: OPTION.mss(1460) });
  await clock.advanceMsAsync(1);
  const synAck = segments.find((s) => s.flags === (SYN | ACK));
  assert.ok(synAck, 'SYN-ACK');
  assert.equal(synAck.ack, clientIss + 1);
  // RFC 9293 3.10.7.4: the ACK that completes the handshake may carry data (and here a FIN).
  const request = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  peer.send({ dst: STACK_IP, srcPort: 40000, dstPort: 80, seq: clientIss + 1, ack: synAck.seq + 1, flags: ACK | PSH | FIN, data: request });
  await stepUntil(clock, () => ended, 1000);
  assert.equal(Buffer.concat(got).toString(), request.toString());
  const acked = segments.filter((s) => (s.flags & ACK) !== 0).map((s) => s.ack >>> 0);
  assert.ok(acked.includes((clientIss + 1 + request.length + 1) >>> 0), `data and FIN acknowledged: ${acked}`);
});

test('field report 002: a SYN to a full connection table gets RST (ECONNREFUSED, tcpTableFull); a freed slot is used again', async (t) => {
  const TABLE_B = 4;
  const { clock, a, b, close } = await pair({ limitsB: { tcpConnections: TABLE_B } });
  t.after(close);
  const accepted = [];
  const serverErrors = [];
  b.net.createServer((s) => { accepted.push(s); s.on('error', (e) => serverErrors.push(e.code)); }).listen(80);
  const clients = [];
  for (let i = 0; i < TABLE_B; i++) clients.push(a.net.connect(80, '10.0.0.2'));
  await stepUntil(clock, () => accepted.length === TABLE_B, 1000);
  const refused = a.net.connect(80, '10.0.0.2');
  const error = await waitFor(clock, refused, 'error', 1000);
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.port, 80);
  assert.equal(b.stats().tcpTableFull, 1);
  assert.ok(b.stats().tcpResetsSent >= 1);
  assert.equal(accepted.length, TABLE_B);
  // The clients keep working, and once one goes its slot takes the next connection.
  clients[0].resetAndDestroy();
  await stepUntil(clock, () => accepted[0].destroyed, 1000);
  assert.deepEqual(serverErrors, ['ECONNRESET']);
  const next = a.net.connect(80, '10.0.0.2');
  let connected = false;
  next.once('connect', () => { connected = true; });
  await stepUntil(clock, () => connected && accepted.length === TABLE_B + 1, 1000);
  assert.equal(b.stats().tcpTableFull, 1);
});

test('field report 002: a SYN to a full backlog gets RST (tcpBacklogFull); a client behind it sees ECONNREFUSED', async (t) => {
  // The server stack b, a real client stack a and a scripted peer that leaves handshakes half
  // open, all on one switch.
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const sw = new Switch({ ports: 3, clock });
  const links = [MemoryLink.connect(a, sw.port(0)), MemoryLink.connect(b, sw.port(1))];
  const peer = new ScriptedPeer({ stack: b, clock, ip: parseIpv4('10.0.0.3'), to: sw.port(2) });
  t.after(() => { a.close(); b.close(); peer.close(); for (const l of links) l.close(); });
  const BACKLOG = 2;
  const server = b.net.createServer(() => {});
  server.listen({ port: 80, backlog: BACKLOG });
  await clock.advanceMsAsync(1);
  const answers = [];
  peer.onSegment = (s) => answers.push(s);
  for (let i = 0; i < BACKLOG + 1; i++) {
    peer.send({ dst: STACK_IP, srcPort: 41000 + i, dstPort: 80, seq: 1000 * i, flags: SYN, options: OPTION.mss(1460) });
  }
  await clock.advanceMsAsync(1);
  const byPort = (port) => answers.filter((s) => s.dstPort === port).map((s) => s.flags);
  assert.deepEqual(byPort(41000), [SYN | ACK]);
  assert.deepEqual(byPort(41001), [SYN | ACK]);
  assert.deepEqual(byPort(41002), [RST | ACK], 'the SYN past the backlog is answered with RST');
  const listener = b.report().sockets.find((s) => s.kind === 'tcp-listener');
  assert.equal(listener.tcp.backlog, BACKLOG);
  assert.equal(listener.tcp.children, BACKLOG);
  const socket = a.net.connect(80, '10.0.0.2');
  const error = await waitFor(clock, socket, 'error', 1000);
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(b.stats().tcpBacklogFull, 2);
  // The half-open children time out (SYN-ACK retries), and then the backlog has room again.
  await clock.advanceMsAsync(120_000);
  assert.ok(b.stats().tcpHalfOpenTimeouts >= BACKLOG);
  const again = a.net.connect(80, '10.0.0.2');
  await waitFor(clock, again, 'connect', 1000);
  again.destroy();
});

test('field report 002: port 65535 works for listen and as a local port', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const server = b.net.createServer((s) => s.end(`from ${s.remotePort}`));
  server.listen(65535);
  await waitFor(clock, server, 'listening', 10);
  assert.equal(server.address().port, 65535);
  const socket = a.net.connect({ port: 65535, host: '10.0.0.2', localPort: 65535 });
  const got = [];
  socket.on('data', (d) => got.push(d));
  // Read while connected: as in Node, the local fields go with the connection.
  let localPort;
  socket.once('connect', () => { localPort = socket.localPort; });
  await waitFor(clock, socket, 'close', 1000);
  assert.equal(localPort, 65535);
  assert.equal(socket.remotePort, 65535);
  assert.equal(Buffer.concat(got).toString(), 'from 65535');
});

test('field report 002: huge timeouts saturate: setTimeout, setKeepAlive, backlog and limits at their maxima never wrap or trap', async (t) => {
  const DAY_MS = 24 * 3600 * 1000;
  const atMaxima = { tcpTimeWaitMs: DAY_MS, tcpLingerMs: DAY_MS, tcpOrphanMs: DAY_MS, tcpTimeWaitEntries: 1 << 16, tcpListeners: 0xffff };
  // The clock starts an hour before 2^53 us, the end of what a VirtualClock can count.
  const clock = new VirtualClock(2 ** 53 - 3600e6);
  const { stack, peer, close } = await stackAndPeer({ tcpLingerMs: DAY_MS, tcpOrphanMs: DAY_MS, tcpTimeWaitMs: DAY_MS }, { clock });
  t.after(close);
  const maxed = await Stack.create({ ipv4: '10.0.0.9/24', clock, limits: atMaxima });
  t.after(() => maxed.close());
  handshakeOnly(peer);
  const sockets = [];
  const connect = async () => {
    const s = stack.net.connect(80, '10.0.0.1');
    sockets.push(s);
    await waitFor(clock, s, 'connect', 1000);
    return s;
  };
  // A keep-alive delay past 2^32 ms would wrap to 1000 ms as a 32-bit integer, 2^31 to a negative one.
  const wrapsToOneSecond = 2 ** 32 + 1000;
  const a = await connect();
  a.setKeepAlive(true, wrapsToOneSecond);
  const b = await connect();
  b.setKeepAlive(true, 2 ** 31);
  const c = await connect();
  c.setKeepAlive(true, Number.MAX_VALUE);
  const timeouts = [];
  for (const [s, ms] of [[a, Number.MAX_SAFE_INTEGER], [b, 2 ** 32 + 1], [c, 2 ** 40]]) {
    s.setTimeout(ms, () => timeouts.push(ms));
    assert.equal(s.timeout, ms);
  }
  // A control with a short delay shows that probes are seen when they are due.
  const control = await connect();
  let controlError = null;
  control.on('error', (e) => { controlError = e.code; });
  control.setKeepAlive(true, 1000);
  const rows = tcpRows(stack);
  assert.equal(rows.length, 4);
  assert.ok(rows.every((r) => r.tcp.keepAlive), 'keep-alive is on for all four');
  const probesTo = (socket) => {
    let n = 0;
    const previous = peer.onSegment;
    peer.onSegment = (s) => { if (s.srcPort === socket.localPort && s.data.length === 0 && (s.flags & ACK)) n++; previous(s); };
    return () => n;
  };
  const controlProbes = probesTo(control);
  const hugeProbes = [a, b, c].map(probesTo);
  await clock.advanceMsAsync(10_000);
  assert.ok(controlProbes() >= 1, 'the 1 s control probed');
  assert.deepEqual(hugeProbes.map((n) => n()), [0, 0, 0], 'no huge delay wrapped into a short one');
  // Closed with data the vanished peer never acknowledges: a day's linger, not a wrapped one.
  a.write('unacknowledged');
  a.destroy();
  await clock.advanceMsAsync(60_000);
  assert.equal(tcpRows(stack).filter((r) => r.tcp.orphan).length, 1, 'the orphan lingers (a 1-day bound, 60 s passed)');
  // It ends when its retransmissions give up, not at a linger bound wrapped short.
  await clock.advanceMsAsync(3_000_000);
  assert.equal(tcpRows(stack).filter((r) => r.tcp.orphan).length, 0);
  assert.equal(stack.stats().tcpLingerResets, 0);
  assert.ok(stack.stats().tcpTimeouts >= 1);
  assert.deepEqual(timeouts, []);
  // Keep-alive did its work where it was due: 9 unanswered probes 75 s apart end the control.
  assert.equal(controlError, 'ETIMEDOUT');
  assert.equal(stack.failed, null);
  // A huge backlog saturates (a 32-bit wrap would make it negative, an error).
  const server = stack.net.createServer(() => {});
  server.listen(8080, '0.0.0.0', 2 ** 32 + 5);
  await waitFor(clock, server, 'listening', 10);
  const listener = stack.report().sockets.find((s) => s.kind === 'tcp-listener');
  assert.ok(listener.tcp.backlog > 5, `backlog ${listener.tcp.backlog}`);
  server.close();
  for (const s of sockets) s.destroy();
});

test('field report 003: close never blocks; clients that RST-close at 12 per second against a 10-slot table do not disturb a concurrent 64 MiB transfer', async (t) => {
  const SLOTS = 10;
  const UPLOAD = 64 << 20;
  const CHUNK = 1 << 20;
  // A 100 Mbit/s link makes the upload take about 5.6 virtual seconds, so ~65 clients come and go during it.
  const { clock, a, b, close } = await pair({ limitsB: { tcpConnections: SLOTS }, link: { rateBitsPerSecond: 100e6 } });
  t.after(close);
  const upload = randomBytes(CHUNK);
  const received = createHash('sha256');
  let receivedBytes = 0;
  let uploadDone = false;
  const serverErrors = [];
  // Port 80 answers every request like a web server and closes at once, with its response still
  // unacknowledged (the case of field report 003); port 8080 takes the upload.
  const RESPONSE = Buffer.alloc(4000, 0x61);
  const web = b.net.createServer((s) => {
    s.on('error', (e) => serverErrors.push(e.code));
    s.once('data', () => {
      s.end(RESPONSE);
      s.destroy();
      // Close never blocks: the socket is gone from its user at once; the core finishes it.
      if (s.destroyed) closedAtOnce++;
    });
  });
  let closedAtOnce = 0;
  web.listen(80);
  b.net.createServer((s) => {
    s.on('data', (d) => { received.update(d); receivedBytes += d.length; });
    s.on('end', () => { uploadDone = true; s.end(); });
    s.on('error', (e) => serverErrors.push(`upload ${e.code}`));
  }).listen(8080);
  const uploader = a.net.connect(8080, '10.0.0.2');
  const uploaderErrors = [];
  uploader.on('error', (e) => uploaderErrors.push(e.code));
  const sent = createHash('sha256');
  let chunks = 0;
  const pump = () => {
    while (chunks < UPLOAD / CHUNK) {
      chunks++;
      sent.update(upload);
      if (!uploader.write(upload)) { uploader.once('drain', pump); return; }
    }
    uploader.end();
  };
  pump();
  // Clients: one every 83 ms (12 per second); each asks, and RST-closes as soon as the first
  // bytes of the answer arrive, cancelling the ACK the server waits for.
  const CLIENT_INTERVAL_MS = 83;
  const clients = { started: 0, answered: 0, refused: 0, other: [] };
  let ms = 0;
  while (!uploadDone && ms < 60_000) {
    if (ms % CLIENT_INTERVAL_MS === 0) {
      clients.started++;
      const c = a.net.connect(80, '10.0.0.2');
      c.on('error', (e) => { if (e.code === 'ECONNREFUSED') clients.refused++; else clients.other.push(e.code); });
      c.once('connect', () => c.write('GET / HTTP/1.1\r\n\r\n'));
      c.once('data', () => { clients.answered++; c.resetAndDestroy(); });
    }
    await clock.advanceMsAsync(1);
    ms++;
  }
  assert.ok(uploadDone, `upload not done after ${ms} ms (${receivedBytes} bytes)`);
  assert.equal(receivedBytes, UPLOAD);
  assert.equal(received.digest('hex'), sent.digest('hex'));
  assert.deepEqual(uploaderErrors, []);
  assert.ok(clients.started >= 60, `${clients.started} clients during the upload`);
  await clock.advanceMsAsync(1000);
  assert.equal(clients.refused, 0, 'no client found the table full');
  assert.deepEqual(clients.other, []);
  assert.equal(clients.answered, clients.started);
  assert.ok(serverErrors.every((e) => e === 'ECONNRESET'), `server errors ${serverErrors}`);
  const s = b.stats();
  assert.equal(s.tcpTableFull, 0);
  assert.equal(s.tcpOrphansEvicted, 0, 'no connection, the upload least of all, was reclaimed for room');
  assert.ok(s.tcpResetsReceived >= clients.started, 'the clients\' RSTs freed the server\'s orphans');
  // Every orphan is gone and the upload closed: only the two listeners are left.
  await clock.advanceMsAsync(5000);
  assert.deepEqual(tcpRows(b), []);
  assert.equal(closedAtOnce, clients.started);
});

// A server that closes first holds each tuple in TIME-WAIT. A client that handed a just-freed
// port straight back to the same server would find it still there with an initial sequence number
// (RFC 6528's 4-microsecond clock) not yet past the old connection's: the server answers the SYN
// with an ACK, the client resets and waits out a 1 s SYN retransmission. RFC 6056 Algorithm 3
// moves a client to the next port per connection to one peer, so that never happens. Real time:
// the reuse it guards against happens within microseconds.
test('connection churn: 10,000 connections in a row to a server that closes first, none waits on a SYN retransmission or meets a RST', async (t) => {
  const CONNECTIONS = 10_000;
  const client = await Stack.create({ ipv4: '10.0.0.1/24', seed: 11 });
  const server = await Stack.create({ ipv4: '10.0.0.2/24', seed: 12 });
  const link = MemoryLink.connect(client, server);
  t.after(() => { client.close(); server.close(); link.close(); });
  const listener = server.net.createServer((socket) => {
    socket.on('data', () => socket.end('reply'));
  });
  listener.listen(80);
  await new Promise((resolve) => listener.once('listening', resolve));
  const ports = new Set();
  for (let i = 0; i < CONNECTIONS; i++) {
    await new Promise((resolve, reject) => {
      const socket = client.net.connect(80, '10.0.0.2', () => { ports.add(socket.localPort); socket.write('request'); });
      socket.on('data', () => {});
      socket.on('end', () => socket.end());
      socket.on('error', reject);
      socket.on('close', resolve);
    });
  }
  listener.close();
  const c = client.stats();
  const s = server.stats();
  assert.equal(ports.size, CONNECTIONS, 'every connection had a port of its own');
  assert.deepEqual([c.tcpRetransmits, c.tcpResetsSent, s.tcpResetsSent], [0, 0, 0], 'no SYN resent, no RST either way');
  assert.equal(c.tcpActiveOpens, CONNECTIONS);
});
