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

/** Compression rounds per message word, and finalisation rounds: the "2" and "4" of SipHash-2-4. */
const COMPRESSION_ROUNDS: i32 = 2;
const FINALISATION_ROUNDS: i32 = 4;

/** The byte length sipHash24Words hashes: two 64-bit words. */
const WORDS_LEN: usize = 16;
/** Where sipHash24Words lays its two words out for sipHash24 (static, never shared across calls). */
const wordsScratch: usize = memory.data(<i32>WORDS_LEN, <i32>WORD_BYTES);

/**
 * SipHash-2-4 with key (k0, k1) of the `len` bytes at `ptr`.
 *
 * The state is four locals and every round is the one SipRound below (paper, section 2): message
 * words are XORed into v3 before a word's first round and into v0 after its last; after the last
 * word (the 0..7 remaining bytes with the length in its top byte) v2 takes FINAL_XOR and four
 * more rounds follow. Locals, not module globals: each round touches the state sixteen times.
 */
export function sipHash24(k0: u64, k1: u64, ptr: usize, len: usize): u64 {
  let v0: u64 = k0 ^ INIT_V0;
  let v1: u64 = k1 ^ INIT_V1;
  let v2: u64 = k0 ^ INIT_V2;
  let v3: u64 = k1 ^ INIT_V3;
  const whole = len & ~(WORD_BYTES - 1);
  // The last block: the 0..7 remaining bytes little-endian, the length in the top byte.
  let last: u64 = ((<u64>len) & LENGTH_MASK) << LENGTH_SHIFT;
  const rest = len - whole;
  for (let i: usize = 0; i < rest; i++) {
    last |= (<u64>load<u8>(ptr + whole + i)) << (<u64>i << 3);
  }
  const words = <i32>(whole / WORD_BYTES) + 1;
  const compressionEnd = words * COMPRESSION_ROUNDS;
  const rounds = compressionEnd + FINALISATION_ROUNDS;
  let m: u64 = 0;
  for (let r = 0; r < rounds; r++) {
    const inWord = r % COMPRESSION_ROUNDS;
    if (r < compressionEnd && inWord == 0) {
      const word = r / COMPRESSION_ROUNDS;
      m = word < words - 1 ? load<u64>(ptr + <usize>word * WORD_BYTES) : last;
      v3 ^= m;
    }
    // SipRound: add-rotate-xor over the four state words.
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    if (r < compressionEnd && inWord == COMPRESSION_ROUNDS - 1) {
      v0 ^= m;
      if (r == compressionEnd - 1) v2 ^= FINAL_XOR;
    }
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * SipHash-2-4 with key (k0, k1) of the 16 bytes that `a` then `b` are as little-endian words:
 * sipHash24 over those bytes, laid out in a static scratch block.
 */
export function sipHash24Words(k0: u64, k1: u64, a: u64, b: u64): u64 {
  store<u64>(wordsScratch, a);
  store<u64>(wordsScratch + WORD_BYTES, b);
  return sipHash24(k0, k1, wordsScratch, WORDS_LEN);
}
