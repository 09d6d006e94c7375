// Shared by the TCP host suites: two stacks on one MemoryLink under one VirtualClock, a runner that
// steps that clock until a promise settles, and small event and hashing helpers.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Stack, MemoryLink, VirtualClock } from 'wasmnet';

/** Stacks a (10.0.0.1) and b (10.0.0.2) on a MemoryLink; `link` holds the link's options. */
export async function pair(options = {}) {
  const { link: linkOptions = {}, clock = new VirtualClock(), ...stackOptions } = options;
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, ...stackOptions });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, ...stackOptions });
  const link = MemoryLink.connect(a, b, linkOptions);
  const close = () => { a.close(); b.close(); link.close(); };
  return { clock, a, b, link, close };
}

/** Steps the virtual clock `stepMs` at a time until `promise` settles (at most `limitMs`). */
export async function run(clock, promise, limitMs = 120_000, stepMs = 1) {
  let done = false;
  const settled = promise.then((v) => { done = true; return v; }, (e) => { done = true; throw e; });
  for (let t = 0; !done && t < limitMs; t += stepMs) await clock.advanceMsAsync(stepMs);
  if (!done) throw new Error(`not settled after ${limitMs} virtual ms`);
  return settled;
}

/** The first `event` of `emitter`; rejects on its 'error' first (unless waiting for 'error'). */
export const once = (emitter, event) => new Promise((resolve, reject) => {
  emitter.once(event, resolve);
  if (event !== 'error') emitter.once('error', reject);
});

export function sha256(chunks) {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

/** The TCP rows (connections and listeners) of a stack's report. */
export const tcpRows = (stack) => stack.report().sockets.filter((s) => s.kind === 'tcp' || s.kind === 'tcp-listener');

/** Steps the virtual clock 1 ms at a time until `predicate()` holds (at most `limitMs`). */
export async function until(clock, predicate, limitMs = 120_000) {
  for (let t = 0; !predicate(); t++) {
    if (t >= limitMs) throw new Error(`condition not met after ${limitMs} virtual ms`);
    await clock.advanceMsAsync(1);
  }
}

/**
 * Sends `bytes` of random data each way at once between a (client, to 10.0.0.2:80 or `address`)
 * and b (server), both ends half-closing after their data, under `clock`; asserts no error and
 * both directions intact (SHA-256); resolves with b's server (still listening) once both sockets
 * closed.
 */
export async function exchangeBothWays(clock, a, b, bytes, limitMs = 120_000, address = '10.0.0.2') {
  const upload = randomBytes(bytes);
  const download = randomBytes(bytes);
  const errors = [];
  const serverGot = [];
  let serverClosed;
  const server = b.net.createServer((socket) => {
    serverClosed = once(socket, 'close');
    socket.on('error', (e) => errors.push(e));
    socket.on('data', (d) => serverGot.push(d));
    socket.end(download);
  });
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const socket = a.net.connect(80, address);
  socket.on('error', (e) => errors.push(e));
  const clientGot = [];
  socket.on('data', (d) => clientGot.push(d));
  const clientClosed = once(socket, 'close');
  socket.end(upload);
  await run(clock, clientClosed, limitMs);
  await run(clock, serverClosed, limitMs);
  assert.deepEqual(errors, [], 'no connection error on either side');
  assert.equal(Buffer.concat(clientGot).length, bytes, 'every byte downloaded');
  assert.equal(Buffer.concat(serverGot).length, bytes, 'every byte uploaded');
  assert.equal(sha256(clientGot), sha256([download]), 'download intact');
  assert.equal(sha256(serverGot), sha256([upload]), 'upload intact');
  return server;
}
