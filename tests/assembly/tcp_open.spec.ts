// Opening a connection, exact segments in and out (RFC 9293 3.5, 3.10.7.3; options RFC 9293 3.7.1
// and RFC 7323 2; field report 002: data on the SYN-ACK and on the handshake-completing ACK kept).
import * as Errno from "../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_SYN_SENT, TCP_STATE_SYN_RECEIVED, TCP_STATE_ESTABLISHED,
  TCP_STATE_FIN_WAIT_1, TCP_STATE_CLOSE_WAIT, EVENT_CONNECTED, EVENT_CLOSED, EVENT_ERROR,
} from "../../bindings/layout";
import { Verdict, RECLAIMED_BY_HALF_OPEN_TIMEOUT } from "../../assembly/socket/tcp/connection";
import { seqAdd } from "../../assembly/seq";
import {
  synSent, synReceived, defaultParams, expectReceived, expectStreamBytes,
  LOCAL_ISS, REMOTE_ISS, SYN, ACK, FIN, RST, PSH, MS, SECOND,
} from "./tcp_harness";

describe("tcp open: our SYN (RFC 9293 3.7.1, RFC 7323 2.2)", () => {
  it("carries MSS 1460, a window scale for a 64 KiB ring (1) and an unscaled window of 65535", () => {
    const h = synSent();
    const o = h.output;
    expect<u16>(o.options.mss).toBe(1460);
    expect<bool>(o.options.hasWindowScale).toBe(true);
    expect<u8>(o.options.windowScale).toBe(1);
    expect<u16>(o.window).toBe(65535);
  });

  it("a 16 KiB ring needs no scaling: shift 0, window 16384", () => {
    const p = defaultParams();
    p.recvBytes = 16 * 1024;
    const h = synSent(p);
    expect<u8>(h.output.options.windowScale).toBe(0);
    expect<u16>(h.output.window).toBe(16384);
  });

  it("a 1 MiB ring is described with shift 5", () => {
    const p = defaultParams();
    p.recvBytes = 1 << 20;
    const h = synSent(p);
    expect<u8>(h.output.options.windowScale).toBe(5);
    expect<u16>(h.output.window).toBe(65535);
  });

  it("the MSS option is our configured MSS", () => {
    const p = defaultParams();
    p.mss = 1200;
    const h = synSent(p);
    expect<u16>(h.output.options.mss).toBe(1200);
  });
});

