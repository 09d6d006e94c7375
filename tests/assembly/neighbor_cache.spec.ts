import {
  NeighborCache, NeighborState, NO_MAC, NO_ADDRESS, NEIGHBOR_OK, NEIGHBOR_FRAME_TOO_LONG, NEIGHBOR_BAD_FRAME,
  NEIGHBOR_BAD_ADDRESS, NEIGHBOR_NO_ROOM, NEIGHBOR_MAX_FRAME_STORAGE,
} from "../../assembly/iface/neighbor_cache";
import { NO_DEADLINE, satAdd } from "../../assembly/time";
import { pinnedScratch, sameBytes } from "./helpers";

// Every time below is an exact fake-clock value in microseconds; nothing reads a real clock.

const SECOND: i64 = 1_000_000;
const RETRY: i64 = SECOND;
const LIFETIME: i64 = 60 * SECOND;
const MAX_REQUESTS: i32 = 3;
const FRAME: i32 = 64;
const PENDING: i32 = 2;
const ENTRIES: i32 = 4;
/** An arbitrary start time, so nothing depends on the clock starting at 0. */
const T0: i64 = 5_000_000_000;

const A: u32 = 0x0a000002; // 10.0.0.2
const B: u32 = 0x0a000003;
const C: u32 = 0x0a000004;
const D: u32 = 0x0a000005;
const E: u32 = 0x0a000006;
const MAC_A: u64 = 0x02_00_00_00_00_0a;
const MAC_B: u64 = 0x02_00_00_00_00_0b;
const MAC_C: u64 = 0x02_00_00_00_00_0c;
const MAC_D: u64 = 0x02_00_00_00_00_0d;
const MAC_E: u64 = 0x02_00_00_00_00_0e;

function cache(): NeighborCache {
  return new NeighborCache(ENTRIES, PENDING, FRAME, LIFETIME, RETRY, MAX_REQUESTS);
}

/** A frame of `len` bytes whose content depends on `tag`: (tag * 31 + k) at byte k. */
function frame(tag: i32, len: i32): usize {
  const p = pinnedScratch(len);
  for (let k = 0; k < len; k++) store<u8>(p + k, <u8>(tag * 31 + k));
  return p;
}

/** Whether the i-th ready frame of ip is byte-identical to `expected` of `len` bytes. */
function readyIs(c: NeighborCache, ip: u32, i: i32, expected: usize, len: i32): bool {
  return c.readyFrameLen(ip, i) == len && sameBytes(c.readyFramePtr(ip, i), expected, len);
}

/** Slot index holding ip, or -1 (through the introspection calls only). */
function slotOf(c: NeighborCache, ip: u32): i32 {
  for (let i = 0; i < c.capacity; i++) {
    if (c.entryState(i) != NeighborState.Free && c.entryIp(i) == ip) return i;
  }
  return -1;
}

