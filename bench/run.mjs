#!/usr/bin/env node
// `npm run bench`: wasmnet's throughput, connection rate, round trip, datagram rate, memory and
// module size, each beside Node's own kernel sockets measured in the same process and run
// (issue 9). Prints a table; with --json one object { machine, date, results } where each result
// has name, value (the median of runs), unit, runs, node (Node's median, or null), ratio
// (value / node) and a note. Run after `npm run build`.
//   npm run bench [-- --json] [--quick] [--bytes N] [--runs N]
// --quick: a tiny configuration that only proves the runner works (npm test uses it).
// --bytes: bytes per throughput run (default 1 GiB). --runs: runs per figure (default 3, at least 3).
import { parseArgs } from 'node:util';
import { runAll, settings, machine } from './lib/cases.mjs';
import { formatTable } from './lib/table.mjs';

const MIN_RUNS = 3;

function positiveInteger(flag, text, minimum = 1) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < minimum) {
    console.error(`bench: --${flag} must be an integer >= ${minimum}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    bytes: { type: 'string' },
    runs: { type: 'string', default: String(MIN_RUNS) },
  },
});
const s = settings({
  quick: values.quick,
  bytes: values.bytes === undefined ? undefined : positiveInteger('bytes', values.bytes),
  runs: positiveInteger('runs', values.runs, MIN_RUNS),
});

const started = new Date();
// Progress goes to stderr so that --json leaves stdout one parseable object.
const results = await runAll(s, (r) => { if (!values.json) process.stderr.write(`  done: ${r.name}\n`); });
const report = { machine: await machine(), date: started.toISOString(), results };
if (values.json) console.log(JSON.stringify(report, null, 2));
else console.log(formatTable(report));
