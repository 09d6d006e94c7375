// TCP as web streams (stack.openTcp / stack.listenTcp) between two stacks on a MemoryLink under a
// VirtualClock: transfers with SHA-256 both ways, BYOB reads, half-close, abort and cancel as RST,
// ECONNREFUSED, backpressure that closes the peer's window, close(), the listener's ends, and the
// same calls from the browser bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pair, run, sha256, tcpRows, until } from './tcp-pair.mjs';

/** Every chunk of a readable until its end. */
async function readAll(readable) {
  const chunks = [];
  for await (const chunk of readable) chunks.push(chunk);
  return chunks;
}

/** Writes `bytes` in `chunkBytes` pieces, honouring backpressure (writer.ready), then closes. */
async function writeAll(writable, bytes, chunkBytes = 16 * 1024) {
  const writer = writable.getWriter();
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    await writer.ready;
    writer.write(bytes.subarray(at, at + chunkBytes));
  }
  await writer.close();
}

/** Two stacks, a listener on b:`port`, and one connection from a with its accepted peer. */
async function connected(t, port, pairOptions = {}, openOptions = {}) {
  const stacks = await pair(pairOptions);
  t.after(stacks.close);
  const listener = stacks.b.listenTcp({ port });
  t.after(() => listener.close());
  const accepted = listener.next();
  const connection = await run(stacks.clock, stacks.a.openTcp({ host: '10.0.0.2', port, ...openOptions }));
  const { value: peer } = await run(stacks.clock, accepted);
  return { ...stacks, listener, connection, peer };
}

test('openTcp and listenTcp: 1 MiB each way, SHA-256 equal on both ends, both connections released', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const upload = randomBytes(1 << 20);
  const download = randomBytes(1 << 20);
  const listener = b.listenTcp({ port: 80 });
  assert.equal(listener.localPort, 80);
  const served = (async () => {
    const { value: connection } = await listener.next();
    assert.equal(connection.remoteAddress, '10.0.0.1');
    const [got] = await Promise.all([readAll(connection.readable), writeAll(connection.writable, download)]);
    await connection.closed;
    return got;
  })();
  const connection = await run(clock, a.openTcp({ host: '10.0.0.2', port: 80 }));
  assert.equal(connection.remoteAddress, '10.0.0.2');
  assert.equal(connection.remotePort, 80);
  assert.equal(connection.localAddress, '10.0.0.1');
  assert.ok(connection.localPort >= 49152);
  assert.ok(connection.readable instanceof ReadableStream);
  assert.ok(connection.writable instanceof WritableStream);
  const [clientGot] = await run(clock, Promise.all([readAll(connection.readable), writeAll(connection.writable, upload)]));
  const serverGot = await run(clock, served);
  assert.equal(sha256(clientGot), sha256([download]));
  assert.equal(sha256(serverGot), sha256([upload]));
  assert.equal(connection.bytesRead, download.length);
  assert.equal(connection.bytesWritten, upload.length);
  await run(clock, connection.closed);
  // Both ends read to the end and closed their writable: the core finishes and frees the slots.
  await until(clock, () => tcpRows(a).length === 0 && tcpRows(b).filter((r) => r.kind === 'tcp').length === 0, 5000);
  listener.close();
  assert.deepEqual(tcpRows(b), []);
});

test('BYOB reads fill the reader\'s own buffer, never more than it holds', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const message = randomBytes(100_000);
  const listener = b.listenTcp({ port: 81 });
  t.after(() => listener.close());
  const sent = (async () => {
    const { value: connection } = await listener.next();
    await writeAll(connection.writable, message);
  })();
  const connection = await run(clock, a.openTcp({ host: '10.0.0.2', port: 81 }));
  const reader = connection.readable.getReader({ mode: 'byob' });
  const BUFFER_BYTES = 1000;
  let buffer = new ArrayBuffer(BUFFER_BYTES);
  const received = [];
  let reads = 0;
  for (;;) {
    const { value, done } = await run(clock, reader.read(new Uint8Array(buffer, 0, BUFFER_BYTES)));
    if (done) {
      assert.equal(value.byteLength, 0, 'the end hands the buffer back empty');
      break;
    }
    assert.ok(value.byteLength > 0 && value.byteLength <= BUFFER_BYTES, `read of ${value.byteLength}`);
    assert.equal(value.buffer.byteLength, BUFFER_BYTES, 'the same buffer, transferred back');
    received.push(Buffer.from(value));
    buffer = value.buffer;
    reads++;
  }
  await run(clock, sent);
  assert.ok(reads >= message.length / BUFFER_BYTES);
  assert.equal(sha256(received), sha256([message]));
});

