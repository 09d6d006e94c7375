// `npm run bench` works: the runner in its tiny --quick configuration prints one JSON object with
// every named result, in its unit, with at least three runs whose median is the value and Node's
// figure beside it where one applies. Not a speed test: no figure is compared with a threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { median } from '../../bench/lib/stats.mjs';

const RUNNER = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
const MIN_RUNS = 3;
const EXPECTED = [
  ['tcp_throughput_mtu1500', 'Gbit/s', true],
  ['tcp_throughput_mtu1500_offload', 'Gbit/s', true],
  ['tcp_throughput_mtu65535_offload', 'Gbit/s', true],
  ['tcp_connections_per_second', 'connections/s', true],
  ['tcp_echo_rtt_us', 'us', true],
  ['udp_datagrams_per_second_1472', 'datagrams/s', true],
  ['module_memory_bytes', 'bytes', false],
  ['rss_bytes', 'bytes', false],
  ['wasm_size_bytes', 'bytes', false],
];

const run = promisify(execFile);

test('npm run bench -- --json --quick prints every result with runs, median and Node beside it', async () => {
  const { stdout } = await run(process.execPath, [RUNNER, '--json', '--quick'], { timeout: 120_000 });
  const report = JSON.parse(stdout);
  assert.equal(typeof report.machine, 'string');
  assert.ok(report.machine.includes(process.version));
  assert.ok(!Number.isNaN(Date.parse(report.date)));
  assert.deepEqual(report.results.map((r) => [r.name, r.unit]), EXPECTED.map(([name, unit]) => [name, unit]));
  for (const [name, , hasNode] of EXPECTED) {
    const r = report.results.find((x) => x.name === name);
    assert.ok(r.runs.length >= MIN_RUNS, `${name}: ${r.runs.length} runs`);
    for (const v of r.runs) assert.ok(Number.isFinite(v) && v > 0, `${name}: run figure ${v}`);
    assert.equal(r.value, median(r.runs), `${name}: value is the median of its runs`);
    if (hasNode) {
      assert.equal(r.nodeRuns.length, r.runs.length, `${name}: Node measured in the same runs`);
      assert.equal(r.node, median(r.nodeRuns));
      assert.ok(r.node > 0);
      assert.equal(r.ratio, r.value / r.node);
    } else {
      assert.equal(r.node, null);
      assert.equal(r.ratio, null);
    }
  }
  const byName = Object.fromEntries(report.results.map((r) => [r.name, r]));
  assert.equal(byName.module_memory_bytes.growthBytes, 0, 'module memory is fixed after init');
  assert.match(byName.tcp_throughput_mtu1500_offload.note, /segmentation offload/, 'the offload case says what it offloads');
});

test('the bench refuses fewer than three runs with a clear message', async () => {
  await assert.rejects(run(process.execPath, [RUNNER, '--quick', '--runs', '2']), (error) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /--runs must be an integer >= 3/);
    return true;
  });
});
