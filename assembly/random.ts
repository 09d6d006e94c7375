// A seeded pseudo-random generator (xorshift64*). Deterministic from its seed so that tests
// replay exactly; the host seeds it from its crypto source in production. Not for secrets.

const MULTIPLIER: u64 = 0x2545f4914f6cdd1d;
/** Any non-zero state works; zero would stay zero forever. */
const ZERO_SEED_REPLACEMENT: u64 = 0x9e3779b97f4a7c15;

export class Random {
  private state: u64;

  constructor(seed: u64) {
    this.state = seed == 0 ? ZERO_SEED_REPLACEMENT : seed;
  }

  reseed(seed: u64): void {
    this.state = seed == 0 ? ZERO_SEED_REPLACEMENT : seed;
  }

  next(): u64 {
    let x = this.state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.state = x;
    return x * MULTIPLIER;
  }

  /** Uniform in [0, bound) for bound >= 1 (bound 0 gives 0). */
  below(bound: u32): u32 {
    if (bound == 0) return 0;
    return <u32>((this.next() >> 32) % <u64>bound);
  }
}
