// Issue 6, "events cannot be lost": an owner that registers for a socket after the event ring's
// entry for it was drained (later: a TCP connection accepted in the same poll as its first data)
// still hears it, because registering checks the owner once. Driven through the stack's session
// (internal), the way the coming net API will open and adopt core sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock } from 'wasmnet';

/** bindings/layout.ts SOCKET_KIND_UDP (the package does not export the layout). */
const SOCKET_KIND_UDP = 1;
const PORT = 7000;
const ANY = 0;
/** bindings/layout.ts RESULT_LENGTH: where socketRecv puts the length in the result block. */
const RESULT_LENGTH = 8;

test('an owner registered after its socket\'s readable event was drained still hears the datagram', async (t) => {
  const clock = new VirtualClock();
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1 });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2 });
  const link = MemoryLink.connect(a, b);
  t.after(() => { a.close(); b.close(); link.close(); });

  const session = a.session;
  const handle = session.openSocket(SOCKET_KIND_UDP, 'socket');
  assert.equal(session.socketBind(handle, ANY, PORT), 0);
  const sender = b.dgram.createSocket('udp4');
  sender.send('early', PORT, '10.0.0.1');
  // a polls, queues the datagram and drains the ring: nobody owns the handle yet.
  await clock.advanceMsAsync(10);
  assert.ok(a.stats().udpDelivered >= 1, 'the datagram reached the socket');

  const heard = [];
  const owner = {
    check() {
      for (;;) {
        const ptr = session.socketRecv(handle);
        if (ptr < 0) return;
        const length = session.resultView().getUint32(RESULT_LENGTH, true);
        heard.push(new TextDecoder().decode(session.memoryBytes.subarray(ptr, ptr + length)));
        session.socketRecvDone(handle);
      }
    },
    onStackGone() {},
  };
  session.register(handle, owner);
  assert.deepEqual(heard, [], 'not from inside register itself');
  await Promise.resolve();
  assert.deepEqual(heard, ['early']);
  sender.close();
  session.closeSocket(handle);
});
