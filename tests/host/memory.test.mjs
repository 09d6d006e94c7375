// The core allocates everything in init: after it, neither the heap top nor the memory size may
// move, whatever the traffic. Two stacks exchange 1,000,000 UDP datagrams (each one checked: count,
// order, and a rolling checksum over every byte), then go through a churn of pings, ARP expiries,
// give-ups and evictions, ICMP errors, and sockets opened and closed by the thousand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, Random } from 'wasmnet';

const DATAGRAMS = 1_000_000;
/** Datagrams sent before letting the link and the receiver run (fits every queue below). */
const BATCH = 512;
const POOL_BYTES = 1 << 16;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Payload length of datagram i: 4 to 131 bytes. */
const lengthOf = (i) => 4 + ((i * 7919) % 128);

/** FNV-1a over the bytes, continuing from h: a rolling checksum of everything seen, in order. */
function fnv(h, bytes) {
  for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
  return h >>> 0;
}

async function create(clock, ipv4, seed, limits) {
  return Stack.create({ ipv4, clock, seed, limits });
}

test('heap top and memory size are identical before and after 1,000,000 UDP datagrams', async (t) => {
  const clock = new VirtualClock();
  // Queues big enough for a whole batch: nothing may be dropped, so every datagram is checked.
  const limits = { rxQueueSize: 1024, txQueueSize: 1024, udpRxDatagrams: 1024, udpRxBytes: 1 << 20 };
  const a = await create(clock, '10.0.0.1/24', 1, limits);
  const b = await create(clock, '10.0.0.2/24', 2, limits);
  const baseline = { a: a.memory(), b: b.memory() };
  const link = MemoryLink.connect(a, b, { trusted: true });
  t.after(() => { a.close(); b.close(); link.close(); });

  // Random content, different for every datagram: its number, then a slice of a seeded pool.
  const random = new Random(77);
  const pool = Uint8Array.from({ length: POOL_BYTES + 256 }, () => random.nextInt(256));
  const scratch = new Uint8Array(256);
  const scratchView = new DataView(scratch.buffer);

  let received = 0;
  let outOfOrder = 0;
  let wrongLength = 0;
  let wrongSource = 0;
  let rxSum = FNV_OFFSET;
  const rx = b.dgram.createSocket('udp4', (msg, rinfo) => {
    const i = received++;
    if (msg.length < 4 || msg.readUInt32BE(0) !== i) outOfOrder++;
    if (msg.length !== lengthOf(i)) wrongLength++;
    if (rinfo.port !== 4000 || rinfo.address !== '10.0.0.1') wrongSource++;
    rxSum = fnv(rxSum, msg);
  });
  await new Promise((resolve) => rx.bind(9, resolve));
  const tx = a.dgram.createSocket('udp4');
  const sendErrors = [];
  tx.on('error', (e) => sendErrors.push(e));
  await new Promise((resolve) => tx.bind(4000, resolve));
  // Resolve b first, so no datagram waits in the (4-deep) ARP queue.
  const p = a.ping('10.0.0.2');
  await clock.advanceMsAsync(10);
  await p;

  let txSum = FNV_OFFSET;
  const started = performance.now();
  for (let i = 0; i < DATAGRAMS;) {
    const end = Math.min(DATAGRAMS, i + BATCH);
    for (; i < end; i++) {
      const len = lengthOf(i);
      const at = (i * 131) % POOL_BYTES;
      scratch.set(pool.subarray(at, at + len));
      scratchView.setUint32(0, i);
      const datagram = scratch.subarray(0, len);
      txSum = fnv(txSum, datagram);
      tx.send(datagram, 9, '10.0.0.2');
    }
    await clock.settle();
  }
  await clock.advanceMsAsync(10);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`${DATAGRAMS} datagrams in ${seconds.toFixed(1)} s (${Math.round(DATAGRAMS / seconds)} per second)`);

  assert.equal(received, DATAGRAMS, 'every datagram arrived');
  assert.equal(outOfOrder, 0, 'in order, none duplicated');
  assert.equal(wrongLength, 0);
  assert.equal(wrongSource, 0);
  assert.equal(rxSum, txSum, 'rolling checksum of every byte received = of every byte sent');
  assert.deepEqual(sendErrors, []);
  const sa = a.stats();
  const sb = b.stats();
  assert.equal(sb.udpDelivered, DATAGRAMS);
  assert.equal(sb.udpDropQueueFull, 0);
  assert.equal(sb.rxNoBuffer, 0);
  assert.equal(sa.txQueueFull, 0);
  assert.equal(sa.arpPendingDropped, 0);
  assert.equal(sa.arpRequestsSent, 1);

  assert.deepEqual(a.memory(), baseline.a, 'sender: heap top and pages unchanged');
  assert.deepEqual(b.memory(), baseline.b, 'receiver: heap top and pages unchanged');
  assert.equal(a.core.memory.buffer.byteLength, baseline.a.pages * 65536);
  assert.equal(b.core.memory.buffer.byteLength, baseline.b.pages * 65536);
  rx.close();
  tx.close();
  a.close();
  b.close();
  link.close();
  assert.equal(clock.pending, 0);
});

