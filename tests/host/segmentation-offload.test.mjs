// TCP segmentation offload (virtio HOST_TSO4 / GUEST_TSO4): a stack with `segmentationOffload`
// hands its device TCP segments of up to 64 KiB. Between two such stacks on a MemoryLink they
// travel whole; every other receiver gets the MSS-sized segments the sender's device cuts them
// into, with valid checksums; over a trusted link into such a stack, MSS-sized segments from a
// sender without it are merged (receive-side coalescing). Every combination of plain, checksum offload and segmentation
// offload on either side carries the same bytes (SHA-256 on both ends), on the direct ring-to-ring
// path and on the impaired slow path, and a capture of a stack with segmentation offload holds
// only MSS-sized segments that tshark finds clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Stack, MemoryLink, VirtualClock, PcapWriter } from 'wasmnet';
import { exchangeBothWays, run, once, sha256 } from './tcp-pair.mjs';
import { tsharkInstalled, readCleanCapture } from './support/tshark.mjs';
import { ethernet, ipv4, udp, OUR_IP, PEER_IP, PEER_MAC, ETHERTYPE_IPV4, PROTO_UDP } from '../fuzz/frame-fuzz.mjs';

const MiB = 1 << 20;
const MSS = 1460;
/** An Ethernet frame of a full MTU-sized packet. */
const MTU_FRAME = 1514;
const LIMIT_MS = 10 * 60_000;

const MODES = {
  plain: {},
  checksum: { checksumOffload: true },
  segmentation: { segmentationOffload: true },
};

/**
 * Stacks a (10.0.0.1, options `aOptions`) and b (10.0.0.2, `bOptions`) joined by `connect(a, b)`
 * (a MemoryLink by default); `bytes` each way at once, both ends half-closing after their data.
 */
async function transfer(t, { aOptions = {}, bOptions = {}, link = {}, bytes = 2 * MiB, connect, damaged = false } = {}) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, ...aOptions });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, ...bOptions });
  const wire = connect ? connect(a, b) : MemoryLink.connect(a, b, link);
  t.after(() => { a.close(); b.close(); wire.close(); });
  const server = await exchangeBothWays(clock, a, b, bytes, LIMIT_MS);
  server.close();
  for (const s of [a, b]) {
    const st = s.stats();
    if (!damaged) assert.equal(st.tcpDropChecksum + st.ipDropChecksum + st.tcpDropMalformed + st.ipDropMalformed, 0, 'no segment refused');
    assert.equal(st.txBadSegments, 0);
    assert.equal(st.rxOversize, 0, 'no frame too long for a receive buffer');
  }
  return { a, b, wire };
}

/** Average bytes per frame a link direction delivered. */
const averageFrame = (direction) => direction.bytesDelivered / direction.delivered;

for (const [aName, aOptions] of Object.entries(MODES)) {
  for (const [bName, bOptions] of Object.entries(MODES)) {
    for (const trusted of [true, false]) {
      test(`${aName} <-> ${bName}, ${trusted ? 'trusted' : 'untrusted'} direct link: 2 MiB each way, SHA-256 equal`, async (t) => {
        const { a, b, wire } = await transfer(t, { aOptions, bOptions, link: { trusted } });
        const stats = wire.stats();
        for (const [sender, from, to, direction] of [[a, aName, bName, stats.aToB], [b, bName, aName, stats.bToA]]) {
          if (from === 'segmentation' && to === 'segmentation') {
            // Large segments went whole: frames far larger than an MTU's on average, none cut.
            assert.ok(averageFrame(direction) > 4 * MTU_FRAME, `${from} -> ${to}: ${averageFrame(direction)} bytes per frame`);
            assert.equal(sender.stats().txSegmentsCut, 0, `${from} -> ${to}: nothing cut`);
          } else if (to === 'segmentation' && trusted) {
            // Receive-side coalescing: the link merged the sender's MSS-sized segments.
            assert.ok(averageFrame(direction) > 2 * MTU_FRAME, `${from} -> ${to}: ${averageFrame(direction)} bytes per frame, coalesced`);
          } else {
            if (from === 'segmentation') assert.ok(sender.stats().txSegmentsCut > 1000, `${from} -> ${to}: the device cut its segments`);
            assert.ok(averageFrame(direction) <= MTU_FRAME, `${from} -> ${to}: MTU-sized frames only`);
          }
        }
      });
    }
  }
}

