// The browser demo: two wasmnet stacks in this page on a MemoryLink, stack b serving through
// listenTcp(), stack a asking through openTcp(): first a small HTTP-style exchange, then a bulk
// download whose SHA-256 (computed by the server before sending) is checked against what arrived.
// Every frame passes a pcap tap: the first ones are decoded into the frame log, all of them go into
// the capture the button downloads. Uses the browser bundle only.
import { Stack, MemoryLink, PcapWriter } from '/build/browser/wasmnet.js';
import { decodeFrame } from './decode.js';
import { readHead, writeHead, readBody, text, bytesOf } from './http.js';
import { ThroughputChart } from './chart.js';

const SERVER_ADDRESS = '10.0.0.2';
const HTTP_PORT = 80;
/** Frames decoded into the log; the capture keeps every one. */
const FRAME_LOG_ROWS = 200;
/** Bytes of each frame the capture keeps: every header, the start of each payload. */
const CAPTURE_SNAPLEN = 256;
const PCAP_RECORD_HEADER_BYTES = 16;
const SERVER_WRITE_BYTES = 64 * 1024;
/** crypto.getRandomValues fills at most this many bytes per call. */
const RANDOM_VALUES_MAX_BYTES = 65536;
const CHART_TICK_MS = 100;
const MICROS_PER_MS = 1000;
const MICROS_PER_SECOND = 1_000_000;
const MEGABYTE = 1024 * 1024;

const $ = (id) => document.getElementById(id);
let pcapChunks = [];

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

function randomPayload(bytes) {
  const payload = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += RANDOM_VALUES_MAX_BYTES) {
    crypto.getRandomValues(payload.subarray(at, at + RANDOM_VALUES_MAX_BYTES));
  }
  return payload;
}

/** Keeps each capture chunk for the download and decodes the first frames into the log. */
function frameLog() {
  const body = $('frames').tBodies[0];
  body.replaceChildren();
  let frames = 0;
  let firstMicros;
  let countQueued = false;
  return (chunk) => {
    pcapChunks.push(chunk);
    // The writer's first chunk is the file's global header; each later one is one frame's record.
    if (pcapChunks.length === 1) return;
    frames++;
    // The count is shown once per animation frame: a DOM update per frame on the link would cost
    // more than moving the frame.
    if (!countQueued) {
      countQueued = true;
      requestAnimationFrame(() => {
        countQueued = false;
        $('frame-count').textContent = `(${frames} captured, the first ${Math.min(frames, FRAME_LOG_ROWS)} listed)`;
      });
    }
    if (frames > FRAME_LOG_ROWS) return;
    const header = new DataView(chunk.buffer, chunk.byteOffset, PCAP_RECORD_HEADER_BYTES);
    const micros = header.getUint32(0, true) * MICROS_PER_SECOND + header.getUint32(4, true);
    firstMicros ??= micros;
    const wireBytes = header.getUint32(12, true);
    const row = decodeFrame(chunk.subarray(PCAP_RECORD_HEADER_BYTES), wireBytes);
    const tr = body.insertRow();
    for (const cell of [frames, ((micros - firstMicros) / MICROS_PER_MS).toFixed(3), row.source, row.destination, row.protocol, wireBytes, row.info]) {
      tr.insertCell().textContent = String(cell);
    }
  };
}

/** Stack b's server: one request per connection, GET /hello or GET /bulk. */
async function serve(listener, bulk) {
  for await (const connection of listener) {
    answer(connection, bulk).catch((error) => console.error('server:', error));
  }
}

async function answer(connection, bulk) {
  const { lines } = await readHead(connection.readable);
  const [method, path] = lines[0].split(' ');
  const writer = connection.writable.getWriter();
  if (method === 'GET' && path === '/hello') {
    const body = bytesOf(`hello from wasmnet at ${SERVER_ADDRESS}, you are ${connection.remoteAddress}:${connection.remotePort}\n`);
    await writeHead(writer, 'HTTP/1.1 200 OK', { 'Content-Type': 'text/plain', 'Content-Length': body.length, Connection: 'close' });
    await writer.write(body);
  } else if (method === 'GET' && path === '/bulk') {
    await writeHead(writer, 'HTTP/1.1 200 OK', {
      'Content-Type': 'application/octet-stream', 'Content-Length': bulk.payload.length, 'X-Content-SHA256': bulk.sha256, Connection: 'close',
    });
    for (let at = 0; at < bulk.payload.length; at += SERVER_WRITE_BYTES) {
      await writer.ready;
      writer.write(bulk.payload.subarray(at, at + SERVER_WRITE_BYTES));
    }
  } else {
    await writeHead(writer, 'HTTP/1.1 404 Not Found', { 'Content-Length': 0, Connection: 'close' });
  }
  // FIN after the response. The client sent its FIN after the request: reading on sees that end,
  // and with both directions done the connection is released.
  await writer.close();
  for await (const unexpected of connection.readable) console.warn(`server: ${unexpected.length} bytes after the request`);
  await connection.closed;
}

