// stack.ping over running stacks: two stacks on a MemoryLink, three behind a learning Switch, the
// software loopback (127.0.0.1 and the stack's own address never touch the device), timeouts, bad
// input, and what stack.close() does to pings in flight. Everything but the last test runs on a
// VirtualClock, so every round trip and timeout is asserted exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Stack, MemoryLink, VirtualClock, Switch, FramePort, PcapWriter, PCAP_MAGIC } from 'wasmnet';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function pair(linkOptions = {}, stackOptions = {}) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, ...stackOptions });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, ...stackOptions });
  const link = MemoryLink.connect(a, b, linkOptions);
  return { clock, a, b, link };
}

/** Starts a ping, advances the clock by `ms`, and returns how the ping settled by then. */
async function pingFor(clock, stack, host, ms, options) {
  // Filled in when the ping settles, so a caller can keep advancing the clock and look again.
  const outcome = { settled: false };
  stack.ping(host, options).then(
    (result) => Object.assign(outcome, { settled: true, result, at: clock.now() }),
    (error) => Object.assign(outcome, { settled: true, error, at: clock.now() }),
  );
  await clock.advanceMsAsync(ms);
  return outcome;
}

test('ping between two stacks: exact RTTs under a VirtualClock, the first one including ARP', async () => {
  const { clock, a, b, link } = await pair({ delayMs: 5 });
  const first = await pingFor(clock, a, '10.0.0.2', 100);
  // ARP request 5 ms + ARP reply 5 ms + echo request 5 ms + echo reply 5 ms: the first ping waits
  // for resolution in the neighbour's pending queue instead of being lost.
  assert.deepEqual(first.result, { address: '10.0.0.2', seq: 0, bytes: 56, rttMs: 20 });
  const second = await pingFor(clock, a, '10.0.0.2', 100);
  assert.deepEqual(second.result, { address: '10.0.0.2', seq: 1, bytes: 56, rttMs: 10 });
  // b learned a's MAC from a's ARP request (RFC 826 merge), so it pings back without ARP.
  const back = await pingFor(clock, b, '10.0.0.1', 100, { size: 1000 });
  assert.deepEqual(back.result, { address: '10.0.0.1', seq: 0, bytes: 1000, rttMs: 10 });
  // Zero data bytes and the largest echo the MTU allows (1500 - 20 - 8) also make the round trip.
  assert.equal((await pingFor(clock, a, '10.0.0.2', 100, { size: 0 })).result.bytes, 0);
  assert.equal((await pingFor(clock, a, '10.0.0.2', 100, { size: 1472 })).result.bytes, 1472);

  const sa = a.stats();
  const sb = b.stats();
  assert.equal(sa.arpRequestsSent, 1);
  assert.equal(sb.arpRequestsSent, 0);
  assert.equal(sb.arpRequestsAnswered, 1);
  assert.equal(sb.icmpEchoAnswered, 4);
  assert.equal(sa.icmpEchoAnswered, 1);
  assert.equal(sa.icmpEchoReplies, 4);
  assert.equal(sb.icmpEchoReplies, 1);
  const s = link.stats();
  assert.equal(s.aToB.sent, 1 + 4 + 1, 'ARP request, four echo requests, one echo reply');
  assert.equal(s.bToA.sent, 1 + 4 + 1);
  // The pinger's ICMP socket shows in the report while a ping is in flight, and is gone after.
  const inFlight = a.ping('10.0.0.2');
  const icmp = a.report().sockets.filter((x) => x.kind === 'icmp');
  assert.equal(icmp.length, 1);
  assert.equal(icmp[0].state, 'bound');
  assert.ok(icmp[0].local.port >= 49152 && icmp[0].local.port <= 65535, `identifier ${icmp[0].local.port}`);
  await clock.advanceMsAsync(10);
  await inFlight;
  assert.deepEqual(a.report().sockets, []);
  a.close();
  b.close();
  link.close();
  assert.equal(clock.pending, 0, 'no timer left');
});

