// After a retransmission timeout sndNxt goes back to sndUna (go-back-N), but the peer may already
// hold everything up to sndMax: its RCV.NXT is there. A segment without data that carried the
// rewound sndNxt would fall left of the peer's window (RFC 9293 3.10.7.4 first check) and be dropped
// with its ACK; when both sides are in go-back-N at once (a transfer each way under loss) each
// drops every ACK of the other and the connection stalls for good. So ACKs and RSTs carry sndMax,
// the sequence number the peer expects next (4.4BSD sends bare ACKs at snd_max for this reason).
import { TCP_STATE_CLOSED } from "../../bindings/layout";
import { TcpHarness, established, ACK, PSH, RST } from "./tcp_harness";

const FULL: i32 = 1460;
const WRITTEN: i32 = 3 * FULL;

/** ESTABLISHED with three full segments sent and the RTO expired: sndNxt rewound to sndUna + 1460. */
function rewound(): TcpHarness {
  const h = established();
  h.write(WRITTEN);
  expect<i32>(h.drain()).toBe(3);
  h.advanceToDeadline();
  h.expectSegment(ACK, h.ours(0), h.theirs(0), FULL);
  return h;
}

describe("tcp go-back-N: segments without data carry sndMax", () => {
  it("the ACK for the peer's data after an RTO carries the highest sequence number sent", () => {
    const h = rewound();
    // The peer, which has all 3 segments, sends data whose ACK of them is lost on the way to us.
    h.data(h.theirs(0), h.ours(0), 2 * FULL);
    h.expectAck(h.ours(WRITTEN), h.theirs(2 * FULL));
  });

  it("the answer to an old retransmission of the peer's carries sndMax too", () => {
    const h = established();
    h.data(h.theirs(0), h.ours(0), FULL);
    h.write(WRITTEN);
    h.drain();
    h.advanceToDeadline();
    h.expectSegment(ACK, h.ours(0), h.theirs(FULL), FULL);
    // Both sides in go-back-N: the peer resends what we already have (left of our window).
    h.data(h.theirs(0), h.ours(0), FULL);
    h.expectAck(h.ours(WRITTEN), h.theirs(FULL));
  });

  it("an abort after an RTO resets at sndMax, where the peer's window starts", () => {
    const h = rewound();
    h.conn.abort();
    h.expectSegment(RST | ACK, h.ours(WRITTEN), h.theirs(0));
    expect<i32>(h.conn.state).toBe(TCP_STATE_CLOSED);
  });

  it("once the ACK arrives, sending goes on from there", () => {
    const h = rewound();
    h.send(ACK, h.theirs(0), h.ours(WRITTEN));
    h.write(100);
    h.expectSegment(ACK | PSH, h.ours(WRITTEN), h.theirs(0), 100);
  });
});
