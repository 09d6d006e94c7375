#!/usr/bin/env node
// TCP segment fuzzer: random and mutated TCP segments, checksums made valid so they reach the state
// machine, into a stack (10.0.0.2/24) with listeners and established connections, with virtual time
// steps between batches so retransmission, linger, orphan, half-open and TIME-WAIT bounds all run.
//
// The peer (10.0.0.1, a ScriptedPeer) opens connections to the stack's listeners and answers the
// stack's own connects, and follows every segment the stack sends, so that most segments it makes
// carry sequence and acknowledgment numbers at or near the edges of the real windows: data in and
// out of window, FIN, RST and SYN in window (RFC 5961), old and future ACKs, zero windows, urgent
// data, options of every kind and length. About half are then mutated (header bits, field edges,
// the data offset, truncation, extension) and most of those get their checksums recomputed.
//
// After every batch: the stack never trapped and its counters account for every frame (the
// identities of frame-fuzz.mjs). At the end every socket is closed, the timeouts run with no more
// input, and no TCP slot is left, the heap and memory size back at their baseline.
//
//   node tests/fuzz/tcp-fuzz.mjs [segments] [seed]   (1,000,000 by default; JSON; exit 1 on a problem)
import { Stack, VirtualClock, parseIpv4 } from 'wasmnet';
import { rng } from './wire-fuzz.mjs';
import { accounting } from './frame-fuzz.mjs';
import { ScriptedPeer } from './tcp-peer.mjs';
import { tcpFrame, fixTcpChecksums, OPTION, FIN, SYN, RST, PSH, ACK, URG, ECE, CWR } from './tcp-segments.mjs';

const PEER_IP = parseIpv4('10.0.0.1');
const STACK_IP = parseIpv4('10.0.0.2');
const PEER_MAC = [0x02, 0xfe, 0, 0, 0, 0x01];
/** Listening ports: an echo service, one that reads and closes, one with a backlog of 2 that ignores its sockets. */
const ECHO = 7;
const READ_AND_CLOSE = 80;
const SMALL_BACKLOG = 81;
const LISTENING = [ECHO, READ_AND_CLOSE, SMALL_BACKLOG];
/** The port the peer listens on for the stack's own connects. */
const PEER_SERVICE = 9000;
const TCP_AT = 14 + 20;
const INTERESTING32 = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe];
/** Segments whose numbers the fuzzer tracks: at most this many connections are remembered. */
const MAX_TRACKED = 64;
/** Past every bound the stack has here (orphans 30 s, retransmissions ~15 min): no more input. */
const DRAIN_MS = 1_200_000;
const LINK_MTU = 65535;

export const LIMITS = {
  sockets: 8, tcpConnections: 16, tcpListeners: 4, tcpSendBytes: 4096, tcpRecvBytes: 4096,
  tcpTimeWaitEntries: 8, tcpTimeWaitMs: 2000, rxQueueSize: 128, txQueueSize: 128,
};

/**
 * Runs `segments` fuzzed segments into a fresh stack; throws (naming the batch, with its frames in
 * hex on `error.frames`) as soon as the stack traps or its counters stop adding up.
 */