describe("tcp open: SYN-SENT (RFC 9293 3.10.7.3)", () => {
  it("a SYN-ACK moves to ESTABLISHED and is acknowledged with an unscaled window when the peer does not scale", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectWindow(ACK, h.ours(0), h.theirs(0), 65535);
    h.expectNothing();
  });

  it("with the peer scaling, our ACK's window is scaled by our shift: 65536 >> 1", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460, 7);
    h.expectWindow(ACK, h.ours(0), h.theirs(0), 32768);
  });

  it("reports connected once", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<u32>(h.conn.takeEvents() & EVENT_CONNECTED).toBe(EVENT_CONNECTED);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<u32>(h.conn.takeEvents() & EVENT_CONNECTED).toBe(0);
  });

  it("the SYN-ACK's own window is never scaled (RFC 7323 2.2)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 1000, 0, 1460, 7);
    expect<i32>(h.conn.sndWnd).toBe(1000);
  });

  it("the window of the next segment is scaled by the peer's shift (RFC 7323 2.3)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 1000, 0, 1460, 7);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(0), 1000);
    expect<i32>(h.conn.sndWnd).toBe(128000);
  });

  it("a SYN-ACK without the window scale option turns scaling off both ways (RFC 7323 2.2)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 1000, 0, 1460);
    h.expectWindow(ACK, h.ours(0), h.theirs(0), 65535);
    h.send(ACK, h.theirs(0), h.ours(0), 1000);
    expect<i32>(h.conn.sndWnd).toBe(1000);
    expect<u8>(h.conn.rcvWindowShift).toBe(0);
  });

  it("an ACK of our ISS (nothing new) asks for a RST and changes nothing", () => {
    const h = synSent();
    expect<i32>(h.send(SYN | ACK, REMOTE_ISS, LOCAL_ISS)).toBe(Verdict.ResetForAck);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
    h.expectNothing();
  });

  it("an ACK beyond our SYN asks for a RST and changes nothing", () => {
    const h = synSent();
    expect<i32>(h.send(SYN | ACK, REMOTE_ISS, h.ours(1))).toBe(Verdict.ResetForAck);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
    h.expectNothing();
  });

  it("a RST with an unacceptable ACK is dropped, never answered", () => {
    const h = synSent();
    expect<i32>(h.send(RST | ACK, 0, h.ours(7))).toBe(Verdict.Ok);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
    h.expectNothing();
  });

  it("a RST with an acceptable ACK refuses the connection: ECONNREFUSED, closed and error events", () => {
    const h = synSent();
    h.send(RST | ACK, 0, h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ECONNREFUSED);
    expect<u32>(h.conn.takeEvents()).toBe(EVENT_CLOSED | EVENT_ERROR);
    h.expectNothing();
  });

  it("a RST without an ACK is ignored (RFC 5961 3.2 for SYN-SENT)", () => {
    const h = synSent();
    h.send(RST, REMOTE_ISS, 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
    h.expectNothing();
  });

  it("an acceptable ACK without SYN is dropped (fourth step: neither SYN nor RST)", () => {
    const h = synSent();
    expect<i32>(h.send(ACK, REMOTE_ISS, h.ours(0))).toBe(Verdict.Ok);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_SENT);
    h.expectNothing();
  });

  it("data on the SYN-ACK is kept and acknowledged (field report 002)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 300, 1460);
    expectReceived(h, h.theirs(0), 300);
    h.expectAck(h.ours(0), h.theirs(300));
  });

  it("a FIN on the SYN-ACK goes to CLOSE-WAIT and is acknowledged", () => {
    const h = synSent();
    h.send(SYN | ACK | FIN, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    h.expectAck(h.ours(0), h.theirs(1));
  });

  it("data and FIN on the SYN-ACK: both kept, ACK after the FIN", () => {
    const h = synSent();
    h.send(SYN | ACK | FIN, REMOTE_ISS, h.ours(0), 65535, 40, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    expectReceived(h, h.theirs(0), 40);
    h.expectAck(h.ours(0), h.theirs(41));
  });

  it("the SYN is retransmitted at 1, 2, 4, 8, 16, 32 s and connect fails with ETIMEDOUT at 127 s (RFC 6298 5.5)", () => {
    const h = synSent();
    const expected: i64[] = [1, 3, 7, 15, 31, 63];
    for (let i = 0; i < expected.length; i++) {
      h.advanceToDeadline();
      expect<i64>(h.now).toBe(expected[i] * SECOND);
      h.expectSegment(SYN, LOCAL_ISS, 0);
    }
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(127 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ETIMEDOUT);
  });

  it("a retransmitted SYN carries the same options", () => {
    const h = synSent();
    h.advanceToDeadline();
    const s = h.expectSegment(SYN, LOCAL_ISS, 0);
    expect<u16>(s.mss).toBe(1460);
    expect<u8>(s.windowScale).toBe(1);
  });

  it("the handshake's round trip is the first RTT sample: 100 ms gives RTO 300 ms (RFC 6298 2.2)", () => {
    const h = synSent();
    h.advance(100 * MS);
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<i64>(h.conn.rtt.srtt).toBe(100 * MS);
    expect<i64>(h.conn.rtt.rttvar).toBe(50 * MS);
    expect<i64>(h.conn.rtt.rto).toBe(300 * MS);
  });

  it("a SYN-ACK after a retransmitted SYN gives no sample (Karn): RTO 3 s for the data (RFC 6298 5.7)", () => {
    const h = synSent();
    h.advanceToDeadline();
    h.expectSegment(SYN, LOCAL_ISS, 0);
    h.advance(10 * MS);
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<u32>(h.conn.rtt.samples).toBe(0);
    expect<i64>(h.conn.rtt.rto).toBe(3 * SECOND);
  });

  it("data written in SYN-SENT waits for the handshake, then leaves with the first ACK", () => {
    const h = synSent();
    expect<i32>(h.write(100)).toBe(100);
    h.expectNothing();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    const e = h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
    expectStreamBytes(e, 0);
    h.expectNothing();
  });

  it("shutdown in SYN-SENT: the FIN follows the handshake and we are in FIN-WAIT-1", () => {
    const h = synSent();
    expect<i32>(h.conn.shutdownWrite()).toBe(0);
    h.expectNothing();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_1);
    h.expectSegment(ACK | FIN, h.ours(0), h.theirs(0));
  });

  it("close in SYN-SENT deletes the connection at once and sends nothing (RFC 9293 3.10.4)", () => {
    const h = synSent();
    expect<bool>(h.conn.close(h.now)).toBe(true);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    h.expectNothing();
    h.advance(10 * SECOND);
    h.expectNothing();
  });
});

