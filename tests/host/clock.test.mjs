// Clocks: the VirtualClock's ordering rules, and the RealClock's timers and process keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VirtualClock, RealClock, Random } from 'wasmnet';

const bundle = pathToFileURL(fileURLToPath(new URL('../../build/node/wasmnet.js', import.meta.url))).href;

test('VirtualClock fires timers in time order, ties in creation order', () => {
  const clock = new VirtualClock();
  const log = [];
  clock.setTimer(300, () => log.push('c300'));
  clock.setTimer(100, () => log.push('a100'));
  clock.setTimer(200, () => log.push('b200-1'));
  clock.setTimer(200, () => log.push('b200-2'));
  clock.setTimer(100, () => log.push('a100-2'));
  clock.setTimer(200, () => log.push('b200-3'));
  assert.equal(clock.pending, 6);
  assert.equal(clock.nextTimerAt(), 100);
  clock.advance(250);
  assert.deepEqual(log, ['a100', 'a100-2', 'b200-1', 'b200-2', 'b200-3']);
  assert.equal(clock.now(), 250);
  clock.advance(50);
  assert.deepEqual(log.at(-1), 'c300');
  assert.equal(clock.pending, 0);
});

test('VirtualClock: now() inside a callback is the timer time; time never moves otherwise', () => {
  const clock = new VirtualClock(1000);
  const seen = [];
  for (const at of [1500, 1200, 4000]) clock.setTimer(at, () => seen.push([at, clock.now()]));
  assert.equal(clock.now(), 1000);
  clock.advanceMs(2.9);
  assert.deepEqual(seen, [[1200, 1200], [1500, 1500]]);
  assert.equal(clock.now(), 3900);
  clock.advanceTo(4000);
  assert.deepEqual(seen.at(-1), [4000, 4000], 'a timer at exactly the end of the advance fires');
  assert.equal(clock.now(), 4000);
});

test('VirtualClock: timers set by callbacks fire in the same advance when due', () => {
  const clock = new VirtualClock();
  const log = [];
  clock.setTimer(10, () => {
    log.push(`outer@${clock.now()}`);
    clock.setTimer(clock.now() + 5, () => {
      log.push(`inner@${clock.now()}`);
      clock.setTimer(clock.now(), () => log.push(`same-time@${clock.now()}`));
      clock.setTimer(clock.now() + 100, () => log.push(`late@${clock.now()}`));
    });
    clock.setTimer(0, () => log.push(`past@${clock.now()}`));
  });
  clock.setTimer(15, () => log.push(`peer15@${clock.now()}`));
  clock.advance(50);
  // past@10 was set during outer, so it fires at 10 right after; inner (15) was created after peer15.
  assert.deepEqual(log, ['outer@10', 'past@10', 'peer15@15', 'inner@15', 'same-time@15']);
  assert.equal(clock.pending, 1);
  clock.advance(100);
  assert.deepEqual(log.at(-1), 'late@115');
});

test('VirtualClock: clearTimer cancels, is idempotent, and works from inside callbacks', () => {
  const clock = new VirtualClock();
  const log = [];
  const a = clock.setTimer(10, () => log.push('a'));
  let c;
  clock.setTimer(5, () => { log.push('b'); clock.clearTimer(c); });
  c = clock.setTimer(10, () => log.push('c'));
  const d = clock.setTimer(20, () => log.push('d'));
  clock.clearTimer(a);
  clock.clearTimer(a);
  assert.equal(clock.pending, 3);
  clock.advance(15);
  assert.deepEqual(log, ['b']);
  clock.advance(10);
  assert.deepEqual(log, ['b', 'd']);
  clock.clearTimer(d); // after firing: nothing happens
  clock.clearTimer(new VirtualClock().setTimer(1, () => {})); // another clock's timer: ignored
  assert.equal(clock.pending, 0);
});

