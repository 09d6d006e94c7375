// Link devices: MemoryLink impairments, the learning Switch, FramePort and PcapWriter, all over fake
// endpoints (plain objects recording what they receive) and a VirtualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, RealClock, MemoryLink, Switch, FramePort, PcapWriter, Random } from 'wasmnet';

/** A fake NIC: records frames with their arrival time; `send` transmits through the attached link. */
function endpoint(clock, name = 'ep') {
  return {
    name, clock, frames: [], transmit: undefined,
    receive(frame, trusted) { this.frames.push({ frame, trusted, at: clock.now(), seq: seqOf(frame) }); },
    attach(transmit) { this.transmit = transmit; },
    send(frame) { this.transmit(frame); },
  };
}

const mac = (n) => [0x02, 0, 0, 0, 0, n];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** An Ethernet frame of `length` bytes: dst, src, EtherType 0x0800, a sequence number, a pattern. */
function frame(length, seq = 0, dst = mac(2), src = mac(1)) {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  for (let i = 14; i < length; i++) f[i] = (i * 7 + seq) & 0xff;
  if (length >= 18) new DataView(f.buffer).setUint32(14, seq);
  return f;
}
const seqOf = (f) => (f.length >= 18 ? new DataView(f.buffer, f.byteOffset).getUint32(14) : -1);
const settle = () => new Promise((resolve) => setImmediate(resolve));

function pair(options) {
  const clock = new VirtualClock();
  const a = endpoint(clock, 'a');
  const b = endpoint(clock, 'b');
  const link = MemoryLink.connect(a, b, options);
  return { clock, a, b, link };
}

// ---- MemoryLink -------------------------------------------------------------------------------------

test('MemoryLink delivers asynchronously, in order, both ways, with trusted from the options', async () => {
  const { a, b, link } = pair();
  for (let i = 0; i < 5; i++) a.send(frame(60, i));
  b.send(frame(80, 99, mac(1), mac(2)));
  assert.equal(b.frames.length, 0, 'never delivered inside transmit');
  await settle();
  assert.deepEqual(b.frames.map((f) => f.seq), [0, 1, 2, 3, 4]);
  assert.deepEqual(a.frames.map((f) => f.seq), [99]);
  assert.ok(b.frames.every((f) => f.trusted === false && f.at === 0));
  const s = link.stats();
  assert.equal(s.aToB.sent, 5);
  assert.equal(s.aToB.delivered, 5);
  assert.equal(s.aToB.bytesDelivered, 300);
  assert.equal(s.bToA.delivered, 1);
  assert.equal(s.aToB.inFlight, 0);

  const t = pair({ trusted: true });
  t.a.send(frame(60));
  await settle();
  assert.equal(t.b.frames[0].trusted, true);
});

test('MemoryLink checks its endpoints: same clock, two different endpoints', () => {
  const a = endpoint(new VirtualClock());
  const b = endpoint(new VirtualClock());
  assert.throws(() => MemoryLink.connect(a, b), TypeError);
  assert.throws(() => MemoryLink.connect(a, a), TypeError);
  assert.throws(() => MemoryLink.connect(a, {}), TypeError);
  assert.throws(() => MemoryLink.connect(a, endpoint(a.clock), { loss: 2 }), RangeError);
  // Longer than any IPv4 datagram (RFC 791): refused when connecting, not when a frame needs a slot.
  assert.throws(() => MemoryLink.connect(a, endpoint(a.clock), { mtu: 65536 }), RangeError);
  // Two RealClocks share performance.now(): allowed.
  MemoryLink.connect(endpoint(new RealClock()), endpoint(new RealClock())).close();
});

async function lossRun(seed) {
  // All 10,000 are sent at once: the link must be allowed to hold them (queueFrames).
  const { a, b, link } = pair({ loss: 0.05, seed, queueFrames: 10_000 });
  for (let i = 0; i < 10_000; i++) a.send(frame(64, i));
  await settle();
  return { count: b.frames.length, seqs: b.frames.map((f) => f.seq), stats: link.stats().aToB };
}

