// RFC 5961 in every synchronized state: a RST resets only at exactly RCV.NXT (3.2), an in-window
// one gets a challenge ACK, a SYN always gets a challenge ACK (4.2), and an ACK outside
// [SND.UNA - MAX.SND.WND, SND.NXT] is dropped with an ACK (5.2). Challenges are rate-limited (7).
import * as Errno from "../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_ESTABLISHED, TCP_STATE_FIN_WAIT_1, TCP_STATE_FIN_WAIT_2,
  TCP_STATE_CLOSE_WAIT, TCP_STATE_CLOSING, TCP_STATE_LAST_ACK, TCP_STATE_TIME_WAIT,
  TCP_STATE_SYN_RECEIVED, EVENT_CLOSED, EVENT_ERROR,
} from "../../bindings/layout";
import {
  TcpHarness, established, finWait1, finWait2, closeWait, closing, lastAck, timeWait, synReceived,
  SYN, ACK, RST, PSH, MS,
} from "./tcp_harness";

/** An exact RST (SEG.SEQ = RCV.NXT) ends the connection with `errno` and nothing is sent. */
function expectExactRstCloses(h: TcpHarness, rcvNxt: u32, errno: i32): void {
  h.send(RST, rcvNxt, 0);
  expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  expect<i32>(h.conn.error).toBe(errno);
  h.expectNothing();
}

/** An in-window RST one past RCV.NXT is challenged with <SEQ=SND.NXT><ACK=RCV.NXT>; state kept. */
function expectRstChallenged(h: TcpHarness, sndNxt: u32, rcvNxt: u32, state: i32): void {
  h.send(RST, rcvNxt + 1, 0);
  expect<i32>(h.conn.state).toBe(state);
  h.expectAck(sndNxt, rcvNxt);
  h.expectNothing();
}

describe("tcp RFC 5961 3.2: an exact RST resets", () => {
  it("ESTABLISHED: ECONNRESET, closed and error events", () => {
    const h = established();
    expectExactRstCloses(h, h.theirs(0), -Errno.ECONNRESET);
    expect<u32>(h.conn.takeEvents()).toBe(EVENT_CLOSED | EVENT_ERROR);
  });
  it("FIN-WAIT-1: ECONNRESET", () => {
    const h = finWait1();
    expectExactRstCloses(h, h.theirs(0), -Errno.ECONNRESET);
  });
  it("FIN-WAIT-2: ECONNRESET", () => {
    const h = finWait2();
    expectExactRstCloses(h, h.theirs(0), -Errno.ECONNRESET);
  });
  it("CLOSE-WAIT: ECONNRESET", () => {
    const h = closeWait();
    expectExactRstCloses(h, h.theirs(1), -Errno.ECONNRESET);
  });
  it("CLOSING: CLOSED without error", () => {
    const h = closing();
    expectExactRstCloses(h, h.theirs(1), 0);
  });
  it("LAST-ACK: CLOSED without error", () => {
    const h = lastAck();
    expectExactRstCloses(h, h.theirs(1), 0);
  });
  it("TIME-WAIT: CLOSED without error", () => {
    const h = timeWait();
    expectExactRstCloses(h, h.theirs(1), 0);
  });
  it("a RST with an ACK field resets the same way", () => {
    const h = established();
    h.send(RST | ACK, h.theirs(0), h.ours(0));
    expect<i32>(h.conn.error).toBe(-Errno.ECONNRESET);
  });
  it("a RST at RCV.NXT after received data resets", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 500);
    expectExactRstCloses(h, h.theirs(500), -Errno.ECONNRESET);
  });
  it("SYN-RECEIVED (passive): the half-open connection goes without error", () => {
    const h = synReceived();
    expectExactRstCloses(h, h.theirs(0), 0);
  });
});