test('VirtualClock matches a sorted reference under many random timers and cancellations', () => {
  const clock = new VirtualClock();
  const rng = new Random(7);
  const expected = [];
  const fired = [];
  const handles = [];
  for (let i = 0; i < 2000; i++) {
    const at = rng.nextInt(500);
    const id = i;
    handles.push({ id, at, h: clock.setTimer(at, () => fired.push(id)) });
  }
  for (let i = 0; i < 500; i++) {
    const victim = handles[rng.nextInt(handles.length)];
    clock.clearTimer(victim.h);
    victim.cleared = true;
  }
  for (const t of handles) if (!t.cleared) expected.push(t);
  expected.sort((x, y) => x.at - y.at || x.id - y.id);
  clock.advance(1000);
  assert.deepEqual(fired, expected.map((t) => t.id));
});

test('VirtualClock refuses to go back in time or to advance re-entrantly', () => {
  const clock = new VirtualClock(100);
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.advanceTo(99), RangeError);
  assert.throws(() => clock.setTimer(NaN, () => {}), TypeError);
  clock.setTimer(150, () => clock.advance(10));
  assert.throws(() => clock.advance(100), /already advancing/);
  assert.equal(clock.now(), 150, 'an advance interrupted by a throwing callback stops at that timer');
  clock.advance(10); // usable again
  assert.equal(clock.now(), 160);
});

test('VirtualClock.runUntilIdle stops when idle or at the time limit', () => {
  const clock = new VirtualClock();
  const log = [];
  clock.setTimer(1000, () => { log.push(clock.now()); clock.setTimer(3000, () => log.push(clock.now())); });
  assert.equal(clock.runUntilIdle(1e9), true);
  assert.deepEqual(log, [1000, 3000]);
  assert.equal(clock.now(), 3000, 'idle: time stays at the last timer');

  let ticks = 0;
  const tick = () => { ticks++; clock.setTimer(clock.now() + 1000, tick); };
  clock.setTimer(clock.now() + 1000, tick);
  assert.equal(clock.runUntilIdle(10_500), false);
  assert.equal(ticks, 10);
  assert.equal(clock.now(), 13_500);
});

test('VirtualClock async variants run microtasks at the virtual time they were queued', async () => {
  const clock = new VirtualClock();
  const log = [];
  clock.setTimer(100, () => {
    queueMicrotask(() => {
      log.push(`micro@${clock.now()}`);
      clock.setTimer(clock.now() + 10, () => log.push(`chained@${clock.now()}`));
    });
  });
  clock.setTimer(105, () => log.push(`t105@${clock.now()}`));
  await clock.advanceAsync(200);
  assert.deepEqual(log, ['micro@100', 't105@105', 'chained@110']);
  assert.equal(clock.now(), 200);

  // The synchronous advance fires everything first; microtasks see the final time.
  const sync = new VirtualClock();
  const log2 = [];
  sync.setTimer(100, () => queueMicrotask(() => log2.push(`micro@${sync.now()}`)));
  sync.advance(200);
  await sync.settle();
  assert.deepEqual(log2, ['micro@200']);

  const idle = new VirtualClock();
  idle.setTimer(5, () => Promise.resolve().then(() => idle.setTimer(idle.now() + 5, () => {})));
  assert.equal(await idle.runUntilIdleAsync(1000), true);
  assert.equal(idle.now(), 10);
  await idle.advanceMsAsync(1);
  assert.equal(idle.now(), 1010);
});

test('RealClock: monotonic whole microseconds, timers fire no earlier than their deadline', async () => {
  const clock = new RealClock();
  const t0 = clock.now();
  assert.ok(Number.isInteger(t0));
  assert.ok(Math.abs(clock.originEpochMicros + t0 - Date.now() * 1000) < 50_000, 'origin maps to wall time');
  let last = t0;
  for (let i = 0; i < 1000; i++) { const t = clock.now(); assert.ok(t >= last); last = t; }
  const deadline = clock.now() + 20_000;
  const firedAt = await new Promise((resolve) => {
    const h = clock.setTimer(deadline, () => resolve(clock.now()));
    clock.ref(h); // keep the test process alive while waiting
  });
  assert.ok(firedAt >= deadline, `fired at ${firedAt}, deadline ${deadline}`);
  assert.ok(firedAt < deadline + 500_000);
  // A deadline in the past fires as soon as possible.
  const start = clock.now();
  await new Promise((resolve) => clock.ref(clock.setTimer(start - 1e6, resolve)));
  assert.ok(clock.now() - start < 100_000);
});