test('MemoryLink loss 0.05 over 10,000 frames: about 95% delivered, exactly reproducible per seed', async () => {
  const first = await lossRun(1234);
  const second = await lossRun(1234);
  assert.equal(first.count, second.count);
  assert.deepEqual(first.seqs, second.seqs, 'the same frames are lost');
  assert.ok(first.count > 9400 && first.count < 9600, `delivered ${first.count}`);
  assert.equal(first.stats.dropped.loss, 10_000 - first.count);
  assert.equal(first.stats.delivered, first.count);
  const other = await lossRun(4321);
  assert.notDeepEqual(other.seqs, first.seqs, 'another seed loses other frames');
  assert.ok(other.count > 9400 && other.count < 9600);
  // Enabling another effect does not change which frames are lost (independent streams).
  // (All 10,000 are in flight at once: queueFrames must hold them, or the delay line drops the rest.)
  const { a, b } = pair({ loss: 0.05, seed: 1234, delayMs: 1, jitterMs: 3, duplicate: 0.1, queueFrames: 12_000 });
  const clock = a.clock;
  for (let i = 0; i < 10_000; i++) a.send(frame(64, i));
  clock.advanceMs(10);
  assert.deepEqual([...new Set(b.frames.map((f) => f.seq))], first.seqs);
});

test('MemoryLink delay and jitter are exact under a VirtualClock and never reorder', async () => {
  const { clock, a, b } = pair({ delayMs: 5 });
  a.send(frame(60, 1));
  clock.advance(3000);
  a.send(frame(60, 2));
  clock.advance(1999);
  assert.equal(b.frames.length, 0);
  clock.advance(1);
  assert.deepEqual(b.frames.map((f) => [f.seq, f.at]), [[1, 5000]]);
  clock.advance(3000);
  assert.deepEqual(b.frames.map((f) => [f.seq, f.at]), [[1, 5000], [2, 8000]]);

  const times = [];
  for (let run = 0; run < 2; run++) {
    const p = pair({ delayMs: 5, jitterMs: 2, seed: 9 });
    for (let i = 0; i < 200; i++) { p.a.send(frame(60, i)); p.clock.advance(100); }
    p.clock.advanceMs(10);
    times.push(p.b.frames.map((f) => f.at));
    assert.deepEqual(p.b.frames.map((f) => f.seq), [...Array(200).keys()], 'jitter keeps order');
    p.b.frames.forEach((f, i) => {
      assert.ok(f.at >= i * 100 + 5000 && f.at <= i * 100 + 7000, `frame ${i} at ${f.at}`);
      assert.ok(Number.isInteger(f.at));
    });
    assert.ok(new Set(p.b.frames.map((f, i) => f.at - i * 100)).size > 50, 'jitter varies');
  }
  assert.deepEqual(times[0], times[1], 'same seed, same arrival times');
});

test('MemoryLink drops frames longer than mtu + 14 and counts them', async () => {
  const { a, b, link } = pair();
  a.send(frame(1514, 1));
  a.send(frame(1515, 2));
  await settle();
  assert.deepEqual(b.frames.map((f) => f.seq), [1]);
  assert.equal(link.stats().aToB.dropped.mtu, 1);

  const small = pair({ mtu: 576 });
  small.a.send(frame(590, 1));
  small.a.send(frame(591, 2));
  small.b.send(frame(591, 3));
  await settle();
  assert.deepEqual(small.b.frames.map((f) => f.seq), [1]);
  assert.equal(small.a.frames.length, 0);
  assert.equal(small.link.stats().bToA.dropped.mtu, 1);
});

test('MemoryLink duplication delivers independent copies', async () => {
  const { a, b, link } = pair({ duplicate: 1 });
  a.send(frame(60, 1));
  a.send(frame(60, 2));
  await settle();
  assert.deepEqual(b.frames.map((f) => f.seq), [1, 1, 2, 2]);
  assert.notEqual(b.frames[0].frame, b.frames[1].frame);
  b.frames[0].frame[20] ^= 0xff;
  assert.notDeepEqual(b.frames[0].frame, b.frames[1].frame, 'the copy is not shared');
  assert.equal(link.stats().aToB.duplicated, 2);

  // 1000 frames at once and their copies: queueFrames must hold them all.
  const half = pair({ duplicate: 0.3, seed: 5, queueFrames: 2000 });
  for (let i = 0; i < 1000; i++) half.a.send(frame(60, i));
  await settle();
  const s = half.link.stats().aToB;
  assert.equal(half.b.frames.length, 1000 + s.duplicated);
  assert.ok(s.duplicated > 250 && s.duplicated < 350, `duplicated ${s.duplicated}`);
});

