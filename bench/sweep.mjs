#!/usr/bin/env node
// Throughput against message (write) size, wasmnet beside Node's own net over 127.0.0.1, as an SVG
// chart for docs/BENCHMARKS.md (issue 9). One connection per point, MTU 1500, checksums on (the
// tcp_throughput_mtu1500 setup); each point is the median of three runs, wasmnet and Node
// alternating. Run after `npm run build`:
//   npm run bench:sweep [-- --bytes N] [--out docs/throughput-by-message-size.svg]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { wasmnetPair, nodeEndpoints } from './lib/endpoints.mjs';
import { tcpThroughput } from './lib/tcp-workloads.mjs';
import { median } from './lib/stats.mjs';
import { lineChartSvg } from './lib/svg-plot.mjs';

const MESSAGE_SIZES = [256, 1024, 4096, 16384, 65536, 262144, 1048576];
const RUNS = 3;
const DEADLINE_SECONDS = 10;
const ETHERNET_MTU = 1500;
const KIB = 1024;

const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: String(64 * 1024 * 1024) },
    out: { type: 'string', default: 'docs/throughput-by-message-size.svg' },
  },
});
const totalBytes = Number(values.bytes);
if (!Number.isInteger(totalBytes) || totalBytes < 1) {
  console.error(`bench:sweep: --bytes must be a positive integer, got ${JSON.stringify(values.bytes)}`);
  process.exit(2);
}

const pair = await wasmnetPair({ mtu: ETHERNET_MTU, offload: false });
// One transfer each first, not measured (JIT and stream warm-up), as npm run bench does.
const warmUp = { totalBytes, writeBytes: 64 * KIB, deadlineSeconds: DEADLINE_SECONDS };
await tcpThroughput(pair.tcp, warmUp);
await tcpThroughput(nodeEndpoints.tcp, warmUp);
const rows = [];
for (const writeBytes of MESSAGE_SIZES) {
  const options = { totalBytes, writeBytes, deadlineSeconds: DEADLINE_SECONDS };
  const ours = [];
  const theirs = [];
  for (let run = 0; run < RUNS; run++) {
    ours.push(await tcpThroughput(pair.tcp, options));
    theirs.push(await tcpThroughput(nodeEndpoints.tcp, options));
  }
  rows.push({ writeBytes, wasmnet: median(ours), node: median(theirs) });
  console.log(JSON.stringify(rows.at(-1)));
}
pair.close();

const formatSize = (b) => (b >= KIB * KIB ? `${b / KIB / KIB} MiB` : b >= KIB ? `${b / KIB} KiB` : `${b} B`);
writeFileSync(values.out, lineChartSvg({
  title: `TCP throughput by message size (one connection, ${new Date().toISOString().slice(0, 10)})`,
  xLabel: 'bytes per write()',
  yLabel: 'Gbit/s',
  formatX: formatSize,
  series: [
    { label: 'wasmnet (MTU 1500)', points: rows.map((r) => ({ x: r.writeBytes, y: r.wasmnet })) },
    { label: "Node net, 127.0.0.1", points: rows.map((r) => ({ x: r.writeBytes, y: r.node })) },
  ],
}));
console.log(`wrote ${values.out}`);
