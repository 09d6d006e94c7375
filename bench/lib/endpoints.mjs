// The two sides each workload runs between: two wasmnet stacks on an unimpaired MemoryLink under
// a RealClock, or Node's own net/dgram over the kernel's 127.0.0.1 in the same process.
import net from 'node:net';
import dgram from 'node:dgram';
import { Stack, MemoryLink } from 'wasmnet';

const CLIENT_ADDRESS = '10.77.0.1';
const SERVER_ADDRESS = '10.77.0.2';
const PREFIX_LENGTH = 24;
const LOOPBACK = '127.0.0.1';
/** Fixed seeds: the same ISNs and ports every run, so runs differ only in timing. */
const CLIENT_SEED = 1;
const SERVER_SEED = 2;

/**
 * Two stacks joined by a MemoryLink. `mtu` sets both stacks and the link; `offload` turns on the
 * stacks' checksum and segmentation offload and marks the link trusted (the receiver skips
 * verifying, and takes 64 KiB segments whole). `limits`: the stacks' limits (default theirs).
 */
export async function wasmnetPair({ mtu, offload, limits }) {
  const common = { mtu, checksumOffload: offload, segmentationOffload: offload, limits };
  const client = await Stack.create({ ...common, ipv4: `${CLIENT_ADDRESS}/${PREFIX_LENGTH}`, seed: CLIENT_SEED });
  const server = await Stack.create({ ...common, ipv4: `${SERVER_ADDRESS}/${PREFIX_LENGTH}`, seed: SERVER_SEED });
  const link = MemoryLink.connect(client, server, { mtu, trusted: offload });
  return {
    client,
    server,
    tcp: { serverNet: server.net, clientNet: client.net, serverAddress: SERVER_ADDRESS },
    udp: { receiverDgram: server.dgram, senderDgram: client.dgram, receiverAddress: SERVER_ADDRESS, senderAddress: CLIENT_ADDRESS },
    close() { link.close(); client.close(); server.close(); },
  };
}

/** Node's own sockets over the kernel's loopback. */
export const nodeEndpoints = {
  tcp: { serverNet: net, clientNet: net, serverAddress: LOOPBACK },
  udp: { receiverDgram: dgram, senderDgram: dgram, receiverAddress: LOOPBACK, senderAddress: LOOPBACK },
};
