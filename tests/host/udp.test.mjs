// UDP over running stacks through the Node-style dgram API: an echo of 10,000 datagrams over a lossy
// link with exact loss accounting, MTU limits (EMSGSIZE), ICMP port unreachable and ECONNREFUSED,
// Node's dgram behaviour (bind, address, connect, broadcast, message types, close), the socket
// table limit (EMFILE) with report(), the receive queue bound, and what stack.close() does to
// sockets. Everything runs on a VirtualClock with fixed seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { Stack, MemoryLink, VirtualClock, FramePort } from 'wasmnet';

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;
const IP_UDP_HEADERS = 28;

async function pair(options = {}) {
  const { link: linkOptions = {}, ...stackOptions } = options;
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, ...stackOptions });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, ...stackOptions });
  const link = MemoryLink.connect(a, b, linkOptions);
  const close = () => { a.close(); b.close(); link.close(); };
  return { clock, a, b, link, close };
}

/** Resolves with the socket once bound ('listening'), rejects with its 'error'. */
function bound(socket, ...args) {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(...args, () => { socket.off('error', reject); resolve(socket); });
  });
}

/** Calls send and resolves with [error, bytes] from its callback. */
function sent(socket, ...args) {
  return new Promise((resolve) => socket.send(...args, (error, bytes) => resolve([error, bytes])));
}

/** An echo server on stack `b`, port 7. */
async function echoServer(stack, port = 7) {
  const server = stack.dgram.createSocket('udp4');
  server.on('message', (message, rinfo) => server.send(message, rinfo.port, rinfo.address));
  return bound(server, port);
}

/** Payload of datagram `seq`: its number, its length, then a pattern that depends on both. */
function datagram(seq, length) {
  const bytes = Buffer.alloc(length);
  bytes.writeUInt32BE(seq, 0);
  bytes.writeUInt16BE(length, 4);
  for (let i = 6; i < length; i++) bytes[i] = (seq * 31 + i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

/** Checks a received payload byte for byte; returns its sequence number. */
function verify(bytes) {
  assert.ok(bytes.length >= 6, `datagram of ${bytes.length} bytes is too short`);
  const seq = bytes.readUInt32BE(0);
  assert.equal(bytes.readUInt16BE(4), bytes.length, `datagram ${seq}: length field`);
  const expected = datagram(seq, bytes.length);
  if (!expected.equals(bytes)) {
    const at = expected.findIndex((b, i) => b !== bytes[i]);
    assert.fail(`datagram ${seq} corrupted at byte ${at}: ${bytes[at]} instead of ${expected[at]}`);
  }
  return seq;
}

const lengthOf = (seq) => 6 + ((seq * 131) % 1467); // 6 .. 1472 bytes

// ---- echo with loss ---------------------------------------------------------------------------

test('UDP echo: 10,000 datagrams over a link with 5% loss, every survivor intact, loss explained exactly', async () => {
  const TOTAL = 10_000;
  const BATCH = 25;
  const { clock, a, b, link, close } = await pair({ link: { loss: 0.05, delayMs: 1, seed: 7 } });
  try {
    const server = await echoServer(b);
    const client = await bound(a.dgram.createSocket('udp4'));
    const received = new Set();
    let duplicates = 0;
    let badSource = 0;
    client.on('message', (message, rinfo) => {
      if (rinfo.address !== '10.0.0.2' || rinfo.port !== 7 || rinfo.size !== message.length) badSource++;
      const seq = verify(message);
      if (received.has(seq)) duplicates++;
      received.add(seq);
    });
    // Resolve ARP both ways first (the link is lossy, so ping until one gets through), then count
    // only what the echo run adds.
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 10, 'ARP never resolved');
      const outcome = a.ping('10.0.0.2', { timeoutMs: 100 }).then(() => true, () => false);
      await clock.advanceMsAsync(100);
      if (await outcome) break;
    }
    await clock.advanceMsAsync(10);
    const before = { link: link.stats(), a: a.stats(), b: b.stats() };

    const sendErrors = [];
    for (let seq = 0; seq < TOTAL; seq += BATCH) {
      for (let n = seq; n < Math.min(seq + BATCH, TOTAL); n++) {
        client.send(datagram(n, lengthOf(n)), 7, '10.0.0.2', (error) => { if (error) sendErrors.push(error); });
      }
      await clock.advanceMsAsync(1);
    }
    await clock.advanceMsAsync(100);

    const after = { link: link.stats(), a: a.stats(), b: b.stats() };
    const delta = (dir, field) => after.link[dir][field] - before.link[dir][field];
    const lostAB = after.link.aToB.dropped.loss - before.link.aToB.dropped.loss;
    const lostBA = after.link.bToA.dropped.loss - before.link.bToA.dropped.loss;

    assert.deepEqual(sendErrors, []);
    assert.equal(duplicates, 0, 'no datagram arrived twice');
    assert.equal(badSource, 0, 'every echo came from 10.0.0.2:7 with the right size');
    // Only the datagrams went over the link during the run (no ARP), each direction in full.
    assert.equal(delta('aToB', 'sent'), TOTAL, 'a sent every request');
    assert.equal(after.a.arpRequestsSent, before.a.arpRequestsSent);
    assert.equal(after.b.arpRequestsSent, before.b.arpRequestsSent);
    assert.equal(after.link.aToB.inFlight + after.link.bToA.inFlight, 0);
    // b echoed every request that reached it, and nothing dropped a datagram but the link.
    const requestsArrived = delta('aToB', 'delivered');
    assert.equal(requestsArrived, TOTAL - lostAB);
    assert.equal(after.b.udpDelivered - before.b.udpDelivered, requestsArrived);
    assert.equal(delta('bToA', 'sent'), requestsArrived, 'b echoed each request once');
    for (const s of [after.a, after.b]) {
      assert.equal(s.udpDropQueueFull, 0);
      assert.equal(s.txQueueFull, 0);
      assert.equal(s.rxNoBuffer, 0);
      assert.equal(s.udpDropChecksum + s.udpDropMalformed + s.udpDropNoSocket, 0);
      assert.equal(s.eventOverflows, 0);
    }
    assert.equal(after.a.udpDelivered - before.a.udpDelivered, received.size);
    // Echoes lost = requests lost on a->b + replies lost on b->a, exactly.
    assert.equal(TOTAL - received.size, lostAB + lostBA);
    // A sane amount for 5% each way: about 10,000 * 0.95^2 = 9,025 delivered (sigma about 30).
    assert.ok(received.size >= 8_850 && received.size <= 9_200, `delivered ${received.size}`);
    assert.ok(lostAB >= 380 && lostAB <= 620, `lost a->b ${lostAB}`);
    assert.ok(lostBA >= 360 && lostBA <= 600, `lost b->a ${lostBA}`);
    server.close();
    client.close();
  } finally {
    close();
  }
});

