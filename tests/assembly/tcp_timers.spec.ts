// Timers under the fake clock: retransmission (RFC 6298: backoff, bounds, Karn, 5.7 after a lost
// SYN), delayed ACK (RFC 9293 3.8.6.3), zero-window probes (RFC 9293 3.8.6.1), keep-alive (RFC 1122
// 4.2.3.6), and the linger and orphan bounds of close (field reports 000 and 003).
import * as Errno from "../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_ESTABLISHED, TCP_STATE_FIN_WAIT_2, EVENT_CLOSED, EVENT_ERROR,
} from "../../bindings/layout";
import { RECLAIMED_BY_LINGER, RECLAIMED_BY_ORPHAN_TIMEOUT } from "../../assembly/socket/tcp/connection";
import {
  TcpHarness, Emitted, synSent, established, finWait1, closeWait, defaultParams, expectStreamBytes,
  REMOTE_ISS, SYN, ACK, FIN, RST, PSH, MS, SECOND,
} from "./tcp_harness";

const HOUR: i64 = 3600 * SECOND;

/** ESTABLISHED whose peer then closes its window: 10 bytes queued and held. */
function zeroWindowWithData(): TcpHarness {
  const h = established();
  h.send(ACK, h.theirs(0), h.ours(0), 0);
  h.write(10);
  h.expectNothing();
  return h;
}

describe("tcp timers: retransmission timeout (RFC 6298)", () => {
  it("with the handshake's sample the RTO is its 200 ms floor; retransmissions at 200, 600, 1400 ms", () => {
    const h = established();
    h.write(100);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
    const at: i64[] = [200, 600, 1400];
    for (let i = 0; i < at.length; i++) {
      h.advanceToDeadline();
      expect<i64>(h.now).toBe(at[i] * MS);
      const e = h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
      expectStreamBytes(e, 0);
    }
  });

  it("backoff doubles up to 120 s, and the 16th expiry fails the connection with ETIMEDOUT", () => {
    const h = established();
    h.write(100);
    h.drain();
    const gaps: i64[] = [200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400, 120000, 120000, 120000, 120000, 120000];
    let last = h.now;
    for (let i = 0; i < gaps.length; i++) {
      h.advanceToDeadline();
      expect<i64>(h.now - last).toBe(gaps[i] * MS);
      last = h.now;
      h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
    }
    h.advanceToDeadline();
    expect<i64>(h.now - last).toBe(120 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
    expect<u32>(h.conn.takeEvents() & (EVENT_CLOSED | EVENT_ERROR)).toBe(EVENT_CLOSED | EVENT_ERROR);
  });

  it("params.dataRetries bounds the retransmissions", () => {
    const p = defaultParams();
    p.dataRetries = 2;
    const h = established(p);
    h.write(10);
    h.drain();
    h.advanceToDeadline();
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
    h.advanceToDeadline();
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
    h.advanceToDeadline();
    h.expectNothing();
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
  });

  it("a retransmission carries the latest ACK and window", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.data(h.theirs(0), h.ours(0), 20);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(100), h.theirs(20));
    h.advanceToDeadline();
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(20), 100);
  });

  it("after a timeout only one segment is resent (loss window, RFC 5681 3.1), then slow start", () => {
    const h = established();
    h.write(1460 * 4);
    expect<i32>(h.drain()).toBe(4);
    h.advanceToDeadline();
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 1460);
    h.expectNothing();
    h.send(ACK, h.theirs(0), h.ours(1460));
    h.expectSegment(ACK, h.ours(1460), h.theirs(0), 1460);
    h.expectSegment(ACK, h.ours(2920), h.theirs(0), 1460);
    h.expectNothing();
  });

  it("an ACK of new data restarts the timer for the rest (RFC 6298 5.3)", () => {
    const h = established();
    h.write(2920);
    h.drain();
    h.advance(100 * MS);
    h.send(ACK, h.theirs(0), h.ours(1460));
    expect<i64>(h.conn.rtoDeadline).toBe(300 * MS);
  });

  it("Karn: the backed-off RTO stays for new data until a sample is taken (RFC 6298 5.5, 3)", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.advanceToDeadline();
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
    h.advance(50 * MS);
    h.send(ACK, h.theirs(0), h.ours(100));
    expect<u32>(h.conn.rtt.samples).toBe(1);
    h.write(100);
    h.expectSegment(ACK | PSH, h.ours(100), h.theirs(0), 100);
    expect<i64>(h.conn.rtoDeadline - h.now).toBe(400 * MS);
    h.advance(30 * MS);
    h.send(ACK, h.theirs(0), h.ours(200));
    expect<u32>(h.conn.rtt.samples).toBe(2);
    h.write(100);
    h.drain();
    expect<i64>(h.conn.rtoDeadline - h.now).toBe(200 * MS);
  });

  it("a SYN that had to be retransmitted leaves an RTO of 3 s for the data (RFC 6298 5.7)", () => {
    const h = synSent();
    h.advanceToDeadline();
    h.expectSegment(SYN, h.localIss, 0);
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    h.drain();
    h.write(10);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
    expect<i64>(h.conn.rtoDeadline - h.now).toBe(3 * SECOND);
  });

  it("with nothing in flight no retransmission timer runs", () => {
    const h = established();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(i64.MAX_VALUE);
  });
});