export async function fuzzTcp({ segments, seed = 1, maxBatch = 120, onProgress } = {}) {
  const r = rng(seed);
  const pick = (list) => list[r.below(list.length)];
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed, limits: LIMITS });
  const baseline = { memory: stack.memory(), sockets: stack.report().sockets.length };
  // A link far wider than the stack's MTU: every frame reaches the NIC, which refuses oversized ones.
  const peer = new ScriptedPeer({ stack, clock, ip: PEER_IP, mac: PEER_MAC, linkOptions: { mtu: LINK_MTU } });

  // The stack's side: three servers and, now and then, a client of the peer's service.
  const userSockets = new Set();
  const keep = (s) => {
    userSockets.add(s);
    s.on('error', () => {});
    s.on('close', () => userSockets.delete(s));
    return s;
  };
  const servers = [
    stack.net.createServer((s) => keep(s).pipe(s)),
    stack.net.createServer((s) => keep(s).once('data', () => { s.end('bye'); s.destroy(); })),
    stack.net.createServer((s) => { keep(s); }),
  ];
  servers[0].listen(ECHO);
  servers[1].listen(READ_AND_CLOSE);
  servers[2].listen({ port: SMALL_BACKLOG, backlog: 2 });
  await clock.advanceMsAsync(1);

  // What the peer knows of each connection, keyed by the peer's port and the stack's port: the
  // next sequence number each side will send (as last seen) and the stack's last window.
  const tracked = new Map();
  const key = (peerPort, stackPort) => `${peerPort}:${stackPort}`;
  peer.onSegment = (s) => {
    const k = key(s.dstPort, s.srcPort);
    let c = tracked.get(k);
    if (!c) {
      if (tracked.size >= MAX_TRACKED) tracked.delete(tracked.keys().next().value);
      c = { peerPort: s.dstPort, stackPort: s.srcPort, peerNext: r.next(), stackNext: 0, window: 0 };
      tracked.set(k, c);
    }
    const length = s.data.length + ((s.flags & SYN) ? 1 : 0) + ((s.flags & FIN) ? 1 : 0);
    c.stackNext = (s.seq + length) >>> 0;
    c.window = s.window;
    if (s.flags & ACK) c.peerNext = s.ack;
    if (s.flags & RST) { tracked.delete(k); return; }
    // The peer's service answers the stack's SYNs (mostly) and acknowledges what it gets (often),
    // at the start of the next batch, so that no frame is in flight when the counters are checked.
    if ((s.flags & (SYN | ACK)) === SYN && s.dstPort === PEER_SERVICE && r.chance(0.8)) {
      pending.push({ srcPort: s.dstPort, dstPort: s.srcPort, seq: c.peerNext, ack: c.stackNext, flags: SYN | ACK, options: OPTION.mss(536 + r.below(1000)) });
      c.peerNext = (c.peerNext + 1) >>> 0;
    } else if ((s.flags & (SYN | ACK)) === (SYN | ACK) && r.chance(0.7)) {
      pending.push({ srcPort: s.dstPort, dstPort: s.srcPort, seq: s.ack, ack: c.stackNext, flags: ACK });
    } else if (length > 0 && r.chance(0.5)) {
      pending.push({ srcPort: s.dstPort, dstPort: s.srcPort, seq: c.peerNext, ack: c.stackNext, flags: ACK, window: r.chance(0.1) ? 0 : 65535 });
    }
  };
  const pending = [];

  const randomBytes = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = r.below(256); return b; };
  const size = () => (r.chance(0.7) ? r.below(64) : r.below(1460));
  const near = (base, span) => (base + (r.chance(0.5) ? r.below(span) : -r.below(span))) >>> 0;
  const edge = (base, window) => (r.chance(0.3) ? pick(INTERESTING32) : r.chance(0.5) ? (base + pick([0, 1, -1, window, window + 1, -window, 0x8000_0000])) >>> 0 : near(base, window * 2 + 1));
  const options = () => {
    if (r.chance(0.5)) return [];
    const list = [];
    for (let i = 1 + r.below(4); i > 0; i--) {
      list.push(...pick([
        OPTION.mss(pick([0, 1, 536, 1460, 65535, r.below(0x10000)])), OPTION.windowScale(pick([0, 7, 14, 15, 255])),
        OPTION.timestamps(r.next(), r.next()), OPTION.sackPermitted(), [0], [1],
        [r.below(256), r.below(6)], [2, pick([0, 1, 3, 5, 40])], [3, 3], [8, 10, 1],
      ]));
    }
    return list.slice(0, 40);
  };
  const someFlags = () => (r.chance(0.7) ? pick([ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN, RST, RST | ACK, SYN, SYN | ACK, FIN, ACK | URG, 0])
    : r.below(256) & (FIN | SYN | RST | PSH | ACK | URG | ECE | CWR));
  const trackedConnection = () => {
    if (tracked.size === 0) return null;
    let i = r.below(tracked.size);
    for (const c of tracked.values()) if (i-- === 0) return c;
    return null;
  };

  // Valid segments the mutations start from, by weight.
  const generators = [
    [6, () => ({ srcPort: 1024 + r.below(64000), dstPort: r.chance(0.9) ? pick(LISTENING) : r.below(0x10000), seq: r.next(), flags: r.chance(0.9) ? SYN : SYN | pick([FIN, PSH, URG, ECE | CWR]), options: options(), data: r.chance(0.1) ? randomBytes(size()) : undefined })],
    [30, () => {
      const c = trackedConnection();
      if (!c) return null;
      const window = Math.max(c.window, 1);
      const data = r.chance(0.5) ? randomBytes(size()) : undefined;
      const flags = r.chance(0.6) ? (data ? ACK | PSH : ACK) | (r.chance(0.1) ? FIN : 0) : someFlags();
      const seq = r.chance(0.6) ? c.peerNext : edge(c.peerNext, 65535);
      const ack = r.chance(0.6) ? c.stackNext : edge(c.stackNext, window);
      const seg = { srcPort: c.peerPort, dstPort: c.stackPort, seq, ack, flags, window: r.chance(0.1) ? pick([0, 1, 0xffff]) : 65535, urgent: (flags & URG) ? r.below(0x10000) : 0, options: r.chance(0.1) ? options() : [], data };
      if (seq === c.peerNext && !(flags & (SYN | RST))) c.peerNext = (c.peerNext + (data?.length ?? 0) + ((flags & FIN) ? 1 : 0)) >>> 0;
      return seg;
    }],
    [4, () => ({ srcPort: 1024 + r.below(64000), dstPort: r.below(0x10000), seq: r.next(), ack: r.next(), flags: someFlags(), window: r.below(0x10000), options: options(), data: r.chance(0.3) ? randomBytes(size()) : undefined })],
  ];
  const totalWeight = generators.reduce((n, [w]) => n + w, 0);
  const generate = () => {
    for (;;) {
      let x = r.below(totalWeight);
      for (const [w, make] of generators) {
        if (x < w) { const seg = make(); if (seg) return seg; break; }
        x -= w;
      }
    }
  };
  const stackMac = stack.mac.split(':').map((h) => parseInt(h, 16));
  const frameOf = (fields) => tcpFrame(stackMac, PEER_MAC, { src: PEER_IP, dst: STACK_IP, ...fields });

  let sent = 0;
  let batches = 0;
  let mutated = 0;
  const hex = (f) => Buffer.from(f).toString('hex');
  while (sent < segments) {
    // The stack's user side: connect to the peer's service, write, close or reset.
    if (r.chance(0.05)) {
      const c = keep(stack.net.connect(PEER_SERVICE, '10.0.0.1'));
      c.once('connect', () => { c.write(randomBytes(size())); if (r.chance(0.5)) c.end(); });
    }
    if (r.chance(0.05) && userSockets.size > 0) {
      const s = [...userSockets][r.below(userSockets.size)];
      if (r.chance(0.5)) s.destroy(); else s.resetAndDestroy();
    }
    const batch = [];
    for (const fields of pending.splice(0)) { const f = frameOf(fields); peer.sendFrame(f); batch.push(f); }
    const n = Math.min(segments - sent, 1 + r.below(maxBatch));
    for (let i = 0; i < n; i++) {
      let f = frameOf(generate());
      if (r.chance(0.5)) {
        mutated++;
        f = mutateTcp(r, f);
        if (r.chance(0.9)) fixTcpChecksums(f);
      }
      peer.sendFrame(f);
      batch.push(f);
    }
    sent += n;
    batches++;
    const step = r.chance(0.4) ? 0 : r.chance(0.85) ? r.below(300) : r.chance(0.8) ? r.below(5000) : r.below(40_000);
    await clock.advanceMsAsync(step);
    const problem = checkStack(stack, peer);
    if (problem) {
      const error = new Error(`batch ${batches} (${batch.length} frames): ${problem}`);
      error.frames = batch.map(hex);
      throw error;
    }
    onProgress?.(sent);
  }

  // Close everything the user holds, then let every bound run out with no more input.
  peer.onSegment = null;
  for (const s of [...userSockets]) s.destroy();
  for (const s of servers) s.close();
  await clock.advanceMsAsync(DRAIN_MS);
  const reportAfter = stack.report();
  const memoryAfter = stack.memory();
  const stats = stack.stats();
  const result = {
    seed, segments: sent, batches, mutated, baseline, memoryAfter, stats, failed: stack.failed,
    tcpLeft: reportAfter.sockets.filter((s) => s.kind === 'tcp' || s.kind === 'tcp-listener'),
    socketsLeft: reportAfter.sockets.length, userSocketsLeft: userSockets.size, problem: checkStack(stack, peer),
  };
  stack.close();
  peer.close();
  return result;
}

