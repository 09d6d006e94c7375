// Sending and ACK processing: the initial window and slow start (RFC 6928, RFC 5681 3.1), the
// peer's scaled window (RFC 7323 2.3), SND.WL1/WL2 (RFC 9293 3.10.7.4 fifth), duplicate ACKs and
// NewReno (RFC 5681 3.2, RFC 6582), send buffer limits, and RTT samples (RFC 6298 2).
import { EVENT_WRITABLE } from "../../bindings/layout";
import { established, defaultParams, expectStreamBytes, ACK, PSH, MS } from "./tcp_harness";

describe("tcp send: windows", () => {
  it("the initial window is 10 segments (RFC 6928): 20 queued, 10 sent", () => {
    const h = established();
    h.write(1460 * 20);
    for (let i = 0; i < 10; i++) h.expectSegment(ACK, h.ours(i * 1460), h.theirs(0), 1460);
    h.expectNothing();
  });

  it("slow start: an ACK of two segments lets four more go (cwnd + 2 MSS)", () => {
    const h = established();
    h.write(1460 * 20);
    expect<i32>(h.drain()).toBe(10);
    h.send(ACK, h.theirs(0), h.ours(2920));
    for (let i = 10; i < 14; i++) {
      const e = h.expectSegment(ACK, h.ours(i * 1460), h.theirs(0), 1460);
      expectStreamBytes(e, i * 1460);
    }
    h.expectNothing();
  });

  it("the peer's window field is scaled by its shift: 1000 << 2 lets two full segments go", () => {
    const h = established(defaultParams(), 2);
    h.send(ACK, h.theirs(0), h.ours(0), 1000);
    expect<i32>(h.conn.sndWnd).toBe(4000);
    h.write(10000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 1460);
    h.expectSegment(ACK, h.ours(1460), h.theirs(0), 1460);
    h.expectNothing();
  });

  it("with shift 14 a window field of 4 is 65536 bytes", () => {
    const h = established(defaultParams(), 14);
    h.send(ACK, h.theirs(0), h.ours(0), 4);
    expect<i32>(h.conn.sndWnd).toBe(65536);
  });

  it("a window from an older segment is ignored (SND.WL1 / SND.WL2)", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 100, 5000);
    h.send(ACK, h.theirs(100), h.ours(0), 9000);
    expect<i32>(h.conn.sndWnd).toBe(9000);
    // Acceptable (it ends inside the window) but older than SND.WL1: its window is stale.
    h.data(h.theirs(50), h.ours(0), 100, 100);
    expect<i32>(h.conn.sndWnd).toBe(9000);
    expect<i32>(h.conn.recvBuf.len).toBe(150);
  });

  it("a window update at the same SEG.SEQ and SEG.ACK is taken", () => {
    const h = established();
    h.send(ACK, h.theirs(0), h.ours(0), 2000);
    h.send(ACK, h.theirs(0), h.ours(0), 3000);
    expect<i32>(h.conn.sndWnd).toBe(3000);
  });

  it("a shrunk window holds data back until it opens", () => {
    const h = established();
    h.send(ACK, h.theirs(0), h.ours(0), 1460);
    h.write(3000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 1460);
    h.expectNothing();
    h.send(ACK, h.theirs(0), h.ours(1460), 65535);
    h.expectSegment(ACK, h.ours(1460), h.theirs(0), 1460);
    h.expectSegment(ACK | PSH, h.ours(2920), h.theirs(0), 80);
  });
});

describe("tcp send: the send buffer", () => {
  it("a write larger than the ring takes what fits; a further write takes nothing", () => {
    const h = established();
    expect<i32>(h.write(100000)).toBe(65536);
    expect<i32>(h.conn.writeRoom()).toBe(0);
    expect<i32>(h.write(1)).toBe(0);
  });

  it("an ACK frees room and reports writable", () => {
    const h = established();
    h.write(65536);
    h.drain();
    h.conn.takeEvents();
    h.send(ACK, h.theirs(0), h.ours(1460));
    expect<i32>(h.conn.writeRoom()).toBe(1460);
    expect<u32>(h.conn.takeEvents() & EVENT_WRITABLE).toBe(EVENT_WRITABLE);
  });

  it("the ACK round trip is an RTT sample (RFC 6298 2.3)", () => {
    const h = established();
    h.write(100);
    h.drain();
    h.advance(80 * MS);
    h.send(ACK, h.theirs(0), h.ours(100));
    expect<u32>(h.conn.rtt.samples).toBe(2);
    expect<i64>(h.conn.rtt.srtt).toBe(10 * MS);
    expect<i64>(h.conn.rtt.rttvar).toBe(20 * MS);
  });
});

