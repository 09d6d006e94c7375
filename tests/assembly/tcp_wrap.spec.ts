// Sequence numbers across 2^32 (field report 004): with both ISSs within 4 KiB of the wrap, data,
// acknowledgments, holes, FINs, timers and checks all work in modular arithmetic (RFC 9293 3.4,
// RFC 1982), both ways. Every number is named through h.ours / h.theirs, which wrap as u32 does.
import {
  TCP_STATE_ESTABLISHED, TCP_STATE_CLOSE_WAIT, TCP_STATE_TIME_WAIT, TCP_STATE_CLOSED,
  TCP_STATE_FIN_WAIT_2,
} from "../../bindings/layout";
import {
  TcpHarness, synSent, established, passiveEstablished, finWait1, defaultParams, expectReceived,
  expectStreamBytes, SYN, ACK, FIN, RST, PSH, SECOND,
} from "./tcp_harness";

/** Our ISS: 4096 sequence numbers below 2^32, so our byte 4095 is the last before the wrap. */
const WRAP_LOCAL_ISS: u32 = 0xfffff000;
/** The peer's ISS: its byte 1023 is the last before the wrap. */
const WRAP_REMOTE_ISS: u32 = 0xfffffc00;

function wrapped(): TcpHarness {
  return established(defaultParams(), -1, WRAP_LOCAL_ISS, WRAP_REMOTE_ISS);
}

describe("tcp wrap: opening (field report 004)", () => {
  it("an ISS of 2^32 - 1: the SYN takes the last number, data starts at 0", () => {
    const h = synSent(defaultParams(), 0xffffffff, WRAP_REMOTE_ISS);
    h.send(SYN | ACK, WRAP_REMOTE_ISS, 0, 65535, 0, 1460);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(0, h.theirs(0));
    h.write(100);
    h.expectSegment(ACK | PSH, 0, h.theirs(0), 100);
  });

  it("a peer ISS of 2^32 - 1: its data starts at 0 and is acknowledged there", () => {
    const h = established(defaultParams(), -1, WRAP_LOCAL_ISS, 0xffffffff);
    h.data(0, h.ours(0), 1460);
    h.data(1460, h.ours(0), 1460);
    h.expectAck(h.ours(0), 2920);
    expectReceived(h, 0, 2920);
  });

  it("passive open near the wrap keeps data on the handshake ACK (field reports 002 and 004)", () => {
    const h = passiveEstablished(defaultParams(), -1, WRAP_LOCAL_ISS, WRAP_REMOTE_ISS);
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.expectAck(h.ours(0), h.theirs(2920));
    expectReceived(h, h.theirs(0), 2920);
  });
});

