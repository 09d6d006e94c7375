// The Linux kernel as a peer: a network namespace of its own with a TAP device, bridged by socat
// to a wasmnet stack's DatagramDevice on 127.0.0.1, one Ethernet frame per UDP datagram:
//
//   stack <-MemoryLink-> DatagramDevice <-UDP 127.0.0.1-> socat <-TAP-> Linux (netns, 10.77.n.1/24)
//
//   test('...', (t) => withLinuxPeer(t, async ({ stack, linuxAddress, run, spawn, capture }) => { ... }));
//
// socat runs in the root namespace, where it can reach our 127.0.0.1 and creates the TAP; the TAP
// is then moved into the namespace (`ip link set ... netns ...`), where it gets its address and
// comes up. Everything is removed afterwards, also when the scenario fails: processes the harness
// started are killed by their pid, the namespace is deleted (which takes the TAP with it), the
// device, link and stack are closed. A process that dies before that deletes the namespace on exit.
//
// Prerequisites: root, ip (iproute2, with ss), socat, ping (iputils-ping), tshark and
// /dev/net/tun, all installed by .ci/run. Missing ones skip the test with the reason, except when
// CI=true, where they fail it.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn as spawnProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { Stack, MemoryLink, DatagramDevice, PcapWriter } from 'wasmnet';

const LOOPBACK = '127.0.0.1';
const PREFIX_LENGTH = 24;
/** Linux is .1 on its /24, the stack .2. */
const LINUX_HOST = 1;
const STACK_HOST = 2;
/** Subnets 10.77.1.0/24 to 10.77.250.0/24, one per peer made in this process (each namespace is isolated anyway). */
const SUBNETS = 250;
/** Linux allows 15 characters in an interface name (IFNAMSIZ 16 with the NUL). */
const IFNAME_MAX = 15;
/** How long a command in the namespace may take before it is killed and the test fails. */
const COMMAND_TIMEOUT_MS = 10_000;
/** How long socat may take to create the TAP device and bind its port. */
const SOCAT_READY_MS = 3000;
const POLL_MS = 10;
/** Attempts at a free UDP port for socat (another process may take the one picked). */
const SOCAT_ATTEMPTS = 3;
const REQUIRED_COMMANDS = ['ip', 'ss', 'socat', 'ping', 'tshark'];
const TUN_DEVICE = '/dev/net/tun';