/** Every request due at `now`, sorted. */
function drainRequests(c: NeighborCache, now: i64): u32[] {
  const out: u32[] = [];
  let ip = c.dueRequest(now);
  // The bound only keeps a bug from hanging the run; the cache must stop by itself.
  for (let n = 0; ip != 0 && n < 100_000; n++) {
    out.push(ip);
    ip = c.dueRequest(now);
  }
  out.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

function drainUnreachable(c: NeighborCache): u32[] {
  const out: u32[] = [];
  let ip = c.takeUnreachable();
  for (let n = 0; ip != 0 && n < 100_000; n++) {
    out.push(ip);
    ip = c.takeUnreachable();
  }
  out.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

describe("neighbour cache: lookup and learn (RFC 826 merge)", () => {
  it("misses on an empty cache", () => {
    const c = cache();
    expect<u64>(c.lookup(A, T0)).toBe(NO_MAC);
    expect<i32>(c.size()).toBe(0);
    expect<i32>(c.capacity).toBe(ENTRIES);
    expect<i64>(c.nextDeadline(T0)).toBe(NO_DEADLINE);
  });

  it("hits after a learn that may create (the ARP packet was addressed to us)", () => {
    const c = cache();
    expect<bool>(c.learn(A, MAC_A, T0, true)).toBe(true);
    expect<u64>(c.lookup(A, T0)).toBe(MAC_A);
    expect<u64>(c.lookup(B, T0)).toBe(NO_MAC);
    expect<i32>(c.size()).toBe(1);
    const i = slotOf(c, A);
    expect<i32>(c.entryState(i)).toBe(NeighborState.Resolved);
    expect<u64>(c.entryMac(i)).toBe(MAC_A);
  });

  it("does not create an entry from a learn with create false", () => {
    const c = cache();
    expect<bool>(c.learn(A, MAC_A, T0, false)).toBe(false);
    expect<i32>(c.size()).toBe(0);
    expect<u64>(c.lookup(A, T0)).toBe(NO_MAC);
  });

  it("updates an existing entry's MAC even when create is false (merge flag)", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    expect<bool>(c.learn(A, MAC_B, T0 + 5, false)).toBe(true);
    expect<u64>(c.lookup(A, T0 + 5)).toBe(MAC_B);
    expect<i32>(c.size()).toBe(1);
  });

  it("keeps a learned MAC to 48 bits, so it can never read as NO_MAC", () => {
    const c = cache();
    c.learn(A, NO_MAC, T0, true);
    expect<u64>(c.lookup(A, T0)).toBe(0xffff_ffff_ffff);
    c.learn(B, 0xabcd_0000_0000_0001, T0, true);
    expect<u64>(c.lookup(B, T0)).toBe(0x0000_0000_0001);
  });

  it("refuses address 0 everywhere without creating anything", () => {
    const c = cache();
    expect<bool>(c.learn(0, MAC_A, T0, true)).toBe(false);
    expect<u64>(c.lookup(0, T0)).toBe(NO_MAC);
    expect<i32>(c.enqueue(0, frame(1, 20), 20, T0)).toBe(NEIGHBOR_BAD_ADDRESS);
    expect<i32>(c.size()).toBe(0);
    expect<u32>(c.dueRequest(T0)).toBe(NO_ADDRESS);
    expect<i32>(c.readyCount(0)).toBe(0);
    c.consumeReady(0, 5);
    expect<u32>(c.framesQueued).toBe(0);
  });
});

describe("neighbour cache: requests and backoff (RFC 1122 2.3.2.1)", () => {
  it("creates an INCOMPLETE entry on enqueue and asks for a request at once, once", () => {
    const c = cache();
    expect<i32>(c.enqueue(A, frame(1, 40), 40, T0)).toBe(NEIGHBOR_OK);
    const i = slotOf(c, A);
    expect<i32>(c.entryState(i)).toBe(NeighborState.Incomplete);
    expect<i32>(c.entryPendingCount(i)).toBe(1);
    expect<u64>(c.lookup(A, T0)).toBe(NO_MAC);
    expect<i64>(c.nextDeadline(T0)).toBe(T0);
    expect<u32>(c.dueRequest(T0)).toBe(A);
    expect<u32>(c.dueRequest(T0)).toBe(NO_ADDRESS);
    expect<u32>(c.requestsSent).toBe(1);
    expect<i32>(c.entryRequests(i)).toBe(1);
  });

  it("asks again exactly retryMicros later, not one microsecond before", () => {
    const c = cache();
    c.enqueue(A, frame(1, 40), 40, T0);
    expect<u32>(c.dueRequest(T0)).toBe(A);
    expect<u32>(c.dueRequest(T0 + RETRY - 1)).toBe(NO_ADDRESS);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(A);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(NO_ADDRESS);
    expect<u32>(c.requestsSent).toBe(2);
  });

  it("doubles the interval after every request: 0, 1, 3, 7, 15 s", () => {
    const c = new NeighborCache(ENTRIES, PENDING, FRAME, LIFETIME, RETRY, 5);
    c.enqueue(A, frame(1, 40), 40, T0);
    const at: i64[] = [0, 1, 3, 7, 15];
    for (let n = 0; n < at.length; n++) {
      const t = T0 + at[n] * SECOND;
      if (n > 0) {
        expect<u32>(c.dueRequest(t - 1)).toBe(NO_ADDRESS);
        expect<i64>(c.nextDeadline(t - 1)).toBe(t);
      }
      expect<u32>(c.dueRequest(t)).toBe(A);
      expect<u32>(c.dueRequest(t)).toBe(NO_ADDRESS);
    }
    expect<u32>(c.requestsSent).toBe(5);
    expect<u32>(c.giveUps).toBe(0);
  });

  it("spaces requests from when they were sent, when the caller polls late", () => {
    const c = cache();
    c.enqueue(A, frame(1, 40), 40, T0);
    expect<u32>(c.dueRequest(T0 + 500_000)).toBe(A);
    expect<u32>(c.dueRequest(T0 + 500_000 + RETRY - 1)).toBe(NO_ADDRESS);
    expect<u32>(c.dueRequest(T0 + 500_000 + RETRY)).toBe(A);
  });

  it("gives up exactly one backoff interval after the last request, dropping and reporting once", () => {
    const c = cache();
    c.enqueue(A, frame(1, 40), 40, T0);
    c.enqueue(A, frame(2, 30), 30, T0 + 10);
    expect<u32>(c.dueRequest(T0)).toBe(A);
    expect<u32>(c.dueRequest(T0 + 1 * SECOND)).toBe(A);
    expect<u32>(c.dueRequest(T0 + 3 * SECOND)).toBe(A);
    // Three requests went out (maxRequests); the last waits 4 s for an answer.
    expect<i64>(c.nextDeadline(T0 + 3 * SECOND)).toBe(T0 + 7 * SECOND);
    expect<u32>(c.dueRequest(T0 + 7 * SECOND - 1)).toBe(NO_ADDRESS);
    expect<i32>(c.size()).toBe(1);
    expect<u32>(c.giveUps).toBe(0);
    expect<u32>(c.takeUnreachable()).toBe(NO_ADDRESS);

    expect<u32>(c.dueRequest(T0 + 7 * SECOND)).toBe(NO_ADDRESS);
    expect<u32>(c.giveUps).toBe(1);
    expect<u32>(c.pendingDropped).toBe(2);
    expect<u32>(c.requestsSent).toBe(3);
    expect<i32>(c.size()).toBe(0);
    expect<i32>(c.pendingTotal).toBe(0);
    expect<u32>(c.takeUnreachable()).toBe(A);
    expect<u32>(c.takeUnreachable()).toBe(NO_ADDRESS);
    expect<u32>(c.dueRequest(T0 + 100 * SECOND)).toBe(NO_ADDRESS);
    expect<u32>(c.takeUnreachable()).toBe(NO_ADDRESS);
    expect<i64>(c.nextDeadline(T0 + 7 * SECOND)).toBe(NO_DEADLINE);
  });

  it("starts a fresh resolution for a send after a give-up", () => {
    const c = new NeighborCache(ENTRIES, PENDING, FRAME, LIFETIME, RETRY, 1);
    c.enqueue(A, frame(1, 40), 40, T0);
    expect<u32>(c.dueRequest(T0)).toBe(A);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(NO_ADDRESS);
    expect<u32>(c.takeUnreachable()).toBe(A);
    expect<i32>(c.enqueue(A, frame(2, 40), 40, T0 + RETRY)).toBe(NEIGHBOR_OK);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(A);
    expect<u32>(c.dueRequest(T0 + 2 * RETRY - 1)).toBe(NO_ADDRESS);
    expect<u32>(c.giveUps).toBe(1);
  });

  it("reports each of several give-ups once, and every due destination once per round", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    c.enqueue(B, frame(2, 10), 10, T0);
    c.enqueue(C, frame(3, 10), 10, T0);
    expect<u32[]>(drainRequests(c, T0)).toStrictEqual([A, B, C]);
    c.learn(B, MAC_B, T0 + 10, false);
    expect<u32[]>(drainRequests(c, T0 + RETRY)).toStrictEqual([A, C]);
    expect<u32[]>(drainRequests(c, T0 + 3 * RETRY)).toStrictEqual([A, C]);
    expect<u32[]>(drainRequests(c, T0 + 7 * RETRY)).toStrictEqual([]);
    expect<u32[]>(drainUnreachable(c)).toStrictEqual([A, C]);
    expect<u32[]>(drainUnreachable(c)).toStrictEqual([]);
    expect<u32>(c.giveUps).toBe(2);
    expect<u32>(c.pendingDropped).toBe(2);
    expect<u64>(c.lookup(B, T0 + 7 * RETRY)).toBe(MAC_B);
  });

  it("stops asking once the reply is learned", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    expect<u32>(c.dueRequest(T0)).toBe(A);
    expect<bool>(c.learn(A, MAC_A, T0 + 300, false)).toBe(true);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(NO_ADDRESS);
    expect<u32>(c.dueRequest(T0 + 50 * RETRY)).toBe(NO_ADDRESS);
    expect<u32>(c.giveUps).toBe(0);
    expect<u32>(c.takeUnreachable()).toBe(NO_ADDRESS);
  });

  it("never asks for one destination more than once per retry interval under constant polling", () => {
    const c = new NeighborCache(ENTRIES, PENDING, FRAME, LIFETIME, RETRY, 6);
    c.enqueue(A, frame(1, 10), 10, T0);
    const times: i64[] = [];
    // Polled every 10 ms for 70 s.
    for (let t = T0; t < T0 + 70 * SECOND; t += 10_000) {
      if (c.dueRequest(t) == A) times.push(t - T0);
    }
    expect<i64[]>(times).toStrictEqual([0, 1 * SECOND, 3 * SECOND, 7 * SECOND, 15 * SECOND, 31 * SECOND]);
    expect<u32>(c.takeUnreachable()).toBe(A);
  });
});

