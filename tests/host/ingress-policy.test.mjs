// What the interface refuses to answer, deliver or learn, on frames crafted by hand through a
// FramePort (issue 6, faults 8, 9, 10 and the counter names of 13): martian sources (RFC 1122
// 3.2.1.3), malformed IP options, ARP senders no host can be, ICMP errors RFC 1122 3.2.2 forbids,
// and the quote an ICMP error carries (RFC 1812 4.3.2.3). Each test asserts on the frames the stack
// puts on the link and on the counter that names the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, MemoryLink, VirtualClock, FramePort, parseIpv4 } from 'wasmnet';
import {
  ethernet, arp, ipv4, udp, icmp, checksum, OUR_IP, PEER_IP, PEER_MAC, ETHERTYPE_IPV4, ETHERTYPE_ARP,
  PROTO_ICMP, PROTO_UDP,
} from '../fuzz/frame-fuzz.mjs';

const ETH_HEADER = 14;
const IPV4_HEADER = 20;
const ICMP_HEADER = 8;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const ECHO_REQUEST = 8;
const ECHO_REPLY = 0;
const DEST_UNREACHABLE = 3;
const PORT_UNREACHABLE = 3;
const PROTOCOL_UNREACHABLE = 2;
const TIMESTAMP_REQUEST = 13;
const BROADCAST_MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const ZERO_MAC = [0, 0, 0, 0, 0, 0];
/** RFC 791 3.1 / RFC 1812 4.3.2.3: an ICMP error stays within 576 bytes. */
const ICMP_ERROR_MAX_DATAGRAM = 576;
const CLOSED_PORT = 9;
const ECHO_PORT = 7;
const ip = (text) => parseIpv4(text);
/** Sources that name no host (RFC 1122 3.2.1.3): multicast, class E, limited broadcast, 0/8. */
const MARTIANS = ['224.0.0.5', '239.1.2.3', '240.0.0.1', '255.255.255.254', '255.255.255.255', '0.1.2.3', '10.0.0.255'];

const bytes = (f, at, n) => Array.from(f.subarray(at, at + n));
const get16 = (f, at) => (f[at] << 8) | f[at + 1];

/** The IPv4 frames the stack sent, parsed down to what the tests look at. */
function ipv4Out(frames) {
  return frames.filter((f) => get16(f, 12) === ETHERTYPE_IPV4).map((f) => {
    const p = f.subarray(ETH_HEADER);
    const headerLen = (p[0] & 0x0f) * 4;
    const totalLen = get16(p, 2);
    return {
      dstMac: bytes(f, 0, 6), headerLen, totalLen, protocol: p[9],
      src: bytes(p, 12, 4).join('.'), dst: bytes(p, 16, 4).join('.'),
      headerOk: checksum(p, 0, headerLen) === 0,
      transport: p.subarray(headerLen, totalLen),
    };
  });
}

function arpOut(frames) {
  return frames.filter((f) => get16(f, 12) === ETHERTYPE_ARP).map((f) => ({
    dstMac: bytes(f, 0, 6), op: get16(f, 20), tpa: bytes(f, 38, 4).join('.'),
  }));
}

/**
 * A stack 10.0.0.2/24 (gateway 10.0.0.1, so an answer to any source has a way out) on a FramePort
 * playing 10.0.0.1, which it has already learned; a UDP echo socket on port 7.
 */
async function setup({ mtu } = {}) {
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', gateway: '10.0.0.1', clock, seed: 7, mtu });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(port, stack, { mtu: mtu ?? 1500 });
  const mac = stack.mac.split(':').map((h) => parseInt(h, 16));
  let out = [];
  port.onFrame = (f) => out.push(f);
  const received = [];
  const echo = stack.dgram.createSocket('udp4', (msg, rinfo) => received.push({ msg: [...msg], address: rinfo.address, port: rinfo.port }));
  echo.bind(ECHO_PORT);
  // 10.0.0.1 asks for us: we learn it (RFC 826) and answer.
  port.send(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REQUEST, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP)));
  await clock.advanceMsAsync(1);
  assert.equal(arpOut(out).filter((a) => a.op === ARP_REPLY).length, 1);
  out = [];
  const step = async () => { await clock.advanceMsAsync(1); const got = out; out = []; return got; };
  /** An IPv4 frame from 10.0.0.1's MAC; `ethDst` defaults to ours. */
  const sendIp = (src, dst, protocol, payload, { ethDst = mac, ...options } = {}) =>
    port.send(ethernet(ethDst, PEER_MAC, ETHERTYPE_IPV4, ipv4(src, dst, protocol, payload, options)));
  const sendUdp = (src, dst, srcPort, dstPort, data, options) => sendIp(src, dst, PROTO_UDP, udp(src, dst, srcPort, dstPort, data), options);
  const sendArp = (frame) => port.send(frame);
  const close = () => { echo.close(); stack.close(); link.close(); };
  return { clock, stack, mac, step, sendIp, sendUdp, sendArp, received, close };
}

