// The ARP neighbour cache: IPv4 address -> Ethernet address, plus the frames that wait for an
// address to resolve. Pure bookkeeping: it never sends anything. The interface asks it what to do
// (lookup, dueRequest, nextReady, takeUnreachable) and tells it what happened (learn, enqueue,
// consumeReady). It never reads a clock either: `now` (i64 microseconds, see ../time.ts) comes
// into every call that depends on time, so every timer here is exact under a fake clock.
//
//   storage, allocated once in the constructor (C entries, P pending slots each, F frame bytes)
//   base
//   +-------------------+-----------------+-------------------+--------------------+
//   | entries:          | gave up:        | lengths:          | frames:            |
//   | C x ENTRY_STRIDE  | C x u32 (ring)  | C*P x i32         | C*P x F bytes      |
//   +-------------------+-----------------+-------------------+--------------------+
//   gave up: ring of addresses whose resolution gave up, waiting for takeUnreachable()
//   frames of entry e: a FIFO ring of P slots, slot (e*P + k) at frames + (e*P + k) * F;
//   the oldest frame is at k = head, the next at head + 1 (mod P), count of them in use
//   beside it, each its own allocation from ../storage (all sized by bytesFor()):
//     index     HashIndex  ip -> entry slot (SipHash-keyed, so a peer cannot aim at one run)
//     lruOrder  LruList    every live entry, most recently used first
//     readyList LruList    RESOLVED entries holding frames, the longest waiting at the back
//     requests  TimerHeap  INCOMPLETE entries by the time their next request (or give-up) is due
//     expiries  TimerHeap  RESOLVED entries by the time their lifetime ends
//     reported  HashIndex  ip -> position in the gave-up ring (each give-up is reported once)
//
// No call walks the entries: the time-driven ones (dueRequest, expire, nextDeadline, nextReady)
// read the top of a heap or the back of a list and touch only the entries that are due, so an
// idle poll costs the same with 65536 entries as with one. `entriesVisited` counts the entries
// they touched.
//
//   entry states and what moves them
//     FREE       -> INCOMPLETE  enqueue (its first request is due at once)
//     FREE       -> RESOLVED    learn with create (an ARP packet addressed to us)
//     INCOMPLETE -> RESOLVED    learn (the reply): the waiting frames become ready
//     INCOMPLETE -> FREE        give-up: maxRequests unanswered for one more backoff interval
//     RESOLVED   -> RESOLVED    learn: new MAC, lifetime starts again
//     RESOLVED   -> FREE        expire: lifetime passed, no frames waiting
//     RESOLVED   -> INCOMPLETE  expire with frames still waiting, or enqueue after the lifetime
//     any        -> FREE        evicted as least recently used when a new entry needs the slot
//
// RFC 826 ("Packet reception"): the receiver of any ARP packet first checks whether it already has
// the sender's protocol address in its table; if so it overwrites the hardware address (the "merge
// flag"). Only if the packet is addressed to us (target protocol address is ours) does it add a new
// entry. `learn(ip, mac, now, create)` is that step, `create` being "addressed to us".
//
// RFC 1122 2.3.2.1 (ARP cache validation, flooding): a host must not send ARP requests for the same
// destination more often than once per second. Requests for one address are spaced by retryMicros
// doubling after every unanswered request (exponential backoff), so a retryMicros of at least one
// second (the config default) keeps to the rule. After maxRequests unanswered requests the entry
// gives up, and the stack tells the sockets waiting on it (EHOSTUNREACH).
// RFC 1122 2.3.2.2 (ARP packet queue): the link layer SHOULD save at least one (the latest) packet
// per unresolved destination and send it once the address resolves: "the first ping is not lost".
// Each entry holds up to P frames; when full the OLDEST is dropped (and counted), keeping the latest.
//
// Least recently used: every entry sits on one doubly linked list, most recently used first. A
// lookup hit, an enqueue and a creation move the entry to the front; when a new entry is needed and
// all C are in use, the last one is evicted (its waiting frames dropped and counted).
//
// Nothing here allocates after the constructor, and no argument can make it trap: bad addresses,
// lengths and indices get a negative code or a neutral answer (0, NO_MAC), and every time sum
// saturates (../time.ts), so a `now` near i64.MAX never wraps into the past.

