// The frame path between stacks: lossless ring-to-ring delivery with backpressure, a bounded
// delay line, a frame budget per event-loop turn, and pcap capture on the same path; impaired
// directions through the link's slab (bounded by queueFrames, delivering into a stack only as it
// offers receive buffers), and the queue bounds of FramePorts and Switch ports toward a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, PcapWriter, FramePort, Switch } from 'wasmnet';

const BIG_QUEUE = { udpRxDatagrams: 1024, udpRxBytes: 1 << 20 };

async function stacks(limits = {}) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits });
  return { clock, a, b };
}

/** Lets the event loop turn (macrotasks included) until `done()` or `turns` turns have passed. */
async function turnsUntil(done, turns = 10_000) {
  for (let i = 0; i < turns && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  return done();
}

const bound = (socket, port) => new Promise((resolve) => socket.bind(port, () => resolve(socket)));

/** One datagram tx -> rx first, so that ARP is resolved and every later datagram is one frame. */
async function warmUp(tx, rx, address) {
  let got = false;
  const listener = () => { got = true; };
  rx.once('message', listener);
  tx.send('warm-up', rx.address().port, address);
  assert.ok(await turnsUntil(() => got), 'the warm-up datagram arrived');
}

test('a 10,000-datagram burst over a lossless link arrives whole: no rxNoBuffer, no send error', async () => {
  const { a, b } = await stacks(BIG_QUEUE);
  const link = MemoryLink.connect(a, b);
  const rx = await bound(b.dgram.createSocket('udp4'), 9);
  const tx = await bound(a.dgram.createSocket('udp4'), 0);
  await warmUp(tx, rx, '10.0.0.2');
  const sentBefore = link.stats().aToB.sent;
  const seen = new Uint8Array(10_000);
  let received = 0;
  rx.on('message', (m) => { const i = new DataView(m.buffer, m.byteOffset).getUint32(0); if (!seen[i]) { seen[i] = 1; received++; } });
  const errors = [];
  const payload = new Uint8Array(512);
  const view = new DataView(payload.buffer);
  // Batches of 1000: each is sent in one synchronous loop (more than the TX ring and the
  // receiver's RX ring together), within what dgram keeps waiting for room.
  for (let batch = 0; batch < 10; batch++) {
    let last;
    for (let i = 0; i < 1000; i++) {
      view.setUint32(0, batch * 1000 + i);
      last = new Promise((resolve) => tx.send(payload, 9, '10.0.0.2', (error) => { if (error) errors.push(error.code); resolve(); }));
    }
    await last;
  }
  assert.ok(await turnsUntil(() => received === 10_000), `received ${received}`);
  assert.deepEqual(errors, []);
  assert.equal(b.stats().rxNoBuffer, 0);
  assert.equal(b.stats().udpDropQueueFull ?? 0, 0);
  const s = link.stats().aToB;
  assert.equal(s.sent - sentBefore, 10_000);
  assert.equal(s.delivered, s.sent);
  assert.equal(s.inFlight, 0);
  a.close(); b.close();
});

test('a 2 s delay holds at most queueFrames frames; the rest drop as the link\'s queue drop', async () => {
  const { clock, a, b } = await stacks(BIG_QUEUE);
  const QUEUE = 50;
  // ARP first, over an instant link, so that every datagram below is one frame in the delay line.
  const link = MemoryLink.connect(a, b);
  const rx = await bound(b.dgram.createSocket('udp4'), 9);
  const tx = await bound(a.dgram.createSocket('udp4'), 0);
  await warmUp(tx, rx, '10.0.0.2');
  let received = 0;
  rx.on('message', () => { received++; });
  const sentBefore = link.stats().aToB.sent;
  link.configure({ delayMs: 2000, queueFrames: QUEUE });
  const SENT = 200;
  let done = 0;
  for (let i = 0; i < SENT; i++) tx.send(new Uint8Array(1000), 9, '10.0.0.2', () => { done++; });
  assert.ok(await turnsUntil(() => done === SENT && link.stats().aToB.sent === sentBefore + SENT));
  const s = link.stats().aToB;
  assert.equal(s.inFlight, QUEUE);
  assert.equal(s.dropped.queue, SENT - QUEUE);
  clock.advanceMs(2000);
  assert.ok(await turnsUntil(() => received === QUEUE));
  assert.equal(link.stats().aToB.inFlight, 0);
  a.close(); b.close();
});

test('a long flood between two stacks leaves the event loop free: setImmediate and setTimeout run before it ends', async () => {
  const { a, b } = await stacks(BIG_QUEUE);
  MemoryLink.connect(a, b);
  const HOPS = 20_000;
  const FLOWS = 8;
  let hops = 0;
  const sa = await bound(a.dgram.createSocket('udp4'), 7);
  const sb = await bound(b.dgram.createSocket('udp4'), 7);
  // Every datagram is answered by the other side until HOPS datagrams have crossed the link.
  sa.on('message', (m) => { if (++hops < HOPS) sa.send(m, 7, '10.0.0.2'); });
  sb.on('message', (m) => { if (++hops < HOPS) sb.send(m, 7, '10.0.0.1'); });
  let atImmediate = -1;
  let atTimeout = -1;
  setImmediate(() => { atImmediate = hops; });
  setTimeout(() => { atTimeout = hops; }, 0);
  for (let i = 0; i < FLOWS; i++) sa.send(new Uint8Array(64), 7, '10.0.0.2');
  assert.ok(await turnsUntil(() => hops >= HOPS + FLOWS - 1 || (hops >= HOPS && atTimeout >= 0)), `hops ${hops}`);
  assert.ok(atImmediate >= 0 && atImmediate < HOPS, `setImmediate ran after ${atImmediate} of ${HOPS} hops`);
  assert.ok(await turnsUntil(() => atTimeout >= 0));
  assert.ok(atTimeout < HOPS, `setTimeout(0) ran after ${atTimeout} of ${HOPS} hops`);
  a.close(); b.close();
});

test('pcap capture of a stack still sees every frame of a burst, both directions', async () => {
  const { a, b } = await stacks(BIG_QUEUE);
  const chunks = [];
  const tap = PcapWriter.tap(a, (chunk) => chunks.push(chunk));
  const link = MemoryLink.connect(tap, b);
  const rx = await bound(b.dgram.createSocket('udp4'), 9);
  const tx = await bound(a.dgram.createSocket('udp4'), 0);
  await warmUp(tx, rx, '10.0.0.2');
  let received = 0;
  rx.on('message', () => { received++; });
  for (let i = 0; i < 200; i++) tx.send(new Uint8Array(100), 9, '10.0.0.2');
  assert.ok(await turnsUntil(() => received === 200));
  const s = link.stats();
  // One chunk is the global header; every frame either way is one record.
  assert.equal(tap.writer.records, s.aToB.sent + s.bToA.delivered);
  assert.equal(chunks.length, 1 + tap.writer.records);
  assert.ok(tap.writer.records >= 203, `records ${tap.writer.records}`); // ARP request and reply, warm-up, 200
  await tap.close();
  a.close(); b.close();
});

// ---- impaired directions and senders without rings ------------------------------------------------

/** Datagrams dgram keeps waiting for room at once (it holds up to 1024 per socket). */
const WAITING_BATCH = 1000;
/** Fewer datagrams than the transmit ring's 256 entries: none waits in dgram (which copies it). */
const RING_BATCH = 128;

/** Sends `count` 512-byte datagrams numbered from `first`, `batch` at a time, each batch awaited. */
async function burst(tx, count, first = 0, batch = WAITING_BATCH) {
  const payload = new Uint8Array(512);
  const view = new DataView(payload.buffer);
  const errors = [];
  for (let sent = 0; sent < count;) {
    const n = Math.min(batch, count - sent);
    let last;
    for (let i = 0; i < n; i++) {
      view.setUint32(0, first + sent + i);
      last = new Promise((resolve) => tx.send(payload, 9, '10.0.0.2', (error) => { if (error) errors.push(error.code); resolve(); }));
    }
    await last;
    sent += n;
  }
  return errors;
}

/** Counts distinct datagram numbers arriving at `rx`. */
function distinct(rx, size) {
  const seen = new Uint8Array(size);
  const counter = { count: 0 };
  rx.on('message', (m) => { const i = new DataView(m.buffer, m.byteOffset).getUint32(0); if (i < size && !seen[i]) { seen[i] = 1; counter.count++; } });
  return counter;
}

/** Two stacks with a socket each, ARP resolved over an instant link, then `impairments` configured. */
async function impairedPair(impairments, limits = BIG_QUEUE) {
  const { clock, a, b } = await stacks(limits);
  const link = MemoryLink.connect(a, b);
  const rx = await bound(b.dgram.createSocket('udp4'), 9);
  const tx = await bound(a.dgram.createSocket('udp4'), 0);
  await warmUp(tx, rx, '10.0.0.2');
  link.configure(impairments);
  return { clock, a, b, link, rx, tx, before: link.stats().aToB };
}

test('a delayed 10,000-datagram burst between two stacks arrives whole when queueFrames holds it: no rxNoBuffer', async () => {
  const BURST = 10_000;
  const { clock, a, b, link, rx, tx, before } = await impairedPair({ delayMs: 5, queueFrames: BURST });
  const got = distinct(rx, BURST);
  const errors = await burst(tx, BURST);
  assert.deepEqual(errors, []);
  assert.equal(link.stats().aToB.inFlight, BURST, 'all of it on the delay line at once');
  // The whole burst falls due at once: far more than the receiver's 256 buffers.
  clock.advanceMs(5);
  assert.ok(await turnsUntil(() => got.count === BURST), `received ${got.count}`);
  const s = link.stats().aToB;
  assert.equal(s.sent - before.sent, BURST);
  assert.equal(s.delivered - before.delivered, BURST);
  assert.equal(s.dropped.queue, 0);
  assert.equal(s.inFlight, 0);
  assert.equal(b.stats().rxNoBuffer, 0);
  assert.equal(b.stats().udpDropQueueFull ?? 0, 0);
  a.close(); b.close();
});

test('a delayed 10,000-datagram burst beyond queueFrames: exactly the excess is dropped.queue, the rest arrives', async () => {
  const BURST = 10_000;
  const QUEUE = 3000;
  const { clock, a, b, link, rx, tx } = await impairedPair({ delayMs: 5, queueFrames: QUEUE });
  const got = distinct(rx, BURST);
  assert.deepEqual(await burst(tx, BURST), []);
  let s = link.stats().aToB;
  assert.equal(s.inFlight, QUEUE);
  assert.equal(s.dropped.queue, BURST - QUEUE);
  clock.advanceMs(5);
  assert.ok(await turnsUntil(() => got.count === QUEUE), `received ${got.count}`);
  s = link.stats().aToB;
  assert.equal(s.inFlight, 0);
  assert.equal(s.dropped.queue, BURST - QUEUE, 'nothing more dropped while the line drained');
  assert.equal(b.stats().rxNoBuffer, 0);
  a.close(); b.close();
});

/**
 * Counts Uint8Arrays made while it is installed: constructed through the global constructor or
 * copied with slice() (how a link used to take each frame out of the sender's memory).
 */
function countUint8Arrays() {
  const original = globalThis.Uint8Array;
  const slice = original.prototype.slice;
  const counter = { count: 0 };
  globalThis.Uint8Array = new Proxy(original, { construct(target, args, newTarget) { counter.count++; return Reflect.construct(target, args, newTarget); } });
  original.prototype.slice = function countedSlice(start, end) { counter.count++; return slice.call(this, start, end); };
  counter.restore = () => { globalThis.Uint8Array = original; original.prototype.slice = slice; };
  return counter;
}

test('an impaired direction between stacks makes no Uint8Array per frame (delay, jitter, reorder, duplication)', async () => {
  const BURST = 4096;
  const { clock, a, b, link, rx, tx } = await impairedPair({ delayMs: 2, jitterMs: 1, reorder: 0.1, duplicate: 0.1, queueFrames: 2 * BURST, seed: 7 });
  const got = distinct(rx, 2 * BURST);
  const drain = async (target) => {
    for (let i = 0; i < 100 && got.count < target; i++) { clock.advanceMs(1); await turnsUntil(() => got.count >= target, 50); }
  };
  // Batches that fit the transmit ring, each taken by the link before the next is sent: a
  // datagram that waits in dgram for room is a copy of dgram's own, not the link's.
  const sendAll = async (first) => {
    for (let sent = 0; sent < BURST; sent += RING_BATCH) {
      const taken = link.stats().aToB.sent + RING_BATCH;
      assert.deepEqual(await burst(tx, RING_BATCH, first + sent, RING_BATCH), []);
      assert.ok(await turnsUntil(() => link.stats().aToB.sent >= taken));
    }
  };
  // A first burst grows the link's slab to what the second needs.
  await sendAll(0);
  await drain(BURST);
  assert.equal(got.count, BURST);
  const framesBefore = link.stats().aToB.delivered;
  const counter = countUint8Arrays();
  try {
    await sendAll(BURST);
    await drain(2 * BURST);
  } finally {
    counter.restore();
  }
  assert.equal(got.count, 2 * BURST);
  const s = link.stats().aToB;
  const frames = s.delivered - framesBefore;
  assert.ok(frames >= BURST && s.duplicated > 0 && s.reordered > 0, JSON.stringify(s));
  assert.ok(counter.count < frames / 20, `${counter.count} Uint8Arrays made for ${frames} frames`);
  assert.equal(b.stats().rxNoBuffer, 0);
  a.close(); b.close();
});

test('a stack sending into a FramePort over a lossy link: frames wait in the stack\'s ring for room, none dropped as queue', async () => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const port = new FramePort({ clock, bufferFrames: 0 });
  const link = MemoryLink.connect(a, port, { queueFrames: 20, loss: 0.1, seed: 3 });
  let arrived = 0;
  port.onFrame = () => { arrived++; };
  const tx = await bound(a.dgram.createSocket('udp4'), 0);
  const COUNT = 500;
  let done = 0;
  const errors = [];
  // Broadcasts need no ARP: each datagram is one frame.
  tx.setBroadcast(true);
  for (let i = 0; i < COUNT; i++) tx.send(new Uint8Array(64), 9, '10.0.0.255', (error) => { if (error) errors.push(error.code); done++; });
  assert.ok(await turnsUntil(() => done === COUNT && link.stats().aToB.inFlight === 0 && link.stats().aToB.sent === COUNT));
  const s = link.stats().aToB;
  assert.deepEqual(errors, []);
  assert.equal(s.dropped.queue, 0);
  assert.equal(s.delivered + s.dropped.loss, COUNT);
  assert.equal(arrived, s.delivered);
  a.close();
});

