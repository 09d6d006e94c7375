// Exact-segment harness for one TcpConnection driven alone under a fake clock: segments in with
// `send`, segments out with `recv` / `expectSegment`, silence with `expectNothing`, time with
// `advance`. Factories build a connection in each state of RFC 9293 with known sequence numbers:
// our ISS is LOCAL_ISS, the peer's REMOTE_ISS unless a factory is given others (the wrap specs of
// field report 004 put both within 4 KiB of 2^32), so a test can name every number it expects
// through `h.ours(n)` / `h.theirs(n)`: the sequence number after n bytes of data each way.

import {
  TCP_STATE_SYN_SENT, TCP_STATE_ESTABLISHED, TCP_STATE_SYN_RECEIVED, TCP_STATE_FIN_WAIT_1,
  TCP_STATE_FIN_WAIT_2, TCP_STATE_CLOSE_WAIT, TCP_STATE_CLOSING, TCP_STATE_LAST_ACK,
  TCP_STATE_TIME_WAIT,
} from "../../bindings/layout";
import { TcpConnection, NOTHING, Verdict } from "../../assembly/socket/tcp/connection";
import { TcpParams } from "../../assembly/socket/tcp/params";
import { TcpRepr, TcpFlags } from "../../assembly/wire/tcp";
import { seqAdd } from "../../assembly/seq";
import { scratch } from "./helpers";

export const LOCAL_ADDR: u32 = 0x0a000001;
export const REMOTE_ADDR: u32 = 0x0a000002;
export const LOCAL_PORT: u16 = 80;
export const REMOTE_PORT: u16 = 49500;
export const LOCAL_ISS: u32 = 1000;
export const REMOTE_ISS: u32 = 5000;
export const MS: i64 = 1000;
export const SECOND: i64 = 1_000_000;

export const SYN = TcpFlags.SYN;
export const ACK = TcpFlags.ACK;
export const FIN = TcpFlags.FIN;
export const RST = TcpFlags.RST;
export const PSH = TcpFlags.PSH;

const kept: TcpHarness[] = [];
const PAYLOAD_SCRATCH: i32 = 1 << 17;

/** A segment the connection emitted, copied out so a test can look at it after the next call. */
export class Emitted {
  flags: u8 = 0;
  seq: u32 = 0;
  ack: u32 = 0;
  window: u16 = 0;
  len: i32 = 0;
  hasMss: bool = false;
  mss: u16 = 0;
  hasWindowScale: bool = false;
  windowScale: u8 = 0;
  /** Payload bytes (first byte at payload). */
  payload: usize = 0;
}

export class TcpHarness {
  readonly conn: TcpConnection;
  readonly params: TcpParams;
  now: i64 = 0;
  readonly input: TcpRepr = new TcpRepr();
  readonly output: TcpRepr = new TcpRepr();
  private readonly inPayload: usize = scratch(PAYLOAD_SCRATCH);
  private readonly outPayload: usize = scratch(PAYLOAD_SCRATCH);
  /** The last verdict of process. */
  verdict: Verdict = Verdict.Ok;
  /** The peer's window shift used by `send` (scale applied to windows given to it). */
  peerShift: u8 = 0;
  /**
   * Nonzero: segments go to a device that cuts them (segmentation offload), which takes up to
   * this many payload bytes per segment (dispatch's cutByDevice).
   */
  deviceRoom: i32 = 0;
  /** The initial sequence numbers of this connection: ours and the peer's. */
  readonly localIss: u32;
  readonly remoteIss: u32;

  constructor(params: TcpParams, localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS) {
    this.params = params;
    this.localIss = localIss;
    this.remoteIss = remoteIss;
    this.conn = new TcpConnection(params);
    this.conn.reset(0);
    kept.push(this);
  }

  /** Our sequence number after our SYN and `n` bytes of data. */
  @inline ours(n: i32): u32 { return seqAdd(this.localIss, 1 + n); }
  /** The peer's sequence number after its SYN and `n` bytes of data. */
  @inline theirs(n: i32): u32 { return seqAdd(this.remoteIss, 1 + n); }

  // ---- input ----

