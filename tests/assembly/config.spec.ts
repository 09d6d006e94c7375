// The config block: zero means default, any impossible value is refused with nothing changed.
import { Config } from "../../assembly/iface/config";
import { footprint, MAX_FOOTPRINT_BYTES } from "../../assembly/core";

import {
  CONFIG_BYTES, CONFIG_MAX_SOCKETS, CONFIG_RX_QUEUE_SIZE, CONFIG_TX_QUEUE_SIZE, CONFIG_MTU,
  CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_MAX_ADDRESSES, CONFIG_FLAGS, CONFIG_FLAGS_KNOWN, CONFIG_MAC,
  CONFIG_FLAG_SEGMENTATION_OFFLOAD, CONFIG_FLAG_TX_CHECKSUM_OFFLOAD,
  CONFIG_NEIGHBOUR_LIFETIME_MS, CONFIG_ARP_RETRY_MS, CONFIG_UDP_RX_BYTES,
  CONFIG_UDP_RX_DATAGRAMS, CONFIG_NEIGHBOURS, CONFIG_NEIGHBOUR_PENDING, CONFIG_ARP_MAX_REQUESTS,
  CONFIG_EVENT_RING_SIZE, CONFIG_LOOPBACK_FRAMES, CONFIG_SEED, CONFIG_GATEWAY,
  CONFIG_ADDRESS_STRIDE, CONFIG_PORT_UNREACHABLE_PER_SECOND, CONFIG_ICMP_SOCKETS,
} from "../../bindings/layout";
import { scratch } from "./helpers";
import { writeMac } from "../../assembly/wire/bytes";

/** A block every field of which is legal, whose pools together exceed what a core may allocate. */
function tooBig(b: usize): bool {
  const c = new Config();
  expect<bool>(c.read(b)).toBe(true);
  return footprint(c) > MAX_FOOTPRINT_BYTES;
}


/** A MAC for the specs (zero would also do: the core then draws one from the secret). */
const TEST_MAC: u64 = 0x02_00_00_00_00_01;

/** An all-zero block (every default) but for the MAC. */
function block(): usize {
  const b = scratch(CONFIG_BYTES);
  writeMac(b + CONFIG_MAC, TEST_MAC);
  return b;
}

