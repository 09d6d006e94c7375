// dgram edges a review found: a throwing 'error' listener must not strand datagrams waiting for
// room (the writable wake-up is consumed by the same check), and a closed socket's handle is
// never used again (disconnect after close).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, VirtualClock } from 'wasmnet';
import { collectingUncaught } from './support/uncaught.mjs';


test("an 'error' listener that throws once: datagrams waiting for room are still sent (their callbacks run)", async () => {
  await collectingUncaught(async (caught) => {
    const clock = new VirtualClock();
    // One loopback slot: the second datagram to ourselves finds no room (ENOBUFS) once the port
    // unreachable for the first one holds the slot, so it and the third wait in line.
    const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { loopbackFrames: 1 } });
    try {
      const socket = stack.dgram.createSocket('udp4');
      const errors = [];
      socket.once('error', () => { throw new Error('listener threw'); });
      socket.on('error', (e) => errors.push(e.code));
      socket.connect(9, '10.0.0.1'); // nobody listens on 9: port unreachable, ECONNREFUSED
      await clock.advanceMsAsync(1);
      const outcomes = [];
      for (let i = 0; i < 3; i++) socket.send(`d${i}`, (error) => outcomes.push(error ? error.code : 'sent'));
      for (let i = 0; i < 20; i++) await clock.advanceMsAsync(10);
      assert.equal(outcomes.length, 3, `every send's callback ran: ${JSON.stringify(outcomes)} (errors ${JSON.stringify(errors)}, uncaught ${caught.map((e) => e.message)})`);
      socket.close();
    } finally {
      stack.close();
    }
  });
});

test('disconnect() after close() is ERR_SOCKET_DGRAM_NOT_RUNNING and never reaches the core with the dead handle', async () => {
  const clock = new VirtualClock();
  // One UDP slot: the next socket reuses the closed one's slot, so a stale handle would name it.
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { sockets: 1 } });
  try {
    const first = stack.dgram.createSocket('udp4');
    await new Promise((resolve) => first.connect(7, '10.0.0.1', resolve));
    first.close();
    const second = stack.dgram.createSocket('udp4');
    await new Promise((resolve) => second.connect(8, '10.0.0.1', resolve));
    assert.throws(() => first.disconnect(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    assert.deepEqual(second.remoteAddress(), { address: '10.0.0.1', family: 'IPv4', port: 8 });
    assert.equal(stack.report().sockets[0].state, 'connected');
    second.close();
  } finally {
    stack.close();
  }
});