describe("neighbour cache: waiting frames (RFC 1122 2.3.2.2)", () => {
  it("releases waiting frames byte-identical and in order once the address is learned", () => {
    const c = cache();
    const f1 = frame(1, 60);
    const f2 = frame(2, 42);
    c.enqueue(A, f1, 60, T0);
    c.enqueue(A, f2, 42, T0 + 1);
    expect<i32>(c.readyCount(A)).toBe(0);
    expect<u32>(c.nextReady()).toBe(NO_ADDRESS);
    c.dueRequest(T0);
    expect<bool>(c.learn(A, MAC_A, T0 + 100, false)).toBe(true);
    expect<u32>(c.nextReady()).toBe(A);
    expect<i32>(c.readyCount(A)).toBe(2);
    expect<bool>(readyIs(c, A, 0, f1, 60)).toBe(true);
    expect<bool>(readyIs(c, A, 1, f2, 42)).toBe(true);
    expect<u64>(c.lookup(A, T0 + 100)).toBe(MAC_A);
    c.consumeReady(A, 2);
    expect<i32>(c.readyCount(A)).toBe(0);
    expect<u32>(c.nextReady()).toBe(NO_ADDRESS);
    expect<u32>(c.framesQueued).toBe(2);
    expect<u32>(c.framesReleased).toBe(2);
    expect<u32>(c.pendingDropped).toBe(0);
  });

  it("keeps the rest when the caller sends only part (its transmit queue was full)", () => {
    const c = cache();
    const f1 = frame(1, 20);
    const f2 = frame(2, 21);
    c.enqueue(A, f1, 20, T0);
    c.enqueue(A, f2, 21, T0);
    c.learn(A, MAC_A, T0, false);
    c.consumeReady(A, 1);
    expect<i32>(c.readyCount(A)).toBe(1);
    expect<bool>(readyIs(c, A, 0, f2, 21)).toBe(true);
    expect<u32>(c.nextReady()).toBe(A);
    // A frame queued now goes behind the one still waiting.
    const f3 = frame(3, 22);
    c.enqueue(A, f3, 22, T0);
    expect<i32>(c.readyCount(A)).toBe(2);
    expect<bool>(readyIs(c, A, 0, f2, 21)).toBe(true);
    expect<bool>(readyIs(c, A, 1, f3, 22)).toBe(true);
    c.consumeReady(A, 0);
    c.consumeReady(A, -3);
    expect<i32>(c.readyCount(A)).toBe(2);
    c.consumeReady(A, 99);
    expect<i32>(c.readyCount(A)).toBe(0);
    expect<u32>(c.framesReleased).toBe(3);
  });

  it("drops the oldest frame, counted, when an entry's queue is full", () => {
    const c = cache();
    const f1 = frame(1, 30);
    const f2 = frame(2, 31);
    const f3 = frame(3, 32);
    c.enqueue(A, f1, 30, T0);
    c.enqueue(A, f2, 31, T0);
    expect<u32>(c.pendingDropped).toBe(0);
    expect<i32>(c.enqueue(A, f3, 32, T0)).toBe(NEIGHBOR_OK);
    expect<u32>(c.pendingDropped).toBe(1);
    expect<i32>(c.entryPendingCount(slotOf(c, A))).toBe(PENDING);
    c.learn(A, MAC_A, T0, false);
    expect<i32>(c.readyCount(A)).toBe(2);
    expect<bool>(readyIs(c, A, 0, f2, 31)).toBe(true);
    expect<bool>(readyIs(c, A, 1, f3, 32)).toBe(true);
  });

  it("refuses a frame longer than a slot or with a bad length, and accepts exactly frameBytes", () => {
    const c = cache();
    const big = frame(9, FRAME + 1);
    expect<i32>(c.enqueue(A, big, FRAME + 1, T0)).toBe(NEIGHBOR_FRAME_TOO_LONG);
    expect<i32>(c.enqueue(A, big, -1, T0)).toBe(NEIGHBOR_BAD_FRAME);
    expect<i32>(c.enqueue(A, big, i32.MIN_VALUE, T0)).toBe(NEIGHBOR_BAD_FRAME);
    expect<i32>(c.size()).toBe(0);
    expect<u32>(c.framesQueued).toBe(0);
    expect<i32>(c.enqueue(A, big, FRAME, T0)).toBe(NEIGHBOR_OK);
    c.learn(A, MAC_A, T0, false);
    expect<bool>(readyIs(c, A, 0, big, FRAME)).toBe(true);
  });

  it("accepts an empty frame at address 0 and refuses a range outside memory, without trapping", () => {
    const c = cache();
    expect<i32>(c.enqueue(A, 0, 0, T0)).toBe(NEIGHBOR_OK);
    c.learn(A, MAC_A, T0, false);
    expect<i32>(c.readyCount(A)).toBe(1);
    expect<i32>(c.readyFrameLen(A, 0)).toBe(0);
    const end = <usize>memory.size() << 16;
    expect<i32>(c.enqueue(B, end - 4, 8, T0)).toBe(NEIGHBOR_BAD_FRAME);
    expect<i32>(c.enqueue(B, <usize>-1, 8, T0)).toBe(NEIGHBOR_BAD_FRAME);
    expect<i32>(c.enqueue(B, end - 8, 8, T0)).toBe(NEIGHBOR_OK);
  });

  it("answers neutrally for frames that are not there", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    // Not resolved: nothing is ready.
    expect<i32>(c.readyCount(A)).toBe(0);
    expect<usize>(c.readyFramePtr(A, 0)).toBe(0);
    c.consumeReady(A, 1);
    expect<i32>(c.entryPendingCount(slotOf(c, A))).toBe(1);
    c.learn(A, MAC_A, T0, false);
    expect<usize>(c.readyFramePtr(A, -1)).toBe(0);
    expect<usize>(c.readyFramePtr(A, 1)).toBe(0);
    expect<i32>(c.readyFrameLen(A, 1)).toBe(0);
    expect<usize>(c.readyFramePtr(B, 0)).toBe(0);
    expect<i32>(c.readyCount(B)).toBe(0);
  });

  it("queues behind a resolved entry's waiting frames and finds every ready entry", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    c.enqueue(B, frame(2, 10), 10, T0);
    c.enqueue(C, frame(3, 10), 10, T0);
    c.learn(A, MAC_A, T0, false);
    c.learn(C, MAC_C, T0, false);
    const seen: u32[] = [];
    for (let ip = c.nextReady(); ip != 0; ip = c.nextReady()) {
      seen.push(ip);
      c.consumeReady(ip, c.readyCount(ip));
    }
    seen.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
    expect<u32[]>(seen).toStrictEqual([A, C]);
    expect<i32>(c.entryPendingCount(slotOf(c, B))).toBe(1);
  });
});

