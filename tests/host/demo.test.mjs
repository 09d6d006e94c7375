// `npm start` (demo/two-stacks.mjs) runs to the end and verifies its own transfer: a small size and
// a lossy, delayed link so every part of it (ping, UDP, HTTP over TCP, reports) is exercised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../../demo/two-stacks.mjs', import.meta.url));

test('npm start: ping, UDP echo, 4 MiB of HTTP over wasmnet TCP with SHA-256 matching, reports; exit 0', () => {
  const r = spawnSync(process.execPath, [demo, '--size', '4', '--loss', '0.01', '--delay', '1'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ping 10\.0\.0\.2: seq=0/);
  assert.match(r.stdout, /udp echo: wasmnet from 10\.0\.0\.2:7/);
  assert.match(r.stdout, /http GET: 4\.0 MiB in .* matches on both ends/);
  assert.match(r.stdout, /report a: 0 socket\(s\) open/);
});

test('npm start refuses an out-of-range option with exit 2', () => {
  const r = spawnSync(process.execPath, [demo, '--loss', '2'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--loss: 2 is out of range/);
});
