import {
  TcpOptions, TcpOptionKind, TCP_MAX_OPTIONS_LEN, TCP_MAX_SACK_BLOCKS, TCP_MAX_WINDOW_SHIFT,
} from "../../assembly/wire/tcp_options";
import { WireError } from "../../assembly/wire/error";
// Buffers come from the pinned helpers: the test build's GC may reuse unpinned scratch memory.
import { hexLen, pinnedHex as hex, pinnedScratch as mem, sameBytes } from "./helpers";

// The options area of a SYN Linux 6.x sent on loopback (captured with
// `tcpdump -i lo -w y.pcap port 47123` while a python3 socket client connected to a python3
// server on 127.0.0.1:47123): mss 65495, sackOK, TS val 2709843729 ecr 0, nop, wscale 10.
const LINUX_SYN_OPTIONS = "02 04 ff d7 04 02 08 0a a1 84 ef 11 00 00 00 00 01 03 03 0a";
// The options area of a data segment from the same capture: nop, nop, TS val 2709843729 ecr 1291814802.
const LINUX_ACK_OPTIONS = "01 01 08 0a a1 84 ef 11 4c ff 87 92";

function parseHex(opts: TcpOptions, h: string): i32 {
  return opts.parse(hex(h), hexLen(h));
}

function emitHex(opts: TcpOptions): string {
  const len = opts.bufferLen;
  const buf = mem(len);
  opts.emit(buf, len);
  let s = "";
  for (let i = 0; i < len; i++) {
    const b = load<u8>(buf + i);
    if (i > 0) s += " ";
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

describe("tcp options: parse", () => {
  it("reads every option of a real Linux SYN", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, LINUX_SYN_OPTIONS)).toBe(WireError.Ok);
    expect<bool>(o.hasMss).toBe(true);
    expect<u16>(o.mss).toBe(65495);
    expect<bool>(o.sackPermitted).toBe(true);
    expect<bool>(o.hasTimestamps).toBe(true);
    expect<u32>(o.tsVal).toBe(2709843729);
    expect<u32>(o.tsEcr).toBe(0);
    expect<bool>(o.hasWindowScale).toBe(true);
    expect<u8>(o.windowScale).toBe(10);
    expect<bool>(o.windowScaleClamped).toBe(false);
    expect<i32>(o.sackCount).toBe(0);
  });

  it("reads NOP NOP timestamps of a real Linux ACK and nothing else", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, LINUX_ACK_OPTIONS)).toBe(WireError.Ok);
    expect<bool>(o.hasTimestamps).toBe(true);
    expect<u32>(o.tsVal).toBe(2709843729);
    expect<u32>(o.tsEcr).toBe(1291814802);
    expect<bool>(o.hasMss).toBe(false);
    expect<bool>(o.sackPermitted).toBe(false);
    expect<bool>(o.hasWindowScale).toBe(false);
  });

  it("accepts an empty options area and an area of only NOPs", () => {
    const o = new TcpOptions();
    expect<i32>(o.parse(mem(0), 0)).toBe(WireError.Ok);
    const nops = mem(TCP_MAX_OPTIONS_LEN);
    memory.fill(nops, TcpOptionKind.NOP, TCP_MAX_OPTIONS_LEN);
    expect<i32>(o.parse(nops, TCP_MAX_OPTIONS_LEN)).toBe(WireError.Ok);
    expect<bool>(o.hasMss || o.hasTimestamps || o.hasWindowScale || o.sackPermitted).toBe(false);
  });

  it("forgets the previous segment's options on each parse", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, LINUX_SYN_OPTIONS)).toBe(WireError.Ok);
    expect<i32>(parseHex(o, "01 01 05 0a 00 00 00 01 00 00 00 02")).toBe(WireError.Ok);
    expect<i32>(o.sackCount).toBe(1);
    expect<i32>(o.parse(mem(0), 0)).toBe(WireError.Ok);
    expect<bool>(o.hasMss).toBe(false);
    expect<bool>(o.hasTimestamps).toBe(false);
    expect<bool>(o.hasWindowScale).toBe(false);
    expect<bool>(o.sackPermitted).toBe(false);
    expect<i32>(o.sackCount).toBe(0);
  });

  it("stops at end-of-list and ignores what follows it", () => {
    const o = new TcpOptions();
    // MSS, EOL, then bytes that would be malformed (length 0) if they were read.
    expect<i32>(parseHex(o, "02 04 05 b4 00 02 00 ff")).toBe(WireError.Ok);
    expect<bool>(o.hasMss).toBe(true);
    expect<u16>(o.mss).toBe(1460);
    expect<i32>(parseHex(o, "00 02 04 05 b4")).toBe(WireError.Ok);
    expect<bool>(o.hasMss).toBe(false);
  });

  it("skips unknown options that have a valid length", () => {
    const o = new TcpOptions();
    // Kind 30 (MPTCP) with 4 data bytes, kind 99 with none, then window scale 7.
    expect<i32>(parseHex(o, "1e 06 00 81 aa bb 63 02 01 03 03 07")).toBe(WireError.Ok);
    expect<bool>(o.hasWindowScale).toBe(true);
    expect<u8>(o.windowScale).toBe(7);
    expect<bool>(o.hasMss).toBe(false);
  });

  it("reads SACK blocks of 1 to 4 edges pairs", () => {
    // Built by hand from RFC 2018 section 3 (no loss could be induced on this machine's loopback).
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "05 0a 00 00 03 e8 00 00 07 d0")).toBe(WireError.Ok);
    expect<i32>(o.sackCount).toBe(1);
    expect<u32>(o.sackLeft(0)).toBe(1000);
    expect<u32>(o.sackRight(0)).toBe(2000);
    expect<i32>(parseHex(o,
      "01 01 05 22 ff ff ff f0 00 00 00 10 00 00 00 20 00 00 00 30 " +
      "00 00 00 40 00 00 00 50 80 00 00 00 80 00 00 01")).toBe(WireError.Ok);
    expect<i32>(o.sackCount).toBe(4);
    expect<u32>(o.sackLeft(0)).toBe(0xfffffff0);
    expect<u32>(o.sackRight(0)).toBe(0x10);
    expect<u32>(o.sackLeft(1)).toBe(0x20);
    expect<u32>(o.sackRight(1)).toBe(0x30);
    expect<u32>(o.sackLeft(2)).toBe(0x40);
    expect<u32>(o.sackRight(2)).toBe(0x50);
    expect<u32>(o.sackLeft(3)).toBe(0x80000000);
    expect<u32>(o.sackRight(3)).toBe(0x80000001);
    expect<u32>(o.sackLeft(4)).toBe(0);
    expect<u32>(o.sackRight(-1)).toBe(0);
  });

  it("clamps a window scale above 14 to 14 and says so (RFC 7323 2.3)", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "03 03 0e")).toBe(WireError.Ok);
    expect<u8>(o.windowScale).toBe(14);
    expect<bool>(o.windowScaleClamped).toBe(false);
    expect<i32>(parseHex(o, "03 03 0f")).toBe(WireError.Ok);
    expect<u8>(o.windowScale).toBe(TCP_MAX_WINDOW_SHIFT);
    expect<bool>(o.windowScaleClamped).toBe(true);
    expect<i32>(parseHex(o, "03 03 ff")).toBe(WireError.Ok);
    expect<u8>(o.windowScale).toBe(14);
    expect<bool>(o.windowScaleClamped).toBe(true);
  });

  it("lets a repeated option overwrite the earlier one", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "02 04 05 b4 02 04 02 18")).toBe(WireError.Ok);
    expect<u16>(o.mss).toBe(536);
  });

  it("flags nothing after a malformed area, even options read before the fault", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "02 04 05 b4 01 03 03 07 08 0a 00 00")).toBe(WireError.Malformed);
    expect<bool>(o.hasMss || o.hasWindowScale || o.hasTimestamps).toBe(false);
  });

  it("rejects option lengths 0 and 1, for known and unknown kinds", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "02 00 05 b4")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "02 01 05 b4")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "01 1e 00 01 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "01 1e 01 01 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "08 00 00 00 00 00 00 00 00 00")).toBe(WireError.Malformed);
  });

  it("rejects an option whose length byte is missing", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "01 01 01 02")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "01 01 01 1e")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "08")).toBe(WireError.Malformed);
  });

  it("rejects an option that runs past the end of the area", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "01 01 08 0a a1 84 ef 11 4c ff 87")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "1e 08 00 00 00 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "05 0a 00 00 00 01 00 00 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "1e ff 00 00")).toBe(WireError.Malformed);
  });

  it("rejects MSS, window scale, SACK-permitted and timestamps of the wrong length", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "02 03 05 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "02 05 05 b4 00 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "03 02 01 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "03 04 07 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "04 03 00 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "04 04 00 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "08 08 00 00 00 01 00 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "08 0c 00 00 00 01 00 00 00 02 00 00")).toBe(WireError.Malformed);
  });

  it("rejects SACK with 0 blocks, 5 blocks, or a length that is not 2 + 8n", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, "05 02 01 01")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "05 0b 00 00 00 01 00 00 00 02 00")).toBe(WireError.Malformed);
    expect<i32>(parseHex(o, "05 09 00 00 00 01 00 00 00")).toBe(WireError.Malformed);
    // Five blocks need 42 bytes: more than a header can hold, but parse is given 42 here.
    const five = mem(42);
    store<u8>(five, TcpOptionKind.SACK);
    store<u8>(five + 1, 42);
    expect<i32>(o.parse(five, 42)).toBe(WireError.Malformed);
  });

  it("accepts each prefix of the Linux SYN options that ends on an option boundary, and only those", () => {
    const p = hex(LINUX_SYN_OPTIONS);
    const full = hexLen(LINUX_SYN_OPTIONS);
    const o = new TcpOptions();
    for (let len = 0; len < full; len++) {
      // Boundaries: after MSS (4), SACK-permitted (6), timestamps (16), the NOP (17).
      const boundary = len == 0 || len == 4 || len == 6 || len == 16 || len == 17;
      const r = o.parse(p, len);
      if (boundary) expect<i32>(r).toBe(WireError.Ok, "prefix " + len.toString());
      else expect<i32>(r).toBe(WireError.Malformed, "prefix " + len.toString());
    }
  });

  it("never traps on random option bytes", () => {
    const o = new TcpOptions();
    const buf = mem(TCP_MAX_OPTIONS_LEN);
    let x: u32 = 0x2545f491;
    let ok = 0;
    for (let round = 0; round < 20000; round++) {
      const len = <i32>(x % <u32>(TCP_MAX_OPTIONS_LEN + 1));
      for (let i = 0; i < TCP_MAX_OPTIONS_LEN; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        // Bias towards small kinds and lengths so that real options turn up.
        store<u8>(buf + i, <u8>(x & 0x8000 ? x & 0x0f : x));
      }
      const r = o.parse(buf, len);
      if (r == WireError.Ok) ok++;
      else if (r != WireError.Malformed) expect<i32>(r).toBe(WireError.Malformed);
      if (o.sackCount > TCP_MAX_SACK_BLOCKS) expect<i32>(o.sackCount).toBeLessThanOrEqual(4);
    }
    expect<i32>(ok).toBeGreaterThan(0);
  });
});