test('heap top and memory size are identical after pings, ARP expiries, give-ups, evictions and socket churn', async (t) => {
  const clock = new VirtualClock();
  const ROUNDS = 150;
  const SOCKETS = 16;
  // Short lifetime (every round re-resolves), few neighbour entries (unresolvable destinations
  // evict), few socket slots (the table runs full), room for a round's datagrams while b resolves.
  const limits = { neighbourLifetimeMs: 1000, neighbours: 4, neighbourPending: 32, sockets: SOCKETS };
  const a = await create(clock, '10.0.0.1/24', 11, limits);
  const b = await create(clock, '10.0.0.2/24', 12, limits);
  const baseline = { a: a.memory(), b: b.memory() };
  const link = MemoryLink.connect(a, b, { delayMs: 1 });
  t.after(() => { a.close(); b.close(); link.close(); });

  const bind = (socket, port) => new Promise((resolve) => {
    socket.once('error', resolve);
    socket.bind(port, () => { socket.removeListener('error', resolve); resolve(null); });
  });
  // A first ping each way (the pinger holds its ICMP socket, from a pool of its own, only while
  // a ping is in flight).
  const warm = [a.ping('10.0.0.2'), b.ping('10.0.0.1')];
  await clock.advanceMsAsync(50);
  await Promise.all(warm);
  let echoed = 0;
  let pings = 0;
  let bindErrors = 0;
  let tableFull = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // Socket churn: b fills its table with echo sockets (one bind conflicts); a sends to each.
    const servers = [];
    for (let k = 0; k < SOCKETS + 2; k++) {
      const s = b.dgram.createSocket('udp4', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
      const error = await bind(s, k === 4 ? 7003 : 7000 + k);
      if (error) {
        if (error.code === 'EADDRINUSE') bindErrors++;
        else if (error.code === 'EMFILE') tableFull++;
        else throw error;
      } else {
        servers.push(s);
      }
    }
    const client = a.dgram.createSocket('udp4', () => { echoed++; });
    await bind(client, 0);
    for (const s of servers) client.send(`round ${round} to ${s.address().port}`, s.address().port, '10.0.0.2');
    // A closed port: ICMP port unreachable comes back.
    client.send('nobody', 6999, '10.0.0.2');
    // Pings both ways, of every size, and over the software loopback.
    const results = [
      a.ping('10.0.0.2', { size: (round * 97) % 1473 }),
      b.ping('10.0.0.1', { size: round % 64 }),
      a.ping('127.0.0.1'),
    ];
    await clock.advanceMsAsync(50);
    pings += (await Promise.all(results)).length;
    // Destinations nobody answers ARP for: they evict, wait, and give up.
    if (round % 10 === 0) for (let k = 0; k < 6; k++) client.send('void', 9, `10.0.0.${50 + k}`);
    client.close();
    for (const s of servers) s.close();
    // Past the neighbour lifetime: every entry expires before the next round.
    await clock.advanceMsAsync(1500);
  }
  await clock.advanceMsAsync(10_000);

  assert.equal(pings, 3 * ROUNDS);
  // b's 16 UDP slots (its pinger has an ICMP pool of its own): 16 echo servers; of 18 binds one
  // conflicts and one finds no slot.
  assert.equal(echoed, ROUNDS * SOCKETS, 'every echo came back');
  assert.equal(bindErrors, ROUNDS, 'one EADDRINUSE per round');
  assert.equal(tableFull, ROUNDS, 'the socket table ran full every round');
  const sa = a.stats();
  const sb = b.stats();
  assert.ok(sa.arpRequestsSent >= ROUNDS, `entries expired and were re-resolved (${sa.arpRequestsSent} requests)`);
  assert.ok(sa.arpGiveUps > 0, 'resolutions gave up');
  assert.ok(sa.arpEvictions > 0, 'entries were evicted');
  assert.equal(sb.icmpUnreachableSent, ROUNDS);
  assert.equal(sb.socketTableFull, ROUNDS);
  // Every slot is free again: no ping is in flight, so not even the pinger holds one.
  assert.deepEqual(a.report().sockets.map((s) => s.kind), []);
  assert.deepEqual(b.report().sockets.map((s) => s.kind), []);

  assert.deepEqual(a.memory(), baseline.a);
  assert.deepEqual(b.memory(), baseline.b);
  a.close();
  b.close();
  link.close();
  assert.equal(clock.pending, 0);
});
