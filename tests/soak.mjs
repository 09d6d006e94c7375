#!/usr/bin/env node
// `npm run soak`: the long versions of the TCP suites that npm test runs short. The lossy and
// corrupted transfers move 256 MiB each way instead of 64 MiB, the churn opens and closes 1,000,000
// connections instead of 100,000. Exits with node:test's status.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOAK_LOSS_MIB = 256;
const SOAK_CONNECTIONS = 1_000_000;
const child = spawn(process.execPath, ['--test', 'tests/host/tcp-loss.test.mjs', 'tests/host/tcp-memory.test.mjs'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WASMNET_LOSS_MIB: String(SOAK_LOSS_MIB), WASMNET_CHURN: String(SOAK_CONNECTIONS) },
});
child.on('close', (code) => process.exit(code ?? 1));
