// DatagramDevice: one Ethernet frame per UDP datagram on 127.0.0.1 (QEMU's `-netdev dgram`
// framing). Two stacks talk through two devices pointed at each other; a plain node:dgram socket
// plays the remote to see the datagrams themselves; a device with one send slot keeps the stack's
// frames in its transmit ring instead of dropping them; oversize datagrams, a full receive queue,
// close() and bad options each have their counted or thrown outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Stack, MemoryLink, DatagramDevice, PcapWriter } from 'wasmnet';

const LOOPBACK = '127.0.0.1';
const ETHERNET_HEADER = 14;
const ETHERNET_MIN_FRAME = 60;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV4 = 0x0800;
const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** A node:dgram socket bound to 127.0.0.1 on a port the kernel picks. */
function udpSocket() {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => { socket.off('error', reject); resolve(socket); });
  });
}

/** A UDP port that was free a moment ago (bound, read and released). */
async function freePort() {
  const socket = await udpSocket();
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/** Lets the event loop turn until `done()` holds or `ms` milliseconds pass; returns done(). */
async function until(done, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  return done();
}

/** Two stacks, each on its own DatagramDevice, the two devices sending to each other. */
async function twoStacksOverUdp(t, options = {}) {
  const portA = await freePort();
  const portB = await freePort();
  const deviceA = await DatagramDevice.open({ local: { port: portA }, remote: { address: LOOPBACK, port: portB }, ...options });
  const deviceB = await DatagramDevice.open({ local: { port: portB }, remote: { address: LOOPBACK, port: portA }, ...options });
  const a = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1 });
  const b = await Stack.create({ ipv4: '10.77.9.2/24', seed: 2 });
  const linkA = MemoryLink.connect(a, deviceA);
  const linkB = MemoryLink.connect(b, deviceB);
  t.after(async () => {
    a.close(); b.close(); linkA.close(); linkB.close();
    await Promise.all([deviceA.close(), deviceB.close()]);
  });
  return { a, b, deviceA, deviceB };
}

test('two stacks ping and exchange UDP through two datagram devices on 127.0.0.1', async (t) => {
  const { a, b, deviceA, deviceB } = await twoStacksOverUdp(t);
  assert.equal(deviceA.local.address, LOOPBACK);
  assert.equal(deviceA.remote.port, deviceB.local.port);

  const there = await a.ping('10.77.9.2', { size: 1472 });
  assert.equal(there.bytes, 1472);
  const back = await b.ping('10.77.9.1');
  assert.equal(back.bytes, 56);

  const server = b.dgram.createSocket('udp4', (msg, rinfo) => server.send(msg, rinfo.port, rinfo.address));
  await new Promise((resolve) => server.bind(7, resolve));
  const client = a.dgram.createSocket('udp4');
  const echoed = [];
  client.on('message', (msg) => echoed.push(Buffer.from(msg).toString()));
  const words = ['one', 'two', 'three', 'x'.repeat(1472)];
  for (const w of words) client.send(w, 7, '10.77.9.2');
  assert.ok(await until(() => echoed.length === words.length), `echoed ${echoed.length} of ${words.length}`);
  assert.deepEqual(echoed.sort(), [...words].sort());
  client.close(); server.close();

  // Every frame one device sent, the other received, as one datagram each.
  const sa = deviceA.stats();
  const sb = deviceB.stats();
  // A: its ARP request, its echo request, its echo reply (b learned A from the ARP request), four datagrams.
  assert.equal(sa.framesOut, 7);
  assert.equal(sb.framesOut, 7);
  assert.equal(sb.framesIn, sa.framesOut);
  assert.equal(sa.framesIn, sb.framesOut);
  assert.equal(sb.bytesIn, sa.bytesOut);
  for (const s of [sa, sb]) {
    assert.deepEqual(s.dropped, { oversize: 0, sendErrors: 0, sendQueueFull: 0, receiveQueueFull: 0, unconnected: 0, closed: 0 });
    assert.equal(s.sendsInFlight, 0);
  }
});