describe("config", () => {
  it("fills defaults for zero fields", () => {
    const c = new Config();
    expect<bool>(c.read(block())).toBe(true);
    expect<i32>(c.maxSockets).toBe(64);
    expect<i32>(c.mtu).toBe(1500);
    expect<i32>(c.rxQueueSize).toBe(256);
    expect<i64>(c.arpRetry).toBe(1_000_000);
    expect<i64>(c.neighbourLifetime).toBe(60_000_000);
    expect<i32>(c.addressCount).toBe(0);
  });

  it("reads addresses, prefixes, MAC and limits", () => {
    const b = block();
    store<u32>(b + CONFIG_MAX_SOCKETS, 7);
    store<u32>(b + CONFIG_MTU, 9000);
    store<u32>(b + CONFIG_ARP_RETRY_MS, 250);
    store<u32>(b + CONFIG_ADDRESS_COUNT, 2);
    store<u32>(b + CONFIG_ADDRESSES, 0x0a000001);
    store<u32>(b + CONFIG_ADDRESSES + 4, 24);
    store<u32>(b + CONFIG_ADDRESSES + 8, 0xc0a80001);
    store<u32>(b + CONFIG_ADDRESSES + 12, 16);
    for (let i = 0; i < 6; i++) store<u8>(b + CONFIG_MAC + i, <u8>(0x02 + i));
    const c = new Config();
    expect<bool>(c.read(b)).toBe(true);
    expect<i32>(c.maxSockets).toBe(7);
    expect<i32>(c.mtu).toBe(9000);
    expect<i64>(c.arpRetry).toBe(250_000);
    expect<i32>(c.addressCount).toBe(2);
    expect<u32>(c.addresses[1]).toBe(0xc0a80001);
    expect<u8>(c.prefixLengths[1]).toBe(16);
    expect<u64>(c.mac).toBe(0x020304050607);
  });

  it("refuses queue sizes that are not powers of two or too large", () => {
    for (let k = 0; k < 4; k++) {
      const b = block();
      const bad: u32[] = [3, 100, 65536, 1];
      store<u32>(b + (k % 2 == 0 ? CONFIG_RX_QUEUE_SIZE : CONFIG_TX_QUEUE_SIZE), bad[k]);
      expect<bool>(new Config().read(b)).toBe(false);
    }
  });

  it("refuses an MTU below 68 or above 65521", () => {
    const low = block();
    store<u32>(low + CONFIG_MTU, 67);
    expect<bool>(new Config().read(low)).toBe(false);
    const high = block();
    store<u32>(high + CONFIG_MTU, 65522);
    expect<bool>(new Config().read(high)).toBe(false);
    const edge = block();
    store<u32>(edge + CONFIG_MTU, 68);
    expect<bool>(new Config().read(edge)).toBe(true);
  });

  it("refuses too many addresses, a prefix beyond 32, unknown flags and absurd sizes", () => {
    const many = block();
    store<u32>(many + CONFIG_ADDRESS_COUNT, CONFIG_MAX_ADDRESSES + 1);
    expect<bool>(new Config().read(many)).toBe(false);
    const prefix = block();
    store<u32>(prefix + CONFIG_ADDRESS_COUNT, 1);
    store<u32>(prefix + CONFIG_ADDRESSES + 4, 33);
    expect<bool>(new Config().read(prefix)).toBe(false);
    const flags = block();
    store<u32>(flags + CONFIG_FLAGS, CONFIG_FLAGS_KNOWN + 1);
    expect<bool>(new Config().read(flags)).toBe(false);
    const sockets = block();
    store<u32>(sockets + CONFIG_MAX_SOCKETS, 0xffffffff);
    expect<bool>(new Config().read(sockets)).toBe(false);
    const buffer = block();
    store<u32>(buffer + CONFIG_UDP_RX_BYTES, 0x80000000);
    expect<bool>(new Config().read(buffer)).toBe(false);
    const lifetime = block();
    store<u32>(lifetime + CONFIG_NEIGHBOUR_LIFETIME_MS, 0xffffffff);
    expect<bool>(new Config().read(lifetime)).toBe(false);
  });

  it("leaves a previously read config untouched when a later block is refused", () => {
    const c = new Config();
    const good = block();
    store<u32>(good + CONFIG_MAX_SOCKETS, 9);
    expect<bool>(c.read(good)).toBe(true);
    const bad = block();
    store<u32>(bad + CONFIG_MAX_SOCKETS, 5);
    store<u32>(bad + CONFIG_MTU, 10);
    expect<bool>(c.read(bad)).toBe(false);
    expect<i32>(c.maxSockets).toBe(9);
  });
});

// ---------------------------------------------------------------------------------------------
// Every default, every field's limits one by one (refused with nothing changed), and limits that
// are each legal but together need more memory than a 32-bit heap can give.

/** A valid block with a non-default value in every field, so "unchanged" can be told apart. */
function goodBlock(): usize {
  const b = block();
  store<u32>(b + CONFIG_MAX_SOCKETS, 5);
  store<u32>(b + CONFIG_UDP_RX_DATAGRAMS, 6);
  store<u32>(b + CONFIG_UDP_RX_BYTES, 7000);
  store<u32>(b + CONFIG_NEIGHBOURS, 8);
  store<u32>(b + CONFIG_NEIGHBOUR_PENDING, 9);
  store<u32>(b + CONFIG_NEIGHBOUR_LIFETIME_MS, 10_000);
  store<u32>(b + CONFIG_ARP_RETRY_MS, 11);
  store<u32>(b + CONFIG_ARP_MAX_REQUESTS, 12);
  store<u32>(b + CONFIG_RX_QUEUE_SIZE, 16);
  store<u32>(b + CONFIG_TX_QUEUE_SIZE, 32);
  store<u32>(b + CONFIG_MTU, 1400);
  store<u32>(b + CONFIG_EVENT_RING_SIZE, 13);
  store<u32>(b + CONFIG_LOOPBACK_FRAMES, 14);
  store<u32>(b + CONFIG_FLAGS, 1);
  store<u64>(b + CONFIG_SEED, 0x1122334455667788);
  for (let i = 0; i < 6; i++) store<u8>(b + CONFIG_MAC + i, <u8>(0x0a + i));
  store<u32>(b + CONFIG_GATEWAY, 0x0a0000fe);
  store<u32>(b + CONFIG_PORT_UNREACHABLE_PER_SECOND, 15);
  store<u32>(b + CONFIG_ADDRESS_COUNT, 2);
  store<u32>(b + CONFIG_ADDRESSES, 0x0a000001);
  store<u32>(b + CONFIG_ADDRESSES + 4, 24);
  store<u32>(b + CONFIG_ADDRESSES + CONFIG_ADDRESS_STRIDE, 0xc0a80001);
  store<u32>(b + CONFIG_ADDRESSES + CONFIG_ADDRESS_STRIDE + 4, 16);
  return b;
}

