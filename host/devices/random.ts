// A small seeded PRNG for the devices (loss, jitter, corruption...): xoshiro128** seeded through
// splitmix32. Pure 32-bit integer arithmetic (Math.imul, >>> 0), so a given seed gives the same
// sequence in every JavaScript engine. Not for cryptography.

const TWO_POW_32 = 4294967296;

function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  // Signed, as the xorshift steps leave the state words: the fields they seed stay small integers
  // in V8 (an unsigned word past 2^31 would be a double and change the fields' representation).
  return [next, z | 0];
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Splits a seed into two 32-bit words (numbers must be safe integers; bigints are taken mod 2^64). */
function seedWords(seed: number | bigint): [number, number] {
  if (typeof seed === 'bigint') {
    const s = BigInt.asUintN(64, seed);
    return [Number(s & 0xffffffffn), Number(s >> 32n)];
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const s = BigInt.asUintN(64, BigInt(seed));
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/** Deterministic pseudo-random numbers: the same (seed, stream) always gives the same sequence. */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * @param seed any safe integer or bigint.
   * @param stream selects an independent sequence for the same seed (e.g. one per link direction
   *   and per effect), so that turning one effect on does not change the draws of another.
   */
  constructor(seed: number | bigint = 1, stream = 0) {
    const [lo, hi] = seedWords(seed);
    let state = lo;
    let out: number;
    [state, out] = splitmix32(state ^ Math.imul(hi, 0x27d4eb2d));
    state = (state ^ out ^ Math.imul(stream | 0, 0x165667b1) ^ (Math.floor(stream / TWO_POW_32) | 0)) | 0;
    [state, this.s0] = splitmix32(state);
    [state, this.s1] = splitmix32(state);
    [state, this.s2] = splitmix32(state);
    [state, this.s3] = splitmix32(state);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** An integer in [0, bound), bound a positive integer up to 2^32 (unbiased). */
  nextInt(bound: number): number {
    if (!(Number.isInteger(bound) && bound > 0 && bound <= TWO_POW_32)) {
      throw new RangeError(`bound must be an integer in 1..2^32, got ${bound}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % bound;
    }
  }

  /** True with probability p (never draws when p <= 0 or p >= 1). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Fills bytes with random values. */
  fill(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i += 4) {
      let x = this.nextU32();
      for (let j = i; j < i + 4 && j < bytes.length; j++, x >>>= 8) bytes[j] = x & 0xff;
    }
    return bytes;
  }
}