describe("neighbour cache: least recently used eviction", () => {
  it("evicts the least recently used entry when full; the most recently looked-up survives", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    c.learn(B, MAC_B, T0 + 1, true);
    c.learn(C, MAC_C, T0 + 2, true);
    c.learn(D, MAC_D, T0 + 3, true);
    expect<u64>(c.lookup(A, T0 + 4)).toBe(MAC_A);
    expect<bool>(c.learn(E, MAC_E, T0 + 5, true)).toBe(true);
    expect<u32>(c.evictions).toBe(1);
    expect<i32>(c.size()).toBe(ENTRIES);
    expect<u64>(c.lookup(A, T0 + 6)).toBe(MAC_A);
    expect<u64>(c.lookup(B, T0 + 6)).toBe(NO_MAC);
    expect<u64>(c.lookup(C, T0 + 6)).toBe(MAC_C);
    expect<u64>(c.lookup(D, T0 + 6)).toBe(MAC_D);
    expect<u64>(c.lookup(E, T0 + 6)).toBe(MAC_E);
  });

  it("counts the frames of an evicted INCOMPLETE entry as dropped", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    c.enqueue(A, frame(2, 10), 10, T0);
    c.learn(B, MAC_B, T0, true);
    c.learn(C, MAC_C, T0, true);
    c.learn(D, MAC_D, T0, true);
    expect<i32>(c.enqueue(E, frame(3, 10), 10, T0)).toBe(NEIGHBOR_OK);
    expect<u32>(c.evictions).toBe(1);
    expect<u32>(c.pendingDropped).toBe(2);
    expect<i32>(slotOf(c, A)).toBe(-1);
    expect<i32>(c.pendingTotal).toBe(1);
    // An evicted resolution is not a give-up: nothing to report.
    expect<u32>(c.takeUnreachable()).toBe(NO_ADDRESS);
    expect<u32[]>(drainRequests(c, T0)).toStrictEqual([E]);
  });

  it("counts an enqueue as a use", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    c.learn(B, MAC_B, T0, true);
    c.learn(C, MAC_C, T0, true);
    c.learn(D, MAC_D, T0, true);
    c.enqueue(A, frame(1, 10), 10, T0);
    c.learn(E, MAC_E, T0, true);
    expect<i32>(slotOf(c, A)).toBeGreaterThanOrEqual(0);
    expect<i32>(slotOf(c, B)).toBe(-1);
  });

  it("does not create entries when a learn without create finds the cache full", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    c.learn(B, MAC_B, T0, true);
    c.learn(C, MAC_C, T0, true);
    c.learn(D, MAC_D, T0, true);
    expect<bool>(c.learn(E, MAC_E, T0, false)).toBe(false);
    expect<u32>(c.evictions).toBe(0);
    expect<u64>(c.lookup(A, T0)).toBe(MAC_A);
  });

  it("keeps exactly the last `capacity` destinations through heavy churn", () => {
    const cap = 64;
    const c = new NeighborCache(cap, 1, 16, LIFETIME, RETRY, MAX_REQUESTS);
    const total = 5000;
    for (let n = 0; n < total; n++) {
      // Addresses scattered over the whole space, so the index sees long and wrapping probe runs.
      const ip = <u32>(n + 1) * 0x01000193;
      expect<bool>(c.learn(ip, <u64>n, T0, true)).toBe(true);
    }
    expect<i32>(c.size()).toBe(cap);
    expect<u32>(c.evictions).toBe(<u32>(total - cap));
    for (let n = 0; n < total; n++) {
      const ip = <u32>(n + 1) * 0x01000193;
      expect<u64>(c.lookup(ip, T0)).toBe(n >= total - cap ? <u64>n : NO_MAC);
    }
  });
});

describe("neighbour cache: lifetime and expiry", () => {
  it("is valid one microsecond before its lifetime ends and expired at it", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    expect<u64>(c.lookup(A, T0 + LIFETIME - 1)).toBe(MAC_A);
    expect<u64>(c.lookup(A, T0 + LIFETIME)).toBe(NO_MAC);
    c.expire(T0 + LIFETIME - 1);
    expect<i32>(c.size()).toBe(1);
    c.expire(T0 + LIFETIME);
    expect<i32>(c.size()).toBe(0);
    expect<i64>(c.nextDeadline(T0 + LIFETIME)).toBe(NO_DEADLINE);
  });

  it("refreshes the lifetime on every learn", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    c.learn(A, MAC_A, T0 + 10 * SECOND, false);
    expect<u64>(c.lookup(A, T0 + LIFETIME)).toBe(MAC_A);
    expect<u64>(c.lookup(A, T0 + 10 * SECOND + LIFETIME - 1)).toBe(MAC_A);
    expect<u64>(c.lookup(A, T0 + 10 * SECOND + LIFETIME)).toBe(NO_MAC);
  });

  it("re-resolves after expiry: the next send asks again at once and waits for the reply", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    const t = T0 + LIFETIME;
    expect<u64>(c.lookup(A, t)).toBe(NO_MAC);
    // expire() has not run yet: the enqueue itself notices the lifetime passed.
    const f = frame(4, 50);
    expect<i32>(c.enqueue(A, f, 50, t)).toBe(NEIGHBOR_OK);
    expect<i32>(c.entryState(slotOf(c, A))).toBe(NeighborState.Incomplete);
    expect<i32>(c.readyCount(A)).toBe(0);
    expect<u32>(c.dueRequest(t)).toBe(A);
    c.learn(A, MAC_B, t + 200, false);
    expect<u64>(c.lookup(A, t + 200)).toBe(MAC_B);
    expect<bool>(readyIs(c, A, 0, f, 50)).toBe(true);
  });

  it("re-resolves an expired entry that still holds frames instead of dropping them", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    c.learn(A, MAC_A, T0, false);
    // The caller could not send (transmit queue full) until the lifetime passed.
    c.expire(T0 + LIFETIME);
    expect<i32>(c.size()).toBe(1);
    expect<i32>(c.entryState(slotOf(c, A))).toBe(NeighborState.Incomplete);
    expect<u32>(c.nextReady()).toBe(NO_ADDRESS);
    expect<u32>(c.pendingDropped).toBe(0);
    expect<u32>(c.dueRequest(T0 + LIFETIME)).toBe(A);
  });

  it("keeps INCOMPLETE entries through expire (only the request schedule ends them)", () => {
    const c = cache();
    c.enqueue(A, frame(1, 10), 10, T0);
    c.expire(T0 + 10 * LIFETIME);
    expect<i32>(c.size()).toBe(1);
  });
});

