// TCP between two stacks on an impaired MemoryLink: loss, reordering and duplication with a few
// milliseconds of delay (so loss recovery runs as on a real path: fast retransmit, NewReno, RTOs),
// corrupted frames, and the sequence wrap of field report 004 under the same loss. Each transfer
// goes both ways at once, is checked with SHA-256 on both ends, and must end with both sockets
// closed cleanly and no TCP row left in report(). Under a VirtualClock with seeded links, so every
// run is the same run. WASMNET_LOSS_MIB sets the size each way (default 64).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, run, until, once, tcpRows, exchangeBothWays } from './tcp-pair.mjs';

const MiB = 1 << 20;
const SIZE = Number(process.env.WASMNET_LOSS_MIB ?? 64) * MiB;
/** One-way delay: an RTT of a few ms, well under the 200 ms minimum RTO. */
const DELAY_MS = 2;
const LOSSY = { loss: 0.02, reorder: 0.02, duplicate: 0.02, delayMs: DELAY_MS };
/** Virtual time a transfer may take before the test fails as stalled. */
const LIMIT_MS = 30 * 60_000;
/** After 'close' a socket's last data and FIN may still be unacknowledged (as in Node, 'close'
 * does not wait for the peer's ACK); the core finishes them well within its 2 s linger bound. */
const DRAIN_LIMIT_MS = 2_000;

/**
 * Sends `bytes` each way between a (client) and b (server) at once, both ends half-closing after
 * their data; resolves with the stacks once both sockets closed and the server is closed too.
 */
async function transferBothWays(t, options, bytes = SIZE) {
  const { clock, a, b, link, close } = await pair(options);
  t.after(close);
  const server = await exchangeBothWays(clock, a, b, bytes, LIMIT_MS);
  // Both closed cleanly: the orphans finish (no linger reset), then nothing is left but the
  // listener, then nothing at all.
  const connections = (s) => tcpRows(s).filter((r) => r.kind === 'tcp');
  await until(clock, () => connections(a).length === 0 && connections(b).length === 0, DRAIN_LIMIT_MS);
  for (const s of [a, b]) {
    const st = s.stats();
    assert.deepEqual([st.tcpLingerResets, st.tcpOrphansTimedOut, st.tcpResetsSent, st.tcpResetsReceived], [0, 0, 0, 0], 'closed by FINs, not resets');
  }
  assert.deepEqual(tcpRows(a), []);
  assert.deepEqual(tcpRows(b).map((r) => r.kind), ['tcp-listener']);
  server.close();
  await run(clock, once(server, 'close'));
  assert.deepEqual(tcpRows(b), []);
  return { a, b, link };
}

const checksumDrops = (s) => { const st = s.stats(); return st.ipDropChecksum + st.tcpDropChecksum + st.ipDropMalformed + st.tcpDropMalformed; };

test(`${SIZE / MiB} MiB each way at once with 2% loss, 2% reordering and 2% duplication: SHA-256 equal, retransmissions, clean close`, async (t) => {
  const { a, b, link } = await transferBothWays(t, { link: { ...LOSSY, seed: 7 } });
  const stats = link.stats();
  for (const dir of [stats.aToB, stats.bToA]) {
    assert.ok(dir.dropped.loss > 0 && dir.reordered > 0 && dir.duplicated > 0, 'the link did impair both directions');
  }
  // Every lost data segment had to be sent again; both sides lost some.
  assert.ok(a.stats().tcpRetransmits > 0, 'a retransmitted');
  assert.ok(b.stats().tcpRetransmits > 0, 'b retransmitted');
  assert.equal(a.stats().tcpTimeouts + b.stats().tcpTimeouts, 0, 'no connection gave up');
});

test(`${SIZE / MiB} MiB each way with 1% of frames corrupted: damaged frames dropped by the checksums, the data intact`, async (t) => {
  const { a, b, link } = await transferBothWays(t, { link: { corrupt: 0.01, delayMs: DELAY_MS, seed: 11 } });
  const stats = link.stats();
  const corrupted = stats.aToB.corrupted + stats.bToA.corrupted;
  assert.ok(stats.aToB.corrupted > 0 && stats.bToA.corrupted > 0, 'both directions had damaged frames');
  // A bit flipped in the IP packet is always caught by the IP or TCP checksum (one bit changes a
  // ones' complement sum) and the frame dropped and counted; a flip in the padding of a short
  // frame (a bare ACK is 54 bytes, sent as 60) harms nothing and is not counted, so fewer drops
  // than damaged frames is expected, but not none.
  const drops = checksumDrops(a) + checksumDrops(b);
  assert.ok(drops > 0 && drops <= corrupted + stats.aToB.duplicated + stats.bToA.duplicated, `${drops} drops for ${corrupted} damaged frames`);
  assert.ok(a.stats().tcpRetransmits > 0 && b.stats().tcpRetransmits > 0, 'what was dropped was sent again');
});

test('field report 004 under load and loss: ISSs 1 KiB below 2^32, 16 MiB each way across the wrap with 2% loss, reordering and duplication', async (t) => {
  const { a, b } = await transferBothWays(t, { tcpIssBase: 0xffff_ffff - 1024, link: { ...LOSSY, seed: 4 } }, 16 * MiB);
  assert.ok(a.stats().tcpRetransmits > 0 && b.stats().tcpRetransmits > 0);
});