  /** Builds and processes a segment from the peer; `payloadLen` bytes of pattern data. */
  send(flags: u8, seq: u32, ack: u32, window: i32 = 65535, payloadLen: i32 = 0, mss: i32 = -1, shift: i32 = -1): Verdict {
    const r = this.input;
    r.options.clear();
    r.srcPort = REMOTE_PORT;
    r.dstPort = LOCAL_PORT;
    r.seq = seq;
    r.ack = ack;
    r.flags = flags;
    r.window = <u16>window;
    r.urgentPointer = 0;
    if (mss >= 0) {
      r.options.hasMss = true;
      r.options.mss = <u16>mss;
    }
    if (shift >= 0) {
      r.options.hasWindowScale = true;
      r.options.windowScale = <u8>shift;
    }
    // Byte i carries the pattern of its own sequence number (a SYN's data starts after the SYN).
    const dataSeq = (flags & SYN) != 0 ? seqAdd(seq, 1) : seq;
    for (let i = 0; i < payloadLen; i++) store<u8>(this.inPayload + <usize>i, patternByte(dataSeq, i));
    r.payloadPtr = this.inPayload;
    r.payloadLen = payloadLen;
    this.verdict = this.conn.process(r, this.now);
    return this.verdict;
  }

  /** The peer sends `len` bytes at `seq` with an ACK of `ack`. */
  @inline data(seq: u32, ack: u32, len: i32, window: i32 = 65535): Verdict {
    return this.send(ACK | PSH, seq, ack, window, len);
  }

  // ---- output ----

  /** Runs due timers and takes the next segment, or null when nothing is owed now. */
  recv(maxPayload: i32 = PAYLOAD_SCRATCH): Emitted | null {
    this.conn.onTimers(this.now);
    const cut = this.deviceRoom > 0;
    const n = this.conn.dispatch(this.now, this.output, this.outPayload, cut ? this.deviceRoom : maxPayload, cut);
    if (n == NOTHING) return null;
    const o = this.output;
    const e = new Emitted();
    e.flags = o.flags;
    e.seq = o.seq;
    e.ack = o.ack;
    e.window = o.window;
    e.len = n;
    e.hasMss = o.options.hasMss;
    e.mss = o.options.mss;
    e.hasWindowScale = o.options.hasWindowScale;
    e.windowScale = o.options.windowScale;
    e.payload = scratch(n);
    memory.copy(e.payload, this.outPayload, <usize>n);
    return e;
  }

  /** Takes the next segment and checks its flags, seq, ack and payload length. */
  expectSegment(flags: u8, seq: u32, ack: u32, len: i32 = 0): Emitted {
    const e = this.recv();
    expect<bool>(e != null).toBe(true, "a segment was owed");
    const s = changetype<Emitted>(e);
    expect<u8>(s.flags).toBe(flags, "flags");
    expect<u32>(s.seq).toBe(seq, "seq");
    expect<u32>(s.ack).toBe(ack, "ack");
    expect<i32>(s.len).toBe(len, "payload length");
    return s;
  }

  /** Takes the next segment and checks it is a bare ACK of `ack` sent at `seq`. */
  @inline expectAck(seq: u32, ack: u32): Emitted {
    return this.expectSegment(ACK, seq, ack);
  }

  /** Takes the next segment and checks it also advertises `window` (the raw field). */
  expectWindow(flags: u8, seq: u32, ack: u32, window: u16, len: i32 = 0): Emitted {
    const s = this.expectSegment(flags, seq, ack, len);
    expect<u16>(s.window).toBe(window, "window field");
    return s;
  }

  /** Nothing is owed now. */
  expectNothing(): void {
    const e = this.recv();
    if (e != null) {
      const s = changetype<Emitted>(e);
      expect<string>("flags " + s.flags.toString() + " seq " + s.seq.toString() + " len " + s.len.toString())
        .toBe("nothing", "no segment was owed");
    }
  }

  /** Takes every segment owed now; returns how many. */
  drain(): i32 {
    let n = 0;
    while (this.recv() != null) n++;
    return n;
  }

  // ---- time ----

  advance(micros: i64): void {
    this.now += micros;
  }

  /** Moves the clock to the connection's next deadline (which must exist). */
  advanceToDeadline(): void {
    const d = this.conn.nextDeadline(this.now);
    expect<bool>(d != i64.MAX_VALUE).toBe(true, "a deadline exists");
    if (d > this.now) this.now = d;
  }

  // ---- the user's side ----

  /** Bytes the user wrote so far (byte k of the stream is k & 0xff). */
  written: i32 = 0;