let peersMade = 0;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command; resolves with { code, stdout, stderr } (never rejects on a non-zero exit). */
function execute(command, args, { timeoutMs = COMMAND_TIMEOUT_MS, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number' && !error.killed) { reject(error); return; }
      if (error?.killed) { reject(new Error(`${command} ${args.join(' ')}: killed after ${timeoutMs} ms\n${stdout}${stderr}`)); return; }
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Runs a command that must succeed; resolves with its stdout. */
async function must(command, args) {
  const { code, stdout, stderr } = await execute(command, args);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return stdout;
}

/** Why the Linux peer cannot run here ([] when it can); `commands` are more a scenario needs. */
export async function missingPrerequisites(commands = []) {
  const missing = [];
  if (process.platform !== 'linux') return [`a Linux host (this is ${process.platform})`];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces and TAP devices)');
  for (const command of [...REQUIRED_COMMANDS, ...commands]) {
    const { code } = await execute('sh', ['-c', `command -v ${command}`]);
    if (code !== 0) missing.push(`the ${command} command`);
  }
  try {
    accessSync(TUN_DEVICE, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    missing.push(TUN_DEVICE);
  }
  return missing;
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
async function freeUdpPort() {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, resolve);
  });
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/** What socat -d -d prints once both ends are open (the TAP exists and its UDP port is bound). */
const SOCAT_READY = 'starting data transfer loop';

/**
 * Starts socat bridging a new TAP to the device and waits until it runs its transfer loop: the TAP
 * appears before socat binds its UDP port, and a failed bind would take the TAP away again.
 * Resolves with the process, or rejects with socat's complaint if it exited first.
 */
async function startBridge(tapName, device, socatPort) {
  const child = spawnProcess('socat', ['-d', '-d', '-b', '65536',
    `TUN,tun-type=tap,iff-no-pi,tun-name=${tapName}`,
    `UDP-DATAGRAM:${LOOPBACK}:${device.local.port},bind=${LOOPBACK}:${socatPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`socat did not start within ${SOCAT_READY_MS} ms: ${stderr.trim()}`));
    }, SOCAT_READY_MS);
    const onData = (chunk) => {
      stderr += chunk;
      if (!stderr.includes(SOCAT_READY)) return;
      clearTimeout(timer);
      // Only the first lines matter; later notices are read and dropped so that the pipe never fills.
      stderr = '';
      child.stderr.off('data', onData).resume();
      child.off('exit', onExit);
      resolve(child);
    };
    const onExit = () => {
      clearTimeout(timer);
      reject(new Error(`socat exited: ${stderr.trim()}`));
    };
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}

/** Kills a child process the harness started (by its pid) and waits for it to end. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killedHard = setTimeout(() => child.kill('SIGKILL'), 1000);
  await ended;
  clearTimeout(killedHard);
}

/**
 * Sets up a Linux peer, runs `scenario` with it, and removes everything afterwards. `t` is the
 * node:test context (used to skip when prerequisites are missing, outside CI).
 * options: `capture: true` records every frame the stack sends and receives to a pcap file
 * (`capture.path`, closed by `capture.close()` or at the end); `stack`: more Stack.create options;
 * `commands`: more commands the scenario runs in the namespace (curl, nc...), prerequisites too.
 *
 * The scenario gets:
 *   stack, device, link        the wasmnet side (a RealClock stack on the peer's /24)
 *   stackAddress, linuxAddress dotted quads; prefixLength
 *   netns, tapName             names of the namespace and of the TAP inside it
 *   bridge                     the socat process (a ChildProcess)
 *   run(command, args, opts)   runs a command inside the namespace: { code, stdout, stderr };
 *                              opts.input is written to its stdin; opts.timeoutMs (default 10 s)
 *   spawn(command, args)       starts a long-running command inside the namespace (killed at the end)
 *   waitForUdpPort(port)       resolves once something in the namespace is bound to that UDP port
 *   waitForTcpPort(port)       resolves once something in the namespace listens on that TCP port
 *   capture                    { path, close() } with `capture: true`, else undefined
 */
export async function withLinuxPeer(t, scenario, options = {}) {
  const missing = await missingPrerequisites(options.commands);
  if (missing.length > 0) {
    const reason = `the Linux peer needs ${missing.join(', ')} (.ci/run installs them)`;
    if (process.env.CI === 'true') assert.fail(`${reason}; CI=true requires them`);
    t.skip(reason);
    return undefined;
  }

  const n = peersMade++;
  const subnet = (process.pid + n) % SUBNETS + 1;
  const linuxAddress = `10.77.${subnet}.${LINUX_HOST}`;
  const stackAddress = `10.77.${subnet}.${STACK_HOST}`;
  const tag = `${process.pid.toString(36)}${n.toString(36)}`;
  const netns = `wasmnet-${tag}`;
  const tapName = `wn${tag}`.slice(0, IFNAME_MAX);
  const inNetns = (command, args) => ['netns', 'exec', netns, command, ...args];

  const children = [];
  const cleanups = [];
  // A test process that dies before the cleanup below still removes its namespace.
  const removeOnExit = () => { try { execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' }); } catch { /* gone */ } };
  process.once('exit', removeOnExit);

  try {
    await must('ip', ['netns', 'add', netns]);
    cleanups.push(async () => { await execute('ip', ['netns', 'delete', netns]); process.off('exit', removeOnExit); });
    // IPv4 only, as the stack today: no IPv6 router solicitations or DAD on the link.
    for (const scope of ['all', 'default']) await must('ip', inNetns('sysctl', ['-qw', `net.ipv6.conf.${scope}.disable_ipv6=1`]));
    await must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);

    let device;
    let bridge;
    for (let attempt = 1; !bridge; attempt++) {
      const socatPort = await freeUdpPort();
      device = await DatagramDevice.open({ remote: { address: LOOPBACK, port: socatPort } });
      try {
        bridge = await startBridge(tapName, device, socatPort);
      } catch (error) {
        await device.close();
        if (attempt >= SOCAT_ATTEMPTS) throw error;
      }
    }
    children.push(bridge);
    cleanups.push(() => device.close());

    await must('ip', ['link', 'set', 'dev', tapName, 'netns', netns]);
    await must('ip', ['-n', netns, 'address', 'add', `${linuxAddress}/${PREFIX_LENGTH}`, 'dev', tapName]);
    await must('ip', ['-n', netns, 'link', 'set', 'dev', tapName, 'up']);

    const stack = await Stack.create({ ipv4: `${stackAddress}/${PREFIX_LENGTH}`, ...options.stack });
    cleanups.push(() => stack.close());
    let endpoint = stack;
    let capture;
    if (options.capture) {
      const dir = await mkdtemp(join(tmpdir(), 'wasmnet-linux-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const path = join(dir, 'linux-peer.pcap');
      const tap = PcapWriter.tap(stack, path);
      cleanups.push(() => tap.close());
      capture = { path, close: () => tap.close(), get records() { return tap.writer.records; } };
      endpoint = tap;
    }
    const link = MemoryLink.connect(endpoint, device);
    cleanups.push(() => link.close());

    const run = (command, args = [], opts = {}) => execute('ip', inNetns(command, args), opts);
    const spawn = (command, args = []) => {
      const child = spawnProcess('ip', inNetns(command, args), { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    };
    // Polls `ss` in the namespace until something listens on (TCP) or is bound to (UDP) the port.
    const waitForPort = async (protocolFlags, protocolName, port, timeoutMs = COMMAND_TIMEOUT_MS) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { stdout } = await run('ss', [protocolFlags, `sport = :${port}`]);
        if (stdout.trim() !== '') return;
        await sleep(POLL_MS);
      }
      throw new Error(`nothing ${protocolName} port ${port} in ${netns} within ${timeoutMs} ms`);
    };
    const waitForUdpPort = (port, timeoutMs) => waitForPort('-Hlun', 'bound UDP', port, timeoutMs);
    const waitForTcpPort = (port, timeoutMs) => waitForPort('-Hltn', 'listens on TCP', port, timeoutMs);

    const result = await scenario({
      stack, device, link, stackAddress, linuxAddress, prefixLength: PREFIX_LENGTH, netns, tapName, bridge,
      run, spawn, waitForUdpPort, waitForTcpPort, capture,
    });
    assert.equal(stack.failed, null, 'the stack never trapped');
    return result;
  } finally {
    for (const child of children.reverse()) await stop(child);
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        t.diagnostic(`cleanup: ${error.message}`);
      }
    }
  }
}
