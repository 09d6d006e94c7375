// The stack's secret: the key of every keyed hash whose output a remote peer must not predict
// (ephemeral ports, RFC 6056; TCP initial sequence numbers, RFC 6528; the default MAC). The host
// fills it from its crypto source, apart from the test seed; when it leaves it all zero (a seeded,
// deterministic run) the key is derived from the seed, so a seeded run replays exactly. Outputs
// go through SipHash-2-4, so neither the key nor the seed can be read back from them.

import { sipHash24Words } from "./storage/siphash";
import { Random } from "./random";

/** Domain separation: each use hashes its own constant, so outputs of one use say nothing of another. */
export const SECRET_USE_PORTS: u64 = 0x706f727473; // "ports"
export const SECRET_USE_MAC: u64 = 0x6d6163; // "mac"
/** Keys of the hash indexes over peer-chosen keys (neighbour addresses, ports, later 4-tuples). */
export const SECRET_USE_INDEX: u64 = 0x696e646578; // "index"
/** TCP initial sequence numbers (RFC 6528's F). */
export const SECRET_USE_ISN: u64 = 0x69736e; // "isn"

export class Secret {
  readonly k0: u64;
  readonly k1: u64;

  /** The key (k0, k1) as given, or, when both are zero, two words drawn from the seed. */
  constructor(k0: u64, k1: u64, seed: u64) {
    if (k0 == 0 && k1 == 0) {
      const random = new Random(seed ^ SECRET_USE_PORTS);
      k0 = random.next();
      k1 = random.next();
    }
    this.k0 = k0;
    this.k1 = k1;
  }

  /** A 128-bit key for one use: two hashes, so keys for different uses are unrelated. */
  @inline keyFor(use: u64, half: u64): u64 {
    return this.hash(use, half, 0);
  }

  /** A keyed hash of (use, a, b). */
  @inline hash(use: u64, a: u64, b: u64): u64 {
    return sipHash24Words(this.k0, this.k1 ^ use, a, b);
  }
}

/** IEEE 802 address bits: bit 0 of the first byte marks a group address, bit 1 a local one. */
const MAC_LOCAL_BIT: u64 = 0x02 << 40;
const MAC_GROUP_BIT: u64 = 0x01 << 40;
const MAC_BITS: u64 = (1 << 48) - 1;

/** A locally administered unicast MAC drawn from the secret (the config gave none). */
export function macFromSecret(secret: Secret): u64 {
  return (secret.hash(SECRET_USE_MAC, 0, 0) & MAC_BITS & ~MAC_GROUP_BIT) | MAC_LOCAL_BIT;
}