/** What is wrong with the stack right now (null when nothing is): a trap or counters that do not add up. */
function checkStack(stack, peer) {
  if (stack.failed) return `the stack trapped: ${stack.failed.message}`;
  const a = accounting(stack.stats(), peer.port.stats().sent);
  if (a.reachedCore !== a.accounted) return `rxFrames ${a.reachedCore} != accepted + dropped ${a.accounted}`;
  if (a.sent !== a.nicTotal) return `sent ${a.sent} != frames the NIC took or refused ${a.nicTotal}`;
  return null;
}

/** Damages a TCP frame, mostly in the TCP header: bits, edge values, the data offset, length. */
export function mutateTcp(r, frame) {
  let f = frame;
  for (let k = 1 + r.below(3); k > 0; k--) {
    if (f.length <= TCP_AT) return f;
    const at = r.chance(0.85) ? TCP_AT + r.below(Math.min(f.length - TCP_AT, 40)) : r.below(f.length);
    switch (r.below(6)) {
      case 0: f[at] ^= 1 << r.below(8); break;
      case 1: f[at] = [0, 1, 0x7f, 0x80, 0xff][r.below(5)]; break;
      case 2: f[TCP_AT + 12] = r.below(16) << 4; break; // the data offset, 0 to 60 bytes
      case 3: f[TCP_AT + 13] = r.below(256); break; // every flag combination
      case 4: f = f.slice(0, TCP_AT + r.below(f.length - TCP_AT + 1)); break;
      case 5: {
        const c = new Uint8Array(f.length + 1 + r.below(64));
        c.set(f);
        for (let i = f.length; i < c.length; i++) c[i] = r.below(256);
        f = c;
        break;
      }
    }
  }
  return f;
}