describe("tcp RFC 5961 3.2: an in-window RST that is not exact is challenged", () => {
  it("ESTABLISHED", () => {
    const h = established();
    expectRstChallenged(h, h.ours(0), h.theirs(0), TCP_STATE_ESTABLISHED);
  });
  it("FIN-WAIT-1", () => {
    const h = finWait1();
    expectRstChallenged(h, h.ours(1), h.theirs(0), TCP_STATE_FIN_WAIT_1);
  });
  it("FIN-WAIT-2", () => {
    const h = finWait2();
    expectRstChallenged(h, h.ours(1), h.theirs(0), TCP_STATE_FIN_WAIT_2);
  });
  it("CLOSE-WAIT", () => {
    const h = closeWait();
    expectRstChallenged(h, h.ours(0), h.theirs(1), TCP_STATE_CLOSE_WAIT);
  });
  it("CLOSING", () => {
    const h = closing();
    expectRstChallenged(h, h.ours(1), h.theirs(1), TCP_STATE_CLOSING);
  });
  it("LAST-ACK", () => {
    const h = lastAck();
    expectRstChallenged(h, h.ours(1), h.theirs(1), TCP_STATE_LAST_ACK);
  });
  it("TIME-WAIT", () => {
    const h = timeWait();
    expectRstChallenged(h, h.ours(1), h.theirs(1), TCP_STATE_TIME_WAIT);
  });
  it("SYN-RECEIVED", () => {
    const h = synReceived();
    expectRstChallenged(h, h.ours(0), h.theirs(0), TCP_STATE_SYN_RECEIVED);
  });
  it("at the far end of the window", () => {
    const h = established();
    h.send(RST, h.theirs(60000), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("the peer's answer to the challenge, a RST at RCV.NXT, then resets", () => {
    const h = established();
    expectRstChallenged(h, h.ours(0), h.theirs(0), TCP_STATE_ESTABLISHED);
    h.send(RST, h.theirs(0), 0);
    expect<i32>(h.conn.error).toBe(-Errno.ECONNRESET);
  });
  it("challenges are rate-limited: a second RST within 500 ms gets none, one after it does (RFC 5961 7)", () => {
    const h = established();
    h.send(RST, h.theirs(5), 0);
    h.expectAck(h.ours(0), h.theirs(0));
    h.advance(499 * MS);
    h.send(RST, h.theirs(6), 0);
    h.expectNothing();
    h.advance(1 * MS);
    h.send(RST, h.theirs(7), 0);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
  });
  it("a RST outside the window is dropped without a challenge", () => {
    const h = established();
    h.send(RST, h.theirs(70000), 0);
    h.send(RST, h.theirs(-1), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectNothing();
  });
});

describe("tcp RFC 5961 4.2: a SYN in a synchronized state is challenged", () => {
  it("SYN-RECEIVED (passive), a new SYN in the window: the half-open child goes, silently (RFC 9293 3.10.7.4 fourth)", () => {
    const h = synReceived();
    h.send(SYN, h.theirs(10), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
    h.expectNothing();
  });

  it("ESTABLISHED, SYN in the window: challenge ACK, state and data kept", () => {
    const h = established();
    h.send(SYN, h.theirs(100), 0, 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("ESTABLISHED, SYN exactly at RCV.NXT: challenged, never a reset", () => {
    const h = established();
    h.send(SYN, h.theirs(0), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("ESTABLISHED, SYN outside the window: answered the same way", () => {
    const h = established();
    h.send(SYN, h.theirs(-100000), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("a SYN-ACK in ESTABLISHED is challenged too", () => {
    const h = established();
    h.send(SYN | ACK, h.theirs(10), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("data on an in-window SYN is not taken", () => {
    const h = established();
    h.send(SYN | PSH, h.theirs(0), 0, 65535, 100);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    h.expectAck(h.ours(0), h.theirs(0));
  });
  it("FIN-WAIT-2", () => {
    const h = finWait2();
    h.send(SYN, h.theirs(3), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
    h.expectAck(h.ours(1), h.theirs(0));
  });
  it("CLOSE-WAIT", () => {
    const h = closeWait();
    h.send(SYN, h.theirs(3), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    h.expectAck(h.ours(0), h.theirs(1));
  });
  it("SYN challenges share the rate limit with RST challenges", () => {
    const h = established();
    h.send(RST, h.theirs(5), 0);
    h.expectAck(h.ours(0), h.theirs(0));
    h.send(SYN, h.theirs(5), 0);
    h.expectNothing();
  });
});

describe("tcp RFC 5961 5.2: ACK acceptability", () => {
  it("an ACK of data never sent is answered and the segment dropped, its data too", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.data(h.theirs(0), h.ours(200), 50);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    expect<i32>(h.conn.sendBuf.len).toBe(100);
    h.expectAck(h.ours(100), h.theirs(0));
  });
  it("an ACK older than SND.UNA - MAX.SND.WND is challenged and its data dropped", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(100));
    h.data(h.theirs(0), h.ours(100 - 70000), 50);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    h.expectAck(h.ours(100), h.theirs(0));
  });
  it("an old ACK within MAX.SND.WND is acceptable: its data is taken", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(100));
    h.data(h.theirs(0), h.ours(0), 50);
    expect<i32>(h.conn.recvBuf.len).toBe(50);
    expect<u32>(h.conn.sndUna).toBe(h.ours(100));
  });
  it("an ACK of exactly SND.NXT is acceptable", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(100));
    expect<i32>(h.conn.sendBuf.len).toBe(0);
    h.expectNothing();
  });
});
