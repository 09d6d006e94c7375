// A PcapWriter tap records everything two stacks say to each other (ARP, pings, a UDP exchange,
// broadcast, an ICMP port unreachable), and tshark, with checksum validation switched on, reads
// the capture: no malformed packet, no expert error, every IPv4, UDP and ICMP checksum verified
// good, and the protocols and packets we expect where we expect them. tshark is a Debian package
// (`apt-get install -y tshark`, installed by .ci/run); with CI=true a missing tshark fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, MemoryLink, VirtualClock, PcapWriter } from 'wasmnet';
import { tsharkInstalled, flagged, frames as readFrames, assertCleanFrames } from './support/tshark.mjs';

/** Two stacks with a tap on a's side of the link; runs `scenario` and returns the capture path. */
async function capture(t, scenario) {
  const dir = await mkdtemp(join(tmpdir(), 'wasmnet-pcap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'two-stacks.pcap');
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const tap = PcapWriter.tap(a, path);
  const link = MemoryLink.connect(tap, b, { delayMs: 1 });
  const result = await scenario({ clock, a, b });
  assert.equal(a.failed, null);
  assert.equal(b.failed, null);
  const records = tap.writer.records;
  await tap.close();
  a.close();
  b.close();
  link.close();
  return { path, records, linkStats: link.stats(), ...result };
}

/** Advances virtual time 1 ms at a time until `predicate` holds (at most `ms`), failing if it never does. */
async function until(clock, predicate, ms = 1000) {
  for (let i = 0; i < ms && !predicate(); i++) await clock.advanceMsAsync(1);
  assert.ok(predicate(), 'timed out');
}

/** The traffic: pings both ways, UDP echo of several sizes, a broadcast, a port unreachable. */
async function converse({ clock, a, b }) {
  const pings = [];
  for (const size of [56, 0, 1472]) {
    const p = a.ping('10.0.0.2', { size });
    await clock.advanceMsAsync(20);
    pings.push(await p);
  }
  const back = b.ping('10.0.0.1');
  await clock.advanceMsAsync(20);
  pings.push(await back);

  const server = b.dgram.createSocket('udp4', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  server.bind(7);
  const echoed = [];
  const client = a.dgram.createSocket('udp4', (msg) => echoed.push(msg));
  client.bind(5000, () => client.setBroadcast(true));
  await clock.advanceMsAsync(1);
  const sizes = [0, 1, 5, 18, 100, 512, 1000, 1471, 1472];
  for (const n of sizes) client.send(new Uint8Array(n).fill(n & 0xff), 7, '10.0.0.2');
  await until(clock, () => echoed.length === sizes.length);
  // A directed broadcast reaches b's wildcard socket, which answers unicast.
  client.send('to everyone', 7, '10.0.0.255');
  await until(clock, () => echoed.length === sizes.length + 1);

  // Nobody listens on b's port 9: b answers with ICMP port unreachable, which a's connected
  // socket hears as ECONNREFUSED. One small datagram and one large (the quote is capped at 576).
  const refused = [];
  const probe = a.dgram.createSocket('udp4');
  probe.on('error', (error) => refused.push(error.code));
  probe.connect(9, '10.0.0.2');
  await clock.advanceMsAsync(1);
  probe.send('anyone there?');
  await until(clock, () => refused.length === 1);
  probe.send(new Uint8Array(1400).fill(0x5a));
  await until(clock, () => refused.length === 2);

  for (const s of [server, client, probe]) s.close();
  await clock.advanceMsAsync(1);
  return { pings, echoed, sizes, refused };
}

test('tshark with checksum validation reads a two-stack capture: no malformed packet, no bad checksum (fails without tshark when CI=true)', async (t) => {
  if (!(await tsharkInstalled())) {
    if (process.env.CI === 'true') assert.fail('tshark is not installed (apt-get install -y tshark); CI=true requires it');
    t.skip('tshark is not installed');
    return;
  }
  const run = await capture(t, converse);
  // The conversation itself worked, so the capture holds what a user would have seen.
  assert.deepEqual(run.pings.map((p) => p.bytes), [56, 0, 1472, 56]);
  assert.deepEqual(run.echoed.slice(0, run.sizes.length).map((m) => m.length), run.sizes);
  assert.equal(new TextDecoder().decode(run.echoed.at(-1)), 'to everyone');
  assert.deepEqual(run.refused, ['ECONNREFUSED', 'ECONNREFUSED']);
  // Every frame that crossed the link was recorded (the tap sees both directions).
  const linkFrames = run.linkStats.aToB.delivered + run.linkStats.bToA.delivered;
  assert.equal(run.records, linkFrames);

  const frames = await readFrames(run.path);
  assert.equal(frames.length, run.records, 'tshark reads every record');

  assertCleanFrames(assert, frames);

  // The same through a display filter, as a reader of the capture would check it.
  assert.deepEqual(await flagged(run.path), [], 'frames matching the malformed / expert error / bad checksum filter');

  // The expected protocols and messages are all there.
  const count = (predicate) => frames.filter(predicate).length;
  const isEcho = (f, type) => f.protocols.includes('icmp') && f.icmpType[0] === type;
  const isUdp = (f) => f.protocols.includes('udp') && !f.protocols.includes('icmp');
  // One request and one reply: b learned a's address from the request (RFC 826), so b's ping
  // needed no ARP of its own.
  assert.equal(count((f) => f.protocols.at(-1) === 'arp'), 2, 'ARP');
  assert.equal(count((f) => isEcho(f, 8)), 4, 'echo requests');
  assert.equal(count((f) => isEcho(f, 0)), 4, 'echo replies');
  assert.equal(count((f) => f.icmpType[0] === 3 && f.icmpCode[0] === 3), 2, 'port unreachable');
  // Each datagram and its echo, the broadcast and its answer, the two that were refused.
  assert.equal(count(isUdp), 2 * run.sizes.length + 2 + 2, 'UDP');
  assert.equal(frames.length, 2 + 8 + 2 + 2 * run.sizes.length + 2 + 2);

  // The check can fail: damage an IPv4 header checksum, a UDP payload byte and an ICMP identifier
  // in a copy of the capture, and exactly those three frames are flagged.
  const echoRequest = frames.find((f) => isEcho(f, 8)).number;
  const echoReply = frames.find((f) => isEcho(f, 0)).number;
  const datagram = frames.find((f) => isUdp(f) && f.udpLength[0] > 8).number;
  const IP = 14;
  const damaged = damage(new Uint8Array(await readFile(run.path)), {
    [echoRequest]: IP + 10, // header checksum
    [datagram]: IP + 20 + 8, // first payload byte
    [echoReply]: IP + 20 + 4, // echo identifier
  });
  const damagedPath = `${run.path}.damaged.pcap`;
  await writeFile(damagedPath, damaged);
  assert.deepEqual(await flagged(damagedPath), [echoRequest, echoReply, datagram].sort((x, y) => x - y));
});

/** Flips every bit of one byte in the given frames (1-based number -> offset in the frame) of a pcap file. */
function damage(file, offsets) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const GLOBAL_HEADER = 24;
  const RECORD_HEADER = 16;
  const INCLUDED_LENGTH = 8;
  for (let at = GLOBAL_HEADER, n = 1; at < file.length; n++) {
    const included = view.getUint32(at + INCLUDED_LENGTH, true);
    if (offsets[n] !== undefined) file[at + RECORD_HEADER + offsets[n]] ^= 0xff;
    at += RECORD_HEADER + included;
  }
  return file;
}
