// Segment acceptability, RFC 9293 3.10.7.4 first step: the four cases of its table, the zero-window
// allowance, and the ACK that answers an unacceptable segment (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>),
// rate-limited as Linux does for segments that carry no data (RFC 5961 7).
import { TCP_STATE_ESTABLISHED, TCP_STATE_SYN_RECEIVED } from "../../bindings/layout";
import { TcpHarness, established, closeWait, synReceived, defaultParams, expectReceived, ACK, FIN, RST, PSH, MS } from "./tcp_harness";

/** A 4 KiB receive ring: the window we advertise is exactly 4096 and fits the field unscaled. */
const SMALL_RING: i32 = 4096;

function small(): TcpHarness {
  const p = defaultParams();
  p.recvBytes = SMALL_RING;
  return established(p);
}

/** The small ring filled: a zero window advertised. */
function zeroWindow(): TcpHarness {
  const h = small();
  h.data(h.theirs(0), h.ours(0), 1460);
  h.data(h.theirs(1460), h.ours(0), 1460);
  h.data(h.theirs(2920), h.ours(0), 1176);
  h.expectWindow(ACK, h.ours(0), h.theirs(4096), 0);
  return h;
}

describe("tcp acceptability: length 0, window > 0 (RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND)", () => {
  it("at RCV.NXT: accepted, its window taken, nothing owed", () => {
    const h = small();
    h.send(ACK, h.theirs(0), h.ours(0), 1000);
    expect<i32>(h.conn.sndWnd).toBe(1000);
    h.expectNothing();
  });

  it("at RCV.NXT - 1: not acceptable, answered with an ACK, its window ignored", () => {
    const h = small();
    h.send(ACK, h.theirs(-1), h.ours(0), 1000);
    h.expectWindow(ACK, h.ours(0), h.theirs(0), <u16>SMALL_RING);
    expect<i32>(h.conn.sndWnd).toBe(65535);
  });

  it("at the last number of the window: accepted, nothing owed", () => {
    const h = small();
    h.send(ACK, h.theirs(SMALL_RING - 1), h.ours(0), 1000);
    expect<i32>(h.conn.sndWnd).toBe(1000);
    h.expectNothing();
  });

  it("at RCV.NXT + RCV.WND: not acceptable, answered", () => {
    const h = small();
    h.send(ACK, h.theirs(SMALL_RING), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<i32>(h.conn.sndWnd).toBe(65535);
  });
});

describe("tcp acceptability: length > 0, window > 0 (either end in the window)", () => {
  it("starting before RCV.NXT and ending inside: accepted, only the new bytes kept", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 100);
    h.data(h.theirs(50), h.ours(0), 100);
    expectReceived(h, h.theirs(0), 150);
  });

  it("wholly before RCV.NXT: a duplicate, answered with the current ACK, nothing stored", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 100);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(100));
    h.data(h.theirs(0), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(100));
    expect<i32>(h.conn.recvBuf.len).toBe(100);
  });

  it("ending exactly at RCV.NXT (last byte RCV.NXT - 1): not acceptable", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 100);
    h.drain();
    h.data(h.theirs(90), h.ours(0), 10);
    h.expectAck(h.ours(0), h.theirs(100));
    expect<i32>(h.conn.recvBuf.len).toBe(100);
  });

  it("starting inside and running past the right edge: accepted, trimmed to the window", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.expectAck(h.ours(0), h.theirs(2920));
    h.data(h.theirs(2920), h.ours(0), 1460);
    expectReceived(h, h.theirs(0), <u16>SMALL_RING);
    h.drain();
    expect<u32>(h.conn.rcvNxt).toBe(h.theirs(SMALL_RING));
  });

  it("starting at the right edge: not acceptable, answered, nothing stored", () => {
    const h = small();
    h.data(h.theirs(SMALL_RING), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    expect<bool>(h.conn.assembler.isEmpty).toBe(true);
  });

  it("far beyond the window: answered, nothing stored", () => {
    const h = small();
    h.data(h.theirs(1 << 20), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<bool>(h.conn.assembler.isEmpty).toBe(true);
  });

  it("an unacceptable segment's ACK field is not processed", () => {
    const h = small();
    h.write(100);
    h.drain();
    h.data(h.theirs(SMALL_RING), h.ours(100), 10);
    expect<i32>(h.conn.sendBuf.len).toBe(100);
    h.expectAck(h.ours(100), h.theirs(0));
  });
});

