// Segmentation offload from TCP's side: a segment that goes to a device that cuts it
// (dispatch's cutByDevice) carries as many MSS-sized segments as the windows allow, plus the small
// tail exactly when that tail would have gone on its own right after them, so the segments the
// device cuts are the ones TCP would have sent one by one (Nagle in Minshall's form, RFC 9293
// 3.7.4; sender silly-window avoidance, 3.8.6.2.1; the initial window, RFC 6928).
import { TcpHarness, established, expectStreamBytes, ACK, PSH, FIN } from "./tcp_harness";

/** Payload room of a transmit buffer for a 65,535-byte IPv4 packet: minus IPv4 and TCP headers. */
const DEVICE_ROOM: i32 = 65535 - 20 - 20;
const MSS: i32 = 1460;
/** RFC 6928: 10 segments. */
const INITIAL_WINDOW: i32 = 10 * MSS;

/** ESTABLISHED, its segments going to a device that cuts them, with a whole packet's room. */
function cutting(): TcpHarness {
  const h = established();
  h.deviceRoom = DEVICE_ROOM;
  return h;
}

describe("tcp segmentation offload: what one large segment carries", () => {
  it("a 20-segment write leaves as one segment of the initial window, 10 MSS", () => {
    const h = cutting();
    h.write(MSS * 20);
    const e = h.expectSegment(ACK, h.ours(0), h.theirs(0), INITIAL_WINDOW);
    expectStreamBytes(e, 0);
    h.expectNothing();
  });

  it("the ACK of that window lets the other 10 segments go as one, PSH on it (the end of the write)", () => {
    const h = cutting();
    h.write(MSS * 20);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), INITIAL_WINDOW);
    h.send(ACK, h.theirs(0), h.ours(INITIAL_WINDOW));
    const e = h.expectSegment(ACK | PSH, h.ours(INITIAL_WINDOW), h.theirs(0), INITIAL_WINDOW);
    expectStreamBytes(e, INITIAL_WINDOW);
    h.expectNothing();
  });

  it("a 10,000-byte write goes whole, its 1,240-byte tail included: nothing small is in flight", () => {
    const h = cutting();
    h.write(10000);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10000);
    h.expectNothing();
  });

  it("while that tail is unacknowledged a further write sends only full segments; its tail waits for the ACK (Minshall)", () => {
    const h = cutting();
    h.write(10000);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10000);
    h.write(3000);
    // 3,000 = 2 segments + 80: the 80 would be a second small segment in flight.
    h.expectSegment(ACK, h.ours(10000), h.theirs(0), 2 * MSS);
    h.expectNothing();
    h.send(ACK, h.theirs(0), h.ours(10000));
    h.expectSegment(ACK | PSH, h.ours(10000 + 2 * MSS), h.theirs(0), 80);
    h.expectNothing();
  });

  it("with no delay the tail goes with the full segments even while a small one is unacknowledged", () => {
    const h = cutting();
    h.conn.noDelay = true;
    h.write(10000);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10000);
    h.write(3000);
    h.expectSegment(ACK | PSH, h.ours(10000), h.theirs(0), 3000);
    h.expectNothing();
  });

  it("cwnd cuts a segment to whole MSS-sized pieces: the sliver left of it waits", () => {
    const h = cutting();
    h.write(10000);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), 10000);
    h.conn.noDelay = true;
    h.write(10000);
    // cwnd 14,600 with 10,000 in flight: 4,600 = 3 segments + 220; the 220 is a window sliver.
    h.expectSegment(ACK, h.ours(10000), h.theirs(0), 3 * MSS);
    h.expectNothing();
  });

  it("the peer's window of 5,000 bytes lets 3 full segments go as one, and the sliver waits (3.8.6.2.1)", () => {
    const h = cutting();
    h.send(ACK, h.theirs(0), h.ours(0), 5000);
    h.write(10000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 3 * MSS);
    h.expectNothing();
  });

  it("a segment never exceeds the device's room: 60,000 bytes of window and data go as one segment of 41 MSS, then the 140-byte rest", () => {
    const h = established();
    h.deviceRoom = 41 * MSS + 100;
    h.conn.cc.cwnd = 1 << 20;
    h.write(60000);
    h.expectSegment(ACK, h.ours(0), h.theirs(0), 41 * MSS);
    // The rest (60,000 - 59,860 = 140 bytes) is the queue's end: Nagle lets it go alone.
    h.expectSegment(ACK | PSH, h.ours(41 * MSS), h.theirs(0), 60000 - 41 * MSS);
    h.expectNothing();
  });

  it("the FIN rides on the last large segment", () => {
    const h = cutting();
    h.write(10000);
    expect<i32>(h.conn.shutdownWrite()).toBe(0);
    h.expectSegment(ACK | PSH | FIN, h.ours(0), h.theirs(0), 10000);
    h.expectNothing();
  });

  it("a fast retransmission is one MSS-sized segment, never a large one", () => {
    const h = cutting();
    h.write(INITIAL_WINDOW);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), INITIAL_WINDOW);
    for (let i = 0; i < 3; i++) h.send(ACK, h.theirs(0), h.ours(0));
    const e = h.expectSegment(ACK, h.ours(0), h.theirs(0), MSS);
    expectStreamBytes(e, 0);
  });

  it("after a timeout a large segment resends only what was sent before; the new data goes in a segment of its own", () => {
    const h = cutting();
    h.write(INITIAL_WINDOW);
    h.expectSegment(ACK | PSH, h.ours(0), h.theirs(0), INITIAL_WINDOW);
    h.advanceToDeadline();
    h.expectSegment(ACK, h.ours(0), h.theirs(0), MSS);
    h.send(ACK, h.theirs(0), h.ours(MSS));
    h.write(5000);
    // A window far beyond what is left to resend: the go-back-N segment still ends at sndMax.
    h.conn.cc.cwnd = 1 << 20;
    h.expectSegment(ACK, h.ours(MSS), h.theirs(0), INITIAL_WINDOW - MSS);
    h.expectSegment(ACK | PSH, h.ours(INITIAL_WINDOW), h.theirs(0), 5000);
    h.expectNothing();
  });

  it("without a device that cuts, the same write leaves in MSS-sized segments", () => {
    const h = established();
    h.write(10000);
    for (let i = 0; i < 6; i++) h.expectSegment(ACK, h.ours(i * MSS), h.theirs(0), MSS);
    h.expectSegment(ACK | PSH, h.ours(6 * MSS), h.theirs(0), 10000 - 6 * MSS);
    h.expectNothing();
  });
});
