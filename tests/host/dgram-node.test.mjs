// dgram parity: one table of cases run against Node's own dgram over 127.0.0.1 and against
// wasmnet's stack.dgram over its loopback; each case must have the same outcome on both (the error
// class and code thrown, the send callback's error code and byte count, the bytes that arrive).
// Then what only wasmnet can reach (a closed stack, a full ephemeral range) and a 'message'
// listener that throws, run in a child process on both backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dgram from 'node:dgram';
import { Stack, VirtualClock } from 'wasmnet';

const LOOPBACK = '127.0.0.1';
const bundle = pathToFileURL(fileURLToPath(new URL('../../build/node/wasmnet.js', import.meta.url))).href;

/** A backend makes sockets; both reach each other over 127.0.0.1. */
const backends = {
  node: async () => ({ createSocket: (type) => dgram.createSocket(type), close() {} }),
  wasmnet: async () => {
    const stack = await Stack.create({ ipv4: '10.0.0.1/24', seed: 1 });
    return { createSocket: (type) => stack.dgram.createSocket(type), close: () => stack.close() };
  },
};

const listening = (socket, ...args) => new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.bind(...args, () => { socket.off('error', reject); resolve(socket); });
});

/** What was thrown: its kind (system errors are Errors on both sides, whatever their class) and code. */
const kind = (error) => (error instanceof TypeError ? 'TypeError' : error instanceof RangeError ? 'RangeError' : 'Error');
const thrown = (error) => ({ threw: [kind(error), error.code ?? null] });

/**
 * Runs `act(socket, receiverPort)` on a fresh socket next to a receiver bound on 127.0.0.1. The
 * outcome: what it threw, or what the send callback said and what the receiver got.
 */
async function outcome(backend, act, { arrives = true } = {}) {
  const env = await backends[backend]();
  const receiver = await listening(env.createSocket('udp4'), 0, LOOPBACK);
  const port = receiver.address().port;
  const got = new Promise((resolve) => receiver.once('message', (m) => resolve(Buffer.from(m).toString('hex'))));
  const socket = env.createSocket('udp4');
  socket.on('error', () => {});
  let callback;
  const done = new Promise((resolve) => { callback = (error, bytes) => resolve([error?.code ?? null, bytes]); });
  let result;
  try {
    const r = await act(socket, port, callback);
    if (r === 'no-send') result = { ok: true };
    else {
      result = { callback: await done };
      if (arrives) result.received = await got;
    }
  } catch (error) {
    result = thrown(error);
  }
  try { socket.close(); } catch {}
  receiver.close();
  env.close();
  return result;
}

