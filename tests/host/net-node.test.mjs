// One table of node:net behaviours, asserted the same way against Node's own net over 127.0.0.1
// and against wasmnet's stack.net between two stacks on a MemoryLink: what each case records
// (events in order, data, error codes) must be equal, and must be what the case expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Stack, MemoryLink } from 'wasmnet';

/** Node's own sockets over the kernel's loopback. */
async function nodeBackend() {
  return {
    name: 'node:net',
    host: '127.0.0.1',
    createServer: (...args) => net.createServer(...args),
    connect: (...args) => net.connect(...args),
    close() {},
  };
}

/** wasmnet: the server on stack b, the client on stack a (RealClock). */
async function wasmnetBackend() {
  const a = await Stack.create({ ipv4: '10.0.0.1/24', seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', seed: 2 });
  const link = MemoryLink.connect(a, b);
  return {
    name: 'wasmnet',
    host: '10.0.0.2',
    createServer: (...args) => b.net.createServer(...args),
    connect: (...args) => a.net.connect(...args),
    close() { a.close(); b.close(); link.close(); },
  };
}

const listening = (server) => new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, () => resolve(server.address().port));
});
const closed = (emitter) => new Promise((resolve) => emitter.once('close', resolve));

/** Records the events a socket emits, in order (data as its text). */
function recorder(socket, events = ['connect', 'ready', 'data', 'end', 'finish', 'close', 'error', 'timeout']) {
  const log = [];
  for (const e of events) {
    socket.on(e, (arg) => {
      if (e === 'data') log.push(`data:${arg}`);
      else if (e === 'error') log.push(`error:${arg.code}`);
      else if (e === 'close') log.push(`close:${arg}`);
      else log.push(e);
    });
  }
  return log;
}

/** Merges consecutive data entries (how a stream splits data is not part of the contract). */
const coalesce = (log) => log.reduce((out, e) => {
  if (e.startsWith('data:') && out.length > 0 && out[out.length - 1].startsWith('data:')) {
    out[out.length - 1] += e.slice(5);
  } else {
    out.push(e);
  }
  return out;
}, []);

