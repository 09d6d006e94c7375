// The TCP layer inside a whole core, over the loopback: listen, connect to our own address, the
// handshake, data both ways, half-close and close, RST for a closed port, EMFILE, backlog.
import * as Errno from "../../bindings/errno_values";
import {
  CONFIG_BYTES, CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_SEED, CONFIG_TCP_CONNECTIONS,
  CONFIG_TCP_LISTENERS, TCP_STATE_ESTABLISHED, TCP_STATE_CLOSED, STAT_TCP_RESETS_SENT,
  STAT_TCP_DROP_NO_SOCKET, STAT_TCP_BACKLOG_FULL, STAT_TCP_ORPHANS_EVICTED, STAT_TX_NO_ROUTE,
  CONFIG_FLAGS, CONFIG_FLAG_SEGMENTATION_OFFLOAD, CONFIG_FLAG_TX_CHECKSUM_OFFLOAD, STAT_LOOPBACK_FRAMES,
} from "../../bindings/layout";
import { Config } from "../../assembly/iface/config";
import { Core } from "../../assembly/core";
import { stats } from "../../assembly/iface/stats";
import { scratch } from "./helpers";

const OWN: u32 = 0x0a000001; // 10.0.0.1
const LOOPBACK: u32 = 0x7f000001;
const MS: i64 = 1000;
const kept: Core[] = [];

function build(connections: u32 = 0, listeners: u32 = 0, flags: u32 = 0): Core {
  const block = scratch(CONFIG_BYTES);
  store<u32>(block + CONFIG_FLAGS, flags);
  store<u32>(block + CONFIG_ADDRESS_COUNT, 1);
  store<u32>(block + CONFIG_ADDRESSES, OWN);
  store<u32>(block + CONFIG_ADDRESSES + 4, 24);
  store<u64>(block + CONFIG_SEED, 7);
  store<u32>(block + CONFIG_TCP_CONNECTIONS, connections);
  store<u32>(block + CONFIG_TCP_LISTENERS, listeners);
  const config = new Config();
  expect<bool>(config.read(block)).toBe(true);
  const core = new Core(config);
  kept.push(core);
  return core;
}

/** Polls until nothing is due now (at most `rounds` times); returns the time reached. */
function settle(core: Core, now: i64, rounds: i32 = 50): i64 {
  for (let i = 0; i < rounds; i++) {
    const d = core.poll(now);
    if (d > now) break;
  }
  return now;
}

/** Writes `len` bytes of value `fill` into connection `handle`; returns what was taken. */
function write(core: Core, handle: i32, len: i32, fill: u8): i32 {
  const tcp = core.tcp;
  const i = tcp.resolve(handle);
  const c = tcp.conn(i);
  const room = c.writeRoom();
  const n = len < room ? len : room;
  const span = scratch(n);
  memory.fill(span, fill, <usize>n);
  c.sendBuf.writeAt(0, span, n);
  const r = c.commitWrite(n);
  tcp.wake(i, core.now);
  return r;
}

function queued(core: Core, handle: i32): i32 {
  const tcp = core.tcp;
  return tcp.conn(tcp.resolve(handle)).recvBuf.len;
}