const diff = (after, before, name) => after[name] - before[name];

test('martian sources get no echo reply, no delivery and no port unreachable, each counted as ipDropMartianSource', async () => {
  const { stack, step, sendIp, sendUdp, received, close } = await setup();
  const before = stack.stats();
  for (const src of MARTIANS.map(ip)) {
    sendIp(src, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x12340001, Uint8Array.of(1, 2, 3)));
    sendUdp(src, OUR_IP, 5000, ECHO_PORT, Uint8Array.of(4));
    sendUdp(src, OUR_IP, 5000, CLOSED_PORT, Uint8Array.of(5));
  }
  const out = await step();
  assert.deepEqual(out, [], 'nothing sent: no echo reply, no port unreachable, not even ARP');
  assert.deepEqual(received, []);
  const after = stack.stats();
  // 0.0.0.0 is left out above: UDP from it is legal (next test). The rest are martian each time.
  assert.equal(diff(after, before, 'ipDropMartianSource'), MARTIANS.length * 3);
  assert.equal(diff(after, before, 'ipDropMalformed'), 0, 'well formed: not counted as malformed');
  assert.equal(diff(after, before, 'icmpEchoRequests'), 0);
  assert.equal(diff(after, before, 'udpDropNoSocket'), 0);
  // The same from a real host is answered, so the drops above are the policy, not the setup.
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x12340001, Uint8Array.of(1, 2, 3)));
  const replies = ipv4Out(await step());
  assert.equal(replies.length, 1);
  assert.equal(replies[0].transport[0], ECHO_REPLY);
  close();
});

test('0.0.0.0 reaches a bound UDP socket (DHCP) but gets no ICMP: no echo reply, no port unreachable', async () => {
  const { stack, step, sendIp, sendUdp, received, close } = await setup();
  const dhcp = stack.dgram.createSocket('udp4');
  const offers = [];
  dhcp.on('message', (msg, rinfo) => offers.push({ address: rinfo.address, port: rinfo.port, msg: [...msg] }));
  dhcp.bind(67);
  await step();
  const before = stack.stats();
  // A DHCPDISCOVER-shaped datagram: 0.0.0.0:68 -> 255.255.255.255:67, Ethernet broadcast (RFC 2131 4.1).
  sendUdp(0, 0xffffffff, 68, 67, Uint8Array.of(1, 1, 6, 0), { ethDst: BROADCAST_MAC });
  // To our address as well, on the echo socket.
  sendUdp(0, OUR_IP, 68, ECHO_PORT, Uint8Array.of(9));
  // To a closed port: no port unreachable to 0.0.0.0, counted as suppressed.
  sendUdp(0, OUR_IP, 68, CLOSED_PORT, Uint8Array.of(7));
  // An echo request from 0.0.0.0 is martian: it cannot be answered.
  sendIp(0, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x12340001, Uint8Array.of(1)));
  const out = await step();
  assert.deepEqual(offers, [{ address: '0.0.0.0', port: 68, msg: [1, 1, 6, 0] }]);
  assert.deepEqual(received.map((r) => [r.address, r.port, r.msg]), [['0.0.0.0', 68, [9]]]);
  const after = stack.stats();
  assert.equal(diff(after, before, 'udpDelivered'), 2);
  assert.equal(diff(after, before, 'udpDropNoSocket'), 1);
  assert.equal(diff(after, before, 'icmpErrorsSuppressed'), 1);
  assert.equal(diff(after, before, 'icmpUnreachableSent'), 0);
  assert.equal(diff(after, before, 'ipDropMartianSource'), 1, 'the echo request');
  assert.equal(diff(after, before, 'icmpEchoAnswered'), 0);
  // The echo socket did not answer (received is the socket's log, not an echo service), so the
  // link stays silent.
  assert.deepEqual(out, []);
  dhcp.close();
  close();
});

