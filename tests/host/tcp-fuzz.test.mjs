// The TCP segment fuzz pass inside `npm test`: 50,000 random and mutated segments with valid
// checksums into a stack with listeners and established connections, with time steps
// (tests/fuzz/tcp-fuzz.mjs; `npm run fuzz` runs the 1,000,000-segment campaign). No trap, every
// frame counted once after every batch, and once the timeouts have run every TCP slot is free and
// the heap and memory size are back at their baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTcp, problems } from '../fuzz/tcp-fuzz.mjs';

const SEGMENTS = 50_000;

test(`${SEGMENTS} fuzzed TCP segments at listening and established connections: no trap, every slot back to baseline`, async () => {
  const r = await fuzzTcp({ segments: SEGMENTS, seed: 0x7c9 });
  assert.deepEqual(problems(r), []);
  assert.equal(r.segments, SEGMENTS);
  assert.equal(r.failed, null);
  assert.ok(r.mutated > SEGMENTS / 3, `mutated ${r.mutated}`);
  const s = r.stats;
  // The segments reached the state machine: connections opened both ways, data moved, every limit
  // and bound was hit, and damaged segments were refused by the parser and the checksum.
  for (const name of ['tcpPassiveOpens', 'tcpActiveOpens', 'tcpResetsReceived', 'tcpResetsSent', 'tcpBacklogFull', 'tcpTableFull',
    'tcpRetransmits', 'tcpLingerResets', 'tcpOrphansEvicted', 'tcpDropMalformed', 'tcpDropChecksum', 'tcpDropNoSocket']) {
    assert.ok(s[name] > 0, `${name} never counted`);
  }
  assert.ok(s.tcpSegmentsReceived > SEGMENTS / 2, `${s.tcpSegmentsReceived} segments reached TCP`);
  assert.deepEqual(r.tcpLeft, []);
  assert.equal(r.socketsLeft, r.baseline.sockets);
  assert.deepEqual(r.memoryAfter, r.baseline.memory);
});
