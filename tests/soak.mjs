#!/usr/bin/env node
// `npm run soak`: the long versions of the TCP suites that npm test runs short. The lossy and
// corrupted transfers move 256 MiB each way instead of 64 MiB, the churn opens and closes 1,000,000
// connections instead of 100,000, and the lossy http transfers move 1 GiB each way instead of 100 MiB. Exits with node:test's status.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOAK_LOSS_MIB = 256;
const SOAK_CONNECTIONS = 1_000_000;
const SOAK_HTTP_MIB = 1024;
const child = spawn(process.execPath, ['--test', 'tests/host/tcp-loss.test.mjs', 'tests/host/tcp-memory.test.mjs', 'tests/host/http.test.mjs'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WASMNET_LOSS_MIB: String(SOAK_LOSS_MIB), WASMNET_CHURN: String(SOAK_CONNECTIONS), WASMNET_HTTP_MIB: String(SOAK_HTTP_MIB) },
});
child.on('close', (code) => process.exit(code ?? 1));