// The peer's MSS, not our MTU, sets the size of each cut segment: toward a peer with a smaller MTU
// (or no MSS option) a payload our own MTU would hold is still more than one of its segments.
for (const [bName, bOptions] of [['plain', {}], ['segmentation', MODES.segmentation]]) {
  test(`segmentation (MTU 1500) <-> ${bName} with MTU 1400: segments cut to the peer's MSS of 1,360, none refused, SHA-256 equal`, async (t) => {
    const { a, b, wire } = await transfer(t, {
      aOptions: MODES.segmentation, bOptions: { ...bOptions, mtu: 1400 }, link: { trusted: true },
    });
    const toB = wire.stats().aToB;
    if (bName === 'plain') {
      assert.ok(a.stats().txSegmentsCut > 1000, 'the device cut for the peer without offload');
      assert.ok(averageFrame(toB) <= 1400 + 14, 'no frame above the peer\'s MTU');
    } else {
      assert.ok(averageFrame(toB) > 4 * MTU_FRAME, 'large segments whole to a peer that takes them');
    }
    assert.equal(b.stats().rxOversize + b.stats().rxDropOversize, 0, 'the peer refused no frame');
    assert.equal(a.stats().tcpRetransmits, 0, 'nothing had to be sent again');
  });
}

test('segmentation (MTU 1500) -> plain with MTU 1400: 20 writes of 1,400 bytes one at a time (more than the peer\'s MSS, less than our MTU): none refused or resent', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, segmentationOffload: true });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, mtu: 1400 });
  const link = MemoryLink.connect(a, b, { trusted: true });
  t.after(() => { a.close(); b.close(); link.close(); });
  let received = 0;
  const server = b.net.createServer((socket) => socket.on('data', (d) => { received += d.length; }));
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const socket = a.net.connect(80, '10.0.0.2');
  await run(clock, once(socket, 'connect'));
  for (let i = 1; i <= 20; i++) {
    socket.write(Buffer.alloc(1400, i));
    // A frame the peer refused would wait for a retransmission timeout (200 ms and more).
    for (let ms = 0; received < i * 1400; ms++) {
      assert.ok(ms < 100, `write ${i} not delivered within 100 ms`);
      await clock.advanceMsAsync(1);
    }
  }
  assert.equal(b.stats().rxOversize, 0, 'the peer refused no frame');
  assert.equal(a.stats().tcpRetransmits, 0);
  // 1,400 bytes are more than one of the peer's segments: the device cut them (1,360 + 40; a tail
  // Nagle holds back for the ACK goes alone later).
  assert.ok(a.stats().txSegmentsCut > 0, 'the device cut payloads above the peer\'s MSS');
  socket.destroy();
  server.close();
});

test('receive-side coalescing: two uploads at once from a stack without offload into one with it, interleaved flows merged apart, both intact', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, segmentationOffload: true });
  const link = MemoryLink.connect(a, b, { trusted: true });
  t.after(() => { a.close(); b.close(); link.close(); });
  const uploads = [randomBytes(MiB), randomBytes(MiB)];
  const got = new Map();
  const server = b.net.createServer((socket) => {
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => { got.set(socket.remotePort, Buffer.concat(chunks)); socket.end(); });
  });
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const ports = [];
  const sockets = uploads.map((data, i) => {
    const socket = a.net.connect(80, '10.0.0.2', () => { ports[i] = socket.localPort; });
    socket.on('data', () => {});
    socket.end(data);
    return socket;
  });
  await run(clock, Promise.all(sockets.map((s) => once(s, 'close'))));
  assert.deepEqual([...got.keys()].sort(), [...ports].sort(), 'both uploads ended');
  ports.forEach((port, i) => assert.equal(sha256([got.get(port)]), sha256([uploads[i]]), `upload ${i} intact`));
  assert.ok(averageFrame(link.stats().aToB) > 2 * MTU_FRAME, 'segments were merged');
  assert.equal(b.stats().tcpDropOutOfWindow, 0);
  server.close();
});