// ---- MTU --------------------------------------------------------------------------------------

test('oversized datagram: EMSGSIZE past MTU - 28; the largest allowed goes through intact; mtu 9000 moves the limit', async () => {
  for (const mtu of [1500, 9000]) {
    const { clock, a, b, close } = await pair({ mtu, link: { mtu, delayMs: 1 } });
    try {
      const max = mtu - IP_UDP_HEADERS;
      const server = await echoServer(b);
      const client = a.dgram.createSocket('udp4');
      const echoes = [];
      client.on('message', (message) => echoes.push(message));
      let unexpected = null;
      client.on('error', (error) => { unexpected = error; });

      const [tooBig] = await sent(client, datagram(1, max + 1), 7, '10.0.0.2');
      assert.ok(tooBig instanceof Error, `mtu ${mtu}: ${max + 1} bytes refused`);
      assert.equal(tooBig.code, 'EMSGSIZE');
      const [wayTooBig] = await sent(client, Buffer.alloc(65_000), 7, '10.0.0.2');
      assert.equal(wayTooBig?.code, 'EMSGSIZE');
      const [ok, bytes] = await sent(client, datagram(2, max), 7, '10.0.0.2');
      assert.equal(ok, null);
      assert.equal(bytes, max);
      if (mtu > 1500) assert.equal((await sent(client, datagram(3, 1473), 7, '10.0.0.2'))[0], null, '1473 fits a jumbo MTU');
      await clock.advanceMsAsync(50);
      assert.equal(unexpected, null, 'errors went to the callback, not to an error event');
      assert.deepEqual(echoes.map(verify), mtu > 1500 ? [2, 3] : [2]);
      assert.equal(echoes[0].length, max);
      // The oversized ones never reached the wire: b got exactly the datagrams that fit.
      assert.equal(b.stats().udpDelivered, echoes.length);
      assert.equal(a.stats().txQueueFull, 0);
      server.close();
      client.close();
    } finally {
      close();
    }
  }
});

// ---- loopback ---------------------------------------------------------------------------------

