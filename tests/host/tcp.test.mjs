// TCP through stack.net between two stacks on a MemoryLink: connect, echo, bulk transfer with
// SHA-256 checked, half-close, refused connects, Node's events and their order, close that never
// blocks, report() rows. Runs on a VirtualClock with fixed seeds; time is stepped until done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { pair, run, once, sha256, until, tcpRows } from './tcp-pair.mjs';

test('connect, echo, end: events in Node order, data intact, both sides closed', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const server = b.net.createServer((socket) => socket.pipe(socket));
  server.listen(7);
  await run(clock, once(server, 'listening'));
  assert.deepEqual(server.address(), { address: '0.0.0.0', family: 'IPv4', port: 7 });
  const events = [];
  const socket = a.net.connect(7, '10.0.0.2');
  assert.ok(socket instanceof Duplex);
  assert.equal(socket.connecting, true);
  assert.equal(socket.readyState, 'opening');
  for (const e of ['connect', 'ready', 'end', 'close']) socket.on(e, () => events.push(e));
  const received = [];
  socket.on('data', (d) => received.push(d));
  await run(clock, once(socket, 'connect'));
  assert.equal(socket.remoteAddress, '10.0.0.2');
  assert.equal(socket.remotePort, 7);
  assert.equal(socket.localAddress, '10.0.0.1');
  assert.ok(socket.localPort >= 49152);
  assert.equal(socket.readyState, 'open');
  socket.end('hello, wasmnet');
  await run(clock, once(socket, 'close'));
  assert.equal(Buffer.concat(received).toString(), 'hello, wasmnet');
  assert.deepEqual(events, ['connect', 'ready', 'end', 'close']);
  assert.equal(socket.bytesRead, 14);
  assert.equal(socket.bytesWritten, 14);
});

test('1 MiB each way with SHA-256 equal on both ends', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const upload = randomBytes(1 << 20);
  const download = randomBytes(1 << 20);
  const serverGot = [];
  const server = b.net.createServer((socket) => {
    socket.on('data', (d) => serverGot.push(d));
    socket.end(download);
  });
  server.listen(80);
  const socket = a.net.connect({ port: 80, host: '10.0.0.2' });
  const clientGot = [];
  socket.on('data', (d) => clientGot.push(d));
  socket.end(upload);
  await run(clock, once(socket, 'close'));
  assert.equal(sha256(clientGot), sha256([download]));
  await run(clock, new Promise((resolve) => setImmediate(resolve)));
  assert.equal(sha256(serverGot), sha256([upload]));
});

// The sender's Nagle (Minshall's, as Linux) holds a short segment while an earlier short one is
// unacknowledged. A receiver that delayed its ACK for a full segment and a short one (less than
// two full segments' worth) made that wait the whole delayed-ACK time: at the end of every
// transfer whose writes were not multiples of the MSS. Virtual time only moves when the test
// moves it, so the time a write takes to arrive is the time it waited on a timer.
test('a short write after a full and a short segment does not wait out a delayed ACK', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const MSS = 1460;
  const SHORT = 1296;
  const TAIL = 624;
  const DELAYED_ACK_MS = 40;
  const socket = a.net.connect({ port: 80, host: '10.0.0.2' });
  let received = 0;
  let segmentsBefore = 0;
  let startedAt = 0;
  const allThere = new Promise((resolve) => {
    b.net.createServer((peer) => peer.on('data', (d) => {
      received += d.length;
      // A full segment and a short one (the tail of the first write) are at the peer: the next
      // short write goes at once, while the short segment is still unacknowledged.
      if (received === MSS + SHORT) {
        assert.equal(a.stats().tcpSegmentsSent - segmentsBefore, 2, 'the first write went as two segments');
        socket.write(randomBytes(TAIL));
      }
      if (received === MSS + SHORT + TAIL) resolve(clock.now());
    })).listen(80);
  });
  await run(clock, once(socket, 'connect'));
  segmentsBefore = a.stats().tcpSegmentsSent;
  startedAt = clock.now();
  socket.write(randomBytes(MSS + SHORT));
  const arrivedAt = await run(clock, allThere, 1_000);
  const tookMs = (arrivedAt - startedAt) / 1000;
  assert.ok(tookMs < DELAYED_ACK_MS, `both writes arrived after ${tookMs} virtual ms`);
  socket.destroy();
});