import { satAdd, isExpired, minDeadline, NO_DEADLINE, INSTANT_MIN } from "../time";
import { HashIndex } from "../storage/hash_index";
import { LruList } from "../storage/lru_list";
import { TimerHeap } from "../storage/timer_heap";

/** lookup() when the address is not resolved (or its entry expired). Above 48 bits: never a MAC. */
export const NO_MAC: u64 = <u64>-1;
/** Ethernet addresses are 48 bits; a learned MAC is masked to them, so it can never be NO_MAC. */
const MAC_MASK: u64 = 0xffff_ffff_ffff;

/** The "no address" answer of dueRequest, takeUnreachable and nextReady; never an entry's key. */
export const NO_ADDRESS: u32 = 0;

export const enum NeighborState {
  Free = 0,
  /** Waiting for an ARP reply; requests are due on the backoff schedule. */
  Incomplete = 1,
  /** MAC known until lifetime passes. */
  Resolved = 2,
}

/** enqueue() results. */
export const NEIGHBOR_OK: i32 = 0;
/** The frame is longer than the pending slots (frameBytes). */
export const NEIGHBOR_FRAME_TOO_LONG: i32 = -1;
/** Negative length, or a range that is not inside linear memory. */
export const NEIGHBOR_BAD_FRAME: i32 = -2;
/** ip 0 cannot be resolved (0 is the "none" answer of the query calls). */
export const NEIGHBOR_BAD_ADDRESS: i32 = -3;
/** The cache has no entries or no pending slots at all. */
export const NEIGHBOR_NO_ROOM: i32 = -4;

/** Most entries (the config's table limit). */
export const NEIGHBOR_MAX_ENTRIES: i32 = 1 << 16;
/** Largest frame a pending slot may hold (jumbo frames included). */
export const NEIGHBOR_MAX_FRAME_BYTES: i32 = 1 << 16;
/**
 * Most bytes of pending frame storage (256 MiB). A bigger request is clamped: pendingPerEntry first
 * (down to 1), then entries; `pendingCapacity` and `capacity` report what was granted.
 */
export const NEIGHBOR_MAX_FRAME_STORAGE: u64 = 1 << 28;

/**
 * The index's hash key when the caller gives none: fixed, so only for tests. The stack passes
 * secret keys from its seeded generator, so a peer cannot predict which addresses collide.
 */
export const NEIGHBOR_DEFAULT_HASH_K0: u64 = 0x6e65696768626f75;
export const NEIGHBOR_DEFAULT_HASH_K1: u64 = 0x7220636163686521;

/** No entry (free list end, lookups); the storage types use the same -1. */
const NONE: i32 = -1;
const U32_BYTES: usize = 4;
const I32_BYTES: usize = 4;
const RECORD_ALIGN: usize = 8;
/** Frame storage starts on the runtime's own allocation boundary. */
const FRAMES_ALIGN: usize = 16;
/** Shifts at or beyond this saturate (i64 has 63 value bits). */
const MAX_BACKOFF_SHIFT: i32 = 62;
const WASM_PAGE_BITS: u64 = 16;

/** One entry's record, laid out in the entry area (never allocated on its own). */
@unmanaged
class Entry {
  mac: u64;
  /** RESOLVED: when the lifetime ends. */
  expiresAt: i64;
  /** INCOMPLETE: when the next request (or the give-up) is due; INSTANT_MIN means "now". */
  nextAt: i64;
  ip: u32;
  state: i32;
  /** INCOMPLETE: requests sent so far for this resolution. */
  requests: i32;
  /** Queue position of the oldest pending frame. */
  head: i32;
  /** Pending frames held. */
  count: i32;
  /** FREE: the next free slot (the free list is a stack threaded through the records). */
  nextFree: i32;
}