describe("tcp timers: delayed ACK (RFC 9293 3.8.6.3)", () => {
  it("one segment is acknowledged after exactly 40 ms", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 100);
    h.advance(40 * MS - 1);
    h.expectNothing();
    h.advance(1);
    h.expectAck(h.ours(0), h.theirs(100));
  });

  it("the delay follows params.delayedAck", () => {
    const p = defaultParams();
    p.delayedAck = 200 * MS;
    const h = established(p);
    h.data(h.theirs(0), h.ours(0), 100);
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(200 * MS);
  });

  it("a second small segment does not push the deadline back: one ACK covers both at 40 ms", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 100);
    h.advance(20 * MS);
    h.data(h.theirs(100), h.ours(0), 100);
    h.advance(20 * MS);
    h.expectAck(h.ours(0), h.theirs(200));
    h.expectNothing();
  });

  it("data we send carries the ACK: no separate ACK follows", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 100);
    h.write(10);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(100), 10);
    h.advance(40 * MS);
    h.expectNothing();
  });
});

describe("tcp timers: zero-window probes (RFC 9293 3.8.6.1)", () => {
  it("the first probe goes at one RTO, <SEQ=SND.UNA-1> without data, then backs off", () => {
    const h = zeroWindowWithData();
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(200 * MS);
    h.expectAck(h.ours(-1), h.theirs(0));
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(600 * MS);
    h.expectAck(h.ours(-1), h.theirs(0));
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(1400 * MS);
    h.expectAck(h.ours(-1), h.theirs(0));
  });

  it("a probe answered with a zero window keeps probing, backed off, and never gives up (MUST-67)", () => {
    const h = zeroWindowWithData();
    for (let i = 0; i < 20; i++) {
      h.advanceToDeadline();
      h.expectAck(h.ours(-1), h.theirs(0));
      h.send(ACK, h.theirs(0), h.ours(0), 0);
    }
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.advanceToDeadline();
    h.expectAck(h.ours(-1), h.theirs(0));
  });

  it("unanswered probes end the connection with ETIMEDOUT after dataRetries", () => {
    const p = defaultParams();
    p.dataRetries = 3;
    const h = established(p);
    h.send(ACK, h.theirs(0), h.ours(0), 0);
    h.write(10);
    h.expectNothing();
    for (let i = 0; i < 3; i++) {
      h.advanceToDeadline();
      h.expectAck(h.ours(-1), h.theirs(0));
    }
    h.advanceToDeadline();
    h.expectNothing();
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
  });

  it("the window opening sends the data at once and stops the probes", () => {
    const h = zeroWindowWithData();
    h.advanceToDeadline();
    h.expectAck(h.ours(-1), h.theirs(0));
    h.send(ACK, h.theirs(0), h.ours(0), 1000);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
    expect<i64>(h.conn.persistDeadline).toBe(i64.MAX_VALUE);
  });

  it("a write into a closed window is due at once, so a dispatch starts the persist timer", () => {
    const h = established();
    h.send(ACK, h.theirs(0), h.ours(0), 0);
    h.write(10);
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(h.now);
    h.expectNothing();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(200 * MS);
  });

  it("no probe while nothing is queued", () => {
    const h = established();
    h.send(ACK, h.theirs(0), h.ours(0), 0);
    h.expectNothing();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(i64.MAX_VALUE);
  });
});

