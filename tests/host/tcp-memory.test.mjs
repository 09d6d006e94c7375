// The core allocates everything in init: TCP churn must not move the heap top or the memory size,
// and every slot must come back. 100,000 connections between two stacks, 32 at a time on a table
// of 64: each connects, sends a request, gets a reply and the server's FIN, and closes. Afterwards
// memory is unchanged, report() lists no connection, and the counters add up: every open was
// accepted and answered, every segment sent was received, no limit was hit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, run, once, tcpRows } from './tcp-pair.mjs';

const CONNECTIONS = Number(process.env.WASMNET_CHURN ?? 100_000);
const CONCURRENT = 32;
const REQUEST = 'ping';
const REPLY = 'pong';

test(`memory: heap top and memory size unchanged after ${CONNECTIONS} TCP connections opened and closed`, async (t) => {
  const { clock, a, b, close } = await pair({ link: { trusted: true } });
  t.after(close);
  const baseline = { a: a.memory(), b: b.memory() };
  // Resolve ARP first: SYNs waiting for it beyond its pending queue would be dropped (and counted).
  await run(clock, a.ping('10.0.0.2'));

  let accepted = 0;
  let wrongRequests = 0;
  const errors = [];
  const server = b.net.createServer((socket) => {
    accepted++;
    socket.on('error', (e) => errors.push(e));
    socket.once('data', (d) => {
      if (String(d) !== REQUEST) wrongRequests++;
      socket.end(REPLY);
    });
  });
  server.listen(80);
  await run(clock, once(server, 'listening'));

  let started = 0;
  let closed = 0;
  let wrongReplies = 0;
  const allClosed = new Promise((resolve) => {
    const open = () => {
      started++;
      const socket = a.net.connect(80, '10.0.0.2');
      const got = [];
      socket.on('data', (d) => got.push(d));
      socket.on('error', (e) => errors.push(e));
      socket.on('close', () => {
        if (Buffer.concat(got).toString() !== REPLY) wrongReplies++;
        closed++;
        if (started < CONNECTIONS) open();
        else if (closed === CONNECTIONS) resolve();
      });
      socket.write(REQUEST);
    };
    for (let i = 0; i < CONCURRENT; i++) open();
  });
  await run(clock, allClosed, 10 * 60_000);

  assert.deepEqual(errors, []);
  assert.equal(accepted, CONNECTIONS);
  assert.deepEqual([wrongRequests, wrongReplies], [0, 0]);
  assert.deepEqual(tcpRows(a), [], 'no connection left on the client');
  assert.deepEqual(tcpRows(b).map((r) => r.kind), ['tcp-listener'], 'only the listener on the server');
  server.close();
  await run(clock, once(server, 'close'));
  assert.deepEqual(tcpRows(b), []);

  const sa = a.stats();
  const sb = b.stats();
  assert.equal(sa.tcpActiveOpens, CONNECTIONS);
  assert.equal(sb.tcpPassiveOpens, CONNECTIONS);
  // A lossless link: every segment one side sent, the other received.
  assert.equal(sb.tcpSegmentsReceived, sa.tcpSegmentsSent);
  assert.equal(sa.tcpSegmentsReceived, sb.tcpSegmentsSent);
  for (const s of [sa, sb]) {
    assert.deepEqual(
      [s.tcpTableFull, s.tcpBacklogFull, s.tcpSendFailed, s.tcpLingerResets, s.tcpOrphansTimedOut, s.tcpOrphansEvicted, s.tcpTimeouts, s.tcpDropNoSocket],
      [0, 0, 0, 0, 0, 0, 0, 0], 'no limit hit, nothing lost');
  }
  assert.deepEqual(a.memory(), baseline.a, 'client: heap top and pages unchanged');
  assert.deepEqual(b.memory(), baseline.b, 'server: heap top and pages unchanged');
});