describe("neighbour cache: deadlines and saturation", () => {
  it("reports the earliest of request, give-up and expiry times, never before now", () => {
    const c = cache();
    expect<i64>(c.nextDeadline(T0)).toBe(NO_DEADLINE);
    c.learn(A, MAC_A, T0, true);
    expect<i64>(c.nextDeadline(T0)).toBe(T0 + LIFETIME);
    c.enqueue(B, frame(1, 10), 10, T0 + 5);
    // Its first request is due at once.
    expect<i64>(c.nextDeadline(T0 + 5)).toBe(T0 + 5);
    expect<i64>(c.nextDeadline(T0 + 9)).toBe(T0 + 9);
    c.dueRequest(T0 + 9);
    expect<i64>(c.nextDeadline(T0 + 9)).toBe(T0 + 9 + RETRY);
    // Overdue work is reported as due now.
    expect<i64>(c.nextDeadline(T0 + 9 + 5 * RETRY)).toBe(T0 + 9 + 5 * RETRY);
    c.learn(B, MAC_B, T0 + 20, false);
    // B's frame is ready: due now until the caller takes it (a full transmit queue must not hold
    // it back until an expiry).
    expect<i64>(c.nextDeadline(T0 + 20)).toBe(T0 + 20);
    expect<i64>(c.nextDeadline(T0 + 30)).toBe(T0 + 30);
    c.consumeReady(B, 1);
    expect<i64>(c.nextDeadline(T0 + 30)).toBe(T0 + LIFETIME);
    c.expire(T0 + LIFETIME);
    expect<i64>(c.nextDeadline(T0 + LIFETIME)).toBe(T0 + 20 + LIFETIME);
  });

  it("does not wrap into the past when now is near i64.MAX", () => {
    const c = cache();
    const late = i64.MAX_VALUE - 10;
    c.learn(A, MAC_A, late, true);
    expect<u64>(c.lookup(A, i64.MAX_VALUE - 1)).toBe(MAC_A);
    expect<u64>(c.lookup(A, i64.MAX_VALUE)).toBe(MAC_A);
    c.expire(i64.MAX_VALUE);
    expect<i32>(c.size()).toBe(1);
    c.enqueue(B, frame(1, 10), 10, late);
    expect<u32>(c.dueRequest(late)).toBe(B);
    // The next request time saturated: never due, and no deadline to report.
    expect<u32>(c.dueRequest(i64.MAX_VALUE)).toBe(NO_ADDRESS);
    expect<i64>(c.nextDeadline(i64.MAX_VALUE - 1)).toBe(NO_DEADLINE);
  });

  it("saturates long backoff schedules and huge settings without trapping", () => {
    const third = i64.MAX_VALUE / 3;
    const c = new NeighborCache(2, 1, 8, i64.MAX_VALUE, third, 1000);
    c.enqueue(A, frame(1, 8), 8, 0);
    expect<u32>(c.dueRequest(0)).toBe(A);
    expect<u32>(c.dueRequest(third)).toBe(A);
    // The second wait is 2 * third, ending at 3 * third == i64.MAX - 1: still representable.
    expect<i64>(c.entryDeadline(slotOf(c, A))).toBe(3 * third);
    expect<u32>(c.dueRequest(3 * third - 1)).toBe(NO_ADDRESS);
    expect<u32>(c.dueRequest(3 * third)).toBe(A);
    // The third wait (4 * third) overflows: it saturates to "never" instead of wrapping.
    expect<i64>(c.entryDeadline(slotOf(c, A))).toBe(NO_DEADLINE);
    expect<u32>(c.dueRequest(i64.MAX_VALUE)).toBe(NO_ADDRESS);
    expect<i64>(c.nextDeadline(i64.MAX_VALUE - 1)).toBe(NO_DEADLINE);
    c.learn(A, MAC_A, 0, false);
    expect<u64>(c.lookup(A, i64.MAX_VALUE - 1)).toBe(MAC_A);

    const d = new NeighborCache(1, 1, 8, SECOND, 1, 200);
    d.enqueue(A, 0, 0, 0);
    let t: i64 = 0;
    let sent = 0;
    for (let n = 0; n < 200; n++) {
      if (d.dueRequest(t) == A) sent++;
      t = d.entryDeadline(0);
      if (t == NO_DEADLINE) break;
    }
    // Request n goes out at 2^(n-1) - 1 us; the 64th would fall on 2^63 - 1 == i64.MAX, which is
    // NO_DEADLINE ("never"), so exactly 63 go out and the loop ends without wrapping.
    expect<i32>(sent).toBe(63);
  });

  it("clamps nonsense construction arguments and never traps on them", () => {
    const z = new NeighborCache(0, 0, 0, -5, -5, -5);
    expect<i32>(z.capacity).toBe(0);
    expect<i32>(z.enqueue(A, 0, 0, T0)).toBe(NEIGHBOR_NO_ROOM);
    expect<bool>(z.learn(A, MAC_A, T0, true)).toBe(false);
    expect<u32>(z.dueRequest(T0)).toBe(NO_ADDRESS);
    expect<u32>(z.nextReady()).toBe(NO_ADDRESS);
    expect<u32>(z.takeUnreachable()).toBe(NO_ADDRESS);
    expect<i64>(z.nextDeadline(T0)).toBe(NO_DEADLINE);
    z.expire(T0);
    expect<u32>(z.entryIp(0)).toBe(NO_ADDRESS);

    const n = new NeighborCache(-3, -1, -1, 0, 0, 0);
    expect<i32>(n.capacity).toBe(0);
    expect<i32>(n.pendingCapacity).toBe(1);
    expect<i32>(n.frameCapacity).toBe(0);

    // At least one frame per destination (RFC 1122 2.3.2.2), retry at least 1 us, one request.
    const one = new NeighborCache(1, 0, 16, 0, 0, 0);
    expect<i32>(one.pendingCapacity).toBe(1);
    one.enqueue(A, frame(1, 4), 4, T0);
    expect<u32>(one.dueRequest(T0)).toBe(A);
    expect<u32>(one.dueRequest(T0)).toBe(NO_ADDRESS);
    expect<u32>(one.dueRequest(T0 + 1)).toBe(NO_ADDRESS);
    expect<u32>(one.takeUnreachable()).toBe(A);
  });

  it("bounds its frame storage, reducing the per-entry queue first", () => {
    const c = new NeighborCache(1024, 1 << 16, 1514, LIFETIME, RETRY, MAX_REQUESTS);
    expect<i32>(c.capacity).toBe(1024);
    const perSlot: u64 = 1514 + 4;
    expect<i32>(c.pendingCapacity).toBe(<i32>(NEIGHBOR_MAX_FRAME_STORAGE / (1024 * perSlot)));
    expect<u64>(<u64>c.capacity * <u64>c.pendingCapacity * perSlot).toBeLessThanOrEqual(NEIGHBOR_MAX_FRAME_STORAGE);
  });

  it("describes every slot for the report", () => {
    const c = cache();
    c.learn(A, MAC_A, T0, true);
    c.enqueue(B, frame(1, 10), 10, T0);
    c.dueRequest(T0);
    const a = slotOf(c, A);
    const b = slotOf(c, B);
    expect<u64>(c.entryMac(a)).toBe(MAC_A);
    expect<i64>(c.entryDeadline(a)).toBe(T0 + LIFETIME);
    expect<i32>(c.entryState(b)).toBe(NeighborState.Incomplete);
    expect<u64>(c.entryMac(b)).toBe(NO_MAC);
    expect<i32>(c.entryPendingCount(b)).toBe(1);
    expect<i32>(c.entryRequests(b)).toBe(1);
    expect<i64>(c.entryDeadline(b)).toBe(T0 + RETRY);
    let free = 0;
    for (let i = 0; i < c.capacity; i++) if (c.entryState(i) == NeighborState.Free) free++;
    expect<i32>(free).toBe(ENTRIES - 2);
    expect<i32>(c.entryState(-1)).toBe(NeighborState.Free);
    expect<i32>(c.entryState(ENTRIES)).toBe(NeighborState.Free);
    expect<u32>(c.entryIp(ENTRIES + 100)).toBe(NO_ADDRESS);
    expect<i64>(c.entryDeadline(-7)).toBe(NO_DEADLINE);
  });
});