const ENTRY_STRIDE: usize = (offsetof<Entry>() + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);

@inline function alignUp(n: usize, to: usize): usize {
  return (n + to - 1) & ~(to - 1);
}

/**
 * Entries after clamping: fewer only when even one pending slot each would not fit the frame
 * storage bound (the per-entry queue has been cut to 1 by then, see grantedPending).
 */
function grantedEntries(entries: i32, frame: i32): i32 {
  const cap = entries < 0 ? 0 : entries > NEIGHBOR_MAX_ENTRIES ? NEIGHBOR_MAX_ENTRIES : entries;
  const slotBytes = <u64>frame + <u64>I32_BYTES;
  if (<u64>cap * slotBytes > NEIGHBOR_MAX_FRAME_STORAGE) return <i32>(NEIGHBOR_MAX_FRAME_STORAGE / slotBytes);
  return cap;
}

/** Pending frames per entry after clamping (see the constructor). */
function grantedPending(entries: i32, pendingPerEntry: i32, frame: i32): i32 {
  const cap = entries < 0 ? 0 : entries > NEIGHBOR_MAX_ENTRIES ? NEIGHBOR_MAX_ENTRIES : entries;
  // RFC 1122 2.3.2.2: at least one frame per unresolved destination.
  const pending = pendingPerEntry < 1 ? 1 : pendingPerEntry > NEIGHBOR_MAX_ENTRIES ? NEIGHBOR_MAX_ENTRIES : pendingPerEntry;
  // Each pending slot costs its frame bytes plus its length word.
  const slotBytes = <u64>frame + <u64>I32_BYTES;
  if (cap > 0 && <u64>cap * <u64>pending * slotBytes > NEIGHBOR_MAX_FRAME_STORAGE) {
    const fit = NEIGHBOR_MAX_FRAME_STORAGE / (<u64>cap * slotBytes);
    return fit < 1 ? 1 : <i32>fit;
  }
  return pending;
}

@inline function clampFrame(frameBytes: i32): i32 {
  return frameBytes < 0 ? 0 : frameBytes > NEIGHBOR_MAX_FRAME_BYTES ? NEIGHBOR_MAX_FRAME_BYTES : frameBytes;
}

/** Offsets in the main allocation of a cache of `cap` entries with `slots` pending slots in all. */
@inline function unreachableOffset(cap: i32): usize {
  return <usize>cap * ENTRY_STRIDE;
}
@inline function lengthsOffset(cap: i32): usize {
  return unreachableOffset(cap) + <usize>cap * U32_BYTES;
}
@inline function framesOffset(cap: i32, slots: usize): usize {
  return alignUp(lengthsOffset(cap) + slots * I32_BYTES, FRAMES_ALIGN);
}

/** retry * 2^(n-1), saturating: the wait after the n-th request (n >= 1). */
function backoff(retry: i64, n: i32): i64 {
  const shift = n - 1;
  if (shift <= 0) return retry;
  if (shift > MAX_BACKOFF_SHIFT || retry > (i64.MAX_VALUE >> shift)) return NO_DEADLINE;
  return retry << shift;
}

@final
export class NeighborCache {
  /** Entries evicted to make room for a new one. */
  evictions: u32 = 0;
  /** Waiting frames dropped: queue full (oldest), entry evicted, expired or gave up. */
  pendingDropped: u32 = 0;
  /** Resolutions abandoned after maxRequests unanswered requests. */
  giveUps: u32 = 0;
  /** ARP requests handed out by dueRequest(). */
  requestsSent: u32 = 0;
  /** Frames accepted by enqueue(). */
  framesQueued: u32 = 0;
  /** Frames the caller took with consumeReady(). framesQueued == framesReleased + pendingDropped + held. */
  framesReleased: u32 = 0;
  /** Give-ups not reported because takeUnreachable() was not called while C were waiting. */
  unreachableLost: u32 = 0;
  /**
   * Entries the time-driven calls (dueRequest, expire) touched: one per request sent, give-up or
   * expiry, never one per entry merely held, so an idle poll leaves it unchanged.
   */
  entriesVisited: u64 = 0;