describe("tcp timers: keep-alive (RFC 1122 4.2.3.6)", () => {
  it("is off by default: three idle hours send nothing", () => {
    const h = established();
    h.advance(3 * HOUR);
    h.expectNothing();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(i64.MAX_VALUE);
  });

  it("on: the first probe after 2 h idle, <SEQ=SND.UNA-1>, then every 75 s, ETIMEDOUT after 9", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now);
    for (let i = 0; i < 9; i++) {
      h.advanceToDeadline();
      expect<i64>(h.now).toBe(2 * HOUR + <i64>i * 75 * SECOND);
      h.expectAck(h.ours(-1), h.theirs(0));
    }
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(2 * HOUR + 9 * 75 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
  });

  it("an answered probe starts the idle time over", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now);
    h.advanceToDeadline();
    h.expectAck(h.ours(-1), h.theirs(0));
    h.advance(SECOND);
    h.send(ACK, h.theirs(0), h.ours(0));
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(4 * HOUR + SECOND);
  });

  it("any segment from the peer starts the idle time over", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now);
    h.advance(HOUR);
    h.data(h.theirs(0), h.ours(0), 10);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(10));
    expect<i64>(h.conn.keepAliveDeadline).toBe(3 * HOUR);
  });

  it("the user's idle time holds after activity too, not only before the first probe", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now, 10 * SECOND);
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(10 * SECOND);
    h.expectAck(h.ours(-1), h.theirs(0));
    h.send(ACK, h.theirs(0), h.ours(0));
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(20 * SECOND);
    h.expectAck(h.ours(-1), h.theirs(0));
  });

  it("a huge idle time saturates: no probe soon, none ever wraps into the past", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now, i64.MAX_VALUE);
    h.advance(3 * HOUR);
    h.expectNothing();
    expect<i64>(h.conn.nextDeadline(h.now)).toBe(i64.MAX_VALUE);
  });

  it("turning it off stops the probes", () => {
    const h = established();
    h.conn.setKeepAlive(true, h.now);
    h.conn.setKeepAlive(false, h.now);
    h.advance(3 * HOUR);
    h.expectNothing();
  });
});

describe("tcp timers: linger and orphan bounds of close (field reports 000, 003)", () => {
  it("close with data the peer never acknowledges: retransmissions, then RST at 2 s", () => {
    const h = established();
    h.write(100);
    h.conn.close(h.now);
    h.expectSegment(ACK | PSH | FIN, h.ours(0), h.theirs(0), 100);
    let resets = 0;
    while (h.conn.state != TCP_STATE_CLOSED) {
      h.advanceToDeadline();
      const e = h.recv();
      if (e != null && (changetype<Emitted>(e).flags & RST) != 0) resets++;
    }
    expect<i64>(h.now).toBe(2 * SECOND);
    expect<i32>(resets).toBe(1);
    expect<i32>(h.conn.reclaimedBy).toBe(RECLAIMED_BY_LINGER);
  });

  it("close with data that is acknowledged in time: no RST at 2 s", () => {
    const h = established();
    h.write(100);
    h.conn.close(h.now);
    h.drain();
    h.advance(100 * MS);
    h.send(ACK, h.theirs(0), h.ours(101));
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
    h.advance(2 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.reclaimedBy).toBe(0);
  });

  it("a peer that vanished during the close: reset and reclaimed at 30 s (FIN-WAIT-1)", () => {
    const h = finWait1();
    h.conn.close(h.now);
    let last: u8 = 0;
    while (h.conn.state != TCP_STATE_CLOSED) {
      h.advanceToDeadline();
      const e = h.recv();
      if (e != null) last = changetype<Emitted>(e).flags;
    }
    expect<i64>(h.now).toBe(30 * SECOND);
    expect<u8>(last).toBe(RST | ACK);
    expect<i32>(h.conn.reclaimedBy).toBe(RECLAIMED_BY_ORPHAN_TIMEOUT);
  });

  it("LAST-ACK with data the peer never acknowledges: the linger bound still resets (RST at 2 s)", () => {
    const h = closeWait();
    h.write(100);
    const closedAt = h.now;
    h.conn.close(h.now);
    h.expectSegment(ACK | PSH | FIN, h.ours(0), h.theirs(1), 100);
    let resets = 0;
    while (h.conn.state != TCP_STATE_CLOSED) {
      h.advanceToDeadline();
      const e = h.recv();
      if (e != null && (changetype<Emitted>(e).flags & RST) != 0) resets++;
    }
    expect<i64>(h.now - closedAt).toBe(2 * SECOND);
    expect<i32>(resets).toBe(1);
    expect<i32>(h.conn.reclaimedBy).toBe(RECLAIMED_BY_LINGER);
  });

  it("FIN-WAIT-2 after close, the peer's FIN never comes: reclaimed at 30 s with a RST", () => {
    const h = finWait1();
    h.conn.close(h.now);
    h.send(ACK, h.theirs(0), h.ours(1));
    h.advance(30 * SECOND);
    h.expectSegment(RST | ACK, h.ours(1), h.theirs(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });
});