test('half-close: writable.close() sends FIN while reading goes on', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const listener = b.listenTcp({ port: 82 });
  t.after(() => listener.close());
  let answer;
  const answerNow = new Promise((resolve) => { answer = resolve; });
  // The server answers after the client's FIN (and once the test has looked at both ends).
  const served = (async () => {
    const { value: connection } = await listener.next();
    const got = Buffer.concat(await readAll(connection.readable));
    await answerNow;
    const writer = connection.writable.getWriter();
    await writer.write(new TextEncoder().encode(`got ${got.length} bytes`));
    await writer.write(new Uint8Array(50_000).fill(7));
    await writer.close();
  })();
  const connection = await run(clock, a.openTcp({ host: '10.0.0.2', port: 82 }));
  const writer = connection.writable.getWriter();
  await run(clock, writer.write(new Uint8Array(3000).fill(1)));
  await run(clock, writer.close());
  // Our FIN is out and acknowledged; the peer read to its end and may still send.
  await until(clock, () => tcpRows(a)[0]?.state === 'FIN-WAIT-2', 1000);
  assert.equal(tcpRows(b).find((r) => r.kind === 'tcp')?.state, 'CLOSE-WAIT');
  answer();
  const reply = Buffer.concat(await run(clock, readAll(connection.readable)));
  await run(clock, served);
  assert.equal(reply.subarray(0, 14).toString(), 'got 3000 bytes');
  assert.equal(reply.length, 14 + 50_000);
  assert.ok(reply.subarray(14).every((x) => x === 7));
  await run(clock, connection.closed);
});

test('writable.abort() resets the connection: the peer\'s read fails with ECONNRESET', async (t) => {
  const { clock, a, b, connection, peer } = await connected(t, 83);
  const resetsBefore = a.stats().tcpResetsSent;
  await connection.writable.abort(new Error('changed my mind'));
  await assert.rejects(connection.readable.getReader().read(), /changed my mind/, 'our own readable errors too');
  await run(clock, connection.closed);
  const error = await run(clock, peer.readable.getReader().read().then(() => null, (e) => e));
  assert.equal(error?.code, 'ECONNRESET');
  assert.equal(a.stats().tcpResetsSent, resetsBefore + 1);
  await assert.rejects(peer.closed, { code: 'ECONNRESET' });
  await assert.rejects(peer.writable.getWriter().write(new Uint8Array(1)), { code: 'ECONNRESET' });
  assert.equal(tcpRows(a).length, 0);
  assert.equal(tcpRows(b).filter((r) => r.kind === 'tcp').length, 0);
});

test('readable.cancel() with data unread resets the connection (RFC 1122 4.2.2.13)', async (t) => {
  const { clock, a, b, connection, peer } = await connected(t, 84);
  const peerWriter = peer.writable.getWriter();
  await run(clock, peerWriter.write(new Uint8Array(10_000)));
  await clock.advanceMsAsync(10);
  const resetsBefore = b.stats().tcpResetsReceived;
  await connection.readable.cancel();
  await assert.rejects(connection.writable.getWriter().write(new Uint8Array(1)), { code: 'ERR_STREAM_DESTROYED' });
  const error = await run(clock, peer.readable.getReader().read().then(() => null, (e) => e));
  assert.equal(error?.code, 'ECONNRESET');
  assert.equal(b.stats().tcpResetsReceived, resetsBefore + 1);
  assert.equal(tcpRows(a).length, 0);
});