test('echo requests with malformed IP options are dropped (ipDropBadOptions); well-formed ones are answered without options', async () => {
  const { stack, step, sendIp, close } = await setup();
  const echo = (options) => sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x4242_0001, Uint8Array.of(1, 2, 3, 4)), { options });
  const before = stack.stats();
  const malformed = [
    [7, 0, 0, 0], // record route with length 0
    [7, 1, 0, 0], // length 1
    [68, 12, 5, 0], // timestamp running 8 bytes past a 4-byte option area
    [1, 1, 1, 7], // a type whose length octet would be past the header
    [148, 4, 0, 0, 7, 9, 4, 0], // router alert, then record route running past the header
  ];
  for (const options of malformed) echo(options);
  assert.deepEqual(await step(), []);
  let after = stack.stats();
  assert.equal(diff(after, before, 'ipDropBadOptions'), malformed.length);
  assert.equal(diff(after, before, 'icmpEchoRequests'), 0);
  assert.equal(diff(after, before, 'ipDropMalformed'), 0);
  // Record route (NOP, RR length 7, pointer 4, one empty slot) as `ping -R` sends it: answered.
  // RFC 1122 3.2.2.6 only recommends echoing it; this stack's reply carries no options.
  echo([1, 7, 7, 4, 0, 0, 0, 0]);
  const replies = ipv4Out(await step());
  assert.equal(replies.length, 1);
  assert.equal(replies[0].headerLen, IPV4_HEADER);
  assert.ok(replies[0].headerOk);
  assert.equal(replies[0].transport[0], ECHO_REPLY);
  assert.deepEqual(bytes(replies[0].transport, 4, 8), [0x42, 0x42, 0, 1, 1, 2, 3, 4]);
  after = stack.stats();
  assert.equal(diff(after, before, 'icmpEchoAnswered'), 1);
  close();
});

test('ARP with a broadcast, multicast, zero or our own sender MAC is not answered, not learned, counted as arpDropBadSender', async () => {
  const { stack, mac, step, sendArp, close } = await setup();
  const asker = ip('10.0.0.9');
  const before = stack.stats();
  for (const sha of [BROADCAST_MAC, [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], [0x33, 0x33, 0, 0, 0, 1], ZERO_MAC, mac]) {
    sendArp(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REQUEST, sha, asker, ZERO_MAC, OUR_IP)));
    // The reply form (unicast to us) is refused the same way.
    sendArp(ethernet(mac, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REPLY, sha, asker, mac, OUR_IP)));
  }
  // A probe (sender 0.0.0.0, RFC 5227) from a broadcast MAC would be answered to everyone.
  sendArp(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REQUEST, BROADCAST_MAC, 0, ZERO_MAC, OUR_IP)));
  assert.deepEqual(await step(), [], 'no ARP reply to any of them');
  const after = stack.stats();
  assert.equal(diff(after, before, 'arpDropBadSender'), 11);
  assert.equal(diff(after, before, 'arpDropMalformed'), 0, 'well formed: not counted as malformed');
  assert.equal(diff(after, before, 'arpRequestsAnswered'), 0);
  assert.equal(diff(after, before, 'arpReceived'), 0);
  // Not learned: a datagram to 10.0.0.9 makes the stack ask for it (broadcast ARP request)
  // instead of sending it to one of the MACs above.
  const client = stack.dgram.createSocket('udp4');
  client.send('hi', CLOSED_PORT, '10.0.0.9');
  const out = await step();
  assert.deepEqual(arpOut(out).map((a) => [a.op, a.tpa, a.dstMac]), [[ARP_REQUEST, '10.0.0.9', BROADCAST_MAC]]);
  assert.equal(ipv4Out(out).length, 0);
  client.close();
  close();
});

test('ARP from another MAC claiming our address is an address conflict: counted, not answered, not learned', async () => {
  const { stack, mac, step, sendArp, sendIp, close } = await setup();
  const other = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
  const before = stack.stats();
  // A gratuitous ARP for 10.0.0.2 from another host, and a request from "10.0.0.2" for 10.0.0.1.
  sendArp(ethernet(BROADCAST_MAC, other, ETHERTYPE_ARP, arp(ARP_REQUEST, other, OUR_IP, ZERO_MAC, OUR_IP)));
  sendArp(ethernet(mac, other, ETHERTYPE_ARP, arp(ARP_REPLY, other, OUR_IP, mac, OUR_IP)));
  sendArp(ethernet(BROADCAST_MAC, other, ETHERTYPE_ARP, arp(ARP_REQUEST, other, OUR_IP, ZERO_MAC, PEER_IP)));
  assert.deepEqual(await step(), []);
  const after = stack.stats();
  assert.equal(diff(after, before, 'arpAddressConflicts'), 3);
  assert.equal(diff(after, before, 'arpDropMalformed'), 0);
  assert.equal(diff(after, before, 'arpDropBadSender'), 0);
  // We still answer pings to 10.0.0.2 from 10.0.0.1 at 10.0.0.1's MAC: nothing was re-learned.
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(ECHO_REQUEST, 0, 0x00010001, Uint8Array.of(1)));
  const replies = (await step()).filter((f) => get16(f, 12) === ETHERTYPE_IPV4);
  assert.equal(replies.length, 1);
  assert.deepEqual(bytes(replies[0], 0, 6), PEER_MAC);
  close();
});

