// Node's own http, and third-party libraries built on it, over two stacks (wasmnet/http): an
// http.Agent of stack.net sockets on the client, an http.Server listening on a stack on the
// server. The transfers run over a link with 1% loss under a VirtualClock (seeded: every run is
// the same run), bodies checked with SHA-256. WASMNET_HTTP_MIB sets the transfer size (default
// 100); `npm run soak` runs it larger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import axios from 'axios';
import { WebSocket, WebSocketServer } from 'ws';
import { Stack, MemoryLink } from 'wasmnet';
import { stackHttp } from 'wasmnet/http';
import { pair, run, until, once, tcpRows } from './tcp-pair.mjs';

const MiB = 1 << 20;
const SIZE = Number(process.env.WASMNET_HTTP_MIB ?? 100) * MiB;
const REQUESTS = 1000;
const LOSSY = { loss: 0.01, delayMs: 1, seed: 7 };
/** Virtual time a lossy exchange may take before the test fails as stalled. */
const LIMIT_MS = 30 * 60_000;
/** Body chunks: pseudo-random bytes from a seeded generator, so no 100 MiB buffer is held. */
const CHUNK = 64 * 1024;

/** `bytes` of deterministic pseudo-random data as a stream, and their SHA-256. */
function patternStream(bytes, seed) {
  let x = seed >>> 0;
  let sent = 0;
  const hash = createHash('sha256');
  const stream = new Readable({
    read() {
      if (sent >= bytes) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, bytes - sent);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift32
        chunk.writeUInt32LE(x >>> 0, Math.min(i, n - 4));
      }
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** Reads a stream to its end: its byte count and SHA-256. */
function digestOf(stream) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    stream.on('data', (d) => { hash.update(d); bytes += d.length; });
    stream.on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.on('error', reject);
  });
}

test('axios (httpAgent) and ws (client createConnection and agent, server on a stack http.Server) run unchanged', async (t) => {
  const a = await Stack.create({ ipv4: '10.0.0.1/24', seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', seed: 2 });
  const link = MemoryLink.connect(a, b);
  t.after(() => { a.close(); b.close(); link.close(); });
  const server = stackHttp(b).createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, from: req.socket.remoteAddress }));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => ws.on('message', (m) => ws.send(`${req.url}:${m}`)));
  await new Promise((resolve) => server.listen(8080, '10.0.0.2', resolve));
  assert.deepEqual(server.address(), { address: '10.0.0.2', family: 'IPv4', port: 8080 });
  assert.equal(server.listening, true);

  const client = stackHttp(a);
  const agent = new client.Agent({ keepAlive: true });
  const ports = [];
  for (let i = 0; i < 3; i++) {
    const r = await axios.get(`http://10.0.0.2:8080/item/${i}`, { httpAgent: agent, proxy: false });
    assert.equal(r.status, 200);
    assert.deepEqual(r.data, { method: 'GET', url: `/item/${i}`, from: '10.0.0.1' });
    ports.push(r.request.socket?.localPort ?? r.request.reusedSocket);
  }
  const posted = await axios.post('http://10.0.0.2:8080/form', { a: 1 }, { httpAgent: agent, proxy: false });
  assert.equal(posted.data.method, 'POST');
  // Keep-alive: one connection carried all four requests.
  assert.equal(b.report().sockets.filter((s) => s.kind === 'tcp').length, 1, 'one pooled connection');

  const viaCreateConnection = new WebSocket('ws://10.0.0.2:8080/a', { createConnection: (o) => a.net.createConnection(o) });
  await once(viaCreateConnection, 'open');
  viaCreateConnection.send('hello');
  assert.equal(String(await once(viaCreateConnection, 'message')), '/a:hello');
  const viaAgent = new WebSocket('ws://10.0.0.2:8080/b', { agent: new client.Agent() });
  await once(viaAgent, 'open');
  viaAgent.send(Buffer.alloc(200_000, 1));
  assert.equal(String(await once(viaAgent, 'message')).length, '/b:'.length + 200_000);
  const closedWith = new Promise((resolve) => viaCreateConnection.once('close', (code, reason) => resolve([code, String(reason)])));
  viaCreateConnection.close(1000, 'done');
  assert.deepEqual(await closedWith, [1000, 'done']);
  viaAgent.terminate();
  agent.destroy();
  wss.close();
  await new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  assert.equal(server.listening, false);
  assert.equal(b.report().sockets.filter((s) => s.kind === 'tcp-listener').length, 0, 'listener gone');
});