/** An Ethernet frame of an EtherType no stack handles: the core counts it (ethDropUnknownType). */
function experimentalFrame(dst) {
  const f = new Uint8Array(60);
  f.set(dst, 0);
  f.set([0x02, 0, 0, 0, 0, 0x99], 6);
  f[12] = 0x88; f[13] = 0xb5; // IEEE 802 local experimental EtherType
  return f;
}
const BROADCAST_MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

test('a FramePort toward a stack without delay is bounded by queueFrames: send() false and dropped.queue past it, the rest delivered as buffers allow', async () => {
  const clock = new VirtualClock();
  const QUEUE = 100;
  const SENT = 300;
  const RX_BUFFERS = 16;
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits: { rxQueueSize: RX_BUFFERS } });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(port, stack, { queueFrames: QUEUE });
  const before = stack.stats().ethDropUnknownType;
  let taken = 0;
  for (let i = 0; i < SENT; i++) if (port.send(experimentalFrame(BROADCAST_MAC))) taken++;
  assert.equal(taken, QUEUE);
  assert.equal(port.stats().sent, QUEUE);
  assert.equal(port.stats().dropped.queue, SENT - QUEUE);
  assert.equal(link.stats().aToB.dropped.queue, SENT - QUEUE);
  assert.equal(link.stats().aToB.inFlight, QUEUE);
  // 100 frames into 16 receive buffers: they move as the stack polls and offers them again.
  assert.ok(await turnsUntil(() => stack.stats().ethDropUnknownType - before === QUEUE));
  assert.equal(stack.stats().rxNoBuffer, 0);
  assert.equal(link.stats().aToB.inFlight, 0);
  // Room again: the port's frames are taken.
  assert.equal(port.send(experimentalFrame(BROADCAST_MAC)), true);
  stack.close();
});

