#!/usr/bin/env node
// Bytes allocated per frame in a UDP flood between two stacks on a lossless MemoryLink, from V8's
// sampling heap profiler with collected objects included (so short-lived garbage counts too).
// Prints JSON: { frames, bytesPerFrame, allocatedBytes, top: [{ function, url, line, bytes }] }.
// Run after `npm run build`: node bench/frame-alloc.mjs [datagrams] [payloadBytes]
import { Session } from 'node:inspector/promises';
import { Stack, MemoryLink, VirtualClock } from 'wasmnet';

const DATAGRAMS = Number(process.argv[2] ?? 50_000);
const PAYLOAD = Number(process.argv[3] ?? 512);
const BATCH = 1000; // below what dgram keeps waiting for room
const SAMPLING_INTERVAL_BYTES = 64;
const TOP = 12;
const MAX_WAIT_TURNS = 100_000;

const clock = new VirtualClock();
const limits = { udpRxDatagrams: 1024, udpRxBytes: 1 << 20 };
const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits });
const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, limits });
const link = MemoryLink.connect(a, b);
const rx = b.dgram.createSocket('udp4');
await new Promise((resolve) => rx.bind(9, resolve));
const tx = a.dgram.createSocket('udp4');
await new Promise((resolve) => tx.bind(0, resolve));
let received = 0;
rx.on('message', () => { received++; });
const turn = () => new Promise((resolve) => setImmediate(resolve));
const payload = new Uint8Array(PAYLOAD);

// One callback for every send, so the bench's own code allocates nothing per datagram.
let reported = 0;
const onSent = () => { reported++; };

async function flood(count) {
  const target = received + count;
  for (let sent = 0; sent < count;) {
    const n = Math.min(BATCH, count - sent);
    const batchEnd = reported + n;
    for (let i = 0; i < n; i++) tx.send(payload, 9, '10.0.0.2', onSent);
    sent += n;
    for (let i = 0; i < MAX_WAIT_TURNS && reported < batchEnd; i++) await turn();
  }
  for (let i = 0; i < MAX_WAIT_TURNS && received < target; i++) await turn();
}

tx.send('arp', 9, '10.0.0.2'); // resolve ARP first: datagrams waiting for it would be dropped
for (let i = 0; i < MAX_WAIT_TURNS && received < 1; i++) await turn();
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
  datagrams: DATAGRAMS, payloadBytes: PAYLOAD, frames, received, allocatedBytes: total,
  bytesPerFrame: +(total / frames).toFixed(1), rxNoBuffer: b.stats().rxNoBuffer, top,
}, null, 2));
a.close(); b.close();
process.exit(0);
