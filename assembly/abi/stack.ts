// Exports that set the stack up and drive it: the config block, init, the layout table and poll.

import { configArea, layoutArea, initCore, initialized, core, hostTime, MAX_HOST_MICROS } from "./instance";
import { NO_DEADLINE } from "../time";

/** Where the host writes the config before init. */
export function configBlock(): usize {
  return configArea;
}

/** Allocates every pool from the config: 0, -EALREADY, or -EINVAL. */
export function init(): i32 {
  return initCore();
}

/** Where init recorded the address of every region (0 before init). */
export function layoutTable(): usize {
  return initialized() ? layoutArea : 0;
}

/**
 * Runs the stack at time `nowMicros` (the host clock's microseconds as a double, exact below 2^53:
 * no BigInt on the hottest call): device frames, loopback, timers, pending output. Returns the
 * next time it must run again, Infinity when only something happening can make it (a deadline
 * past 2^53 microseconds, 285 years on, is one no host clock reaches). Time never goes back: an
 * earlier `now` than the last one, or one that is not a number, is treated as the last one.
 */
export function poll(nowMicros: f64): f64 {
  if (!initialized()) return Infinity;
  const deadline = core().poll(hostTime(nowMicros));
  return deadline == NO_DEADLINE || <f64>deadline >= MAX_HOST_MICROS ? Infinity : <f64>deadline;
}

/**
 * 1 when something waits for the transmit queue to take frames (core.ts waitingForRoom): the host
 * polls once a device took some. 0 otherwise, and before init.
 */
export function waitingForRoom(): i32 {
  return initialized() && core().waitingForRoom() ? 1 : 0;
}
