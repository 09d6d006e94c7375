// Backpressure end to end (issue 8): a reader that pauses for one second must not make the writer's
// side hold more than its configured buffers. What the host and the core hold is measured every
// virtual millisecond of the pause: the producer's and the socket's stream buffers, the sockets'
// core send and receive rings (report()), the receiver's stream buffer; and what the producer made
// during the pause is bounded by those buffers (it was stopped, not buffered). Then the reader
// resumes and every byte arrives, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pair, run, until, once } from './tcp-pair.mjs';

const RING_BYTES = 65536;
const CHUNK = 16 * 1024;
const PAUSE_MS = 1000;
/** What the producer may make before the reader pauses (the connection is busy by then). */
const WARMUP_BYTES = 1 << 20;

test('a reader paused for one second: the writer holds no more than its configured buffers, then every byte arrives', async (t) => {
  const { clock, a, b, close } = await pair({ limits: { tcpSendBytes: RING_BYTES, tcpRecvBytes: RING_BYTES } });
  t.after(close);
  const server = b.net.createServer();
  server.listen(80);
  await run(clock, once(server, 'listening'));
  const accepted = once(server, 'connection');
  const writer = a.net.connect(80, '10.0.0.2');
  const reader = await run(clock, accepted);

  // The producer makes numbered chunks as fast as the pipe asks for them.
  let produced = 0;
  let counter = 0;
  const producer = new Readable({
    highWaterMark: CHUNK,
    read() {
      const chunk = Buffer.alloc(CHUNK, counter++ & 0xff);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  producer.pipe(writer);
  // Chunk n is CHUNK bytes of n & 0xff: each received byte is checked where it lands.
  let received = 0;
  let misplaced = 0;
  reader.on('data', (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] !== (Math.floor((received + i) / CHUNK) & 0xff)) misplaced++;
    received += d.length;
  });
  await until(clock, () => received >= WARMUP_BYTES);

  reader.pause();
  // Let what was in flight land, then measure through the rest of the second.
  const row = (stack) => stack.report().sockets.find((s) => s.kind === 'tcp');
  const startProduced = produced;
  let peak = { producer: 0, writerStream: 0, writerRing: 0, readerRing: 0, readerStream: 0 };
  let windowClosed = false;
  for (let ms = 0; ms < PAUSE_MS; ms++) {
    await clock.advanceMsAsync(1);
    const sample = {
      producer: producer.readableLength,
      writerStream: writer.bufferSize,
      writerRing: row(a).tcp.txQueuedBytes,
      readerRing: row(b).rxQueuedBytes,
      readerStream: reader.readableLength,
    };
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], sample[k]);
    if (row(a).tcp.peerWindow === 0) windowClosed = true;
  }
  const madeDuringPause = produced - startProduced;
  assert.ok(windowClosed, 'the reader\'s window closed: the writer saw a zero window');
  assert.ok(peak.producer <= producer.readableHighWaterMark + CHUNK, `producer buffer ${peak.producer}`);
  assert.ok(peak.writerStream <= writer.writableHighWaterMark + CHUNK, `writer stream buffer ${peak.writerStream}`);
  assert.ok(peak.writerRing <= RING_BYTES, `writer send ring ${peak.writerRing}`);
  assert.ok(peak.readerRing <= RING_BYTES, `reader receive ring ${peak.readerRing}`);
  assert.ok(peak.readerStream <= reader.readableHighWaterMark + RING_BYTES, `reader stream buffer ${peak.readerStream}`);
  const allBuffers = producer.readableHighWaterMark + writer.writableHighWaterMark + reader.readableHighWaterMark
    + 2 * RING_BYTES + 3 * CHUNK + RING_BYTES;
  assert.ok(madeDuringPause <= allBuffers, `the producer was stopped: ${madeDuringPause} bytes made during the pause`);
  // Nothing more is produced once everything is full: the last 100 ms made nothing.
  const before = produced;
  await clock.advanceMsAsync(100);
  assert.equal(produced, before, 'the writer is waiting, not buffering');

  producer.unpipe(writer);
  producer.pause();
  writer.end();
  reader.resume();
  await run(clock, once(reader, 'end'));
  assert.equal(received, writer.bytesWritten, 'every byte written arrived');
  assert.equal(misplaced, 0, 'in order and intact');
});
