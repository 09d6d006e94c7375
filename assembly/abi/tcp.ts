// TCP socket calls. Connections and listeners have handles of their own kinds (SOCKET_KIND_TCP,
// SOCKET_KIND_TCP_LISTENER). Data moves with one copy each way: the host asks for the send ring's
// free span (tcpWriteSpan), writes into it and commits (tcpWriteCommit); it asks for the receive
// ring's filled span (tcpReadSpan), reads it and consumes (tcpReadConsume). A ring wraps, so a
// transfer may take two spans. Calls that can make the connection send take the host's time.

import * as Errno from "../../bindings/errno_values";
import {
  RESULT_SPAN_PTR, RESULT_SPAN_TOTAL, RESULT_SPAN_FINAL, SOCKET_KIND_TCP, SOCKET_KIND_TCP_LISTENER, TCP_STATE_CLOSED,
  TCP_STATE_LISTEN, INFO_KIND, INFO_STATE, INFO_LOCAL_ADDRESS, INFO_LOCAL_PORT, INFO_REMOTE_ADDRESS,
  INFO_REMOTE_PORT, INFO_CREATED_AT, INFO_RX_BYTES, INFO_RX_DATAGRAMS, INFO_HANDLE, INFO_PENDING_ERROR,
  INFO_WAITING_WRITABLE, INFO_TX_BYTES, INFO_TX_ROOM, INFO_TCP_FLAGS, INFO_SRTT, INFO_RTO,
  INFO_RETRANSMITS, INFO_CWND, INFO_PEER_WINDOW, INFO_MSS, INFO_BACKLOG, INFO_CHILDREN,
  INFO_ACCEPT_QUEUED, INFO_REFUSED, TCP_INFO_FLAG_PEER_FINISHED, TCP_INFO_FLAG_ORPHAN,
  TCP_INFO_FLAG_UNACCEPTED, TCP_INFO_FLAG_NO_DELAY, TCP_INFO_FLAG_KEEP_ALIVE, TCP_INFO_FLAG_FIN_QUEUED,
} from "../../bindings/layout";
import { SlotPool } from "../storage/slot_pool";
import { TcpLayer } from "../socket/tcp/layer";
import { core, initialized, resultArea, hostTime } from "./instance";

/** The TCP layer, or null before init. */
function layer(): TcpLayer | null {
  return initialized() ? core().tcp : null;
}

/** Connects to (address, port) from (localAddress, localPort), 0 for either meaning "choose". */
export function tcpConnect(address: u32, port: u32, localAddress: u32, localPort: u32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.ENETDOWN;
  const handle = tcp.connect(address, port, localAddress, localPort, hostTime(nowMicros));
  // The result block describes the new connection (its chosen address and port), as tcpDescribe
  // would: the host learns them without another call.
  if (handle > 0) describeConnection(tcp, tcp.resolve(handle));
  return handle;
}

/** Listens on (address, port) (port 0: chosen) with `backlog` (0: the default, 511). */
export function tcpListen(address: u32, port: u32, backlog: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.ENETDOWN;
  return tcp.listen(address, port, backlog, hostTime(nowMicros));
}

/** The next established connection of a listener: its handle, or -EAGAIN. */
export function tcpAccept(listener: i32): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const handle = tcp.accept(listener);
  // As tcpConnect: the result block describes the accepted connection.
  if (handle > 0) describeConnection(tcp, tcp.resolve(handle));
  return handle;
}

/**
 * The send ring's contiguous free span: returns its length (its address at RESULT_SPAN_PTR, all
 * the room across the wrap at RESULT_SPAN_TOTAL). -EAGAIN: no room now (a writable event follows
 * once the peer acknowledges data). -EPIPE once writing is shut or the connection ended; the
 * ending error first if it had one.
 */
