#!/usr/bin/env node
// `npm start`: two wasmnet stacks joined by an in-memory Ethernet link, no privileges needed.
// Stack b runs a UDP echo server; stack a pings b, pings its own loopback, and exchanges datagrams.
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

const { aToB, bToA } = link.stats();
console.log(`link: ${aToB.delivered} frames a->b, ${bToA.delivered} frames b->a`);
console.log(`a sent ${a.stats().txFrames} frames, answered ${b.stats().icmpEchoAnswered} echo requests on b`);
client.close();
unreachable.close();
server.close();
a.close();
b.close();
