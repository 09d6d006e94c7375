// Drop and limit counters, u32 each, at a fixed address the host reads (LAYOUT_STATS). The index of
// every counter is in bindings/layout.ts and its name in bindings/stats.ts.

import { STAT_COUNT } from "../../bindings/layout";

export const stats = new StaticArray<u32>(STAT_COUNT);

@inline export function count(stat: i32): void {
  unchecked(stats[stat]++);
}

@inline export function countBy(stat: i32, n: u32): void {
  unchecked(stats[stat] += n);
}

@inline export function statsPtr(): usize {
  return changetype<usize>(stats);
}