  private entries: usize;
  private index: HashIndex;
  private lruOrder: LruList;
  private readyList: LruList;
  private requests: TimerHeap;
  private expiries: TimerHeap;
  private reported: HashIndex;
  private unreachable: usize;
  private lengths: usize;
  private frames: usize;

  private cap: i32;
  private pending: i32;
  private frameBytes: i32;
  private lifetime: i64;
  private retry: i64;
  private maxRequests: i32;

  private live: i32 = 0;
  private freeHead: i32 = NONE;
  private held: i32 = 0;
  private unreachableHead: i32 = 0;
  private unreachableLen: i32 = 0;

  /**
   * Bytes the cache allocates for these arguments (clamped as the constructor clamps them): the
   * main block and each storage structure, from the same size functions the constructors use.
   * The config's memory bound (./config.ts) adds this up before init allocates anything.
   */
  static bytesFor(entries: i32, pendingPerEntry: i32, frameBytes: i32): u64 {
    const frame = clampFrame(frameBytes);
    const cap = grantedEntries(entries, frame);
    const pending = grantedPending(entries, pendingPerEntry, frame);
    const slots = <u64>cap * <u64>pending;
    return <u64>framesOffset(cap, <usize>slots) + slots * <u64>frame +
      <u64>HashIndex.bytesFor(cap) * 2 + <u64>LruList.bytesFor(cap) * 2 + <u64>TimerHeap.bytesFor(cap) * 2;
  }

  /**
   * A cache of `entries` neighbours ([0, NEIGHBOR_MAX_ENTRIES]), each holding up to
   * `pendingPerEntry` (>= 1) waiting frames of up to `frameBytes` ([0, NEIGHBOR_MAX_FRAME_BYTES])
   * bytes. A resolved entry lives `lifetimeMicros` (>= 0) after it was last learned; requests are
   * spaced `retryMicros` (>= 1) doubling each time, `maxRequests` (>= 1) of them before giving up.
   * (hashK0, hashK1) is the secret key of the address index. Out-of-range arguments are clamped.
   * The only allocations the cache ever makes.
   */
  constructor(entries: i32, pendingPerEntry: i32, frameBytes: i32, lifetimeMicros: i64,
              retryMicros: i64, maxRequests: i32, hashK0: u64 = NEIGHBOR_DEFAULT_HASH_K0,
              hashK1: u64 = NEIGHBOR_DEFAULT_HASH_K1) {
    const frame = clampFrame(frameBytes);
    // A bigger request than the frame storage bound shrinks the per-entry queue first, then the
    // entries.
    const pending = grantedPending(entries, pendingPerEntry, frame);
    const cap = grantedEntries(entries, frame);
    this.cap = cap;
    this.pending = pending;
    this.frameBytes = frame;
    this.lifetime = lifetimeMicros < 0 ? 0 : lifetimeMicros;
    // At least 1 us, so a request just handed out is never due again at the same `now`.
    this.retry = retryMicros < 1 ? 1 : retryMicros;
    this.maxRequests = maxRequests < 1 ? 1 : maxRequests;

    const slots = <usize>cap * <usize>pending;
    const frames = framesOffset(cap, slots);
    const base = heap.alloc(frames + slots * <usize>frame);
    memory.fill(base, 0, frames);
    this.entries = base;
    this.unreachable = base + unreachableOffset(cap);
    this.lengths = base + lengthsOffset(cap);
    this.frames = base + frames;
    this.index = new HashIndex(cap, hashK0, hashK1);
    // The gave-up ring's index only needs to be unpredictable as much as the main one.
    this.reported = new HashIndex(cap, hashK1, hashK0);
    this.lruOrder = new LruList(cap);
    this.readyList = new LruList(cap);
    this.requests = new TimerHeap(cap);
    this.expiries = new TimerHeap(cap);

    // Every entry starts on the free list, in slot order.
    for (let i = 0; i < cap; i++) this.entry(i).nextFree = i + 1 < cap ? i + 1 : NONE;
    this.freeHead = cap > 0 ? 0 : NONE;
  }