test('a stack with segmentation offload drops a frame longer than its MTU that is not a large TCP segment (rxDropOversize)', async (t) => {
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock: new VirtualClock(), seed: 3, segmentationOffload: true });
  t.after(() => stack.close());
  const socket = stack.dgram.createSocket('udp4');
  socket.bind(7);
  const got = [];
  socket.on('message', (m) => got.push(m.length));
  await stack.clock.advanceMsAsync(1);
  // A well-formed 3,000-byte UDP datagram in one frame, as no MTU-1500 link carries.
  const stackMac = stack.mac.split(':').map((h) => parseInt(h, 16));
  const datagram = udp(PEER_IP, OUR_IP, 5000, 7, new Uint8Array(3000));
  const frame = ethernet(stackMac, PEER_MAC, ETHERTYPE_IPV4, ipv4(PEER_IP, OUR_IP, PROTO_UDP, datagram));
  stack.receive(frame, true);
  await stack.clock.advanceMsAsync(1);
  assert.equal(stack.stats().rxDropOversize, 1);
  assert.deepEqual(got, []);
  socket.close();
});

test('segmentation <-> segmentation on an impaired link (1% loss, reordering, duplication, 1 ms delay): the device cuts, data intact', async (t) => {
  const link = { loss: 0.01, reorder: 0.01, duplicate: 0.01, delayMs: 1, seed: 5 };
  const { a, b, wire } = await transfer(t, { aOptions: MODES.segmentation, bOptions: MODES.segmentation, link, bytes: 4 * MiB });
  const stats = wire.stats();
  assert.ok(stats.aToB.dropped.loss > 0 && stats.bToA.dropped.loss > 0, 'the link lost frames both ways');
  assert.ok(averageFrame(stats.aToB) <= MTU_FRAME && averageFrame(stats.bToA) <= MTU_FRAME, 'MTU-sized frames only');
  assert.ok(a.stats().txSegmentsCut > 0 && b.stats().txSegmentsCut > 0, 'both devices cut');
  assert.ok(a.stats().tcpRetransmits > 0 && b.stats().tcpRetransmits > 0, 'losses were recovered by retransmission');
});

test('segmentation <-> segmentation with 1% of frames corrupted: the checksums the device completed catch them, data intact', async (t) => {
  const { a, b, wire } = await transfer(t, {
    aOptions: MODES.segmentation, bOptions: MODES.segmentation, link: { corrupt: 0.01, seed: 9 }, damaged: true,
  });
  const stats = wire.stats();
  assert.ok(stats.aToB.corrupted > 0 && stats.bToA.corrupted > 0, 'the link corrupted frames both ways');
  const refused = (s) => { const st = s.stats(); return st.tcpDropChecksum + st.ipDropChecksum + st.tcpDropMalformed + st.ipDropMalformed; };
  assert.ok(refused(a) > 0 && refused(b) > 0, 'both receivers refused damaged segments');
  assert.ok(a.stats().txSegmentsCut > 0 && b.stats().txSegmentsCut > 0, 'both devices cut (a corrupting link is never trusted)');
});

test('a stack with segmentation offload seen through a pcap tap: only MSS-sized segments, every checksum valid (tshark-clean)', async (t) => {
  if (!await tsharkInstalled()) {
    if (process.env.CI === 'true') assert.fail('tshark is not installed (apt-get install -y tshark)');
    t.skip('tshark is not installed');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'wasmnet-tso-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tso.pcap');
  let tap;
  // a (segmentation offload, trusted link) -- tap -- b (segmentation offload): the tap forwards,
  // so neither device may hand it a large segment.
  const { a, b } = await transfer(t, {
    aOptions: MODES.segmentation, bOptions: MODES.segmentation, bytes: 1 * MiB,
    connect: (a, b) => {
      tap = PcapWriter.tap(a, path);
      return MemoryLink.connect(tap, b, { trusted: true });
    },
  });
  assert.ok(a.stats().txSegmentsCut > 0 && b.stats().txSegmentsCut > 0, 'both devices cut large segments');
  const frames = await readCleanCapture(assert, { path, records: tap.writer.records, close: () => tap.close() });
  const lengths = frames.flatMap((f) => f.tcpLength.map(Number)).filter((n) => Number.isFinite(n));
  assert.ok(lengths.length > 1000, 'the capture holds the transfer');
  assert.ok(Math.max(...lengths) <= MSS, `largest TCP payload ${Math.max(...lengths)} <= ${MSS}`);
  const full = lengths.filter((n) => n === MSS).length;
  assert.ok(full >= (2 * MiB) / MSS - 64, `full-sized segments: ${full}`);
});