test('RealClock: clearTimer cancels (timeouts and immediates)', async () => {
  const clock = new RealClock({ ref: true });
  let fired = 0;
  const a = clock.setTimer(clock.now() + 10_000, () => fired++);
  const b = clock.setTimer(clock.now() - 5, () => fired++);
  clock.clearTimer(a);
  clock.clearTimer(b);
  clock.clearTimer(b);
  const never = clock.setTimer(Infinity, () => fired++);
  clock.clearTimer(never);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(fired, 0);
});

function runChild(code) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const kill = setTimeout(() => { child.kill(); reject(new Error(`child still running after 8 s: ${out}`)); }, 8000);
    child.on('close', (code) => { clearTimeout(kill); resolve({ code, out, ms: Date.now() - started }); });
  });
}

test('RealClock timers are unref\'d by default: a pending timer does not keep Node alive', async () => {
  const { code, out, ms } = await runChild(`
    import { RealClock } from ${JSON.stringify(bundle)};
    const clock = new RealClock();
    clock.setTimer(clock.now() + 5_000_000, () => console.log('fired'));
    clock.setTimer(clock.now() - 1, () => {}); // an immediate, also unref'd
    console.log('armed');`);
  assert.equal(code, 0, out);
  assert.equal(out.trim(), 'armed');
  assert.ok(ms < 3000, `child took ${ms} ms`);
});

test('RealClock ref(handle) and { ref: true } keep Node alive until the timer fires', async () => {
  const { code, out } = await runChild(`
    import { RealClock } from ${JSON.stringify(bundle)};
    const clock = new RealClock();
    const h = clock.setTimer(clock.now() + 200_000, () => console.log('fired1'));
    clock.ref(h);
    const keep = new RealClock({ ref: true });
    keep.setTimer(keep.now() + 300_000, () => console.log('fired2'));
    const dropped = keep.setTimer(keep.now() + 5_000_000, () => console.log('never'));
    keep.unref(dropped);`);
  assert.equal(code, 0, out);
  assert.deepEqual(out.trim().split('\n'), ['fired1', 'fired2']);
});

// ---- fault 12: out-of-range clock values are refused at the API ----------------------------------

test('VirtualClock refuses start and step values that are not finite, negative or beyond 2^53 us', () => {
  const LIMIT = 2 ** 53;
  for (const start of [NaN, Infinity, -1, -Infinity, LIMIT * 2]) {
    assert.throws(() => new VirtualClock(start), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `start ${start}`);
  }
  assert.throws(() => new VirtualClock('5'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(new VirtualClock(LIMIT).now(), LIMIT, 'the limit itself is a legal time');
  const clock = new VirtualClock(1000);
  for (const step of [NaN, Infinity, -1, LIMIT + 2]) {
    assert.throws(() => clock.advance(step), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `advance ${step}`);
    assert.throws(() => clock.advanceMs(step), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `advanceMs ${step}`);
    assert.throws(() => clock.runUntilIdle(step), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `runUntilIdle ${step}`);
  }
  assert.throws(() => clock.advanceTo(Infinity), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => clock.advanceTo(LIMIT + 2), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => clock.advanceMs(LIMIT / 1000 + 1), { code: 'ERR_OUT_OF_RANGE' }, 'milliseconds beyond 2^53 us');
  assert.equal(clock.now(), 1000, 'a refused step moves nothing');
});

test('a stack on a VirtualClock: an Infinity step is refused and the stack keeps working (no trap)', async () => {
  const { Stack } = await import('wasmnet');
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 7 });
  await clock.advanceMsAsync(1);
  await assert.rejects(clock.advanceAsync(Infinity), { code: 'ERR_OUT_OF_RANGE' });
  assert.equal(stack.failed, null, 'not marked failed as a trap');
  const ping = stack.ping('127.0.0.1');
  await clock.advanceMsAsync(1);
  assert.equal((await ping).address, '127.0.0.1');
  stack.close();
});
