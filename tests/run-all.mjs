#!/usr/bin/env node
// The README's test command (`npm test`): runs the core's as-pect specs and the host's node:test
// suites, shows both outputs, and ends with one line `N passed, N failed` covering both. Exits
// non-zero if either suite fails or runs no test at all.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const relay = (stream) => (chunk) => { output += chunk; stream.write(chunk); };
    child.stdout.on('data', relay(process.stdout));
    child.stderr.on('data', relay(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, output: stripAnsi(output) }));
  });
}

function listTests(dir, suffix) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTests(path, suffix));
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}

// Core: as-pect prints "[Tests]: passed / total" in its summary.
const core = await run(process.execPath, ['node_modules/@as-pect/cli/bin/asp.js', '--config', 'as-pect.config.js', '--no-logo']);
const coreMatch = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(core.output);
const corePassed = coreMatch ? Number(coreMatch[1]) : 0;
const coreTotal = coreMatch ? Number(coreMatch[2]) : 0;
const coreFailed = coreTotal - corePassed + (core.code !== 0 && corePassed === coreTotal ? 1 : 0);

// Host: node:test, spec output for people and TAP into a file for the counts.
mkdirSync(join(root, 'build'), { recursive: true });
const tapFile = join('build', 'host-tests.tap');
const hostFiles = listTests('tests/host', '.test.mjs');
const host = await run(process.execPath, [
  '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...hostFiles,
]);
const tap = readFileSync(join(root, tapFile), 'utf8');
const tapCount = (key) => Number((new RegExp(`^# ${key} (\\d+)`, 'm').exec(tap) ?? [0, 0])[1]);
const hostPassed = tapCount('pass');
const hostFailed = tapCount('fail') + tapCount('cancelled') + (host.code !== 0 && tapCount('fail') === 0 ? 1 : 0);

const passed = corePassed + hostPassed;
const failed = coreFailed + hostFailed;
console.log(`\ncore (as-pect): ${corePassed} passed, ${coreFailed} failed`);
console.log(`host (node:test): ${hostPassed} passed, ${hostFailed} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || coreTotal === 0 || hostPassed === 0 ? 1 : 0);
