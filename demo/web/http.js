// A minimal HTTP/1.1-style exchange over web streams, enough for the demo's two requests: a head
// ("GET /path HTTP/1.1", headers, blank line), then a body of Content-Length bytes. Not a general
// HTTP implementation (no chunked encoding, no keep-alive): one request per connection.

const HEAD_END = '\r\n\r\n';
const HEAD_END_BYTES = [13, 10, 13, 10];
/** A head longer than this is refused: a peer cannot make us buffer without bound. */
const MAX_HEAD_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Reads up to the end of the head. Resolves with the head's lines and the bytes already read past
 * it (the start of the body); the reader's lock is released, so the body can be read with a BYOB
 * reader of the same stream.
 */
export async function readHead(readable) {
  const reader = readable.getReader();
  let buffered = new Uint8Array(0);
  try {
    for (;;) {
      const end = indexOfHeadEnd(buffered);
      if (end >= 0) {
        const lines = decoder.decode(buffered.subarray(0, end)).split('\r\n');
        return { lines, headers: parseHeaders(lines.slice(1)), rest: buffered.subarray(end + HEAD_END_BYTES.length) };
      }
      if (buffered.length > MAX_HEAD_BYTES) throw new Error(`HTTP head longer than ${MAX_HEAD_BYTES} bytes`);
      const { value, done } = await reader.read();
      if (done) throw new Error('connection ended before the HTTP head did');
      const joined = new Uint8Array(buffered.length + value.length);
      joined.set(buffered);
      joined.set(value, buffered.length);
      buffered = joined;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Where the blank line ending a head starts in `bytes`, or -1. */
function indexOfHeadEnd(bytes) {
  outer: for (let i = 0; i + HEAD_END_BYTES.length <= bytes.length; i++) {
    for (let j = 0; j < HEAD_END_BYTES.length; j++) if (bytes[i + j] !== HEAD_END_BYTES[j]) continue outer;
    return i;
  }
  return -1;
}

function parseHeaders(lines) {
  const headers = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Writes a head (first line and headers) to a writer. */
export function writeHead(writer, firstLine, headers = {}) {
  const lines = [firstLine, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return writer.write(encoder.encode(lines.join('\r\n') + HEAD_END));
}

/**
 * Reads exactly `length` body bytes into one buffer with BYOB reads: the stream fills our buffer
 * directly, so the body is copied once, from the stack's receive ring. `onProgress(bytes)` after
 * every read.
 */
export async function readBody(readable, rest, length, onProgress = () => {}) {
  const BYOB_READ_BYTES = 256 * 1024;
  let buffer = new ArrayBuffer(length);
  new Uint8Array(buffer).set(rest.subarray(0, length));
  let filled = Math.min(rest.length, length);
  const reader = readable.getReader({ mode: 'byob' });
  try {
    while (filled < length) {
      const view = new Uint8Array(buffer, filled, Math.min(BYOB_READ_BYTES, length - filled));
      const { value, done } = await reader.read(view);
      if (done) throw new Error(`connection ended after ${filled} of ${length} body bytes`);
      // The read transferred the buffer: the returned view is the way to it now.
      buffer = value.buffer;
      filled += value.byteLength;
      onProgress(filled);
    }
  } finally {
    reader.releaseLock();
  }
  return new Uint8Array(buffer);
}

export const text = (bytes) => decoder.decode(bytes);
export const bytesOf = (string) => encoder.encode(string);
