// The benchmarks `npm run bench` runs, by their fixed names (issue 9: the names keep their meaning
// from now on). Each case measures wasmnet and, where one applies, Node's own figure in the same
// run, alternating the two run by run so warm-up and GC favour neither.
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wasmnetPair, nodeEndpoints } from './endpoints.mjs';
import { tcpThroughput, tcpConnectionsPerSecond, tcpEchoRttMicros } from './tcp-workloads.mjs';
import { udpDatagramsPerSecond } from './udp-workloads.mjs';
import { median } from './stats.mjs';

const WASM_FILE = fileURLToPath(new URL('../../build/release.wasm', import.meta.url));
const WASM_PAGE_BYTES = 65536;
const ETHERNET_MTU = 1500;
/** The largest MTU a stack takes: an Ethernet frame of 65,535 bytes (host/stack.ts MAX_MTU). */
const LARGEST_MTU = 0xffff - 14;
/** Write size for bulk transfers: what a Node program typically hands `write()` at a time. */
const BULK_WRITE_BYTES = 64 * 1024;
const IN_FLIGHT_CONNECTIONS = 8;
const REQUEST_REPLY_BYTES = 100;
const UDP_PAYLOAD_BYTES = 1472;
const OFFLOAD_NOTE = 'checksum and segmentation offload on both stacks over a trusted link: checksums stay partial, TCP segments of up to 64 KiB go whole';

/** Issue 9's floors, shown beside each figure (they are not met yet). */
const FLOORS = {
  tcp_throughput_mtu1500: { atLeast: 5 },
  tcp_throughput_mtu1500_offload: { atLeast: 15 },
  tcp_throughput_mtu65535_offload: { atLeast: 25 },
  tcp_connections_per_second: { atLeast: 50_000 },
  tcp_echo_rtt_us: { atMost: 5 },
  wasm_size_bytes: { atMost: 102_400 },
  module_memory_bytes: { growthAtMost: 0 },
  rss_bytes: { growthAtMost: 16 * 1024 * 1024 },
};

/** Sizes and durations: the by default, tiny with --quick (proves the runner works). */
export function settings({ quick, bytes, runs }) {
  return {
    runs,
    transferBytes: bytes ?? (quick ? 4 * 1024 * 1024 : 1024 * 1024 * 1024),
    transferDeadlineSeconds: quick ? 10 : 60,
    rateSeconds: quick ? 0.2 : 1,
    rttRounds: quick ? 200 : 5000,
    rttWarmupRounds: quick ? 20 : 500,
  };
}

function result(name, unit, runs, nodeRuns, extra = {}) {
  const value = median(runs);
  const node = nodeRuns ? median(nodeRuns) : null;
  return {
    name, value, unit, runs,
    node, nodeRuns: nodeRuns ?? null,
    ratio: node ? value / node : null,
    floor: FLOORS[name] ?? null,
    ...extra,
  };
}

/**
 * Runs wasmnet's and Node's measurement alternately, `runs` times each, after one run of each
 * that is not counted (JIT warm-up: the first run of a short case was a third slower on both
 * sides).
 */
async function alternate(runs, measureWasmnet, measureNode, { warmUp = true } = {}) {
  if (warmUp) {
    await measureWasmnet();
    if (measureNode) await measureNode();
  }
  const ours = [];
  const theirs = [];
  for (let run = 0; run < runs; run++) {
    ours.push(await measureWasmnet());
    if (measureNode) theirs.push(await measureNode());
  }
  return { ours, theirs: measureNode ? theirs : null };
}

async function throughputCase(name, s, { mtu, offload, note }, memory) {
  const pair = await wasmnetPair({ mtu, offload });
  const options = { totalBytes: s.transferBytes, writeBytes: BULK_WRITE_BYTES, deadlineSeconds: s.transferDeadlineSeconds };
  // One transfer each first, not measured: JIT, stream and allocator warm-up (the first run of a
  // fresh process grew its RSS by 20-30 MB of it) belong to neither side's figures.
  await tcpThroughput(pair.tcp, options);
  await tcpThroughput(nodeEndpoints.tcp, options);
  const modulePagesBefore = pair.client.memory().pages + pair.server.memory().pages;
  // The warm-up transfers above stand for alternate's own.
  const { ours, theirs } = await alternate(s.runs,
    async () => {
      const rssBefore = process.memoryUsage().rss;
      const gbps = await tcpThroughput(pair.tcp, options);
      const rssAfter = process.memoryUsage().rss;
      // Only wasmnet's runs count: Node's runs in between allocate in the same process.
      if (memory) { memory.rssAfterRuns.push(rssAfter); memory.rssGrowthBytes += rssAfter - rssBefore; }
      return gbps;
    },
    () => tcpThroughput(nodeEndpoints.tcp, options), { warmUp: false });
  if (memory) {
    memory.moduleBytes = pair.client.memory().pages * WASM_PAGE_BYTES;
    memory.moduleGrowthBytes = (pair.client.memory().pages + pair.server.memory().pages - modulePagesBefore) * WASM_PAGE_BYTES;
  }
  pair.close();
  return result(name, 'Gbit/s', ours, theirs, {
    note: `${note}; ${s.transferBytes} bytes per run in ${BULK_WRITE_BYTES}-byte writes; Node: net over the kernel's 127.0.0.1`,
  });
}

