// Bundles the host for Node (ESM) and the browser with esbuild. The release wasm is inlined as
// bytes, so neither bundle needs to locate a file at run time.
import { build } from 'esbuild';

const common = {
  entryPoints: ['host/index.ts'],
  bundle: true,
  format: 'esm',
  sourcemap: true,
  target: 'es2022',
  loader: { '.wasm': 'binary' },
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, platform: 'node', outfile: 'build/node/wasmnet.js' }),
  // wasmnet/http: Node's http over a stack (Node only). It uses a stack only through its public
  // stack.net, so it carries no copy of the stack.
  build({ ...common, entryPoints: ['host/http.ts'], platform: 'node', outfile: 'build/node/http.js' }),
  // net's Socket is a stream.Duplex: in browsers, the userland copy of Node's streams.
  build({
    ...common, platform: 'browser', outfile: 'build/browser/wasmnet.js', external: ['node:*'],
    alias: { 'node:stream': 'readable-stream', 'node:events': 'events', 'node:buffer': 'buffer' },
  }),
]);
