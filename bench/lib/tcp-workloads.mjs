// TCP workloads written once against Node's `net` shape, so the same code measures wasmnet's
// `stack.net` and Node's own `net` over the kernel's 127.0.0.1. `endpoints` says which: a server
// side `net` and the address it listens on, and a client side `net` that connects there.
import { secondsSince, median } from './stats.mjs';

const BITS_PER_BYTE = 8;
const BITS_PER_GIGABIT = 1e9;
const MICROS_PER_SECOND = 1e6;

/** Listens on an ephemeral port of `endpoints.serverNet` and resolves with the server and its port. */
function listen(endpoints, onConnection) {
  return new Promise((resolve, reject) => {
    const server = endpoints.serverNet.createServer(onConnection);
    server.once('error', reject);
    server.listen(0, endpoints.serverAddress, () => resolve({ server, port: server.address().port }));
  });
}

function closeServer(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Sends `totalBytes` over one connection in `writeBytes` writes (honouring backpressure) and
 * returns the payload rate seen by the receiver in Gbit/s, from the first write to the last
 * byte read. Stops early, and measures what arrived, once `deadlineSeconds` pass: a run is
 * bounded in time whatever the stack does.
 */
export async function tcpThroughput(endpoints, { totalBytes, writeBytes, deadlineSeconds }) {
  let received = 0;
  let finished;
  const done = new Promise((resolve) => { finished = resolve; });
  const { server, port } = await listen(endpoints, (socket) => {
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received >= totalBytes) finished();
    });
    socket.on('error', () => {});
  });
  const client = endpoints.clientNet.connect(port, endpoints.serverAddress);
  await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  const chunk = Buffer.alloc(writeBytes, 0x5a);
  const start = process.hrtime.bigint();
  let stopped = false;
  const deadline = setTimeout(() => { stopped = true; finished(); }, deadlineSeconds * 1000);
  let sent = 0;
  const write = () => {
    while (!stopped && sent < totalBytes) {
      const length = Math.min(writeBytes, totalBytes - sent);
      sent += length;
      if (!client.write(length === writeBytes ? chunk : chunk.subarray(0, length))) {
        client.once('drain', write);
        return;
      }
    }
  };
  write();
  await done;
  const seconds = secondsSince(start);
  clearTimeout(deadline);
  if (stopped) process.stderr.write(`bench: transfer stopped at its ${deadlineSeconds} s bound after ${received} of ${totalBytes} bytes; the rate is of what arrived\n`);
  client.destroy();
  await closeServer(server);
  return (received * BITS_PER_BYTE) / seconds / BITS_PER_GIGABIT;
}

/**
 * Connection rate: `inFlight` clients at a time each connect, send a `messageBytes` request, read
 * a `messageBytes` reply, and close (the server closes after replying, the client on its end).
 * Returns completed connections per second over `seconds`.
 */
export async function tcpConnectionsPerSecond(endpoints, { inFlight, messageBytes, seconds }) {
  const request = Buffer.alloc(messageBytes, 0x71);
  const reply = Buffer.alloc(messageBytes, 0x72);
  const { server, port } = await listen(endpoints, (socket) => {
    let got = 0;
    socket.on('data', (chunk) => {
      got += chunk.length;
      if (got >= messageBytes) socket.end(reply);
    });
    socket.on('error', () => {});
  });
  let completed = 0;
  let failures = 0;
  let stopping = false;
  const start = process.hrtime.bigint();
  const stopAt = setTimeout(() => { stopping = true; }, seconds * 1000);
  const oneConnection = () => new Promise((resolve) => {
    let got = 0;
    const socket = endpoints.clientNet.connect(port, endpoints.serverAddress, () => socket.write(request));
    socket.on('data', (chunk) => { got += chunk.length; });
    socket.on('end', () => socket.end());
    socket.on('error', () => { failures++; });
    socket.on('close', () => {
      if (got >= messageBytes) completed++;
      resolve();
    });
  });
  const worker = async () => { while (!stopping) await oneConnection(); };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = secondsSince(start);
  clearTimeout(stopAt);
  await closeServer(server);
  if (completed === 0) throw new Error(`no connection completed (${failures} failed)`);
  return completed / elapsed;
}

/**
 * Round trip of a 1-byte echo, one in flight, on one connection: the median of `rounds` round
 * trips in microseconds (after `warmupRounds` that are not counted).
 */
export async function tcpEchoRttMicros(endpoints, { rounds, warmupRounds }) {
  const { server, port } = await listen(endpoints, (socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => {});
  });
  const client = endpoints.clientNet.connect(port, endpoints.serverAddress);
  client.setNoDelay(true);
  await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
  const byte = Buffer.from([0x2a]);
  const samples = [];
  let resolveEcho;
  client.on('data', () => resolveEcho());
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const echoed = new Promise((resolve) => { resolveEcho = resolve; });
    const start = process.hrtime.bigint();
    client.write(byte);
    await echoed;
    if (round >= warmupRounds) samples.push(secondsSince(start) * MICROS_PER_SECOND);
  }
  client.destroy();
  await closeServer(server);
  return median(samples);
}
