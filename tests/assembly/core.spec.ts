// The composition root built inside a spec, without the module's instance: several stacks side
// by side, each driven alone through its own layers under a fake clock (no device, loopback only).
import * as Errno from "../../bindings/errno_values";
import {
  CONFIG_BYTES, CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_LOOPBACK_FRAMES, CONFIG_SEED,
  CONFIG_SECRET, EVENTS_WRITE, EVENTS_READ, EVENTS_ENTRIES, EVENT_BYTES, EVENT_HANDLE, EVENT_KIND,
  EVENT_ERROR, EVENT_READABLE, EVENT_WRITABLE, DATAGRAM_RECORD_DATA, STAT_ICMP_ERRORS_IGNORED,
} from "../../bindings/layout";
import { Config } from "../../assembly/iface/config";
import { Core } from "../../assembly/core";
import { stats } from "../../assembly/iface/stats";
import { scratch } from "./helpers";

const OWN: u32 = 0x0a000001; // 10.0.0.1
const LOOPBACK: u32 = 0x7f000001;
const CLOSED_PORT: u32 = 9;
const MICROS: i64 = 1_000_000;
const kept: Core[] = [];

function build(loopbackFrames: u32, seed: u64, secret0: u64): Core {
  const block = scratch(CONFIG_BYTES);
  store<u32>(block + CONFIG_ADDRESS_COUNT, 1);
  store<u32>(block + CONFIG_ADDRESSES, OWN);
  store<u32>(block + CONFIG_ADDRESSES + 4, 24);
  store<u32>(block + CONFIG_LOOPBACK_FRAMES, loopbackFrames);
  store<u64>(block + CONFIG_SEED, seed);
  store<u64>(block + CONFIG_SECRET, secret0);
  const config = new Config();
  expect<bool>(config.read(block)).toBe(true);
  const core = new Core(config);
  kept.push(core);
  return core;
}

/** Event kind bits for `handle` among the unread entries (marks them read). */
function takeEvents(core: Core, handle: i32): u32 {
  const ring = core.events.ptr;
  let read = load<u32>(ring + EVENTS_READ);
  const written = load<u32>(ring + EVENTS_WRITE);
  let kinds: u32 = 0;
  for (; read != written; read++) {
    const e = ring + EVENTS_ENTRIES + <usize>(read & (core.events.capacity - 1)) * EVENT_BYTES;
    if (load<i32>(e + EVENT_HANDLE) == handle) kinds |= load<u32>(e + EVENT_KIND);
  }
  store<u32>(ring + EVENTS_READ, read);
  return kinds;
}