test('openTcp to a closed port rejects with ECONNREFUSED and Node\'s fields; bad arguments reject at once', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const error = await run(clock, a.openTcp({ host: '10.0.0.2', port: 9 }).then(() => null, (e) => e));
  assert.equal(error?.code, 'ECONNREFUSED');
  assert.equal(error.syscall, 'connect');
  assert.equal(error.address, '10.0.0.2');
  assert.equal(error.port, 9);
  assert.match(error.message, /^connect ECONNREFUSED 10\.0\.0\.2:9/);
  assert.equal(tcpRows(a).length, 0, 'the refused connection holds no slot');
  await assert.rejects(a.openTcp({ host: '10.0.0.2', port: 0 }), { code: 'ERR_SOCKET_BAD_PORT' });
  await assert.rejects(a.openTcp({ host: 'example.com', port: 80 }), { code: 'EINVAL' });
  await assert.rejects(a.openTcp(null), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(a.openTcp({ port: 80, writableHighWaterMark: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => a.listenTcp({ port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT' });
});

test('a reader that stops reading closes the peer\'s window; the writer waits on ready, then everything arrives', async (t) => {
  const SEND_BYTES = 8192;
  const RECV_BYTES = 8192;
  const HIGH_WATER = 4096;
  const { clock, b, connection, peer } = await connected(t, 85,
    { limits: { tcpSendBytes: SEND_BYTES, tcpRecvBytes: RECV_BYTES } }, { writableHighWaterMark: HIGH_WATER });
  const data = randomBytes(1 << 20);
  const writer = connection.writable.getWriter();
  const CHUNK = 1024;
  let queued = 0;
  // Write while the stream says there is room; nobody reads at the peer.
  for (let i = 0; i < 200; i++) {
    await clock.advanceMsAsync(1);
    while (writer.desiredSize > 0 && queued < data.length) {
      writer.write(data.subarray(queued, queued + CHUNK)).catch(() => {});
      queued += CHUNK;
    }
  }
  const peerRow = tcpRows(b).find((r) => r.kind === 'tcp');
  assert.equal(peerRow.rxQueuedBytes, RECV_BYTES, 'the peer\'s receive ring is full: its window is closed');
  assert.ok(writer.desiredSize <= 0, 'the writer is told to wait');
  assert.ok(connection.bytesWritten <= SEND_BYTES + RECV_BYTES, `in the rings: ${connection.bytesWritten}`);
  assert.ok(queued <= SEND_BYTES + RECV_BYTES + HIGH_WATER + CHUNK, `accepted by write(): ${queued}`);
  // Now the peer reads everything, and the writer goes on when ready lets it.
  const got = readAll(peer.readable);
  const rest = (async () => {
    while (queued < data.length) {
      await writer.ready;
      writer.write(data.subarray(queued, queued + CHUNK));
      queued += CHUNK;
    }
    await writer.close();
  })();
  await run(clock, rest);
  assert.equal(sha256(await run(clock, got)), sha256([data]));
});

test('close() ends both sides at once: a waiting read ends, queued data still reaches the peer', async (t) => {
  const { clock, connection, peer } = await connected(t, 86);
  const writer = connection.writable.getWriter();
  await run(clock, writer.write(new TextEncoder().encode('last words')));
  const reader = connection.readable.getReader();
  const waiting = reader.read();
  connection.close();
  assert.deepEqual(await waiting, { done: true, value: undefined });
  await assert.rejects(writer.write(new Uint8Array(1)), { code: 'ERR_SOCKET_CLOSED' });
  await connection.closed;
  const got = Buffer.concat(await run(clock, readAll(peer.readable)));
  assert.equal(got.toString(), 'last words');
  peer.close();
});

test('a chunk that is not bytes rejects with ERR_INVALID_ARG_TYPE and resets the connection', async (t) => {
  const { clock, connection, peer } = await connected(t, 87);
  await assert.rejects(connection.writable.getWriter().write('text'), { code: 'ERR_INVALID_ARG_TYPE' });
  const error = await run(clock, peer.readable.getReader().read().then(() => null, (e) => e));
  assert.equal(error?.code, 'ECONNRESET');
});

test('the listener: accepts only when asked, ends a for-await loop on close, frees its port', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const listener = b.listenTcp({ port: 88, backlog: 2 });
  assert.throws(() => b.listenTcp({ port: 88 }), { code: 'EADDRINUSE' });
  // Three clients, nobody accepting: the third SYN finds the backlog of 2 full and is reset.
  const opens = [0, 1, 2].map(() => a.openTcp({ host: '10.0.0.2', port: 88 }).then((c) => c, (e) => e));
  const results = await run(clock, Promise.all(opens));
  const refused = results.filter((r) => r instanceof Error);
  assert.equal(refused.length, 1);
  assert.equal(refused[0].code, 'ECONNREFUSED');
  const seen = [];
  const loop = (async () => {
    for await (const connection of listener) {
      seen.push(connection.remotePort);
      connection.close();
      if (seen.length === 2) setTimeout(() => listener.close(), 0);
    }
  })();
  await run(clock, loop);
  assert.equal(seen.length, 2);
  assert.deepEqual(await listener.next(), { done: true, value: undefined });
  const again = b.listenTcp({ port: 88 });
  again.close();
  for (const r of results) if (!(r instanceof Error)) r.close();
});

test('stack.close() while a read and an open wait: both settle with EBADF', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  const listener = b.listenTcp({ port: 89 });
  const accepted = listener.next();
  const connection = await run(clock, a.openTcp({ host: '10.0.0.2', port: 89 }));
  await run(clock, accepted);
  const read = connection.readable.getReader().read();
  const next = listener.next();
  a.close();
  b.close();
  await assert.rejects(read, { code: 'EBADF' });
  await assert.rejects(connection.closed, { code: 'EBADF' });
  assert.deepEqual(await next, { done: true, value: undefined });
});

test('the browser bundle\'s openTcp and listenTcp work on their own (loopback)', async () => {
  const browser = await import(new URL('../../build/browser/wasmnet.js', import.meta.url).href);
  const clock = new browser.VirtualClock();
  const stack = await browser.Stack.create({ ipv4: '10.9.0.1/24', seed: 3, clock });
  try {
    const listener = stack.listenTcp({ port: 7 });
    const echoed = (async () => {
      const { value: connection } = await listener.next();
      await connection.readable.pipeTo(connection.writable);
    })();
    const connection = await run(clock, stack.openTcp({ host: '127.0.0.1', port: 7 }));
    const message = randomBytes(200_000);
    const [got] = await run(clock, Promise.all([readAll(connection.readable), writeAll(connection.writable, message)]));
    await run(clock, echoed);
    assert.equal(sha256(got), sha256([message]));
    listener.close();
  } finally {
    stack.close();
  }
});
