// Every closing path of RFC 9293 (3.6, 3.10.4 CLOSE, 3.10.5 ABORT, 3.10.7.4 eighth step), half-close,
// TIME-WAIT for 2 MSL and its restart by a retransmitted FIN, and close() that never blocks (field
// report 003): unread data resets, queued data goes before the FIN.
import * as Errno from "../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_ESTABLISHED, TCP_STATE_FIN_WAIT_1, TCP_STATE_FIN_WAIT_2,
  TCP_STATE_CLOSE_WAIT, TCP_STATE_CLOSING, TCP_STATE_LAST_ACK, TCP_STATE_TIME_WAIT,
  EVENT_PEER_CLOSED, EVENT_READABLE, EVENT_CLOSED,
} from "../../bindings/layout";
import {
  synSent, established, finWait1, finWait2, closeWait, closing, lastAck, timeWait, defaultParams,
  expectReceived, SYN, ACK, FIN, RST, PSH, MS, SECOND,
} from "./tcp_harness";

describe("tcp close: active close (FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT)", () => {
  it("close() with nothing queued sends FIN at once and returns without finishing", () => {
    const h = established();
    expect<bool>(h.conn.close(h.now)).toBe(false);
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_1);
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(0));
    h.expectNothing();
  });

  it("close() with queued data sends the data and the FIN in one segment", () => {
    const h = established();
    h.write(300);
    h.conn.close(h.now);
    h.expectSegment(ACK | PSH | FIN, h.ours(0), h.theirs(0), 300);
    h.expectNothing();
  });

  it("FIN-WAIT-1: an ACK short of our FIN keeps FIN-WAIT-1", () => {
    const h = established();
    h.write(300);
    h.conn.shutdownWrite();
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(300));
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_1);
    h.send(ACK, h.theirs(0), h.ours(301));
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
  });

  it("FIN-WAIT-1: our FIN is retransmitted after the RTO", () => {
    const h = finWait1();
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(200 * MS);
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(0));
  });

  it("FIN-WAIT-1: a FIN that also acknowledges ours goes straight to TIME-WAIT", () => {
    const h = finWait1();
    h.send(ACK | FIN, h.theirs(0), h.ours(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.expectAck(h.ours(1), h.theirs(1));
  });

  it("FIN-WAIT-2 after shutdown still receives data (half-close)", () => {
    const h = finWait2();
    h.data(h.theirs(0), h.ours(1), 1460);
    h.data(h.theirs(1460), h.ours(1), 1460);
    h.expectAck(h.ours(1), h.theirs(2920));
    expectReceived(h, h.theirs(0), 2920);
  });

  it("FIN-WAIT-2: data with the FIN is kept, TIME-WAIT, ACK past both", () => {
    const h = finWait2();
    h.send(ACK | FIN | PSH, h.theirs(0), h.ours(1), 65535, 80);
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    expectReceived(h, h.theirs(0), 80);
    h.expectAck(h.ours(1), h.theirs(81));
  });

  it("FIN-WAIT-2 with the handle open has no timer: nothing is due", () => {
    const h = finWait2();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(i64.MAX_VALUE);
  });
});

