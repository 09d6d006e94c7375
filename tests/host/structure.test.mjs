// The package's shape: `@internal` members stay out of the published types (tsconfig
// stripInternal), and host/ has no import cycle (dgram and ping use the session, never the stack
// facade that composes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function listFiles(dir, suffix) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, suffix));
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out.sort();
}

test('published types: no declaration carries an @internal member', () => {
  const files = listFiles(join(root, 'build', 'types'), '.d.ts');
  assert.ok(files.some((f) => f.endsWith(join('host', 'stack.d.ts'))), 'the types were built');
  const leaks = files.filter((f) => readFileSync(f, 'utf8').includes('@internal')).map((f) => relative(root, f));
  assert.deepEqual(leaks, []);
  const stack = readFileSync(join(root, 'build', 'types', 'host', 'stack.d.ts'), 'utf8');
  assert.ok(!/\bsession\b/.test(stack), 'Stack.session is internal');
});

/** Relative imports (static `import ... from`, `export ... from`) of a TypeScript file, resolved. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.[^'"]+)['"]/gms)) {
    out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  }
  return out;
}

test('host/: no import cycle', () => {
  const files = listFiles(join(root, 'host'), '.ts');
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((d) => d.startsWith(join(root, 'host')))]));
  const state = new Map();
  const cycles = [];
  const visit = (file, path) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});