/** The ICMP errors in `out`: their IP total length, type, code and the bytes they quote. */
function icmpErrors(out) {
  return ipv4Out(out).filter((p) => p.protocol === PROTO_ICMP && p.transport[0] === DEST_UNREACHABLE).map((p) => ({
    totalLen: p.totalLen, code: p.transport[1], dst: p.dst,
    checksumOk: checksum(p.transport, 0, p.transport.length) === 0,
    quote: p.transport.subarray(ICMP_HEADER),
  }));
}

test('a port unreachable quotes what fits min(576, MTU): at MTU 400 it is sent (it was not), at 1500 it stops at 576 bytes', async () => {
  for (const mtu of [400, 1500]) {
    const { stack, step, sendUdp, close } = await setup({ mtu });
    const before = stack.stats();
    const dataLen = mtu - IPV4_HEADER - 8; // a datagram that fills the MTU
    const data = Uint8Array.from({ length: dataLen }, (_, i) => i & 0xff);
    sendUdp(PEER_IP, OUR_IP, 40000, CLOSED_PORT, data);
    const errors = icmpErrors(await step());
    const limit = Math.min(ICMP_ERROR_MAX_DATAGRAM, mtu);
    assert.equal(errors.length, 1, `MTU ${mtu}: one port unreachable`);
    const [e] = errors;
    assert.equal(e.code, PORT_UNREACHABLE);
    assert.equal(e.dst, '10.0.0.1');
    assert.ok(e.checksumOk);
    assert.equal(e.totalLen, limit, `MTU ${mtu}: the error fills min(576, MTU)`);
    // The quote is the start of the original: its header, UDP header and data, cut where it must be.
    const original = ipv4(PEER_IP, OUR_IP, PROTO_UDP, udp(PEER_IP, OUR_IP, 40000, CLOSED_PORT, data));
    assert.equal(e.quote.length, limit - IPV4_HEADER - ICMP_HEADER);
    assert.deepEqual([...e.quote], [...original.subarray(0, e.quote.length)]);
    const after = stack.stats();
    assert.equal(diff(after, before, 'icmpUnreachableSent'), 1);
    assert.equal(diff(after, before, 'icmpErrorsNotSent'), 0);
    close();
  }
});

test('no ICMP error about a link-layer broadcast or an IP broadcast; each counted as suppressed', async () => {
  const { stack, step, sendIp, sendUdp, close } = await setup();
  const before = stack.stats();
  // RFC 1122 3.2.2: unicast IP, but sent as a link-layer broadcast.
  sendUdp(PEER_IP, OUR_IP, 40000, CLOSED_PORT, Uint8Array.of(1), { ethDst: BROADCAST_MAC });
  // To the directed and the limited broadcast.
  sendUdp(PEER_IP, ip('10.0.0.255'), 40000, CLOSED_PORT, Uint8Array.of(2), { ethDst: BROADCAST_MAC });
  sendUdp(PEER_IP, 0xffffffff, 40000, CLOSED_PORT, Uint8Array.of(3), { ethDst: BROADCAST_MAC });
  assert.deepEqual(await step(), []);
  const after = stack.stats();
  assert.equal(diff(after, before, 'udpDropNoSocket'), 3);
  assert.equal(diff(after, before, 'icmpErrorsSuppressed'), 3);
  assert.equal(diff(after, before, 'icmpUnreachableSent'), 0);
  // An unknown protocol sent as a link-layer broadcast gets no protocol unreachable either.
  sendIp(PEER_IP, OUR_IP, 99, Uint8Array.of(1, 2, 3, 4), { ethDst: BROADCAST_MAC });
  assert.deepEqual(await step(), []);
  assert.equal(diff(stack.stats(), before, 'icmpErrorsSuppressed'), 4);
  close();
});