/** Stack a's client: one request, the head and the body. */
async function request(stack, path, onProgress) {
  const connection = await stack.openTcp({ host: SERVER_ADDRESS, port: HTTP_PORT });
  const writer = connection.writable.getWriter();
  await writeHead(writer, `GET ${path} HTTP/1.1`, { Host: SERVER_ADDRESS, Connection: 'close' });
  await writer.close();
  const { lines, headers, rest } = await readHead(connection.readable);
  const body = await readBody(connection.readable, rest, Number(headers.get('content-length')), onProgress);
  // The server closed after the body: reading on sees the end, which releases the connection.
  const end = await connection.readable.getReader().read();
  if (!end.done) throw new Error('bytes after the body');
  await connection.closed;
  return { lines, headers, body };
}

function showStats(a, b) {
  const sa = a.stats();
  const sb = b.stats();
  const body = $('stats').tBodies[0];
  body.replaceChildren();
  for (const key of Object.keys(sa)) {
    if (sa[key] === 0 && sb[key] === 0) continue;
    const tr = body.insertRow();
    tr.insertCell().textContent = key;
    for (const v of [sa[key], sb[key]]) Object.assign(tr.insertCell(), { textContent: String(v), className: 'n' });
  }
}

async function runDemo() {
  const result = $('result');
  const bulkBytes = Number($('size').value);
  const mtu = Number($('mtu').value);
  result.dataset.state = 'running';
  delete result.dataset.verified;
  result.textContent = `Preparing ${bulkBytes / MEGABYTE} MiB...`;
  $('run').disabled = true;
  $('pcap').disabled = true;
  pcapChunks = [];
  const payload = randomPayload(bulkBytes);
  const bulk = { payload, sha256: hex(await crypto.subtle.digest('SHA-256', payload)) };

  const a = await Stack.create({ ipv4: '10.0.0.1/24', mtu });
  const b = await Stack.create({ ipv4: `${SERVER_ADDRESS}/24`, mtu });
  const tapped = PcapWriter.tap(a, frameLog(), { snaplen: CAPTURE_SNAPLEN });
  const link = MemoryLink.connect(tapped, b, { mtu });
  const listener = b.listenTcp({ port: HTTP_PORT });
  const serving = serve(listener, bulk);
  try {
    const hello = await request(a, '/hello');
    $('http').textContent = `> GET /hello HTTP/1.1\n> Host: ${SERVER_ADDRESS}\n\n` +
      `${hello.lines.map((l) => `< ${l}`).join('\n')}\n\n${text(hello.body)}`;

    result.textContent = `Transferring ${bulkBytes / MEGABYTE} MiB from b to a...`;
    const chart = new ThroughputChart($('chart'));
    let received = 0;
    const started = performance.now();
    chart.sample(started, 0);
    const ticker = setInterval(() => chart.sample(performance.now(), received), CHART_TICK_MS);
    let download;
    try {
      download = await request(a, '/bulk', (bytes) => { received = bytes; });
    } finally {
      clearInterval(ticker);
    }
    const seconds = (performance.now() - started) / 1000;
    chart.sample(performance.now(), received);
    const got = hex(await crypto.subtle.digest('SHA-256', download.body));
    const expected = download.headers.get('x-content-sha256');
    const verified = got === expected && download.body.length === bulkBytes;
    result.dataset.verified = String(verified);
    result.dataset.sha256 = got;
    result.textContent = `${verified ? 'SHA-256 verified' : 'SHA-256 MISMATCH'}: ${download.body.length} bytes in ` +
      `${seconds.toFixed(2)} s (${(download.body.length / MEGABYTE / seconds).toFixed(0)} MB/s), sha256 ${got}` +
      `${verified ? '' : ` (server said ${expected})`}`;
    showStats(a, b);
    result.dataset.state = 'done';
  } catch (error) {
    result.dataset.state = 'failed';
    result.textContent = `Failed: ${error?.code ?? ''} ${error?.message ?? error}`;
    console.error(error);
  } finally {
    listener.close();
    await serving;
    await tapped.close();
    a.close();
    b.close();
    link.close();
    $('run').disabled = false;
    $('pcap').disabled = pcapChunks.length === 0;
  }
}

function downloadPcap() {
  const url = URL.createObjectURL(new Blob(pcapChunks, { type: 'application/vnd.tcpdump.pcap' }));
  const anchor = Object.assign(document.createElement('a'), { href: url, download: 'wasmnet-demo.pcap' });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

$('run').addEventListener('click', () => { runDemo(); });
$('pcap').addEventListener('click', downloadPcap);