test('request, reply and close (the server ends after replying, the client on \'end\'): seven segments, the client\'s FIN carrying the ACK of the server\'s', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const server = b.net.createServer((peer) => peer.on('data', () => peer.end('reply')));
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const sentBefore = a.stats().tcpSegmentsSent + b.stats().tcpSegmentsSent;
  const socket = a.net.connect(80, '10.0.0.2', () => socket.write('request'));
  const got = [];
  socket.on('data', (d) => got.push(d));
  socket.on('end', () => socket.end());
  await run(clock, once(socket, 'close'));
  assert.equal(Buffer.concat(got).toString(), 'reply');
  // SYN, SYN-ACK, ACK, request, reply+FIN, FIN-ACK, ACK: the ACK of a FIN that arrives in
  // ESTABLISHED is delayed (as Linux's), so a client that closes on 'end' sends no separate ACK.
  const sent = a.stats().tcpSegmentsSent + b.stats().tcpSegmentsSent - sentBefore;
  assert.equal(sent, 7);
  // A client that does not close on 'end' still acknowledges the FIN, after the delayed-ACK time.
  const halfOpen = a.net.connect({ port: 80, host: '10.0.0.2', allowHalfOpen: true }, () => halfOpen.write('request'));
  halfOpen.resume();
  await run(clock, once(halfOpen, 'end'));
  const ended = clock.now();
  const serverSent = b.stats().tcpSegmentsSent;
  await until(clock, () => tcpRows(b).every((r) => r.state !== 'FIN-WAIT-1'), 1_000);
  const ackedMs = (clock.now() - ended) / 1000;
  assert.ok(ackedMs > 0 && ackedMs <= 41, `the server's FIN acknowledged after ${ackedMs} virtual ms`);
  assert.equal(b.stats().tcpSegmentsSent, serverSent, 'acknowledged without a retransmitted FIN');
  halfOpen.destroy();
});

test('closing the stack under a server with open connections: each socket closes, then the server, once', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const events = [];
  const accepted = [];
  const server = b.net.createServer((socket) => {
    const n = accepted.push(socket);
    socket.on('close', () => events.push(`socket ${n} close`));
  });
  server.on('close', () => events.push('server close'));
  server.listen(80);
  const clients = [a.net.connect(80, '10.0.0.2'), a.net.connect(80, '10.0.0.2')];
  for (const c of clients) c.on('error', () => {});
  await run(clock, new Promise((resolve) => {
    const check = () => (accepted.length === 2 ? resolve() : setImmediate(check));
    check();
  }));
  b.close();
  await run(clock, new Promise((resolve) => setTimeout(resolve, 10)));
  assert.deepEqual(events.filter((e) => e === 'server close'), ['server close']);
  assert.equal(events.at(-1), 'server close');
  assert.equal(events.length, 3, events.join(', '));
});

test('thousands of small writes (1 to 200 bytes) through 4 KiB rings, echoed: every byte intact and in order both ways', async (t) => {
  const RING = 4096;
  const { clock, a, b, close } = await pair({ limits: { tcpSendBytes: RING, tcpRecvBytes: RING } });
  t.after(close);
  b.net.createServer((socket) => socket.pipe(socket)).listen(7);
  const socket = a.net.connect(7, '10.0.0.2');
  const writes = [];
  let seed = 7;
  const next = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
  for (let i = 0; i < 3000; i++) {
    const w = Buffer.alloc(1 + (next() % 200));
    for (let j = 0; j < w.length; j++) w[j] = next() & 0xff;
    writes.push(w);
  }
  const expected = Buffer.concat(writes);
  const got = [];
  let received = 0;
  socket.on('data', (d) => { got.push(d); received += d.length; });
  for (const w of writes) socket.write(w);
  await run(clock, new Promise((resolve) => {
    const check = () => (received >= expected.length ? resolve() : setImmediate(check));
    check();
  }));
  assert.equal(sha256(got), sha256([expected]));
  socket.destroy();
});

test('connect to a closed port: ECONNREFUSED with Node\'s fields', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const socket = a.net.connect(81, '10.0.0.2');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const error = await run(clock, once(socket, 'error'));
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.syscall, 'connect');
  assert.equal(error.address, '10.0.0.2');
  assert.equal(error.port, 81);
  assert.match(error.message, /^connect ECONNREFUSED 10\.0\.0\.2:81/);
  await run(clock, closed);
  assert.equal(a.report().sockets.filter((s) => s.kind === 'tcp').length, 0);
});

test('loopback TCP to 127.0.0.1 and to our own address (field report 001)', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const server = a.net.createServer((s) => s.end('pong'));
  server.listen(9000);
  for (const host of ['127.0.0.1', '10.0.0.1']) {
    const socket = a.net.connect(9000, host);
    const got = [];
    socket.on('data', (d) => got.push(d));
    await run(clock, once(socket, 'close'));
    assert.equal(Buffer.concat(got).toString(), 'pong', host);
  }
});

