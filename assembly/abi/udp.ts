// UDP-only socket calls: connect (a default peer and a receive filter) and the payload limit.

import * as Errno from "../../bindings/errno_values";
import { SOCKET_STATE_OPEN, SOCKET_STATE_BOUND, SOCKET_STATE_CONNECTED } from "../../bindings/layout";
import { core, initialized } from "./instance";
import { ANY_ADDRESS } from "../socket/table";

const MAX_PORT: u32 = 0xffff;

/** The UDP slot a handle names, or -EBADF (ICMP handles included: connect is UDP's). */
function udpSlot(handle: i32): i32 {
  if (!initialized()) return -Errno.EBADF;
  return core().udp.table.resolve(handle);
}

/** Sets the default peer and filters what is received to it (UDP connect); binds first if needed. */
export function socketConnect(handle: i32, address: u32, port: u32): i32 {
  const i = udpSlot(handle);
  if (i < 0) return initialized() && core().ping.table.resolve(handle) >= 0 ? -Errno.EOPNOTSUPP : i;
  if (address == ANY_ADDRESS || port == 0 || port > MAX_PORT) return -Errno.EINVAL;
  const table = core().udp.table;
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
  const i = udpSlot(handle);
  if (i < 0) return i;
  const table = core().udp.table;
  if (unchecked(table.state[i]) != SOCKET_STATE_CONNECTED) return -Errno.ENOTCONN;
  unchecked(table.remoteAddress[i] = ANY_ADDRESS);
  unchecked(table.remotePort[i] = 0);
  unchecked(table.state[i] = <u8>SOCKET_STATE_BOUND);
  return 0;
}

/** Largest UDP payload one datagram can carry on this interface. */
export function udpMaxPayload(): i32 {
  return initialized() ? core().udp.maxPayload : 0;
}
