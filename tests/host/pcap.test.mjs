// A PcapWriter tap records everything two stacks say to each other (ARP, pings, a UDP exchange,
// broadcast, an ICMP port unreachable), and tshark, with checksum validation switched on, reads
// the capture: no malformed packet, no expert error, every IPv4, UDP and ICMP checksum verified
// good, and the protocols and packets we expect where we expect them. tshark is a Debian package
// (`apt-get install -y tshark`, installed by .ci/run); with CI=true a missing tshark fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, MemoryLink, VirtualClock, PcapWriter } from 'wasmnet';

/** Runs tshark; resolves with stdout (rejects with stderr on a non-zero exit). */
function tshark(args) {
  return new Promise((resolve, reject) => {
    // HOME in a temporary directory: no personal preferences or profiles change what tshark checks.
    execFile('tshark', args, { env: { ...process.env, HOME: tmpdir() }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tshark ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const tsharkInstalled = () => new Promise((resolve) => execFile('tshark', ['--version'], (error) => resolve(!error)));

/**
 * Checksum validation on. ICMP has no preference: Wireshark always verifies ICMP checksums (the
 * icmp.checksum.status assertions below prove it did).
 */
const CHECKSUMS_ON = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
/** Wireshark's checksum status values (`tshark -G values`): 0 Bad, 1 Good, 2 Unverified. */
const GOOD = '1';

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

  // One line per frame: protocols, checksum statuses (several when an ICMP error quotes a packet),
  // expert severities, and the ICMP type and code.
  const fields = ['frame.number', 'frame.protocols', 'ip.checksum.status', 'udp.checksum.status', 'icmp.checksum.status',
    '_ws.expert.severity', 'icmp.type', 'icmp.code', 'udp.length', '_ws.malformed'];
  const out = await tshark(['-r', run.path, ...CHECKSUMS_ON, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...fields.flatMap((f) => ['-e', f])]);
  const frames = out.trim().split('\n').map((line) => {
    const v = line.split('\t');
    const list = (s) => (s ? s.split(',') : []);
    return {
      number: Number(v[0]), protocols: v[1].split(':'), ip: list(v[2]), udp: list(v[3]), icmp: list(v[4]),
      severities: list(v[5]).map(Number), icmpType: list(v[6]).map(Number), icmpCode: list(v[7]).map(Number),
      udpLength: list(v[8]).map(Number), malformed: v[9] ?? '',
    };
  });
  assert.equal(frames.length, run.records, 'tshark reads every record');

  const describe = (f) => `frame ${f.number} (${f.protocols.join(':')})`;
  for (const f of frames) {
    assert.ok(!f.protocols.includes('_ws.malformed') && f.malformed === '', `${describe(f)} is malformed`);
    // PI_ERROR is 0x00800000 in Wireshark's expert severities (note 0x400000, warn 0x600000).
    assert.ok(f.severities.every((s) => s < 0x00800000), `${describe(f)} has an expert error: ${f.severities}`);
    // Every checksum in the frame, quoted packets included, was verified and is good.
    if (f.protocols.includes('ip')) assert.ok(f.ip.length > 0 && f.ip.every((s) => s === GOOD), `${describe(f)} IP checksum ${f.ip}`);
    if (f.protocols.includes('icmp')) assert.deepEqual(f.icmp, [GOOD], `${describe(f)} ICMP checksum`);
    if (f.protocols.includes('udp') && !f.protocols.includes('icmp')) assert.deepEqual(f.udp, [GOOD], `${describe(f)} UDP checksum`);
  }

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

/** Frame numbers matching the malformed / expert error / bad checksum display filter. */
async function flagged(path) {
  const filter = '_ws.malformed || _ws.expert.severity >= 0x00800000 || ' +
    'ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"';
  const out = await tshark(['-r', path, ...CHECKSUMS_ON, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  return out.trim() === '' ? [] : out.trim().split('\n').map(Number);
}

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
