// Transmit checksum offload (virtio VIRTIO_NET_F_CSUM): with `checksumOffload`, the core leaves
// UDP checksums partial. Over a trusted link into another stack they stay partial (no one checks
// them); anywhere else the NIC completes them, so every receiver and every capture sees valid sums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, Switch, FramePort } from 'wasmnet';

const IP_HEADER = 14;
const UDP_HEADER = IP_HEADER + 20;

async function echoPair(t, linkOptions, offload = true) {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, checksumOffload: offload });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, checksumOffload: offload });
  const link = MemoryLink.connect(a, b, linkOptions);
  const server = b.dgram.createSocket('udp4', (m, r) => server.send(m, r.port, r.address));
  server.bind(7);
  const client = a.dgram.createSocket('udp4');
  const got = [];
  client.on('message', (m) => got.push(Buffer.from(m).toString()));
  t.after(() => { client.close(); server.close(); a.close(); b.close(); link.close(); });
  return { clock, a, b, client, got };
}

/** Resolves ARP both ways first, so no datagram has to wait in the neighbour cache. */
async function warmUp(ctx) {
  const p = ctx.a.ping('10.0.0.2');
  await ctx.clock.advanceMsAsync(10);
  await p;
}

async function exchange(ctx, n) {
  for (let i = 0; i < n; i++) ctx.client.send(`datagram ${i} ${'x'.repeat(i * 13)}`, 7, '10.0.0.2');
  await ctx.clock.advanceMsAsync(50);
  assert.deepEqual(ctx.got, Array.from({ length: n }, (_, i) => `datagram ${i} ${'x'.repeat(i * 13)}`));
}

test('over a trusted link between two stacks, checksums stay partial and UDP works', async (t) => {
  const ctx = await echoPair(t, { trusted: true });
  await warmUp(ctx);
  await exchange(ctx, 20);
  assert.equal(ctx.a.stats().txChecksumsCompleted, 0);
  assert.equal(ctx.b.stats().txChecksumsCompleted, 0);
  assert.equal(ctx.b.stats().udpDropChecksum, 0);
});

test('over an untrusted link the NIC completes every checksum and the receiver verifies them', async (t) => {
  const ctx = await echoPair(t, {});
  await warmUp(ctx);
  await exchange(ctx, 20);
  // Both directions: 20 requests from a, 20 echoes from b (ARP and ICMP are never offloaded).
  assert.equal(ctx.a.stats().txChecksumsCompleted, 20);
  assert.equal(ctx.b.stats().txChecksumsCompleted, 20);
  assert.equal(ctx.a.stats().udpDropChecksum + ctx.b.stats().udpDropChecksum, 0);
});

test('a datagram that waited for ARP carries a complete checksum, even over a trusted link', async (t) => {
  const ctx = await echoPair(t, { trusted: true, aToB: { trusted: false } });
  ctx.client.send('first, before ARP', 7, '10.0.0.2');
  await ctx.clock.advanceMsAsync(50);
  assert.deepEqual(ctx.got, ['first, before ARP']);
  assert.equal(ctx.b.stats().udpDropChecksum, 0);
  // Completed by the core before it waited (the cache keeps bare frames), not by the NIC.
  assert.equal(ctx.a.stats().txChecksumsCompleted, 0);
});

test('a trusted link into a switch is not trusted with partial checksums', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, checksumOffload: true });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const sw = new Switch({ ports: 2, clock });
  const l1 = MemoryLink.connect(a, sw.port(0), { trusted: true });
  const l2 = MemoryLink.connect(sw.port(1), b);
  const server = b.dgram.createSocket('udp4', (m, r) => server.send(m, r.port, r.address));
  server.bind(7);
  const client = a.dgram.createSocket('udp4');
  const got = [];
  client.on('message', (m) => got.push(Buffer.from(m).toString()));
  t.after(() => { client.close(); server.close(); a.close(); b.close(); l1.close(); l2.close(); });
  const p = a.ping('10.0.0.2');
  await clock.advanceMsAsync(10);
  await p;
  client.send('through the switch', 7, '10.0.0.2');
  await clock.advanceMsAsync(50);
  assert.deepEqual(got, ['through the switch']);
  assert.equal(b.stats().udpDropChecksum, 0);
  assert.equal(a.stats().txChecksumsCompleted, 1);
});

test('frames leaving an offloading stack for JavaScript carry correct UDP checksums', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, checksumOffload: true });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(a, port, { trusted: true });
  const frames = [];
  port.onFrame = (f) => frames.push(f);
  const s = a.dgram.createSocket('udp4');
  s.bind(5000, () => s.setBroadcast(true));
  t.after(() => { s.close(); a.close(); link.close(); port.close(); });
  await clock.advanceMsAsync(1);
  s.send('to everyone', 9, '10.0.0.255');
  await clock.advanceMsAsync(10);
  assert.equal(frames.length, 1);
  const f = frames[0];
  const udpLen = (f[UDP_HEADER + 4] << 8) | f[UDP_HEADER + 5];
  // Verify: pseudo-header + segment sums to 0xffff (RFC 768 / RFC 1071).
  let sum = 0x0a00 + 0x0001 + 0x0a00 + 0x00ff + 17 + udpLen;
  for (let i = 0; i < udpLen; i += 2) sum += (f[UDP_HEADER + i] << 8) | (i + 1 < udpLen ? f[UDP_HEADER + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(sum, 0xffff);
  assert.notEqual((f[UDP_HEADER + 6] << 8) | f[UDP_HEADER + 7], 0);
  assert.equal(a.stats().txChecksumsCompleted, 1);
});