test('MemoryLink corruption flips one bit past the Ethernet header and forces trusted false', async () => {
  const { a, b, link } = pair({ corrupt: 1, trusted: true, seed: 3 });
  const originals = [];
  for (let i = 0; i < 50; i++) { const f = frame(100, i); originals.push(f.slice()); a.send(f); }
  await settle();
  assert.equal(b.frames.length, 50);
  const positions = new Set();
  b.frames.forEach(({ frame: got, trusted }, i) => {
    assert.equal(trusted, false);
    let bits = 0;
    for (let j = 0; j < got.length; j++) {
      const diff = got[j] ^ originals[i][j];
      if (diff) { assert.ok(j >= 14, `byte ${j} changed`); positions.add(j); bits += diff.toString(2).replaceAll('0', '').length; }
    }
    assert.equal(bits, 1);
  });
  assert.ok(positions.size > 10, 'the flipped bit moves around');
  assert.equal(link.stats().aToB.corrupted, 50);

  const clean = pair({ corrupt: 0.5, trusted: true, seed: 3 });
  for (let i = 0; i < 200; i++) clean.a.send(frame(100, i));
  await settle();
  const untouched = clean.b.frames.filter((f) => f.trusted);
  assert.equal(untouched.length, 200 - clean.link.stats().aToB.corrupted);
  for (const f of untouched) assert.deepEqual(f.frame, frame(100, f.seq));
});

test('MemoryLink reorder holds a frame back until after the next one', async () => {
  const { clock, a, b, link } = pair({ reorder: 1 });
  for (let i = 0; i < 6; i++) a.send(frame(60, i));
  await settle();
  assert.deepEqual(b.frames.map((f) => f.seq), [1, 0, 3, 2, 5, 4]);
  assert.equal(link.stats().aToB.reordered, 3);

  // A lone held frame is released after reorderHoldMs (not counted as reordered).
  a.send(frame(60, 6));
  await settle();
  assert.equal(b.frames.length, 6);
  assert.equal(link.stats().aToB.inFlight, 1);
  clock.advance(9999);
  assert.equal(b.frames.length, 6);
  clock.advance(1);
  assert.deepEqual(b.frames.at(-1), { ...b.frames.at(-1), seq: 6, at: 10_000 });
  assert.equal(link.stats().aToB.reordered, 3);

  const some = pair({ reorder: 0.2, seed: 11, delayMs: 1 });
  for (let i = 0; i < 500; i++) { some.a.send(frame(60, i)); some.clock.advance(10); }
  some.clock.advanceMs(20);
  const seqs = some.b.frames.map((f) => f.seq);
  assert.deepEqual([...seqs].sort((x, y) => x - y), [...Array(500).keys()], 'nothing lost');
  const swaps = seqs.filter((s, i) => i > 0 && s < seqs[i - 1]).length;
  assert.equal(swaps, some.link.stats().aToB.reordered);
  assert.ok(swaps > 60 && swaps < 140, `reordered ${swaps}`);
});

test('MemoryLink rate limit: 1500-byte frames at 1.2 Mbit/s leave exactly 10 ms apart', () => {
  const { clock, a, b } = pair({ rateBitsPerSecond: 1_200_000 });
  for (let i = 0; i < 4; i++) a.send(frame(1500, i));
  clock.advanceMs(100);
  assert.deepEqual(b.frames.map((f) => f.at), [10_000, 20_000, 30_000, 40_000]);
  // An idle link starts serializing at once; delay adds to serialization.
  const d = pair({ rateBitsPerSecond: 1_200_000, delayMs: 5 });
  d.clock.advanceMs(1);
  d.a.send(frame(1500, 0));
  d.a.send(frame(750, 1));
  d.clock.advanceMs(100);
  d.a.send(frame(150, 2));
  d.clock.advanceMs(100);
  assert.deepEqual(d.b.frames.map((f) => f.at), [1000 + 10_000 + 5000, 1000 + 15_000 + 5000, 101_000 + 1000 + 5000]);
});