  // ---------------------------------------------------------------- queries the interface makes

  /** MAC for ip if resolved and not expired (marks the entry used for LRU), else NO_MAC. */
  lookup(ip: u32, now: i64): u64 {
    const i = this.find(ip);
    if (i == NONE) return NO_MAC;
    const e = this.entry(i);
    if (e.state != NeighborState.Resolved || isExpired(e.expiresAt, now)) return NO_MAC;
    this.touch(i);
    return e.mac;
  }

  /**
   * RFC 826 merge: if ip has an entry, update its MAC and refresh its lifetime (an INCOMPLETE entry
   * becomes RESOLVED and its frames ready to send). With no entry, create one only when `create`
   * (the ARP packet was addressed to us), evicting the least recently used if full. Returns true
   * when an entry was updated or created (the merge flag).
   */
  learn(ip: u32, mac: u64, now: i64, create: bool): bool {
    if (ip == NO_ADDRESS) return false;
    let i = this.find(ip);
    if (i == NONE) {
      if (!create || this.cap == 0) return false;
      i = this.allocate(ip);
    }
    const e = this.entry(i);
    const wasReady = this.isReady(e);
    if (e.state == NeighborState.Incomplete) this.requests.cancel(i);
    e.state = NeighborState.Resolved;
    e.mac = mac & MAC_MASK;
    e.expiresAt = satAdd(now, this.lifetime);
    e.requests = 0;
    this.expiries.set(i, e.expiresAt);
    this.readyChanged(wasReady, i);
    return true;
  }

  /**
   * Holds a copy of the frame [ptr, ptr+len) until ip resolves. Creates an INCOMPLETE entry if there
   * is none (evicting the least recently used if full; its frames are dropped and counted); an entry
   * whose lifetime passed starts resolving again. When the entry's queue is full the OLDEST frame is
   * dropped and counted (RFC 1122 2.3.2.2 keeps the latest). Returns NEIGHBOR_OK or a negative code.
   */
  enqueue(ip: u32, ptr: usize, len: i32, now: i64): i32 {
    if (len < 0) return NEIGHBOR_BAD_FRAME;
    if (len > this.frameBytes) return NEIGHBOR_FRAME_TOO_LONG;
    if (<u64>ptr + <u64>len > (<u64>memory.size() << WASM_PAGE_BITS)) return NEIGHBOR_BAD_FRAME;
    if (ip == NO_ADDRESS) return NEIGHBOR_BAD_ADDRESS;
    if (this.cap == 0) return NEIGHBOR_NO_ROOM;

    let i = this.find(ip);
    if (i == NONE) {
      i = this.allocate(ip);
      this.startResolving(i);
    } else {
      const e = this.entry(i);
      // "The next send re-resolves": an expired MAC is not used again.
      if (e.state == NeighborState.Resolved && isExpired(e.expiresAt, now)) {
        const wasReady = this.isReady(e);
        this.startResolving(i);
        this.readyChanged(wasReady, i);
      }
    }
    this.touch(i);

    const e = this.entry(i);
    const wasReady = this.isReady(e);
    if (e.count == this.pending) {
      e.head = e.head + 1 == this.pending ? 0 : e.head + 1;
      e.count--;
      this.held--;
      this.pendingDropped++;
    }
    let k = e.head + e.count;
    if (k >= this.pending) k -= this.pending;
    const slot = <usize>i * <usize>this.pending + <usize>k;
    memory.copy(this.frames + slot * <usize>this.frameBytes, ptr, <usize>len);
    store<i32>(this.lengths + slot * I32_BYTES, len);
    e.count++;
    this.held++;
    this.framesQueued++;
    this.readyChanged(wasReady, i);
    return NEIGHBOR_OK;
  }

