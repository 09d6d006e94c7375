// wasmnet's TCP against the Linux kernel's (issue 7): each test gets its own network namespace
// whose TAP device is bridged by socat to a stack's DatagramDevice (linux-peer.mjs), and real
// Linux programs as the peers: curl downloads 64 MiB from a wasmnet HTTP server and uploads 64 MiB
// to it, wasmnet downloads 64 MiB from `python3 -m http.server`, half-close both ways (nc -N,
// socat), connects to closed ports both ways, flow control with both windows closing, and a
// capture of it all that tshark reads without a malformed segment or a bad checksum; with
// segmentation offload, a 64 MiB download whose large segments the NIC cuts for Linux, and a
// tshark-clean capture of MSS-sized segments only. SHA-256 is compared for every transfer. Afterwards the
// stack holds no connection (TIME-WAIT takes no slot) and never woke a connection for nothing.
// Needs root, iproute2, socat, tshark, curl, netcat-openbsd and python3 (.ci/run installs
// them); skipped with the reason without them, failed with CI=true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLinuxPeer } from './linux-peer.mjs';
import { readCleanCapture } from '../support/tshark.mjs';

/** The issue's bulk size: 64 MiB each way (about 3 s over the datagram device). */
const BULK_BYTES = 64 << 20;
/** The half-close exchanges: enough for many full windows each way. */
const HALF_CLOSE_BYTES = 1 << 20;
/** The captured exchange: big enough for window scaling and full-sized segments to show. */
const CAPTURED_BYTES = 2 << 20;
/** The flow-control exchanges: several times every buffer involved. */
const FLOW_CONTROL_BYTES = 2 << 20;
/** Linux's TCP receive buffer (min, default, max) in the flow-control test: 16 KiB at most. */
const SMALL_LINUX_RMEM = '4096 8192 16384';
/**
 * How long the Linux reader stalls: curl writes into a pipe nobody reads for this long, so it
 * stops reading its socket once the pipe is full; wasmnet then probes Linux's zero window.
 */
const LINUX_STALL_SECONDS = 1;
/** The wasmnet reader stops this long, this often: long enough for Linux to fill its window. */
const READER_PAUSE_MS = 500;
const READER_PAUSE_EVERY_BYTES = 512 << 10;
const HTTP_PORT = 80;
const PYTHON_HTTP_PORT = 8000;
/**
 * The half-close exchanges' port: one no Wireshark dissector claims (on 7000 tshark would read the
 * random payload as Gryphon messages and call them malformed).
 */
const HALF_CLOSE_PORT = 4000;
/** Nobody listens here, on either side. */
const CLOSED_PORT = 9;
/** How long one bulk transfer (a Linux command) may take before the test fails. */
const TRANSFER_TIMEOUT_MS = 60_000;
/** How long the last connection may take to leave the table once both sides are done. */
const DRAIN_TIMEOUT_MS = 5000;
const POLL_MS = 10;
/** curl's exit code for "Failed to connect to host" (a refused connect). */
const CURL_COULDNT_CONNECT = 7;
/** A TCP header's flag bits (RFC 9293 3.1). */
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const HEX_SHA256_LENGTH = 64;
const HEADER_END = '\r\n\r\n';
/** What the scenarios run in the namespace, beyond the harness's own prerequisites. */
const PEER_COMMANDS = { commands: ['curl', 'nc', 'python3', 'sha256sum'] };

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A temporary directory the namespace sees too (it shares the file system), removed after the test. */
async function scratch(t) {
  const dir = await mkdtemp(join(tmpdir(), 'wasmnet-tcp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves when `emitter` emits `event`, rejects on 'error' first. */
const once = (emitter, event) => new Promise((resolve, reject) => {
  emitter.once(event, resolve);
  emitter.once('error', reject);
});

const listening = (server, port) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, resolve);
});

/**
 * Reads one HTTP message head from `socket` (up to the blank line) and hands the rest of the
 * stream to `onBody`, chunk by chunk. Resolves with { startLine, headers } (names lower-cased).
 */
