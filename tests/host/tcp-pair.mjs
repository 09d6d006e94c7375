// Shared by the TCP host suites: two stacks on one MemoryLink under one VirtualClock, a runner that
// steps that clock until a promise settles, and small event and hashing helpers.
import { createHash } from 'node:crypto';
import { Stack, MemoryLink, VirtualClock } from 'wasmnet';

/** Stacks a (10.0.0.1) and b (10.0.0.2) on a MemoryLink; `link` holds the link's options. */
export async function pair(options = {}) {
  const { link: linkOptions = {}, clock = new VirtualClock(), ...stackOptions } = options;
  const a = await Stack.create({ ipv4: '10.0.0.1/24', clock, seed: 1, ...stackOptions });
  const b = await Stack.create({ ipv4: '10.0.0.2/24', clock, seed: 2, ...stackOptions });
  const link = MemoryLink.connect(a, b, linkOptions);
  const close = () => { a.close(); b.close(); link.close(); };
  return { clock, a, b, link, close };
}

/** Steps the virtual clock `stepMs` at a time until `promise` settles (at most `limitMs`). */
export async function run(clock, promise, limitMs = 120_000, stepMs = 1) {
  let done = false;
  const settled = promise.then((v) => { done = true; return v; }, (e) => { done = true; throw e; });
  for (let t = 0; !done && t < limitMs; t += stepMs) await clock.advanceMsAsync(stepMs);
  if (!done) throw new Error(`not settled after ${limitMs} virtual ms`);
  return settled;
}

/** The first `event` of `emitter`; rejects on its 'error' first (unless waiting for 'error'). */
export const once = (emitter, event) => new Promise((resolve, reject) => {
  emitter.once(event, resolve);
  if (event !== 'error') emitter.once('error', reject);
});

export function sha256(chunks) {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

/** The TCP rows (connections and listeners) of a stack's report. */
export const tcpRows = (stack) => stack.report().sockets.filter((s) => s.kind === 'tcp' || s.kind === 'tcp-listener');

/** Steps the virtual clock 1 ms at a time until `predicate()` holds (at most `limitMs`). */
export async function until(clock, predicate, limitMs = 120_000) {
  for (let t = 0; !predicate(); t++) {
    if (t >= limitMs) throw new Error(`condition not met after ${limitMs} virtual ms`);
    await clock.advanceMsAsync(1);
  }
}
