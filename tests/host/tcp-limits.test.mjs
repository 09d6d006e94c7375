// The TCP limits of field reports 000, 002 and 003 over the public API: a full table is an error
// and nothing is lost to peers that vanish (000); data on the handshake ACK, RST when the table or
// the backlog is full, port 65535, huge timeout values (002); close never blocks and connection
// churn with RST-closing clients on a 10-slot table leaves a concurrent 64 MiB upload alone (003).
// Peers are either another stack on a MemoryLink or a ScriptedPeer (tests/fuzz/tcp-peer.mjs) that
// behaves as no stack would; everything runs on a VirtualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Stack, MemoryLink, VirtualClock, parseIpv4 } from 'wasmnet';
import { ScriptedPeer } from '../fuzz/tcp-peer.mjs';
import { SYN, ACK, RST, FIN, PSH, OPTION } from '../fuzz/tcp-segments.mjs';

const PEER_IP = parseIpv4('10.0.0.1');
const STACK_IP = parseIpv4('10.0.0.2');
const PEER_ISS = 0x1000_0000;
const tcpRows = (stack) => stack.report().sockets.filter((s) => s.kind === 'tcp');

/** A stack at 10.0.0.2 and a scripted peer at 10.0.0.1 on one VirtualClock. */
async function stackAndPeer(limits = {}, options = {}) {
  const clock = options.clock ?? new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 5, limits });
  const peer = new ScriptedPeer({ stack, clock, ip: PEER_IP });
  const close = () => { stack.close(); peer.close(); };
  return { clock, stack, peer, close };
}

/** Answers every SYN with a SYN-ACK and, when `vanished` says so for that port, nothing else. */
function handshakeOnly(peer) {
  peer.onSegment = (s) => {
    if ((s.flags & (SYN | ACK)) === SYN) {
      peer.send({ dst: s.src, srcPort: s.dstPort, dstPort: s.srcPort, seq: PEER_ISS, ack: s.seq + 1, flags: SYN | ACK, options: OPTION.mss(1460) });
    }
  };
}

/** Steps the clock 1 ms at a time until `done()` (at most `limitMs`); returns the ms it took. */
async function stepUntil(clock, done, limitMs) {
  for (let t = 0; t < limitMs; t++) {
    if (done()) return t;
    await clock.advanceMsAsync(1);
  }
  if (done()) return limitMs;
  throw new Error(`not done after ${limitMs} virtual ms`);
}

const CYCLES = 100_000;
const TABLE = 16;

test(`field report 000: ${CYCLES} open/close cycles against a peer that vanishes, on a table of ${TABLE}, no slot lost`, async (t) => {
  const { clock, stack, peer, close } = await stackAndPeer({ tcpConnections: TABLE });
  t.after(close);
  handshakeOnly(peer);
  const baseline = stack.memory();
  const failures = [];
  const payload = Buffer.alloc(1000, 7);
  for (let i = 0; i < CYCLES; i++) {
    const socket = stack.net.connect(80, '10.0.0.1');
    let connected = false;
    socket.once('connect', () => { connected = true; });
    socket.once('error', (e) => failures.push(`${i}: ${e.code}`));
    // Four ways to leave a peer that no longer answers: close with nothing queued (FIN-WAIT-1
    // until the orphan bound), close with unacknowledged data (RST at the linger bound), RST at
    // once, and close while the SYN is still out.
    const way = i % 4;
    if (way === 3) {
      socket.destroy();
    } else {
      await stepUntil(clock, () => connected || failures.length > 0, 100);
      if (failures.length > 0) break;
      if (way === 1) socket.write(payload);
      if (way === 2) socket.resetAndDestroy();
      else socket.destroy();
    }
    // Now and then, long enough for the bounds to run out rather than the table to reclaim.
    if (i % 5000 === 4999) await clock.advanceMsAsync(35_000);
  }
  assert.deepEqual(failures, []);
  const s = stack.stats();
  assert.ok(s.tcpOrphansEvicted > 0 && s.tcpOrphansTimedOut > 0 && s.tcpLingerResets > 0, JSON.stringify(s));
  // Past every bound, every slot is back ...
  await clock.advanceMsAsync(35_000);
  assert.deepEqual(tcpRows(stack), []);
  assert.deepEqual(stack.memory(), baseline);
  // ... and the table holds exactly 16 again: all 16 connect, the 17th is EMFILE with nothing
  // allocated (field report 000: a full pool is an error, never a crash or a leak).
  const held = [];
  for (let i = 0; i < TABLE; i++) held.push(stack.net.connect(80, '10.0.0.1'));
  let connects = 0;
  for (const h of held) h.once('connect', () => connects++);
  // (ARP for the peer may have expired: the SYNs past its 4-packet queue go again after 1 s.)
  await stepUntil(clock, () => connects === TABLE, 3000);
  const extra = stack.net.connect(80, '10.0.0.1');
  const error = await new Promise((resolve) => extra.once('error', resolve));
  assert.equal(error.code, 'EMFILE');
  assert.equal(error.syscall, 'connect');
  assert.equal(tcpRows(stack).length, TABLE);
  assert.equal(stack.stats().socketTableFull, 1);
  assert.deepEqual(stack.memory(), baseline);
  for (const h of held) h.resetAndDestroy();
  await clock.advanceMsAsync(1);
  assert.deepEqual(tcpRows(stack), []);
  assert.equal(stack.failed, null);
});
