// The config block: zero means default, any impossible value is refused with nothing changed.
import { Config } from "../../assembly/iface/config";
import {
  CONFIG_BYTES, CONFIG_MAX_SOCKETS, CONFIG_RX_QUEUE_SIZE, CONFIG_TX_QUEUE_SIZE, CONFIG_MTU,
  CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_MAX_ADDRESSES, CONFIG_FLAGS, CONFIG_MAC,
  CONFIG_NEIGHBOUR_LIFETIME_MS, CONFIG_ARP_RETRY_MS, CONFIG_UDP_RX_BYTES,
} from "../../bindings/layout";
import { scratch } from "./helpers";

function block(): usize {
  return scratch(CONFIG_BYTES);
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
    store<u32>(flags + CONFIG_FLAGS, 2);
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
