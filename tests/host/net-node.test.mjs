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
    Socket: net.Socket,
    Server: net.Server,
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
    Socket: a.net.Socket,
    Server: b.net.Server,
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

  async 'destroy mid-write: the writer closes at once, the reader sees the end of a shorter stream'(be) {
    const TOTAL = 64 * 1024 * 1024;
    let serverSide;
    const done = new Promise((resolve) => {
      const server = be.createServer((s) => {
        let got = 0;
        const log = recorder(s, ['end', 'error', 'close']);
        s.on('data', (d) => {
          got += d.length;
          if (!serverSide) { serverSide = { log }; client.destroy(); }
        });
        s.on('close', () => { serverSide.shorter = got < TOTAL; server.close(); resolve(); });
      });
      let client;
      listening(server).then((port) => {
        client = be.connect(port, be.host);
        serverSide = undefined;
        client.on('error', () => {});
        client.write(Buffer.alloc(TOTAL, 1), () => {});
      });
    });
    await done;
    return [serverSide.log, serverSide.shorter];
  },

  async 'EADDRINUSE: a second listen on the same address and port, with Node\'s fields'(be) {
    const first = be.createServer();
    const port = await new Promise((resolve) => first.listen(0, be.host, () => resolve(first.address().port)));
    const second = be.createServer();
    const error = await new Promise((resolve) => {
      second.once('error', resolve);
      second.listen(port, be.host);
    });
    first.close();
    return [error.code, error.errno, error.syscall, error.address === be.host, error.port === port, second.listening];
  },

  async 'ECONNREFUSED carries errno, syscall, address and port'(be) {
    const server = be.createServer();
    const port = await listening(server);
    await new Promise((resolve) => server.close(resolve));
    const error = await new Promise((resolve) => be.connect({ port, host: be.host }).once('error', resolve));
    return [error.code, error.errno, error.syscall, error.address === be.host, error.port === port, error.message === `connect ECONNREFUSED ${be.host}:${port}`];
  },

  async 'argument errors: ports, missing port, setTimeout(Infinity) and non-numbers, as Node throws them'(be) {
    const codes = [];
    const attempt = (fn) => { try { fn(); codes.push('no error'); } catch (e) { codes.push(`${e.name}:${e.code}`); } };
    attempt(() => be.connect(-1, be.host));
    attempt(() => be.connect(65536, be.host));
    attempt(() => be.connect({ host: be.host }));
    attempt(() => be.connect({ port: 80, host: 5 }));
    const server = be.createServer((s) => s.resume());
    const port = await listening(server);
    const c = be.connect(port, be.host);
    await new Promise((resolve) => c.once('connect', resolve));
    attempt(() => c.setTimeout(Infinity));
    attempt(() => c.setTimeout(-1));
    attempt(() => c.setTimeout(NaN));
    attempt(() => c.setTimeout('5'));
    attempt(() => c.setTimeout(10, 'not a function'));
    codes.push(c.timeout);
    c.setTimeout(0);
    codes.push(c.timeout);
    c.destroy();
    server.close();
    return codes;
  },

  async 'timeouts: the connect option arms it, setTimeout(0) disarms it'(be) {
    const server = be.createServer((s) => s.resume());
    const port = await listening(server);
    const c = be.connect({ port, host: be.host, timeout: 40 });
    const log = recorder(c, ['connect', 'timeout']);
    await new Promise((resolve) => c.once('timeout', resolve));
    c.setTimeout(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    log.push(`timeout=${c.timeout}`);
    c.destroy();
    await closed(c);
    server.close();
    return log;
  },

  async 'half-close the other way: the server ends first, an allowHalfOpen client answers after its end'(be) {
    let got = '';
    const serverDone = new Promise((resolve) => {
      const server = be.createServer((s) => {
        s.on('data', (d) => { got += d; });
        s.on('close', () => { server.close(); resolve(); });
        s.end('bye');
      });
      listening(server).then((port) => {
        const c = be.connect({ port, host: be.host, allowHalfOpen: true });
        serverDone.log = recorder(c, ['data', 'end', 'finish', 'close']);
        c.on('end', () => setTimeout(() => c.end('reply after your end'), 20));
      });
    });
    await serverDone;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return [...coalesce(serverDone.log), got];
  },

  async 'server.close() twice: both callbacks, the second with ERR_SERVER_NOT_RUNNING; getConnections counts'(be) {
    const server = be.createServer((s) => s.resume());
    const port = await listening(server);
    const c = be.connect(port, be.host);
    await new Promise((resolve) => server.once('connection', resolve));
    const count = await new Promise((resolve) => server.getConnections((e, n) => resolve(n)));
    let closes = 0;
    server.on('close', () => closes++);
    const first = new Promise((resolve) => server.close((e) => resolve(e?.code ?? 'ok')));
    const second = new Promise((resolve) => server.close((e) => resolve(e?.code ?? 'ok')));
    c.end();
    const results = [await first, await second];
    await new Promise((resolve) => setTimeout(resolve, 20));
    return [count, ...results, closes, server.listening, server.address()];
  },

  async 'maxConnections: a connection past it is closed and the server emits drop'(be) {
    const server = be.createServer((s) => s.resume());
    server.maxConnections = 1;
    const port = await new Promise((resolve) => server.listen(0, be.host, () => resolve(server.address().port)));
    const first = be.connect(port, be.host);
    await new Promise((resolve) => server.once('connection', resolve));
    const dropped = new Promise((resolve) => server.once('drop', resolve));
    const second = be.connect(port, be.host);
    const log = recorder(second, ['connect', 'end', 'error', 'close']);
    let secondPort;
    second.once('connect', () => { secondPort = second.localPort; });
    const info = await dropped;
    await closed(second);
    first.destroy();
    server.close();
    return [log.filter((e) => e !== 'connect'), info.remotePort === secondPort, info.localPort === port, info.remoteFamily, second.localPort];
  },

  async 'a host name goes through the lookup option, with a lookup event; an IP literal has none'(be) {
    const server = be.createServer((s) => s.end('named'));
    const port = await listening(server);
    const lookup = (hostname, options, callback) => {
      // As dns.lookup: the answer comes later (Node asks for all addresses, wasmnet for one).
      setImmediate(() => {
        if (options.all) callback(null, [{ address: be.host, family: 4 }]);
        else callback(null, be.host, 4);
      });
    };
    const c = be.connect({ port, host: 'service.test', lookup });
    const lookups = [];
    c.on('lookup', (error, address, family, host) => lookups.push([error, address === be.host, family, host]));
    const log = recorder(c, ['connect', 'data', 'close']);
    await closed(c);
    const literal = be.connect(port, be.host);
    literal.on('lookup', () => lookups.push('literal looked up'));
    literal.resume();
    await closed(literal);
    server.close();
    return [lookups, coalesce(log)];
  },
  async 'the Socket and Server constructors: with and without new, subclassed, instanceof, connected by hand'(be) {
    class Greeting extends be.Socket {
      greet() { return 'hi'; }
    }
    const greeting = new Greeting();
    const called = be.Socket();
    const record = [
      be.Socket.name, be.Server.name,
      new be.Socket() instanceof be.Socket, called instanceof be.Socket,
      greeting instanceof be.Socket, greeting instanceof Greeting, greeting.greet(),
    ];
    called.destroy();
    greeting.destroy();
    const server = new be.Server((s) => s.end('pong'));
    record.push(server instanceof be.Server);
    const port = await listening(server);
    const c = new be.Socket();
    const log = recorder(c, ['connect', 'data', 'end', 'close']);
    c.connect(port, be.host);
    await closed(c);
    server.close();
    return [...record, coalesce(log)];
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
  'destroy mid-write: the writer closes at once, the reader sees the end of a shorter stream': [['end', 'close:false'], true],
  'EADDRINUSE: a second listen on the same address and port, with Node\'s fields': ['EADDRINUSE', -98, 'listen', true, true, false],
  'ECONNREFUSED carries errno, syscall, address and port': ['ECONNREFUSED', -111, 'connect', true, true, true],
  'argument errors: ports, missing port, setTimeout(Infinity) and non-numbers, as Node throws them': [
    'RangeError:ERR_SOCKET_BAD_PORT', 'RangeError:ERR_SOCKET_BAD_PORT', 'TypeError:ERR_MISSING_ARGS', 'TypeError:ERR_INVALID_ARG_TYPE',
    'RangeError:ERR_OUT_OF_RANGE', 'RangeError:ERR_OUT_OF_RANGE', 'RangeError:ERR_OUT_OF_RANGE', 'TypeError:ERR_INVALID_ARG_TYPE',
    'TypeError:ERR_INVALID_ARG_TYPE', 10, 0],
  'timeouts: the connect option arms it, setTimeout(0) disarms it': ['connect', 'timeout', 'timeout=0'],
  'half-close the other way: the server ends first, an allowHalfOpen client answers after its end':
    ['data:bye', 'end', 'finish', 'close:false', 'reply after your end'],
  'server.close() twice: both callbacks, the second with ERR_SERVER_NOT_RUNNING; getConnections counts': [1, 'ok', 'ERR_SERVER_NOT_RUNNING', 1, false, null],
  'maxConnections: a connection past it is closed and the server emits drop': [['end', 'close:false'], true, true, 'IPv4', undefined],
  'a host name goes through the lookup option, with a lookup event; an IP literal has none':
    [[[null, true, 4, 'service.test']], ['connect', 'data:named', 'close:false']],
  'the Socket and Server constructors: with and without new, subclassed, instanceof, connected by hand':
    ['Socket', 'Server', true, true, true, true, 'hi', true, ['connect', 'data:pong', 'end', 'close:false']],
};

for (const [name, run] of Object.entries(CASES)) {
  test(`net parity: ${name}`, async (t) => {
    const results = {};
    for (const make of [nodeBackend, wasmnetBackend]) {
      const be = await make();
      t.after(() => be.close());
      results[be.name] = await run(be);
    }
    assert.deepEqual(results["node:net"], EXPECTED[name], 'node:net behaves as the table says');
    assert.deepEqual(results.wasmnet, results['node:net'], 'wasmnet behaves as node:net');
  });
}

test('the sockets of every stack, connected or accepted, share one hidden class, which connections do not change', async () => {
  // A class extending Socket per stack gave each stack's sockets their own map, and after a few
  // stacks in one process the socket methods' field accesses went megamorphic (a 1-byte echo up to
  // twice as slow). An address past 2^31 (192.168.x.x) in a field that started as a small integer
  // changed the map of every later socket. %HaveSameMap needs --allow-natives-syntax: a child
  // process checks it.
  const script = `
    import { Stack, MemoryLink } from 'wasmnet';
    const stacks = [];
    for (let i = 1; i <= 3; i++) stacks.push(await Stack.create({ ipv4: '192.168.0.' + i + '/24', seed: i }));
    const link = MemoryLink.connect(stacks[0], stacks[1]);
    const before = new stacks[0].net.Socket();
    const accepted = new Promise((resolve) => stacks[1].net.createServer(resolve).listen(80));
    const client = stacks[0].net.connect(80, '192.168.0.2');
    const peer = await accepted;
    await new Promise((resolve) => setImmediate(resolve));
    const others = [new stacks[1].net.Socket(), stacks[2].net.Socket(), stacks[2].net.connect(81, '192.168.0.9')];
    const servers = stacks.map((s) => s.net.createServer());
    console.log(JSON.stringify([
      client.remoteAddress, peer.remoteAddress, %HaveSameMap(before, others[0]),
      %HaveSameMap(client, peer), ...others.slice(2).map((s) => %HaveSameMap(client, s)),
      %HaveSameMap(others[0], others[1]),
      %HaveSameMap(servers[0], servers[1]), %HaveSameMap(servers[0], new stacks[2].net.Server()),
    ]));
    for (const s of [before, client, peer, ...others]) s.destroy();
    link.close();
    for (const s of stacks) s.close();
  `;
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script],
    { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out.trim().split('\n').pop()),
    ['192.168.0.2', '192.168.0.1', true, true, true, true, true, true]);
});