describe("tcp wrap: sending across 2^32", () => {
  it("a first small write leaves at once with an ISS in the upper half of the space (Nagle, RFC 9293 3.7.4)", () => {
    const h = wrapped();
    h.write(10);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
  });

  it("the same holds for an ISS of 2^31 + 256, far from the wrap", () => {
    const h = established(defaultParams(), -1, 0x80000100, WRAP_REMOTE_ISS);
    h.write(10);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10);
  });

  it("Nagle still holds the second small write until the first is acknowledged, across the wrap", () => {
    const h = wrapped();
    h.write(4090);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(4090));
    h.write(10);
    h.expectSegment(ACK | PSH, h.ours(4090), h.theirs(0), 10);
    h.write(10);
    h.expectNothing();
    h.send(ACK, h.theirs(0), h.ours(4100));
    h.expectSegment(ACK | PSH, h.ours(4100), h.theirs(0), 10);
  });

  it("8000 bytes go out in MSS segments across the wrap with the right bytes and numbers", () => {
    const h = wrapped();
    h.write(8000);
    for (let k = 0; k < 5; k++) {
      const e = h.expectSegment(ACK, h.ours(k * 1460), h.theirs(0), 1460);
      expectStreamBytes(e, k * 1460);
    }
    const last = h.expectSegment(ACK | PSH, h.ours(7300), h.theirs(0), 700);
    expectStreamBytes(last, 7300);
    expect<bool>(h.ours(7300) < h.ours(0)).toBe(true, "the sequence numbers wrapped");
  });

  it("an ACK beyond the wrap frees exactly the acknowledged bytes", () => {
    const h = wrapped();
    h.write(8000);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(5000));
    expect<i32>(h.conn.sendBuf.len).toBe(3000);
    h.send(ACK, h.theirs(0), h.ours(8000));
    expect<i32>(h.conn.sendBuf.len).toBe(0);
    expect<i64>(h.conn.rtoDeadline).toBe(i64.MAX_VALUE);
  });

  it("an ACK from before the wrap, once sndUna has passed it, is old: it frees nothing", () => {
    const h = wrapped();
    h.write(8000);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(5000));
    h.send(ACK, h.theirs(0), h.ours(3000));
    expect<i32>(h.conn.sendBuf.len).toBe(3000);
    expect<u32>(h.conn.sndUna).toBe(h.ours(5000));
  });

  it("an ACK of data never sent, past the wrap, is answered and dropped (RFC 9293 3.10.7.4 fifth)", () => {
    const h = wrapped();
    h.write(1000);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(9000));
    h.expectAck(h.ours(1000), h.theirs(0));
    expect<i32>(h.conn.sendBuf.len).toBe(1000);
  });

  it("a segment straddling the wrap is retransmitted whole after the RTO", () => {
    const h = wrapped();
    h.write(4000);
    h.drain();
    h.send(ACK, h.theirs(0), h.ours(2920));
    h.advanceToDeadline();
    const e = h.expectSegment(ACK | PSH, h.ours(2920), h.theirs(0), 1080);
    expectStreamBytes(e, 2920);
    expect<bool>(h.ours(2920 + 1080) < h.ours(2920)).toBe(false, "this one ends before the wrap");
    h.write(2000);
    h.send(ACK, h.theirs(0), h.ours(4000));
    const w = h.expectSegment(ACK, h.ours(4000), h.theirs(0), 1460);
    expectStreamBytes(w, 4000);
    expect<bool>(h.ours(5460) < h.ours(4000)).toBe(true, "this one crosses it");
  });

  it("three duplicate ACKs at the wrap retransmit the segment after it", () => {
    const h = wrapped();
    h.write(1460 * 6);
    expect<i32>(h.drain()).toBe(6);
    h.send(ACK, h.theirs(0), h.ours(2920));
    for (let i = 0; i < 3; i++) h.send(ACK, h.theirs(0), h.ours(2920));
    const e = h.expectSegment(ACK, h.ours(2920), h.theirs(0), 1460);
    expectStreamBytes(e, 2920);
  });

  it("our FIN right after the wrap is acknowledged into FIN-WAIT-2", () => {
    const h = wrapped();
    h.write(4200);
    h.drain();
    h.conn.shutdownWrite();
    h.send(ACK, h.theirs(0), h.ours(4200));
    h.expectSegment(ACK | FIN, h.ours(4200), h.theirs(0));
    h.send(ACK, h.theirs(0), h.ours(4201));
    expect<i32>(h.conn.state).toBe(TCP_STATE_FIN_WAIT_2);
  });

  it("a zero-window probe at sndUna = 0 carries 2^32 - 1", () => {
    const h = established(defaultParams(), -1, 0xffffffff, WRAP_REMOTE_ISS);
    h.send(ACK, h.theirs(0), 0, 0);
    h.write(10);
    h.expectNothing();
    h.advanceToDeadline();
    h.expectAck(0xffffffff, h.theirs(0));
  });
});

