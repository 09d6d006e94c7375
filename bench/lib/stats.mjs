// Run a measurement several times and keep every run's figure; the reported value is the median
// (robust to one run disturbed by GC or a noisy neighbour on a shared VM).

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Calls `measure()` `runs` times in sequence and returns every run's figure. */
export async function repeat(runs, measure) {
  const figures = [];
  for (let run = 0; run < runs; run++) figures.push(await measure());
  return figures;
}

const NANOS_PER_SECOND = 1e9;

/** Seconds since `start` (a process.hrtime.bigint() reading). */
export function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / NANOS_PER_SECOND;
}