  /** The user writes `len` stream bytes; returns what was taken (or the negative errno). */
  write(len: i32): i32 {
    const room = this.conn.writeRoom();
    if (room < 0) return room;
    const n = len < room ? len : room;
    this.conn.sendBuf.writeAt(0, streamBytes + <usize>(this.written & 0xff), n);
    const r = this.conn.commitWrite(n);
    if (r > 0) this.written += r;
    return r;
  }

  /** The user reads up to `len` bytes; returns how many. */
  read(len: i32): i32 {
    const ring = this.conn.recvBuf;
    const n = len < ring.len ? len : ring.len;
    return this.conn.consume(n);
  }
}

/** The payload of `e` is the user's stream from byte `streamOffset` on (what `write` queued). */
export function expectStreamBytes(e: Emitted, streamOffset: i32): void {
  let wrong = -1;
  for (let i = 0; i < e.len && wrong < 0; i++) {
    if (load<u8>(e.payload + <usize>i) != <u8>((streamOffset + i) & 0xff)) wrong = i;
  }
  expect<i32>(wrong).toBe(-1, "first payload byte that is not the stream's");
}

/** The receive ring holds, from its read end, `len` bytes the peer sent from sequence `seq`. */
export function expectReceived(h: TcpHarness, seq: u32, len: i32): void {
  const ring = h.conn.recvBuf;
  expect<i32>(ring.len).toBe(len, "bytes in the receive ring");
  const copy = scratch(len);
  ring.peek(0, copy, len);
  let wrong = -1;
  for (let i = 0; i < len && wrong < 0; i++) {
    if (load<u8>(copy + <usize>i) != patternByte(seq, i)) wrong = i;
  }
  expect<i32>(wrong).toBe(-1, "first received byte that is not the peer's");
}

/** Bytes k & 0xff for k in [0, PAYLOAD_SCRATCH + 256): the user's stream, from any offset. */
const streamBytes: usize = makeStream();
function makeStream(): usize {
  const p = scratch(PAYLOAD_SCRATCH + 256);
  for (let i = 0; i < PAYLOAD_SCRATCH + 256; i++) store<u8>(p + <usize>i, <u8>(i & 0xff));
  return p;
}

/** Payload byte i of a segment starting at seq: lets a test check where received bytes came from. */
export function patternByte(seq: u32, i: i32): u8 {
  return <u8>((seq + <u32>i) & 0xff);
}

export function defaultParams(): TcpParams {
  const p = new TcpParams();
  p.mss = 1460;
  p.sendBytes = 64 * 1024;
  p.recvBytes = 64 * 1024;
  return p;
}

/** A connection in SYN-SENT: connect() done, its SYN taken. */
export function synSent(params: TcpParams = defaultParams(), localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = new TcpHarness(params, localIss, remoteIss);
  h.conn.connect(LOCAL_ADDR, LOCAL_PORT, REMOTE_ADDR, REMOTE_PORT, localIss, h.now);
  const syn = h.expectSegment(SYN, localIss, 0);
  expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
  expect<bool>(syn.hasMss).toBe(true);
  return h;
}

/**
 * A connection in SYN-RECEIVED from a listener: the peer's SYN (with an MSS option unless `mss` is
 * negative, a window scale option when `shift` >= 0) processed, our SYN-ACK taken.
 */
export function synReceived(params: TcpParams = defaultParams(), mss: i32 = 1460, shift: i32 = -1,
                            localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = new TcpHarness(params, localIss, remoteIss);
  const syn = h.input;
  syn.options.clear();
  syn.srcPort = REMOTE_PORT;
  syn.dstPort = LOCAL_PORT;
  syn.seq = remoteIss;
  syn.ack = 0;
  syn.flags = SYN;
  syn.window = 65535;
  syn.payloadLen = 0;
  if (mss >= 0) {
    syn.options.hasMss = true;
    syn.options.mss = <u16>mss;
  }
  if (shift >= 0) {
    syn.options.hasWindowScale = true;
    syn.options.windowScale = <u8>shift;
    h.peerShift = <u8>shift;
  }
  h.conn.isPassive = true;
  h.conn.acceptSyn(LOCAL_ADDR, REMOTE_ADDR, syn, localIss, h.now);
  h.expectSegment(SYN | ACK, localIss, h.theirs(0));
  expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
  return h;
}

/**
 * ESTABLISHED by an active open; the peer's SYN-ACK offers a 65535 window and, when `shift` >= 0,
 * window scaling with that shift. sndNxt = h.ours(0), rcvNxt = h.theirs(0).
 */
