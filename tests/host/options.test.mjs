// Stack.create refuses options that cannot work, before the core is initialised, with an error
// naming the option (fault 11): addresses that are no interface address, a gateway that cannot be
// a first hop, group or zero MACs, a clock without the Clock methods, limits out of range or too
// small for one datagram.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, VirtualClock } from 'wasmnet';

const base = () => ({ ipv4: '10.0.0.1/24', clock: new VirtualClock(), seed: 1 });

/** Stack.create(options) rejects with `name`, `code` and a message naming `option`. */
async function refused(options, name, code, option) {
  await assert.rejects(Stack.create({ ...base(), ...options }), (error) => {
    assert.equal(error.name, name, `${JSON.stringify(options)}: ${error.message}`);
    assert.equal(error.code, code, `${JSON.stringify(options)}: ${error.message}`);
    assert.ok(error.message.includes(option), `message names ${option}: ${error.message}`);
    return true;
  });
}

test('ipv4: 0/8, multicast, class E, the broadcast address, loopback and prefix 0 are refused', async () => {
  for (const ipv4 of ['0.0.0.0/0', '0.1.2.3/8', '255.255.255.255/32', '224.0.0.1/24', '239.1.1.1/8', '240.0.0.1/4', '127.0.0.2/8', '10.0.0.1/0', ['10.0.0.1/24', '224.0.0.1/24']]) {
    await refused({ ipv4 }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.ipv4');
  }
  await refused({ ipv4: '10.0.0.1/33' }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.ipv4');
  await refused({ ipv4: 5 }, 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.ipv4');
});

test('gateway: off every connected prefix, or one of our own addresses, is refused; on-link is fine', async () => {
  await refused({ gateway: '192.168.1.1' }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.gateway');
  await refused({ gateway: '10.0.0.1' }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.gateway');
  await refused({ gateway: '10.0.0.254', ipv4: [] }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.gateway');
  await refused({ gateway: '224.0.0.1' }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.gateway');
  const stack = await Stack.create({ ...base(), ipv4: ['192.168.5.2/24', '10.0.0.1/24'], gateway: '10.0.0.254' });
  stack.close();
});

test('mac: all-zero, multicast and broadcast are refused', async () => {
  for (const mac of ['00:00:00:00:00:00', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '03:00:00:00:00:01']) {
    await refused({ mac }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.mac');
  }
  const stack = await Stack.create({ ...base(), mac: '02:00:00:00:00:01' });
  assert.equal(stack.mac, '02:00:00:00:00:01');
  stack.close();
});

test('clock: an object without the Clock methods is refused at create, not later as a trap', async () => {
  await refused({ clock: {} }, 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.clock');
  await refused({ clock: { now: () => 0, setTimer() {} } }, 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.clock');
});

test('limits: not a non-negative integer, beyond the core maximum, or unknown, refused naming the limit', async () => {
  await refused({ limits: { sockets: -1 } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.sockets');
  await refused({ limits: { sockets: 1.5 } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.sockets');
  await refused({ limits: { sockets: 70_000 } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.sockets');
  await refused({ limits: { neighbours: NaN } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.neighbours');
  await refused({ limits: { arpRetryMs: 25 * 3600 * 1000 } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.arpRetryMs');
  await refused({ limits: { eventRingSize: '8' } }, 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.limits.eventRingSize');
  await refused({ limits: { rxQueueSize: 100 } }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.limits.rxQueueSize');
  await refused({ limits: { txQueueSize: 65536 } }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.limits.txQueueSize');
  await refused({ limits: { socketz: 4 } }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.limits');
  await refused({ mtu: 67 }, 'RangeError', 'ERR_OUT_OF_RANGE', 'options.mtu');
});

test('limits.udpRxBytes: too small for one datagram at the MTU (or one default ping reply) is refused', async () => {
  // MTU 1500: the largest UDP payload is 1472 bytes, plus the queue's 16-byte record header.
  await refused({ limits: { udpRxBytes: 1487 } }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.limits.udpRxBytes');
  await refused({ mtu: 576, limits: { udpRxBytes: 563 } }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.limits.udpRxBytes');
  // MTU 68 leaves 40 payload bytes, but a default ping reply carries 56.
  await refused({ mtu: 68, limits: { udpRxBytes: 60 } }, 'TypeError', 'ERR_INVALID_ARG_VALUE', 'options.limits.udpRxBytes');
  // Exactly enough: a largest datagram is received.
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, limits: { udpRxBytes: 1488 } });
  const receiver = stack.dgram.createSocket('udp4');
  const got = new Promise((resolve) => receiver.once('message', (m) => resolve(m.length)));
  await new Promise((resolve) => receiver.bind(7, resolve));
  stack.dgram.createSocket('udp4').send(new Uint8Array(1472), 7, '10.0.0.1');
  await clock.advanceMsAsync(1);
  assert.equal(await got, 1472);
  stack.close();
});
