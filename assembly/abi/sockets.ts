// Socket calls. Each returns a result >= 0 or a negative errno; payloads pass through the I/O area
// (LAYOUT_IO): the host writes a datagram there before socketSend, and reads one straight out of
// the socket's queue (the address socketRecv returns) before socketRecvDone.

import * as Errno from "../../bindings/errno_values";
import {
  SOCKET_KIND_UDP, SOCKET_KIND_ICMP, SOCKET_STATE_OPEN, SOCKET_STATE_BOUND, SOCKET_STATE_CONNECTED,
  RESULT_ADDRESS, RESULT_PORT, RESULT_LENGTH, RESULT_TRUNCATED, INFO_KIND, INFO_STATE,
  INFO_LOCAL_ADDRESS, INFO_LOCAL_PORT, INFO_REMOTE_ADDRESS, INFO_REMOTE_PORT, INFO_CREATED_AT,
  INFO_RX_BYTES, INFO_RX_DATAGRAMS, INFO_HANDLE,
} from "../../bindings/layout";
import { core, initialized, resultArea } from "./core";
import { OPTION_BROADCAST, ANY_ADDRESS } from "../socket/table";

const MAX_PORT: u32 = 0xffff;

function slot(handle: i32): i32 {
  if (!initialized()) return -Errno.EBADF;
  const table = core().sockets;
  const i = table.pool.resolve(handle);
  return i < 0 ? -Errno.EBADF : i;
}

/** Opens a socket of `kind` (SOCKET_KIND_UDP or SOCKET_KIND_ICMP): its handle, or -EMFILE. */
export function socketOpen(kind: i32): i32 {
  if (!initialized()) return -Errno.ENETDOWN;
  if (kind != SOCKET_KIND_UDP && kind != SOCKET_KIND_ICMP) return -Errno.EPROTONOSUPPORT;
  return core().sockets.open(<u8>kind, core().now);
}

/** Binds to (address, port): address 0 is any, port 0 an ephemeral port (49152-65535). */
export function socketBind(handle: i32, address: u32, port: u32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  if (port > MAX_PORT) return -Errno.EINVAL;
  const c = core();
  if (address != ANY_ADDRESS && !c.iface.isOwn(address) && !c.iface.isBroadcast(address)) {
    return -Errno.EADDRNOTAVAIL;
  }
  return c.sockets.bind(i, address, port);
}

/** Sets the default peer and filters what is received to it (UDP connect). */
export function socketConnect(handle: i32, address: u32, port: u32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const c = core();
  const table = c.sockets;
  if (unchecked(table.kind[i]) != SOCKET_KIND_UDP) return -Errno.EOPNOTSUPP;
  if (address == ANY_ADDRESS || port == 0 || port > MAX_PORT) return -Errno.EINVAL;
  if (unchecked(table.state[i]) == SOCKET_STATE_OPEN) {
    const r = table.bind(i, ANY_ADDRESS, 0);
    if (r < 0) return r;
  }
  unchecked(table.remoteAddress[i] = address);
  unchecked(table.remotePort[i] = port);
  unchecked(table.state[i] = <u8>SOCKET_STATE_CONNECTED);
  return 0;
}

/** Undoes socketConnect. */
export function socketDisconnect(handle: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const table = core().sockets;
  if (unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) return -Errno.ENOTCONN;
  unchecked(table.remoteAddress[i] = ANY_ADDRESS);
  unchecked(table.remotePort[i] = 0);
  unchecked(table.state[i] = <u8>SOCKET_STATE_BOUND);
  return 0;
}

/**
 * Sends `len` bytes from the I/O area. UDP: a datagram to (address, port) (both 0: the connected
 * peer). ICMP: an echo request to address with sequence number `port`. Returns len or -errno.
 */