function readHead(socket, onBody) {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEADER_END);
      if (end < 0) return;
      socket.off('data', onData);
      const [startLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }));
      socket.on('data', onBody);
      resolve({ startLine, headers });
      const rest = buffered.subarray(end + HEADER_END.length);
      if (rest.length > 0) onBody(rest);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/**
 * A hand-written HTTP/1.1 responder on stack.net (there is no http integration yet):
 * `GET /blob` answers `blob`; `PUT /upload` hashes the body as it arrives (answering curl's
 * `Expect: 100-continue` first) and answers with its SHA-256 in hex. One request per connection.
 * `uploads` collects { bytes, sha256 } of every upload.
 */
function httpResponder(stack, blob) {
  const uploads = [];
  const server = stack.net.createServer(async (socket) => {
    socket.on('error', () => { /* reported by the Linux client's exit status */ });
    const hash = createHash('sha256');
    let bodyBytes = 0;
    let bodyComplete = () => {};
    const { startLine, headers } = await readHead(socket, (chunk) => { hash.update(chunk); bodyBytes += chunk.length; bodyComplete(); });
    const [method, path] = startLine.split(' ');
    if (method === 'GET' && path === '/blob') {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${blob.length}\r\nConnection: close\r\n\r\n`);
      socket.end(blob);
      return;
    }
    if (method === 'PUT' && path === '/upload') {
      const expected = Number(headers['content-length']);
      if (headers.expect?.toLowerCase() === '100-continue') socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      if (bodyBytes < expected) await new Promise((resolve) => { bodyComplete = () => bodyBytes >= expected && resolve(); });
      const digest = hash.digest('hex');
      uploads.push({ bytes: bodyBytes, sha256: digest });
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${digest.length}\r\nConnection: close\r\n\r\n${digest}`);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  return { server, uploads };
}

/**
 * GET `path` over stack.net with HTTP/1.0 (the server closes after the body): { status, headers,
 * bytes, sha256 }. `onBody(socket, bytes)` runs after each piece of the body (to pause reading).
 */
async function httpGet(stack, host, port, path, onBody = () => {}) {
  const socket = stack.net.connect(port, host);
  await once(socket, 'connect');
  const hash = createHash('sha256');
  let bytes = 0;
  // Both registered now: 'close' may follow 'end' before an await after 'end' resumes.
  const ended = once(socket, 'end');
  const closed = once(socket, 'close');
  const head = readHead(socket, (chunk) => { hash.update(chunk); bytes += chunk.length; onBody(socket, bytes); });
  socket.end(`GET ${path} HTTP/1.0\r\nHost: ${host}:${port}\r\n\r\n`);
  const { startLine, headers } = await head;
  await ended;
  await closed;
  return { status: Number(startLine.split(' ')[1]), headers, bytes, sha256: hash.digest('hex') };
}

/** The stack's TCP connection rows (listeners left out). */
const connections = (stack) => stack.report().sockets.filter((s) => s.kind === 'tcp');

/**
 * Waits until the stack holds no TCP connection (a TIME-WAIT holds no slot), then checks that no
 * connection ever said it owed a segment and sent none (tcpIdleWakeups), and notes retransmissions.
 */
async function assertEndsClean(t, stack) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (connections(stack).length > 0 && Date.now() < deadline) await sleep(POLL_MS);
  assert.deepEqual(connections(stack).map((s) => `${s.state} ${s.remote?.address}:${s.remote?.port}`), [], 'no connection left');
  const stats = stack.stats();
  assert.equal(stats.tcpIdleWakeups, 0, 'tcpIdleWakeups');
  t.diagnostic(`wasmnet: ${stats.tcpSegmentsSent} segments sent, ${stats.tcpSegmentsReceived} received, ${stats.tcpRetransmits} retransmitted, ${stats.tcpResetsSent} RST sent`);
}

/** Runs `fn`, notes its wall time (for the CI budget), and resolves with its result. */
async function timed(t, what, fn) {
  const started = Date.now();
  const result = await fn();
  const ms = Date.now() - started;
  t.diagnostic(`${what}: ${ms} ms${ms > 0 && result?.bytes ? `, ${(result.bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s` : ''}`);
  return result;
}

// ---- the exchanges, each run on its own below and all together under capture ----

/** curl downloads `blob` from a wasmnet HTTP server; resolves with the bytes moved. */
async function curlDownload({ stack, stackAddress, run }, dir, blob) {
  const { server } = httpResponder(stack, blob);
  await listening(server, HTTP_PORT);
  const target = join(dir, 'downloaded');
  const result = await run('curl', ['-sS', '--fail', '-o', target, '-w', '%{http_code} %{size_download}', `http://${stackAddress}/blob`], { timeoutMs: TRANSFER_TIMEOUT_MS });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `200 ${blob.length}`);
  assert.equal(sha256(await readFile(target)), sha256(blob), 'curl got the blob intact');
  server.close();
  return { bytes: blob.length };
}

/** curl uploads `blob` (PUT, with its Expect: 100-continue) to a wasmnet HTTP server. */
async function curlUpload({ stack, stackAddress, run }, dir, blob) {
  const source = join(dir, 'upload');
  await writeFile(source, blob);
  const { server, uploads } = httpResponder(stack, Buffer.alloc(0));
  await listening(server, HTTP_PORT);
  const result = await run('curl', ['-sS', '--fail', '-T', source, `http://${stackAddress}/upload`], { timeoutMs: TRANSFER_TIMEOUT_MS });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(uploads, [{ bytes: blob.length, sha256: sha256(blob) }], 'the server got every byte');
  assert.equal(result.stdout, sha256(blob), 'and curl got the server\'s answer');
  server.close();
  return { bytes: blob.length };
}

/** wasmnet GETs `blob` from python3's http.server in the namespace (`onBody` as for httpGet). */
async function pythonDownload({ stack, linuxAddress, spawn, waitForTcpPort }, dir, blob, onBody) {
  await writeFile(join(dir, 'blob'), blob);
  spawn('python3', ['-m', 'http.server', String(PYTHON_HTTP_PORT), '--bind', linuxAddress, '--directory', dir]);
  await waitForTcpPort(PYTHON_HTTP_PORT);
  const response = await httpGet(stack, linuxAddress, PYTHON_HTTP_PORT, '/blob', onBody);
  assert.equal(response.status, 200);
  assert.equal(Number(response.headers['content-length']), blob.length);
  assert.equal(response.bytes, blob.length);
  assert.equal(response.sha256, sha256(blob), 'wasmnet got the blob intact');
  return { bytes: blob.length };
}

/**
 * A wasmnet server that keeps its side open after the peer's FIN (allowHalfOpen): it reads the
 * whole request, and only then answers with the request's SHA-256 in hex, a newline and `reply`.
 * `seen` records the connection's state when the peer's FIN arrived.
 */
function halfCloseServer(stack, reply) {
  const seen = [];
  const server = stack.net.createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk) => { hash.update(chunk); bytes += chunk.length; });
    socket.on('end', () => {
      const row = connections(stack).find((s) => s.remote?.port === socket.remotePort);
      seen.push({ bytes, state: row?.state, peerFinished: row?.tcp.peerFinished });
      socket.write(`${hash.digest('hex')}\n`);
      socket.end(reply);
    });
  });
  return { server, seen };
}