const B = (s) => Buffer.from(s);
const cases = [
  ['Buffer', (s, port, cb) => s.send(B('abc'), port, LOOPBACK, cb)],
  ['string', (s, port, cb) => s.send('héllo', port, LOOPBACK, cb)],
  ['Uint16Array', (s, port, cb) => s.send(new Uint16Array([0x0102, 0x0304]), port, LOOPBACK, cb)],
  ['Float64Array', (s, port, cb) => s.send(new Float64Array([1.5]), port, LOOPBACK, cb)],
  ['DataView over part of a buffer', (s, port, cb) => s.send(new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2), port, LOOPBACK, cb)],
  ['array of string, Buffer and TypedArray', (s, port, cb) => s.send(['a', B('b'), new Uint8Array([0x63])], port, LOOPBACK, cb)],
  ['empty array: an empty datagram', (s, port, cb) => s.send([], port, LOOPBACK, cb)],
  ['offset and length', (s, port, cb) => s.send(B('abcdef'), 1, 3, port, LOOPBACK, cb)],
  ['offset and length count bytes of a Uint16Array', (s, port, cb) => s.send(new Uint16Array([0x0102, 0x0304]), 1, 2, port, LOOPBACK, cb)],
  ['port as a string of digits', (s, port, cb) => s.send('x', String(port), LOOPBACK, cb)],
  ["['a', 5] refused", (s, port, cb) => s.send(['a', 5], port, LOOPBACK, cb)],
  ['[{}] refused', (s, port, cb) => s.send([{}], port, LOOPBACK, cb)],
  ['[null] refused', (s, port, cb) => s.send([null], port, LOOPBACK, cb)],
  ['a number refused', (s, port, cb) => s.send(5, port, LOOPBACK, cb)],
  ['a plain object refused', (s, port, cb) => s.send({ length: 1 }, port, LOOPBACK, cb)],
  ['offset beyond the buffer', (s, port, cb) => s.send(B('abc'), 4, 0, port, LOOPBACK, cb)],
  ['length beyond the buffer', (s, port, cb) => s.send(B('abc'), 2, 5, port, LOOPBACK, cb)],
  ['port 0', (s, port, cb) => s.send('x', 0, LOOPBACK, cb)],
  ['port 65536', (s, port, cb) => s.send('x', 65536, LOOPBACK, cb)],
  ['port not a number', (s, port, cb) => s.send('x', 'seven', LOOPBACK, cb)],
  ['no port', (s, port, cb) => s.send('x', cb)],
  ['address not a string', (s, port, cb) => s.send('x', port, 5, cb)],
  ['send after close', (s, port, cb) => { s.close(); s.send('x', port, LOOPBACK, cb); }],
  ['bind after close', (s) => { s.close(); s.bind(0); return 'no-send'; }],
  ['close twice', (s) => { s.close(); s.close(); return 'no-send'; }],
  ['connect after close', (s, port) => { s.close(); s.connect(port, LOOPBACK); return 'no-send'; }],
  ['bind twice', (s) => { s.bind(0, LOOPBACK); s.bind(0, LOOPBACK); return 'no-send'; }],
  ['connect twice before the first completes', (s, port) => { s.connect(port, LOOPBACK); s.connect(port, LOOPBACK); return 'no-send'; }],
  ['connect to port 0', (s) => { s.connect(0, LOOPBACK); return 'no-send'; }],
  ['connect with a non-string address', (s, port) => { s.connect(port, 5); return 'no-send'; }],
  ['remoteAddress unconnected', (s) => { s.remoteAddress(); return 'no-send'; }],
  ['disconnect unconnected', (s) => { s.disconnect(); return 'no-send'; }],
  ['setTTL(1) returns 1 and the datagram still goes (loopback)', async (s, port, cb) => {
    await listening(s, 0, LOOPBACK);
    if (s.setTTL(1) !== 1) throw new Error('setTTL did not return the ttl');
    s.send('ttl 1', port, LOOPBACK, cb);
  }],
  ['setTTL(0) is EINVAL', async (s) => { await listening(s, 0, LOOPBACK); s.setTTL(0); return 'no-send'; }],
  ['setTTL(256) is EINVAL', async (s) => { await listening(s, 0, LOOPBACK); s.setTTL(256); return 'no-send'; }],
  ["setTTL('64') is a TypeError", async (s) => { await listening(s, 0, LOOPBACK); s.setTTL('64'); return 'no-send'; }],
  ['setTTL on an unbound socket is EBADF', (s) => { s.setTTL(64); return 'no-send'; }],
  ['setTTL(1.5) is taken as 1, as libuv truncates it', async (s) => { await listening(s, 0, LOOPBACK); if (s.setTTL(1.5) !== 1.5) throw new Error('not returned'); return 'no-send'; }],
  ['getSendQueueCount and getSendQueueSize of an idle socket are 0', async (s) => {
    await listening(s, 0, LOOPBACK);
    if (s.getSendQueueCount() !== 0 || s.getSendQueueSize() !== 0) throw new Error('not 0');
    return 'no-send';
  }],
  ['connected: send(msg) goes to the peer', async (s, port, cb) => {
    await new Promise((resolve) => s.connect(port, LOOPBACK, resolve));
    s.send('to the peer', cb);
  }],
  ['connected: send(msg, offset, length, port) refused', async (s, port, cb) => {
    await new Promise((resolve) => s.connect(port, LOOPBACK, resolve));
    s.send('abc', 0, 1, port, cb);
  }],
  ['connected: send(msg, port, address) reads port as the callback and sends to the peer', async (s, port, cb) => {
    await new Promise((resolve) => s.connect(port, LOOPBACK, resolve));
    s.send('ignored destination', 9, '10.9.9.9');
    s.send('then', cb);
  }],
];