export function socketSend(handle: i32, address: u32, port: u32, len: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const c = core();
  if (len < 0 || len > c.ioBytes) return -Errno.EMSGSIZE;
  const kind = unchecked(c.sockets.kind[i]);
  const r = kind == SOCKET_KIND_UDP
    ? c.udp.send(i, address, port, c.io, len, c.now)
    : c.icmp.sendEcho(i, address, port, c.io, len, c.now);
  // No room in the transmit queue or the loopback ring: a writable event follows when there is.
  if (r == -Errno.ENOBUFS) c.sockets.waitForWritable(i);
  return r;
}

/**
 * The oldest received datagram: returns the address of its payload in memory (read it, then call
 * socketRecvDone) and fills the result block with source address, source port (ICMP: sequence)
 * and length. -EAGAIN when nothing is queued.
 */
export function socketRecv(handle: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const queue = core().sockets.queue(i);
  if (queue.count == 0) return -Errno.EAGAIN;
  store<u32>(resultArea + RESULT_ADDRESS, queue.frontAddress());
  store<u32>(resultArea + RESULT_PORT, queue.frontPort());
  store<u32>(resultArea + RESULT_LENGTH, <u32>queue.frontLen());
  store<u32>(resultArea + RESULT_TRUNCATED, 0);
  return <i32>queue.frontPayload();
}

/** Drops the datagram socketRecv returned. */
export function socketRecvDone(handle: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const queue = core().sockets.queue(i);
  if (queue.count == 0) return -Errno.EAGAIN;
  queue.pop();
  return queue.count;
}

/** The pending asynchronous error (negative errno, e.g. -ECONNREFUSED), cleared on reading; 0 if none. */
export function socketError(handle: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  const table = core().sockets;
  const e = unchecked(table.pendingError[i]);
  unchecked(table.pendingError[i] = 0);
  return e;
}

/** Sets an option: OPTION_BROADCAST (value 0 or 1). */
export function socketSetOption(handle: i32, option: i32, value: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  if (option == OPTION_BROADCAST) {
    unchecked(core().sockets.broadcast[i] = value != 0);
    return 0;
  }
  return -Errno.ENOPROTOOPT;
}

/** Closes a socket at once; its handle goes stale (EBADF from then on). */
export function socketClose(handle: i32): i32 {
  const i = slot(handle);
  if (i < 0) return i;
  core().sockets.close(i);
  return 0;
}

/** Number of socket slots. */
export function socketCapacity(): i32 {
  return initialized() ? core().sockets.capacity : 0;
}

/**
 * Describes slot `index` in the result block (kind, state, addresses, creation time, queue) and
 * returns its handle, or 0 when the slot is free.
 */
export function socketInfo(index: i32): i32 {
  if (!initialized()) return 0;
  const table = core().sockets;
  if (index < 0 || index >= table.capacity || !table.pool.isLive(index)) return 0;
  const r = resultArea;
  const queue = table.queue(index);
  const handle = table.pool.handleOf(index);
  store<u32>(r + INFO_KIND, unchecked(table.kind[index]));
  store<u32>(r + INFO_STATE, unchecked(table.state[index]));
  store<u32>(r + INFO_LOCAL_ADDRESS, unchecked(table.localAddress[index]));
  store<u32>(r + INFO_LOCAL_PORT, unchecked(table.localPort[index]));
  store<u32>(r + INFO_REMOTE_ADDRESS, unchecked(table.remoteAddress[index]));
  store<u32>(r + INFO_REMOTE_PORT, unchecked(table.remotePort[index]));
  store<i64>(r + INFO_CREATED_AT, unchecked(table.createdAt[index]));
  store<u32>(r + INFO_RX_BYTES, <u32>queue.payloadBytes);
  store<u32>(r + INFO_RX_DATAGRAMS, <u32>queue.count);
  store<i32>(r + INFO_HANDLE, handle);
  return handle;
}

/** Largest UDP payload one datagram can carry on this interface. */
export function udpMaxPayload(): i32 {
  return initialized() ? core().udp.maxPayload : 0;
}