test('MemoryLink queue overflow: frames beyond queueFrames drop and are counted', () => {
  const { clock, a, b, link } = pair({ rateBitsPerSecond: 1_200_000, queueFrames: 5 });
  for (let i = 0; i < 8; i++) a.send(frame(1500, i));
  assert.equal(link.stats().aToB.dropped.queue, 3);
  clock.advanceMs(25); // two frames have left; room for two more
  a.send(frame(1500, 100));
  a.send(frame(1500, 101));
  a.send(frame(1500, 102));
  assert.equal(link.stats().aToB.dropped.queue, 4);
  clock.advanceMs(100);
  assert.deepEqual(b.frames.map((f) => f.seq), [0, 1, 2, 3, 4, 100, 101]);
  assert.deepEqual(b.frames.map((f) => f.at), [10, 20, 30, 40, 50, 60, 70].map((ms) => ms * 1000));
  const s = link.stats().aToB;
  assert.equal(s.sent, 11);
  assert.equal(s.delivered + s.dropped.queue, 11);
});

test('MemoryLink directions are independent; configure() and close() take effect', async () => {
  const { clock, a, b, link } = pair({ aToB: { loss: 1 }, bToA: { delayMs: 2 } });
  a.send(frame(60, 1));
  b.send(frame(60, 2, mac(1), mac(2)));
  await settle();
  clock.advanceMs(2);
  assert.equal(b.frames.length, 0);
  assert.deepEqual(a.frames.map((f) => [f.seq, f.at]), [[2, 2000]]);

  link.configure({ loss: 0, delayMs: 1 });
  a.send(frame(60, 3));
  b.send(frame(60, 4));
  clock.advanceMs(1);
  assert.deepEqual(b.frames.map((f) => f.seq), [3]);
  assert.deepEqual(a.frames.map((f) => f.seq), [2, 4]);

  a.send(frame(60, 5));
  link.close();
  a.send(frame(60, 6));
  clock.advanceMs(10);
  await settle();
  assert.deepEqual(b.frames.map((f) => f.seq), [3]);
  const s = link.stats().aToB;
  assert.equal(s.dropped.closed, 2);
  assert.equal(s.inFlight, 0);
  assert.equal(clock.pending, 0, 'close clears its timers');
  assert.equal(link.closed, true);
});

// ---- Switch ------------------------------------------------------------------------------------------

function switched(n, options = {}) {
  const clock = new VirtualClock();
  const eps = Array.from({ length: n }, (_, i) => endpoint(clock, `h${i}`));
  const net = Switch.connect(eps, options);
  return { clock, eps, net, sw: net.switch };
}

test('Switch floods unknown destinations, then forwards to the learned port only', async () => {
  const { eps: [h0, h1, h2], sw } = switched(3);
  h0.send(frame(60, 1, mac(11), mac(10)));
  await settle();
  assert.deepEqual([h0.frames.length, h1.frames.length, h2.frames.length], [0, 1, 1], 'unknown: flooded, not back to h0');
  h1.send(frame(60, 2, mac(10), mac(11)));
  await settle();
  assert.deepEqual([h0.frames.length, h1.frames.length, h2.frames.length], [1, 1, 1], 'learned: only to h0');
  h0.send(frame(60, 3, mac(11), mac(10)));
  await settle();
  assert.deepEqual([h0.frames.length, h1.frames.length, h2.frames.length], [1, 2, 1]);
  assert.equal(sw.lookup('02:00:00:00:00:0a'), 0);
  assert.equal(sw.lookup('02:00:00:00:00:0b'), 1);
  const s = sw.stats();
  assert.deepEqual([s.received, s.flooded, s.forwarded, s.learned, s.entries], [3, 1, 2, 2, 2]);
  assert.equal(s.ports[0].rxFrames, 2);
  assert.equal(s.ports[1].txFrames, 2);
});

test('Switch floods broadcast and multicast to every other port, with independent copies', async () => {
  const { eps, sw } = switched(4);
  eps[2].send(frame(60, 7, BROADCAST, mac(12)));
  eps[1].send(frame(60, 8, [0x01, 0x00, 0x5e, 0, 0, 1], mac(11)));
  await settle();
  assert.deepEqual(eps.map((e) => e.frames.map((f) => f.seq).sort()), [[7, 8], [7], [8], [7, 8]]);
  const f0 = eps[0].frames.find((f) => f.seq === 7).frame;
  const f3 = eps[3].frames.find((f) => f.seq === 7).frame;
  assert.notEqual(f0.buffer, f3.buffer, 'flooded frames do not share memory');
  // Group source MACs are never learned.
  eps[0].send(frame(60, 9, mac(12), [0x03, 0, 0, 0, 0, 1]));
  await settle();
  assert.equal(sw.stats().entries, 2);
});