test('UDP over the loopback (127.0.0.1, the own address, the default localhost): intact, in order, no frame on the device, no message inside send()', async () => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 5 });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(a, port);
  try {
    const receiver = await bound(a.dgram.createSocket('udp4'), 5000);
    const got = [];
    let inSend = false;
    let emittedInsideSend = 0;
    receiver.on('message', (message, rinfo) => {
      if (inSend) emittedInsideSend++;
      got.push([verify(message), rinfo.address]);
    });
    const sender = a.dgram.createSocket('udp4');
    const errors = [];
    const targets = ['127.0.0.1', '10.0.0.1', undefined];
    const send = (seq) => {
      inSend = true;
      sender.send(datagram(seq, lengthOf(seq)), 5000, targets[seq % 3], (error) => { if (error) errors.push(error); });
      inSend = false;
    };

    // Paced (32 per millisecond, within the loopback ring and the receive queue): every one arrives.
    const PACED = 320;
    for (let seq = 0; seq < PACED; seq++) {
      send(seq);
      if (seq % 32 === 31) await clock.advanceMsAsync(1);
    }
    await clock.advanceMsAsync(1);
    assert.deepEqual(errors, []);
    assert.deepEqual(got.map(([seq]) => seq), Array.from({ length: PACED }, (_, i) => i));
    got.forEach(([seq, from]) => assert.equal(from, seq % 3 === 1 ? '10.0.0.1' : '127.0.0.1', `source of ${seq}`));
    assert.equal(a.stats().udpDropQueueFull, 0);

    // A burst of 300 in one go: more than the loopback ring (64 frames) and the receive queue (64
    // datagrams) hold. The sender never fails (the stack moves the ring on), nothing is emitted
    // from inside send(), and what the full receive queue dropped is counted, as Linux does.
    got.length = 0;
    const BURST = 300;
    for (let seq = PACED; seq < PACED + BURST; seq++) send(seq);
    await clock.advanceMsAsync(1);
    assert.deepEqual(errors, []);
    assert.equal(emittedInsideSend, 0, "no 'message' is emitted synchronously from inside send()");
    const seqs = got.map(([seq]) => seq);
    // A full queue refuses the newcomer: the ones kept are the burst's first, in order.
    assert.ok(seqs.length > 0);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => PACED + i));
    const s = a.stats();
    assert.ok(s.udpDropQueueFull > 0);
    assert.equal(got.length + s.udpDropQueueFull, BURST, 'every datagram delivered or counted');
    assert.equal(s.udpDelivered, PACED + got.length);
    assert.equal(s.txFrames, 0);
    assert.equal(port.stats().received, 0, 'nothing reached the device');
    assert.equal(link.stats().aToB.sent, 0);
    receiver.close();
    sender.close();
  } finally {
    a.close();
    link.close();
  }
});

// ---- closed port ------------------------------------------------------------------------------

test('closed port: ICMP port unreachable; ECONNREFUSED on a connected socket, nothing on an unconnected one', async () => {
  const { clock, a, b, close } = await pair({ link: { delayMs: 1 } });
  try {
    const loose = await bound(a.dgram.createSocket('udp4'));
    const looseErrors = [];
    loose.on('error', (error) => looseErrors.push(error));
    const [e1] = await sent(loose, 'anyone?', 9, '10.0.0.2');
    assert.equal(e1, null);
    await clock.advanceMsAsync(20);
    assert.equal(b.stats().udpDropNoSocket, 1);
    assert.equal(b.stats().icmpUnreachableSent, 1);
    assert.equal(a.stats().icmpErrorsReceived, 1);
    assert.deepEqual(looseErrors, [], 'an unconnected socket is not told (Linux behaviour)');

    const connected = a.dgram.createSocket('udp4');
    const errors = [];
    connected.on('error', (error) => errors.push(error));
    await new Promise((resolve) => connected.connect(9, '10.0.0.2', resolve));
    const [e2] = await sent(connected, 'anyone there?');
    assert.equal(e2, null, 'the send itself succeeds');
    await clock.advanceMsAsync(20);
    assert.equal(b.stats().icmpUnreachableSent, 2);
    assert.equal(a.stats().icmpErrorsReceived, 2);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'ECONNREFUSED');
    assert.deepEqual(looseErrors, []);
    // The error was consumed: nothing more is reported until the next refused datagram.
    await clock.advanceMsAsync(20);
    assert.equal(errors.length, 1);
    // The socket stays usable: once someone listens on port 9, datagrams get through.
    const late = await bound(b.dgram.createSocket('udp4'), 9);
    const got = new Promise((resolve) => late.once('message', (m) => resolve(String(m))));
    connected.send('now?');
    await clock.advanceMsAsync(5);
    assert.equal(await got, 'now?');
    assert.equal(errors.length, 1);
    for (const s of [loose, connected, late]) s.close();
  } finally {
    close();
  }
});