// ------------------------------------------------------------------------------------------------
// Randomized comparison with a plain reference model: arrays, linear search, no cleverness. The
// model states the documented behaviour directly; the cache must agree on every answer, and every
// frame it hands back must be one that was queued for that address, intact, in order, and only once.

const M_RETRY: i64 = 1000;
const M_LIFETIME: i64 = 5000;
const M_MAX_REQUESTS: i32 = 3;
const M_ENTRIES: i32 = 6;
const M_PENDING: i32 = 3;
const M_FRAME: i32 = 48;
const M_ADDRESSES: i32 = 11;
/** Frame header written by the test: id (u32), destination (u32); the rest follows from the id. */
const M_HEADER: i32 = 8;

class ModelEntry {
  ip: u32 = 0;
  resolved: bool = false;
  mac: u64 = 0;
  expiresAt: i64 = 0;
  nextAt: i64 = 0;
  requests: i32 = 0;
  frames: i32[] = [];
}

class Model {
  /** Most recently used first. */
  entries: ModelEntry[] = [];
  queued: u32 = 0;
  released: u32 = 0;
  dropped: u32 = 0;
  evictions: u32 = 0;
  giveUps: u32 = 0;
  requests: u32 = 0;

  find(ip: u32): i32 {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].ip == ip) return i;
    return -1;
  }

  /** Moves entry i to the front; returns it. */
  touch(i: i32): ModelEntry {
    const e = this.entries[i];
    this.entries.splice(i, 1);
    this.entries.unshift(e);
    return e;
  }

  create(ip: u32): ModelEntry {
    if (this.entries.length == M_ENTRIES) {
      const victim = this.entries.pop();
      this.dropped += <u32>victim.frames.length;
      this.evictions++;
    }
    const e = new ModelEntry();
    e.ip = ip;
    this.entries.unshift(e);
    return e;
  }

  static expired(deadline: i64, now: i64): bool {
    return deadline != NO_DEADLINE && now >= deadline;
  }

  lookup(ip: u32, now: i64): u64 {
    const i = this.find(ip);
    if (i < 0) return NO_MAC;
    const e = this.entries[i];
    if (!e.resolved || Model.expired(e.expiresAt, now)) return NO_MAC;
    this.touch(i);
    return e.mac;
  }

  learn(ip: u32, mac: u64, now: i64, create: bool): bool {
    let i = this.find(ip);
    let e: ModelEntry;
    if (i < 0) {
      if (!create) return false;
      e = this.create(ip);
    } else {
      e = this.entries[i];
    }
    e.resolved = true;
    e.mac = mac;
    e.expiresAt = satAdd(now, M_LIFETIME);
    return true;
  }

  enqueue(ip: u32, id: i32, now: i64): void {
    let i = this.find(ip);
    let e: ModelEntry;
    if (i < 0) {
      e = this.create(ip);
      e.resolved = false;
      e.requests = 0;
      e.nextAt = i64.MIN_VALUE;
    } else {
      e = this.touch(i);
      if (e.resolved && Model.expired(e.expiresAt, now)) {
        e.resolved = false;
        e.requests = 0;
        e.nextAt = i64.MIN_VALUE;
      }
    }
    if (e.frames.length == M_PENDING) {
      e.frames.shift();
      this.dropped++;
    }
    e.frames.push(id);
    this.queued++;
  }

  /** Requests due at now (sorted); the give-ups go to `gaveUp`. */
  due(now: i64, gaveUp: u32[]): u32[] {
    const out: u32[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.resolved || now < e.nextAt) continue;
      if (e.requests >= M_MAX_REQUESTS) {
        this.giveUps++;
        this.dropped += <u32>e.frames.length;
        gaveUp.push(e.ip);
        this.entries.splice(i, 1);
        i--;
        continue;
      }
      e.requests++;
      this.requests++;
      // retry * 2^(requests - 1), doubling with saturation.
      let wait = M_RETRY;
      for (let k = 1; k < e.requests; k++) wait = satAdd(wait, wait);
      e.nextAt = satAdd(now, wait);
      out.push(e.ip);
    }
    out.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
    gaveUp.sort((a: u32, b: u32): i32 => (a < b ? -1 : a > b ? 1 : 0));
    return out;
  }

  expire(now: i64): void {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e.resolved || !Model.expired(e.expiresAt, now)) continue;
      if (e.frames.length == 0) {
        this.entries.splice(i, 1);
        i--;
      } else {
        e.resolved = false;
        e.requests = 0;
        e.nextAt = i64.MIN_VALUE;
      }
    }
  }

  deadline(now: i64): i64 {
    if (this.anyReady()) return now;
    let t = NO_DEADLINE;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      const d = e.resolved ? e.expiresAt : e.nextAt;
      if (d < t) t = d;
    }
    return t != NO_DEADLINE && t < now ? now : t;
  }

  anyReady(): bool {
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].resolved && this.entries[i].frames.length > 0) return true;
    }
    return false;
  }

  held(): i32 {
    let n = 0;
    for (let i = 0; i < this.entries.length; i++) n += this.entries[i].frames.length;
    return n;
  }
}

