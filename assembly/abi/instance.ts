// The module's one stack and the memory areas it shares with the host. Everything else in the
// core is plain classes (assembly/core.ts builds them), so specs can build stacks of their own.

import * as Errno from "../../bindings/errno_values";
import { CONFIG_BYTES, LAYOUT_BYTES, RESULT_BYTES } from "../../bindings/layout";
import { Config } from "../iface/config";
import { Core, footprint, MAX_FOOTPRINT_BYTES } from "../core";

/** The host writes the config here before init (layout: bindings/layout.ts "Config block"). */
export const configArea: usize = memory.data(CONFIG_BYTES, 16);
/** init writes where everything went here ("Layout table"). */
export const layoutArea: usize = memory.data(LAYOUT_BYTES, 16);
/** Calls that return more than a number fill this ("Result block"). */
export const resultArea: usize = memory.data(RESULT_BYTES, 16);

let instance: Core | null = null;
/** Allocated with the module, so a rejected config leaves the heap exactly as it was. */
const config = new Config();

/** The stack; only called after a successful init. */
@inline export function core(): Core {
  return changetype<Core>(instance);
}

@inline export function initialized(): bool {
  return instance != null;
}

/** Builds the stack from the config block: 0, -EALREADY, or -EINVAL (nothing allocated). */
export function initCore(): i32 {
  if (instance != null) return -Errno.EALREADY;
  if (!config.read(configArea) || footprint(config) > MAX_FOOTPRINT_BYTES) return -Errno.EINVAL;
  const c = new Core(config);
  instance = c;
  c.writeLayout(layoutArea, resultArea);
  return 0;
}

/** Microseconds beyond any clock a host can have (2^53, where f64 stops counting every integer). */
export const MAX_HOST_MICROS: f64 = 9007199254740992.0;

/**
 * The host's current time (microseconds, as f64 so a call needs no BigInt), as the core's time:
 * never earlier than the core's latest (a call cannot move time back), and a value that is not a
 * time at all (NaN, negative) changes nothing.
 */
export function hostTime(nowMicros: f64): i64 {
  const c = core();
  if (!(nowMicros >= 0)) return c.now;
  return c.advance(nowMicros >= MAX_HOST_MICROS ? <i64>MAX_HOST_MICROS : <i64>nowMicros);
}