export function tcpWriteSpan(handle: i32): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  const c = tcp.conn(i);
  const room = c.writeRoom();
  if (room < 0) return c.state == TCP_STATE_CLOSED && c.error != 0 ? c.error : room;
  const r = resultArea;
  store<u32>(r + RESULT_SPAN_PTR, <u32>c.sendBuf.writeSpanPtr);
  store<u32>(r + RESULT_SPAN_TOTAL, <u32>room);
  return room == 0 ? -Errno.EAGAIN : c.sendBuf.writeSpanLen;
}

/** The user wrote `n` bytes at the write span: they are queued for sending. n or -errno. */
export function tcpWriteCommit(handle: i32, n: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  const r = tcp.conn(i).commitWrite(n);
  if (r > 0) tcp.wake(i, hostTime(nowMicros));
  return r;
}

/**
 * The receive ring's contiguous filled span: returns its length (address at RESULT_SPAN_PTR, all
 * queued bytes at RESULT_SPAN_TOTAL). 0: end of stream (the peer's FIN, every byte read). -EAGAIN:
 * nothing yet. Once the connection died of an error (ECONNRESET, ETIMEDOUT) and nothing is left:
 * that error. -ENOTCONN for a connection closed without error that never got a FIN.
 */
export function tcpReadSpan(handle: i32): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  const c = tcp.conn(i);
  const ring = c.recvBuf;
  const queued = ring.len;
  const r = resultArea;
  store<u32>(r + RESULT_SPAN_PTR, <u32>ring.readSpanPtr);
  store<u32>(r + RESULT_SPAN_TOTAL, <u32>queued);
  store<u32>(r + RESULT_SPAN_FINAL, c.peerFinished || c.state == TCP_STATE_CLOSED ? 1 : 0);
  if (queued > 0) return ring.readSpanLen;
  if (c.peerFinished) return 0;
  if (c.state == TCP_STATE_CLOSED) return c.error != 0 ? c.error : -Errno.ENOTCONN;
  return -Errno.EAGAIN;
}

/** The user read `n` bytes from the read span. n or -errno; may owe the peer a window update. */
export function tcpReadConsume(handle: i32, n: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  const r = tcp.conn(i).consume(n);
  if (r > 0) tcp.wake(i, hostTime(nowMicros));
  return r;
}

/** shutdown(SHUT_WR): a FIN after the queued data. 0 or -errno. */
export function tcpShutdown(handle: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  const r = tcp.conn(i).shutdownWrite();
  tcp.wake(i, hostTime(nowMicros));
  return r;
}

/** Closes a connection or a listener; never blocks (the connection finishes on its own). */
export function tcpClose(handle: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  const now = hostTime(nowMicros);
  if (SlotPool.tagOf(handle) == SOCKET_KIND_TCP_LISTENER) return tcp.closeListener(handle, now);
  return tcp.close(handle, now);
}

/** Resets a connection (RST) and frees it at once. */
export function tcpAbort(handle: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  return tcp.abort(handle, hostTime(nowMicros));
}

/** TCP_OPTION_NO_DELAY (value 0/1) or TCP_OPTION_KEEP_ALIVE (0 off, else idle ms). */
export function tcpSetOption(handle: i32, option: i32, value: i32, nowMicros: f64): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  return tcp.setOption(handle, option, value, hostTime(nowMicros));
}

/** Describes the connection or listener `handle` names in the result block: 0 or -EBADF. */
export function tcpDescribe(handle: i32): i32 {
  const tcp = layer();
  if (tcp == null) return -Errno.EBADF;
  if (SlotPool.tagOf(handle) == SOCKET_KIND_TCP_LISTENER) {
    const l = tcp.resolveListener(handle);
    if (l < 0) return l;
    describeListener(tcp, l);
    return 0;
  }
  const i = tcp.resolve(handle);
  if (i < 0) return i;
  describeConnection(tcp, i);
  return 0;
}

/** Connections in TIME-WAIT (they hold no slot, so socketInfo does not list them). */
export function tcpTimeWaitCount(): i32 {
  const tcp = layer();
  return tcp == null ? 0 : tcp.timeWait.length;
}

