#!/usr/bin/env node
// Bytes allocated per frame in a UDP flood between two stacks on a MemoryLink, from V8's
// sampling heap profiler with collected objects included (so short-lived garbage counts too).
// Prints JSON: { frames, bytesPerFrame, allocatedBytes, rxNoBuffer, top: [{ site, bytes }] }.
// Run after `npm run build`: node bench/frame-alloc.mjs [datagrams] [payloadBytes] [delayMs]
// With delayMs > 0 the link is impaired (a delay line, the link's slow path): the virtual clock
// moves on one millisecond per event-loop turn, so frames leave the line in batches of a few
// hundred, more than the receiver has buffers at once.
import { Session } from 'node:inspector/promises';
import { Stack, MemoryLink, VirtualClock } from 'wasmnet';

const DATAGRAMS = Number(process.argv[2] ?? 50_000);
const PAYLOAD = Number(process.argv[3] ?? 512);
const BATCH = 1000; // below what dgram keeps waiting for room
const SAMPLING_INTERVAL_BYTES = 64;
const TOP = 12;
const MAX_WAIT_TURNS = 100_000;
const DELAY_MS = Number(process.argv[4] ?? 0);
/** Deep enough for a whole batch in flight on the delay line: nothing is dropped as queue. */
const DELAY_QUEUE_FRAMES = 4096;
/** Virtual time that passes per event-loop turn while a delayed flood drains. */
const CLOCK_STEP_MS = 1;

const clock = new VirtualClock();
const limits = { udpRxDatagrams: 1024, udpRxBytes: 1 << 20 };
const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits });
const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits });
const link = MemoryLink.connect(a, b, DELAY_MS > 0 ? { delayMs: DELAY_MS, queueFrames: DELAY_QUEUE_FRAMES } : {});
const rx = b.dgram.createSocket('udp4');
await new Promise((resolve) => rx.bind(9, resolve));
const tx = a.dgram.createSocket('udp4');
await new Promise((resolve) => tx.bind(0, resolve));
let received = 0;
rx.on('message', () => { received++; });
const resolveTurn = (resolve) => { if (DELAY_MS > 0) clock.advanceMs(CLOCK_STEP_MS); setImmediate(resolve); };
const turn = () => new Promise(resolveTurn);
const payload = new Uint8Array(PAYLOAD);

// One callback for every send, so the bench's own code allocates nothing per datagram.
let reported = 0;
const onSent = () => { reported++; };

/** Turns without a new datagram after which the rest of a batch counts as lost (never reached lossless). */
const IDLE_TURNS = 50;

/** Waits until `done()` or until nothing new has been received for IDLE_TURNS turns. */
async function waitFor(done) {
  let idle = 0;
  let seen = received;
  for (let i = 0; i < MAX_WAIT_TURNS && !done() && idle < IDLE_TURNS; i++) {
    await turn();
    if (received === seen) idle++;
    else { idle = 0; seen = received; }
  }
}

async function flood(count) {
  for (let sent = 0; sent < count;) {
    const n = Math.min(BATCH, count - sent);
    const batchEnd = reported + n;
    const target = received + n;
    for (let i = 0; i < n; i++) tx.send(payload, 9, '10.0.0.2', onSent);
    sent += n;
    // Each batch is received before the next is sent, so a delay line never holds more than one.
    await waitFor(() => reported >= batchEnd && received >= target);
  }
}

tx.send('arp', 9, '10.0.0.2'); // resolve ARP first: datagrams waiting for it would be dropped
await waitFor(() => received >= 1);
await flood(2000); // JIT warm-up
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: SAMPLING_INTERVAL_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
});
const before = link.stats();
await flood(DATAGRAMS);
const { profile } = await session.post('HeapProfiler.stopSampling');
const after = link.stats();
session.disconnect();

const frames = (after.aToB.delivered - before.aToB.delivered) + (after.bToA.delivered - before.bToA.delivered);
const bySite = new Map();
let total = 0;
(function walk(node) {
  if (node.selfSize > 0) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(build|host|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child);
})(profile.head);
const top = [...bySite].sort((x, y) => y[1] - x[1]).slice(0, TOP).map(([site, bytes]) => ({ site, bytes, bytesPerFrame: +(bytes / frames).toFixed(1) }));
console.log(JSON.stringify({
  datagrams: DATAGRAMS, payloadBytes: PAYLOAD, delayMs: DELAY_MS, droppedQueue: after.aToB.dropped.queue, frames, received, allocatedBytes: total,
  bytesPerFrame: +(total / frames).toFixed(1), rxNoBuffer: b.stats().rxNoBuffer, top,
}, null, 2));
a.close(); b.close();
process.exit(0);
