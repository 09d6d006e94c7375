// Review findings on host/ping.ts: an ARP give-up record read after a newer ping was sent through
// the same next hop fails that newer ping too, although its own ARP resolution has just begun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, VirtualClock } from 'wasmnet';

function track(clock, promise) {
  const outcome = { settled: false };
  promise.then(
    (result) => Object.assign(outcome, { settled: true, result, at: clock.now() }),
    (error) => Object.assign(outcome, { settled: true, code: error?.code, at: clock.now() }),
  );
  return outcome;
}

async function giveUpTime() {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const first = track(clock, stack.ping('10.0.0.9', { timeoutMs: 30_000 }));
  for (let i = 0; i < 100 && !first.settled; i++) await clock.advanceMsAsync(100);
  stack.close();
  assert.equal(first.code, 'EHOSTUNREACH');
  return first.at;
}

test('a ping sent after an ARP give-up (but before the host read its record) is not failed by it', async () => {
  const at = await giveUpTime(); // no link: nobody answers ARP, the stack gives up
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  try {
    const first = track(clock, stack.ping('10.0.0.9', { timeoutMs: 30_000 }));
    let second;
    let secondSentAt = -1;
    // Runs at the give-up instant, before the stack's own timer (same instant, set earlier): a
    // socket opened here polls the core quietly (the give-up record is queued, not yet read), then
    // a new ping to the same neighbour is sent.
    clock.setTimer(at, () => {
      stack.dgram.createSocket('udp4').bind(0);
      secondSentAt = clock.now();
      second = track(clock, stack.ping('10.0.0.9', { timeoutMs: 30_000 }));
    });
    for (let i = 0; i < 100 && !(second?.settled); i++) await clock.advanceMsAsync(100);
    assert.equal(first.code, 'EHOSTUNREACH');
    assert.ok(second, 'second ping started');
    assert.ok(second.at > secondSentAt, `the second ping got its own ARP attempts: settled ${second.code} at ${second.at}, sent at ${secondSentAt}`);
  } finally {
    stack.close();
  }
});