describe("core built alone", () => {
  it("two stacks in one module keep their own sockets, secrets and MACs", () => {
    const a = build(0, 1, 0);
    const b = build(0, 1, 0x1234);
    const c = build(0, 1, 0);
    expect<u64>(a.iface.mac).toBe(c.iface.mac); // same seed, no secret: the same run
    expect<bool>(a.iface.mac != b.iface.mac).toBe(true); // the secret, not the seed, decides
    expect<u64>(a.iface.mac & (<u64>0x03 << 40)).toBe(<u64>0x02 << 40); // local, unicast
    const ha = a.udp.table.open(0);
    const hb = b.udp.table.open(0);
    expect<i32>(a.udp.table.resolve(ha)).toBe(0);
    expect<i32>(a.ping.table.resolve(ha)).toBe(-Errno.EBADF); // another kind's handle
    expect<i32>(b.udp.table.resolve(hb)).toBe(0);
  });

  it("a connected UDP socket hears the port unreachable its datagram causes (ECONNREFUSED)", () => {
    const core = build(0, 7, 0);
    const udp = core.udp;
    const h = udp.table.open(0);
    const i = udp.table.resolve(h);
    expect<i32>(udp.table.bind(i, 0, 0)).toBe(0);
    udp.table.remoteAddress[i] = LOOPBACK;
    udp.table.remotePort[i] = CLOSED_PORT;
    udp.table.state[i] = 3; // connected
    expect<i32>(udp.sendFrom(h, 0, 0, core.io, 4, MICROS)).toBe(4);
    core.poll(MICROS); // the datagram: nobody listens, the port unreachable goes back in the ring
    core.poll(MICROS); // the error reaches the socket
    expect<i32>(udp.table.pendingError[i]).toBe(-Errno.ECONNREFUSED);
    expect<u32>(takeEvents(core, h) & EVENT_ERROR).toBe(EVENT_ERROR);
  });

  it("an unconnected UDP socket ignores the same error, counted", () => {
    const core = build(0, 8, 0);
    const udp = core.udp;
    const h = udp.table.open(0);
    const before = stats[STAT_ICMP_ERRORS_IGNORED];
    expect<i32>(udp.sendFrom(h, LOOPBACK, CLOSED_PORT, core.io, 4, MICROS)).toBe(4);
    core.poll(MICROS);
    core.poll(MICROS);
    expect<i32>(udp.table.pendingError[udp.table.resolve(h)]).toBe(0);
    expect<u32>(stats[STAT_ICMP_ERRORS_IGNORED] - before).toBe(1);
  });

  it("fault 3: with a one-frame loopback ring, a ping to self is answered (the request leaves the ring first)", () => {
    const core = build(1, 9, 0);
    const ping = core.ping;
    const h = ping.table.open(0);
    expect<i32>(ping.sendFrom(h, OWN, 5, core.io, 8, MICROS)).toBe(8);
    // The ring is full: a second request waits (ENOBUFS, then a writable event).
    expect<i32>(ping.sendFrom(h, OWN, 6, core.io, 8, MICROS)).toBe(-Errno.ENOBUFS);
    core.poll(MICROS); // request in, reply out into the slot the request left
    core.poll(MICROS); // reply delivered
    const queue = ping.table.queue(ping.table.resolve(h));
    expect<i32>(queue.count).toBe(1);
    expect<u32>(queue.frontKind()).toBe(DATAGRAM_RECORD_DATA);
    expect<u32>(queue.frontPort()).toBe(5);
    expect<u32>(takeEvents(core, h)).toBe(EVENT_READABLE | EVENT_WRITABLE);
  });
});

describe("socket table timers and writers", () => {
  it("a socket's next-poll time is the deadline poll returns, and only due sockets are taken", () => {
    const core = build(0, 11, 0);
    const table = core.udp.table;
    const a = table.resolve(table.open(0));
    const b = table.resolve(table.open(0));
    expect<i64>(core.poll(MICROS)).toBe(i64.MAX_VALUE); // nothing asked for
    table.schedule(a, 5 * MICROS);
    table.schedule(b, 3 * MICROS);
    expect<i64>(core.poll(MICROS)).toBe(3 * MICROS);
    expect<i32>(table.takeDue(2 * MICROS)).toBe(-1);
    expect<i32>(table.takeDue(3 * MICROS)).toBe(b);
    expect<i32>(table.takeDue(3 * MICROS)).toBe(-1);
    // Closing a socket drops its timer.
    table.close(a);
    expect<i64>(core.poll(MICROS)).toBe(i64.MAX_VALUE);
  });

  it("writers are woken oldest first, once each, and a closed one not at all", () => {
    const core = build(0, 12, 0);
    const table = core.udp.table;
    const h1 = table.open(0), h2 = table.open(0), h3 = table.open(0);
    const i1 = table.resolve(h1), i2 = table.resolve(h2), i3 = table.resolve(h3);
    table.waitForWritable(i2);
    table.waitForWritable(i1);
    table.waitForWritable(i2); // already waiting: still once
    table.waitForWritable(i3);
    table.close(i3);
    expect<i32>(table.writableWaiters).toBe(2);
    const ring = core.events.ptr;
    const start = load<u32>(ring + EVENTS_WRITE);
    table.wakeWriters(core.events);
    expect<u32>(load<u32>(ring + EVENTS_WRITE) - start).toBe(2);
    const first = ring + EVENTS_ENTRIES + <usize>(start & (core.events.capacity - 1)) * EVENT_BYTES;
    expect<i32>(load<i32>(first + EVENT_HANDLE)).toBe(h2);
    expect<i32>(load<i32>(first + EVENT_BYTES + EVENT_HANDLE)).toBe(h1);
    expect<i32>(table.writableWaiters).toBe(0);
  });
});
