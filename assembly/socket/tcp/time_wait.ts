// TIME-WAIT without buffers: once a connection closed by its user reaches TIME-WAIT, its slot
// (and the rings it owns) go back to the pool and only what TIME-WAIT needs stays here, as Linux's
// timewait sockets do: the four-tuple, the sequence numbers to answer with, and when it ends.
//
//   entry i:  localAddress remoteAddress localPort remotePort sndNxt rcvNxt window expiresAt
//   byTuple:  HashIndex (addresses, ports) -> i      expiry: TimerHeap i -> expiresAt
//
// A full table makes room by dropping the entry closest to its end (counted): TIME-WAIT protects
// against old duplicates, and the oldest entry is the one whose protection matters least.

import { HashIndex, HASH_NONE } from "../../storage/hash_index";
import { TimerHeap } from "../../storage/timer_heap";
import { Instant } from "../../time";

const NONE: i32 = -1;

/** The four-tuple as the two 64-bit words of a HashIndex key. */
@inline export function tupleKey(localAddress: u32, remoteAddress: u32): u64 {
  return (<u64>localAddress << 32) | <u64>remoteAddress;
}
@inline export function tupleKeyHigh(localPort: u32, remotePort: u32): u64 {
  return (<u64>localPort << 16) | <u64>remotePort;
}

export class TimeWaitTable {
  readonly localAddress: StaticArray<u32>;
  readonly remoteAddress: StaticArray<u32>;
  readonly localPort: StaticArray<u16>;
  readonly remotePort: StaticArray<u16>;
  readonly sndNxt: StaticArray<u32>;
  readonly rcvNxt: StaticArray<u32>;
  /** The window field of our last segment, sent again in TIME-WAIT's ACKs. */
  readonly window: StaticArray<u16>;
  private readonly byTuple: HashIndex;
  private readonly expiry: TimerHeap;
  private readonly freeList: StaticArray<i32>;
  private freeCount: i32;
  /** Entries dropped early to make room. */
  evicted: u32 = 0;

  constructor(capacity: i32, k0: u64, k1: u64) {
    const cap = capacity < 1 ? 1 : capacity;
    this.localAddress = new StaticArray<u32>(cap);
    this.remoteAddress = new StaticArray<u32>(cap);
    this.localPort = new StaticArray<u16>(cap);
    this.remotePort = new StaticArray<u16>(cap);
    this.sndNxt = new StaticArray<u32>(cap);
    this.rcvNxt = new StaticArray<u32>(cap);
    this.window = new StaticArray<u16>(cap);
    this.byTuple = new HashIndex(cap, k0, k1);
    this.expiry = new TimerHeap(cap);
    this.freeList = new StaticArray<i32>(cap);
    for (let i = 0; i < cap; i++) unchecked(this.freeList[i] = cap - 1 - i);
    this.freeCount = cap;
  }

  static bytesFor(capacity: i32): u64 {
    const cap = capacity < 1 ? 1 : capacity;
    const perEntry: u64 = 5 * sizeof<u32>() + 3 * sizeof<u16>() + sizeof<i32>();
    return <u64>cap * perEntry + <u64>HashIndex.bytesFor(cap) + <u64>TimerHeap.bytesFor(cap);
  }

  @inline get capacity(): i32 { return this.freeList.length; }
  @inline get length(): i32 { return this.capacity - this.freeCount; }

  /** The entry for this four-tuple, or -1. */
  find(localAddress: u32, localPort: u32, remoteAddress: u32, remotePort: u32): i32 {
    const i = this.byTuple.find(tupleKey(localAddress, remoteAddress), tupleKeyHigh(localPort, remotePort));
    return i == HASH_NONE ? NONE : i;
  }

  /** Records a connection entering TIME-WAIT until `expiresAt` (making room if needed). */
  add(localAddress: u32, localPort: u16, remoteAddress: u32, remotePort: u16, sndNxt: u32, rcvNxt: u32,
    window: u16, expiresAt: Instant): void {
    const existing = this.find(localAddress, localPort, remoteAddress, remotePort);
    if (existing != NONE) this.remove(existing);
    if (this.freeCount == 0) {
      this.remove(this.expiry.peekSlot());
      this.evicted++;
    }
    const i = unchecked(this.freeList[--this.freeCount]);
    unchecked(this.localAddress[i] = localAddress);
    unchecked(this.remoteAddress[i] = remoteAddress);
    unchecked(this.localPort[i] = localPort);
    unchecked(this.remotePort[i] = remotePort);
    unchecked(this.sndNxt[i] = sndNxt);
    unchecked(this.rcvNxt[i] = rcvNxt);
    unchecked(this.window[i] = window);
    this.byTuple.insert(tupleKey(localAddress, remoteAddress), i, tupleKeyHigh(localPort, remotePort));
    this.expiry.set(i, expiresAt);
  }

  /** TIME-WAIT starts over (a retransmitted FIN, RFC 9293 3.10.7.4 eighth). */
  restart(i: i32, expiresAt: Instant): void {
    this.expiry.set(i, expiresAt);
  }

  remove(i: i32): void {
    if (i < 0 || i >= this.capacity || !this.expiry.isSet(i)) return;
    this.byTuple.remove(
      tupleKey(unchecked(this.localAddress[i]), unchecked(this.remoteAddress[i])), 
      tupleKeyHigh(unchecked(this.localPort[i]), unchecked(this.remotePort[i])));
    this.expiry.cancel(i);
    unchecked(this.freeList[this.freeCount++] = i);
  }

  /** Ends every entry whose time is up. Costs nothing when none is due. */
  expire(now: Instant): void {
    while (this.expiry.peekDeadline() <= now) this.remove(this.expiry.peekSlot());
  }

  @inline nextDeadline(): Instant {
    return this.expiry.peekDeadline();
  }

  clear(): void {
    while (this.length > 0) this.remove(this.expiry.peekSlot());
  }
}
