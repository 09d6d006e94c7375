// SipHash-2-4, the keyed pseudorandom function of Aumasson and Bernstein ("SipHash: a fast
// short-input PRF", 2012): 2 compression rounds per 8-byte message word, 4 finalisation rounds,
// a 128-bit key and a 64-bit output.
//
// Why here: anything a remote peer can choose (addresses, ports) that feeds a hash table index
// or an RFC 6056 port offset must go through a keyed function the peer cannot predict, or the
// peer can aim all its entries at one bucket, or guess our next ephemeral port. SipHash is the
// usual choice for both; its output is indistinguishable from random without the key.
//
// The key is two little-endian u64 words: k0 = key bytes 0..7, k1 = key bytes 8..15 (the paper's
// test key 00 01 .. 0f is k0 = 0x0706050403020100, k1 = 0x0f0e0d0c0b0a0908).
//
// Nothing here allocates: the state is four locals, the message is read in place.

/** The initialisation constants, "somepseudorandomlygeneratedbytes" in ASCII (paper, section 2). */
const INIT_V0: u64 = 0x736f6d6570736575;
const INIT_V1: u64 = 0x646f72616e646f6d;
const INIT_V2: u64 = 0x6c7967656e657261;
const INIT_V3: u64 = 0x7465646279746573;
/** XORed into v2 before finalisation (paper, section 2, "Finalization"). */
const FINAL_XOR: u64 = 0xff;
const WORD_BYTES: usize = 8;
/** The last block carries the message length modulo 256 in its top byte. */
const LENGTH_SHIFT: u64 = 56;
const LENGTH_MASK: u64 = 0xff;

/** The SipHash state: four 64-bit words, kept in globals so rounds need no object. */
let v0: u64 = 0;
let v1: u64 = 0;
let v2: u64 = 0;
let v3: u64 = 0;

/** One SipRound (paper, section 2): add-rotate-xor over the four state words. */
@inline function sipRound(): void {
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
}

@inline function start(k0: u64, k1: u64): void {
  v0 = k0 ^ INIT_V0;
  v1 = k1 ^ INIT_V1;
  v2 = k0 ^ INIT_V2;
  v3 = k1 ^ INIT_V3;
}

/** Compression: the two rounds of SipHash-2-4 for one message word. */
@inline function compress(m: u64): void {
  v3 ^= m;
  sipRound();
  sipRound();
  v0 ^= m;
}

/** Finalisation: the four rounds of SipHash-2-4, then the output word. */
@inline function finish(): u64 {
  v2 ^= FINAL_XOR;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** SipHash-2-4 with key (k0, k1) of the `len` bytes at `ptr`. */
export function sipHash24(k0: u64, k1: u64, ptr: usize, len: usize): u64 {
  start(k0, k1);
  const whole = len & ~(WORD_BYTES - 1);
  for (let i: usize = 0; i < whole; i += WORD_BYTES) compress(load<u64>(ptr + i));
  // The last block: the 0..7 remaining bytes little-endian, the length in the top byte.
  let last: u64 = ((<u64>len) & LENGTH_MASK) << LENGTH_SHIFT;
  const rest = len - whole;
  for (let i: usize = 0; i < rest; i++) {
    last |= (<u64>load<u8>(ptr + whole + i)) << (<u64>i << 3);
  }
  compress(last);
  return finish();
}

/** The byte length sipHash24Words hashes: two 64-bit words. */
const WORDS_LEN: u64 = 16;

/**
 * SipHash-2-4 with key (k0, k1) of the 16 bytes that `a` then `b` are as little-endian words:
 * equal to sipHash24 over those bytes in memory, without needing them in memory.
 */
export function sipHash24Words(k0: u64, k1: u64, a: u64, b: u64): u64 {
  start(k0, k1);
  compress(a);
  compress(b);
  compress(WORDS_LEN << LENGTH_SHIFT);
  return finish();
}