test('Switch never sends a frame back out its ingress port (filtered)', async () => {
  const { eps: [h0, h1, h2], sw } = switched(3);
  h0.send(frame(60, 1, BROADCAST, mac(10)));
  h0.send(frame(60, 2, BROADCAST, mac(20))); // two stations behind port 0 (a hub, say)
  await settle();
  h0.send(frame(60, 3, mac(20), mac(10)));
  await settle();
  assert.equal(h0.frames.length, 0);
  assert.deepEqual(h1.frames.map((f) => f.seq), [1, 2]);
  assert.deepEqual(h2.frames.map((f) => f.seq), [1, 2]);
  assert.equal(sw.stats().filtered, 1);
  // A runt is counted and dropped.
  h0.send(new Uint8Array(10));
  await settle();
  assert.equal(sw.stats().runts, 1);
});

test('Switch entries age out, MACs can move, and the table is bounded', async () => {
  const { clock, eps: [h0, h1, h2], sw } = switched(3, { agingMs: 1000, maxEntries: 4 });
  h0.send(frame(60, 1, BROADCAST, mac(10)));
  await settle();
  clock.advanceMs(600);
  h1.send(frame(60, 2, mac(10), mac(11)));
  await settle();
  assert.deepEqual(h2.frames.map((f) => f.seq), [1], 'forwarded to the learned port');
  clock.advanceMs(500); // mac(10) is 1100 ms old, mac(11) 500 ms
  assert.equal(sw.lookup('02:00:00:00:00:0a'), undefined);
  assert.equal(sw.lookup('02:00:00:00:00:0b'), 1);
  h1.send(frame(60, 3, mac(10), mac(11)));
  await settle();
  assert.deepEqual(h2.frames.map((f) => f.seq), [1, 3], 'aged out: flooded again');
  assert.equal(sw.stats().aged, 1);

  h2.send(frame(60, 4, BROADCAST, mac(11))); // mac(11) moves to port 2
  await settle();
  assert.equal(sw.lookup('02:00:00:00:00:0b'), 2);
  assert.equal(sw.stats().moved, 1);

  for (let i = 30; i < 35; i++) h0.send(frame(60, i, BROADCAST, mac(i)));
  await settle();
  const s = sw.stats();
  assert.equal(s.entries, 4);
  assert.equal(s.evicted, 2);
  assert.equal(sw.lookup('02:00:00:00:00:0b'), undefined, 'least recently seen evicted first');
  assert.deepEqual(sw.entries().map((e) => e.mac), [31, 32, 33, 34].map((i) => `02:00:00:00:00:${i.toString(16)}`));
});

test('Switch ports cable up with MemoryLink directly, each with its own impairments', () => {
  const clock = new VirtualClock();
  const sw = new Switch({ ports: 2, clock });
  const h0 = endpoint(clock);
  const h1 = endpoint(clock);
  MemoryLink.connect(h0, sw.port(0), { delayMs: 1 });
  MemoryLink.connect(h1, sw.port(1), { delayMs: 4 });
  assert.throws(() => sw.port(2), RangeError);
  h0.send(frame(60, 1, mac(11), mac(10)));
  clock.advanceMs(10);
  assert.deepEqual(h1.frames.map((f) => [f.seq, f.at]), [[1, 5000]]);
});

// ---- FramePort ---------------------------------------------------------------------------------------

test('FramePort: send() reaches the endpoint, the endpoint\'s frames reach onFrame', async () => {
  const clock = new VirtualClock();
  const nic = endpoint(clock);
  const port = new FramePort({ clock });
  assert.equal(port.send(frame(60, 0)), false, 'not connected yet');
  MemoryLink.connect(nic, port, { delayMs: 1 });
  const got = [];
  port.onFrame = (f, trusted) => got.push([seqOf(f), trusted, clock.now()]);
  const mine = frame(60, 1);
  assert.equal(port.send(mine), true);
  mine.fill(0); // send() copied it
  nic.send(frame(70, 2));
  clock.advanceMs(1);
  assert.equal(nic.frames[0].seq, 1);
  assert.deepEqual(got, [[2, false, 1000]]);
  const s = port.stats();
  assert.deepEqual([s.sent, s.received, s.dropped.unconnected, s.buffered], [1, 1, 1, 0]);
});

