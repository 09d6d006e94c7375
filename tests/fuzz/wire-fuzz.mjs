#!/usr/bin/env node
// Wire-format fuzzer: random and mutated inputs into every exported parser of the core.
//
// Each input is copied so that it ends exactly at the end of the module's memory: a parser that
// reads one byte past the length it was given touches memory that does not exist and traps, so
// "zero traps" also means "zero over-reads". Mutations start from valid seed packets so the
// parsers are exercised past their first length check.
//
//   node tests/fuzz/wire-fuzz.mjs [iterations] [seed]     (npm run fuzz: the long campaign)
import { loadCore, WireFormat, WireError } from 'wasmnet';
import { SEEDS } from './seeds.mjs';

/** Deterministic xorshift32 so that a failing input can be reproduced from its seed. */
export function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  return { next, below: (n) => next() % n, chance: (p) => next() / 0x1_0000_0000 < p };
}

const INTERESTING = [0x00, 0x01, 0x02, 0x04, 0x05, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];
const MAX_RANDOM_LEN = 700;

const hexToBytes = (hex) => Uint8Array.from(hex.replace(/[^0-9a-f]/gi, '').match(/../g) ?? [], (b) => parseInt(b, 16));

/** Seeds as byte arrays, per format name. */
export function seedBytes() {
  const out = {};
  for (const [name, list] of Object.entries(SEEDS)) out[name] = list.map(hexToBytes);
  return out;
}

function mutate(r, seed, seeds) {
  let b = Uint8Array.from(seed);
  const rounds = 1 + r.below(4);
  for (let k = 0; k < rounds; k++) {
    switch (r.below(8)) {
      case 0: if (b.length) b[r.below(b.length)] ^= 1 << r.below(8); break;
      case 1: if (b.length) b[r.below(b.length)] = INTERESTING[r.below(INTERESTING.length)]; break;
      case 2: if (b.length) b[r.below(b.length)] = r.below(256); break;
      case 3: b = b.subarray(0, r.below(b.length + 1)); break; // truncate
      case 4: { // extend with random bytes
        const extra = new Uint8Array(1 + r.below(64));
        for (let i = 0; i < extra.length; i++) extra[i] = r.below(256);
        const c = new Uint8Array(b.length + extra.length); c.set(b); c.set(extra, b.length); b = c; break;
      }
      case 5: { // a 16-bit field (lengths, counts, pointers) set to an edge value
        if (b.length >= 2) {
          const at = r.below(b.length - 1);
          const v = [0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, b.length, b.length + 1, b.length - 1][r.below(10)];
          b[at] = (v >> 8) & 0xff; b[at + 1] = v & 0xff;
        }
        break;
      }
      case 6: { // splice the tail of another seed
        const other = seeds[r.below(seeds.length)];
        const at = r.below(b.length + 1);
        const from = r.below(other.length + 1);
        const c = new Uint8Array(at + other.length - from);
        c.set(b.subarray(0, at)); c.set(other.subarray(from), at); b = c; break;
      }
      case 7: { // duplicate a chunk in place (repeated options, labels, records)
        if (b.length >= 2) {
          const from = r.below(b.length - 1), len = 1 + r.below(Math.min(16, b.length - from));
          const c = new Uint8Array(b.length + len);
          c.set(b.subarray(0, from + len)); c.set(b.subarray(from, from + len), from + len);
          c.set(b.subarray(from + len), from + 2 * len); b = c;
        }
        break;
      }
    }
  }
  return b;
}

/**
 * Runs `iterations` inputs spread over every format. Returns per-format result counts; throws an
 * Error naming the format and the input (hex) on the first trap.
 */
export async function fuzzWire({ iterations, seed = 1, core } = {}) {
  core ??= await loadCore();
  const r = rng(seed);
  const seeds = seedBytes();
  const formats = Object.keys(WireFormat);
  const counts = Object.fromEntries(formats.map((f) => [f, { inputs: 0, ok: 0, errors: {} }]));
  const codes = new Map(Object.entries(WireError).map(([k, v]) => [v, k]));
  const random = new Uint8Array(MAX_RANDOM_LEN);
  for (let i = 0; i < iterations; i++) {
    const name = formats[i % formats.length];
    const own = seeds[name] ?? [];
    let input;
    if (own.length === 0 || r.chance(0.1)) {
      const len = r.below(r.chance(0.5) ? 64 : MAX_RANDOM_LEN);
      for (let j = 0; j < len; j++) random[j] = r.below(256);
      input = random.subarray(0, len);
    } else {
      input = mutate(r, own[r.below(own.length)], own);
    }
    const flags = r.chance(0.5) ? 1 : 0;
    const at = core.wireInputAt(input.length);
    new Uint8Array(core.memory.buffer, at, input.length).set(input);
    let result;
    try {
      result = core.wireCheck(WireFormat[name], at, input.length, flags);
    } catch (error) {
      const hex = Buffer.from(input).toString('hex');
      throw new Error(`trap in ${name} parser (flags ${flags}) on input ${hex}: ${error.message}`, { cause: error });
    }
    const c = counts[name];
    c.inputs++;
    if (result >= 0) c.ok++;
    else {
      const code = codes.get(result);
      if (code === undefined) throw new Error(`${name} parser returned unknown code ${result} for ${Buffer.from(input).toString('hex')}`);
      c.errors[code] = (c.errors[code] ?? 0) + 1;
    }
  }
  return counts;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const iterations = Number(process.argv[2] ?? 20_000_000);
  const seed = Number(process.argv[3] ?? Date.now() & 0xffffffff);
  const started = performance.now();
  const counts = await fuzzWire({ iterations, seed });
  console.log(JSON.stringify({ iterations, seed, seconds: (performance.now() - started) / 1000, counts }, null, 1));
}