describe("tcp open: MSS (RFC 9293 3.7.1)", () => {
  it("the peer's MSS of 536 cuts our data into 536-byte segments", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 536);
    h.drain();
    h.write(1000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 536);
    h.expectSegment(ACK | PSH, h.ours(536), h.theirs(0), 464);
  });

  it("a peer without the MSS option gets 536-byte segments", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0);
    h.drain();
    h.write(600);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 536);
  });

  it("a peer MSS above ours is clamped to ours (1460)", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 9000);
    h.drain();
    h.write(2000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 1460);
  });

  it("a hostile MSS of 10 is raised to 64", () => {
    const h = synSent();
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 10);
    h.drain();
    h.write(100);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 64);
  });
});

describe("tcp open: simultaneous open (RFC 9293 3.5 figure 8)", () => {
  it("a SYN in SYN-SENT moves to SYN-RECEIVED and answers SYN-ACK with our options", () => {
    const h = synSent();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460, 7);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
    const s = h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    expect<u16>(s.mss).toBe(1460);
    expect<bool>(s.hasWindowScale).toBe(true);
    expect<u8>(s.windowScale).toBe(1);
  });

  it("the peer's SYN-ACK completes it: ESTABLISHED and an ACK, as figure 8 line 6", () => {
    const h = synSent();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460);
    h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    h.send(SYN | ACK, REMOTE_ISS, h.ours(0), 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
    h.expectNothing();
  });

  it("the peer's plain ACK of our SYN completes it as well", () => {
    const h = synSent();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460);
    h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    h.send(ACK, h.theirs(0), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectNothing();
  });

  it("a RST then refuses it: ECONNREFUSED (active open, RFC 9293 3.10.7.4 second)", () => {
    const h = synSent();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460);
    h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    h.send(RST, h.theirs(0), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(-Errno.ECONNREFUSED);
  });
});