describe("tcp close: simultaneous close (CLOSING)", () => {
  it("CLOSING: an ACK of our FIN moves to TIME-WAIT with nothing to send", () => {
    const h = closing();
    h.send(ACK, h.theirs(1), h.ours(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.expectNothing();
  });

  it("CLOSING: an ACK that does not cover our FIN changes nothing", () => {
    const h = closing();
    h.send(ACK, h.theirs(1), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSING);
  });

  it("CLOSING: our FIN is retransmitted after the RTO, acknowledging theirs", () => {
    const h = closing();
    h.advanceToDeadline();
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(1));
  });
});

describe("tcp close: passive close (CLOSE-WAIT, LAST-ACK)", () => {
  it("a FIN in ESTABLISHED: CLOSE-WAIT, peer-closed and readable, end of stream, ACK after the delay", () => {
    const h = established();
    h.send(ACK | FIN, h.theirs(0), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    expect<u32>(h.conn.takeEvents()).toBe(EVENT_PEER_CLOSED | EVENT_READABLE);
    expect<bool>(h.conn.atEndOfStream).toBe(true);
    // Delayed like a data segment's ACK (Linux's tcp_fin enters its delayed-ACK mode).
    h.expectNothing();
    h.advance(h.params.delayedAck - 1);
    h.expectNothing();
    h.advance(1);
    h.expectAck(h.ours(0), h.theirs(1));
    h.expectNothing();
  });

  it("a FIN in ESTABLISHED and close() within the delay: one FIN-ACK acknowledges the peer's FIN", () => {
    const h = established();
    h.send(ACK | FIN, h.theirs(0), h.ours(0));
    h.advance(h.params.delayedAck / 2);
    expect<i32>(h.conn.shutdownWrite()).toBe(0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_LAST_ACK);
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(1));
    // The FIN-ACK said it all: no separate ACK when the delay runs out.
    h.advance(h.params.delayedAck);
    h.expectNothing();
    h.send(ACK, h.theirs(1), h.ours(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("a FIN with data beyond one full segment unacknowledged: ACK at once", () => {
    const h = established();
    h.send(ACK | PSH, h.theirs(0), h.ours(0), 65535, 1460);
    h.send(ACK | FIN | PSH, h.theirs(1460), h.ours(0), 65535, 10);
    h.expectAck(h.ours(0), h.theirs(1471));
  });

  it("a FIN after data: end of stream only once the data is read", () => {
    const h = established();
    h.send(ACK | FIN | PSH, h.theirs(0), h.ours(0), 65535, 10);
    expect<bool>(h.conn.atEndOfStream).toBe(false);
    h.read(10);
    expect<bool>(h.conn.atEndOfStream).toBe(true);
  });

  it("CLOSE-WAIT: we still send data (half-close)", () => {
    const h = closeWait();
    h.write(100);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(1), 100);
  });

  it("CLOSE-WAIT: more text from the peer is ignored (RFC 9293 3.10.7.4 seventh)", () => {
    const h = closeWait();
    h.data(h.theirs(1), h.ours(0), 10);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
  });

  it("CLOSE-WAIT: close() sends FIN and enters LAST-ACK", () => {
    const h = closeWait();
    expect<bool>(h.conn.close(h.now)).toBe(false);
    expect<i32>(h.conn.state).toBe(TCP_STATE_LAST_ACK);
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(1));
  });

  it("LAST-ACK: the ACK of our FIN closes without error", () => {
    const h = lastAck();
    h.send(ACK, h.theirs(1), h.ours(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
    expect<u32>(h.conn.takeEvents() & EVENT_CLOSED).toBe(EVENT_CLOSED);
    h.expectNothing();
  });

  it("LAST-ACK: an ACK short of our FIN keeps LAST-ACK", () => {
    const h = lastAck();
    h.send(ACK, h.theirs(1), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_LAST_ACK);
  });

  it("LAST-ACK: our FIN is retransmitted after the RTO", () => {
    const h = lastAck();
    h.advanceToDeadline();
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(1));
  });

  it("LAST-ACK: a retransmitted peer FIN is acknowledged again", () => {
    const h = lastAck();
    h.send(ACK | FIN, h.theirs(0), h.ours(0));
    h.expectAck(h.ours(1), h.theirs(1));
  });
});

describe("tcp close: TIME-WAIT (RFC 9293 3.10.7.4 eighth, 2 MSL)", () => {
  it("lasts exactly 2 MSL (60 s), then CLOSED without error", () => {
    const h = timeWait();
    h.advance(60 * SECOND - 1);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.advance(1);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
  });

  it("a retransmitted FIN is acknowledged and restarts the 2 MSL wait", () => {
    const h = timeWait();
    h.advance(30 * SECOND);
    h.send(ACK | FIN, h.theirs(0), h.ours(1));
    h.expectAck(h.ours(1), h.theirs(1));
    h.advance(60 * SECOND - 1);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.advance(1);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("the wait follows params.timeWait", () => {
    const p = defaultParams();
    p.timeWait = 5 * SECOND;
    const h = timeWait(p);
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(5 * SECOND);
  });

  it("no other timer runs in TIME-WAIT: the next deadline is its end", () => {
    const h = timeWait();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(60 * SECOND);
  });

  it("a bare ACK in TIME-WAIT needs no answer", () => {
    const h = timeWait();
    h.send(ACK, h.theirs(1), h.ours(1));
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
  });

  it("close() in TIME-WAIT leaves it to finish", () => {
    const h = timeWait();
    expect<bool>(h.conn.close(h.now)).toBe(false);
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.expectNothing();
  });
});

describe("tcp close: the user's calls", () => {
  it("close() with unread data resets the peer at once (RFC 2525 2.17)", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 10);
    h.conn.close(h.now);
    h.expectSegment(RST | ACK, h.ours(0), h.theirs(10));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    h.expectNothing();
  });

  it("data arriving after close() resets (nobody will read it, as Linux)", () => {
    const h = finWait1();
    h.conn.close(h.now);
    h.data(h.theirs(0), h.ours(1), 10);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    h.expectSegment(RST | ACK, h.ours(1), h.theirs(0));
  });

  it("data arriving after shutdown() alone is kept", () => {
    const h = finWait1();
    h.data(h.theirs(0), h.ours(1), 10);
    expect<i32>(h.conn.recvBuf.len).toBe(10);
  });

  it("shutdown twice sends one FIN", () => {
    const h = finWait1();
    expect<i32>(h.conn.shutdownWrite()).toBe(0);
    h.expectNothing();
  });

  it("writing after shutdown is EPIPE", () => {
    const h = finWait1();
    expect<i32>(h.conn.writeRoom()).toBe(-Errno.EPIPE);
    expect<i32>(h.conn.commitWrite(1)).toBe(-Errno.EPIPE);
  });

  it("shutdown of a CLOSED connection is ENOTCONN", () => {
    const h = established();
    h.conn.abort();
    expect<i32>(h.conn.shutdownWrite()).toBe(-Errno.ENOTCONN);
  });

  it("abort in ESTABLISHED sends <SEQ=SND.NXT><CTL=RST,ACK> (RFC 9293 3.10.5)", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.conn.abort();
    const e = h.expectSegment(RST | ACK, h.ours(100), h.theirs(0));
    expect<u16>(e.window).toBe(0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("abort in CLOSE-WAIT sends a RST", () => {
    const h = closeWait();
    h.conn.abort();
    h.expectSegment(RST | ACK, h.ours(0), h.theirs(1));
  });

  it("abort in LAST-ACK sends nothing (RFC 9293 3.10.5)", () => {
    const h = lastAck();
    h.conn.abort();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    h.expectNothing();
  });

  it("abort in SYN-SENT sends nothing", () => {
    const h = synSent();
    h.conn.abort();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    h.expectNothing();
  });

  it("a CLOSED connection ignores every segment", () => {
    const h = established();
    h.conn.abort();
    h.drain();
    h.send(SYN, 1, 0);
    h.data(h.theirs(0), h.ours(0), 10);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });
});

describe("tcp close: data still queued when the peer's FIN arrives", () => {
  it("FIN-WAIT-1 with unsent data, the peer's FIN: CLOSING still sends the data, then the FIN", () => {
    const h = established();
    // The peer's window lets one segment out; the rest waits behind it.
    h.send(ACK, h.theirs(0), h.ours(0), 1460);
    h.write(3000);
    h.conn.shutdownWrite();
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 1460);
    h.expectNothing();
    h.send(ACK | FIN, h.theirs(0), h.ours(1460), 65535);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSING);
    h.expectSegment(ACK, h.ours(1460), h.theirs(1), 1460);
    h.expectSegment(ACK | PSH | FIN, h.ours(2920), h.theirs(1), 80);
    h.send(ACK, h.theirs(1), h.ours(3001));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
  });
});