test('each frame is one datagram with no header of its own; a datagram is one frame', async (t) => {
  const remote = await udpSocket();
  t.after(() => remote.close());
  const device = await DatagramDevice.open({ remote: { address: LOOPBACK, port: remote.address().port } });
  const stack = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1, mac: '02:00:00:00:00:01' });
  const link = MemoryLink.connect(stack, device);
  t.after(async () => { stack.close(); link.close(); await device.close(); });

  const datagrams = [];
  remote.on('message', (msg, rinfo) => datagrams.push({ msg, rinfo }));
  const ping = stack.ping('10.77.9.2', { timeoutMs: 500 }).catch((error) => error);
  assert.ok(await until(() => datagrams.length >= 1));
  const { msg: arp, rinfo } = datagrams[0];
  assert.equal(rinfo.port, device.local.port, 'sent from the device\'s bound port');
  // Ethernet header, 28 bytes of ARP (RFC 826), padded to Ethernet's 60-byte minimum frame.
  assert.equal(arp.length, ETHERNET_MIN_FRAME);
  assert.equal([...arp.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':'), BROADCAST_MAC);
  assert.equal(arp.readUInt16BE(12), ETHERTYPE_ARP);

  // The remote answers the ARP as a host 10.77.9.2 would: the reply datagram becomes one frame.
  const reply = Buffer.alloc(ETHERNET_HEADER + 28);
  const peerMac = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);
  arp.copy(reply, 0, 6, 12); // destination: the asker
  peerMac.copy(reply, 6);
  reply.writeUInt16BE(ETHERTYPE_ARP, 12);
  arp.copy(reply, 14, 14, 20); // hardware type, protocol type, sizes
  reply.writeUInt16BE(2, 20); // opcode: reply
  peerMac.copy(reply, 22);
  arp.copy(reply, 28, 38, 42); // sender IP: the address asked for
  arp.copy(reply, 32, 22, 28); // target MAC
  arp.copy(reply, 38, 28, 32); // target IP
  remote.send(reply, device.local.port, LOOPBACK);
  // With the neighbour known, the echo request follows, addressed to the MAC the reply gave.
  assert.ok(await until(() => datagrams.length >= 2), 'an echo request after the ARP reply');
  const echo = datagrams[1].msg;
  assert.deepEqual([...echo.subarray(0, 6)], [...peerMac]);
  assert.equal(echo.readUInt16BE(12), ETHERTYPE_IPV4);
  assert.equal(device.stats().framesIn, 1);
  const result = await ping;
  assert.equal(result.code, 'ETIMEDOUT', 'nobody answered the echo');
});

test('a datagram longer than mtu + 14 bytes is dropped as oversize; one from another port never arrives', async (t) => {
  const remote = await udpSocket();
  const stranger = await udpSocket();
  t.after(() => { remote.close(); stranger.close(); });
  const device = await DatagramDevice.open({ remote: { address: LOOPBACK, port: remote.address().port }, mtu: 576 });
  const stack = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1 });
  const link = MemoryLink.connect(stack, device);
  t.after(async () => { stack.close(); link.close(); await device.close(); });

  remote.send(Buffer.alloc(576 + ETHERNET_HEADER + 1), device.local.port, LOOPBACK);
  remote.send(Buffer.alloc(576 + ETHERNET_HEADER), device.local.port, LOOPBACK);
  stranger.send(Buffer.alloc(60), device.local.port, LOOPBACK);
  assert.ok(await until(() => device.stats().dropped.oversize === 1 && device.stats().framesIn === 1));
  // The largest frame reached the stack (which drops its all-zero contents as it should).
  assert.ok(await until(() => stack.stats().rxFrames === 1), `stack saw ${stack.stats().rxFrames} frames`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(device.stats().framesIn, 1, 'the connected socket only hears its remote');
});

test('with one send slot the stack\'s frames wait in its transmit ring: a 150-datagram burst arrives whole', async (t) => {
  const remote = await udpSocket();
  t.after(() => remote.close());
  const device = await DatagramDevice.open({ remote: { address: LOOPBACK, port: remote.address().port }, sendSlots: 1 });
  const stack = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1, limits: { txQueueSize: 16 } });
  const link = MemoryLink.connect(stack, device);
  t.after(async () => { stack.close(); link.close(); await device.close(); });

  // Broadcasts need no ARP: every datagram is one frame straight away.
  const socket = stack.dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(5000, resolve));
  socket.setBroadcast(true);
  const seen = new Set();
  remote.on('message', (msg) => { if (msg.length > 42 + 4) seen.add(msg.readUInt32BE(42)); });
  // More than the transmit ring and the one slot hold together, and few enough for the remote's
  // kernel receive buffer: the device sends them all in one event-loop turn.
  const COUNT = 150;
  const errors = [];
  const payload = Buffer.alloc(64);
  for (let i = 0; i < COUNT; i++) {
    payload.writeUInt32BE(i, 0);
    socket.send(payload, 9, '10.77.9.255', (error) => { if (error) errors.push(error.code); });
  }
  assert.ok(await until(() => seen.size === COUNT), `the remote got ${seen.size} of ${COUNT}`);
  assert.deepEqual(errors, []);
  const stats = device.stats();
  assert.equal(stats.framesOut, COUNT);
  assert.equal(stats.dropped.sendQueueFull, 0);
  assert.equal(link.stats().aToB.dropped.closed + link.stats().aToB.dropped.queue, 0);
  socket.close();
});

