// When ARP gives up on a neighbour, the waiting callers hear it at once, as on Linux: a ping for
// that address rejects with EHOSTUNREACH and a connected UDP socket gets an EHOSTUNREACH 'error'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, VirtualClock, FramePort, MemoryLink } from 'wasmnet';

const MS = 1000;
const GIVE_UP_US = 7000 * MS; // requests at 0, 1 s and 3 s; the last waits 4 s more (defaults)

async function lonelyStack(t) {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 11 });
  const port = new FramePort({ clock }); // nobody answers ARP behind it
  const link = MemoryLink.connect(stack, port);
  t.after(() => { stack.close(); link.close(); port.close(); });
  return { clock, stack };
}

test('a ping to a neighbour that never answers ARP rejects with EHOSTUNREACH at the give-up', async (t) => {
  const { clock, stack } = await lonelyStack(t);
  let settled = null;
  const p = stack.ping('10.0.0.99', { timeoutMs: 60_000 }).then(
    () => { settled = 'resolved'; },
    (error) => { settled = { code: error.code, at: clock.now() }; },
  );
  await clock.advanceToAsync(GIVE_UP_US - 1);
  assert.equal(settled, null);
  await clock.advanceToAsync(GIVE_UP_US);
  await p;
  assert.deepEqual(settled, { code: 'EHOSTUNREACH', at: GIVE_UP_US });
  assert.equal(stack.stats().arpGiveUps, 1);
});

test('a ping to another address is not failed by that give-up', async (t) => {
  const { clock, stack } = await lonelyStack(t);
  const failing = stack.ping('10.0.0.99', { timeoutMs: 60_000 }).catch((e) => e.code);
  await clock.advanceToAsync(2000 * MS);
  // Asked 2 s later, so its own give-up comes at 9 s, after the first one's.
  const other = stack.ping('10.0.0.98', { timeoutMs: 60_000 }).catch((e) => ({ code: e.code, at: clock.now() }));
  await clock.advanceToAsync(GIVE_UP_US);
  assert.equal(await failing, 'EHOSTUNREACH');
  await clock.advanceToAsync(2000 * MS + GIVE_UP_US);
  assert.deepEqual(await other, { code: 'EHOSTUNREACH', at: 2000 * MS + GIVE_UP_US });
});

test('a connected UDP socket hears EHOSTUNREACH; an unconnected one stays quiet', async (t) => {
  const { clock, stack } = await lonelyStack(t);
  const connected = stack.dgram.createSocket('udp4');
  const loose = stack.dgram.createSocket('udp4');
  const errors = [];
  connected.on('error', (e) => errors.push({ who: 'connected', code: e.code, at: clock.now() }));
  loose.on('error', (e) => errors.push({ who: 'loose', code: e.code }));
  connected.connect(9, '10.0.0.77', () => connected.send('x'));
  loose.send('y', 9, '10.0.0.76');
  await clock.advanceToAsync(GIVE_UP_US - 1);
  assert.deepEqual(errors, []);
  await clock.advanceToAsync(GIVE_UP_US + 10 * MS);
  assert.deepEqual(errors, [{ who: 'connected', code: 'EHOSTUNREACH', at: GIVE_UP_US }]);
  assert.equal(stack.stats().arpGiveUps, 2);
  connected.close();
  loose.close();
});