describe("tcp acceptability: zero window (RFC 9293 3.10.7.4 special allowance)", () => {
  it("a bare ACK at RCV.NXT is accepted and acknowledges our data", () => {
    const h = zeroWindow();
    h.write(100);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(4096), 100);
    h.send(ACK, h.theirs(4096), h.ours(100));
    expect<i32>(h.conn.sendBuf.len).toBe(0);
    h.expectNothing();
  });

  it("data at RCV.NXT: its ACK counts, its text is dropped, we answer with window 0", () => {
    const h = zeroWindow();
    h.write(100);
    h.drain();
    h.data(h.theirs(4096), h.ours(100), 50);
    expect<i32>(h.conn.sendBuf.len).toBe(0);
    expect<i32>(h.conn.recvBuf.len).toBe(SMALL_RING);
    h.expectWindow(ACK, h.ours(100), h.theirs(4096), 0);
  });

  it("a bare ACK one past RCV.NXT is not acceptable", () => {
    const h = zeroWindow();
    h.send(ACK, h.theirs(4097), h.ours(0), 777);
    h.expectWindow(ACK, h.ours(0), h.theirs(4096), 0);
    expect<i32>(h.conn.sndWnd).not.toBe(777);
  });

  it("once the user has read, data in the room is taken even before a new window was sent", () => {
    const h = zeroWindow();
    h.read(2000);
    h.data(h.theirs(4096), h.ours(0), 1000);
    expect<i32>(h.conn.recvBuf.len).toBe(3096);
  });
});

describe("tcp acceptability: what is dropped without an answer", () => {
  it("an unacceptable RST is dropped silently", () => {
    const h = small();
    h.send(RST, h.theirs(-1), 0);
    h.send(RST | ACK, h.theirs(SMALL_RING + 10), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectNothing();
  });

  it("an acceptable segment without ACK is dropped: no data kept, nothing sent", () => {
    const h = small();
    h.send(PSH, h.theirs(0), 0, 65535, 100);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    h.expectNothing();
  });
});

describe("tcp acceptability: the answering ACK's rate (RFC 5961 7, Linux tcp_oow_rate_limited)", () => {
  it("bare out-of-window ACKs get one answer per 500 ms", () => {
    const h = small();
    h.send(ACK, h.theirs(-1), h.ours(0));
    h.expectAck(h.ours(0), h.theirs(0));
    h.advance(100 * MS);
    h.send(ACK, h.theirs(-1), h.ours(0));
    h.expectNothing();
    h.advance(400 * MS);
    h.send(ACK, h.theirs(-1), h.ours(0));
    h.expectAck(h.ours(0), h.theirs(0));
  });

  it("a retransmitted data segment is answered every time: the peer needs the ACK to recover", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 100);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(100));
    h.data(h.theirs(0), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(100));
    h.advance(200 * MS);
    h.data(h.theirs(0), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(100));
  });

  it("a retransmitted FIN in CLOSE-WAIT is answered every time", () => {
    const h = closeWait();
    h.send(ACK | FIN, h.theirs(0), h.ours(0));
    h.expectAck(h.ours(0), h.theirs(1));
    h.advance(200 * MS);
    h.send(ACK | FIN, h.theirs(0), h.ours(0));
    h.expectAck(h.ours(0), h.theirs(1));
  });

  it("data far beyond the window is answered every time as well", () => {
    const h = small();
    h.data(h.theirs(100000), h.ours(0), 10);
    h.expectAck(h.ours(0), h.theirs(0));
    h.advance(10 * MS);
    h.data(h.theirs(100000), h.ours(0), 10);
    h.expectAck(h.ours(0), h.theirs(0));
  });

  it("SYN-RECEIVED: an old segment is answered with an ACK of the peer's SYN", () => {
    const h = synReceived();
    h.send(ACK, h.theirs(-5), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
});

describe("tcp acceptability: nothing owed is left hanging", () => {
  it("SYN-RECEIVED: once the answer is sent, nothing is due until the SYN-ACK's timer", () => {
    const h = synReceived();
    h.send(ACK, h.theirs(-5), h.ours(0));
    h.expectAck(h.ours(0), h.theirs(0));
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(h.conn.rtoDeadline);
    expect<bool>(h.conn.rtoDeadline > h.now).toBe(true);
  });
});
