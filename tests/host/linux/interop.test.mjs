// wasmnet against the Linux kernel: each test gets its own network namespace whose TAP device is
// bridged by socat to a stack's DatagramDevice (linux-peer.mjs). ARP, ICMP echo both ways (up to
// the MTU), UDP both ways with the data checked, Linux's port unreachable as ECONNREFUSED on a
// connected socket, and a capture of it all that tshark reads without a malformed frame or a bad
// checksum. Needs root, iproute2, socat, iputils-ping and tshark (.ci/run installs them);
// skipped with the reason without them, failed with CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { withLinuxPeer } from './linux-peer.mjs';
import { readCleanCapture } from '../support/tshark.mjs';

const MTU = 1500;
const IP_ICMP_HEADERS = 28;
const IP_UDP_HEADERS = 28;
/** The largest echo data that fits the MTU unfragmented. */
const LARGEST_PING = MTU - IP_ICMP_HEADERS;
const LARGEST_DATAGRAM = MTU - IP_UDP_HEADERS;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const ICMP_DEST_UNREACHABLE = 3;
const ICMP_PORT_UNREACHABLE = 3;

/** Payload `seq` of `length` bytes: its number, then a pattern depending on both. */
function payload(seq, length) {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (seq * 31 + i * 7) & 0xff;
  if (length >= 2) bytes.writeUInt16BE(seq, 0);
  return bytes;
}