export function established(params: TcpParams = defaultParams(), shift: i32 = -1,
                            localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = synSent(params, localIss, remoteIss);
  h.send(SYN | ACK, remoteIss, h.ours(0), 65535, 0, 1460, shift);
  if (shift >= 0) h.peerShift = <u8>shift;
  h.expectSegment(ACK, h.ours(0), h.theirs(0));
  expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
  h.conn.takeEvents();
  return h;
}

/** ESTABLISHED by a passive open: SYN-RECEIVED, then the peer's handshake-completing ACK. */
export function passiveEstablished(params: TcpParams = defaultParams(), shift: i32 = -1,
                                   localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = synReceived(params, 1460, shift, localIss, remoteIss);
  h.send(ACK, h.theirs(0), h.ours(0));
  h.expectNothing();
  expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
  h.conn.takeEvents();
  return h;
}

/** FIN-WAIT-1: ESTABLISHED, then shutdown(SHUT_WR); our FIN (at ours(0)) taken, not acknowledged. */
export function finWait1(params: TcpParams = defaultParams(), shift: i32 = -1,
                         localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = established(params, shift, localIss, remoteIss);
  expect<i32>(h.conn.shutdownWrite()).toBe(0);
  h.expectSegment(ACK | FIN, h.ours(0), h.theirs(0));
  expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_1);
  return h;
}

/** FIN-WAIT-2: FIN-WAIT-1, then the peer acknowledged our FIN (sndNxt = ours(1)). */
export function finWait2(params: TcpParams = defaultParams(), shift: i32 = -1,
                         localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = finWait1(params, shift, localIss, remoteIss);
  h.send(ACK, h.theirs(0), h.ours(1));
  h.expectNothing();
  expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
  return h;
}

/**
 * CLOSE-WAIT: ESTABLISHED, then the peer's FIN at theirs(0), our ACK of it taken (delayed, as a
 * FIN's ACK in ESTABLISHED is).
 */
export function closeWait(params: TcpParams = defaultParams(), shift: i32 = -1,
                          localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = established(params, shift, localIss, remoteIss);
  h.send(ACK | FIN, h.theirs(0), h.ours(0));
  h.expectNothing();
  h.advance(h.params.delayedAck);
  h.expectSegment(ACK, h.ours(0), h.theirs(1));
  expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
  h.conn.takeEvents();
  return h;
}

/** CLOSING: FIN-WAIT-1, then the peer's FIN that does not acknowledge ours; our ACK taken. */
export function closing(params: TcpParams = defaultParams(), shift: i32 = -1,
                        localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = finWait1(params, shift, localIss, remoteIss);
  h.send(ACK | FIN, h.theirs(0), h.ours(0));
  h.expectSegment(ACK, h.ours(1), h.theirs(1));
  expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSING);
  h.conn.takeEvents();
  return h;
}

/** LAST-ACK: CLOSE-WAIT, then shutdown(SHUT_WR); our FIN (at ours(0)) taken, not acknowledged. */
export function lastAck(params: TcpParams = defaultParams(), shift: i32 = -1,
                        localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = closeWait(params, shift, localIss, remoteIss);
  expect<i32>(h.conn.shutdownWrite()).toBe(0);
  h.expectSegment(ACK | FIN, h.ours(0), h.theirs(1));
  expect<i32>(h.conn.state).toBe(TCP_STATE_LAST_ACK);
  return h;
}

/** TIME-WAIT: FIN-WAIT-2, then the peer's FIN; our ACK of it taken. */
export function timeWait(params: TcpParams = defaultParams(), shift: i32 = -1,
                         localIss: u32 = LOCAL_ISS, remoteIss: u32 = REMOTE_ISS): TcpHarness {
  const h = finWait2(params, shift, localIss, remoteIss);
  h.send(ACK | FIN, h.theirs(0), h.ours(1));
  h.expectSegment(ACK, h.ours(1), h.theirs(1));
  expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
  h.conn.takeEvents();
  return h;
}

/** Our next sequence number after `n` data bytes in ESTABLISHED (default ISS). */
@inline export function localSeq(n: i32): u32 { return seqAdd(LOCAL_ISS, 1 + n); }
/** The peer's sequence number after `n` data bytes (default ISS). */
@inline export function remoteSeq(n: i32): u32 { return seqAdd(REMOTE_ISS, 1 + n); }