  /**
   * The next ARP request to send now, or 0 when none is due. A new INCOMPLETE entry is due at once;
   * after its n-th request the next is due retryMicros * 2^(n-1) later (1 s: at 0, 1, 3, 7 s...),
   * RFC 1122 2.3.2.1. Once maxRequests requests have gone unanswered for one more such interval
   * the entry gives up: its frames are dropped and counted, `giveUps` grows, the entry is freed and
   * its ip is reported once through takeUnreachable(). Each returned request is recorded as sent,
   * so calling again at the same `now` moves on to the next due ip.
   */
  dueRequest(now: i64): u32 {
    const timers = this.requests;
    // Only the earliest INCOMPLETE entry is looked at; each pass either sends a request (moving
    // that entry's timer past `now`, retry >= 1 us) or frees the entry, so the loop ends.
    while (isExpired(timers.peekDeadline(), now)) {
      const i = timers.peekSlot();
      const e = this.entry(i);
      this.entriesVisited++;
      if (e.requests >= this.maxRequests) {
        this.giveUp(i);
        continue;
      }
      e.requests++;
      this.requestsSent++;
      e.nextAt = satAdd(now, backoff(this.retry, e.requests));
      timers.set(i, e.nextAt);
      return e.ip;
    }
    return NO_ADDRESS;
  }

  /** An ip whose resolution gave up since the last call (each reported once), or 0. */
  takeUnreachable(): u32 {
    if (this.unreachableLen == 0) return NO_ADDRESS;
    const ip = load<u32>(this.unreachable + <usize>this.unreachableHead * U32_BYTES);
    this.reported.remove(<u64>ip);
    this.unreachableHead = this.unreachableHead + 1 == this.cap ? 0 : this.unreachableHead + 1;
    this.unreachableLen--;
    return ip;
  }

  /** Frames of ip's RESOLVED entry waiting to be sent (0 when none or not resolved). */
  readyCount(ip: u32): i32 {
    const i = this.find(ip);
    if (i == NONE) return 0;
    const e = this.entry(i);
    return e.state == NeighborState.Resolved ? e.count : 0;
  }

  /**
   * Address of the i-th oldest ready frame of ip (0 when out of range). The caller may rewrite the
   * frame in place (the Ethernet header) before sending it.
   */
  readyFramePtr(ip: u32, i: i32): usize {
    const slot = this.readySlot(ip, i);
    return slot < 0 ? 0 : this.frames + <usize>slot * <usize>this.frameBytes;
  }

  /** Length of the i-th oldest ready frame of ip (0 when out of range). */
  readyFrameLen(ip: u32, i: i32): i32 {
    const slot = this.readySlot(ip, i);
    return slot < 0 ? 0 : load<i32>(this.lengths + <usize>slot * I32_BYTES);
  }

  /** Removes the first n ready frames of ip, which the caller sent (n clamped to what there is). */
  consumeReady(ip: u32, n: i32): void {
    const i = this.find(ip);
    if (i == NONE || n <= 0) return;
    const e = this.entry(i);
    if (e.state != NeighborState.Resolved) return;
    const wasReady = this.isReady(e);
    const take = n < e.count ? n : e.count;
    let head = e.head + take;
    if (head >= this.pending) head -= this.pending;
    e.head = head;
    e.count -= take;
    this.held -= take;
    this.framesReleased += <u32>take;
    this.readyChanged(wasReady, i);
  }

  /** An ip whose entry is RESOLVED and still holds frames (so the caller can flush), or 0. */
  nextReady(): u32 {
    // The entry that has been ready longest; it stays there until its frames are taken, so a
    // caller that cannot flush it sees it again first.
    const i = this.readyList.back();
    return i == NONE ? NO_ADDRESS : this.entry(i).ip;
  }