test('FramePort async iterator: buffered frames, waiting, overflow tail-drop, close', async () => {
  const clock = new VirtualClock();
  const nic = endpoint(clock);
  const port = new FramePort({ clock, bufferFrames: 3 });
  MemoryLink.connect(nic, port);
  for (let i = 0; i < 5; i++) nic.send(frame(60, i)); // before anyone iterates: kept, up to 3
  await settle();
  assert.equal(port.stats().dropped.overflow, 2);
  const seen = [];
  const done = (async () => {
    for await (const f of port) seen.push(seqOf(f));
  })();
  await settle();
  assert.deepEqual(seen, [0, 1, 2]);
  nic.send(frame(60, 10));
  await settle();
  nic.send(frame(60, 11));
  await settle();
  assert.deepEqual(seen, [0, 1, 2, 10, 11]);
  port.close();
  await done;
  assert.equal(port.send(frame(60)), false);
  nic.send(frame(60, 12));
  await settle();
  assert.deepEqual(seen, [0, 1, 2, 10, 11]);
  assert.equal(port.stats().dropped.closed, 2);
});

test('FramePort with onFrame and an iterator gives each its own copy; break ends the iterator', async () => {
  const clock = new VirtualClock();
  const nic = endpoint(clock);
  const port = new FramePort({ clock });
  MemoryLink.connect(nic, port);
  const viaCallback = [];
  port.onFrame = (f) => viaCallback.push(f);
  const it = port[Symbol.asyncIterator]();
  const next = it.next();
  nic.send(frame(60, 5));
  const { value } = await next;
  assert.equal(seqOf(value), 5);
  assert.equal(viaCallback.length, 1);
  assert.notEqual(viaCallback[0].buffer, value.buffer);
  await it.return();
  nic.send(frame(60, 6)); // no iterator open and onFrame set: not buffered
  await settle();
  assert.equal(viaCallback.length, 2);
  assert.equal(port.stats().buffered, 0);
});

// ---- PcapWriter --------------------------------------------------------------------------------------

/** A tiny libpcap reader for the checks. */
function parsePcap(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = {
    magic: v.getUint32(0, true), major: v.getUint16(4, true), minor: v.getUint16(6, true),
    thiszone: v.getInt32(8, true), sigfigs: v.getUint32(12, true), snaplen: v.getUint32(16, true),
    linktype: v.getUint32(20, true),
  };
  const records = [];
  let o = 24;
  while (o < bytes.length) {
    assert.ok(o + 16 <= bytes.length, 'truncated record header');
    const rec = { sec: v.getUint32(o, true), usec: v.getUint32(o + 4, true), incl: v.getUint32(o + 8, true), orig: v.getUint32(o + 12, true) };
    assert.ok(o + 16 + rec.incl <= bytes.length, 'truncated record');
    rec.data = bytes.slice(o + 16, o + 16 + rec.incl);
    records.push(rec);
    o += 16 + rec.incl;
  }
  return { header, records };
}

const concat = (chunks) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
};

