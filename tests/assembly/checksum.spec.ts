import {
  checksumAdjust, checksumPartialScalar, checksumPartialSimd, checksumVerifies,
  internetChecksum, pseudoHeaderSum, checksumFinish, checksumPartial,
} from "../../assembly/wire/checksum";
import { readU16, writeU16 } from "../../assembly/wire/bytes";

import { bytesOf } from "./helpers";
function bytes(values: u8[]): usize { return bytesOf(values); }

describe("internet checksum", () => {
  it("matches the RFC 1071 section 3 example sum", () => {
    // RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement), checksum 220d.
    const p = bytes([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect<u32>(checksumPartial(p, 8, 0)).toBe(0xddf2);
    expect<u16>(internetChecksum(p, 8)).toBe(0x220d);
  });

  it("verifies a real IPv4 header and rejects a corrupted one", () => {
    // Header captured from ping 127.0.0.1: checksum 0x3cdd at bytes 10..11.
    const p = bytes([0x45, 0x00, 0x00, 0x54, 0x1c, 0xc8, 0x40, 0x00, 0x40, 0x01, 0x20, 0xdf,
      0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01]);
    writeU16(p + 10, 0);
    const c = internetChecksum(p, 20);
    writeU16(p + 10, c);
    expect<bool>(checksumVerifies(p, 20)).toBe(true);
    store<u8>(p + 3, 0x55);
    expect<bool>(checksumVerifies(p, 20)).toBe(false);
  });

  it("pads an odd final byte with zero", () => {
    const odd = bytes([0x12, 0x34, 0x56]);
    const even = bytes([0x12, 0x34, 0x56, 0x00]);
    expect<u16>(internetChecksum(odd, 3)).toBe(internetChecksum(even, 4));
  });

  it("SIMD and scalar paths agree on every length up to 300 and every alignment", () => {
    const buf = new ArrayBuffer(320);
    const base = changetype<usize>(buf);
    let x: u32 = 0x9e3779b9;
    for (let i = 0; i < 320; i++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      store<u8>(base + i, <u8>x);
    }
    for (let offset = 0; offset < 4; offset++) {
      for (let len = 0; len <= 300; len++) {
        const a = checksumPartialScalar(base + offset, len, 0x1234);
        const b = checksumPartialSimd(base + offset, len, 0x1234);
        if (a != b) expect<u32>(b).toBe(a, "length " + len.toString());
      }
    }
  });

  it("SIMD and scalar agree on all-ones data, the worst case for carries", () => {
    const buf = new ArrayBuffer(65536);
    memory.fill(changetype<usize>(buf), 0xff, 65536);
    expect<u32>(checksumPartialSimd(changetype<usize>(buf), 65535, 0xffff))
      .toBe(checksumPartialScalar(changetype<usize>(buf), 65535, 0xffff));
  });

  it("RFC 1624 incremental update equals a full recomputation", () => {
    const p = bytes([0x45, 0x00, 0x00, 0x54, 0x1c, 0xc8, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02]);
    writeU16(p + 10, internetChecksum(p, 20));
    // Decrement the TTL as a router would: word 8..9 changes from 0x4001 to 0x3f01.
    const adjusted = checksumAdjust(readU16(p + 10), 0x4001, 0x3f01);
    store<u8>(p + 8, 0x3f);
    writeU16(p + 10, 0);
    expect<u16>(adjusted).toBe(internetChecksum(p, 20));
  });

  it("RFC 1624 update never produces 0x0000 from a non-zero sum (the -0 case)", () => {
    // RFC 1624 section 3's example: HC = 0xdd2f, m 0x5555 -> 0x3285 gives 0x0000, not 0xffff.
    expect<u16>(checksumAdjust(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it("pseudo-header sum feeds a UDP checksum that verifies", () => {
    // UDP 10.0.0.1:1234 -> 10.0.0.2:53, payload "hi".
    const p = bytes([0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, 0x68, 0x69]);
    const ph = pseudoHeaderSum(0x0a000001, 0x0a000002, 17, 10);
    writeU16(p + 6, checksumFinish(checksumPartial(p, 10, ph)));
    expect<bool>(checksumVerifies(p, 10, ph)).toBe(true);
    expect<bool>(checksumVerifies(p, 10, pseudoHeaderSum(0x0a000001, 0x0a000003, 17, 10))).toBe(false);
  });
});