/** Every field of a Config as text, to compare before and after. */
function snapshot(c: Config): string {
  let s = [c.maxSockets, c.udpRxDatagrams, c.udpRxBytes, c.neighbours, c.neighbourPending,
    c.arpMaxRequests, c.rxQueueSize, c.txQueueSize, c.mtu, c.eventRingSize, c.loopbackFrames,
    c.portUnreachablePerSecond, c.addressCount].join(",");
  s += "|" + c.neighbourLifetime.toString() + "," + c.arpRetry.toString() + "," + c.flags.toString();
  s += "|" + c.seed.toString() + "," + c.mac.toString() + "," + c.gateway.toString();
  for (let i = 0; i < CONFIG_MAX_ADDRESSES; i++) {
    s += "|" + c.addresses[i].toString() + "/" + c.prefixLengths[i].toString();
  }
  return s;
}

/** Reads goodBlock with one u32 field replaced: must be refused, leaving `c` as it was. */
function refusedUnchanged(c: Config, offset: u32, value: u32): bool {
  const before = snapshot(c);
  const b = goodBlock();
  store<u32>(b + offset, value);
  return !c.read(b) && snapshot(c) == before;
}

/** Reads goodBlock with one u32 field replaced into a fresh Config: whether it is accepted. */
function accepted(offset: u32, value: u32): bool {
  const b = goodBlock();
  store<u32>(b + offset, value);
  return new Config().read(b);
}