let rngState: u64 = 0x9e3779b97f4a7c15;
function rand(): u64 {
  // xorshift64 (Marsaglia 2003).
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rngState = x;
  return x;
}
function below(n: i32): i32 {
  return <i32>(rand() % <u64>n);
}

function modelAddress(k: i32): u32 {
  return 0x0a000100 + <u32>k + 1;
}

function frameLenOf(id: i32): i32 {
  return M_HEADER + (id * 7) % (M_FRAME - M_HEADER + 1);
}

/** Writes frame `id` for ip into buf: header, then bytes derived from the id. */
function writeModelFrame(buf: usize, id: i32, ip: u32): i32 {
  const len = frameLenOf(id);
  store<u32>(buf, <u32>id);
  store<u32>(buf + 4, ip);
  for (let k = M_HEADER; k < len; k++) store<u8>(buf + k, <u8>(id * 13 + k));
  return len;
}

/** Whether [p, p+len) is exactly frame `id` for ip. */
function isModelFrame(p: usize, len: i32, id: i32, ip: u32): bool {
  if (len != frameLenOf(id) || load<u32>(p) != <u32>id || load<u32>(p + 4) != ip) return false;
  for (let k = M_HEADER; k < len; k++) if (load<u8>(p + k) != <u8>(id * 13 + k)) return false;
  return true;
}