// ---- the dgram API ----------------------------------------------------------------------------

test('dgram bind: port 0 is ephemeral (49152..65535), EADDRINUSE, EADDRNOTAVAIL, address() before bind', async () => {
  const { clock, a, close } = await pair();
  try {
    const s = a.dgram.createSocket('udp4');
    assert.throws(() => s.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    const listening = new Promise((resolve) => s.once('listening', resolve));
    s.bind(0);
    await listening;
    const addr = s.address();
    assert.equal(addr.family, 'IPv4');
    assert.equal(addr.address, '0.0.0.0');
    assert.ok(addr.port >= EPHEMERAL_FIRST && addr.port <= EPHEMERAL_LAST, `port ${addr.port}`);
    assert.throws(() => s.bind(0), { code: 'ERR_SOCKET_ALREADY_BOUND' });

    // Many ephemeral binds: all in range, all different.
    const many = [];
    for (let i = 0; i < 40; i++) many.push(await bound(a.dgram.createSocket('udp4')));
    const ports = many.map((x) => x.address().port);
    assert.ok(ports.every((p) => p >= EPHEMERAL_FIRST && p <= EPHEMERAL_LAST));
    assert.equal(new Set([...ports, addr.port]).size, 41);
    many.forEach((x) => x.close());

    // Explicit port and address; a second bind of the same port gets EADDRINUSE as an 'error' event.
    const first = await bound(a.dgram.createSocket('udp4'), 5000, '10.0.0.1');
    assert.deepEqual(first.address(), { address: '10.0.0.1', family: 'IPv4', port: 5000 });
    for (const args of [[5000], [5000, '10.0.0.1'], [{ port: 5000, address: '0.0.0.0' }]]) {
      const second = a.dgram.createSocket('udp4');
      const error = await new Promise((resolve) => { second.once('error', resolve); second.bind(...args); });
      assert.equal(error.code, 'EADDRINUSE', JSON.stringify(args));
      assert.throws(() => second.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    }
    // The same port on another of the stack's addresses is free.
    const loop = await bound(a.dgram.createSocket('udp4'), { port: 5000, address: '127.0.0.1' });
    assert.equal(loop.address().address, '127.0.0.1');

    // An address the stack does not own.
    for (const address of ['10.0.0.2', '192.168.1.1']) {
      const foreign = a.dgram.createSocket('udp4');
      const error = await new Promise((resolve) => { foreign.once('error', resolve); foreign.bind(6000, address); });
      assert.equal(error.code, 'EADDRNOTAVAIL', address);
    }
    // Bad ports throw at once, as Node does.
    assert.throws(() => a.dgram.createSocket('udp4').bind(65536), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => a.dgram.createSocket('udp4').bind(-1), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => a.dgram.createSocket('udp6'), { code: 'ERR_SOCKET_BAD_TYPE' });
    // Failed binds left no socket behind.
    const report = a.report().sockets.filter((x) => x.kind === 'udp');
    assert.deepEqual(report.map((x) => x.local).sort((p, q) => p.address.localeCompare(q.address)),
      [{ address: '10.0.0.1', port: 5000 }, { address: '127.0.0.1', port: 5000 }, { address: '0.0.0.0', port: addr.port }]
        .sort((p, q) => p.address.localeCompare(q.address)));
    for (const x of [s, first, loop]) x.close();
    await clock.advanceMsAsync(1);
    assert.equal(a.report().sockets.length, 0);
  } finally {
    close();
  }
});

test('dgram send: implicit bind, message types, offset/length, close then send throws, close event', async () => {
  const { clock, a, b, close } = await pair({ link: { delayMs: 1 } });
  try {
    const server = b.dgram.createSocket('udp4');
    const got = [];
    server.on('message', (message, rinfo) => got.push({ message, rinfo }));
    await bound(server, 9000);

    // Resolve ARP first: the neighbour's pending queue (4 frames) would drop the oldest sends.
    const ping = a.ping('10.0.0.2');
    await clock.advanceMsAsync(10);
    await ping;

    const client = a.dgram.createSocket('udp4');
    let listening = 0;
    client.on('listening', () => listening++);
    const messages = [
      ['string', 'héllo', Buffer.from('héllo')],
      ['Buffer', Buffer.from([1, 2, 3, 255]), Buffer.from([1, 2, 3, 255])],
      ['Uint8Array', new Uint8Array([9, 8, 7]), Buffer.from([9, 8, 7])],
      ['array', ['ab', Buffer.from('cd'), new Uint8Array([101])], Buffer.from('abcde')],
      ['DataView', new DataView(new Uint8Array([0, 42, 43, 0]).buffer, 1, 2), Buffer.from([42, 43])],
      ['empty', Buffer.alloc(0), Buffer.alloc(0)],
    ];
    for (const [, message] of messages) {
      const [error, bytes] = await sent(client, message, 9000, '10.0.0.2');
      assert.equal(error, null);
      assert.equal(typeof bytes, 'number');
    }
    const [offsetError] = await sent(client, Buffer.from('0123456789'), 2, 5, 9000, '10.0.0.2');
    assert.equal(offsetError, null);
    await clock.advanceMsAsync(5);
    assert.equal(listening, 1, 'the first send bound the socket implicitly');
    const port = client.address().port;
    assert.ok(port >= EPHEMERAL_FIRST && port <= EPHEMERAL_LAST);
    assert.equal(got.length, messages.length + 1);
    messages.forEach(([name, , expected], i) => {
      assert.deepEqual(Buffer.from(got[i].message), expected, name);
      assert.deepEqual(got[i].rinfo, { address: '10.0.0.1', family: 'IPv4', port, size: expected.length });
    });
    assert.equal(String(got[messages.length].message), '23456');

    // A send without callback whose error goes to 'error'.
    const errorEvent = new Promise((resolve) => client.once('error', resolve));
    client.send(Buffer.alloc(2000), 9000, '10.0.0.2');
    assert.equal((await errorEvent).code, 'EMSGSIZE');
    assert.throws(() => client.send('x', 0, '10.0.0.2'), { code: 'ERR_SOCKET_BAD_PORT' });

    const closed = new Promise((resolve) => client.once('close', resolve));
    let closeCallback = false;
    client.close(() => { closeCallback = true; });
    await closed;
    assert.equal(closeCallback, true);
    assert.throws(() => client.send('late', 9000, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    assert.throws(() => client.close(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    assert.throws(() => client.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    // The closed socket's port is free again and receives nothing more.
    const reuse = await bound(a.dgram.createSocket('udp4'), port);
    assert.equal(reuse.address().port, port);
    reuse.close();
    server.close();
    await clock.advanceMsAsync(1);
    assert.deepEqual(a.report().sockets.map((x) => x.kind), [], 'no socket is left (the pinger holds none between pings)');
  } finally {
    close();
  }
});

test('dgram connect, remoteAddress, disconnect: filtering and default destination', async () => {
  const { clock, a, b, close } = await pair({ link: { delayMs: 1 } });
  try {
    const peer = await bound(b.dgram.createSocket('udp4'), 7000);
    const stranger = await bound(b.dgram.createSocket('udp4'), 7001);
    const seenByPeer = [];
    peer.on('message', (m) => seenByPeer.push(String(m)));

    const s = a.dgram.createSocket('udp4');
    assert.throws(() => s.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    assert.throws(() => s.disconnect(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    await new Promise((resolve) => s.connect(7000, '10.0.0.2', resolve));
    assert.deepEqual(s.remoteAddress(), { address: '10.0.0.2', family: 'IPv4', port: 7000 });
    const local = s.address();
    assert.ok(local.port >= EPHEMERAL_FIRST && local.port <= EPHEMERAL_LAST, 'connect bound an ephemeral port');
    assert.throws(() => s.connect(7000, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
    // As Node: a destination with offset and length is refused (send(msg, port, address) is not:
    // Node reads it as send(msg, callback) and ignores the non-function "callback").
    assert.throws(() => s.send('x', 0, 1, 7000, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
    const connectedReport = a.report().sockets.find((x) => x.kind === 'udp');
    assert.equal(connectedReport.state, 'connected');
    assert.deepEqual(connectedReport.remote, { address: '10.0.0.2', port: 7000 });

    const seen = [];
    s.on('message', (m, rinfo) => seen.push(`${m}@${rinfo.port}`));
    assert.equal((await sent(s, 'to peer'))[0], null);
    await clock.advanceMsAsync(5);
    assert.deepEqual(seenByPeer, ['to peer']);
    // Only the connected peer's datagrams are received.
    peer.send('from peer', local.port, '10.0.0.1');
    stranger.send('from stranger', local.port, '10.0.0.1');
    await clock.advanceMsAsync(5);
    assert.deepEqual(seen, ['from peer@7000']);

    s.disconnect();
    assert.throws(() => s.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    assert.equal(a.report().sockets.find((x) => x.kind === 'udp').state, 'bound');
    assert.deepEqual(s.address(), local, 'disconnect keeps the local port');
    stranger.send('stranger again', local.port, '10.0.0.1');
    await clock.advanceMsAsync(5);
    assert.deepEqual(seen, ['from peer@7000', 'stranger again@7001']);
    assert.throws(() => s.send('where?', () => {}), { code: 'ERR_SOCKET_BAD_PORT' }, 'no default destination any more');
    for (const x of [s, peer, stranger]) x.close();
  } finally {
    close();
  }
});

test('broadcast: EACCES without setBroadcast, delivered to 0.0.0.0 sockets with it', async () => {
  const { clock, a, b, close } = await pair({ link: { delayMs: 1 } });
  try {
    const any = await bound(b.dgram.createSocket('udp4'), 6666);
    const specific = await bound(b.dgram.createSocket('udp4'), 6667, '10.0.0.2');
    const got = [];
    any.on('message', (m, rinfo) => got.push([String(m), rinfo.address]));
    const gotSpecific = [];
    specific.on('message', (m) => gotSpecific.push(String(m)));

    const s = await bound(a.dgram.createSocket('udp4'));
    const [denied] = await sent(s, 'hello all', 6666, '10.0.0.255');
    assert.equal(denied?.code, 'EACCES');
    assert.equal((await sent(s, 'everyone', 6666, '255.255.255.255'))[0]?.code, 'EACCES');
    const txBefore = a.stats().txFrames;
    s.setBroadcast(true);
    assert.equal((await sent(s, 'hello all', 6666, '10.0.0.255'))[0], null);
    assert.equal((await sent(s, 'specific?', 6667, '10.0.0.255'))[0], null);
    await clock.advanceMsAsync(5);
    assert.equal(a.stats().txFrames - txBefore, 2, 'broadcasts need no ARP');
    assert.deepEqual(got, [['hello all', '10.0.0.1']]);
    assert.deepEqual(gotSpecific, [], 'a socket bound to the unicast address does not get broadcasts');
    // No port unreachable in answer to a broadcast (RFC 1122 3.2.2).
    assert.equal(b.stats().icmpUnreachableSent, 0);
    s.setBroadcast(false);
    assert.equal((await sent(s, 'again', 6666, '10.0.0.255'))[0]?.code, 'EACCES');
    for (const x of [any, specific, s]) x.close();
  } finally {
    close();
  }
});

// ---- limits -----------------------------------------------------------------------------------

test('socket table full: the 5th bind of 4 slots is EMFILE and counted; closing one makes room; report() lists every socket', async () => {
  const { clock, a, close } = await pair({ limits: { sockets: 4 } });
  try {
    await clock.advanceMsAsync(1000);
    const sockets = [];
    sockets.push(await bound(a.dgram.createSocket('udp4'), 1000));
    await clock.advanceMsAsync(500);
    sockets.push(await bound(a.dgram.createSocket('udp4'), 1001, '10.0.0.1'));
    sockets.push(await bound(a.dgram.createSocket('udp4')));
    const conn = a.dgram.createSocket('udp4');
    await new Promise((resolve) => conn.connect(53, '10.0.0.2', resolve));
    sockets.push(conn);
    await clock.advanceMsAsync(250);

    const fifth = a.dgram.createSocket('udp4');
    const error = await new Promise((resolve) => { fifth.once('error', resolve); fifth.bind(2000); });
    assert.equal(error.code, 'EMFILE');
    assert.equal(a.stats().socketTableFull, 1);
    // Sending from an unbound socket needs a slot too.
    const sixth = a.dgram.createSocket('udp4');
    const [sendError] = await sent(sixth, 'x', 9, '10.0.0.2');
    assert.equal(sendError?.code, 'EMFILE');
    // Ping's ICMP socket comes from a pool of its own (limits.icmpSockets, default 8): a full UDP
    // table does not stop it.
    const early = a.ping('127.0.0.1');
    await clock.advanceMsAsync(1);
    assert.equal((await early).rttMs, 0);
    assert.equal(a.stats().socketTableFull, 2);

    const report = a.report();
    // Slots of every kind: 4 UDP, 8 ICMP, and the default 64 TCP connections and 16 listeners.
    assert.equal(report.socketSlots, 4 + 8 + 64 + 16);
    const rows = report.sockets.filter((x) => x.kind === 'udp').map(({ kind, state, local, remote, ageMs }) => ({ kind, state, local, remote, ageMs }));
    const ephemeral = sockets[2].address().port;
    const connPort = conn.address().port;
    assert.deepEqual(rows.sort((x, y) => x.local.port - y.local.port), [
      { kind: 'udp', state: 'bound', local: { address: '0.0.0.0', port: 1000 }, remote: null, ageMs: 751 },
      { kind: 'udp', state: 'bound', local: { address: '10.0.0.1', port: 1001 }, remote: null, ageMs: 251 },
      { kind: 'udp', state: 'bound', local: { address: '0.0.0.0', port: ephemeral }, remote: null, ageMs: 251 },
      { kind: 'udp', state: 'connected', local: { address: '0.0.0.0', port: connPort }, remote: { address: '10.0.0.2', port: 53 }, ageMs: 251 },
    ].sort((x, y) => x.local.port - y.local.port));

    sockets[0].close();
    const again = await bound(a.dgram.createSocket('udp4'), 2000);
    assert.equal(again.address().port, 2000);
    assert.equal(a.stats().socketTableFull, 2, 'no new failure');
    assert.equal(a.report().sockets.filter((x) => x.kind === 'udp').length, 4);
    // Free them all: nothing is left (no ping in flight, so no ICMP socket either).
    for (const s of [again, ...sockets.slice(1)]) s.close();
    await clock.advanceMsAsync(5000);
    const p = a.ping('127.0.0.1');
    // Its age counts from the ping (the stack had been idle for seconds before it).
    assert.deepEqual(a.report().sockets.map((x) => [x.kind, x.ageMs]), [['icmp', 0]]);
    await clock.advanceMsAsync(1);
    assert.equal((await p).rttMs, 0);
    assert.deepEqual(a.report().sockets, [], 'the ping socket is closed once no ping is in flight');
  } finally {
    close();
  }
});

test('receive queue bound: a burst beyond udpRxDatagrams is dropped and counted; the kept ones are intact and in order', async () => {
  const { clock, a, b, close } = await pair({ limits: { udpRxDatagrams: 4 }, link: { delayMs: 1 } });
  try {
    const receiver = await bound(b.dgram.createSocket('udp4'), 4000);
    const got = [];
    receiver.on('message', (m) => got.push(m));
    const s = await bound(a.dgram.createSocket('udp4'));
    // Resolve ARP first so the burst is not held by the neighbour's pending queue.
    const p = a.ping('10.0.0.2');
    await clock.advanceMsAsync(10);
    await p;
    // Sent back to back, the ten arrive in one batch and are processed in one poll.
    for (let seq = 0; seq < 10; seq++) s.send(datagram(seq, 100 + seq * 50), 4000, '10.0.0.2');
    await clock.advanceMsAsync(5);
    assert.deepEqual(got.map(verify), [0, 1, 2, 3]);
    assert.equal(b.stats().udpDropQueueFull, 6);
    assert.equal(b.stats().udpDelivered, 4);
    // Once drained, the queue takes datagrams again.
    for (let seq = 10; seq < 13; seq++) s.send(datagram(seq, 200), 4000, '10.0.0.2');
    await clock.advanceMsAsync(5);
    assert.deepEqual(got.map(verify), [0, 1, 2, 3, 10, 11, 12]);
    assert.equal(b.stats().udpDropQueueFull, 6);
  } finally {
    close();
  }
});

test('receive queue bound in bytes: udpRxBytes caps what one socket holds', async () => {
  const { clock, a, b, close } = await pair({ limits: { udpRxBytes: 3000 }, link: { delayMs: 1 } });
  try {
    const receiver = await bound(b.dgram.createSocket('udp4'), 4000);
    const got = [];
    receiver.on('message', (m) => got.push(m));
    const s = await bound(a.dgram.createSocket('udp4'));
    const p = a.ping('10.0.0.2');
    await clock.advanceMsAsync(10);
    await p;
    for (let seq = 0; seq < 5; seq++) s.send(datagram(seq, 1000), 4000, '10.0.0.2');
    await clock.advanceMsAsync(5);
    const kept = got.map(verify);
    assert.ok(kept.length >= 2 && kept.length <= 3, `kept ${kept.length} of 5 1000-byte datagrams in 3000 bytes`);
    assert.deepEqual(kept, [0, 1, 2].slice(0, kept.length));
    assert.equal(b.stats().udpDropQueueFull, 5 - kept.length);
  } finally {
    close();
  }
});

// ---- stack.close ------------------------------------------------------------------------------

test('stack.close(): sockets emit close, pending pings reject, no timer left, later calls fail', async () => {
  const { clock, a, b, link, close } = await pair({ link: { delayMs: 5 } });
  const server = await bound(b.dgram.createSocket('udp4'), 7);
  const client = await bound(a.dgram.createSocket('udp4'));
  const unbound = a.dgram.createSocket('udp4');
  const events = [];
  for (const [name, s] of [['server', server], ['client', client], ['unbound', unbound]]) {
    s.on('close', () => events.push(`${name} close`));
    s.on('error', (error) => events.push(`${name} error ${error.code}`));
  }
  client.send('in flight', 7, '10.0.0.2');
  const ping = a.ping('10.0.0.2', { timeoutMs: 30_000 });
  const pingOutcome = ping.then(() => 'resolved', (error) => error.code);
  await clock.advanceMsAsync(2);
  a.close();
  b.close();
  await clock.settle();
  assert.equal(await pingOutcome, 'EBADF');
  // A deliberate close is not an error: only 'close', and only for sockets that were open.
  assert.deepEqual(events.sort(), ['client close', 'server close']);
  link.close();
  assert.equal(clock.pending, 0, 'no timer left');
  assert.throws(() => client.send('x', 7, '10.0.0.2'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
  assert.throws(() => a.stats(), { code: 'EBADF' });
  const late = a.dgram.createSocket('udp4');
  const error = await new Promise((resolve) => { late.once('error', resolve); late.bind(0); });
  assert.equal(error.code, 'EBADF');
  close();
});

// ---- the event guarantee ------------------------------------------------------------------------

test('event ring overflow loses no error: 8 connected sockets, a 2-entry ring, every one hears ECONNREFUSED', async () => {
  const SOCKETS = 8;
  const { clock, a, close } = await pair({ limits: { eventRingSize: 2 }, link: { delayMs: 1 } });
  try {
    const errors = [];
    const sockets = [];
    for (let i = 0; i < SOCKETS; i++) {
      const s = a.dgram.createSocket('udp4');
      s.on('error', (error) => errors.push([i, error.code, error.syscall]));
      await new Promise((resolve) => s.connect(9001 + i, '10.0.0.2', resolve));
      sockets.push(s);
    }
    // Resolve b's MAC first, so that every datagram and every port unreachable travels together.
    await new Promise((resolve) => sockets[0].send('warm', resolve));
    await clock.advanceMsAsync(10);
    errors.length = 0;
    for (const s of sockets) s.send('to a closed port');
    await clock.advanceMsAsync(10);
    assert.ok(a.stats().eventOverflows > 0, 'the ring overflowed');
    assert.deepEqual(errors.sort((x, y) => x[0] - y[0]), sockets.map((_, i) => [i, 'ECONNREFUSED', 'recvmsg']));
    for (const s of sockets) s.close();
  } finally {
    close();
  }
});

test('setTTL: the datagrams the socket sends carry that TTL on the wire; other sockets keep 64', async () => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 5 });
  const port = new FramePort({ clock });
  const ttls = [];
  port.onFrame = (f) => {
    const v = new DataView(f.buffer, f.byteOffset, f.length);
    // ARP: answer for 10.0.0.2 so the datagrams go out. IPv4/UDP: note the TTL.
    if (v.getUint16(12) === 0x0806 && v.getUint16(20) === 1) {
      const reply = new Uint8Array(42);
      reply.set(f.subarray(6, 12), 0);
      reply.set([2, 0, 0, 0, 0, 2], 6);
      reply.set([8, 6, 0, 1, 8, 0, 6, 4, 0, 2], 12);
      reply.set([2, 0, 0, 0, 0, 2], 22);
      reply.set(f.subarray(38, 42), 28);
      reply.set(f.subarray(6, 12), 32);
      reply.set(f.subarray(28, 32), 38);
      port.send(reply);
    } else if (v.getUint16(12) === 0x0800 && f[23] === 17) {
      ttls.push([f[22], v.getUint16(34)]);
    }
  };
  const link = MemoryLink.connect(a, port);
  try {
    const short = await bound(a.dgram.createSocket('udp4'), 6001);
    const plain = await bound(a.dgram.createSocket('udp4'), 6002);
    assert.equal(short.setTTL(7), 7);
    short.send('x', 9, '10.0.0.2');
    plain.send('y', 9, '10.0.0.2');
    await clock.advanceMsAsync(10);
    assert.deepEqual(ttls.sort((x, y) => x[1] - y[1]), [[7, 6001], [64, 6002]]);
  } finally {
    a.close();
    link.close();
    port.close();
  }
});