test('a pcap tap passes the link\'s answer through: a FramePort behind a tap learns its frame was not taken', async () => {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const port = new FramePort({ clock });
  const tap = PcapWriter.tap(port, () => {});
  const link = MemoryLink.connect(tap, stack, { queueFrames: 5 });
  const results = [];
  for (let i = 0; i < 8; i++) results.push(port.send(experimentalFrame(BROADCAST_MAC)));
  assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
  assert.equal(port.stats().dropped.queue, 3);
  assert.equal(link.stats().aToB.dropped.queue, 3);
  assert.equal(tap.writer.records, 8, 'every frame the port sent is recorded, taken or not');
  await tap.close();
  stack.close();
});

test('a Switch port whose cable toward a stack is full drops the frame and counts queueFull and txQueueFull', async () => {
  const clock = new VirtualClock();
  const QUEUE = 10;
  const SENT = 50;
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const sw = new Switch({ ports: 2, clock });
  const port = new FramePort({ clock });
  MemoryLink.connect(port, sw.port(0));
  const cable = MemoryLink.connect(sw.port(1), stack, { queueFrames: QUEUE });
  const before = stack.stats().ethDropUnknownType;
  // The switch receives all 50 in one delivery and floods each to port 1, whose cable holds 10.
  for (let i = 0; i < SENT; i++) assert.equal(port.send(experimentalFrame(BROADCAST_MAC)), true);
  assert.ok(await turnsUntil(() => sw.stats().received === SENT));
  const s = sw.stats();
  assert.equal(s.flooded, SENT);
  assert.equal(s.queueFull, SENT - QUEUE);
  assert.equal(s.ports[1].txQueueFull, SENT - QUEUE);
  assert.equal(s.ports[1].txFrames, QUEUE);
  assert.equal(cable.stats().aToB.dropped.queue, SENT - QUEUE);
  assert.ok(await turnsUntil(() => stack.stats().ethDropUnknownType - before === QUEUE));
  assert.equal(stack.stats().rxNoBuffer, 0);
  stack.close();
});