test('datagrams that find every receive slot waiting are dropped and counted; close() drops what still waits', async (t) => {
  const remote = await udpSocket();
  t.after(() => remote.close());
  const device = await DatagramDevice.open({ remote: { address: LOOPBACK, port: remote.address().port }, receiveSlots: 2 });
  // A link that never takes a frame: the device's two slots fill, then it drops.
  let announced = 0;
  device.rings.attachRings({ onTransmitReady: () => { announced++; }, onReceiveRoom: () => {} });
  for (let i = 0; i < 5; i++) remote.send(Buffer.alloc(60, i), device.local.port, LOOPBACK);
  assert.ok(await until(() => device.stats().framesIn + device.stats().dropped.receiveQueueFull === 5));
  assert.equal(device.stats().framesIn, 2);
  assert.equal(device.stats().dropped.receiveQueueFull, 3);
  assert.equal(device.stats().receiveQueued, 2);
  assert.equal(announced, 2);
  // The oldest waiting frame is the first one sent.
  const length = device.takeTx();
  assert.equal(length, 60);
  assert.equal(device.bytes[device.txOffset], 0);
  device.completeTx();
  await device.close();
  assert.equal(device.stats().dropped.closed, 1);
  assert.equal(device.txPending(), 0);
  assert.equal(device.closed, true);
  device.receive(new Uint8Array(60), false);
  assert.equal(device.stats().dropped.closed, 2, 'a frame given after close is counted');
});

test('datagrams with no link attached are counted as unconnected; a closed remote shows as receive errors', async (t) => {
  const remote = await udpSocket();
  const port = remote.address().port;
  const device = await DatagramDevice.open({ remote: { address: LOOPBACK, port } });
  t.after(() => device.close());
  remote.send(Buffer.alloc(60), device.local.port, LOOPBACK);
  assert.ok(await until(() => device.stats().dropped.unconnected === 1));
  await new Promise((resolve) => remote.close(resolve));
  // Nothing listens at the remote now: the kernel's port unreachable comes back as ECONNREFUSED.
  const stack = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1 });
  const link = MemoryLink.connect(stack, device);
  t.after(() => { stack.close(); link.close(); });
  const failed = stack.ping('10.77.9.2', { timeoutMs: 300 }).catch((error) => error.code);
  assert.ok(await until(() => device.stats().receiveErrors >= 1), 'a receive error was counted');
  assert.equal(device.stats().lastError, 'ECONNREFUSED');
  assert.equal(await failed, 'ETIMEDOUT');
});

test('behind a pcap tap (a link without rings) the device still carries every frame', async (t) => {
  const portA = await freePort();
  const portB = await freePort();
  const deviceA = await DatagramDevice.open({ local: { port: portA }, remote: { address: LOOPBACK, port: portB } });
  const deviceB = await DatagramDevice.open({ local: { port: portB }, remote: { address: LOOPBACK, port: portA } });
  const a = await Stack.create({ ipv4: '10.77.9.1/24', seed: 1 });
  const b = await Stack.create({ ipv4: '10.77.9.2/24', seed: 2 });
  const chunks = [];
  const tap = PcapWriter.tap(a, (chunk) => chunks.push(chunk));
  const linkA = MemoryLink.connect(tap, deviceA);
  const linkB = MemoryLink.connect(b, deviceB);
  t.after(async () => {
    a.close(); b.close(); linkA.close(); linkB.close();
    await Promise.all([deviceA.close(), deviceB.close(), tap.close()]);
  });
  for (const size of [0, 56, 1472]) assert.equal((await a.ping('10.77.9.2', { size })).bytes, size);
  // ARP request and reply, three echo requests and three replies, all seen by the tap.
  assert.equal(tap.writer.records, 8);
  assert.equal(deviceA.stats().framesOut, 4);
  assert.equal(deviceA.stats().framesIn, 4);
});

test('DatagramDevice.open refuses bad options with Node-style errors, and a port in use with EADDRINUSE', async (t) => {
  const remote = { address: LOOPBACK, port: 9 };
  await assert.rejects(DatagramDevice.open({}), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(DatagramDevice.open({ remote: { address: 'localhost', port: 9 } }), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(DatagramDevice.open({ remote: { address: LOOPBACK, port: 0 } }), { code: 'ERR_SOCKET_BAD_PORT' });
  await assert.rejects(DatagramDevice.open({ remote, local: { port: 70000 } }), { code: 'ERR_SOCKET_BAD_PORT' });
  await assert.rejects(DatagramDevice.open({ remote, mtu: 67 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(DatagramDevice.open({ remote, mtu: 65494 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(DatagramDevice.open({ remote, sendSlots: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(DatagramDevice.open({ remote, receiveSlots: 1.5 }), { code: 'ERR_OUT_OF_RANGE' });
  const taken = await udpSocket();
  t.after(() => taken.close());
  await assert.rejects(DatagramDevice.open({ remote, local: { port: taken.address().port } }), { code: 'EADDRINUSE' });
});