describe("tcp options: emit", () => {
  it("writes a Linux-style SYN option set byte for byte", () => {
    const o = new TcpOptions();
    o.hasMss = true; o.mss = 65495;
    o.sackPermitted = true;
    o.hasTimestamps = true; o.tsVal = 2709843729; o.tsEcr = 0;
    o.hasWindowScale = true; o.windowScale = 10;
    expect<i32>(o.bufferLen).toBe(20);
    expect<string>(emitHex(o)).toBe(LINUX_SYN_OPTIONS);
  });

  it("writes NOP NOP timestamps as Linux does on every later segment", () => {
    const o = new TcpOptions();
    o.hasTimestamps = true; o.tsVal = 2709843729; o.tsEcr = 1291814802;
    expect<string>(emitHex(o)).toBe(LINUX_ACK_OPTIONS);
  });

  it("pads SACK-permitted, window scale and SACK blocks with NOPs to 4-byte multiples", () => {
    const o = new TcpOptions();
    o.sackPermitted = true;
    expect<string>(emitHex(o)).toBe("01 01 04 02");
    o.sackPermitted = false;
    o.hasWindowScale = true; o.windowScale = 7;
    expect<string>(emitHex(o)).toBe("01 03 03 07");
    o.hasWindowScale = false;
    o.addSackBlock(1000, 2000);
    expect<string>(emitHex(o)).toBe("01 01 05 0a 00 00 03 e8 00 00 07 d0");
    o.clear();
    expect<i32>(o.bufferLen).toBe(0);
  });

  it("writes MSS alone as 4 bytes", () => {
    const o = new TcpOptions();
    o.hasMss = true; o.mss = 1460;
    expect<string>(emitHex(o)).toBe("02 04 05 b4");
  });

  it("never advertises a window shift above 14", () => {
    const o = new TcpOptions();
    o.hasWindowScale = true; o.windowScale = 20;
    expect<string>(emitHex(o)).toBe("01 03 03 0e");
  });

  it("fits 4 SACK blocks when nothing else is sent", () => {
    const o = new TcpOptions();
    for (let i: u32 = 0; i < 4; i++) expect<bool>(o.addSackBlock(i * 100, i * 100 + 50)).toBe(true);
    expect<bool>(o.addSackBlock(9, 10)).toBe(false);
    expect<i32>(o.sackCount).toBe(4);
    expect<i32>(o.sackBlocksToEmit).toBe(4);
    expect<i32>(o.sackBlocksDropped).toBe(0);
    expect<i32>(o.bufferLen).toBe(36);
  });

  it("drops SACK blocks first when the set would exceed 40 bytes, and reports it", () => {
    const o = new TcpOptions();
    for (let i: u32 = 0; i < 4; i++) o.addSackBlock(i * 100, i * 100 + 50);
    o.hasTimestamps = true; o.tsVal = 1; o.tsEcr = 2;
    expect<i32>(o.sackBlocksToEmit).toBe(3);
    expect<i32>(o.sackBlocksDropped).toBe(1);
    expect<i32>(o.bufferLen).toBe(40);
    o.hasMss = true; o.mss = 1460; o.sackPermitted = true;
    o.hasWindowScale = true; o.windowScale = 7;
    expect<i32>(o.sackBlocksToEmit).toBe(2);
    expect<i32>(o.sackBlocksDropped).toBe(2);
    expect<i32>(o.bufferLen).toBe(40);
    // What was written keeps every other option and the first two blocks.
    const buf = mem(40);
    expect<i32>(o.emit(buf, 40)).toBe(40);
    const back = new TcpOptions();
    expect<i32>(back.parse(buf, 40)).toBe(WireError.Ok);
    expect<bool>(back.hasMss && back.sackPermitted && back.hasTimestamps && back.hasWindowScale).toBe(true);
    expect<i32>(back.sackCount).toBe(2);
    expect<u32>(back.sackLeft(1)).toBe(100);
    expect<u32>(back.sackRight(1)).toBe(150);
  });

  it("refuses to emit into a buffer shorter than bufferLen", () => {
    const o = new TcpOptions();
    expect<i32>(parseHex(o, LINUX_SYN_OPTIONS)).toBe(WireError.Ok);
    const buf = mem(20);
    for (let len = 0; len < 20; len++) {
      expect<i32>(o.emit(buf, len)).toBe(WireError.BufferTooSmall);
    }
    expect<i32>(o.emit(buf, 20)).toBe(20);
  });

  it("round-trips every combination of options and SACK block counts", () => {
    const o = new TcpOptions();
    const back = new TcpOptions();
    const buf = mem(TCP_MAX_OPTIONS_LEN);
    for (let mask = 0; mask < 16; mask++) {
      for (let blocks = 0; blocks <= TCP_MAX_SACK_BLOCKS; blocks++) {
        o.clear();
        o.hasMss = (mask & 1) != 0; o.mss = <u16>(536 + mask);
        o.sackPermitted = (mask & 2) != 0;
        o.hasTimestamps = (mask & 4) != 0; o.tsVal = 0xdeadbeef - mask; o.tsEcr = <u32>blocks;
        o.hasWindowScale = (mask & 8) != 0; o.windowScale = <u8>blocks;
        for (let b = 0; b < blocks; b++) o.addSackBlock(<u32>(b * 1000 + mask), <u32>(b * 1000 + 500));
        const n = o.emit(buf, TCP_MAX_OPTIONS_LEN);
        const where = "mask " + mask.toString() + " blocks " + blocks.toString();
        expect<i32>(n).toBe(o.bufferLen, where);
        expect<i32>(n & 3).toBe(0, where);
        expect<i32>(n).toBeLessThanOrEqual(TCP_MAX_OPTIONS_LEN, where);
        expect<i32>(back.parse(buf, n)).toBe(WireError.Ok, where);
        expect<bool>(back.hasMss).toBe(o.hasMss, where);
        if (o.hasMss) expect<u16>(back.mss).toBe(o.mss, where);
        expect<bool>(back.sackPermitted).toBe(o.sackPermitted, where);
        expect<bool>(back.hasTimestamps).toBe(o.hasTimestamps, where);
        if (o.hasTimestamps) {
          expect<u32>(back.tsVal).toBe(o.tsVal, where);
          expect<u32>(back.tsEcr).toBe(o.tsEcr, where);
        }
        expect<bool>(back.hasWindowScale).toBe(o.hasWindowScale, where);
        if (o.hasWindowScale) expect<u8>(back.windowScale).toBe(o.windowScale, where);
        expect<i32>(back.sackCount).toBe(o.sackBlocksToEmit, where);
        for (let b = 0; b < back.sackCount; b++) {
          expect<u32>(back.sackLeft(b)).toBe(o.sackLeft(b), where);
          expect<u32>(back.sackRight(b)).toBe(o.sackRight(b), where);
        }
      }
    }
  });

  it("parse then emit reproduces the captured Linux option areas exactly", () => {
    const o = new TcpOptions();
    const syn = hex(LINUX_SYN_OPTIONS);
    expect<i32>(o.parse(syn, 20)).toBe(WireError.Ok);
    const out = mem(20);
    expect<i32>(o.emit(out, 20)).toBe(20);
    expect<bool>(sameBytes(out, syn, 20)).toBe(true);
    const ack = hex(LINUX_ACK_OPTIONS);
    expect<i32>(o.parse(ack, 12)).toBe(WireError.Ok);
    expect<i32>(o.emit(out, 20)).toBe(12);
    expect<bool>(sameBytes(out, ack, 12)).toBe(true);
  });

  it("parse then emit of a differently ordered set keeps the fields", () => {
    // Window scale first, timestamps without NOPs, MSS last: legal, but not the order emit uses.
    const o = new TcpOptions();
    const back = new TcpOptions();
    const order = "03 03 05 08 0a 00 00 00 07 00 00 00 09 02 04 21 00 04 02 00 00";
    expect<i32>(parseHex(o, order)).toBe(WireError.Ok);
    const buf = mem(TCP_MAX_OPTIONS_LEN);
    const n = o.emit(buf, TCP_MAX_OPTIONS_LEN);
    expect<i32>(n).toBe(20);
    expect<bool>(sameBytes(buf, hex(order), n)).toBe(false);
    expect<i32>(back.parse(buf, n)).toBe(WireError.Ok);
    expect<u8>(back.windowScale).toBe(5);
    expect<u32>(back.tsVal).toBe(7);
    expect<u32>(back.tsEcr).toBe(9);
    expect<u16>(back.mss).toBe(0x2100);
    expect<bool>(back.sackPermitted).toBe(true);
  });
});