// Frames are copied between memories in two ways by length (host/devices/copy.ts: a word loop for
// short ones, a native copy through remembered views for long ones); every length and alignment
// must arrive byte for byte, the same lengths again at other buffers, on the ring-to-ring path and
// through the impaired path's slab.
for (const [name, impairments] of [['ring to ring', undefined], ['through the slab (delay)', { delayMs: 1, queueFrames: 4096 }]]) {
  test(`every datagram length 1..1472, twice, arrives byte for byte ${name}`, async () => {
    const MAX_PAYLOAD = 1472;
    const { clock, a, b, link, rx, tx } = await impairedPair(impairments ?? {});
    const expected = (length, round) => {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (length * 7 + i * 13 + round * 101) & 0xff;
      return bytes;
    };
    const mismatches = [];
    let received = 0;
    let round = 0;
    rx.on('message', (m) => {
      received++;
      if (!Buffer.from(expected(m.length, round)).equals(m)) mismatches.push(m.length);
    });
    for (; round < 2; round++) {
      const target = received + MAX_PAYLOAD;
      for (let first = 1; first <= MAX_PAYLOAD; first += RING_BATCH) {
        let last;
        for (let length = first; length < first + RING_BATCH && length <= MAX_PAYLOAD; length++) {
          last = new Promise((resolve) => tx.send(expected(length, round), 9, '10.0.0.2', resolve));
        }
        await last;
        for (let i = 0; i < 50 && received < target && received < target - MAX_PAYLOAD + Math.min(first + RING_BATCH - 1, MAX_PAYLOAD); i++) {
          clock.advanceMs(1);
          await turnsUntil(() => received >= target - MAX_PAYLOAD + Math.min(first + RING_BATCH - 1, MAX_PAYLOAD), 20);
        }
      }
      assert.equal(received, target, `round ${round}: every datagram arrived`);
    }
    assert.deepEqual(mismatches, []);
    assert.equal(link.stats().aToB.dropped.queue ?? 0, 0);
    a.close(); b.close();
  });
}