describe("tcp send: duplicate ACKs and NewReno (RFC 5681 3.2, RFC 6582 3.2)", () => {
  it("a duplicate that changes the window does not count (RFC 5681 2)", () => {
    const h = established();
    h.write(1460 * 6);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460));
    h.send(ACK, h.theirs(0), h.ours(1460), 60000);
    h.send(ACK, h.theirs(0), h.ours(1460), 60000);
    h.send(ACK, h.theirs(0), h.ours(1460), 60000);
    h.expectNothing();
  });

  it("a segment with data is not a duplicate ACK", () => {
    const h = established();
    h.write(1460 * 6);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460));
    for (let i = 0; i < 3; i++) h.data(h.theirs(i * 10), h.ours(1460), 10);
    h.drain();
    h.advance(10 * MS);
    expect<i32>(h.conn.sndUna).toBe(<i32>h.ours(1460));
    expect<bool>(h.conn.cc.inRecovery).toBe(false);
  });

  it("the third duplicate halves ssthresh and resends the first unacknowledged segment", () => {
    const h = established();
    h.write(1460 * 6);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460));
    for (let i = 0; i < 3; i++) h.send(ACK, h.theirs(0), h.ours(1460));
    const e = h.expectSegment(ACK, h.ours(1460), h.theirs(0), 1460);
    expectStreamBytes(e, 1460);
    // RFC 5681 eq. 4: FlightSize / 2 = (6 - 1) * 1460 / 2.
    expect<i32>(h.conn.cc.ssthresh).toBe(3650);
    h.expectNothing();
  });

  it("a partial ACK in recovery resends the next hole at once (RFC 6582 3.2 step 5)", () => {
    const h = established();
    h.write(1460 * 6);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460));
    for (let i = 0; i < 3; i++) h.send(ACK, h.theirs(0), h.ours(1460));
    h.expectSegment(ACK, h.ours(1460), h.theirs(0), 1460);
    h.send(ACK, h.theirs(0), h.ours(4380));
    h.expectSegment(ACK, h.ours(4380), h.theirs(0), 1460);
    expect<bool>(h.conn.cc.inRecovery).toBe(true);
  });

  it("a full ACK ends recovery with cwnd at most ssthresh", () => {
    const h = established();
    h.write(1460 * 6);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460));
    for (let i = 0; i < 3; i++) h.send(ACK, h.theirs(0), h.ours(1460));
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(1460 * 6));
    expect<bool>(h.conn.cc.inRecovery).toBe(false);
    expect<bool>(h.conn.cc.cwnd <= h.conn.cc.ssthresh).toBe(true);
    expect<i32>(h.conn.sendBuf.len).toBe(0);
  });
});

describe("tcp send: cwnd grows only while it limits (RFC 7661)", () => {
  it("an application-limited sender's cwnd stays where it was", () => {
    const h = established();
    const cwnd = h.conn.cc.cwnd;
    // 100 round trips of one small write each: never near the window.
    for (let i = 0; i < 100; i++) {
      h.write(100);
      h.expectSegment(ACK | PSH, h.ours(i * 100), h.theirs(0), 100);
      h.send(ACK, h.theirs(0), h.ours((i + 1) * 100));
    }
    expect<i32>(h.conn.cc.cwnd).toBe(cwnd);
  });

  it("a sender that fills cwnd grows it in slow start", () => {
    const h = established();
    const cwnd = h.conn.cc.cwnd;
    h.write(cwnd);
    const segments = h.drain();
    expect<i32>(segments).toBe(cwnd / 1460 + (cwnd % 1460 != 0 ? 1 : 0));
    h.send(ACK, h.theirs(0), h.ours(cwnd));
    expect<i32>(h.conn.cc.cwnd).toBe(2 * cwnd);
  });
});
