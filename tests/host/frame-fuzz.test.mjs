// The frame fuzz pass inside `npm test`: 1,000,000 random and mutated Ethernet frames through
// FramePorts into a stack with open sockets and a ping in flight, with virtual time steps between
// batches (tests/fuzz/frame-fuzz.mjs; the long campaign is `node tests/fuzz/frame-fuzz.mjs`).
// No trap, every frame counted exactly once, the pools and the heap back to their baseline, and
// the stack still answers a ping. Then the two holes the campaign found, as exact regressions:
// frames from the wire addressed to 127/8, and frames from the wire carrying our own address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, FramePort } from 'wasmnet';
import {
  fuzzFrames, accounting, ACCEPTED, DROPPED, ethernet, ipv4, udp, icmp, checksum, pingPayload,
  OUR_IP, PEER_IP, PEER_MAC, PORTS, ETHERTYPE_IPV4, PROTO_UDP, PROTO_ICMP,
} from '../fuzz/frame-fuzz.mjs';

const FRAMES = 1_000_000;

test(`${FRAMES} fuzzed frames into a stack with open sockets: no trap, every frame counted once, pools back to baseline`, async () => {
  const r = await fuzzFrames({ frames: FRAMES, seed: 0xf00d });
  assert.equal(r.failed, null);
  assert.equal(r.frames, FRAMES);
  assert.ok(r.mutated > FRAMES / 3 && r.trusted > FRAMES / 5, `mutated ${r.mutated}, trusted ${r.trusted}`);
  // fuzzFrames checked both identities after every batch; here they are once more at the end:
  // frames that reached the core == accepted + dropped, each once (txNoRoute is not among the
  // drops: it counts answers the stack could not send, not frames it received) ...
  const { stats } = r;
  const a = accounting(stats, r.afterCampaign.sent);
  assert.equal(a.reachedCore, a.accounted);
  // ... and frames the ports sent == frames that reached the core from the device (rxFrames minus
  // the stack's own looped-back frames) + frames the NIC refused.
  assert.equal(a.sent, stats.rxFrames - stats.loopbackFrames + stats.rxNoBuffer + stats.rxOversize);
  assert.ok(a.sent >= FRAMES);
  // An oversized frame reaches the core as an empty buffer and is counted there as a device error.
  assert.equal(stats.rxDropDeviceError, stats.rxOversize);
  // The corpus reaches every accepting path and every drop reason.
  for (const name of [...ACCEPTED, ...DROPPED, 'rxNoBuffer', 'rxOversize', 'loopbackFrames']) {
    assert.ok(stats[name] > 0, `${name} never counted: the fuzzer does not reach it`);
  }
  // And every limit and timer: ARP give-ups, evictions, pending drops, the unreachable rate limit.
  for (const name of ['arpGiveUps', 'arpEvictions', 'arpPendingDropped', 'icmpUnreachableRateLimited', 'icmpEchoAnswered', 'icmpUnreachableSent']) {
    assert.ok(stats[name] > 0, `${name} never counted`);
  }
  // The sockets and the ping kept working through it, and 127.0.0.1 was never reachable from the wire.
  for (const name of ['wildcard', 'ownAddress', 'localhost', 'broadcast', 'connected', 'errors']) assert.ok(r.got[name] > 0, `${name}: ${JSON.stringify(r.got)}`);
  assert.equal(r.got.localhostFromWire, 0, 'a socket bound to 127.0.0.1 received a datagram from the wire');
  assert.ok(r.pings.resolved > 0 && r.pings.rejected > 0, JSON.stringify(r.pings));

  // Every socket closed: the heap top and the memory size never moved, and no slot is left in use
  // (stack.ping holds its ICMP socket only while a ping is in flight).
  assert.deepEqual(r.memoryAfter, r.baseline.memory);
  assert.equal(r.baseline.sockets, 0);
  assert.deepEqual(r.reportAfterClose.sockets.map((s) => [s.kind, s.state, s.rxQueuedDatagrams, s.rxQueuedBytes]), []);
  assert.equal(r.reportAfterClose.failed, null);

  // The stack still answers a ping from 10.0.0.1: one echo reply with our identifier, sequence,
  // data and valid checksums.
  const replies = r.replies.filter((f) => f.length >= 42 && f[12] === 0x08 && f[13] === 0x00 && f[23] === PROTO_ICMP);
  assert.equal(replies.length, 1);
  const reply = replies[0];
  const ip = reply.subarray(14);
  const totalLength = (ip[2] << 8) | ip[3];
  assert.equal(checksum(ip, 0, 20), 0, 'IPv4 header checksum');
  assert.equal(checksum(ip, 20, totalLength), 0, 'ICMP checksum');
  assert.deepEqual([...ip.subarray(12, 20)], [10, 0, 0, 2, 10, 0, 0, 1]);
  assert.deepEqual([...ip.subarray(20, 28)].filter((_, i) => i !== 2 && i !== 3), [0, 0, 0x42, 0x42, 0x00, 0x01]);
  assert.deepEqual(ip.subarray(28, totalLength), pingPayload(7, 32));
});

