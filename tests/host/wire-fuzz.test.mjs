// The fuzz pass inside `npm test`: 1,000,000+ random and mutated inputs through every exported
// parser, each placed at the very end of memory so that any over-read traps. The long campaign is
// `npm run fuzz`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore, WireFormat } from 'wasmnet';
import { fuzzWire } from '../fuzz/wire-fuzz.mjs';

const ITERATIONS = 1_100_000;

test(`${ITERATIONS} fuzzed inputs through every wire parser: no trap, heap unchanged`, async () => {
  const core = await loadCore();
  const heapTop = core.heapTop();
  const pages = core.memoryPages();
  const counts = await fuzzWire({ iterations: ITERATIONS, seed: 0x5eed, core });
  let total = 0;
  for (const [format, c] of Object.entries(counts)) {
    total += c.inputs;
    // The campaign must reach past the first length check of every parser (mutants that parse)
    // and exercise its rejections (mutants that do not).
    assert.ok(c.ok > 0, `${format}: no input parsed successfully ${JSON.stringify(c)}`);
    assert.ok(c.inputs - c.ok > 0, `${format}: no input was rejected ${JSON.stringify(c)}`);
  }
  assert.equal(total, ITERATIONS);
  assert.equal(Object.keys(counts).length, Object.keys(WireFormat).length);
  assert.equal(core.heapTop(), heapTop, 'parsing allocated memory');
  assert.equal(core.memoryPages(), pages, 'parsing grew memory');
});
