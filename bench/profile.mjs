// One wasmnet measurement (as `npm run bench`'s cases run it) for a CPU profile:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs throughput [MiB] [mtu] [offload|plain] [buffer KiB]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs connections [seconds]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile.mjs echo [rounds]
import { wasmnetPair } from './lib/endpoints.mjs';
import { tcpThroughput, tcpConnectionsPerSecond, tcpEchoRttMicros } from './lib/tcp-workloads.mjs';

const MiB = 1024 * 1024;
const [what = 'throughput', ...args] = process.argv.slice(2);

if (what === 'throughput') {
  const mib = Number(args[0] ?? 256);
  const mtu = Number(args[1] ?? 1500);
  const offload = args[2] === 'offload';
  const bufferKiB = args[3] === undefined ? undefined : Number(args[3]);
  const limits = bufferKiB === undefined ? undefined : { tcpSendBytes: bufferKiB * 1024, tcpRecvBytes: bufferKiB * 1024 };
  const pair = await wasmnetPair({ mtu, offload, limits });
  const gbits = await tcpThroughput(pair.tcp, { totalBytes: mib * MiB, writeBytes: 64 * 1024, deadlineSeconds: 60 });
  pair.close();
  console.log(JSON.stringify({ what, mib, mtu, offload, bufferKiB, gbits: Number(gbits.toFixed(2)) }));
} else if (what === 'connections') {
  const seconds = Number(args[0] ?? 3);
  const pair = await wasmnetPair({ mtu: 1500, offload: false });
  const rate = await tcpConnectionsPerSecond(pair.tcp, { inFlight: 8, messageBytes: 100, seconds });
  pair.close();
  console.log(JSON.stringify({ what, seconds, perSecond: Math.round(rate) }));
} else if (what === 'echo') {
  const rounds = Number(args[0] ?? 50_000);
  const pair = await wasmnetPair({ mtu: 1500, offload: false });
  const micros = await tcpEchoRttMicros(pair.tcp, { rounds, warmupRounds: 1000 });
  pair.close();
  console.log(JSON.stringify({ what, rounds, medianMicros: Number(micros.toFixed(2)) }));
} else {
  console.error(`bench/profile.mjs: unknown measurement ${what} (throughput, connections, echo)`);
  process.exit(2);
}
