import { sipHash24, sipHash24Words } from "../../assembly/storage/siphash";
import { scratch } from "./helpers";

// The paper's key, bytes 00 01 .. 0f, as two little-endian words.
const K0: u64 = 0x0706050403020100;
const K1: u64 = 0x0f0e0d0c0b0a0908;

// The published SipHash-2-4 64-bit outputs (Aumasson & Bernstein, reference vectors.h,
// vectors_sip64): entry n is the hash under K0/K1 of the n-byte message 00 01 .. (n-1), here read
// as the little-endian u64 the output bytes form.
const VECTORS: u64[] = [
  0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
  0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
  0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
  0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
  0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
  0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
  0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
  0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
  0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
  0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
  0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
  0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
  0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
  0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
  0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
  0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
];

/** The message 00 01 .. (n-1) in fresh memory, at an odd address so no load is aligned. */
function message(n: i32): usize {
  const p = scratch(n + 1) + 1;
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>i);
  return p;
}

describe("siphash-2-4", () => {
  it("matches the paper's appendix example (15-byte message)", () => {
    expect<u64>(sipHash24(K0, K1, message(15), 15)).toBe(0xa129ca6149be45e5);
  });

  it("matches the published vectors for lengths 0, 7, 8, 15 and 63", () => {
    const lengths: i32[] = [0, 7, 8, 15, 63];
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i];
      expect<u64>(sipHash24(K0, K1, message(n), <usize>n)).toBe(VECTORS[n], "length " + n.toString());
    }
  });

  it("matches all 64 published vectors (every tail length, one to seven full words)", () => {
    for (let n = 0; n < VECTORS.length; n++) {
      expect<u64>(sipHash24(K0, K1, message(n), <usize>n)).toBe(VECTORS[n], "length " + n.toString());
    }
  });

  it("sipHash24Words equals sipHash24 over the two words' 16 little-endian bytes", () => {
    // Bytes 00..0f as two words: the published 16-byte vector.
    expect<u64>(sipHash24Words(K0, K1, 0x0706050403020100, 0x0f0e0d0c0b0a0908)).toBe(VECTORS[16]);
    const p = scratch(16);
    let a: u64 = 0x0123456789abcdef;
    let b: u64 = 0xfedcba9876543210;
    for (let i = 0; i < 8; i++) {
      store<u64>(p, a);
      store<u64>(p + 8, b);
      expect<u64>(sipHash24Words(K1, K0, a, b)).toBe(sipHash24(K1, K0, p, 16));
      a = a * 0x9e3779b97f4a7c15 + 1;
      b = rotl<u64>(b, 7) ^ a;
    }
  });

  it("depends on every key bit and every message bit", () => {
    const base = sipHash24Words(K0, K1, 1, 2);
    for (let bit: u64 = 0; bit < 64; bit++) {
      expect<bool>(sipHash24Words(K0 ^ (1 << bit), K1, 1, 2) != base).toBe(true);
      expect<bool>(sipHash24Words(K0, K1 ^ (1 << bit), 1, 2) != base).toBe(true);
      expect<bool>(sipHash24Words(K0, K1, 1 ^ (1 << bit), 2) != base).toBe(true);
      expect<bool>(sipHash24Words(K0, K1, 1, 2 ^ (1 << bit)) != base).toBe(true);
    }
  });
});