test('dgram parity: every case of the table has the same outcome on node:dgram and on wasmnet', { timeout: 120_000 }, async () => {
  const node = {};
  const ours = {};
  for (const [name, act] of cases) {
    node[name] = await outcome('node', act);
    ours[name] = await outcome('wasmnet', act);
  }
  assert.deepEqual(ours, node);
});

// ---- wasmnet only: states Node's kernel sockets cannot be put in ------------------------------

test('send on an unbound socket of a closed stack: the implicit bind fails with EBADF, not EMFILE', async () => {
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock: new VirtualClock(), seed: 3 });
  const socket = stack.dgram.createSocket('udp4');
  stack.close();
  const [error] = await new Promise((resolve) => socket.send('x', 9, '10.0.0.2', (...r) => resolve(r)));
  assert.equal(error?.code, 'EBADF');
  assert.equal(error.syscall, 'send');
});

test('send on an unbound socket with every ephemeral port taken: EADDRINUSE, not EMFILE', { timeout: 600_000 }, async () => {
  const FIRST = 49152;
  const LAST = 65535;
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 3, limits: { sockets: LAST - FIRST + 2, udpRxBytes: 2048 } });
  const taken = [];
  for (let port = FIRST; port <= LAST; port++) {
    const s = stack.dgram.createSocket('udp4');
    s.bind(port);
    taken.push(s);
  }
  await clock.settle();
  assert.equal(stack.report().sockets.length, LAST - FIRST + 1, 'the whole ephemeral range is bound');
  const socket = stack.dgram.createSocket('udp4');
  const [error] = await new Promise((resolve) => socket.send('x', 9, '10.0.0.2', (...r) => resolve(r)));
  assert.equal(error?.code, 'EADDRINUSE');
  assert.equal(error.syscall, 'send');
  stack.close();
});

// ---- fault 2: a 'message' listener that throws does not stop delivery ------------------------

/** In a child (an uncaught exception is the point): a burst of 3, then 1 more, to a receiver whose
 * listener throws on the first. Prints what arrived and how many exceptions went uncaught. */
const throwingListenerChild = (backend) => `
  const backend = ${JSON.stringify(backend)};
  const { Stack } = await import(${JSON.stringify(bundle)});
  const dgram = await import('node:dgram');
  const uncaught = [];
  process.on('uncaughtException', (e) => uncaught.push(e.message));
  const stack = backend === 'wasmnet' ? await Stack.create({ ipv4: '10.0.0.1/24', seed: 5 }) : null;
  const make = () => (stack ? stack.dgram.createSocket('udp4') : dgram.createSocket('udp4'));
  const receiver = make();
  const got = [];
  let thrown = false;
  receiver.on('message', (m) => {
    got.push(String(m));
    if (!thrown) { thrown = true; throw new Error('listener failed'); }
  });
  await new Promise((r) => receiver.bind(0, '127.0.0.1', r));
  const port = receiver.address().port;
  const sender = make();
  const send = (text) => new Promise((r) => sender.send(text, port, '127.0.0.1', r));
  await Promise.all([send('1'), send('2'), send('3')]);
  while (got.length < 3) await new Promise((r) => setImmediate(r));
  await send('4');
  while (got.length < 4) await new Promise((r) => setImmediate(r));
  console.log(JSON.stringify({ got, uncaught }));
  process.exit(0);
`;

function runChild(source) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`child failed (${error.signal ?? error.code}): ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

test("a 'message' listener that throws once: later datagrams still arrive, the error is uncaught (as Node)", { timeout: 120_000 }, async () => {
  const node = await runChild(throwingListenerChild('node'));
  assert.deepEqual(node, { got: ['1', '2', '3', '4'], uncaught: ['listener failed'] });
  const ours = await runChild(throwingListenerChild('wasmnet'));
  assert.deepEqual(ours, node);
});
