// Socket calls common to every kind. Each returns a result >= 0 or a negative errno. A handle's
// tag names its kind's table (socket/table.ts); a stale handle, or one of no kind, gets EBADF.
// Calls that can transmit take the host's current time (hostTime), never the time of the last poll.

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_KIND_UDP, SOCKET_KIND_ICMP, RESULT_ADDRESS, RESULT_PORT, RESULT_LENGTH, RESULT_TRUNCATED,
  RESULT_ERRNO, RESULT_RECORD_KIND, INFO_KIND, INFO_STATE, INFO_LOCAL_ADDRESS, INFO_LOCAL_PORT,
  INFO_REMOTE_ADDRESS, INFO_REMOTE_PORT, INFO_CREATED_AT, INFO_RX_BYTES, INFO_RX_DATAGRAMS,
  INFO_HANDLE, INFO_PENDING_ERROR, INFO_WAITING_WRITABLE,
} from "../../bindings/layout";
import { core, initialized, resultArea, hostTime } from "./instance";
import { SocketTable, OPTION_BROADCAST, OPTION_TTL, TTL_MIN, TTL_MAX, ANY_ADDRESS } from "../socket/table";
import { describeConnection, describeListener } from "./tcp";

const MAX_PORT: u32 = 0xffff;

/** The slot tableFor resolved, or the -errno it failed with. */
let slotIndex: i32 = 0;

/** The table of a live handle, its slot in slotIndex; or null, with -EBADF in slotIndex. */
function tableFor(handle: i32): SocketTable | null {
  if (!initialized()) {
    slotIndex = -Errno.EBADF;
    return null;
  }
  const table = core().tableOf(handle);
  if (table == null) {
    slotIndex = -Errno.EBADF;
    return null;
  }
  slotIndex = table.resolve(handle);
  return slotIndex < 0 ? null : table;
}

/** Opens a socket of `kind` (SOCKET_KIND_UDP or SOCKET_KIND_ICMP): its handle, or -EMFILE. */
export function socketOpen(kind: i32, nowMicros: f64): i32 {
  if (!initialized()) return -Errno.ENETDOWN;
  const c = core();
  const now = hostTime(nowMicros);
  if (kind == SOCKET_KIND_UDP) return c.udp.table.open(now);
  if (kind == SOCKET_KIND_ICMP) return c.ping.table.open(now);
  return -Errno.EPROTONOSUPPORT;
}

/** Binds to (address, port): address 0 is any, port 0 an ephemeral port (49152-65535). */
export function socketBind(handle: i32, address: u32, port: u32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  if (port > MAX_PORT) return -Errno.EINVAL;
  const c = core();
  if (address != ANY_ADDRESS && !c.iface.isOwn(address) && !c.iface.isBroadcast(address)) {
    return -Errno.EADDRNOTAVAIL;
  }
  return table.bind(slotIndex, address, port);
}

/**
 * Sends `len` bytes from the I/O area at time `nowMicros`. UDP: a datagram to (address, port)
 * (both 0: the connected peer). ICMP: an echo request to address with sequence number `port`.
 * Returns len or -errno; after ENOBUFS a writable event follows once there is room.
 */
export function socketSend(handle: i32, address: u32, port: u32, len: i32, nowMicros: f64): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  const c = core();
  if (len < 0 || len > c.ioBytes) return -Errno.EMSGSIZE;
  const now = hostTime(nowMicros);
  return table.kind == SOCKET_KIND_UDP
    ? c.udp.sendFrom(handle, address, port, c.io, len, now)
    : c.ping.sendFrom(handle, address, port, c.io, len, now);
}

/**
 * The oldest received record: returns the address of its payload in memory (read it, then call
 * socketRecvDone) and fills the result block with source address, source port (ICMP: sequence),
 * length, record kind and, for an error record, its errno. -EAGAIN when nothing is queued.
 */
export function socketRecv(handle: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  const queue = table.queue(slotIndex);
  if (queue.count == 0) return -Errno.EAGAIN;
  store<u32>(resultArea + RESULT_ADDRESS, queue.frontAddress());
  store<u32>(resultArea + RESULT_PORT, queue.frontPort());
  store<u32>(resultArea + RESULT_LENGTH, <u32>queue.frontLen());
  store<u32>(resultArea + RESULT_TRUNCATED, 0);
  store<i32>(resultArea + RESULT_ERRNO, queue.frontErrno());
  store<u32>(resultArea + RESULT_RECORD_KIND, queue.frontKind());
  return <i32>queue.frontPayload();
}

/** Drops the record socketRecv returned; returns how many are still queued. */
export function socketRecvDone(handle: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  const queue = table.queue(slotIndex);
  if (queue.count == 0) return -Errno.EAGAIN;
  queue.pop();
  return queue.count;
}

