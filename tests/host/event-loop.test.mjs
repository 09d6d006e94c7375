// The fast path never starves the event loop: two stacks in one process moving data as fast as
// they can over an unimpaired MemoryLink (frames ring to ring, from microtasks within the per-turn
// budget of host/devices/turn.ts) still let a timer set during the transfer fire within 50 ms
// of its time. A liveness bound, not a speed target: the slack is an order of magnitude above a
// turn's work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink } from 'wasmnet';
import { once } from './tcp-pair.mjs';

const MiB = 1 << 20;
const TRANSFER_BYTES = 128 * MiB;
const WRITE_BYTES = 64 * 1024;
/** The bound: a timer fires within 50 ms of its time. */
const MAX_LATENESS_MS = 50;
const TIMER_DELAY_MS = 5;

/**
 * Sends TRANSFER_BYTES from a to b while a chain of TIMER_DELAY_MS timers runs beside it; returns
 * how late each timer that was due during the transfer fired.
 */
async function latenessDuringTransfer(t, options) {
  const a = await Stack.create({ ipv4: '10.77.0.1/24', seed: 1, ...options });
  const b = await Stack.create({ ipv4: '10.77.0.2/24', seed: 2, ...options });
  const link = MemoryLink.connect(a, b, { trusted: true });
  t.after(() => { a.close(); b.close(); link.close(); });
  let received = 0;
  let finished;
  const done = new Promise((resolve) => { finished = resolve; });
  const server = b.net.createServer((socket) => {
    socket.on('data', (chunk) => { received += chunk.length; if (received >= TRANSFER_BYTES) finished(); });
  });
  server.listen(80);
  await once(server, 'listening');
  const client = a.net.connect(80, '10.77.0.2');
  await once(client, 'connect');
  const lateness = [];
  let transferring = true;
  const arm = () => {
    const due = performance.now() + TIMER_DELAY_MS;
    setTimeout(() => {
      if (!transferring) return;
      lateness.push(performance.now() - due);
      arm();
    }, TIMER_DELAY_MS);
  };
  arm();
  const chunk = Buffer.alloc(WRITE_BYTES, 0x5a);
  let sent = 0;
  const write = () => {
    while (sent < TRANSFER_BYTES) {
      sent += WRITE_BYTES;
      if (!client.write(chunk)) { client.once('drain', write); return; }
    }
  };
  write();
  await done;
  transferring = false;
  client.destroy();
  server.close();
  return lateness;
}

for (const [name, options] of [['MTU 1500, checksums computed', {}], ['segmentation offload', { segmentationOffload: true }]]) {
  test(`a timer set during a bulk transfer between two stacks (${name}) fires within ${MAX_LATENESS_MS} ms of its time`, async (t) => {
    const lateness = await latenessDuringTransfer(t, options);
    // The transfer ran long enough for timers to be due during it, and none was held back.
    assert.ok(lateness.length >= 3, `${lateness.length} timers fired during the transfer`);
    const worst = Math.max(...lateness);
    assert.ok(worst <= MAX_LATENESS_MS, `worst lateness ${worst.toFixed(1)} ms over ${lateness.length} timers`);
  });
}
