// The whole core in one module, driven through its exports with the test as the device: a send
// that finds the transmit queue full gets ENOBUFS, and the socket hears EVENT_WRITABLE as soon as
// the device returns a descriptor.
import * as Errno from "../../bindings/errno_values";
import {
  CONFIG_BYTES, CONFIG_TX_QUEUE_SIZE, CONFIG_ADDRESS_COUNT, CONFIG_ADDRESSES, CONFIG_MAC,
  LAYOUT_TX_AVAIL, LAYOUT_TX_USED, LAYOUT_TX_SIZE, LAYOUT_EVENTS, LAYOUT_IO,
  VIRTQ_RING_IDX, VIRTQ_RING_ENTRIES, VIRTQ_AVAIL_ENTRY_BYTES, VIRTQ_USED_ENTRY_BYTES,
  VIRTQ_USED_ENTRY_ID, VIRTQ_USED_ENTRY_LEN, EVENTS_WRITE, EVENTS_READ, EVENTS_ENTRIES, EVENT_BYTES,
  EVENT_HANDLE, EVENT_KIND, EVENT_WRITABLE, SOCKET_KIND_UDP, LAYOUT_RESULT, INFO_CREATED_AT,
} from "../../bindings/layout";
import { configBlock, init, layoutTable, poll } from "../../assembly/abi/stack";
import { socketOpen, socketBind, socketSend, socketSetOption, socketInfo } from "../../assembly/abi/sockets";
import { OPTION_BROADCAST } from "../../assembly/socket/table";

const TX_QUEUE: u32 = 2;
/** A handle's slot index: its low 16 bits (storage/slot_pool.ts); UDP slots come first in socketInfo. */
const SLOT_INDEX_MASK: i32 = 0xffff;
const BROADCAST: u32 = 0x0a0000ff;

function layout(offset: u32): usize {
  return <usize>load<u32>(layoutTable() + offset);
}

/** Takes one frame from the TX available ring and returns its descriptor in the used ring. */
let deviceAvail: u16 = 0;
function deviceReturnsOne(): void {
  const avail = layout(LAYOUT_TX_AVAIL);
  const used = layout(LAYOUT_TX_USED);
  const size = <i32>layout(LAYOUT_TX_SIZE);
  const id = load<u16>(avail + VIRTQ_RING_ENTRIES + <usize>(<i32>deviceAvail & (size - 1)) * VIRTQ_AVAIL_ENTRY_BYTES);
  deviceAvail++;
  const idx = load<u16>(used + VIRTQ_RING_IDX);
  const entry = used + VIRTQ_RING_ENTRIES + <usize>(<i32>idx & (size - 1)) * VIRTQ_USED_ENTRY_BYTES;
  store<u32>(entry + VIRTQ_USED_ENTRY_ID, id);
  store<u32>(entry + VIRTQ_USED_ENTRY_LEN, 0);
  store<u16>(used + VIRTQ_RING_IDX, idx + 1);
}

/** Kinds of the events written since the last call, for one handle. */
function eventsFor(handle: i32): u32[] {
  const ring = layout(LAYOUT_EVENTS);
  const kinds: u32[] = [];
  let read = load<u32>(ring + EVENTS_READ);
  const written = load<u32>(ring + EVENTS_WRITE);
  for (; read != written; read++) {
    const e = ring + EVENTS_ENTRIES + <usize>(read % 1024) * EVENT_BYTES;
    if (load<i32>(e + EVENT_HANDLE) == handle) kinds.push(load<u32>(e + EVENT_KIND));
  }
  store<u32>(ring + EVENTS_READ, read);
  return kinds;
}

describe("core events", () => {
  it("initialises from a config block once", () => {
    const c = configBlock();
    memory.fill(c, 0, CONFIG_BYTES);
    store<u32>(c + CONFIG_TX_QUEUE_SIZE, TX_QUEUE);
    store<u32>(c + CONFIG_ADDRESS_COUNT, 1);
    store<u32>(c + CONFIG_ADDRESSES, 0x0a000001);
    store<u32>(c + CONFIG_ADDRESSES + 4, 24);
    store<u8>(c + CONFIG_MAC, 0x02);
    store<u8>(c + CONFIG_MAC + 5, 0x01);
    expect<i32>(init()).toBe(0);
    expect<i32>(init()).toBe(-Errno.EALREADY);
  });

  it("reports ENOBUFS on a full transmit queue, then EVENT_WRITABLE once there is room", () => {
    const h = socketOpen(SOCKET_KIND_UDP, 0);
    expect<bool>(h > 0).toBe(true);
    expect<i32>(socketBind(h, 0, 5000)).toBe(0);
    expect<i32>(socketSetOption(h, OPTION_BROADCAST, 1)).toBe(0);
    memory.fill(layout(LAYOUT_IO), 0x55, 10);
    for (let i: u32 = 0; i < TX_QUEUE; i++) expect<i32>(socketSend(h, BROADCAST, 9, 10, 0)).toBe(10);
    expect<i32>(socketSend(h, BROADCAST, 9, 10, 0)).toBe(-Errno.ENOBUFS);
    poll(1);
    expect<i32>(eventsFor(h).length).toBe(0);
    deviceReturnsOne();
    poll(2);
    const kinds = eventsFor(h);
    expect<i32>(kinds.length).toBe(1);
    expect<u32>(kinds[0]).toBe(EVENT_WRITABLE);
    // Told once: nothing more until another send fails.
    poll(3);
    expect<i32>(eventsFor(h).length).toBe(0);
    expect<i32>(socketSend(h, BROADCAST, 9, 10, 0)).toBe(10);
  });

  it("socket calls run on the host's time, not the last poll's; time never goes back", () => {
    poll(1_000_000);
    // Ten seconds without a poll, then a socket opened: stamped with the time the host gave.
    const h = socketOpen(SOCKET_KIND_UDP, 11_000_000);
    expect<i32>(socketInfo(h & SLOT_INDEX_MASK)).toBe(h);
    expect<i64>(load<i64>(layout(LAYOUT_RESULT) + INFO_CREATED_AT)).toBe(11_000_000);
    // An earlier time (a confused host) or no time at all changes nothing.
    const g = socketOpen(SOCKET_KIND_UDP, 5_000_000);
    socketInfo(g & SLOT_INDEX_MASK);
    expect<i64>(load<i64>(layout(LAYOUT_RESULT) + INFO_CREATED_AT)).toBe(11_000_000);
    const n = socketOpen(SOCKET_KIND_UDP, NaN);
    socketInfo(n & SLOT_INDEX_MASK);
    expect<i64>(load<i64>(layout(LAYOUT_RESULT) + INFO_CREATED_AT)).toBe(11_000_000);
  });
});