  /**
   * The earliest time at which dueRequest (a request or a give-up) or expire needs calling, never
   * earlier than `now`; NO_DEADLINE when nothing is pending. `now` while frames are ready but not
   * taken (the caller's transmit queue was full): they go out as soon as it has room again, not at
   * the entry's expiry.
   */
  nextDeadline(now: i64): i64 {
    if (this.readyList.length > 0) return now;
    // INCOMPLETE entries wait on their next request, RESOLVED ones on their expiry: the two
    // heaps' roots (TIMER_NEVER is NO_DEADLINE when a heap is empty).
    const earliest = minDeadline(this.requests.peekDeadline(), this.expiries.peekDeadline());
    return earliest != NO_DEADLINE && earliest < now ? now : earliest;
  }

  /**
   * Ends the entries whose lifetime passed (lifetimeMicros after they were last learned). An entry
   * with no frames waiting is freed; one still holding frames (the transmit queue was full) starts
   * resolving again so they can go out once the neighbour answers.
   */
  expire(now: i64): void {
    const timers = this.expiries;
    // Each pass takes the earliest RESOLVED entry out of the expiry heap (freed, or INCOMPLETE).
    while (isExpired(timers.peekDeadline(), now)) {
      const i = timers.peekSlot();
      const e = this.entry(i);
      this.entriesVisited++;
      if (e.count == 0) {
        this.release(i);
      } else {
        const wasReady = this.isReady(e);
        this.startResolving(i);
        this.readyChanged(wasReady, i);
      }
    }
  }

  // ---------------------------------------------------------------- introspection (stats, report)

  /** Entries in use. */
  size(): i32 { return this.live; }
  /** Entries the cache can hold (after clamping). */
  @inline get capacity(): i32 { return this.cap; }
  /** Frames each entry can hold (after clamping). */
  @inline get pendingCapacity(): i32 { return this.pending; }
  /** Longest frame a pending slot holds (after clamping). */
  @inline get frameCapacity(): i32 { return this.frameBytes; }
  /** Frames held in all entries. */
  @inline get pendingTotal(): i32 { return this.held; }

  /** ip of entry slot i (0..capacity-1), 0 when free or out of range. */
  entryIp(i: i32): u32 {
    return this.entryState(i) == NeighborState.Free ? NO_ADDRESS : this.entry(i).ip;
  }
  /** MAC of entry slot i, NO_MAC unless RESOLVED. */
  entryMac(i: i32): u64 {
    return this.entryState(i) == NeighborState.Resolved ? this.entry(i).mac : NO_MAC;
  }
  /** NeighborState of entry slot i (Free when out of range). */
  entryState(i: i32): i32 {
    return i < 0 || i >= this.cap ? NeighborState.Free : this.entry(i).state;
  }
  /** Frames held by entry slot i. */
  entryPendingCount(i: i32): i32 {
    return this.entryState(i) == NeighborState.Free ? 0 : this.entry(i).count;
  }
  /** Requests sent for entry slot i's current resolution. */
  entryRequests(i: i32): i32 {
    return this.entryState(i) == NeighborState.Incomplete ? this.entry(i).requests : 0;
  }
  /** When entry slot i next needs attention: expiry (RESOLVED) or next request / give-up (INCOMPLETE). */
  entryDeadline(i: i32): i64 {
    const s = this.entryState(i);
    if (s == NeighborState.Free) return NO_DEADLINE;
    const e = this.entry(i);
    return s == NeighborState.Resolved ? e.expiresAt : e.nextAt;
  }

  // ---------------------------------------------------------------- internals

  @inline private entry(i: i32): Entry {
    return changetype<Entry>(this.entries + <usize>i * ENTRY_STRIDE);
  }

  @inline private isReady(e: Entry): bool {
    return e.state == NeighborState.Resolved && e.count > 0;
  }

  /** Keeps the ready list in step after entry i changed (state or count). */
  @inline private readyChanged(wasReady: bool, i: i32): void {
    const ready = this.isReady(this.entry(i));
    if (ready == wasReady) return;
    if (ready) this.readyList.pushFront(i);
    else this.readyList.remove(i);
  }

