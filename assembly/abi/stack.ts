// Exports that set the stack up and drive it: the config block, init, the layout table and poll.

import { configArea, layoutArea, initCore, initialized, core } from "./instance";
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
 * Runs the stack at time `nowMicros`: device frames, loopback, timers, pending output. Returns the
 * next time it must run again (NO_DEADLINE: only when something happens). Time never goes back:
 * an earlier `now` than the last one is treated as the last one.
 */
export function poll(nowMicros: i64): i64 {
  if (!initialized()) return NO_DEADLINE;
  return core().poll(nowMicros);
}
