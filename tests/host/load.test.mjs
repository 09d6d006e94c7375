// Loading the core: every documented source gives a working module, and a bad source fails clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCore, WireFormat, WireError } from 'wasmnet';

const wasmPath = fileURLToPath(new URL('../../build/release.wasm', import.meta.url));

/** A frame of zeros is an 802.3 length field, which the Ethernet parser reports as Unsupported. */
function probe(core) {
  const at = core.wireInputAt(14);
  new Uint8Array(core.memory.buffer, at, 14).fill(0);
  return core.wireCheck(WireFormat.Ethernet, at, 14, 1);
}

test('loads the module embedded in the bundle by default', async () => {
  const core = await loadCore();
  assert.equal(probe(core), WireError.Unsupported);
  assert.ok(core.memoryPages() >= 1);
});

test('loads from bytes, a compiled Module, a path and a file: URL', async () => {
  const bytes = await readFile(wasmPath);
  for (const source of [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    await WebAssembly.compile(bytes), wasmPath, pathToFileURL(wasmPath), pathToFileURL(wasmPath).href]) {
    const core = await loadCore(source);
    assert.equal(probe(core), WireError.Unsupported, `source ${String(source).slice(0, 40)}`);
  }
});

test('loads from an http URL (as a browser would)', async (t) => {
  const bytes = await readFile(wasmPath);
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/wasm' });
    res.end(bytes);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const core = await loadCore(`http://127.0.0.1:${server.address().port}/wasmnet.wasm`);
  assert.equal(probe(core), WireError.Unsupported);
});

test('a missing file or an HTTP error is a clear rejection, not a hang', async (t) => {
  await assert.rejects(loadCore('/nonexistent/wasmnet.wasm'), { code: 'ENOENT' });
  const server = createServer((req, res) => { res.writeHead(404); res.end(); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  await assert.rejects(loadCore(`http://127.0.0.1:${server.address().port}/x.wasm`), /HTTP 404/);
  await assert.rejects(loadCore(new Uint8Array([0, 1, 2, 3])), WebAssembly.CompileError);
});

test('the heap top and memory size are stable while parsing', async () => {
  const core = await loadCore();
  const top = core.heapTop();
  const pages = core.memoryPages();
  for (let i = 0; i < 1000; i++) probe(core);
  assert.equal(core.heapTop(), top);
  assert.equal(core.memoryPages(), pages);
});

test('the browser bundle has no static Node imports and runs a stack on its own', async () => {
  const bundleUrl = new URL('../../build/browser/wasmnet.js', import.meta.url);
  const source = await readFile(bundleUrl, 'utf8');
  // A static `import ... from "node:..."` or a require() would break the bundle in a browser.
  assert.doesNotMatch(source, /^\s*import\s[^;]*from\s*["']node:/m);
  assert.doesNotMatch(source, /\brequire\(["']/);
  const browser = await import(bundleUrl.href);
  const stack = await browser.Stack.create({ ipv4: '10.9.0.1/24', seed: 3 });
  const reply = await stack.ping('127.0.0.1');
  assert.equal(reply.address, '127.0.0.1');
  stack.close();
});