/** The pending asynchronous error (negative errno, e.g. -ECONNREFUSED), cleared on reading; 0 if none. */
export function socketError(handle: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  const e = unchecked(table.pendingError[slotIndex]);
  unchecked(table.pendingError[slotIndex] = 0);
  return e;
}

/** Sets an option: OPTION_BROADCAST (value 0 or 1), OPTION_TTL (1..255, else -EINVAL). */
export function socketSetOption(handle: i32, option: i32, value: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  if (option == OPTION_BROADCAST) {
    unchecked(table.broadcast[slotIndex] = value != 0);
    return 0;
  }
  if (option == OPTION_TTL) {
    if (value < TTL_MIN || value > TTL_MAX) return -Errno.EINVAL;
    unchecked(table.ttl[slotIndex] = <u8>value);
    return 0;
  }
  return -Errno.ENOPROTOOPT;
}

/** Closes a socket at once; its handle goes stale (EBADF from then on). */
export function socketClose(handle: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  table.close(slotIndex);
  return 0;
}

/** Closes every socket of every kind (the host is closing the stack). Returns how many were open. */
export function socketCloseAll(): i32 {
  if (!initialized()) return 0;
  const c = core();
  const open = c.udp.table.pool.inUse + c.ping.table.pool.inUse + c.tcp.pool.inUse + c.tcp.listeners.pool.inUse;
  c.udp.table.closeAll();
  c.ping.table.closeAll();
  c.tcp.closeAll();
  return open;
}

/** Number of socket slots of every kind (socketInfo's index range). */
export function socketCapacity(): i32 {
  if (!initialized()) return 0;
  const c = core();
  return c.udp.table.capacity + c.ping.table.capacity + c.tcp.pool.capacity + c.tcp.listeners.capacity;
}

/**
 * Describes slot `index` (UDP slots first, then ICMP, TCP connections, TCP listeners) in the
 * result block and returns its handle, or 0 when the slot is free.
 */
export function socketInfo(index: i32): i32 {
  if (!initialized() || index < 0) return 0;
  const c = core();
  let table = c.udp.table;
  if (index >= table.capacity) {
    index -= table.capacity;
    table = c.ping.table;
    if (index >= table.capacity) return tcpInfo(index - table.capacity);
  }
  if (!table.pool.isLive(index)) return 0;
  describeSlot(table, index);
  return table.pool.handleOf(index);
}

/** socketInfo over the TCP slots: connections, then listeners. */
function tcpInfo(index: i32): i32 {
  const tcp = core().tcp;
  if (index < tcp.pool.capacity) {
    if (!tcp.pool.isLive(index)) return 0;
    describeConnection(tcp, index);
    return tcp.pool.handleOf(index);
  }
  index -= tcp.pool.capacity;
  if (index >= tcp.listeners.capacity || !tcp.listeners.pool.isLive(index)) return 0;
  describeListener(tcp, index);
  return tcp.listeners.pool.handleOf(index);
}

/**
 * Describes the socket `handle` names in the result block (kind, state, addresses, queue,
 * pending error without clearing it, whether it waits for room to send): all the state its owner
 * needs to re-check itself after a lost or coalesced event. 0 or -EBADF.
 */
export function socketDescribe(handle: i32): i32 {
  const table = tableFor(handle);
  if (table == null) return slotIndex;
  describeSlot(table, slotIndex);
  return 0;
}

function describeSlot(table: SocketTable, i: i32): void {
  const r = resultArea;
  const queue = table.queue(i);
  store<u32>(r + INFO_KIND, table.kind);
  store<u32>(r + INFO_STATE, unchecked(table.state[i]));
  store<u32>(r + INFO_LOCAL_ADDRESS, unchecked(table.localAddress[i]));
  store<u32>(r + INFO_LOCAL_PORT, unchecked(table.localPort[i]));
  store<u32>(r + INFO_REMOTE_ADDRESS, unchecked(table.remoteAddress[i]));
  store<u32>(r + INFO_REMOTE_PORT, unchecked(table.remotePort[i]));
  store<i64>(r + INFO_CREATED_AT, unchecked(table.createdAt[i]));
  store<u32>(r + INFO_RX_BYTES, <u32>queue.payloadBytes);
  store<u32>(r + INFO_RX_DATAGRAMS, <u32>queue.count);
  store<i32>(r + INFO_HANDLE, table.pool.handleOf(i));
  store<i32>(r + INFO_PENDING_ERROR, unchecked(table.pendingError[i]));
  store<u32>(r + INFO_WAITING_WRITABLE, table.isWaitingWritable(i) ? 1 : 0);
}
