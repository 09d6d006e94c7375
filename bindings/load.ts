// Loading the core module in Node and in browsers. Sources:
//   - nothing: the module embedded in this bundle (esbuild inlines build/release.wasm), so no path
//     or URL has to resolve at run time, even inside another bundler's output;
//   - bytes (ArrayBuffer or a view) or an already compiled WebAssembly.Module;
//   - a URL object or an http(s)/blob/data URL string: fetched (streaming compile when possible);
//   - a file: URL or any other string, in Node: a file read with node:fs.
// import.meta.url is never used to find the module.

import embeddedWasm from '../build/release.wasm';
import type { CoreExports } from './exports.js';

export type CoreSource = BufferSource | WebAssembly.Module | URL | string;

/** Raised when the core aborts or traps: the stack that owns it is unusable from then on. */
export class CoreTrapError extends Error {
  readonly code = 'ERR_WASMNET_TRAP';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`wasmnet core trapped: ${message}`, options);
    this.name = 'CoreTrapError';
  }
}

const isUrlString = (s: string): boolean => /^(https?|blob|data|file):/i.test(s);

async function readNodeFile(pathOrUrl: string | URL): Promise<Uint8Array<ArrayBuffer>> {
  // A variable specifier keeps browser bundlers from trying to include node:fs.
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  const data = await fs.readFile(pathOrUrl);
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

async function compile(source: CoreSource | undefined): Promise<WebAssembly.Module> {
  if (source === undefined) return WebAssembly.compile(embeddedWasm);
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  const url = source instanceof URL ? source : isUrlString(source) ? new URL(source) : undefined;
  if (url === undefined || url.protocol === 'file:') return WebAssembly.compile(await readNodeFile(url ?? (source as string)));
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load wasmnet core from ${url.href}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function' &&
      response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4) out of the core's memory. */
function readCoreString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || ptr === 0) return '';
  const bytes = new Uint8Array(memory.buffer);
  if (ptr < 4 || ptr > bytes.length) return `<string at ${ptr}>`;
  const byteLength = new DataView(memory.buffer).getUint32(ptr - 4, true);
  if (ptr + byteLength > bytes.length) return `<string at ${ptr}>`;
  return String.fromCharCode(...new Uint16Array(memory.buffer.slice(ptr, ptr + (byteLength & ~1))));
}

/** Compiles and instantiates the core. Every export is typed by CoreExports. */
export async function loadCore(source?: CoreSource): Promise<CoreExports> {
  const module = await compile(source);
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(messagePtr: number, filePtr: number, line: number, column: number): never {
        const message = readCoreString(memory, messagePtr) || 'abort';
        const file = readCoreString(memory, filePtr);
        throw new CoreTrapError(`${message}${file ? ` at ${file}:${line}:${column}` : ''}`);
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const exports = instance.exports as unknown as CoreExports;
  memory = exports.memory;
  return exports;
}