describe("neighbour cache: randomized against a reference model", () => {
  it("agrees with the model on every answer, and never loses track of a frame", () => {
    rngState = 0x2545f4914f6cdd1d;
    const ops = 20_000;
    const c = new NeighborCache(M_ENTRIES, M_PENDING, M_FRAME, M_LIFETIME, M_RETRY, M_MAX_REQUESTS);
    const m = new Model();
    const buf = pinnedScratch(M_FRAME + 1);
    const sent = new StaticArray<bool>(ops + 1);
    let nextId = 1;
    let now: i64 = 1_000_000;
    let mismatches = 0;
    let badFrames = 0;
    let flushed = 0;
    let gaveUpSeen = 0;

    for (let step = 0; step < ops; step++) {
      const op = below(10);
      const ip = modelAddress(below(M_ADDRESSES));
      if (op == 0 || op == 1) {
        if (c.lookup(ip, now) != m.lookup(ip, now)) mismatches++;
      } else if (op == 2) {
        const mac = rand() & 0xffff_ffff_ffff;
        const create = below(2) == 0;
        if (c.learn(ip, mac, now, create) != m.learn(ip, mac, now, create)) mismatches++;
      } else if (op == 3 || op == 4) {
        if (below(20) == 0) {
          // Too long: refused, nothing changes.
          if (c.enqueue(ip, buf, M_FRAME + 1, now) != NEIGHBOR_FRAME_TOO_LONG) mismatches++;
        } else {
          const id = nextId++;
          const len = writeModelFrame(buf, id, ip);
          if (c.enqueue(ip, buf, len, now) != NEIGHBOR_OK) mismatches++;
          m.enqueue(ip, id, now);
          // The cache copied it: scribbling on the caller's buffer must not matter.
          memory.fill(buf, 0xee, <usize>(M_FRAME + 1));
        }
      } else if (op == 5) {
        // Time passes: a step that lands on and around the retry and lifetime edges.
        const kind = below(6);
        const dt: i64 = kind == 0 ? 1 : kind == 1 ? M_RETRY - 1 : kind == 2 ? M_RETRY
          : kind == 3 ? <i64>below(<i32>(3 * M_RETRY)) : kind == 4 ? M_LIFETIME : 0;
        now += dt;
        c.expire(now);
        m.expire(now);
      } else if (op == 6 || op == 7) {
        const gaveUp: u32[] = [];
        const expected = m.due(now, gaveUp);
        const got = drainRequests(c, now);
        if (got.length != expected.length) mismatches++;
        else for (let k = 0; k < got.length; k++) if (got[k] != expected[k]) mismatches++;
        const unreachable = drainUnreachable(c);
        if (unreachable.length != gaveUp.length) mismatches++;
        else for (let k = 0; k < gaveUp.length; k++) if (unreachable[k] != gaveUp[k]) mismatches++;
        gaveUpSeen += gaveUp.length;
      } else if (op == 8) {
        // Flush like the interface does: send what is ready, sometimes only part of it.
        for (let round = 0; round <= M_ENTRIES; round++) {
          const r = c.nextReady();
          if (r == 0) {
            if (m.anyReady()) mismatches++;
            break;
          }
          const mi = m.find(r);
          if (mi < 0) { mismatches++; break; }
          const e = m.entries[mi];
          const n = c.readyCount(r);
          if (!e.resolved || n != e.frames.length || n == 0) { mismatches++; break; }
          const take = below(3) == 0 ? below(n + 1) : n;
          for (let k = 0; k < take; k++) {
            const id = e.frames[k];
            if (!isModelFrame(c.readyFramePtr(r, k), c.readyFrameLen(r, k), id, r)) badFrames++;
            if (sent[id]) badFrames++;
            sent[id] = true;
          }
          c.consumeReady(r, take);
          for (let k = 0; k < take; k++) e.frames.shift();
          m.released += <u32>take;
          flushed += take;
          if (take < n) break;
        }
      } else {
        if (c.nextDeadline(now) != m.deadline(now)) mismatches++;
      }

      // After every operation: same counters, same entries, every frame accounted for.
      if (c.evictions != m.evictions || c.pendingDropped != m.dropped || c.giveUps != m.giveUps) mismatches++;
      if (c.requestsSent != m.requests || c.framesQueued != m.queued || c.framesReleased != m.released) mismatches++;
      if (c.size() != m.entries.length || c.pendingTotal != m.held()) mismatches++;
      if (c.framesQueued != c.framesReleased + c.pendingDropped + <u32>c.pendingTotal) mismatches++;
      let live = 0;
      for (let i = 0; i < c.capacity; i++) {
        const state = c.entryState(i);
        if (state == NeighborState.Free) continue;
        live++;
        const mi = m.find(c.entryIp(i));
        if (mi < 0) { mismatches++; continue; }
        const e = m.entries[mi];
        if ((state == NeighborState.Resolved) != e.resolved || c.entryPendingCount(i) != e.frames.length) mismatches++;
        if (e.resolved && c.entryMac(i) != e.mac) mismatches++;
      }
      if (live != m.entries.length) mismatches++;
      if (mismatches + badFrames > 0) {
        log<string>("first disagreement at step " + step.toString() + ", op " + op.toString());
        break;
      }
    }

    expect<i32>(mismatches).toBe(0);
    expect<i32>(badFrames).toBe(0);
    // The run exercised every path the model describes.
    expect<i32>(flushed).toBeGreaterThan(100);
    expect<i32>(gaveUpSeen).toBeGreaterThan(10);
    expect<u32>(c.evictions).toBeGreaterThan(10);
    expect<u32>(c.pendingDropped).toBeGreaterThan(10);
    expect<u32>(c.unreachableLost).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------------
// Cost with a full cache (issue 6): the time-driven calls a poll makes touch only the entries that
// are due. `entriesVisited` counts every entry they touch, a deterministic stand-in for time.

const BIG: i32 = 65536;

/** What the stack's poll asks the cache, in its order (abi/core.ts): expire, requests, flush, deadline. */
function pollLike(c: NeighborCache, now: i64): i64 {
  c.expire(now);
  for (let ip = c.dueRequest(now); ip != NO_ADDRESS; ip = c.dueRequest(now)) {}
  for (let ip = c.takeUnreachable(); ip != NO_ADDRESS; ip = c.takeUnreachable()) {}
  // Flush as egress.ts does: every ready frame is sent.
  for (let ip = c.nextReady(); ip != NO_ADDRESS; ip = c.nextReady()) c.consumeReady(ip, c.readyCount(ip));
  return c.nextDeadline(now);
}

describe("neighbour cache: an idle poll costs nothing per entry", () => {
  it("touches no entry while 65536 resolved entries wait for their lifetime, then each once", () => {
    const c = new NeighborCache(BIG, 1, FRAME, LIFETIME, RETRY, MAX_REQUESTS);
    for (let n = 0; n < BIG; n++) c.learn(0x0a000000 + <u32>n + 1, <u64>n, T0 + n, true);
    expect<i32>(c.size()).toBe(BIG);
    const before = c.entriesVisited;
    for (let k = 0; k < 100; k++) {
      expect<i64>(pollLike(c, T0 + BIG + <i64>k * SECOND / 10)).toBe(T0 + LIFETIME);
    }
    expect<u64>(c.entriesVisited - before).toBe(0);
    // Half the lifetimes end: exactly those entries are touched, and the deadline moves on.
    expect<i64>(pollLike(c, T0 + LIFETIME + BIG / 2 - 1)).toBe(T0 + LIFETIME + BIG / 2);
    expect<u64>(c.entriesVisited - before).toBe(<u64>(BIG / 2));
    expect<i32>(c.size()).toBe(BIG / 2);
    expect<u64>(c.lookup(0x0a000000 + <u32>(BIG / 2) + 1, T0 + LIFETIME + BIG / 2 - 1)).toBe(<u64>(BIG / 2));
    expect<u64>(c.lookup(0x0a000000 + <u32>(BIG / 2), T0 + LIFETIME + BIG / 2 - 1)).toBe(NO_MAC);
  });

  it("touches only the due entry while 65536 unresolved entries back off", () => {
    const c = new NeighborCache(BIG, 1, FRAME, LIFETIME, RETRY, MAX_REQUESTS);
    for (let n = 0; n < BIG; n++) c.enqueue(0x0a000000 + <u32>n + 1, 0, 0, T0);
    // Every first request is due at once: one visit each.
    let sent = 0;
    for (let ip = c.dueRequest(T0); ip != NO_ADDRESS; ip = c.dueRequest(T0)) sent++;
    expect<i32>(sent).toBe(BIG);
    expect<u64>(c.entriesVisited).toBe(<u64>BIG);
    // Until their retry time nothing is due: polls touch no entry and report that time.
    for (let k = 0; k < 100; k++) expect<i64>(pollLike(c, T0 + <i64>k * (RETRY / 100))).toBe(T0 + RETRY);
    expect<u64>(c.entriesVisited).toBe(<u64>BIG);
    // A reply for one of them takes it out of the schedule without touching the others.
    c.learn(0x0a000000 + 77, MAC_A, T0 + 1, false);
    expect<i64>(pollLike(c, T0 + 2)).toBe(T0 + RETRY);
    expect<u64>(c.entriesVisited).toBe(<u64>BIG);
    // At the retry time every other one is asked again, once each.
    let again = 0;
    for (let ip = c.dueRequest(T0 + RETRY); ip != NO_ADDRESS; ip = c.dueRequest(T0 + RETRY)) again++;
    expect<i32>(again).toBe(BIG - 1);
    expect<u64>(c.entriesVisited).toBe(<u64>(2 * BIG - 1));
  });

  it("reports a flood of give-ups each once, visiting each entry once per step", () => {
    const n = 4096;
    const c = new NeighborCache(n, 1, FRAME, LIFETIME, RETRY, 1);
    for (let k = 0; k < n; k++) c.enqueue(0x0a010000 + <u32>k, 0, 0, T0);
    pollLike(c, T0);
    expect<u64>(c.entriesVisited).toBe(<u64>n);
    // Everything gives up at T0 + RETRY; each address is reported exactly once.
    c.expire(T0 + RETRY);
    expect<u32>(c.dueRequest(T0 + RETRY)).toBe(NO_ADDRESS);
    expect<u64>(c.entriesVisited).toBe(<u64>(2 * n));
    expect<u32>(c.giveUps).toBe(<u32>n);
    const seen = new StaticArray<bool>(n);
    let reported = 0;
    for (let ip = c.takeUnreachable(); ip != NO_ADDRESS; ip = c.takeUnreachable()) {
      const k = <i32>(ip - 0x0a010000);
      expect<bool>(k >= 0 && k < n && !seen[k]).toBe(true);
      seen[k] = true;
      reported++;
    }
    expect<i32>(reported).toBe(n);
    expect<u32>(c.unreachableLost).toBe(0);
    expect<i64>(c.nextDeadline(T0 + RETRY)).toBe(NO_DEADLINE);
  });
});
