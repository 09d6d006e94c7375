// The Linux peer harness itself: a scenario that throws still leaves no namespace, TAP or socat
// behind; a missing prerequisite skips the interop tests with the reason, and fails them when
// CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLinuxPeer, missingPrerequisites } from './linux-peer.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function execute(command, args, env = process.env) {
  return new Promise((resolve) => execFile(command, args, { env, encoding: 'utf8' }, (error, stdout, stderr) => {
    resolve({ code: error ? error.code : 0, stdout, stderr });
  }));
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a scenario that throws leaves no namespace, no TAP and no socat behind', async (t) => {
  let seen;
  const outcome = withLinuxPeer(t, async ({ netns, tapName, bridge, stack, linuxAddress }) => {
    assert.equal((await stack.ping(linuxAddress, { timeoutMs: 2000 })).address, linuxAddress, 'the peer was up');
    seen = { netns, tapName, pid: bridge.pid };
    throw new Error('the scenario failed');
  });
  if ((await missingPrerequisites()).length > 0 && process.env.CI !== 'true') { await outcome; return; }
  await assert.rejects(outcome, /the scenario failed/);
  const namespaces = (await execute('ip', ['netns', 'list'])).stdout;
  assert.ok(!namespaces.split('\n').some((line) => line.split(' ')[0] === seen.netns), `${seen.netns} is gone`);
  assert.notEqual((await execute('ip', ['link', 'show', 'dev', seen.tapName])).code, 0, `${seen.tapName} is gone`);
  assert.equal(isAlive(seen.pid), false, 'socat was stopped');
});

test('without socat the interop tests are skipped with the reason, and fail when CI=true', async (t) => {
  // A PATH holding every prerequisite but socat.
  const bin = await mkdtemp(join(tmpdir(), 'wasmnet-path-'));
  t.after(() => rm(bin, { recursive: true, force: true }));
  for (const command of ['sh', 'ip', 'ss', 'ping', 'tshark']) {
    const { stdout } = await execute('sh', ['-c', `command -v ${command}`]);
    if (stdout.trim() !== '') await symlink(stdout.trim(), join(bin, command));
  }
  const args = ['--test', '--test-reporter=tap', '--test-name-pattern=wasmnet pings Linux', join(here, 'interop.test.mjs')];
  // Without NODE_TEST_CONTEXT the child reports as a top-level run (TAP on stdout), not to this runner.
  const { CI: _ci, NODE_TEST_CONTEXT: _context, ...environment } = process.env;
  const local = await execute(process.execPath, args, { ...environment, PATH: bin });
  assert.equal(local.code, 0, local.stdout);
  assert.match(local.stdout, /# SKIP the Linux peer needs the socat command/);
  const ci = await execute(process.execPath, args, { ...environment, PATH: bin, CI: 'true' });
  assert.notEqual(ci.code, 0);
  assert.match(ci.stdout, /not ok .*\n[\s\S]*the Linux peer needs the socat command .*CI=true requires them/);
});
