#!/usr/bin/env node
// `npm start`: two wasmnet stacks joined by an in-memory Ethernet link, no privileges needed.
// a pings b, exchanges UDP datagrams with b's echo server, then Node's own http client on a fetches
// a body from Node's own http server on b over wasmnet TCP, with a progress bar, the SHA-256
// checked on both ends and the throughput printed; last, both stacks' counters and reports.
//
//   npm start -- [--size MiB] [--mtu bytes] [--loss 0..1] [--delay ms]
import http from 'node:http';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Stack, MemoryLink } from 'wasmnet';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    mtu: { type: 'string', default: '1500' },
    loss: { type: 'string', default: '0' },
    delay: { type: 'string', default: '0' },
  },
});
const sizeMiB = Number(values.size);
const mtu = Number(values.mtu);
const loss = Number(values.loss);
const delayMs = Number(values.delay);
for (const [name, value, ok] of [
  ['--size', sizeMiB, sizeMiB > 0 && sizeMiB <= 4096],
  ['--mtu', mtu, Number.isInteger(mtu) && mtu >= 576 && mtu <= 65521],
  ['--loss', loss, loss >= 0 && loss < 1],
  ['--delay', delayMs, delayMs >= 0 && delayMs <= 10_000],
]) {
  if (!ok) {
    console.error(`${name}: ${value} is out of range`);
    process.exit(2);
  }
}

const a = await Stack.create({ ipv4: '10.0.0.1/24', mtu });
const b = await Stack.create({ ipv4: '10.0.0.2/24', mtu });
const link = MemoryLink.connect(a, b, { mtu, loss, delayMs, seed: 1 });
console.log(`a: ${a.addresses.join(', ')} (${a.mac})   b: ${b.addresses.join(', ')} (${b.mac})`);
console.log(`link: MTU ${mtu}, loss ${(loss * 100).toFixed(1)}%, one-way delay ${delayMs} ms`);

// ---- ping ----
for (let i = 0; i < 3; i++) {
  const reply = await a.ping('10.0.0.2', { timeoutMs: 5000 });
  console.log(`ping 10.0.0.2: seq=${reply.seq} bytes=${reply.bytes} time=${reply.rttMs.toFixed(3)} ms`);
}
const self = await a.ping('127.0.0.1');
console.log(`ping 127.0.0.1: seq=${self.seq} time=${self.rttMs.toFixed(3)} ms (software loopback)`);

// ---- UDP ----
const echo = b.dgram.createSocket('udp4', (message, rinfo) => echo.send(message, rinfo.port, rinfo.address));
await new Promise((resolve) => echo.bind(7, resolve));
const client = a.dgram.createSocket('udp4');
const words = ['hello', 'from', 'wasmnet'];
const replies = new Promise((resolve) => {
  const got = new Set();
  client.on('message', (message, rinfo) => {
    got.add(`${message}`);
    console.log(`udp echo: ${message} from ${rinfo.address}:${rinfo.port}`);
    if (got.size === words.length) resolve();
  });
});
// Datagrams may be lost on a lossy link: send again until every word came back.
const resend = setInterval(() => { for (const w of words) client.send(w, 7, '10.0.0.2'); }, 200);
for (const w of words) client.send(w, 7, '10.0.0.2');
await replies;
clearInterval(resend);
client.close();
echo.close();

// ---- HTTP over TCP: Node's own http server and client, wasmnet underneath ----
const bodyBytes = Math.round(sizeMiB * 1024 * 1024);
const CHUNK = 64 * 1024;
const pattern = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK; i++) pattern[i] = (i * 31 + 7) & 0xff;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bodyBytes });
  const hash = createHash('sha256');
  let sent = 0;
  const pump = () => {
    while (sent < bodyBytes) {
      const piece = sent + CHUNK <= bodyBytes ? pattern : pattern.subarray(0, bodyBytes - sent);
      hash.update(piece);
      sent += piece.length;
      if (!res.write(piece)) { res.once('drain', pump); return; }
    }
    res.end();
    serverHash = hash.digest('hex');
  };
  pump();
});
let serverHash = '';
const listener = b.net.createServer((socket) => server.emit('connection', socket));
await new Promise((resolve) => listener.listen(80, resolve));

const started = performance.now();
const { clientHash, received } = await new Promise((resolve, reject) => {
  const req = http.get({ host: '10.0.0.2', port: 80, path: '/', createConnection: () => a.net.connect(80, '10.0.0.2') }, (res) => {
    const hash = createHash('sha256');
    let got = 0;
    let shown = -1;
    res.on('data', (chunk) => {
      hash.update(chunk);
      got += chunk.length;
      const percent = Math.floor((got / bodyBytes) * 100);
      if (percent !== shown) {
        shown = percent;
        progress(percent, got);
      }
    });
    res.on('end', () => resolve({ clientHash: hash.digest('hex'), received: got }));
    res.on('error', reject);
  });
  req.on('error', reject);
});
const seconds = (performance.now() - started) / 1000;
if (process.stdout.isTTY) process.stdout.write('\n');
const match = clientHash === serverHash && received === bodyBytes;
console.log(`http GET: ${(received / 1048576).toFixed(1)} MiB in ${seconds.toFixed(2)} s, ` +
  `${(received * 8 / seconds / 1e6).toFixed(0)} Mbit/s; sha256 ${clientHash.slice(0, 16)}... ${match ? 'matches on both ends' : 'DIFFERS'}`);
await new Promise((resolve) => listener.close(resolve));
server.close();

// The connection's last segments (its FIN and the ACK of it) may still be on a lossy link: give
// them a moment, as an orderly close would, before the reports.
for (let waited = 0; waited < 5000 && (a.report().sockets.length > 0 || b.report().sockets.length > 0); waited += 50) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

// ---- counters and reports ----
const interesting = ['txFrames', 'rxFrames', 'tcpSegmentsSent', 'tcpSegmentsReceived', 'tcpRetransmits',
  'tcpActiveOpens', 'tcpPassiveOpens', 'tcpResetsSent', 'udpDelivered', 'icmpEchoAnswered', 'arpRequestsSent'];
const sa = a.stats();
const sb = b.stats();
console.log('\ncounter                  a          b');
for (const name of interesting) console.log(`${name.padEnd(20)} ${String(sa[name]).padStart(6)} ${String(sb[name]).padStart(10)}`);
const { aToB, bToA } = link.stats();
console.log(`link                 ${String(aToB.delivered).padStart(6)} ${String(bToA.delivered).padStart(10)}   frames delivered (a->b, b->a); lost ${aToB.dropped.loss + bToA.dropped.loss}`);
for (const [name, stack] of [['a', a], ['b', b]]) {
  const report = stack.report();
  const rows = report.sockets.map((s) => `${s.kind} ${s.state} ${s.local.address}:${s.local.port}` +
    (s.remote ? ` -> ${s.remote.address}:${s.remote.port}` : ''));
  console.log(`report ${name}: ${rows.length} socket(s) open, ${report.tcpTimeWait} in TIME-WAIT${rows.length ? ': ' + rows.join('; ') : ''}`);
}

a.close();
b.close();
link.close();
if (!match) process.exitCode = 1;

function progress(percent, got) {
  const width = 30;
  const filled = Math.round((percent / 100) * width);
  const line = `http GET [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${(got / 1048576).toFixed(1)} MiB`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else if (percent % 25 === 0) console.log(line);
}