// With segmentation offload every receive buffer holds 64 KiB: fuzzed frames longer than the MTU
// now reach the core, which must drop each unless it is marked as a large TCP segment and count it;
// about one frame in twenty is such a marked segment (up to 64 KiB of TCP, often damaged, with
// claimed segment sizes from 0 to 65,535), written into the receive ring as an offload link does.
test('200000 fuzzed frames into a stack with segmentation offload, some marked as large TCP segments: unmarked frames above the MTU dropped and counted (rxDropOversize), marked ones taken whole, no trap, pools back to baseline', async () => {
  const r = await fuzzFrames({ frames: 200_000, seed: 0x7505, segmentationOffload: true });
  assert.equal(r.failed, null);
  const { stats } = r;
  const a = accounting(stats, r.afterCampaign.sent);
  assert.equal(a.reachedCore, a.accounted);
  assert.equal(a.sent, a.nicTotal);
  assert.ok(stats.rxDropOversize > 0, 'frames between the MTU and 64 KiB reached the core and were dropped');
  assert.ok(r.marked.delivered > 5000, `marked large segments delivered: ${r.marked.delivered}`);
  // Marked segments to the stack's address with intact checksums reach TCP, which answers with RST
  // (nothing listens): the large ones were parsed whole, not dropped as oversize.
  assert.ok(stats.tcpSegmentsReceived > 1000, `TCP segments received: ${stats.tcpSegmentsReceived}`);
  assert.ok(stats.tcpResetsSent > 1000, `RSTs sent: ${stats.tcpResetsSent}`);
  assert.deepEqual(r.memoryAfter, r.baseline.memory);
  assert.deepEqual(r.reportAfterClose.sockets.map((s) => [s.kind, s.state, s.rxQueuedDatagrams, s.rxQueuedBytes]), []);
});

test('the counters add up after every single frame (20,000 fuzzed frames, one per batch)', async () => {
  // Batches of one frame: fuzzFrames checks both identities after each, so a frame counted twice
  // or not at all fails right at that frame.
  const r = await fuzzFrames({ frames: 20_000, seed: 0xbeef, maxBatch: 1 });
  assert.equal(r.batches, 20_000);
  assert.equal(r.failed, null);
  assert.equal(r.finalCheck.reachedCore, r.finalCheck.accounted);
  assert.equal(r.finalCheck.sent, r.finalCheck.nicTotal);
});