describe("tcp open: SYN-RECEIVED (passive open)", () => {
  it("our SYN-ACK carries MSS and no window scale when the peer's SYN had none", () => {
    const h = synReceived();
    expect<u16>(h.output.options.mss).toBe(1460);
    expect<bool>(h.output.options.hasWindowScale).toBe(false);
    expect<u16>(h.output.window).toBe(65535);
  });

  it("our SYN-ACK answers a scaling SYN with our shift", () => {
    const h = synReceived(defaultParams(), 1460, 7);
    expect<bool>(h.output.options.hasWindowScale).toBe(true);
    expect<u8>(h.output.options.windowScale).toBe(1);
  });

  it("the handshake ACK moves to ESTABLISHED, reports connected and needs no answer", () => {
    const h = synReceived();
    h.send(ACK, h.theirs(0), h.ours(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    expect<u32>(h.conn.takeEvents() & EVENT_CONNECTED).toBe(EVENT_CONNECTED);
    h.expectNothing();
  });

  it("the handshake ACK's window is scaled by the peer's shift", () => {
    const h = synReceived(defaultParams(), 1460, 7);
    h.send(ACK, h.theirs(0), h.ours(0), 100);
    expect<i32>(h.conn.sndWnd).toBe(12800);
  });

  it("data on the handshake ACK is kept, bytes intact (field report 002)", () => {
    const h = synReceived();
    h.data(h.theirs(0), h.ours(0), 700);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    expectReceived(h, h.theirs(0), 700);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(700));
  });

  it("data and FIN on the handshake ACK: CLOSE-WAIT with the data kept", () => {
    const h = synReceived();
    h.send(ACK | FIN, h.theirs(0), h.ours(0), 65535, 20);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    expectReceived(h, h.theirs(0), 20);
    // Short data and a FIN in what became ESTABLISHED: the ACK is delayed.
    h.expectNothing();
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(21));
  });

  it("an ACK of our ISS asks for a RST (RFC 9293 3.10.7.4 fifth, SYN-RECEIVED)", () => {
    const h = synReceived();
    expect<i32>(h.send(ACK, h.theirs(0), LOCAL_ISS)).toBe(Verdict.ResetForAck);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
  });

  it("an ACK beyond our SYN asks for a RST", () => {
    const h = synReceived();
    expect<i32>(h.send(ACK, h.theirs(0), h.ours(5))).toBe(Verdict.ResetForAck);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
  });

  it("a segment without ACK is dropped (fifth step)", () => {
    const h = synReceived();
    h.send(PSH, h.theirs(0), 0, 65535, 10);
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
    expect<i32>(h.conn.recvBuf.len).toBe(0);
    h.expectNothing();
  });

  it("a retransmitted SYN is answered with our SYN-ACK again", () => {
    const h = synReceived();
    h.send(SYN, REMOTE_ISS, 0, 65535, 0, 1460);
    h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_SYN_RECEIVED);
  });

  it("the SYN-ACK is retransmitted at 1, 3, 7, 15, 31 s; the half-open connection goes at 63 s without error", () => {
    const h = synReceived();
    const expected: i64[] = [1, 3, 7, 15, 31];
    for (let i = 0; i < expected.length; i++) {
      h.advanceToDeadline();
      expect<i64>(h.now).toBe(expected[i] * SECOND);
      h.expectSegment(SYN | ACK, LOCAL_ISS, h.theirs(0));
    }
    h.advanceToDeadline();
    expect<i64>(h.now).toBe(63 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
    expect<i32>(h.conn.reclaimedBy).toBe(RECLAIMED_BY_HALF_OPEN_TIMEOUT);
  });

  it("an exact RST drops the half-open connection without error (back to LISTEN)", () => {
    const h = synReceived();
    h.send(RST, h.theirs(0), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
    expect<i32>(h.conn.error).toBe(0);
    h.expectNothing();
  });

  it("the peer's MSS of 536 from its SYN sizes our segments", () => {
    const h = synReceived(defaultParams(), 536);
    h.send(ACK, h.theirs(0), h.ours(0));
    h.write(1000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 536);
  });

  it("data written in SYN-RECEIVED leaves after the handshake ACK", () => {
    const h = synReceived();
    h.write(10);
    h.expectNothing();
    h.send(ACK, h.theirs(0), h.ours(0));
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
  });

  it("the SYN-ACK's ACK gives the first RTT sample (passive open)", () => {
    const h = synReceived();
    h.advance(40 * MS);
    h.send(ACK, h.theirs(0), h.ours(0));
    expect<u32>(h.conn.rtt.samples).toBe(1);
    expect<i64>(h.conn.rtt.srtt).toBe(40 * MS);
  });
});