test('half-close: allowHalfOpen keeps writing after the peer ended', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const server = b.net.createServer({ allowHalfOpen: true }, (socket) => {
    const got = [];
    socket.on('data', (d) => got.push(d));
    socket.on('end', () => socket.end(`got ${Buffer.concat(got).length} bytes`));
  });
  server.listen(5000);
  const socket = a.net.connect(5000, '10.0.0.2');
  const reply = [];
  socket.on('data', (d) => reply.push(d));
  socket.end(Buffer.alloc(3000, 1));
  await run(clock, once(socket, 'close'));
  assert.equal(Buffer.concat(reply).toString(), 'got 3000 bytes');
});

test('destroy() never blocks and report() shows the closing connection until it is gone', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  // The server reads (and so ends its side when the client's FIN arrives, allowHalfOpen false).
  const server = b.net.createServer((s) => s.resume());
  server.listen(6000);
  const socket = a.net.connect(6000, '10.0.0.2');
  await run(clock, once(socket, 'connect'));
  socket.write(Buffer.alloc(1000));
  socket.destroy();
  assert.equal(socket.destroyed, true);
  const rows = a.report().sockets.filter((s) => s.kind === 'tcp');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].tcp.orphan, true);
  await run(clock, new Promise((resolve) => setTimeout(resolve, 5)), 5000);
  await clock.advanceMsAsync(100);
  const after = a.report().sockets.filter((s) => s.kind === 'tcp');
  assert.equal(after.length, 0, 'the orphan finished (FIN acknowledged, TIME-WAIT holds no slot)');
  assert.equal(a.report().tcpTimeWait, 1, 'the closing side keeps a TIME-WAIT entry');
});

test('sequence numbers across 2^32 both ways (field report 004): 4 MiB each way from ISSs 1 KiB below the wrap', async (t) => {
  const { clock, a, b, close } = await pair({ tcpIssBase: 0xffff_ffff - 1024 });
  t.after(close);
  const upload = randomBytes(4 << 20);
  const download = randomBytes(4 << 20);
  const serverGot = [];
  const serverDone = new Promise((resolve) => {
    b.net.createServer((socket) => {
      socket.on('data', (d) => serverGot.push(d));
      socket.on('end', resolve);
      socket.end(download);
    }).listen(80);
  });
  const socket = a.net.connect(80, '10.0.0.2');
  const clientGot = [];
  socket.on('data', (d) => clientGot.push(d));
  socket.end(upload);
  await run(clock, Promise.all([once(socket, 'close'), serverDone]));
  assert.equal(sha256(clientGot), sha256([download]));
  assert.equal(sha256(serverGot), sha256([upload]));
  assert.equal(a.stats().tcpRetransmits + b.stats().tcpRetransmits, 0);
  assert.equal(a.stats().tcpIdleWakeups + b.stats().tcpIdleWakeups, 0, 'no connection ever owed nothing');
});

test('a socket nobody reads still sees the peer\'s end: \'end\' then \'close\', its slot freed (as in Node)', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const serverEvents = [];
  let serverClosed;
  const server = b.net.createServer((socket) => {
    // No 'data' listener, no read(): Node still reads to EOF and ends the socket.
    for (const e of ['end', 'close']) socket.on(e, () => serverEvents.push(e));
    serverClosed = once(socket, 'close');
    socket.end('x');
  });
  server.listen(80);
  const socket = a.net.connect(80, '10.0.0.2');
  const got = [];
  socket.on('data', (d) => got.push(d));
  await run(clock, once(socket, 'close'));
  await run(clock, serverClosed, 1000);
  assert.equal(Buffer.concat(got).toString(), 'x');
  assert.deepEqual(serverEvents, ['end', 'close']);
  assert.deepEqual(b.report().sockets.filter((s) => s.kind === 'tcp'), []);
});

test('001: connect with port 0 picks an ephemeral port; a reader that starts after the data and the FIN arrived still gets both', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  let accepted;
  const server = b.net.createServer((socket) => { accepted = socket; });
  server.listen(4000);
  const client = a.net.connect({ port: 4000, host: '10.0.0.2', localPort: 0 });
  client.end('early bird');
  await run(clock, once(client, 'finish'));
  // Long after the data, the FIN and every event about them were drained: nobody read yet.
  await clock.advanceMsAsync(500);
  assert.ok(client.localPort >= 49152 && client.localPort <= 65535, `ephemeral port ${client.localPort}`);
  assert.ok(accepted, 'the server accepted the connection');
  const got = [];
  const ended = new Promise((resolve) => accepted.on('end', resolve));
  accepted.on('data', (d) => got.push(d));
  await run(clock, ended);
  assert.equal(Buffer.concat(got).toString(), 'early bird');
});