describe("config (every field)", () => {
  it("fills every default when the block is all zero but the MAC", () => {
    const c = new Config();
    expect<bool>(c.read(block())).toBe(true);
    expect<i32>(c.maxSockets).toBe(64);
    expect<i32>(c.udpRxDatagrams).toBe(64);
    expect<i32>(c.udpRxBytes).toBe(64 * 1024);
    expect<i32>(c.neighbours).toBe(64);
    expect<i32>(c.neighbourPending).toBe(4);
    expect<i64>(c.neighbourLifetime).toBe(60_000_000);
    expect<i64>(c.arpRetry).toBe(1_000_000);
    expect<i32>(c.arpMaxRequests).toBe(3);
    expect<i32>(c.rxQueueSize).toBe(256);
    expect<i32>(c.txQueueSize).toBe(256);
    expect<i32>(c.mtu).toBe(1500);
    expect<i32>(c.eventRingSize).toBe(1024);
    expect<i32>(c.loopbackFrames).toBe(64);
    expect<i32>(c.portUnreachablePerSecond).toBe(1000);
    expect<u32>(c.flags).toBe(0);
    expect<u64>(c.seed).toBe(0);
    expect<u64>(c.mac).toBe(TEST_MAC);
    expect<u32>(c.gateway).toBe(0);
    expect<i32>(c.addressCount).toBe(0);
  });

  it("reads every non-default field as given", () => {
    const c = new Config();
    expect<bool>(c.read(goodBlock())).toBe(true);
    expect<string>(snapshot(c)).toBe(
      "5,6,7000,8,9,12,16,32,1400,13,14,15,2|10000000,11000,1|1234605616436508552,11042563100175,167772414" +
      "|167772161/24|3232235521/16|0/0|0/0|0/0|0/0|0/0|0/0");
  });

  it("refuses queue sizes that are not powers of two from 2 to 32768, nothing changed", () => {
    const c = new Config();
    c.read(goodBlock());
    const bad: u32[] = [1, 3, 6, 24, 1000, 65536, 0x80000000, 0xffffffff];
    for (let k = 0; k < bad.length; k++) {
      expect<bool>(refusedUnchanged(c, CONFIG_RX_QUEUE_SIZE, bad[k])).toBe(true);
      expect<bool>(refusedUnchanged(c, CONFIG_TX_QUEUE_SIZE, bad[k])).toBe(true);
    }
    expect<bool>(accepted(CONFIG_RX_QUEUE_SIZE, 2)).toBe(true);
    expect<bool>(accepted(CONFIG_TX_QUEUE_SIZE, 32768)).toBe(true);
  });

  it("refuses an MTU outside 68..65521, nothing changed; both ends accepted", () => {
    const c = new Config();
    c.read(goodBlock());
    const bad: u32[] = [1, 67, 65522, 65535, 0xffffffff];
    for (let k = 0; k < bad.length; k++) expect<bool>(refusedUnchanged(c, CONFIG_MTU, bad[k])).toBe(true);
    expect<bool>(accepted(CONFIG_MTU, 68)).toBe(true);
    expect<bool>(accepted(CONFIG_MTU, 65521)).toBe(true);
  });

  it("refuses more than 8 addresses and any prefix beyond 32, checking each address", () => {
    const c = new Config();
    c.read(goodBlock());
    expect<bool>(refusedUnchanged(c, CONFIG_ADDRESS_COUNT, CONFIG_MAX_ADDRESSES + 1)).toBe(true);
    expect<bool>(refusedUnchanged(c, CONFIG_ADDRESS_COUNT, 0xffffffff)).toBe(true);
    expect<bool>(refusedUnchanged(c, CONFIG_ADDRESSES + 4, 33)).toBe(true);
    expect<bool>(refusedUnchanged(c, CONFIG_ADDRESSES + CONFIG_ADDRESS_STRIDE + 4, 0x100 + 24)).toBe(true);
    // With all 8 in use the last one is checked too.
    const full = goodBlock();
    store<u32>(full + CONFIG_ADDRESS_COUNT, CONFIG_MAX_ADDRESSES);
    for (let i = 0; i < CONFIG_MAX_ADDRESSES; i++) {
      store<u32>(full + CONFIG_ADDRESSES + i * CONFIG_ADDRESS_STRIDE, 0x0a000001 + (i << 8));
      store<u32>(full + CONFIG_ADDRESSES + i * CONFIG_ADDRESS_STRIDE + 4, i == 0 ? 8 : 32);
    }
    const all = new Config();
    expect<bool>(all.read(full)).toBe(true);
    expect<i32>(all.addressCount).toBe(8);
    expect<u8>(all.prefixLengths[7]).toBe(32);
    store<u32>(full + CONFIG_ADDRESSES + 7 * CONFIG_ADDRESS_STRIDE + 4, 33);
    expect<bool>(new Config().read(full)).toBe(false);
  });

  it("refuses each absurd table size, buffer size and duration, nothing changed", () => {
    const c = new Config();
    c.read(goodBlock());
    const offsets: u32[] = [
      CONFIG_MAX_SOCKETS, CONFIG_UDP_RX_DATAGRAMS, CONFIG_UDP_RX_BYTES, CONFIG_NEIGHBOURS,
      CONFIG_NEIGHBOUR_PENDING, CONFIG_NEIGHBOUR_LIFETIME_MS, CONFIG_ARP_RETRY_MS, CONFIG_ARP_MAX_REQUESTS,
      CONFIG_EVENT_RING_SIZE, CONFIG_LOOPBACK_FRAMES, CONFIG_PORT_UNREACHABLE_PER_SECOND,
    ];
    // The smallest refused value of each (one past its limit).
    const justTooBig: u32[] = [
      65536, 65537, 64 * 1024 * 1024 + 1, 65537,
      65537, 24 * 3600 * 1000 + 1, 24 * 3600 * 1000 + 1, 65537,
      65537, 65537, 65537,
    ];
    for (let k = 0; k < offsets.length; k++) {
      expect<bool>(refusedUnchanged(c, offsets[k], justTooBig[k])).toBe(true, "field at " + offsets[k].toString());
      expect<bool>(refusedUnchanged(c, offsets[k], 0xffffffff)).toBe(true, "field at " + offsets[k].toString());
      expect<bool>(accepted(offsets[k], justTooBig[k] - 1)).toBe(true, "field at " + offsets[k].toString());
    }
  });

  it("refuses unknown flag bits, nothing changed", () => {
    const c = new Config();
    c.read(goodBlock());
    expect<bool>(refusedUnchanged(c, CONFIG_FLAGS, CONFIG_FLAGS_KNOWN + 1)).toBe(true);
    expect<bool>(refusedUnchanged(c, CONFIG_FLAGS, 0x80000001)).toBe(true);
  });

  it("segmentation offload needs checksum offload (virtio 1.2 5.1.3.1); with both, queue buffers hold a 65,535-byte packet and 64 of them is the default", () => {
    const c = new Config();
    c.read(goodBlock());
    expect<bool>(refusedUnchanged(c, CONFIG_FLAGS, CONFIG_FLAG_SEGMENTATION_OFFLOAD)).toBe(true);
    const b = block();
    store<u32>(b + CONFIG_FLAGS, CONFIG_FLAG_SEGMENTATION_OFFLOAD | CONFIG_FLAG_TX_CHECKSUM_OFFLOAD);
    const tso = new Config();
    expect<bool>(tso.read(b)).toBe(true);
    expect<bool>(tso.segmentationOffload).toBe(true);
    expect<i32>(tso.deviceFrameBytes).toBe(14 + 65535);
    expect<i32>(tso.rxQueueSize).toBe(64);
    expect<i32>(tso.txQueueSize).toBe(64);
    expect<i32>(tso.mtu).toBe(1500);
    const plain = new Config();
    expect<bool>(plain.read(block())).toBe(true);
    expect<bool>(plain.segmentationOffload).toBe(false);
    expect<i32>(plain.deviceFrameBytes).toBe(14 + 1500);
    expect<i32>(plain.rxQueueSize).toBe(256);
  });

  it("limits that are each legal but together exceed the memory a core can have do not fit", () => {
    // Config.read checks each limit; the composition root's footprint (from the constructors'
    // own size functions) refuses their sum at init.
    // 65535 sockets of 64 MiB: 4 TiB of receive buffers.
    const sockets = goodBlock();
    store<u32>(sockets + CONFIG_MAX_SOCKETS, 65535);
    store<u32>(sockets + CONFIG_UDP_RX_BYTES, 64 * 1024 * 1024);
    expect<bool>(tooBig(sockets)).toBe(true);
    // Two queues of 32768 buffers of 64 KiB: 4 GiB.
    const queues = goodBlock();
    store<u32>(queues + CONFIG_RX_QUEUE_SIZE, 32768);
    store<u32>(queues + CONFIG_TX_QUEUE_SIZE, 32768);
    store<u32>(queues + CONFIG_MTU, 65521);
    expect<bool>(tooBig(queues)).toBe(true);
    // 65536 loopback frames of 64 KiB: 4 GiB.
    const loop = goodBlock();
    store<u32>(loop + CONFIG_LOOPBACK_FRAMES, 65536);
    store<u32>(loop + CONFIG_MTU, 65521);
    expect<bool>(tooBig(loop)).toBe(true);
    // 65535 ping sockets count too (their own pool).
    const pings = goodBlock();
    store<u32>(pings + CONFIG_ICMP_SOCKETS, 65535);
    store<u32>(pings + CONFIG_UDP_RX_BYTES, 64 * 1024 * 1024);
    expect<bool>(tooBig(pings)).toBe(true);
  });

  it("still accepts large but reasonable configurations", () => {
    const big = goodBlock();
    store<u32>(big + CONFIG_MAX_SOCKETS, 4096);
    store<u32>(big + CONFIG_UDP_RX_BYTES, 64 * 1024);
    store<u32>(big + CONFIG_RX_QUEUE_SIZE, 4096);
    store<u32>(big + CONFIG_TX_QUEUE_SIZE, 4096);
    store<u32>(big + CONFIG_NEIGHBOURS, 65536);
    store<u32>(big + CONFIG_NEIGHBOUR_PENDING, 65536); // the cache caps its own storage
    store<u32>(big + CONFIG_EVENT_RING_SIZE, 65536);
    expect<bool>(tooBig(big)).toBe(false);
    const jumbo = goodBlock();
    store<u32>(jumbo + CONFIG_MTU, 65521);
    store<u32>(jumbo + CONFIG_RX_QUEUE_SIZE, 1024);
    store<u32>(jumbo + CONFIG_TX_QUEUE_SIZE, 1024);
    expect<bool>(tooBig(jumbo)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Addresses, gateway and MAC that cannot work are refused at init (issue 6, fault 11), nothing
// changed; their legal neighbours are accepted.

/** goodBlock with its first address (10.0.0.1/24 there) replaced. */
function firstAddress(address: u32, prefixLength: u32): usize {
  const b = goodBlock();
  store<u32>(b + CONFIG_ADDRESSES, address);
  store<u32>(b + CONFIG_ADDRESSES + 4, prefixLength);
  // The gateway of goodBlock lives on the first prefix; keep it out of the way.
  store<u32>(b + CONFIG_GATEWAY, 0);
  return b;
}

describe("config (addresses, gateway, MAC)", () => {
  it("refuses 0.0.0.0/0, 0/8, broadcast, multicast, class E and loopback addresses", () => {
    const c = new Config();
    c.read(goodBlock());
    const before = snapshot(c);
    const bad: u32[] = [
      0x00000000, 0x00000001, 0x00ffffff, // 0/8, "this network"
      0xffffffff, // limited broadcast
      0xe0000001, 0xefffffff, // 224/4
      0xf0000001, 0xfffffffe, // 240/4
      0x7f000001, 0x7f000002, // 127/8
    ];
    for (let k = 0; k < bad.length; k++) {
      expect<bool>(c.read(firstAddress(bad[k], 24))).toBe(false, bad[k].toString());
      expect<bool>(c.read(firstAddress(bad[k], 32))).toBe(false, bad[k].toString());
    }
    // 0.0.0.0/0, 255.255.255.255/32, 224.0.0.1/24: the ones the issue names.
    expect<bool>(c.read(firstAddress(0, 0))).toBe(false);
    expect<bool>(c.read(firstAddress(0xffffffff, 32))).toBe(false);
    expect<bool>(c.read(firstAddress(0xe0000001, 24))).toBe(false);
    expect<string>(snapshot(c)).toBe(before);
  });

  it("refuses prefix 0 and the broadcast of its own prefix; /31 and /32 have none", () => {
    expect<bool>(new Config().read(firstAddress(0x0a000001, 0))).toBe(false);
    expect<bool>(new Config().read(firstAddress(0x0a0000ff, 24))).toBe(false);
    expect<bool>(new Config().read(firstAddress(0x0a000003, 30))).toBe(false);
    expect<bool>(new Config().read(firstAddress(0x0a0000ff, 25))).toBe(false);
    // Legal neighbours.
    expect<bool>(new Config().read(firstAddress(0x0a000001, 1))).toBe(true);
    expect<bool>(new Config().read(firstAddress(0x0a0000fe, 24))).toBe(true);
    expect<bool>(new Config().read(firstAddress(0x0a000003, 31))).toBe(true);
    expect<bool>(new Config().read(firstAddress(0x0a0000ff, 32))).toBe(true);
    expect<bool>(new Config().read(firstAddress(0xdffffffe, 32))).toBe(true);
  });

  it("refuses a gateway off every prefix, one of our addresses, or one that names no host", () => {
    const c = new Config();
    c.read(goodBlock());
    // goodBlock: 10.0.0.1/24 and 192.168.0.1/16.
    const bad: u32[] = [
      0x0a000101, // 10.0.1.1: on no prefix
      0x08080808, // 8.8.8.8
      0x0a000001, 0xc0a80001, // ours
      0x0a0000ff, 0xc0a8ffff, // a prefix's broadcast
      0xffffffff, 0xe0000001, 0xf0000001, 0x7f000001, 0x00000001,
    ];
    for (let k = 0; k < bad.length; k++) {
      expect<bool>(refusedUnchanged(c, CONFIG_GATEWAY, bad[k])).toBe(true, bad[k].toString());
    }
    expect<bool>(accepted(CONFIG_GATEWAY, 0)).toBe(true);
    expect<bool>(accepted(CONFIG_GATEWAY, 0x0a000002)).toBe(true);
    expect<bool>(accepted(CONFIG_GATEWAY, 0xc0a8fffe)).toBe(true);
    // No address at all: no gateway can be reached.
    const none = block();
    store<u32>(none + CONFIG_GATEWAY, 0x0a000002);
    expect<bool>(new Config().read(none)).toBe(false);
    // A /32 has no neighbours on its prefix.
    const p2p = firstAddress(0x0a000001, 32);
    store<u32>(p2p + CONFIG_GATEWAY, 0x0a000002);
    expect<bool>(new Config().read(p2p)).toBe(false);
  });

  it("refuses a group-address MAC, nothing changed; zero means none given", () => {
    const c = new Config();
    c.read(goodBlock());
    const before = snapshot(c);
    const bad: u64[] = [0xffffffffffff, 0x01005e000001, 0x333300000001, 0x010000000000];
    for (let k = 0; k < bad.length; k++) {
      const b = goodBlock();
      writeMac(b + CONFIG_MAC, bad[k]);
      expect<bool>(c.read(b)).toBe(false, bad[k].toString());
    }
    expect<string>(snapshot(c)).toBe(before);
    const ok = goodBlock();
    writeMac(ok + CONFIG_MAC, 0);
    expect<bool>(new Config().read(ok)).toBe(true);
    writeMac(ok + CONFIG_MAC, 0x020000000000);
    expect<bool>(new Config().read(ok)).toBe(true);
    writeMac(ok + CONFIG_MAC, 0xfeffffffffff);
    expect<bool>(new Config().read(ok)).toBe(true);
  });
});