/** What is wrong with a finished campaign (empty when nothing is). */
export function problems(result) {
  const out = [];
  if (result.failed) out.push(`the stack failed: ${result.failed.message}`);
  if (result.problem) out.push(result.problem);
  if (result.tcpLeft.length > 0) out.push(`TCP slots left after the timeouts: ${JSON.stringify(result.tcpLeft)}`);
  if (result.socketsLeft !== result.baseline.sockets) out.push(`sockets ${result.baseline.sockets} -> ${result.socketsLeft}`);
  if (JSON.stringify(result.memoryAfter) !== JSON.stringify(result.baseline.memory)) out.push(`memory moved: ${JSON.stringify(result.baseline.memory)} -> ${JSON.stringify(result.memoryAfter)}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const segments = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? (Date.now() & 0x7fffffff));
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  let next = 100_000;
  let result;
  try {
    result = await fuzzTcp({ segments, seed, onProgress: (n) => { if (n >= next) { next += 100_000; process.stderr.write(`${n} segments, ${seconds()} s\n`); } } });
  } catch (error) {
    const file = `tcp-fuzz-failure-${seed}.txt`;
    if (error.frames) (await import('node:fs')).writeFileSync(file, `${error.message}\n${error.frames.join('\n')}\n`);
    console.error(`seed ${seed}: ${error.message}${error.frames ? `\nframes of the batch in ${file}` : ''}`);
    process.exit(1);
  }
  const found = problems(result);
  const { stats, ...rest } = result;
  console.log(JSON.stringify({ ...rest, seconds: Number(seconds()), problems: found, stats }, null, 1));
  process.exit(found.length > 0 ? 1 : 0);
}
