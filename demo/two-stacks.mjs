#!/usr/bin/env node
// `npm start`: two wasmnet stacks joined by an in-memory Ethernet link, no privileges needed.
// Stack b runs a UDP echo server and a TCP server; stack a pings b, pings its own loopback,
// exchanges datagrams, and sends 4 MiB over TCP with the SHA-256 checked on both ends.
import { createHash, randomBytes } from 'node:crypto';
import { Stack, MemoryLink } from 'wasmnet';

const a = await Stack.create({ ipv4: '10.0.0.1/24' });
const b = await Stack.create({ ipv4: '10.0.0.2/24' });
const link = MemoryLink.connect(a, b, { mtu: 1500, delayMs: 1 });
console.log(`a: ${a.addresses.join(', ')} (${a.mac})   b: ${b.addresses.join(', ')} (${b.mac})`);

for (let i = 0; i < 3; i++) {
  const reply = await a.ping('10.0.0.2');
  console.log(`ping 10.0.0.2: seq=${reply.seq} bytes=${reply.bytes} time=${reply.rttMs.toFixed(3)} ms`);
}
const self = await a.ping('127.0.0.1');
console.log(`ping 127.0.0.1: seq=${self.seq} time=${self.rttMs.toFixed(3)} ms (software loopback)`);

const server = b.dgram.createSocket('udp4', (message, rinfo) => {
  server.send(message, rinfo.port, rinfo.address);
});
await new Promise((resolve) => server.bind(7, resolve));

const client = a.dgram.createSocket('udp4');
const replies = new Promise((resolve) => {
  const got = [];
  client.on('message', (message, rinfo) => {
    got.push(`${message} from ${rinfo.address}:${rinfo.port}`);
    if (got.length === 3) resolve(got);
  });
});
for (const word of ['hello', 'from', 'wasmnet']) client.send(word, 7, '10.0.0.2');
for (const line of await replies) console.log(`udp echo: ${line}`);

const unreachable = a.dgram.createSocket('udp4');
unreachable.connect(9, '10.0.0.2');
const refused = await new Promise((resolve) => {
  unreachable.on('error', (error) => resolve(error.code));
  unreachable.on('connect', () => unreachable.send('anyone?'));
});
console.log(`udp to a closed port: ${refused} (ICMP port unreachable)`);

// TCP: b counts and hashes what it gets and answers with its hash; a compares.
const payload = randomBytes(4 << 20);
const tcpServer = b.net.createServer((socket) => {
  const hash = createHash('sha256');
  socket.on('data', (chunk) => hash.update(chunk));
  socket.on('end', () => socket.end(hash.digest('hex')));
});
await new Promise((resolve) => tcpServer.listen(80, resolve));
const started = performance.now();
const answer = await new Promise((resolve, reject) => {
  const socket = a.net.connect(80, '10.0.0.2');
  const parts = [];
  socket.on('data', (chunk) => parts.push(chunk));
  socket.on('error', reject);
  socket.on('close', () => resolve(Buffer.concat(parts).toString()));
  socket.end(payload);
});
const seconds = (performance.now() - started) / 1000;
const expected = createHash('sha256').update(payload).digest('hex');
console.log(`tcp: 4 MiB a->b in ${seconds.toFixed(2)} s (${(payload.length * 8 / seconds / 1e6).toFixed(0)} Mbit/s over a 1 ms link), sha256 ${answer === expected ? 'matches' : 'DIFFERS'}`);
if (answer !== expected) process.exitCode = 1;
const refusedTcp = await new Promise((resolve) => {
  a.net.connect(81, '10.0.0.2').on('error', (error) => resolve(error.code));
});
console.log(`tcp to a closed port: ${refusedTcp} (RST)`);
await new Promise((resolve) => tcpServer.close(resolve));

const { aToB, bToA } = link.stats();
console.log(`link: ${aToB.delivered} frames a->b, ${bToA.delivered} frames b->a`);
console.log(`a sent ${a.stats().txFrames} frames, answered ${b.stats().icmpEchoAnswered} echo requests on b`);
client.close();
unreachable.close();
server.close();
a.close();
b.close();
