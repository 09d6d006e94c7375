// TCP connection, driven alone: exact segments in and out under a fake clock (RFC 9293).
import * as Errno from "../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_ESTABLISHED, TCP_STATE_SYN_RECEIVED, TCP_STATE_FIN_WAIT_1,
  TCP_STATE_FIN_WAIT_2, TCP_STATE_CLOSE_WAIT, TCP_STATE_LAST_ACK, TCP_STATE_TIME_WAIT,
  TCP_STATE_CLOSING, EVENT_CONNECTED, EVENT_READABLE, EVENT_PEER_CLOSED, EVENT_CLOSED, EVENT_ERROR,
} from "../../bindings/layout";
import { Verdict } from "../../assembly/socket/tcp/connection";
import { seqAdd } from "../../assembly/seq";
import {
  TcpHarness, synSent, synReceived, established, defaultParams, localSeq, remoteSeq,
  LOCAL_ISS, REMOTE_ISS, SYN, ACK, FIN, RST, PSH, MS, SECOND, patternByte,
} from "./tcp_harness";

describe("tcp: opening", () => {
  it("active open: SYN, SYN-ACK, ACK reaches ESTABLISHED and reports connected", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, localSeq(0), 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    expect<u32>(h.conn.takeEvents() & EVENT_CONNECTED).toBe(EVENT_CONNECTED);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0));
    h.expectNothing();
  });

  it("data on the SYN-ACK is kept (field report 002)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, localSeq(0), 65535, 100, 1460);
    expect<i32>(h.conn.recvBuf.len).toBe(100);
    h.expectSegment(ACK, localSeq(0), remoteSeq(100));
  });

  it("passive open: data on the handshake-completing ACK is kept (field report 002)", () => {
    const h = synReceived();
    h.data(remoteSeq(0), localSeq(0), 50);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    expect<i32>(h.conn.recvBuf.len).toBe(50);
    expect<u8>(load<u8>(h.conn.recvBuf.readSpanPtr)).toBe(patternByte(remoteSeq(0), 0));
  });

  it("SYN-SENT: an ACK for something we never sent is answered with RST", () => {
    const h = synSent();
    const v = h.send(SYN | ACK, REMOTE_ISS, seqAdd(LOCAL_ISS, 5));
    expect<i32>(v).toBe(Verdict.ResetForAck);
    expect<i32>(h.conn.state).not.toBe(TCP_STATE_CLOSED);
  });

  it("SYN-SENT: RST with an acceptable ACK refuses the connection", () => {
    const h = synSent();
    h.send(RST | ACK, 0, localSeq(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ECONNREFUSED);
  });

  it("SYN-SENT: RST without ACK is ignored", () => {
    const h = synSent();
    h.send(RST, 0, 0);
    expect<i32>(h.conn.state).not.toBe(TCP_STATE_CLOSED);
  });

  it("SYN is retransmitted with backoff and connect fails with ETIMEDOUT", () => {
    const h = synSent();
    let last = h.now;
    let gap: i64 = 0;
    for (let i = 0; i < h.params.synRetries; i++) {
      h.advanceToDeadline();
      const s = h.expectSegment(SYN, LOCAL_ISS, 0);
      const g = h.now - last;
      if (i > 0) expect<i64>(g).toBe(gap * 2, "doubled");
      gap = g;
      last = h.now;
    }
    h.advanceToDeadline();
    h.conn.onTimers(h.now);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
  });

  it("simultaneous open reaches ESTABLISHED", () => {
    const h = synSent();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
    h.expectSegment(SYN | ACK, LOCAL_ISS, remoteSeq(0));
    h.send(SYN | ACK, REMOTE_ISS, localSeq(0));
    // A SYN in SYN-RECEIVED is not acceptable (seq < RCV.NXT): answered, state kept.
    h.send(ACK, remoteSeq(0), localSeq(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
  });
});

describe("tcp: data", () => {
  it("sends written data in MSS segments with PSH on the last", () => {
    const h = established();
    expect<i32>(h.write(3000)).toBe(3000);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0), 1460);
    h.expectSegment(ACK, localSeq(1460), remoteSeq(0), 1460);
    h.expectSegment(ACK | PSH, localSeq(2920), remoteSeq(0), 80);
    h.expectNothing();
  });

  it("received in-order data is delayed-ACKed, then every second full segment at once", () => {
    const h = established();
    h.data(remoteSeq(0), localSeq(0), 1460);
    h.expectNothing();
    h.data(remoteSeq(1460), localSeq(0), 1460);
    h.expectSegment(ACK, localSeq(0), remoteSeq(2920));
    h.data(remoteSeq(2920), localSeq(0), 100);
    h.expectNothing();
    h.advance(h.params.delayedAck);
    h.expectSegment(ACK, localSeq(0), remoteSeq(3020));
  });

  it("out-of-order data is ACKed at once with the old ACK, and delivered when the hole fills", () => {
    const h = established();
    h.data(remoteSeq(1000), localSeq(0), 500);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0));
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    h.data(remoteSeq(0), localSeq(0), 1000);
    expect<i32>(h.conn.recvBuf.len).toBe(1500);
    h.expectSegment(ACK, localSeq(0), remoteSeq(1500));
  });

  it("an ACK frees acknowledged bytes and stops the retransmission timer", () => {
    const h = established();
    h.write(100);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 100);
    expect<bool>(h.conn.rtoDeadline != i64.MAX_VALUE).toBe(true);
    h.send(ACK, remoteSeq(0), localSeq(100));
    expect<i32>(h.conn.sendBuf.len).toBe(0);
    expect<i64>(h.conn.rtoDeadline).toBe(i64.MAX_VALUE);
  });

  it("retransmits after the RTO, doubling it each time", () => {
    const h = established();
    h.write(100);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 100);
    // The handshake took no time, so its sample puts the RTO at its floor (200 ms).
    const rto = h.conn.rtt.rto;
    expect<i64>(rto).toBe(200 * MS);
    const start = h.now;
    h.advanceToDeadline();
    expect<i64>(h.now - start).toBe(rto);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 100);
    const second = h.now;
    h.advanceToDeadline();
    expect<i64>(h.now - second).toBe(2 * rto);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 100);
  });

  it("a write larger than the MSS goes out whole, its small tail included (Minshall)", () => {
    const h = established();
    h.write(3000);
    expect<i32>(h.drain()).toBe(3);
  });

  it("Nagle holds a small segment while an earlier small one is unacknowledged", () => {
    const h = established();
    h.write(10);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 10);
    h.write(10);
    h.expectNothing();
    h.send(ACK, remoteSeq(0), localSeq(10));
    h.expectSegment(ACK | PSH, localSeq(10), remoteSeq(0), 10);
  });

  it("no-delay sends small segments at once", () => {
    const h = established();
    h.conn.noDelay = true;
    h.write(10);
    h.expectSegment(ACK | PSH, localSeq(0), remoteSeq(0), 10);
    h.write(10);
    h.expectSegment(ACK | PSH, localSeq(10), remoteSeq(0), 10);
  });

  it("respects the peer's window, and sends a sliver only when it is half the largest window", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, localSeq(0), 3000, 0, 1460);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0));
    h.write(5000);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0), 1460);
    h.expectSegment(ACK, localSeq(1460), remoteSeq(0), 1460);
    // 80 bytes of window left: less than half of 3000, and data is in flight (RFC 9293 3.8.6.2.1).
    h.expectNothing();
    // The first segment is acknowledged with the window moved on by 1460: 1540 >= 1500 may go.
    h.send(ACK, remoteSeq(0), localSeq(1460), 3000);
    h.expectSegment(ACK, localSeq(2920), remoteSeq(0), 1460);
  });

  it("sender silly-window avoidance: a sliver of a large window waits", () => {
    const h = established();
    h.write(1460 * 3);
    expect<i32>(h.drain()).toBe(3);
    // The peer acknowledges one segment but opens only 100 bytes beyond what is in flight.
    h.send(ACK, remoteSeq(0), localSeq(1460), 1460 * 2 + 100);
    h.write(1000);
    h.expectNothing();
  });

  it("three duplicate ACKs trigger a fast retransmit", () => {
    const h = established();
    h.write(1460 * 6);
    expect<i32>(h.drain()).toBe(6);
    h.send(ACK, remoteSeq(0), localSeq(1460));
    h.send(ACK, remoteSeq(0), localSeq(1460));
    h.send(ACK, remoteSeq(0), localSeq(1460));
    h.expectNothing();
    h.send(ACK, remoteSeq(0), localSeq(1460));
    h.expectSegment(ACK, localSeq(1460), remoteSeq(0), 1460);
  });
});