describe("tcp layer over the loopback", () => {
  it("connects to our own address, accepts, moves data both ways, closes without a trace", () => {
    const core = build();
    const tcp = core.tcp;
    const listener = tcp.listen(0, 8080, 0, 0);
    expect<i32>(listener).toBeGreaterThan(0);
    const client = tcp.connect(OWN, 8080, 0, 0, 0);
    expect<i32>(client).toBeGreaterThan(0);
    settle(core, 0);
    const server = tcp.accept(listener);
    expect<i32>(server).toBeGreaterThan(0);
    expect<i32>(tcp.conn(tcp.resolve(client)).state).toBe(TCP_STATE_ESTABLISHED);
    expect<i32>(tcp.conn(tcp.resolve(server)).state).toBe(TCP_STATE_ESTABLISHED);
    expect<i32>(write(core, client, 10000, 0xab)).toBe(10000);
    settle(core, 1 * MS);
    expect<i32>(queued(core, server)).toBe(10000);
    expect<i32>(write(core, server, 500, 0xcd)).toBe(500);
    settle(core, 2 * MS);
    expect<i32>(queued(core, client)).toBe(500);
    // Both read everything, then the client closes: the server sees end of stream.
    tcp.conn(tcp.resolve(server)).consume(10000);
    tcp.conn(tcp.resolve(client)).consume(500);
    expect<i32>(tcp.close(client, 3 * MS)).toBe(0);
    expect<i32>(tcp.resolve(client)).toBe(-Errno.EBADF);
    settle(core, 3 * MS);
    expect<bool>(tcp.conn(tcp.resolve(server)).atEndOfStream).toBe(true);
    expect<i32>(tcp.close(server, 4 * MS)).toBe(0);
    settle(core, 4 * MS);
    // The client's side is in TIME-WAIT without a slot; the server's is gone.
    expect<i32>(tcp.pool.inUse).toBe(0);
    expect<i32>(tcp.timeWait.length).toBe(1);
    settle(core, 4 * MS + 61_000 * MS);
    expect<i32>(tcp.timeWait.length).toBe(0);
  });

  it("a connect from the port of a TIME-WAIT entry whose time is up succeeds before any poll removed it", () => {
    const core = build();
    const tcp = core.tcp;
    const listener = tcp.listen(0, 8080, 0, 0);
    const LOCAL_PORT: u32 = 40000;
    const client = tcp.connect(OWN, 8080, 0, LOCAL_PORT, 0);
    settle(core, 0);
    const server = tcp.accept(listener);
    expect<i32>(tcp.close(client, 1 * MS)).toBe(0);
    settle(core, 1 * MS);
    expect<i32>(tcp.close(server, 2 * MS)).toBe(0);
    settle(core, 2 * MS);
    expect<i32>(tcp.timeWait.length).toBe(1);
    // Same four-tuple while TIME-WAIT holds it: refused.
    expect<i32>(tcp.connect(OWN, 8080, 0, LOCAL_PORT, 3 * MS)).toBe(-Errno.EADDRINUSE);
    // Its time is up, and no poll ran since: the connect itself clears it.
    const later: i64 = 2 * MS + 61_000 * MS;
    expect<i32>(tcp.connect(OWN, 8080, 0, LOCAL_PORT, later)).toBeGreaterThan(0);
    expect<i32>(tcp.timeWait.length).toBe(0);
  });

  it("with segmentation offload, TCP to our own address still moves MTU-sized segments (the loopback ring holds no larger)", () => {
    const core = build(0, 0, CONFIG_FLAG_SEGMENTATION_OFFLOAD | CONFIG_FLAG_TX_CHECKSUM_OFFLOAD);
    const tcp = core.tcp;
    const listener = tcp.listen(0, 8080, 0, 0);
    const client = tcp.connect(OWN, 8080, 0, 0, 0);
    settle(core, 0);
    const server = tcp.accept(listener);
    expect<i32>(server).toBeGreaterThan(0);
    const framesBefore = stats[STAT_LOOPBACK_FRAMES];
    expect<i32>(write(core, client, 30000, 0x5a)).toBe(30000);
    for (let t = 1; t < 20 && queued(core, server) < 30000; t++) settle(core, <i64>t * MS);
    expect<i32>(queued(core, server)).toBe(30000);
    // 30,000 bytes in 1,460-byte segments: at least 21 data frames (and their ACKs) looped.
    expect<bool>(stats[STAT_LOOPBACK_FRAMES] - framesBefore >= 21).toBe(true);
  });

  it("connect to 127.0.0.1 with port 0 picks an ephemeral port (field report 001)", () => {
    const core = build();
    const tcp = core.tcp;
    const listener = tcp.listen(0, 9000, 0, 0);
    const client = tcp.connect(LOOPBACK, 9000, 0, 0, 0);
    settle(core, 0);
    const c = tcp.conn(tcp.resolve(client));
    expect<i32>(c.state).toBe(TCP_STATE_ESTABLISHED);
    expect<bool>(c.localPort >= 49152).toBe(true);
    expect<i32>(tcp.accept(listener)).toBeGreaterThan(0);
  });

  it("a SYN to a closed port is answered with RST and connect fails with ECONNREFUSED", () => {
    const core = build();
    const tcp = core.tcp;
    const resets = stats[STAT_TCP_RESETS_SENT];
    const noSocket = stats[STAT_TCP_DROP_NO_SOCKET];
    const client = tcp.connect(OWN, 81, 0, 0, 0);
    settle(core, 0);
    const c = tcp.conn(tcp.resolve(client));
    expect<i32>(c.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(c.error).toBe(-Errno.ECONNREFUSED);
    expect<u32>(stats[STAT_TCP_RESETS_SENT] - resets).toBe(1);
    expect<u32>(stats[STAT_TCP_DROP_NO_SOCKET] - noSocket).toBe(1);
  });

  it("connect with no route (no connected prefix, no gateway) fails with ENETUNREACH, nothing allocated, nothing sent", () => {
    const core = build();
    const tcp = core.tcp;
    const beforeNoRoute = stats[STAT_TX_NO_ROUTE];
    // 10.77.9.9: outside 10.0.0.0/24, and the stack has no gateway (Linux's connect() says so at once).
    expect<i32>(tcp.connect(0x0a4d0909, 80, 0, 0, 0)).toBe(-Errno.ENETUNREACH);
    settle(core, 0);
    expect<u32>(stats[STAT_TX_NO_ROUTE] - beforeNoRoute).toBe(0);
    // Our own address and loopback still connect (software loopback, no route needed).
    expect<i32>(tcp.connect(OWN, 80, 0, 0, 0)).toBeGreaterThan(0);
    expect<i32>(tcp.connect(LOOPBACK, 80, 0, 0, 0)).toBeGreaterThan(0);
  });

  it("EMFILE when the table is full, nothing allocated (field report 000)", () => {
    const core = build(2);
    const tcp = core.tcp;
    tcp.listen(0, 7000, 0, 0);
    const a = tcp.connect(OWN, 7000, 0, 0, 0);
    const b = tcp.connect(OWN, 7000, 0, 0, 0);
    expect<i32>(a).toBeGreaterThan(0);
    expect<i32>(b).toBeGreaterThan(0);
    expect<i32>(tcp.connect(OWN, 7000, 0, 0, 0)).toBe(-Errno.EMFILE);
    expect<i32>(tcp.pool.inUse).toBe(2);
  });

  it("a full backlog answers the SYN with RST and counts it (field report 002)", () => {
    const core = build(8);
    const tcp = core.tcp;
    tcp.listen(0, 7001, 1, 0);
    const full = stats[STAT_TCP_BACKLOG_FULL];
    const a = tcp.connect(OWN, 7001, 0, 0, 0);
    const b = tcp.connect(OWN, 7001, 0, 0, 0);
    settle(core, 0);
    expect<i32>(tcp.conn(tcp.resolve(a)).state).toBe(TCP_STATE_ESTABLISHED);
    expect<i32>(tcp.conn(tcp.resolve(b)).error).toBe(-Errno.ECONNREFUSED);
    expect<u32>(stats[STAT_TCP_BACKLOG_FULL] - full).toBe(1);
  });

  it("close never blocks, and a closed connection's slot is reclaimed when one is needed", () => {
    const core = build(2);
    const tcp = core.tcp;
    const listener = tcp.listen(0, 7002, 0, 0);
    const a = tcp.connect(OWN, 7002, 0, 0, 0);
    settle(core, 0);
    const server = tcp.accept(listener);
    // The client writes and closes before its FIN is answered: it lingers as an orphan.
    write(core, a, 100, 1);
    expect<i32>(tcp.close(a, 1 * MS)).toBe(0);
    const evicted = stats[STAT_TCP_ORPHANS_EVICTED];
    // Table of 2: the orphaned client and the server hold both slots; connect reclaims the orphan.
    const c = tcp.connect(OWN, 7002, 0, 0, 1 * MS);
    expect<i32>(c).toBeGreaterThan(0);
    expect<u32>(stats[STAT_TCP_ORPHANS_EVICTED] - evicted).toBe(1);
    expect<i32>(server).toBeGreaterThan(0);
  });
});
