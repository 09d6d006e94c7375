// One wasmnet throughput run (as `npm run bench`'s tcp_throughput_* cases) for a CPU profile:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-throughput.mjs [MiB] [mtu] [offload|plain] [buffer KiB]
import { wasmnetPair } from './lib/endpoints.mjs';
import { tcpThroughput } from './lib/tcp-workloads.mjs';

const mib = Number(process.argv[2] ?? 256);
const mtu = Number(process.argv[3] ?? 1500);
const offload = process.argv[4] === 'offload';
const bufferKiB = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const limits = bufferKiB === undefined ? undefined : { tcpSendBytes: bufferKiB << 10, tcpRecvBytes: bufferKiB << 10 };
const pair = await wasmnetPair({ mtu, offload, limits });
const gbits = await tcpThroughput(pair.tcp, { totalBytes: mib << 20, writeBytes: 64 << 10, deadlineSeconds: 60 });
pair.close();
console.log(JSON.stringify({ mib, mtu, offload, bufferKiB, gbits: Number(gbits.toFixed(2)) }));