/** Fills the result block for connection slot i (any owner: the report lists every slot). */
export function describeConnection(tcp: TcpLayer, i: i32): void {
  const r = resultArea;
  memory.fill(r, 0, INFO_REFUSED + 4);
  const c = tcp.conn(i);
  store<u32>(r + INFO_KIND, SOCKET_KIND_TCP);
  store<u32>(r + INFO_STATE, <u32>c.state);
  store<u32>(r + INFO_LOCAL_ADDRESS, c.localAddress);
  store<u32>(r + INFO_LOCAL_PORT, <u32>c.localPort);
  store<u32>(r + INFO_REMOTE_ADDRESS, c.remoteAddress);
  store<u32>(r + INFO_REMOTE_PORT, <u32>c.remotePort);
  store<i64>(r + INFO_CREATED_AT, c.createdAt);
  store<u32>(r + INFO_RX_BYTES, <u32>c.recvBuf.len);
  store<u32>(r + INFO_RX_DATAGRAMS, 0);
  store<i32>(r + INFO_HANDLE, tcp.pool.handleOf(i));
  store<i32>(r + INFO_PENDING_ERROR, c.error);
  store<u32>(r + INFO_WAITING_WRITABLE, 0);
  store<u32>(r + INFO_TX_BYTES, <u32>c.sendBuf.len);
  const room = c.writeRoom();
  store<u32>(r + INFO_TX_ROOM, <u32>(room > 0 ? room : 0));
  let flags: u32 = 0;
  if (c.peerFinished) flags |= TCP_INFO_FLAG_PEER_FINISHED;
  if (tcp.isOrphan(i)) flags |= TCP_INFO_FLAG_ORPHAN;
  if (tcp.isUnaccepted(i)) flags |= TCP_INFO_FLAG_UNACCEPTED;
  if (c.noDelay) flags |= TCP_INFO_FLAG_NO_DELAY;
  if (c.keepAlive) flags |= TCP_INFO_FLAG_KEEP_ALIVE;
  if (c.finQueued) flags |= TCP_INFO_FLAG_FIN_QUEUED;
  store<u32>(r + INFO_TCP_FLAGS, flags);
  store<u32>(r + INFO_SRTT, <u32>c.rtt.srtt);
  store<u32>(r + INFO_RTO, <u32>c.rtt.rto);
  store<u32>(r + INFO_RETRANSMITS, c.retransmits);
  store<u32>(r + INFO_CWND, <u32>c.cc.cwnd);
  store<u32>(r + INFO_PEER_WINDOW, <u32>c.sndWnd);
  store<u32>(r + INFO_MSS, <u32>c.sendMss);
}

/** Fills the result block for listener slot l. */
export function describeListener(tcp: TcpLayer, l: i32): void {
  const r = resultArea;
  memory.fill(r, 0, INFO_REFUSED + 4);
  const t = tcp.listeners;
  store<u32>(r + INFO_KIND, SOCKET_KIND_TCP_LISTENER);
  store<u32>(r + INFO_STATE, TCP_STATE_LISTEN);
  store<u32>(r + INFO_LOCAL_ADDRESS, unchecked(t.address[l]));
  store<u32>(r + INFO_LOCAL_PORT, <u32>unchecked(t.port[l]));
  store<i64>(r + INFO_CREATED_AT, unchecked(t.createdAt[l]));
  store<i32>(r + INFO_HANDLE, t.pool.handleOf(l));
  store<u32>(r + INFO_BACKLOG, <u32>unchecked(t.backlog[l]));
  store<u32>(r + INFO_CHILDREN, <u32>unchecked(t.children[l]));
  store<u32>(r + INFO_ACCEPT_QUEUED, <u32>unchecked(t.queued[l]));
  store<u32>(r + INFO_REFUSED, unchecked(t.refused[l]));
}
