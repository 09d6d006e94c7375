// stack.net's errors that the node:net parity table cannot produce on a loopback (they need a
// network that is not there): each with Node's code, errno, syscall, address and port. Under a
// VirtualClock, so ARP's give-up takes no wall time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pair, run, once } from './tcp-pair.mjs';

const fields = (e) => ({ code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port });

test('no route: ENETUNREACH; nobody answers ARP: EHOSTUNREACH; with Node\'s fields', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const noRoute = a.net.connect(80, '10.77.9.9');
  const e1 = await run(clock, once(noRoute, 'error'));
  assert.deepEqual(fields(e1), { code: 'ENETUNREACH', errno: -101, syscall: 'connect', address: '10.77.9.9', port: 80 });
  const nobody = a.net.connect(81, '10.0.0.9');
  const log = [];
  const nobodyClosed = new Promise((resolve) => nobody.on('close', (hadError) => { log.push(`close:${hadError}`); resolve(); }));
  const e2 = await run(clock, once(nobody, 'error'), 60_000);
  assert.deepEqual(fields(e2), { code: 'EHOSTUNREACH', errno: -113, syscall: 'connect', address: '10.0.0.9', port: 81 });
  await run(clock, nobodyClosed);
  assert.deepEqual(log, ['close:true']);
});

test('names: ENOTFOUND without a lookup, a lookup\'s error passed on, IPv6 answers EAFNOSUPPORT, localhost built in', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const unknown = a.net.connect(80, 'nowhere.test');
  const lookups = [];
  unknown.on('lookup', (err, address, family, host) => lookups.push([err?.code, address, family, host]));
  const e1 = await run(clock, once(unknown, 'error'));
  assert.deepEqual([e1.code, e1.errno, e1.syscall, e1.hostname], ['ENOTFOUND', -3008, 'getaddrinfo', 'nowhere.test']);
  assert.deepEqual(lookups, [['ENOTFOUND', undefined, undefined, 'nowhere.test']]);

  const failing = a.net.connect({ port: 80, host: 'x.test', lookup: (h, o, cb) => cb(Object.assign(new Error('no'), { code: 'EAI_AGAIN' })) });
  assert.equal((await run(clock, once(failing, 'error'))).code, 'EAI_AGAIN');
  const six = a.net.connect({ port: 80, host: 'six.test', lookup: (h, o, cb) => cb(null, '2001:db8::1', 6) });
  assert.equal((await run(clock, once(six, 'error'))).code, 'EAFNOSUPPORT');
  assert.equal((await run(clock, once(a.net.connect(80, '2001:db8::1'), 'error'))).code, 'EAFNOSUPPORT');

  a.net.createServer((s) => s.end('local')).listen(7, '127.0.0.1');
  const local = a.net.connect(7, 'localhost');
  const seen = [];
  local.on('lookup', (err, address, family, host) => seen.push([err, address, family, host]));
  local.on('data', (d) => seen.push(String(d)));
  await run(clock, once(local, 'close'));
  assert.deepEqual(seen, [[null, '127.0.0.1', 4, 'localhost'], 'local']);
});

test('port 0 is ECONNREFUSED as on Linux; IPC paths are refused with a clear error', async (t) => {
  const { clock, a, close } = await pair();
  t.after(close);
  const zero = a.net.connect(0, '10.0.0.2');
  assert.deepEqual(fields(await run(clock, once(zero, 'error'))), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '10.0.0.2', port: 0 });
  assert.throws(() => a.net.connect('/tmp/some.sock'), { code: 'ERR_INVALID_ARG_TYPE', message: /IPC/ });
  assert.throws(() => a.net.connect({ path: '/tmp/some.sock' }), { code: 'ERR_INVALID_ARG_TYPE', message: /IPC/ });
  assert.throws(() => a.net.createServer().listen('/tmp/some.sock'), { code: 'ERR_INVALID_ARG_TYPE', message: /IPC/ });
  assert.deepEqual([a.net.isIP('10.0.0.1'), a.net.isIP('::1'), a.net.isIP('x'), a.net.isIPv4('::1'), a.net.isIPv6('::1')], [4, 6, 0, false, true]);
  const { connect } = a.net;
  const s = connect(0, '10.0.0.2');
  assert.equal((await run(clock, once(s, 'error'))).code, 'ECONNREFUSED', 'functions are bound, as node:net\'s');
});