const CASES = {
  async 'client writes and ends; the server echoes and ends: events in order'(be) {
    const server = be.createServer((s) => s.pipe(s));
    const port = await listening(server);
    const c = be.connect(port, be.host);
    const log = recorder(c);
    c.end('ping');
    await closed(c);
    server.close();
    return coalesce(log);
  },

  async 'allowHalfOpen server answers after the client ended'(be) {
    const server = be.createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('end', () => setTimeout(() => s.end(`late:${got}`), 20));
    });
    const port = await listening(server);
    const c = be.connect({ port, host: be.host });
    const log = recorder(c);
    c.end('question');
    await closed(c);
    server.close();
    return coalesce(log);
  },

  async 'connect to a closed port: ECONNREFUSED, then close with hadError'(be) {
    const server = be.createServer();
    const port = await listening(server);
    await new Promise((resolve) => server.close(resolve));
    const c = be.connect(port, be.host);
    const log = recorder(c);
    await closed(c);
    return log;
  },

  async 'resetAndDestroy: the peer gets ECONNRESET'(be) {
    let serverLog;
    const serverClosed = new Promise((resolve) => {
      const server = be.createServer((s) => {
        serverLog = recorder(s, ['end', 'error', 'close']);
        s.on('close', () => { server.close(); resolve(); });
      });
      listening(server).then((port) => {
        const c = be.connect(port, be.host, () => setTimeout(() => c.resetAndDestroy(), 20));
      });
    });
    await serverClosed;
    return serverLog;
  },

  async 'write after end is ERR_STREAM_WRITE_AFTER_END'(be) {
    const server = be.createServer((s) => s.resume());
    const port = await listening(server);
    const c = be.connect(port, be.host);
    await new Promise((resolve) => c.once('connect', resolve));
    const emitted = new Promise((resolve) => c.once('error', (e) => resolve(e.code)));
    const gone = closed(c);
    c.end();
    const error = await new Promise((resolve) => c.write('more', resolve));
    const code = await emitted;
    await gone;
    server.close();
    return [error?.code, code];
  },

  async 'address(), remote and local fields, bytes counted both ways'(be) {
    const server = be.createServer((s) => s.end('0123456789'));
    const port = await listening(server);
    const c = be.connect(port, be.host);
    const fields = new Promise((resolve) => c.once('connect', () => resolve([
      c.remotePort === port, c.remoteFamily, typeof c.localPort, c.address().family, typeof c.address().port,
      c.remoteAddress === be.host,
    ])));
    c.resume();
    c.end('abc');
    await closed(c);
    server.close();
    return [...await fields, c.bytesRead, c.bytesWritten];
  },

  async 'server.close() waits for its connections; close callback after the last one'(be) {
    const order = [];
    let peer;
    const server = be.createServer((s) => { peer = s; s.resume(); });
    const port = await listening(server);
    const c = be.connect(port, be.host);
    await new Promise((resolve) => c.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const done = new Promise((resolve) => server.close(() => { order.push('server closed'); resolve(); }));
    setTimeout(() => { order.push('client ends'); c.end(); }, 30);
    await done;
    return [...order, peer !== undefined];
  },

  async 'setTimeout: timeout fires on an idle socket, which stays open'(be) {
    const server = be.createServer((s) => s.resume());
    const port = await listening(server);
    const c = be.connect(port, be.host);
    const log = recorder(c, ['timeout', 'close']);
    c.setTimeout(50);
    await new Promise((resolve) => c.once('timeout', resolve));
    const open = !c.destroyed;
    c.destroy();
    await closed(c);
    server.close();
    return [...log, open];
  },

  async 'backpressure: write() returns false when the peer does not read, then drain once it does'(be) {
    let peer;
    const accepted = new Promise((resolve) => {
      const server = be.createServer((s) => { peer = s; s.pause(); resolve(server); });
      listening(server).then((port) => { c = be.connect(port, be.host); });
    });
    let c;
    const server = await accepted;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let writes = 0;
    while (c.write(chunk)) {
      writes++;
      if (writes > 10_000) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const blocked = writes < 10_000;
    const drained = new Promise((resolve) => c.once('drain', () => resolve(true)));
    peer.resume();
    const gotDrain = await drained;
    c.destroy();
    peer.destroy();
    server.close();
    return [blocked, gotDrain];
  },
};

const EXPECTED = {
  'client writes and ends; the server echoes and ends: events in order':
    ['connect', 'ready', 'finish', 'data:ping', 'end', 'close:false'],
  'allowHalfOpen server answers after the client ended':
    ['connect', 'ready', 'finish', 'data:late:question', 'end', 'close:false'],
  'connect to a closed port: ECONNREFUSED, then close with hadError':
    ['error:ECONNREFUSED', 'close:true'],
  'resetAndDestroy: the peer gets ECONNRESET': ['error:ECONNRESET', 'close:true'],
  'write after end is ERR_STREAM_WRITE_AFTER_END': ['ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_WRITE_AFTER_END'],
  'address(), remote and local fields, bytes counted both ways': [true, 'IPv4', 'number', 'IPv4', 'number', true, 10, 3],
  'server.close() waits for its connections; close callback after the last one': ['client ends', 'server closed', true],
  'setTimeout: timeout fires on an idle socket, which stays open': ['timeout', 'close:false', true],
  'backpressure: write() returns false when the peer does not read, then drain once it does': [true, true],
};

for (const [name, run] of Object.entries(CASES)) {
  test(`net parity: ${name}`, async (t) => {
    const results = {};
    for (const make of [nodeBackend, wasmnetBackend]) {
      const be = await make();
      t.after(() => be.close());
      results[be.name] = await run(be);
    }
    assert.deepEqual(results['node:net'], EXPECTED[name], 'node:net behaves as the table says');
    assert.deepEqual(results.wasmnet, results['node:net'], 'wasmnet behaves as node:net');
  });
}