test('pings in parallel each get their own reply; unresolved, only neighbourPending of them wait', async () => {
  const { clock, a, b, link } = await pair({ delayMs: 2 }, { limits: { neighbourPending: 4 } });
  // Five pings before ARP resolved: the pending queue holds four, the oldest is dropped and counted.
  const first = [0, 1, 2, 3, 4].map((n) => a.ping('10.0.0.2', { size: 10 + n }));
  const settledFirst = Promise.allSettled(first);
  await clock.advanceMsAsync(1000);
  const results = await settledFirst;
  assert.equal(results[0].reason?.code, 'ETIMEDOUT');
  assert.deepEqual(results.slice(1).map((r) => [r.value.seq, r.value.bytes, r.value.rttMs]),
    [[1, 11, 8], [2, 12, 8], [3, 13, 8], [4, 14, 8]]);
  assert.equal(a.stats().arpPendingDropped, 1);
  // Resolved: any number in flight at once, each matched to its reply by sequence number.
  const second = Array.from({ length: 16 }, (_, n) => a.ping('10.0.0.2', { size: n }));
  await clock.advanceMsAsync(50);
  const replies = await Promise.all(second);
  assert.deepEqual(replies.map((r) => r.bytes), Array.from({ length: 16 }, (_, n) => n));
  assert.deepEqual(replies.map((r) => r.seq), Array.from({ length: 16 }, (_, n) => 5 + n));
  assert.ok(replies.every((r) => r.rttMs === 4));
  a.close();
  b.close();
  link.close();
});

test('ping through a 3-port Switch: every pair pings, the switch learns every MAC', async () => {
  const clock = new VirtualClock();
  const stacks = [];
  for (let i = 1; i <= 3; i++) stacks.push(await Stack.create({ ipv4: `10.0.0.${i}/24`, clock, seed: 10 + i }));
  assert.equal(new Set(stacks.map((s) => s.mac)).size, 3, 'three distinct MACs');
  const net = Switch.connect(stacks, { link: { delayMs: 1 } });
  const rtts = [];
  for (let from = 0; from < 3; from++) {
    for (let to = 0; to < 3; to++) {
      if (from === to) continue;
      const target = `10.0.0.${to + 1}`;
      const { result, error } = await pingFor(clock, stacks[from], target, 50);
      assert.equal(error, undefined, `${from + 1} -> ${target}`);
      assert.equal(result.address, target);
      rtts.push(result.rttMs);
    }
  }
  // Two hops each way (stack -> switch -> stack), 1 ms per hop. A stack resolves ARP first (twice
  // the time) unless it learned the target from that target's own ARP request earlier: 1 asks for
  // 2 and 3, 2 for 3; the rest are known (RFC 826: the target of a request records the sender).
  assert.deepEqual(rtts, [8, 8, 4, 8, 4, 4]);
  const table = net.switch.entries();
  assert.equal(table.length, 3);
  stacks.forEach((s, i) => assert.equal(net.switch.lookup(s.mac), i, `${s.mac} learned on port ${i}`));
  const st = net.switch.stats();
  assert.equal(st.learned, 3);
  assert.equal(st.moved, 0);
  assert.ok(st.flooded >= 1, 'ARP requests are flooded');
  assert.ok(st.forwarded > 0, 'echoes are forwarded to the learned port only');
  // Every stack answered the two others' pings.
  for (const s of stacks) assert.equal(s.stats().icmpEchoAnswered, 2);
  // Unicast frames were never flooded to the third stack: nobody dropped a frame not for it.
  for (const s of stacks) assert.equal(s.stats().ethDropNotForUs, 0);
  for (const s of stacks) s.close();
  net.close();
  assert.equal(clock.pending, 0);
});

test('ping 127.0.0.1 and the own address: answered in software, no frame reaches the device', async () => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: ['10.0.0.1/24', '192.168.7.5/16'], clock, seed: 3 });
  // a's device: a pcap tap (recording every frame a transmits) on a link to a FramePort.
  const records = [];
  const tap = PcapWriter.tap(a, (chunk) => records.push(chunk));
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(tap, port);
  for (const host of ['127.0.0.1', '127.1.2.3', '10.0.0.1', '192.168.7.5']) {
    const { result, error } = await pingFor(clock, a, host, 10, { size: 100 });
    assert.equal(error, undefined, host);
    assert.deepEqual(result, { address: host, seq: result.seq, bytes: 100, rttMs: 0 });
  }
  assert.equal(tap.writer.records, 0, 'pcap tap saw no frame');
  assert.equal(records.length, 1, 'only the pcap global header was written');
  assert.equal(new DataView(records[0].buffer, records[0].byteOffset).getUint32(0, true), PCAP_MAGIC);
  assert.equal(port.stats().received, 0, 'the FramePort received nothing');
  assert.equal(link.stats().aToB.sent, 0, 'the link carried nothing');
  const s = a.stats();
  assert.equal(s.txFrames, 0);
  assert.equal(s.arpRequestsSent, 0);
  assert.equal(s.icmpEchoAnswered, 4);
  assert.equal(s.icmpEchoReplies, 4);
  assert.ok(s.loopbackFrames >= 8, 'request and reply of each ping went through the loopback');

  // Control: a ping to a neighbour does go out (an ARP request), so the tap works.
  await pingFor(clock, a, '10.0.0.9', 10);
  assert.ok(tap.writer.records >= 1);
  assert.ok(port.stats().received >= 1);
  a.close();
  link.close();
  await tap.close();
});