describe("tcp: closing", () => {
  it("active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT, then CLOSED after 2 MSL", () => {
    const h = established();
    h.conn.shutdownWrite();
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_1);
    h.expectSegment(ACK | FIN, localSeq(0), remoteSeq(0));
    h.send(ACK, remoteSeq(0), localSeq(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
    h.send(ACK | FIN, remoteSeq(0), localSeq(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.expectSegment(ACK, localSeq(1), remoteSeq(1));
    h.advance(h.params.timeWait);
    h.conn.onTimers(h.now);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
  });

  it("passive close: CLOSE-WAIT then LAST-ACK then CLOSED", () => {
    const h = established();
    h.send(ACK | FIN, remoteSeq(0), localSeq(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    expect<u32>(h.conn.takeEvents() & EVENT_PEER_CLOSED).toBe(EVENT_PEER_CLOSED);
    expect<bool>(h.conn.atEndOfStream).toBe(true);
    h.advance(h.params.delayedAck);
    h.expectSegment(ACK, localSeq(0), remoteSeq(1));
    h.conn.shutdownWrite();
    expect<i32>(h.conn.state).toBe(TCP_STATE_LAST_ACK);
    h.expectSegment(ACK | FIN, localSeq(0), remoteSeq(1));
    h.send(ACK, remoteSeq(1), localSeq(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("simultaneous close goes through CLOSING to TIME-WAIT", () => {
    const h = established();
    h.conn.shutdownWrite();
    h.expectSegment(ACK | FIN, localSeq(0), remoteSeq(0));
    h.send(ACK | FIN, remoteSeq(0), localSeq(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSING);
    h.expectSegment(ACK, localSeq(1), remoteSeq(1));
    h.send(ACK, remoteSeq(1), localSeq(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
  });

  it("the FIN follows queued data", () => {
    const h = established();
    h.write(100);
    h.conn.shutdownWrite();
    h.expectSegment(ACK | PSH | FIN, localSeq(0), remoteSeq(0), 100);
  });

  it("an in-window RST that is not exact gets a challenge ACK (RFC 5961)", () => {
    const h = established();
    h.send(RST, remoteSeq(10), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectSegment(ACK, localSeq(0), remoteSeq(0));
  });

  it("an exact RST resets with ECONNRESET", () => {
    const h = established();
    h.send(RST, remoteSeq(0), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ECONNRESET);
    const e = h.conn.takeEvents();
    expect<u32>(e & (EVENT_CLOSED | EVENT_ERROR)).toBe(EVENT_CLOSED | EVENT_ERROR);
    h.expectNothing();
  });

  it("close with unread data resets the peer", () => {
    const h = established();
    h.data(remoteSeq(0), localSeq(0), 10);
    h.conn.close(h.now);
    h.expectSegment(RST | ACK, localSeq(0), remoteSeq(10));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });
});
