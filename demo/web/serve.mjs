#!/usr/bin/env node
// `npm run demo:web`: serves the browser demo (demo/web/) and the browser bundle (build/browser/)
// on 127.0.0.1 only. A static file server and nothing else: GET and HEAD of known files, every
// other path 404, never a path outside those two folders.
//
//   npm run demo:web            -> http://127.0.0.1:8080/
//   PORT=0 npm run demo:web     -> an ephemeral port (printed)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_PORT = 8080;
const LOOPBACK = '127.0.0.1';
/** URL prefix -> folder under the repository root. */
const MOUNTS = [
  ['/build/browser/', join(ROOT, 'build', 'browser')],
  ['/', join(ROOT, 'demo', 'web')],
];
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** The file a URL path names, or undefined when it names none we serve. */
function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return undefined;
  }
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, folder] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(folder, path.slice(prefix.length)));
    // normalize() resolved any '..': what is left must still be inside the folder.
    return file.startsWith(folder + sep) && CONTENT_TYPES[extname(file)] ? file : undefined;
  }
  return undefined;
}

/** Starts the server; resolves with it and its URL once it listens. */
export async function startDemoServer({ port = DEFAULT_PORT } = {}) {
  const server = createServer(async (req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? fileFor(req.url ?? '/') : undefined;
    let body;
    try {
      body = file ? await readFile(file) : undefined;
    } catch {
      body = undefined;
    }
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(file && file.includes(`${sep}build${sep}`) ? 'Not found (run `npm run build` first)\n' : 'Not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)], 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, resolve);
  });
  return { server, url: `http://${LOOPBACK}:${server.address().port}/` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const port = process.env.PORT === undefined ? DEFAULT_PORT : Number(process.env.PORT);
  const { url } = await startDemoServer({ port });
  console.log(`wasmnet browser demo: ${url}  (Ctrl-C to stop)`);
}