test('ping timeout: ETIMEDOUT at exactly the timeout, for an unanswered and an unresolvable host', async () => {
  const { clock, a, b, link } = await pair({ delayMs: 5 });
  // A known neighbour that stops answering: cut the cable after ARP resolved.
  assert.ok((await pingFor(clock, a, '10.0.0.2', 100)).result);
  link.configure({ loss: 1 });
  const start = clock.now();
  let outcome = await pingFor(clock, a, '10.0.0.2', 749, { timeoutMs: 750 });
  assert.equal(outcome.settled, false, 'still waiting 1 ms before the timeout');
  await clock.advanceMsAsync(1);
  assert.equal(outcome.settled, true);
  assert.equal(outcome.at - start, 750_000, 'rejected at exactly 750 ms');
  assert.ok(outcome.error instanceof Error);
  assert.equal(outcome.error.code, 'ETIMEDOUT');
  assert.match(outcome.error.message, /10\.0\.0\.2/);

  // A host nobody answers ARP for, with the default timeout of 1000 ms.
  link.configure({ loss: 0 });
  const t0 = clock.now();
  outcome = await pingFor(clock, a, '10.0.0.77', 999);
  await clock.advanceAsync(999);
  assert.equal(outcome.settled, false, 'still waiting 1 us before the timeout');
  await clock.advanceAsync(1);
  assert.equal(outcome.error?.code, 'ETIMEDOUT');
  assert.equal(outcome.at - t0, 1_000_000);
  // The pinger holds no timer for settled pings, and a late reply to a timed-out ping is ignored.
  await clock.advanceMsAsync(10_000);
  const late = await pingFor(clock, a, '10.0.0.2', 100);
  assert.equal(late.result?.rttMs, 10);
  a.close();
  b.close();
  link.close();
  assert.equal(clock.pending, 0);
});

test('ping rejects a host that is not an IPv4 address, and bad sizes, with clear errors', async () => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 4 });
  for (const host of ['example.com', '10.0.0', '10.0.0.256', '::1', '', '1.2.3.4.5', ' 10.0.0.2']) {
    await assert.rejects(a.ping(host), (error) => {
      assert.equal(error.code, 'EINVAL', host);
      assert.match(error.message, /not an IPv4 address/);
      assert.ok(error.message.includes(host), `message names ${JSON.stringify(host)}`);
      return true;
    });
  }
  await assert.rejects(a.ping('10.0.0.2', { size: -1 }), RangeError);
  await assert.rejects(a.ping('10.0.0.2', { size: 1.5 }), RangeError);
  await assert.rejects(a.ping('10.0.0.2', { size: 100_000 }), RangeError);
  // None of these sent anything or left a timer behind.
  assert.equal(a.stats().txFrames, 0);
  assert.equal(a.stats().arpRequestsSent, 0);
  a.close();
  assert.equal(clock.pending, 0);
  await assert.rejects(a.ping('10.0.0.2'), { code: 'EBADF' }, 'a closed stack refuses to ping');
});

test('stack.close(): pending pings reject, no timer is left behind', async () => {
  const { clock, a, b, link } = await pair({ delayMs: 5 });
  const pending = [a.ping('10.0.0.2'), a.ping('10.0.0.3', { timeoutMs: 60_000 })];
  const settled = Promise.allSettled(pending);
  await clock.advanceMsAsync(1);
  a.close();
  const [p1, p2] = await settled;
  assert.equal(p1.status, 'rejected');
  assert.equal(p2.status, 'rejected');
  assert.equal(p1.reason.code, 'EBADF');
  assert.match(p1.reason.message, /closed/);
  b.close();
  link.close();
  assert.equal(clock.pending, 0, 'stacks and link hold no timer');
});