/** Resolves once `count` messages arrived on a wasmnet dgram socket, or rejects after `ms`. */
function messages(socket, count, ms = 5000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${count} datagrams arrived`)), ms);
    socket.on('message', (msg, rinfo) => {
      got.push({ msg: Buffer.from(msg), rinfo });
      if (got.length === count) { clearTimeout(timer); resolve(got); }
    });
  });
}

/** Parses ping(8)'s summary: packets sent and received, and the rtt min/avg/max in ms. */
function pingSummary(stdout) {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\//.exec(stdout);
  assert.ok(counts, `ping printed no summary:\n${stdout}`);
  return {
    sent: Number(counts[1]), received: Number(counts[2]),
    rttMs: rtt ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]) } : undefined,
  };
}

const bind = (socket, port) => new Promise((resolve) => socket.bind(port, () => resolve(socket)));

test('Linux pings wasmnet: every echo answered, RTT reported', (t) => withLinuxPeer(t, async ({ stack, stackAddress, run }) => {
  const { stdout, code } = await run('ping', ['-c', '5', '-i', '0.05', '-W', '2', stackAddress]);
  const summary = pingSummary(stdout);
  assert.equal(code, 0, stdout);
  assert.deepEqual([summary.sent, summary.received], [5, 5]);
  t.diagnostic(`Linux -> wasmnet rtt min/avg/max ${summary.rttMs.min}/${summary.rttMs.avg}/${summary.rttMs.max} ms`);
  assert.ok(stack.stats().arpRequestsAnswered >= 1, 'the stack answered Linux\'s ARP request');
}));

test('wasmnet pings Linux: every echo answered, RTT reported', (t) => withLinuxPeer(t, async ({ stack, linuxAddress }) => {
  const rtts = [];
  for (let seq = 0; seq < 5; seq++) {
    const reply = await stack.ping(linuxAddress, { timeoutMs: 2000 });
    assert.equal(reply.address, linuxAddress);
    assert.equal(reply.bytes, 56);
    rtts.push(reply.rttMs);
  }
  t.diagnostic(`wasmnet -> Linux rtt ${rtts.map((r) => r.toFixed(3)).join(', ')} ms`);
  assert.ok(rtts.every((r) => r >= 0 && Number.isFinite(r)));
}));

test('pings with the largest payload that fits the MTU work both ways, with DF set by Linux', (t) => withLinuxPeer(t, async ({ stack, stackAddress, linuxAddress, run }) => {
  // -M do: Linux sets DF and never fragments; the whole 1500-byte datagram crosses as one frame.
  const { stdout, code } = await run('ping', ['-c', '3', '-i', '0.05', '-W', '2', '-M', 'do', '-s', String(LARGEST_PING), stackAddress]);
  assert.equal(code, 0, stdout);
  assert.deepEqual(Object.values(pingSummary(stdout)).slice(0, 2), [3, 3]);
  assert.match(stdout, new RegExp(`${LARGEST_PING + 8} bytes from ${stackAddress.replace(/\./g, '\\.')}`));

  for (const size of [0, 1000, LARGEST_PING]) {
    const reply = await stack.ping(linuxAddress, { size, timeoutMs: 2000 });
    assert.equal(reply.bytes, size);
  }
}));

test('UDP from Linux to wasmnet: each datagram arrives whole, from Linux\'s address and port', (t) => withLinuxPeer(t, async ({ stack, stackAddress, linuxAddress, run }) => {
  const socket = await bind(stack.dgram.createSocket('udp4'), 7000);
  const sizes = [1, 100, 1000, LARGEST_DATAGRAM];
  const arrived = messages(socket, sizes.length);
  for (const [seq, size] of sizes.entries()) {
    // One socat per datagram: it reads the payload from stdin and sends it in one datagram.
    const { code, stderr } = await run('socat', ['-u', 'STDIN', `UDP-SENDTO:${stackAddress}:7000,sourceport=4000,reuseaddr`], { input: payload(seq, size) });
    assert.equal(code, 0, stderr);
  }
  const got = await arrived;
  for (const [seq, size] of sizes.entries()) {
    assert.ok(got[seq].msg.equals(payload(seq, size)), `datagram ${seq} (${size} bytes) arrived intact`);
    assert.deepEqual({ ...got[seq].rinfo }, { address: linuxAddress, family: 'IPv4', port: 4000, size });
  }
  socket.close();
}));

test('UDP from wasmnet to Linux: a Linux receiver gets each datagram whole, and a Linux echo returns them', (t) => withLinuxPeer(t, async ({ stack, linuxAddress, spawn, waitForUdpPort }) => {
  // A receiver that writes each datagram to stdout, as it came.
  const receiver = spawn('socat', ['-u', `UDP-RECV:9000,bind=${linuxAddress}`, 'STDOUT']);
  const received = [];
  receiver.stdout.on('data', (chunk) => received.push(chunk));
  // An echo: the first datagram fixes the peer, every datagram goes back to it.
  spawn('socat', ['-T', '10', `UDP-LISTEN:9001,bind=${linuxAddress}`, 'PIPE']);
  await waitForUdpPort(9000);
  await waitForUdpPort(9001);

  // Resolve Linux's MAC first: datagrams sent while ARP is pending wait in a queue of
  // limits.neighbourPending (4), and a fifth would push out the first.
  await stack.ping(linuxAddress, { timeoutMs: 2000 });
  const socket = await bind(stack.dgram.createSocket('udp4'), 0);
  const sizes = [1, 64, 512, 1400, LARGEST_DATAGRAM];
  const expected = Buffer.concat(sizes.map((size, seq) => payload(seq, size)));
  for (const [seq, size] of sizes.entries()) {
    await new Promise((resolve, reject) => socket.send(payload(seq, size), 9000, linuxAddress, (error) => (error ? reject(error) : resolve())));
  }
  const deadline = Date.now() + 5000;
  while (Buffer.concat(received).length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(Buffer.concat(received).equals(expected), `the receiver got ${Buffer.concat(received).length} of ${expected.length} bytes, in order`);

  // One datagram at a time: socat's PIPE is a byte stream, and two datagrams waiting in it at
  // once would come back as one.
  socket.removeAllListeners('message');
  for (const [seq, size] of sizes.entries()) {
    const echo = messages(socket, 1);
    socket.send(payload(100 + seq, size), 9001, linuxAddress);
    const [{ msg, rinfo }] = await echo;
    socket.removeAllListeners('message');
    assert.ok(msg.equals(payload(100 + seq, size)), `echo ${seq} (${size} bytes) came back whole`);
    assert.equal(rinfo.address, linuxAddress);
    assert.equal(rinfo.port, 9001);
  }
  socket.close();
}));

test('a connected UDP socket to a closed Linux port gets ECONNREFUSED from Linux\'s port unreachable', (t) => withLinuxPeer(t, async ({ stack, linuxAddress }) => {
  const socket = stack.dgram.createSocket('udp4');
  const refused = new Promise((resolve) => socket.once('error', resolve));
  await new Promise((resolve) => socket.connect(9999, linuxAddress, resolve));
  socket.send('is anyone there?');
  const error = await refused;
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.syscall, 'recvmsg');
  socket.close();
}));

test('a capture of ARP, pings both ways and UDP with Linux reads in tshark with no malformed frame and no bad checksum', async (t) => {
  await withLinuxPeer(t, async ({ stack, stackAddress, linuxAddress, run, capture }) => {
    const ping = await run('ping', ['-c', '2', '-i', '0.05', '-W', '2', '-s', String(LARGEST_PING), stackAddress]);
    assert.equal(ping.code, 0, ping.stdout);
    await stack.ping(linuxAddress, { size: 100, timeoutMs: 2000 });
    const socket = await bind(stack.dgram.createSocket('udp4'), 7000);
    const arrived = messages(socket, 1);
    const sent = await run('socat', ['-u', 'STDIN', `UDP-SENDTO:${stackAddress}:7000`], { input: payload(1, 333) });
    assert.equal(sent.code, 0, sent.stderr);
    await arrived;
    const refused = stack.dgram.createSocket('udp4');
    const error = new Promise((resolve) => refused.once('error', resolve));
    refused.connect(9999, linuxAddress, () => refused.send(payload(2, 1200)));
    assert.equal((await error).code, 'ECONNREFUSED');
    socket.close();
    refused.close();
    // Linux answered the last frame; give its reply a moment to be recorded, then close the file.
    await new Promise((r) => setTimeout(r, 20));
    const frames = await readCleanCapture(assert, capture);
    const count = (predicate) => frames.filter(predicate).length;
    const icmp = (type, code) => (f) => f.protocols.includes('icmp') && f.icmpType[0] === type && (code === undefined || f.icmpCode[0] === code);
    assert.ok(count((f) => f.protocols.at(-1) === 'arp') >= 2, 'ARP both ways');
    assert.equal(count(icmp(ICMP_ECHO_REQUEST)), 3);
    assert.equal(count(icmp(ICMP_ECHO_REPLY)), 3);
    assert.equal(count(icmp(ICMP_DEST_UNREACHABLE, ICMP_PORT_UNREACHABLE)), 1, 'Linux\'s port unreachable');
    assert.equal(count((f) => f.protocols.includes('udp') && !f.protocols.includes('icmp')), 2);
  }, { capture: true });
});
