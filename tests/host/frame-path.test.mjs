// The frame path between stacks: lossless ring-to-ring delivery with backpressure, a bounded
// delay line, a frame budget per event-loop turn, and pcap capture on the same path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, PcapWriter } from 'wasmnet';

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