test('a process with only closed stacks (RealClock) exits by itself', async () => {
  const script = `
    import { Stack, MemoryLink } from 'wasmnet';
    const a = await Stack.create({ ipv4: '10.0.0.1/24', seed: 1 });
    const b = await Stack.create({ ipv4: '10.0.0.2/24', seed: 2 });
    MemoryLink.connect(a, b, { delayMs: 1 });
    const r = await a.ping('10.0.0.2', { timeoutMs: 2000 });
    const s = b.dgram.createSocket('udp4');
    await new Promise((resolve) => s.bind(7, resolve));
    const pending = a.ping('10.0.0.3', { timeoutMs: 60000 }).catch((e) => e.code);
    a.close();
    b.close();
    console.log(JSON.stringify({ address: r.address, late: await pending }));
  `;
  const started = Date.now();
  const { stdout } = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`child failed (${error.signal ?? error.code}): ${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
  assert.deepEqual(JSON.parse(stdout), { address: '10.0.0.2', late: 'EBADF' });
  assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`);
});

// ---- fault 13 (host parts) and fault 3 (host half) ---------------------------------------------

test('ping options out of range are refused before anything is sent or opened', async () => {
  const { clock, a, b, link } = await pair();
  for (const [options, code] of [
    [{ timeoutMs: NaN }, 'ERR_OUT_OF_RANGE'],
    [{ timeoutMs: -1 }, 'ERR_OUT_OF_RANGE'],
    [{ timeoutMs: Infinity }, 'ERR_OUT_OF_RANGE'],
    [{ timeoutMs: '5' }, 'ERR_INVALID_ARG_TYPE'],
    [{ size: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ size: -1 }, 'ERR_OUT_OF_RANGE'],
  ]) {
    await assert.rejects(a.ping('10.0.0.2', options), { code }, JSON.stringify(options));
  }
  await assert.rejects(a.ping(5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await clock.advanceMsAsync(100);
  assert.equal(link.stats().aToB.sent, 0, 'not even an ARP request went out');
  assert.deepEqual(a.report().sockets, [], 'no ICMP socket was opened');
  a.close();
  b.close();
  link.close();
});

test('with sockets: 1, a UDP socket can be bound after a ping finished (the ping socket is closed when idle)', async () => {
  const { clock, a, b, link } = await pair({}, { limits: { sockets: 1 } });
  const ping = a.ping('10.0.0.2');
  await clock.advanceMsAsync(10);
  assert.equal((await ping).address, '10.0.0.2');
  const socket = a.dgram.createSocket('udp4');
  const outcome = await new Promise((resolve) => {
    socket.once('error', (error) => resolve(error.code));
    socket.bind(7, () => resolve('bound'));
  });
  assert.equal(outcome, 'bound');
  // And a ping that times out gives the slot back too.
  socket.close();
  const lost = a.ping('10.0.0.77', { timeoutMs: 50 }).catch((e) => e.code);
  await clock.advanceMsAsync(100);
  assert.equal(await lost, 'ETIMEDOUT');
  assert.deepEqual(a.report().sockets, []);
  a.close();
  b.close();
  link.close();
});

test('pings beyond a full loopback ring wait in line for room instead of failing with ENOBUFS', async () => {
  const RING = 4;
  const PINGS = 10;
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { loopbackFrames: RING } });
  const outcomes = Array.from({ length: PINGS }, () => a.ping('10.0.0.1', { timeoutMs: 100 }).then(() => 'replied', (e) => e.code));
  await clock.advanceMsAsync(200);
  const settled = await Promise.all(outcomes);
  assert.ok(!settled.includes('ENOBUFS'), settled.join(' '));
  assert.deepEqual(settled.slice(RING), Array(PINGS - RING).fill('replied'), 'every ping that waited in line was answered');
  a.close();
});

test('stack.close() closes every core socket it opened: report() on the closed stack lists none', async () => {
  const { clock, a, b, link } = await pair();
  const bound = a.dgram.createSocket('udp4');
  await new Promise((resolve) => bound.bind(7, resolve));
  const connected = a.dgram.createSocket('udp4');
  await new Promise((resolve) => connected.connect(9, '10.0.0.2', resolve));
  const ping = a.ping('10.0.0.99', { timeoutMs: 10_000 }).catch((e) => e.code);
  await clock.advanceMsAsync(1);
  assert.equal(a.report().sockets.length, 3);
  a.close();
  assert.equal(await ping, 'EBADF');
  assert.deepEqual(a.report().sockets, []);
  b.close();
  link.close();
});