describe("tcp wrap: receiving across 2^32", () => {
  it("in-order data across the wrap: ACKs every second segment, bytes intact", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1000);
    h.expectNothing();
    h.data(h.theirs(1000), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(2000));
    h.data(h.theirs(2000), h.ours(0), 1000);
    h.data(h.theirs(3000), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(4000));
    expectReceived(h, h.theirs(0), 4000);
  });

  it("out of order across the wrap: the part after it first, then the hole before it", () => {
    const h = wrapped();
    h.data(h.theirs(1000), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(0), h.ours(0), 1000);
    h.expectAck(h.ours(0), h.theirs(2000));
    expectReceived(h, h.theirs(0), 2000);
  });

  it("a retransmission overlapping the wrap delivers only the new part", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1000);
    h.data(h.theirs(500), h.ours(0), 1000);
    expectReceived(h, h.theirs(0), 1500);
  });

  it("a segment wholly before rcvNxt across the wrap is a duplicate: ACKed, not stored", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.expectAck(h.ours(0), h.theirs(2920));
    h.data(h.theirs(1000), h.ours(0), 500);
    h.expectAck(h.ours(0), h.theirs(2920));
    expect<i32>(h.conn.recvBuf.len).toBe(2920);
  });

  it("data beyond the window's right edge after the wrap is trimmed to the window", () => {
    const p = defaultParams();
    p.recvBytes = 4096;
    const h = established(p, -1, WRAP_LOCAL_ISS, WRAP_REMOTE_ISS);
    h.data(h.theirs(0), h.ours(0), 1460);
    h.data(h.theirs(1460), h.ours(0), 1460);
    h.data(h.theirs(2920), h.ours(0), 1460);
    expect<i32>(h.conn.recvBuf.len).toBe(4096);
    expectReceived(h, h.theirs(0), 4096);
    h.drain();
    expect<u32>(h.conn.rcvNxt).toBe(h.theirs(4096));
  });

  it("the peer's FIN right after the wrap: CLOSE-WAIT, ACK one past it", () => {
    const h = wrapped();
    h.send(ACK | FIN | PSH, h.theirs(0), h.ours(0), 65535, 1100);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    h.advance(h.params.delayedAck);
    h.expectAck(h.ours(0), h.theirs(1101));
  });

  it("a FIN after a hole across the wrap waits for the hole", () => {
    const h = wrapped();
    h.send(ACK | FIN, h.theirs(1000), h.ours(0), 65535, 200);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectAck(h.ours(0), h.theirs(0));
    h.data(h.theirs(0), h.ours(0), 1000);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSE_WAIT);
    h.expectAck(h.ours(0), h.theirs(1201));
  });

  it("an exact RST at a sequence number past the wrap resets", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1100);
    h.send(RST, h.theirs(1100), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("a RST one before rcvNxt across the wrap is out of the window: dropped silently", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1100);
    h.drain();
    h.send(RST, h.theirs(1099), 0);
    expect<i32>(h.conn.state).toBe(TCP_STATE_ESTABLISHED);
    h.expectNothing();
  });

  it("a window update from a segment after the wrap is taken (SND.WL1 compared modulo 2^32)", () => {
    const h = wrapped();
    h.data(h.theirs(0), h.ours(0), 1100, 65535);
    h.send(ACK, h.theirs(1100), h.ours(0), 3000);
    expect<i32>(h.conn.sndWnd).toBe(3000);
    h.send(ACK, h.theirs(0), h.ours(0), 9000);
    expect<i32>(h.conn.sndWnd).toBe(3000);
  });

  it("TIME-WAIT across the wrap: a retransmitted FIN is answered, then CLOSED after 2 MSL", () => {
    const h = finWait1(defaultParams(), -1, 0xffffffff, 0xffffffff);
    h.send(ACK | FIN, h.theirs(0), h.ours(1));
    expect<i32>(h.conn.state).toBe(TCP_STATE_TIME_WAIT);
    h.expectAck(1, 1);
    h.send(ACK | FIN, 0, 1);
    h.expectAck(1, 1);
    h.advance(60 * SECOND);
    h.expectNothing();
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });
});