/** A stack (10.0.0.2/24) on a FramePort playing 10.0.0.1, with a wildcard UDP echo server on port 7. */
async function stackOnPort() {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 3 });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(port, stack);
  const out = [];
  port.onFrame = (f) => out.push(f);
  const echoed = [];
  const echo = stack.dgram.createSocket('udp4', (msg, rinfo) => {
    echoed.push(rinfo);
    // Bounded, so a stack that answers itself fails the test instead of looping forever.
    if (echoed.length < 100) echo.send(msg, rinfo.port, rinfo.address);
  });
  echo.bind(PORTS.wildcard);
  await clock.advanceMsAsync(1);
  const mac = stack.mac.split(':').map((h) => parseInt(h, 16));
  const send = (src, dst, payload, protocol = PROTO_UDP) => port.send(ethernet(mac, PEER_MAC, ETHERTYPE_IPV4, ipv4(src, dst, protocol, payload)));
  const close = () => { echo.close(); stack.close(); link.close(); };
  return { clock, stack, port, out, echoed, send, close };
}

test('from the wire, 127/8 is no address of ours: a socket bound to 127.0.0.1 is reachable from this host only', async () => {
  const { clock, stack, out, send, close } = await stackOnPort();
  const local = [];
  const socket = stack.dgram.createSocket('udp4', (msg, rinfo) => local.push([new TextDecoder().decode(msg), rinfo.address]));
  socket.bind(PORTS.localhost, '127.0.0.1');
  await clock.advanceMsAsync(1);
  const before = stack.stats();
  // RFC 1122 3.2.1.3(g): 127/8 never appears outside a host; Linux drops these as martians.
  send(PEER_IP, 0x7f000001, udp(PEER_IP, 0x7f000001, 40000, PORTS.localhost, Uint8Array.of(1, 2, 3)));
  send(PEER_IP, 0x7f000001, udp(PEER_IP, 0x7f000001, 40000, PORTS.wildcard, Uint8Array.of(4, 5)));
  send(PEER_IP, 0x7f000005, icmp(8, 0, 0x12340001, Uint8Array.of(6)), PROTO_ICMP);
  await clock.advanceMsAsync(10);
  assert.deepEqual(local, []);
  const after = stack.stats();
  assert.equal(after.ipDropNotForUs - before.ipDropNotForUs, 3);
  assert.equal(after.udpDelivered, before.udpDelivered);
  assert.equal(after.icmpEchoRequests, before.icmpEchoRequests);
  assert.equal(out.length, 0, 'no answer, not even port unreachable');
  // From this host it still works.
  const client = stack.dgram.createSocket('udp4');
  client.send('from here', PORTS.localhost, '127.0.0.1');
  await clock.advanceMsAsync(1);
  assert.equal(local.length, 1);
  assert.equal(local[0][0], 'from here');
  assert.equal(local[0][1], '127.0.0.1');
  client.close();
  socket.close();
  close();
});

test('from the wire, a packet with our own source address is dropped: it cannot make the stack talk to itself', async () => {
  const { clock, stack, out, echoed, send, close } = await stackOnPort();
  const before = stack.stats();
  // Spoofed 10.0.0.2:7 -> 10.0.0.2:7: answered, the echo service's reply would loop back to itself
  // forever. An echo request from our own address would be answered to ourselves.
  send(OUR_IP, OUR_IP, udp(OUR_IP, OUR_IP, PORTS.wildcard, PORTS.wildcard, Uint8Array.of(1)));
  send(OUR_IP, OUR_IP, icmp(8, 0, 0x12340001, Uint8Array.of(2)), PROTO_ICMP);
  send(OUR_IP, OUR_IP, udp(OUR_IP, OUR_IP, 40000, 9, Uint8Array.of(3)));
  await clock.advanceMsAsync(10);
  const after = stack.stats();
  assert.equal(after.ipDropMartianSource - before.ipDropMartianSource, 3);
  assert.equal(after.loopbackFrames, before.loopbackFrames, 'nothing looped back');
  assert.deepEqual(echoed, []);
  assert.equal(out.length, 0);
  // The same datagram from 10.0.0.1 is echoed as usual (after ARP for 10.0.0.1).
  send(PEER_IP, OUR_IP, udp(PEER_IP, OUR_IP, 40000, PORTS.wildcard, Uint8Array.of(1)));
  await clock.advanceMsAsync(10);
  assert.deepEqual(echoed.map((r) => [r.address, r.port]), [['10.0.0.1', 40000]]);
  close();
});
