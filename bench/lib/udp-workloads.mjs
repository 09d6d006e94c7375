// UDP workload written once against Node's `dgram` shape, so the same code measures wasmnet's
// `stack.dgram` and Node's own `dgram` over the kernel's 127.0.0.1.
import { secondsSince } from './stats.mjs';

/** Datagrams a sender hands over per event-loop turn: enough to batch, few enough to let the receiver run. */
const SEND_BATCH = 64;

function bound(socket, address) {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve(socket.address().port));
  });
}

/**
 * Datagrams of `payloadBytes` per second arriving at the receiver: the sender sends batches, one
 * per turn of the event loop, for `seconds`; the rate counts only datagrams received (a receiver
 * that drops under load scores what it kept).
 */
export async function udpDatagramsPerSecond(endpoints, { payloadBytes, seconds }) {
  const receiver = endpoints.receiverDgram.createSocket('udp4');
  const sender = endpoints.senderDgram.createSocket('udp4');
  let received = 0;
  receiver.on('message', () => { received++; });
  sender.on('error', () => {});
  const port = await bound(receiver, endpoints.receiverAddress);
  await bound(sender, endpoints.senderAddress);
  const payload = Buffer.alloc(payloadBytes, 0x33);
  const start = process.hrtime.bigint();
  let stopping = false;
  const stopAt = setTimeout(() => { stopping = true; }, seconds * 1000);
  await new Promise((resolve) => {
    const sendBatch = () => {
      if (stopping) { resolve(); return; }
      // Send more only when the previous batch has left the socket, so the bench never piles up
      // datagrams waiting for room (which both stacks would refuse, or drop, past a bound).
      if (sender.getSendQueueCount() < SEND_BATCH) {
        for (let i = 0; i < SEND_BATCH; i++) sender.send(payload, port, endpoints.receiverAddress);
      }
      setImmediate(sendBatch);
    };
    sendBatch();
  });
  const elapsed = secondsSince(start);
  clearTimeout(stopAt);
  sender.close();
  receiver.close();
  return received / elapsed;
}