/** Every case, in order; `onResult` sees each result as it is ready (for progress output). */
export async function runAll(s, onResult = () => {}) {
  const results = [];
  const add = (r) => { results.push(r); onResult(r); };
  const memory = { rssAfterRuns: [], moduleBytes: 0, moduleGrowthBytes: 0, rssGrowthBytes: 0 };

  add(await throughputCase('tcp_throughput_mtu1500', s, {
    mtu: ETHERNET_MTU, offload: false, note: 'one connection, MSS-sized segments, checksums computed and verified',
  }, memory));
  add(await throughputCase('tcp_throughput_mtu1500_offload', s, { mtu: ETHERNET_MTU, offload: true, note: OFFLOAD_NOTE }));
  add(await throughputCase('tcp_throughput_mtu65535_offload', s, {
    mtu: LARGEST_MTU, offload: true, note: `MTU ${LARGEST_MTU} (the largest a stack takes: a 65,535-byte frame); ${OFFLOAD_NOTE}`,
  }));

  {
    const pair = await wasmnetPair({ mtu: ETHERNET_MTU, offload: false });
    const options = { inFlight: IN_FLIGHT_CONNECTIONS, messageBytes: REQUEST_REPLY_BYTES, seconds: s.rateSeconds };
    const { ours, theirs } = await alternate(s.runs,
      () => tcpConnectionsPerSecond(pair.tcp, options), () => tcpConnectionsPerSecond(nodeEndpoints.tcp, options));
    add(result('tcp_connections_per_second', 'connections/s', ours, theirs, {
      note: `connect, ${REQUEST_REPLY_BYTES}-byte request, ${REQUEST_REPLY_BYTES}-byte reply, close; ${IN_FLIGHT_CONNECTIONS} in flight; ${s.rateSeconds} s per run`,
    }));

    const rtt = { rounds: s.rttRounds, warmupRounds: s.rttWarmupRounds };
    const echo = await alternate(s.runs, () => tcpEchoRttMicros(pair.tcp, rtt), () => tcpEchoRttMicros(nodeEndpoints.tcp, rtt));
    add(result('tcp_echo_rtt_us', 'us', echo.ours, echo.theirs, {
      note: `1-byte echo, one in flight, median of ${s.rttRounds} round trips per run; lower is better (ratio > 1: slower than Node)`,
    }));

    const udp = { payloadBytes: UDP_PAYLOAD_BYTES, seconds: s.rateSeconds };
    const datagrams = await alternate(s.runs, () => udpDatagramsPerSecond(pair.udp, udp), () => udpDatagramsPerSecond(nodeEndpoints.udp, udp));
    add(result('udp_datagrams_per_second_1472', 'datagrams/s', datagrams.ours, datagrams.theirs, {
      note: `${UDP_PAYLOAD_BYTES}-byte datagrams received per second, one sender; ${s.rateSeconds} s per run`,
    }));
    pair.close();
  }

  add(result('module_memory_bytes', 'bytes', Array(s.runs).fill(memory.moduleBytes), null, {
    growthBytes: memory.moduleGrowthBytes,
    note: `one stack's wasm memory with default limits (fixed after init); growth of both stacks' memory over the tcp_throughput_mtu1500 runs: ${memory.moduleGrowthBytes} bytes`,
  }));
  add(result('rss_bytes', 'bytes', memory.rssAfterRuns, null, {
    growthBytes: memory.rssGrowthBytes,
    note: `process RSS after each tcp_throughput_mtu1500 run (Node's own sockets share the process); growth during them (the sum over wasmnet's runs, Node's left out, after one warm-up transfer each): ${memory.rssGrowthBytes} bytes`,
  }));
  const wasmSizes = Array.from({ length: s.runs }, () => statSync(WASM_FILE).size);
  add(result('wasm_size_bytes', 'bytes', wasmSizes, null, {
    note: 'build/release.wasm (a fixed figure: each run reads the file size again)',
  }));
  return results;
}

/** A one-line description of the machine (CPU model, cores, Node version, OS). */
export async function machine() {
  const os = await import('node:os');
  const cpus = os.cpus();
  return `${cpus.length}x ${cpus[0]?.model ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