test('http server: close() stops accepting, waits for an open exchange, then close callback; not running gives ERR_SERVER_NOT_RUNNING', async (t) => {
  const { clock, a, b, close } = await pair();
  t.after(close);
  let respond;
  const server = stackHttp(b).createServer((req, res) => { respond = () => res.end('late'); });
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const reply = new Promise((resolve, reject) => {
    stackHttp(a).get('http://10.0.0.2/slow', (res) => digestOf(res).then((d) => resolve([res.statusCode, d.bytes]), reject)).on('error', reject);
  });
  await run(clock, new Promise((resolve) => server.once('request', resolve)));
  const order = [];
  const closed = new Promise((resolve) => server.close(() => { order.push('closed'); resolve(); }));
  await clock.advanceMsAsync(100);
  const refused = new Promise((resolve) => a.net.connect(80, '10.0.0.2').on('error', (e) => resolve(e.code)));
  assert.equal(await run(clock, refused), 'ECONNREFUSED', 'no longer accepting');
  order.push('respond');
  respond();
  assert.deepEqual(await run(clock, reply), [200, 4]);
  await run(clock, closed);
  assert.deepEqual(order, ['respond', 'closed']);
  const notRunning = await new Promise((resolve) => server.close(resolve));
  assert.equal(notRunning.code, 'ERR_SERVER_NOT_RUNNING');
});

test(`http over 1% loss: ${REQUESTS} keep-alive requests, a ${SIZE / MiB} MiB streamed response and a ${SIZE / MiB} MiB upload, SHA-256 verified`, async (t) => {
  const { clock, a, b, close } = await pair({ link: LOSSY });
  t.after(close);
  const expected = new Map();
  const server = stackHttp(b).createServer(async (req, res) => {
    if (req.url === '/download') {
      const body = patternStream(SIZE, 0xdecaf);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      body.stream.pipe(res);
      body.stream.on('end', () => expected.set('download', body.digest()));
    } else if (req.url === '/upload') {
      const got = await digestOf(req);
      res.end(JSON.stringify(got));
    } else {
      res.end(`reply to ${req.url}`);
    }
  });
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const http = stackHttp(a);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (path, init = {}, body) => new Promise((resolve, reject) => {
    const req = http.request(`http://10.0.0.2${path}`, { agent, ...init }, resolve);
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });

  // 1,000 requests on one pooled connection, each reply checked.
  let replies = 0;
  const many = (async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const res = await request(`/r/${i}`);
      let text = '';
      for await (const d of res) text += d;
      assert.equal(text, `reply to /r/${i}`);
      replies++;
    }
  })();
  await run(clock, many, LIMIT_MS);
  assert.equal(replies, REQUESTS);
  assert.equal(b.report().sockets.filter((s) => s.kind === 'tcp').length, 1, 'all on one keep-alive connection');

  const download = await run(clock, request('/download').then(digestOf), LIMIT_MS);
  assert.equal(download.bytes, SIZE);
  assert.equal(download.sha256, expected.get('download'), 'download intact');

  const upload = patternStream(SIZE, 0xfeed);
  const uploaded = run(clock, request('/upload', { method: 'POST', headers: { 'content-length': SIZE } }, upload.stream)
    .then(async (res) => JSON.parse(Buffer.concat(await res.toArray()).toString())), LIMIT_MS);
  assert.deepEqual(await uploaded, { bytes: SIZE, sha256: upload.digest() }, 'upload intact');

  const retransmits = a.stats().tcpRetransmits + b.stats().tcpRetransmits;
  assert.ok(retransmits > 0, 'the loss was real: segments were retransmitted');
  agent.destroy();
  const closed = new Promise((resolve) => server.close(resolve));
  await run(clock, closed);
  await until(clock, () => tcpRows(a).length + tcpRows(b).length === 0, 5_000);
});