/** Checks an answer of the form `<hex SHA-256 of request>\n<reply>`. */
function assertAnswer(got, request, reply, who) {
  assert.equal(got.length, HEX_SHA256_LENGTH + 1 + reply.length, `${who}: answer length`);
  assert.equal(got.subarray(0, HEX_SHA256_LENGTH).toString(), sha256(request), `${who}: the request arrived intact`);
  assert.equal(sha256(got.subarray(HEX_SHA256_LENGTH + 1)), sha256(reply), `${who}: the reply arrived intact after the FIN`);
}

/** nc -N sends `request` to wasmnet, shuts its write side, and still receives wasmnet's answer. */
async function halfCloseFromLinux({ stack, stackAddress, run }, dir, request, reply) {
  await writeFile(join(dir, 'request'), request);
  const { server, seen } = halfCloseServer(stack, reply);
  await listening(server, HALF_CLOSE_PORT);
  // -N: shutdown(SHUT_WR) once stdin is at its end; nc then reads until wasmnet closes.
  const result = await run('sh', ['-c', `nc -N ${stackAddress} ${HALF_CLOSE_PORT} < ${join(dir, 'request')} > ${join(dir, 'answer')}`], { timeoutMs: TRANSFER_TIMEOUT_MS });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(seen, [{ bytes: request.length, state: 'CLOSE-WAIT', peerFinished: true }], 'the whole request, then Linux\'s FIN');
  assertAnswer(await readFile(join(dir, 'answer')), request, reply, 'Linux half-closed');
  server.close();
}

