// ARP give-up notices fail only the pings sent before the give-up: one read late, after a newer
// ping went out through the same next hop, must not fail that newer ping, whose own ARP
// resolution has just begun (the notice carries the socket's sent count).
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
    // The second ping's own resolution gives up one give-up interval after it was sent.
    for (let i = 0; i < 200 && !(second?.settled); i++) await clock.advanceMsAsync(100);
    assert.equal(first.code, 'EHOSTUNREACH');
    assert.ok(second, 'second ping started');
    assert.ok(second.at > secondSentAt, `the second ping got its own ARP attempts: settled ${second.code} at ${second.at}, sent at ${secondSentAt}`);
    assert.equal(second.code, 'EHOSTUNREACH');
    assert.equal(second.at - secondSentAt, at, 'failed at its own give-up, a whole interval later');
  } finally {
    stack.close();
  }
});