  /** Puts entry i (FREE, RESOLVED or expired) into INCOMPLETE with a request due at once. */
  private startResolving(i: i32): void {
    const e = this.entry(i);
    if (e.state == NeighborState.Resolved) this.expiries.cancel(i);
    e.state = NeighborState.Incomplete;
    e.mac = NO_MAC;
    e.requests = 0;
    e.nextAt = INSTANT_MIN;
    this.requests.set(i, INSTANT_MIN);
  }

  /** Slot number of ip's i-th oldest ready frame, or -1. */
  private readySlot(ip: u32, i: i32): i32 {
    const x = this.find(ip);
    if (x == NONE) return NONE;
    const e = this.entry(x);
    if (e.state != NeighborState.Resolved || i < 0 || i >= e.count) return NONE;
    let k = e.head + i;
    if (k >= this.pending) k -= this.pending;
    return x * this.pending + k;
  }

  /** Entry slot holding ip, or NONE. */
  private find(ip: u32): i32 {
    if (ip == NO_ADDRESS || this.live == 0) return NONE;
    return this.index.find(<u64>ip);
  }

  /** Marks slot i as used now (moves it to the front of the LRU list). */
  @inline private touch(i: i32): void {
    this.lruOrder.moveToFront(i);
  }

  /** Frees slot i: its frames are dropped and counted, and it leaves the index and the LRU list. */
  private release(i: i32): void {
    const e = this.entry(i);
    const wasReady = this.isReady(e);
    if (e.count > 0) {
      this.pendingDropped += <u32>e.count;
      this.held -= e.count;
    }
    if (e.state == NeighborState.Incomplete) this.requests.cancel(i);
    else if (e.state == NeighborState.Resolved) this.expiries.cancel(i);
    if (wasReady) this.readyList.remove(i);
    this.index.remove(<u64>e.ip);
    this.lruOrder.remove(i);
    e.state = NeighborState.Free;
    e.ip = NO_ADDRESS;
    e.mac = NO_MAC;
    e.count = 0;
    e.head = 0;
    e.requests = 0;
    e.nextFree = this.freeHead;
    this.freeHead = i;
    this.live--;
  }

  /** A slot for ip (not in the cache; cap > 0): a free one, or the LRU entry evicted. */
  private allocate(ip: u32): i32 {
    if (this.freeHead == NONE) {
      this.evictions++;
      this.release(this.lruOrder.back());
    }
    const i = this.freeHead;
    const e = this.entry(i);
    this.freeHead = e.nextFree;
    e.ip = ip;
    e.state = NeighborState.Free;
    e.mac = NO_MAC;
    e.expiresAt = NO_DEADLINE;
    e.nextAt = NO_DEADLINE;
    e.requests = 0;
    e.head = 0;
    e.count = 0;
    this.lruOrder.pushFront(i);
    this.index.insert(<u64>ip, i);
    this.live++;
    return i;
  }

  /** Abandons slot i's resolution: drops its frames, frees it, reports its ip once. */
  private giveUp(i: i32): void {
    const ip = this.entry(i).ip;
    this.giveUps++;
    this.release(i);
    this.reportUnreachable(ip);
  }

  private reportUnreachable(ip: u32): void {
    const cap = this.cap;
    // Reported once: an ip already waiting for takeUnreachable is not added again (looked up in
    // the ring's index, not by walking the ring: a flood of give-ups stays linear).
    if (this.reported.find(<u64>ip) != NONE) return;
    if (this.unreachableLen == cap) {
      // Nobody drained the reports: the oldest makes room (counted).
      this.reported.remove(<u64>load<u32>(this.unreachable + <usize>this.unreachableHead * U32_BYTES));
      this.unreachableHead = this.unreachableHead + 1 == cap ? 0 : this.unreachableHead + 1;
      this.unreachableLen--;
      this.unreachableLost++;
    }
    let tail = this.unreachableHead + this.unreachableLen;
    if (tail >= cap) tail -= cap;
    store<u32>(this.unreachable + <usize>tail * U32_BYTES, ip);
    this.reported.insert(<u64>ip, tail);
    this.unreachableLen++;
  }
}