/** wasmnet sends `request` to a Linux socat, ends its side, and still receives socat's answer. */
async function halfCloseFromWasmnet({ stack, linuxAddress, spawn, waitForTcpPort }, dir, request, reply) {
  await writeFile(join(dir, 'reply'), reply);
  // The child reads the connection to its end (our FIN), and only then prints the SHA-256 of
  // what it read and the reply file; -t: socat waits that long for the answer after the first EOF.
  spawn('socat', ['-t', '30', `TCP-LISTEN:${HALF_CLOSE_PORT},bind=${linuxAddress},reuseaddr`,
    `SYSTEM:sha256sum | cut -c1-${HEX_SHA256_LENGTH}; cat ${join(dir, 'reply')}`]);
  await waitForTcpPort(HALF_CLOSE_PORT);
  const socket = stack.net.connect({ port: HALF_CLOSE_PORT, host: linuxAddress, allowHalfOpen: true });
  await once(socket, 'connect');
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  // All registered now: 'close' may follow 'end' before an await after 'end' resumes.
  const finished = once(socket, 'finish');
  const ended = once(socket, 'end');
  const closed = once(socket, 'close');
  socket.end(request);
  await finished;
  const stateAfterOurFin = connections(stack).find((s) => s.local.port === socket.localPort)?.state;
  await ended;
  await closed;
  // Our FIN went out before socat had anything to say; its answer came while we were in FIN-WAIT.
  assert.ok(['FIN-WAIT-1', 'FIN-WAIT-2'].includes(stateAfterOurFin), stateAfterOurFin);
  assertAnswer(Buffer.concat(chunks), request, reply, 'wasmnet half-closed');
}

