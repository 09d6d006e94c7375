// Names for the core's counters (indices in layout.ts), as `stack.stats()` reports them.
import * as layout from './layout.js';

/** Counter name -> index, derived from layout.ts's STAT_* constants (STAT_RX_FRAMES -> rxFrames). */
export const STAT_NAMES: readonly string[] = (() => {
  const names: string[] = new Array(layout.STAT_COUNT).fill('');
  for (const [key, value] of Object.entries(layout)) {
    if (!key.startsWith('STAT_') || key === 'STAT_COUNT') continue;
    names[value] = key.slice(5).toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  }
  return names;
})();

/** Reads every counter from the core's memory. */
export function readStats(memory: WebAssembly.Memory, statsPtr: number): Record<string, number> {
  const view = new Uint32Array(memory.buffer, statsPtr, layout.STAT_COUNT);
  const out: Record<string, number> = {};
  STAT_NAMES.forEach((name, i) => { out[name] = view[i]!; });
  return out;
}