test('PcapWriter to a callback: libpcap header, records, timestamps and snaplen', async () => {
  const clock = new VirtualClock(1_500_000_250);
  const chunks = [];
  const writer = new PcapWriter((c) => chunks.push(c), { clock });
  assert.equal(chunks.length, 1, 'the header is written at once');
  writer.write(frame(60, 1));
  clock.advance(2_999_999);
  writer.write(frame(1514, 2));
  writer.write(frame(100, 3), 42);
  const small = new PcapWriter((c) => chunks.push(c), { clock, snaplen: 64 });
  small.write(frame(100, 4));
  await writer.close();
  writer.write(frame(60, 5)); // after close: ignored
  assert.equal(writer.records, 3);

  const bytes = concat(chunks.slice(0, 4));
  assert.deepEqual([...bytes.slice(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1]);
  const { header, records } = parsePcap(bytes);
  assert.deepEqual(header, { magic: 0xa1b2c3d4, major: 2, minor: 4, thiszone: 0, sigfigs: 0, snaplen: 65535, linktype: 1 });
  assert.deepEqual(records.map((r) => [r.sec, r.usec, r.incl, r.orig]), [[1500, 250, 60, 60], [1503, 249, 1514, 1514], [0, 42, 100, 100]]);
  assert.deepEqual(records[1].data, frame(1514, 2));
  const truncated = parsePcap(concat(chunks.slice(4)));
  assert.equal(truncated.header.snaplen, 64);
  assert.deepEqual([truncated.records[0].incl, truncated.records[0].orig], [64, 100]);
  assert.deepEqual(truncated.records[0].data, frame(100, 4).slice(0, 64));
});

async function tempDir(t) {
  const dir = await mkdtemp(join(tmpdir(), 'wasmnet-pcap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function captureToFile(path) {
  const clock = new VirtualClock(1_000_000);
  const a = endpoint(clock, 'a');
  const b = endpoint(clock, 'b');
  const tapped = PcapWriter.tap(a, path);
  MemoryLink.connect(tapped, b, { delayMs: 2 });
  a.send(frame(60, 1));
  clock.advanceMs(2);
  b.send(frame(90, 2, mac(1), mac(2)));
  clock.advanceMs(2);
  for (let i = 3; i < 200; i++) { a.send(frame(60 + (i % 1400), i)); clock.advance(100); }
  clock.advanceMs(5);
  assert.equal(a.frames.length, 1, 'the tapped endpoint still gets its frames');
  assert.equal(b.frames.length, 198, 'and its frames still go out');
  await tapped.close();
  return tapped.writer.records;
}

test('PcapWriter.tap to a file records both directions; close() resolves when it is on disk', async (t) => {
  const path = join(await tempDir(t), 'tap.pcap');
  const count = await captureToFile(path);
  assert.equal(count, 199);
  const { header, records } = parsePcap(new Uint8Array(await readFile(path)));
  assert.equal(header.linktype, 1);
  assert.equal(records.length, 199);
  assert.deepEqual(records.slice(0, 2).map((r) => [r.sec, r.usec, r.orig]), [[1, 0, 60], [1, 4000, 90]]);
  assert.deepEqual(records[1].data, frame(90, 2, mac(1), mac(2)));
  assert.deepEqual(records[198].data, frame(60 + (199 % 1400), 199));
  // A bad path rejects close() with the I/O error instead of throwing from write().
  const bad = new PcapWriter(join(path, 'not-a-dir', 'x.pcap'), { clock: new VirtualClock() });
  bad.write(frame(60));
  await assert.rejects(bad.close(), { code: 'ENOTDIR' });
});

test('tshark reads the capture without error (required when CI=true)', async (t) => {
  const tshark = await new Promise((resolve) => execFile('tshark', ['--version'], (err) => resolve(!err)));
  if (!tshark) {
    if (process.env.CI === 'true') assert.fail('tshark is not installed (apt-get install -y tshark)');
    t.skip('tshark not installed');
    return;
  }
  const path = join(await tempDir(t), 'tshark.pcap');
  await captureToFile(path);
  const { stdout, stderr } = await new Promise((resolve, reject) => {
    execFile('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'eth.src'], { env: { ...process.env, HOME: tmpdir() } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr })));
  });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 199, stderr);
  assert.deepEqual(lines[0].split('\t'), ['60', '02:00:00:00:00:01']);
  assert.deepEqual(lines[1].split('\t'), ['90', '02:00:00:00:00:02']);
  assert.doesNotMatch(stderr, /error|corrupt|appears to be damaged/i);
});

// ---- Random ------------------------------------------------------------------------------------------

test('Random is deterministic per (seed, stream) and well spread', () => {
  const seq = (r, n) => Array.from({ length: n }, () => r.nextU32());
  assert.deepEqual(seq(new Random(42), 100), seq(new Random(42), 100));
  assert.deepEqual(seq(new Random(42n), 10), seq(new Random(42), 10));
  assert.notDeepEqual(seq(new Random(42), 10), seq(new Random(43), 10));
  assert.notDeepEqual(seq(new Random(42, 0), 10), seq(new Random(42, 1), 10));
  assert.notDeepEqual(seq(new Random(0), 10), seq(new Random(2 ** 32), 10));
  const r = new Random(1);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]++;
  }
  for (const b of buckets) assert.ok(b > 9500 && b < 10500, `bucket ${b}`);
  for (let i = 0; i < 1000; i++) { const n = r.nextInt(7); assert.ok(Number.isInteger(n) && n >= 0 && n < 7); }
  assert.throws(() => r.nextInt(0), RangeError);
  assert.throws(() => new Random(0.5), RangeError);
  assert.equal(r.fill(new Uint8Array(7)).length, 7);
});
