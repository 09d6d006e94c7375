// Receiving: in-order and out-of-order text (RFC 9293 3.10.7.4 seventh), ACK pacing (RFC 9293
// 3.8.6.3: at least every second full segment, at once for out-of-order data or a filled hole),
// the window we advertise and receiver silly-window avoidance (RFC 9293 3.8.6.2.2).
import { TCP_STATE_ESTABLISHED, EVENT_READABLE } from "../../bindings/layout";
import { TcpHarness, established, defaultParams, expectReceived, ACK, FIN, PSH } from "./tcp_harness";

function small(): TcpHarness {
  const p = defaultParams();
  p.recvBytes = 4096;
  return established(p);
}

describe("tcp receive: in order", () => {
  it("bytes land in the ring intact and readable is reported", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 1000);
    expectReceived(h, h.theirs(0), 1000);
    expect<u32>(h.conn.takeEvents() & EVENT_READABLE).toBe(EVENT_READABLE);
  });

  it("four full segments get two ACKs, each after the second", () => {
    const h = established();
    for (let i = 0; i < 4; i++) {
      h.data(h.theirs(i * 1460), h.ours(0), 1460);
      if ((i & 1) == 1) h.expectAck(h.ours(0), h.theirs((i + 1) * 1460));
      else h.expectNothing();
    }
  });

  it("a full segment then a short one are ACKed at once: more than one full segment's worth waits (as Linux)", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.expectNothing();
    // The tail of a write: with it unacknowledged, the sender's Nagle would hold its next short
    // segment for this ACK, and a delayed ACK would stall both for the whole delay.
    h.data(h.theirs(1460), h.ours(0), 1296);
    h.expectAck(h.ours(0), h.theirs(2756));
    // One short segment alone still waits for the delay.
    h.data(h.theirs(2756), h.ours(0), 624);
    h.expectNothing();
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(3380));
  });

  it("the advertised window shrinks by what is buffered and unread", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.expectWindow(ACK, h.ours(0), h.theirs(2920), 65535 - 2920);
  });

  it("a full ring advertises a zero window", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.drain();
    h.data(h.theirs(2920), h.ours(0), 1176);
    h.advance(h.params.delayedAck);
    h.expectWindow(ACK, h.ours(0), h.theirs(4096), 0);
  });
});

describe("tcp receive: silly-window avoidance (RFC 9293 3.8.6.2.2)", () => {
  it("reading less than min(MSS, half the ring) from a full ring announces nothing", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.data(h.theirs(2920), h.ours(0), 1176);
    h.drain();
    h.read(1000);
    h.expectNothing();
  });

  it("reading enough announces the new window at once", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.data(h.theirs(2920), h.ours(0), 1176);
    h.drain();
    h.read(1000);
    h.read(500);
    h.expectWindow(ACK, h.ours(0), h.theirs(4096), 1500);
  });

  it("a small read keeps the promised right edge in the next ACK's window", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1000);
    h.read(10);
    h.advance(h.params.delayedAck);
    h.expectWindow(ACK, h.ours(0), h.theirs(1000), 3096);
  });

  it("no window update once the peer has finished: reading a full ring after its FIN sends nothing", () => {
    const h = small();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.send(ACK | FIN | PSH, h.theirs(2920), h.ours(0), 65535, 1176);
    h.expectWindow(ACK, h.ours(0), h.theirs(4097), 0);
    h.read(4096);
    h.expectNothing();
  });
});

describe("tcp receive: out of order (RFC 9293 3.10.7.4 seventh, RFC 5681 4.2)", () => {
  it("two holes: each segment after a hole is ACKed at once with the old ACK", () => {
    const h = established();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(3000), h.ours(0), 500);
    h.expectAck(h.ours(0), h.theirs(0));
    expect<i32>(h.conn.recvBuf.len).toBe(0);
  });

  it("filling the first hole moves the ACK to the second, at once", () => {
    const h = established();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.data(h.theirs(3000), h.ours(0), 500);
    h.drain();
    h.data(h.theirs(0), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(1500));
    expectReceived(h, h.theirs(0), 1500);
  });

  it("filling the second hole delivers everything", () => {
    const h = established();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.data(h.theirs(3000), h.ours(0), 500);
    h.data(h.theirs(0), h.ours(0), 1000);
    h.drain();
    h.data(h.theirs(1500), h.ours(0), 1500);
    h.expectAck(h.ours(0), h.theirs(3500));
    expectReceived(h, h.theirs(0), 3500);
  });

  it("a duplicate of out-of-order data is ACKed again and stored once", () => {
    const h = established();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.drain();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(0), h.ours(0), 1000);
    expectReceived(h, h.theirs(0), 1500);
  });

  it("overlapping out-of-order pieces merge", () => {
    const h = established();
    h.data(h.theirs(1000), h.ours(0), 500);
    h.data(h.theirs(1200), h.ours(0), 800);
    h.data(h.theirs(0), h.ours(0), 1000);
    expectReceived(h, h.theirs(0), 2000);
  });

  it("a FIN beyond a hole waits; the state stays ESTABLISHED until the hole fills", () => {
    const h = established();
    h.send(ACK | FIN, h.theirs(500), h.ours(0), 65535, 100);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    expect<bool>(h.conn.peerFinished).toBe(false);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(0), h.ours(0), 500);
    expect<bool>(h.conn.peerFinished).toBe(true);
    h.expectAck(h.ours(0), h.theirs(601));
  });

  it("out-of-order data beyond the ring's room is trimmed to it", () => {
    const h = small();
    h.data(h.theirs(3000), h.ours(0), 1460);
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1540);
    expectReceived(h, h.theirs(0), 4096);
  });

  it("out-of-order segments taken in one batch get one bare duplicate ACK each", () => {
    const h = established();
    for (let i = 1; i <= 3; i++) h.data(h.theirs(1460 * i), h.ours(0), 1460);
    for (let i = 0; i < 3; i++) h.expectAck(h.ours(0), h.theirs(0));
    h.expectNothing();
  });

  it("the duplicate ACKs go out bare ahead of data waiting to be sent (data is no duplicate ACK)", () => {
    const h = established();
    h.write(100);
    for (let i = 1; i <= 3; i++) h.data(h.theirs(1460 * i), h.ours(0), 1460);
    for (let i = 0; i < 3; i++) h.expectAck(h.ours(0), h.theirs(0));
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 100);
    h.expectNothing();
  });

  it("a batch that ends by filling the hole owes one ACK, not the duplicates before it", () => {
    const h = established();
    for (let i = 1; i <= 3; i++) h.data(h.theirs(1460 * i), h.ours(0), 1460);
    h.data(h.theirs(0), h.ours(0), 1460);
    h.expectAck(h.ours(0), h.theirs(4 * 1460));
    h.expectNothing();
  });

  it("at most 64 duplicate ACKs are owed at once, however many segments came", () => {
    const h = established();
    for (let i = 0; i < 100; i++) h.data(h.theirs(1000 + 10 * i), h.ours(0), 10);
    expect<i32>(h.drain()).toBe(64);
  });

  it("with maxHoles 1 a second hole is dropped, not stored; the peer resends it", () => {
    const p = defaultParams();
    p.maxHoles = 1;
    const h = established(p);
    h.data(h.theirs(1000), h.ours(0), 100);
    h.data(h.theirs(3000), h.ours(0), 100);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(0), h.ours(0), 1000);
    expectReceived(h, h.theirs(0), 1100);
  });
});