/** Linux's nc and curl to a closed wasmnet port get RST; wasmnet to a closed Linux port gets ECONNREFUSED. */
async function refusedBothWays({ stack, stackAddress, linuxAddress, run }) {
  const resetsBefore = stack.stats().tcpResetsSent;
  const nc = await run('nc', ['-z', '-v', '-w', '5', stackAddress, String(CLOSED_PORT)]);
  assert.equal(nc.code, 1);
  assert.match(nc.stderr, /Connection refused/);
  const curl = await run('curl', ['-sS', `http://${stackAddress}:${CLOSED_PORT}/`]);
  assert.equal(curl.code, CURL_COULDNT_CONNECT);
  assert.match(curl.stderr, /Couldn't connect to server|Connection refused/);
  assert.equal(stack.stats().tcpResetsSent - resetsBefore, 2, 'one RST for each SYN');

  const socket = stack.net.connect(CLOSED_PORT, linuxAddress);
  const error = await new Promise((resolve) => socket.once('error', resolve));
  assert.equal(error.code, 'ECONNREFUSED');
  assert.equal(error.syscall, 'connect');
  assert.equal(error.address, linuxAddress);
  assert.equal(error.port, CLOSED_PORT);
}

// ---- the tests ----

test('curl in the namespace downloads 64 MiB from a wasmnet HTTP server, SHA-256 equal', (t) => withLinuxPeer(t, async (peer) => {
  const dir = await scratch(t);
  await timed(t, 'curl download of 64 MiB', () => curlDownload(peer, dir, randomBytes(BULK_BYTES)));
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('curl in the namespace uploads 64 MiB to a wasmnet HTTP server (PUT, 100-continue), SHA-256 equal', (t) => withLinuxPeer(t, async (peer) => {
  const dir = await scratch(t);
  await timed(t, 'curl upload of 64 MiB', () => curlUpload(peer, dir, randomBytes(BULK_BYTES)));
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('wasmnet downloads 64 MiB from python3 -m http.server in the namespace, SHA-256 equal', (t) => withLinuxPeer(t, async (peer) => {
  const dir = await scratch(t);
  await timed(t, 'wasmnet download of 64 MiB from python3', () => pythonDownload(peer, dir, randomBytes(BULK_BYTES)));
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('half-close from Linux: nc -N sends, shuts its write side, and still receives the reply wasmnet sends after the FIN', (t) => withLinuxPeer(t, async (peer) => {
  await halfCloseFromLinux(peer, await scratch(t), randomBytes(HALF_CLOSE_BYTES), randomBytes(HALF_CLOSE_BYTES));
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('half-close from wasmnet: it sends, ends its side, and still receives the reply a Linux socat sends after the FIN', (t) => withLinuxPeer(t, async (peer) => {
  await halfCloseFromWasmnet(peer, await scratch(t), randomBytes(HALF_CLOSE_BYTES), randomBytes(HALF_CLOSE_BYTES));
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('closed ports both ways: Linux\'s nc and curl are refused by wasmnet\'s RST, wasmnet gets ECONNREFUSED from Linux\'s', (t) => withLinuxPeer(t, async (peer) => {
  await refusedBothWays(peer);
  await assertEndsClean(t, peer.stack);
}, PEER_COMMANDS));

test('a capture of every exchange above reads in tshark with no malformed segment and no bad checksum', (t) => withLinuxPeer(t, async (peer) => {
  const { stack, capture } = peer;
  const dir = await scratch(t);
  const blob = () => randomBytes(CAPTURED_BYTES);
  await curlDownload(peer, dir, blob());
  await curlUpload(peer, dir, blob());
  await pythonDownload(peer, dir, blob());
  await halfCloseFromLinux(peer, dir, blob(), blob());
  await halfCloseFromWasmnet(peer, dir, blob(), blob());
  await refusedBothWays(peer);
  await assertEndsClean(t, stack);
  const frames = await readCleanCapture(assert, capture);
  const tcp = frames.filter((f) => f.protocols.includes('tcp'));
  // Distinct segments: a copy sent again (a retransmission on a loaded machine is correct TCP, not
  // an extra connection or close) has the same source, ports and sequence number.
  const withFlags = (mask, value = mask) => new Set(tcp.filter((f) => (f.tcpFlags[0] & mask) === value)
    .map((f) => `${f.ipSource[0]}:${f.tcpSourcePort[0]}>${f.tcpDestinationPort[0]}:${f.tcpSeq[0]}`)).size;
  // Five connections (two curls, python, nc, socat) and three refused SYNs (nc, curl, wasmnet).
  assert.equal(withFlags(TCP_SYN | TCP_ACK, TCP_SYN), 8, 'SYNs');
  assert.equal(withFlags(TCP_SYN | TCP_ACK), 5, 'SYN-ACKs');
  assert.equal(withFlags(TCP_RST), 3, 'RSTs: two from wasmnet, one from Linux');
  assert.equal(withFlags(TCP_FIN), 10, 'each side of each connection closed with one FIN');
  const payload = tcp.reduce((sum, f) => sum + (f.tcpLength[0] ?? 0), 0);
  assert.ok(payload >= 7 * CAPTURED_BYTES, `${payload} payload bytes captured`);
}, { ...PEER_COMMANDS, capture: true }));

test('flow control both ways: a Linux reader that stalls behind a 16 KiB buffer and a wasmnet reader that stops now and then close the windows, the data arrives intact', (t) => withLinuxPeer(t, async (peer) => {
  const { stack, stackAddress, linuxAddress, run, capture } = peer;
  const dir = await scratch(t);
  // Linux's receive buffer, in this namespace only: its window closes soon after curl stops reading.
  const sysctl = await run('sysctl', ['-qw', `net.ipv4.tcp_rmem=${SMALL_LINUX_RMEM}`]);
  assert.equal(sysctl.code, 0, sysctl.stderr);
  const blob = randomBytes(FLOW_CONTROL_BYTES);
  const { server } = httpResponder(stack, blob);
  await listening(server, HTTP_PORT);
  const target = join(dir, 'downloaded');
  const stalled = await timed(t, 'curl download with a stalled reader', async () => {
    const r = await run('sh', ['-c', `curl -sS --fail http://${stackAddress}/blob | (sleep ${LINUX_STALL_SECONDS}; cat > ${target})`], { timeoutMs: TRANSFER_TIMEOUT_MS });
    return { ...r, bytes: blob.length };
  });
  assert.equal(stalled.code, 0, stalled.stderr);
  assert.equal(stalled.stderr, '', 'curl had nothing to complain about');
  assert.equal(sha256(await readFile(target)), sha256(blob), 'curl got the blob intact');
  server.close();

  let pausedAt = 0;
  await timed(t, 'wasmnet download with pauses', () => pythonDownload(peer, dir, randomBytes(FLOW_CONTROL_BYTES), (socket, bytes) => {
    if (bytes - pausedAt < READER_PAUSE_EVERY_BYTES) return;
    pausedAt = bytes;
    socket.pause();
    setTimeout(() => socket.resume(), READER_PAUSE_MS);
  }));
  await assertEndsClean(t, stack);

  const frames = await readCleanCapture(assert, capture);
  const zeroWindows = (source) => frames.filter((f) => f.ipSource[0] === source && f.tcpWindow[0] === 0 && (f.tcpFlags[0] & TCP_RST) === 0).length;
  t.diagnostic(`zero windows: ${zeroWindows(linuxAddress)} from Linux, ${zeroWindows(stackAddress)} from wasmnet`);
  assert.ok(zeroWindows(linuxAddress) > 0, 'Linux closed its window');
  assert.ok(zeroWindows(stackAddress) > 0, 'wasmnet closed its window');
}, { ...PEER_COMMANDS, capture: true }));

// Segmentation offload toward a device that is not a wasmnet stack (issue 9): the stack hands its
// NIC segments of up to 64 KiB, and the NIC cuts each into the MSS-sized segments the Linux kernel
// receives, with every header and checksum fixed per segment; Linux's own checksum check drops any
// it finds bad, which curl would see as a stalled or corrupt download.
test('with segmentation offload, curl downloads 64 MiB cut by the NIC into MSS-sized segments, SHA-256 equal', (t) => withLinuxPeer(t, async (peer) => {
  const dir = await scratch(t);
  await timed(t, 'curl download of 64 MiB, segmentation offload', () => curlDownload(peer, dir, randomBytes(BULK_BYTES)));
  assert.ok(peer.stack.stats().txSegmentsCut > BULK_BYTES / 65536, 'the NIC cut large segments');
  assert.equal(peer.stack.stats().txBadSegments, 0);
  await assertEndsClean(t, peer.stack);
}, { ...PEER_COMMANDS, stack: { segmentationOffload: true } }));

test('with segmentation offload, a capture of a download and an upload reads in tshark with only MSS-sized segments and no bad checksum', (t) => withLinuxPeer(t, async (peer) => {
  const dir = await scratch(t);
  await curlDownload(peer, dir, randomBytes(CAPTURED_BYTES));
  await curlUpload(peer, dir, randomBytes(CAPTURED_BYTES));
  await assertEndsClean(t, peer.stack);
  const frames = await readCleanCapture(assert, peer.capture);
  const fromStack = frames.filter((f) => f.protocols.includes('tcp') && f.ipSource[0] === peer.stackAddress);
  const lengths = fromStack.map((f) => Number(f.tcpLength[0] ?? 0));
  const mss = Math.max(...lengths);
  assert.ok(mss > 0 && mss <= 1460, `largest segment the stack sent: ${mss} bytes of payload`);
  assert.ok(lengths.filter((n) => n === mss).length >= CAPTURED_BYTES / mss - 64, 'the download went in full-sized segments');
  assert.ok(peer.stack.stats().txSegmentsCut > 0, 'the NIC cut large segments');
}, { ...PEER_COMMANDS, capture: true, stack: { segmentationOffload: true } }));