test('an unknown protocol gets protocol unreachable (as on Linux), quoting the datagram', async () => {
  const { stack, step, sendIp, close } = await setup();
  const before = stack.stats();
  const payload = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6);
  sendIp(PEER_IP, OUR_IP, 99, payload);
  const errors = icmpErrors(await step());
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, PROTOCOL_UNREACHABLE);
  assert.deepEqual([...errors[0].quote], [...ipv4(PEER_IP, OUR_IP, 99, payload)]);
  const after = stack.stats();
  assert.equal(diff(after, before, 'ipDropUnknownProtocol'), 1);
  assert.equal(diff(after, before, 'icmpUnreachableSent'), 1);
  close();
});

test('an ICMP error that cannot be sent is counted as icmpErrorsNotSent', async () => {
  // No gateway: a source off our prefix has no route back.
  const clock = new VirtualClock();
  const stack = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 7 });
  const port = new FramePort({ clock });
  const link = MemoryLink.connect(port, stack);
  const out = [];
  port.onFrame = (f) => out.push(f);
  const mac = stack.mac.split(':').map((h) => parseInt(h, 16));
  const src = ip('192.168.7.9');
  const before = stack.stats();
  port.send(ethernet(mac, PEER_MAC, ETHERTYPE_IPV4, ipv4(src, OUR_IP, PROTO_UDP, udp(src, OUR_IP, 40000, CLOSED_PORT, Uint8Array.of(1)))));
  await clock.advanceMsAsync(1);
  assert.deepEqual(out, []);
  const after = stack.stats();
  assert.equal(diff(after, before, 'icmpErrorsNotSent'), 1);
  assert.equal(diff(after, before, 'icmpUnreachableSent'), 0);
  assert.equal(diff(after, before, 'txNoRoute'), 1);
  stack.close();
  link.close();
});

test('a well-formed ICMP message of a type the stack does not act on is icmpDropUnsupportedType, not malformed', async () => {
  const { stack, step, sendIp, close } = await setup();
  const before = stack.stats();
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(TIMESTAMP_REQUEST, 0, 0x00010001, new Uint8Array(12)));
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(5, 1, PEER_IP, new Uint8Array(28))); // redirect
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, icmp(42, 0, 0, new Uint8Array(4))); // unassigned
  assert.deepEqual(await step(), []);
  const after = stack.stats();
  assert.equal(diff(after, before, 'icmpDropUnsupportedType'), 3);
  assert.equal(diff(after, before, 'icmpDropMalformed'), 0);
  assert.equal(diff(after, before, 'icmpDropNoSocket'), 0);
  // A truncated one is still malformed.
  sendIp(PEER_IP, OUR_IP, PROTO_ICMP, Uint8Array.of(TIMESTAMP_REQUEST, 0, 0));
  await step();
  assert.equal(diff(stack.stats(), before, 'icmpDropMalformed'), 1);
  close();
});

test('well-formed frames of a kind the stack does not speak are not counted as malformed', async () => {
  const { stack, mac, step, sendArp, close } = await setup();
  const before = stack.stats();
  // IEEE 802.3 with LLC (a length, 0x0026, where Ethernet II has its EtherType): an STP-like frame.
  sendArp(ethernet(mac, PEER_MAC, 0x0026, Uint8Array.of(0x42, 0x42, 0x03, 0, 0, 0, 0, 0)));
  // ARP for IPv6-sized protocol addresses, and ARP over hardware type 6 (IEEE 802).
  const forIpv6 = arp(ARP_REQUEST, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP);
  forIpv6[5] = 16; // plen
  sendArp(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, forIpv6));
  const ieee802 = arp(ARP_REQUEST, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP);
  ieee802[1] = 6; // htype
  sendArp(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, ieee802));
  assert.deepEqual(await step(), []);
  const after = stack.stats();
  assert.equal(diff(after, before, 'ethDropUnknownType'), 1);
  assert.equal(diff(after, before, 'ethDropMalformed'), 0);
  assert.equal(diff(after, before, 'arpDropUnsupported'), 2);
  assert.equal(diff(after, before, 'arpDropMalformed'), 0);
  // A truncated ARP packet is still malformed.
  sendArp(ethernet(BROADCAST_MAC, PEER_MAC, ETHERTYPE_ARP, arp(ARP_REQUEST, PEER_MAC, PEER_IP, ZERO_MAC, OUR_IP).subarray(0, 20), { pad: false }));
  await step();
  assert.equal(diff(stack.stats(), before, 'arpDropMalformed'), 1);
  close();
});
