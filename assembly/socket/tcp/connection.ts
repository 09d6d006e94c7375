// One TCP connection: the state machine of RFC 9293 over a send ring and a receive ring, driven by
// three kinds of call and nothing else, so a spec can drive it alone with exact segments under a
// fake clock:
//   - process(segment, now): a segment for this connection arrived (RFC 9293 3.10.7).
//   - onTimers(now) then dispatch(now, ...) until it returns NOTHING: what is owed now (SYN, data,
//     retransmission, FIN, ACK, window probe, RST) comes out one segment per call.
//   - the user's calls: connect, write, read, shutdownWrite, close, abort.
// It never sends by itself: the TCP layer (layer.ts) finds it, calls it, and sends what it emits.
// `nextDeadline(now)` says when it next needs onTimers/dispatch (now when something is owed).
//
// Sequence space of the sender (all comparisons through seq.ts):
//
//   iss   sndUna            sndNxt                   sndMax         dataStart + sendBuf.len
//    |      |=== in flight ===|--- sendable, unsent ---|..(rewound)..|--- queued ---| FIN (finSeq)
//
//   The send ring holds the bytes from dataStart = sndUna (+1 while our SYN is unacknowledged); a
//   byte leaves the ring when it is acknowledged. sndMax is the highest sequence number ever sent:
//   after a retransmission timeout sndNxt goes back to sndUna (go-back-N) while ACKs up to sndMax
//   stay acceptable. The FIN occupies finSeq = dataStart + sendBuf.len once the user shut writing.
//
// Receiver: rcvNxt is the next byte expected; the receive ring's write end is rcvNxt. Out-of-order
// bytes are written past the write end and recorded in the assembler until the gap fills. The right
// edge we advertised (rcvAdvRight) never moves left except by the rounding of window scaling.

import * as Errno from "../../../bindings/errno_values";
import {
  TCP_STATE_CLOSED, TCP_STATE_LISTEN, TCP_STATE_SYN_SENT, TCP_STATE_SYN_RECEIVED,
  TCP_STATE_ESTABLISHED, TCP_STATE_FIN_WAIT_1, TCP_STATE_FIN_WAIT_2, TCP_STATE_CLOSE_WAIT,
  TCP_STATE_CLOSING, TCP_STATE_LAST_ACK, TCP_STATE_TIME_WAIT, EVENT_READABLE, EVENT_WRITABLE,
  EVENT_ERROR, EVENT_CONNECTED, EVENT_PEER_CLOSED, EVENT_CLOSED,
} from "../../../bindings/layout";
import { RingBuffer } from "../../storage/ring_buffer";
import { Assembler } from "../../storage/assembler";
import { TcpRepr, TcpFlags } from "../../wire/tcp";
import { TCP_MAX_WINDOW_SHIFT } from "../../wire/tcp_options";
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax } from "../../seq";
import { Duration, Instant, NO_DEADLINE, instantAdd, minDeadline } from "../../time";
import { RttEstimator, backedOff, RTO_AFTER_LOST_SYN } from "./rtt";
import { CongestionControl, DUPLICATE_ACK_THRESHOLD } from "./congestion";
import { TcpParams, DEFAULT_PEER_MSS, MIN_PEER_MSS } from "./params";

/** dispatch: nothing is owed now. */
export const NOTHING: i32 = -1;

/** What process asks of its caller besides the segments dispatch will emit. */
export const enum Verdict {
  /** Handled; anything owed comes out of dispatch. */
  Ok = 0,
  /** Answer with <SEQ=SEG.ACK><CTL=RST> and change nothing (RFC 9293 3.10.7.3 / 3.10.7.4 fifth). */
  ResetForAck = 1,
}

/** Largest value of the 16-bit window field. */
const WINDOW_FIELD_MAX: i32 = 0xffff;
/**
 * Bound on the bare duplicate ACKs owed at once (one per out-of-order segment of a batch): more
 * than a 64 KiB window of full segments holds; beyond it the sender learns nothing new.
 */
const MAX_DUPLICATE_ACKS_OWED: i32 = 64;

/** start <= x < start + size, in sequence space. */
@inline function inWindow(x: u32, start: u32, size: i32): bool {
  return seqGe(x, start) && seqLt(x, seqAdd(start, size));
}

@final
export class TcpConnection {
  state: i32 = TCP_STATE_CLOSED;
  localAddress: u32 = 0;
  localPort: u16 = 0;
  remoteAddress: u32 = 0;
  remotePort: u16 = 0;

  // ---- send sequence space (RFC 9293 3.3.1) ----
  iss: u32 = 0;
  sndUna: u32 = 0;
  sndNxt: u32 = 0;
  sndMax: u32 = 0;
  /** The peer's window, scaled, in bytes. */
  sndWnd: i32 = 0;
  sndWl1: u32 = 0;
  sndWl2: u32 = 0;
  /** Largest window the peer ever offered (sender silly-window avoidance, RFC 9293 3.8.6.2.1). */
  maxSndWnd: i32 = 0;
  /** Shift applied to the peer's window fields; ours applied to the windows we send (RFC 7323). */
  sndWindowShift: u8 = 0;
  rcvWindowShift: u8 = 0;
  /** Payload bytes per segment we send: the peer's MSS clamped, and our own MTU's. */
  sendMss: i32 = DEFAULT_PEER_MSS;
  synAcked: bool = false;
  /** The peer's SYN carried a window scale option (RFC 7323 2.2: then, and only then, both scale). */
  peerScales: bool = false;
  /** The user shut down writing: a FIN follows the queued data, at finSeq. */
  finQueued: bool = false;
  finSeq: u32 = 0;
  /** End of the last segment smaller than the MSS we sent (Nagle, Minshall's variant). */
  private smallSentEnd: u32 = 0;

  // ---- receive sequence space ----
  irs: u32 = 0;
  rcvNxt: u32 = 0;
  rcvAdvRight: u32 = 0;
  /** A FIN arrived beyond a hole: it takes effect when rcvNxt reaches finAt. */
  finPending: bool = false;
  finPendingAt: u32 = 0;
  peerFinished: bool = false;
  /** Largest segment the peer sent us (Linux's rcv_mss): "a full-sized segment" for ACK pacing. */
  private rcvMss: i32 = 0;
  private bytesUnacked: i32 = 0;

  readonly sendBuf: RingBuffer;
  readonly recvBuf: RingBuffer;
  readonly assembler: Assembler;
  readonly rtt: RttEstimator = new RttEstimator();
  readonly cc: CongestionControl = new CongestionControl();
  readonly params: TcpParams;

  // ---- what is owed ----
  private synOwed: bool = false;
  private ackOwed: bool = false;
  private rstOwed: bool = false;
  private retransmitOwed: bool = false;
  private probeOwed: bool = false;
  private duplicateAcks: i32 = 0;
  /**
   * Bare ACKs owed for out-of-order segments since rcvNxt last moved: one each (RFC 5681 4.2),
   * even when many arrive in one poll, so the sender sees its three duplicate ACKs.
   */
  private duplicateAcksOwed: i32 = 0;
  /** Last time an out-of-window segment or an RFC 5961 challenge got an ACK. */
  private lastInvalidAckAt: Instant = i64.MIN_VALUE;

  // ---- timers (NO_DEADLINE: not running) ----
  rtoDeadline: Instant = NO_DEADLINE;
  /**
   * Doublings of the RTO in force (RFC 6298 5.5). Karn (RFC 6298 3): they stay until an RTT
   * sample is taken, so new data after a recovered loss is timed with the backed-off RTO.
   */
  backoffs: i32 = 0;
  /** Retransmission timeouts since the peer last acknowledged anything: bounds the retries. */
  private timeouts: i32 = 0;
  ackDeadline: Instant = NO_DEADLINE;
  persistDeadline: Instant = NO_DEADLINE;
  private persistBackoffs: i32 = 0;
  /** Window probes sent since the peer last acknowledged anything. */
  private probesUnanswered: i32 = 0;
  timeWaitDeadline: Instant = NO_DEADLINE;
  lingerDeadline: Instant = NO_DEADLINE;
  orphanDeadline: Instant = NO_DEADLINE;
  keepAlive: bool = false;
  keepAliveDeadline: Instant = NO_DEADLINE;
  /** Idle time before the first probe: the user's (setKeepAlive), else params.keepAliveIdle. */
  private keepAliveIdle: Duration = 0;
  private keepAliveSent: i32 = 0;

  // ---- the user's side ----
  /** The user closed the handle: nobody will read; the connection finishes on its own. */
  userClosed: bool = false;
  noDelay: bool = false;
  /** The error that ended the connection (negative errno) or 0. Read by the user once it is CLOSED. */
  error: i32 = 0;
  /** EVENT_* bits not yet reported, with the errno for EVENT_ERROR / EVENT_CLOSED. */
  events: u32 = 0;

  // ---- for the report and stats ----
  createdAt: Instant = 0;
  retransmits: u32 = 0;
  /** Why the connection was reclaimed or reset by a bound, for the layer's counters. */
  reclaimedBy: i32 = 0;

  constructor(params: TcpParams) {
    this.params = params;
    this.sendBuf = new RingBuffer(params.sendBytes);
    this.recvBuf = new RingBuffer(params.recvBytes);
    this.assembler = new Assembler(params.maxHoles);
  }

  /** Bytes one connection allocates besides the object: its two rings and its assembler. */
  static bytesFor(params: TcpParams): u64 {
    return <u64>params.sendBytes + <u64>params.recvBytes + <u64>Assembler.bytesFor(params.maxHoles);
  }

  /** Back to a fresh CLOSED connection (a slot being reused). */
  reset(now: Instant): void {
    this.state = TCP_STATE_CLOSED;
    this.localAddress = 0;
    this.localPort = 0;
    this.remoteAddress = 0;
    this.remotePort = 0;
    this.iss = 0;
    this.sndUna = 0;
    this.sndNxt = 0;
    this.sndMax = 0;
    this.sndWnd = 0;
    this.sndWl1 = 0;
    this.sndWl2 = 0;
    this.maxSndWnd = 0;
    this.sndWindowShift = 0;
    this.rcvWindowShift = 0;
    this.sendMss = DEFAULT_PEER_MSS;
    this.synAcked = false;
    this.peerScales = false;
    this.isPassive = false;
    this.probesUnanswered = 0;
    this.finQueued = false;
    this.finSeq = 0;
    this.smallSentEnd = 0;
    this.irs = 0;
    this.rcvNxt = 0;
    this.rcvAdvRight = 0;
    this.finPending = false;
    this.finPendingAt = 0;
    this.peerFinished = false;
    this.rcvMss = 0;
    this.bytesUnacked = 0;
    this.sendBuf.clear();
    this.recvBuf.clear();
    this.assembler.clear();
    this.rtt.reset();
    this.synOwed = false;
    this.ackOwed = false;
    this.rstOwed = false;
    this.retransmitOwed = false;
    this.probeOwed = false;
    this.duplicateAcks = 0;
    this.duplicateAcksOwed = 0;
    this.lastInvalidAckAt = i64.MIN_VALUE;
    this.rtoDeadline = NO_DEADLINE;
    this.backoffs = 0;
    this.timeouts = 0;
    this.ackDeadline = NO_DEADLINE;
    this.persistDeadline = NO_DEADLINE;
    this.persistBackoffs = 0;
    this.timeWaitDeadline = NO_DEADLINE;
    this.lingerDeadline = NO_DEADLINE;
    this.orphanDeadline = NO_DEADLINE;
    this.keepAlive = false;
    this.keepAliveDeadline = NO_DEADLINE;
    this.keepAliveIdle = 0;
    this.keepAliveSent = 0;
    this.userClosed = false;
    this.noDelay = false;
    this.error = 0;
    this.events = 0;
    this.createdAt = now;
    this.retransmits = 0;
    this.reclaimedBy = 0;
  }

  // ======================================================================================
  // Opening
  // ======================================================================================

  /** Active open (RFC 9293 3.10.1): SYN-SENT, a SYN owed. */
  connect(local: u32, localPort: u16, remote: u32, remotePort: u16, iss: u32, now: Instant): void {
    this.setEndpoints(local, localPort, remote, remotePort);
    this.startSend(iss);
    this.rcvWindowShift = this.ourWindowShift();
    this.state = TCP_STATE_SYN_SENT;
    this.synOwed = true;
    this.cc.reset(this.sendMss);
    this.touch(now);
  }

  /**
   * Passive open: a listener got `syn` (already checked to carry SYN and no ACK or RST). The
   * connection goes to SYN-RECEIVED with a SYN-ACK owed (RFC 9293 3.10.7.2). Data on the SYN is not
   * acknowledged, so the peer sends it again after the handshake.
   */
  acceptSyn(local: u32, remote: u32, syn: TcpRepr, iss: u32, now: Instant): void {
    this.setEndpoints(local, syn.dstPort, remote, syn.srcPort);
    this.startSend(iss);
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.takeSynOptions(syn);
    // RFC 7323 2.2: the window of a SYN is never scaled.
    this.setWindow(<i32>syn.window, syn.seq, 0);
    this.state = TCP_STATE_SYN_RECEIVED;
    this.synOwed = true;
    this.cc.reset(this.sendMss);
    this.touch(now);
  }

  private setEndpoints(local: u32, localPort: u16, remote: u32, remotePort: u16): void {
    this.localAddress = local;
    this.localPort = localPort;
    this.remoteAddress = remote;
    this.remotePort = remotePort;
  }

  private startSend(iss: u32): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    // No small segment is outstanding yet: the mark sits at the start of our sequence space, never
    // ahead of sndUna (a fixed 0 would read as "ahead" for every ISS in the upper half of the
    // space and hold the first small write for ever).
    this.smallSentEnd = iss;
    this.synAcked = false;
    this.sendMss = this.clampMss(DEFAULT_PEER_MSS);
  }

  /** MSS and window scale from the peer's SYN (RFC 9293 3.7.1, RFC 7323 2.2 and 2.3). */
  private takeSynOptions(syn: TcpRepr): void {
    const options = syn.options;
    this.sendMss = this.clampMss(options.hasMss ? <i32>options.mss : DEFAULT_PEER_MSS);
    this.peerScales = options.hasWindowScale;
    if (options.hasWindowScale) {
      // Scaling is on only when both SYNs carry the option; our own shift was sent in our SYN
      // (active open) or goes into our SYN-ACK (passive).
      this.sndWindowShift = options.windowScale;
      if (this.state != TCP_STATE_SYN_SENT) this.rcvWindowShift = this.ourWindowShift();
    } else {
      this.sndWindowShift = 0;
      this.rcvWindowShift = 0;
    }
  }

  /** Smallest shift that lets the window field describe our whole receive ring. */
  private ourWindowShift(): u8 {
    let shift: u8 = 0;
    while (shift < TCP_MAX_WINDOW_SHIFT && (this.recvBuf.capacity >> shift) > WINDOW_FIELD_MAX) shift++;
    return shift;
  }

  private clampMss(peer: i32): i32 {
    let mss = peer < this.params.mss ? peer : this.params.mss;
    if (mss < MIN_PEER_MSS) mss = MIN_PEER_MSS;
    return mss;
  }

  // ======================================================================================
  // The user's calls
  // ======================================================================================

  /** Whether the user may still queue data (not after shutdown, not once the connection died). */
  get canWrite(): bool {
    const s = this.state;
    return !this.finQueued && (s == TCP_STATE_SYN_SENT || s == TCP_STATE_SYN_RECEIVED ||
      s == TCP_STATE_ESTABLISHED || s == TCP_STATE_CLOSE_WAIT);
  }

  /**
   * Bytes the user may write now, or a negative errno: EPIPE after shutdown or once the connection
   * is closing or gone (its error, when it died of one, is reported first by the caller).
   */
  writeRoom(): i32 {
    if (!this.canWrite) return -Errno.EPIPE;
    return this.sendBuf.free;
  }

  /** The user wrote n bytes into the send ring's free span (committed here); something is owed. */
  commitWrite(n: i32): i32 {
    if (!this.canWrite) return -Errno.EPIPE;
    return this.sendBuf.commitWrite(n);
  }

  /** The user consumed n bytes from the receive ring; a window update may now be owed. */
  consume(n: i32): i32 {
    const r = this.recvBuf.consume(n);
    if (r > 0 && this.windowWorthAnnouncing()) this.ackOwed = true;
    return r;
  }

  /** Reading has reached the end: the peer's FIN arrived and every byte before it was read. */
  @inline get atEndOfStream(): bool {
    return this.peerFinished && this.recvBuf.len == 0;
  }

  /**
   * shutdown(SHUT_WR): a FIN follows the queued data (RFC 9293 3.10.4). In SYN-SENT the FIN waits
   * for the handshake. Returns 0, or -ENOTCONN when there is no connection to shut.
   */
  shutdownWrite(): i32 {
    const s = this.state;
    if (s == TCP_STATE_CLOSED || s == TCP_STATE_LISTEN) return -Errno.ENOTCONN;
    if (this.finQueued) return 0;
    if (s == TCP_STATE_SYN_SENT || s == TCP_STATE_SYN_RECEIVED || s == TCP_STATE_ESTABLISHED) {
      this.queueFin();
      if (s == TCP_STATE_ESTABLISHED) this.state = TCP_STATE_FIN_WAIT_1;
    } else if (s == TCP_STATE_CLOSE_WAIT) {
      this.queueFin();
      this.state = TCP_STATE_LAST_ACK;
    }
    return 0;
  }

  /** No more writes: the FIN's place in sequence space is fixed from now on. */
  private queueFin(): void {
    this.finQueued = true;
    this.finSeq = seqAdd(this.dataStart, this.sendBuf.len);
  }

  /**
   * The user closed the handle (RFC 9293 3.10.4 CLOSE, made non-blocking: field report 003). Unread
   * data means the peer's data was lost, so the connection is reset, as Linux does (RFC 2525 2.17).
   * Otherwise the FIN follows the queued data; unsent or unacknowledged data gets `linger` before a
   * reset, and a peer that never finishes the close gets `orphanTimeout`. Returns true when the
   * connection is finished at once (nothing was ever sent, or it is already CLOSED).
   */
  close(now: Instant): bool {
    this.userClosed = true;
    const s = this.state;
    if (s == TCP_STATE_CLOSED) return true;
    if (s == TCP_STATE_SYN_SENT) {
      // RFC 9293 3.10.4: in SYN-SENT the TCB is simply deleted.
      this.becomeClosed(0);
      return true;
    }
    if (s == TCP_STATE_TIME_WAIT) return false;
    if (this.recvBuf.len > 0 || (!this.peerFinished && !this.assembler.isEmpty)) {
      this.abort();
      return false;
    }
    this.shutdownWrite();
    if (this.sendBuf.len > 0) this.lingerDeadline = instantAdd(now, this.params.linger);
    this.orphanDeadline = instantAdd(now, this.params.orphanTimeout);
    return false;
  }

  /** abort (RFC 9293 3.10.5): a RST if the peer knows of us, then CLOSED. */
  abort(): void {
    const s = this.state;
    if (s == TCP_STATE_SYN_RECEIVED || s == TCP_STATE_ESTABLISHED || s == TCP_STATE_FIN_WAIT_1 ||
        s == TCP_STATE_FIN_WAIT_2 || s == TCP_STATE_CLOSE_WAIT) {
      this.rstOwed = true;
    }
    this.becomeClosed(0);
  }

  /**
   * A bound ran out (linger, orphan timeout): unlike ABORT, whose RFC 9293 3.10.5 list leaves
   * CLOSING and LAST-ACK silent, the peer always hears a RST, since data or our FIN may still be
   * unacknowledged there (field reports 000 and 003).
   */
  private resetByBound(): void {
    const s = this.state;
    if (s != TCP_STATE_CLOSED && s != TCP_STATE_SYN_SENT && s != TCP_STATE_TIME_WAIT && s != TCP_STATE_LISTEN) {
      this.rstOwed = true;
    }
    this.becomeClosed(0);
  }

  /**
   * Keep-alive on or off; `idle` (0: params.keepAliveIdle) is the idle time before the first probe
   * each time the connection goes quiet, not only the first time (RFC 1122 4.2.3.6).
   */
  setKeepAlive(on: bool, now: Instant, idle: Duration = 0): void {
    this.keepAlive = on;
    this.keepAliveSent = 0;
    this.keepAliveIdle = idle > 0 ? idle : this.params.keepAliveIdle;
    this.keepAliveDeadline = on ? instantAdd(now, this.keepAliveIdle) : NO_DEADLINE;
  }

  // ======================================================================================
  // Segment arrives (RFC 9293 3.10.7)
  // ======================================================================================

  process(seg: TcpRepr, now: Instant): Verdict {
    if (this.state == TCP_STATE_CLOSED || this.state == TCP_STATE_LISTEN) return Verdict.Ok;
    if (this.state == TCP_STATE_SYN_SENT) return this.processSynSent(seg, now);
    return this.processSynchronized(seg, now);
  }

  /** RFC 9293 3.10.7.3. */
  private processSynSent(seg: TcpRepr, now: Instant): Verdict {
    const hasAck = seg.has(TcpFlags.ACK);
    // First: the ACK must acknowledge our SYN and nothing we did not send.
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      return seg.has(TcpFlags.RST) ? Verdict.Ok : Verdict.ResetForAck;
    }
    // Second: a RST counts only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT).
    if (seg.has(TcpFlags.RST)) {
      if (hasAck) this.becomeClosed(-Errno.ECONNREFUSED);
      return Verdict.Ok;
    }
    // Fourth: SYN.
    if (!seg.has(TcpFlags.SYN)) return Verdict.Ok;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    // The right edge our SYN advertised (its window is never scaled).
    this.rcvAdvRight = seqAdd(this.rcvNxt, this.synWindowField());
    this.takeSynOptions(seg);
    this.touch(now);
    if (hasAck) {
      this.synAckArrived(seg, now);
    } else {
      // Simultaneous open (RFC 9293 3.5, figure 8): SYN-RECEIVED, our SYN again with an ACK.
      this.state = TCP_STATE_SYN_RECEIVED;
      this.setWindow(<i32>seg.window, seg.seq, 0);
      this.sndNxt = this.iss;
      this.synOwed = true;
    }
    return Verdict.Ok;
  }

  /**
   * The peer's SYN-ACK acknowledges our SYN (checked by the caller): ESTABLISHED, and an ACK owed.
   * Its window is never scaled (RFC 7323 2.2); data on it is kept (field report 002): it starts
   * right after the SYN.
   */
  private synAckArrived(seg: TcpRepr, now: Instant): void {
    this.takeRttSample(seg.ack, now);
    this.acknowledge(seg.ack, now);
    this.setWindow(<i32>seg.window, seg.seq, seg.ack);
    this.becomeEstablished();
    this.ackOwed = true;
    this.receiveText(seg, seqAdd(seg.seq, 1), now);
    this.receiveFin(seg, seqAdd(seg.seq, 1), now);
  }

  /** RFC 9293 3.10.7.4, steps in order. */
  private processSynchronized(seg: TcpRepr, now: Instant): Verdict {
    const state = this.state;
    const payload = seg.payloadLen;
    const segLen = payload + (seg.has(TcpFlags.SYN) ? 1 : 0) + (seg.has(TcpFlags.FIN) ? 1 : 0);
    // First: sequence number acceptability, against the window we advertised (we also take what
    // we have room for beyond it, when the user read since: nothing is lost by storing it).
    const window = this.acceptWindow();
    if (!this.acceptable(seg.seq, segLen, window)) {
      if (!seg.has(TcpFlags.RST)) {
        // TIME-WAIT: a retransmitted FIN restarts the 2 MSL wait (RFC 9293 3.10.7.4 eighth).
        if (state == TCP_STATE_TIME_WAIT && seg.has(TcpFlags.FIN)) {
          this.timeWaitDeadline = instantAdd(now, this.params.timeWait);
          this.ackOwed = true;
        } else if (state == TCP_STATE_SYN_RECEIVED) {
          if (seg.has(TcpFlags.SYN) && seg.seq == this.irs) {
            if (seg.has(TcpFlags.ACK) && seqGt(seg.ack, this.sndUna) && seqLe(seg.ack, this.sndMax)) {
              // Simultaneous open (RFC 9293 3.5 figure 8, line 6): the peer's SYN-ACK carries the
              // SYN we already have and acknowledges ours, so it completes the handshake. Taking it
              // only as an old SYN would have both ends answer SYN-ACK with SYN-ACK for ever.
              this.touch(now);
              this.synAckArrived(seg, now);
            } else {
              // Our "ACK" in SYN-RECEIVED is the SYN-ACK (a retransmitted SYN asks for it again).
              this.synOwed = true;
            }
          } else {
            this.answerUnacceptable(seg, segLen, now);
          }
        } else {
          this.answerUnacceptable(seg, segLen, now);
        }
      }
      return Verdict.Ok;
    }
    // Second: RST (RFC 5961 3.2): only an exact match resets, an in-window one is challenged.
    if (seg.has(TcpFlags.RST)) {
      if (seg.seq != this.rcvNxt) {
        this.invalidAck(now);
        return Verdict.Ok;
      }
      this.onReset();
      return Verdict.Ok;
    }
    // Fourth: SYN. A half-open child of a listener goes back to LISTEN, which for us means it just
    // goes (RFC 9293 3.10.7.4 fourth, SYN-RECEIVED from a passive OPEN); in a synchronized state it
    // is challenged (RFC 5961 4.2).
    if (seg.has(TcpFlags.SYN)) {
      if (state == TCP_STATE_SYN_RECEIVED && this.isPassive) {
        this.becomeClosed(0);
        return Verdict.Ok;
      }
      this.invalidAck(now);
      return Verdict.Ok;
    }
    // Fifth: ACK.
    if (!seg.has(TcpFlags.ACK)) return Verdict.Ok;
    this.touch(now);
    if (state == TCP_STATE_SYN_RECEIVED) {
      if (seqLe(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndMax)) return Verdict.ResetForAck;
      this.becomeEstablished();
    }
    // RFC 5961 5.2: an ACK older than the largest window the peer could have seen is challenged,
    // one for data we never sent is answered with an ACK (RFC 9293); both are dropped.
    if (seqGt(seg.ack, this.sndMax) ||
        seqLt(seg.ack, seqAdd(this.sndUna, -(this.maxSndWnd > 0 ? this.maxSndWnd : 0)))) {
      this.invalidAck(now);
      return Verdict.Ok;
    }
    this.processAck(seg, payload, now);
    if (this.state == TCP_STATE_CLOSED) return Verdict.Ok;
    // Seventh: text.
    const s = this.state;
    if (payload > 0) {
      if (s == TCP_STATE_ESTABLISHED || s == TCP_STATE_FIN_WAIT_1 || s == TCP_STATE_FIN_WAIT_2) {
        if (this.userClosed && !this.peerFinished) {
          // Nobody will read it: Linux resets (tcp_rcv_state_process, "data after close").
          this.abort();
          return Verdict.Ok;
        }
        this.receiveText(seg, seg.seq, now);
      }
      // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent FIN; ignore text.
    }
    // Eighth: FIN.
    this.receiveFin(seg, seg.seq, now);
    return Verdict.Ok;
  }

  /** RFC 9293 3.10.7.4, table of the four cases. */
  private acceptable(seq: u32, segLen: i32, window: i32): bool {
    // With a zero window only the next sequence number is acceptable, whatever the segment holds:
    // its ACK, RST and window still count ("special allowance", ibid.); its text is dropped.
    if (window == 0) return seq == this.rcvNxt;
    if (segLen == 0) return inWindow(seq, this.rcvNxt, window);
    return inWindow(seq, this.rcvNxt, window) || inWindow(seqAdd(seq, segLen - 1), this.rcvNxt, window);
  }

  /** What we accept beyond rcvNxt: the advertised window, or more when the user has read since. */
  private acceptWindow(): i32 {
    const advertised = seqDiff(this.rcvAdvRight, this.rcvNxt);
    const room = this.recvBuf.free;
    const w = advertised > room ? advertised : room;
    return w < 0 ? 0 : w;
  }

  /**
   * RFC 9293 3.10.7.4 first: an unacceptable segment (not a RST) is answered with an ACK. One that
   * carries data or a FIN is a retransmission whose ACK was lost, or a peer past our window: it is
   * answered every time, since the peer's recovery waits on it and it cannot be part of an ACK loop
   * (Linux tcp_oow_rate_limited spares these too). Bare ACKs and SYNs are rate-limited.
   */
  private answerUnacceptable(seg: TcpRepr, segLen: i32, now: Instant): void {
    if (segLen > 0 && !seg.has(TcpFlags.SYN)) this.ackOwed = true;
    else this.invalidAck(now);
  }

  /** An ACK in answer to something invalid, at most once per invalidAckInterval (RFC 5961 7). */
  private invalidAck(now: Instant): void {
    const last = this.lastInvalidAckAt;
    if (last != i64.MIN_VALUE && now - last < this.params.invalidAckInterval) return;
    this.lastInvalidAckAt = now;
    this.ackOwed = true;
  }

  /** An acceptable RST (RFC 9293 3.10.7.4 second). */
  private onReset(): void {
    const s = this.state;
    if (s == TCP_STATE_SYN_RECEIVED) {
      // Passive open: back to LISTEN, which for us means the half-open child just goes away. An
      // active open that met a simultaneous SYN is refused.
      this.becomeClosed(this.isPassive ? 0 : -Errno.ECONNREFUSED);
    } else if (s == TCP_STATE_ESTABLISHED || s == TCP_STATE_FIN_WAIT_1 || s == TCP_STATE_FIN_WAIT_2 ||
               s == TCP_STATE_CLOSE_WAIT) {
      this.becomeClosed(-Errno.ECONNRESET);
    } else {
      // CLOSING, LAST-ACK, TIME-WAIT: the close was under way; no error.
      this.becomeClosed(0);
    }
  }

  /** Set by the layer: this connection came from a listener. */
  isPassive: bool = false;

  /** Fifth step for an acceptable ACK: what it acknowledges, the window, duplicates, the FIN. */
  private processAck(seg: TcpRepr, payload: i32, now: Instant): void {
    const ack = seg.ack;
    const window = <i32>seg.window << this.sndWindowShift;
    this.probesUnanswered = 0;
    if (seqGt(ack, this.sndUna)) {
      // The sample first: the timer restarted below runs with the RTO it gives.
      this.takeRttSample(ack, now);
      const flightBefore = seqDiff(this.sndMax, this.sndUna);
      const acked = this.acknowledge(ack, now);
      this.duplicateAcks = 0;
      if (this.cc.inRecovery) {
        if (this.cc.onAckInRecovery(ack, acked, seqDiff(this.sndMax, this.sndUna), this.sendMss)) {
          this.retransmitOwed = true;
        }
      } else if (2 * <i64>flightBefore >= <i64>this.cc.cwnd) {
        // cwnd grows only while it is what limits us (RFC 7661, as Linux's tcp_is_cwnd_limited):
        // an application- or window-limited sender would otherwise earn a window it never used.
        this.cc.onAck(acked, this.sendMss);
      }
      this.updateWindow(<i32>seg.window, seg.seq, ack);
    } else {
      // RFC 5681 2: a duplicate ACK carries no data, no SYN or FIN, the same window, and arrives
      // while data is outstanding.
      const duplicate = ack == this.sndUna && payload == 0 && !seg.has(TcpFlags.FIN) &&
        window == this.sndWnd && this.sndMax != this.sndUna;
      this.updateWindow(<i32>seg.window, seg.seq, ack);
      if (duplicate) this.onDuplicateAck();
    }
    const s = this.state;
    const finAcked = this.finQueued && seqGt(this.sndUna, this.finSeq);
    if (finAcked) {
      if (s == TCP_STATE_FIN_WAIT_1) {
        this.state = TCP_STATE_FIN_WAIT_2;
      } else if (s == TCP_STATE_CLOSING) {
        this.enterTimeWait(now);
      } else if (s == TCP_STATE_LAST_ACK) {
        this.becomeClosed(0);
      }
    }
    if (this.state == TCP_STATE_TIME_WAIT && seg.has(TcpFlags.FIN)) {
      this.timeWaitDeadline = instantAdd(now, this.params.timeWait);
      this.ackOwed = true;
    }
  }

  private onDuplicateAck(): void {
    this.duplicateAcks++;
    if (this.cc.inRecovery) {
      this.cc.onDuplicateAckInRecovery(this.sendMss);
      return;
    }
    if (this.duplicateAcks == DUPLICATE_ACK_THRESHOLD) {
      // Fast retransmit (RFC 5681 3.2 steps 2 and 3).
      if (this.cc.onDuplicateAckThreshold(seqDiff(this.sndMax, this.sndUna), this.sendMss, this.sndMax, this.sndUna)) {
        this.retransmitOwed = true;
      }
    }
  }

  /**
   * An ACK up to `ack` arrived: an RTT sample if it covers the timed segment. Only a valid sample
   * ends the backoff (RFC 6298 3 and 5.7; Linux resets icsk_backoff there too).
   */
  private takeRttSample(ack: u32, now: Instant): void {
    const before = this.rtt.samples;
    this.rtt.onAck(ack, now);
    if (this.rtt.samples != before) this.backoffs = 0;
  }

  /** Moves sndUna to `ack`, drops the acknowledged bytes; returns how many data bytes that was. */
  private acknowledge(ack: u32, now: Instant): i32 {
    let units = seqDiff(ack, this.sndUna);
    if (units <= 0) return 0;
    if (!this.synAcked) {
      this.synAcked = true;
      units--;
    }
    let data = units;
    if (data > this.sendBuf.len) data = this.sendBuf.len; // the rest is our FIN
    this.sendBuf.consume(data);
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.timeouts = 0;
    // RFC 6298 5.2 and 5.3: stop the timer when nothing is outstanding, else restart it with the
    // current RTO, backoff included.
    if (this.sndUna == this.sndMax) this.rtoDeadline = NO_DEADLINE;
    else this.rtoDeadline = instantAdd(now, backedOff(this.rtt.rto, this.backoffs));
    if (data > 0) this.events |= EVENT_WRITABLE;
    return data;
  }

  /** RFC 9293 3.10.7.4 fifth: the window from the newest segment only (SND.WL1 / SND.WL2). */
  private updateWindow(field: i32, seq: u32, ack: u32): void {
    if (seqLt(this.sndWl1, seq) || (this.sndWl1 == seq && seqLe(this.sndWl2, ack))) {
      this.setWindow(field << this.sndWindowShift, seq, ack);
    }
  }

  /** SND.WND <- window, SND.WL1 <- seq, SND.WL2 <- ack (unconditionally: the handshake). */
  private setWindow(window: i32, seq: u32, ack: u32): void {
    this.sndWnd = window;
    if (window > this.maxSndWnd) this.maxSndWnd = window;
    this.sndWl1 = seq;
    this.sndWl2 = ack;
    if (window > 0) {
      this.persistDeadline = NO_DEADLINE;
      this.persistBackoffs = 0;
    }
  }

  /** Seventh step: payload starting at sequence number `start`, trimmed to what we can take. */
  private receiveText(seg: TcpRepr, start: u32, now: Instant): void {
    let ptr = seg.payloadPtr;
    let len = seg.payloadLen;
    if (len <= 0) return;
    let offset = seqDiff(start, this.rcvNxt);
    if (offset < 0) {
      // Bytes we already have: skip them.
      ptr += <usize>(-offset);
      len += offset;
      offset = 0;
      if (len <= 0) {
        this.ackOwed = true;
        return;
      }
    }
    if (len > this.rcvMss) this.rcvMss = len < this.params.mss ? len : this.params.mss;
    const room = this.recvBuf.free - offset;
    if (room <= 0) {
      this.ackOwed = true;
      return;
    }
    if (len > room) len = room;
    const hadHoles = !this.assembler.isEmpty;
    if (offset == 0 && !hadHoles) {
      this.recvBuf.write(ptr, len);
      this.advanceReceived(len);
    } else {
      if (this.assembler.add(offset, len) < 0) {
        // Too many holes: dropped; the peer retransmits (RFC 9293 3.10.7.4 seventh allows it).
        this.ackOwed = true;
        return;
      }
      this.recvBuf.writeAt(offset, ptr, len);
      const ready = this.assembler.takeContiguous();
      if (ready > 0) {
        this.recvBuf.commitWrite(ready);
        this.advanceReceived(ready);
      } else if (this.duplicateAcksOwed < MAX_DUPLICATE_ACKS_OWED) {
        this.duplicateAcksOwed++;
      }
      // Out of order, or filling a hole: ACK at once (RFC 5681 4.2, RFC 9293 3.8.6.3).
      this.ackOwed = true;
    }
    this.events |= EVENT_READABLE;
    this.bytesUnacked += len;
    // At least every second full-sized segment (RFC 9293 3.8.6.3, MUST-58), else after the delay;
    // as Linux (__tcp_ack_snd_check), at once when more than one full segment's worth waits: a
    // full segment and a short one (the tail of a write) would otherwise wait out the delay while
    // the sender's Nagle holds its next short segment for this very ACK (a 40 ms stall at the end
    // of every transfer whose last write was not a multiple of the MSS).
    if (this.bytesUnacked > this.rcvMss) this.ackOwed = true;
    else if (this.ackDeadline == NO_DEADLINE) this.ackDeadline = instantAdd(now, this.params.delayedAck);
  }

  private advanceReceived(n: i32): void {
    // What is owed now acknowledges more than the duplicates would have: one ACK says it.
    this.duplicateAcksOwed = 0;
    this.rcvNxt = seqAdd(this.rcvNxt, n);
    if (seqGt(this.rcvNxt, this.rcvAdvRight)) this.rcvAdvRight = this.rcvNxt;
  }

  /** Eighth step: a FIN takes effect once every byte before it has arrived. */
  private receiveFin(seg: TcpRepr, start: u32, now: Instant): void {
    if (this.finPending && this.finPendingAt == this.rcvNxt) this.takeFin(now);
    if (!seg.has(TcpFlags.FIN) || this.peerFinished) return;
    const finAt = seqAdd(start, seg.payloadLen);
    if (finAt == this.rcvNxt) {
      this.takeFin(now);
    } else if (seqGt(finAt, this.rcvNxt) && !this.finPending) {
      this.finPending = true;
      this.finPendingAt = finAt;
    }
  }

  private takeFin(now: Instant): void {
    this.finPending = false;
    this.peerFinished = true;
    this.duplicateAcksOwed = 0;
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    if (seqGt(this.rcvNxt, this.rcvAdvRight)) this.rcvAdvRight = this.rcvNxt;
    this.events |= EVENT_PEER_CLOSED | EVENT_READABLE;
    const s = this.state;
    if (s == TCP_STATE_ESTABLISHED) {
      // The peer's FIN in ESTABLISHED: its ACK is delayed like a data segment's (as Linux, which
      // enters its delayed-ACK "pingpong" mode in tcp_fin), so an application that closes on
      // 'end' sends one FIN-ACK instead of an ACK and then a FIN: three segments close the
      // connection, not four. Data still unacknowledged keeps whatever deadline it set.
      this.state = TCP_STATE_CLOSE_WAIT;
      if (this.ackDeadline == NO_DEADLINE) this.ackDeadline = instantAdd(now, this.params.delayedAck);
      return;
    }
    // Every other state answers at once: a FIN in FIN-WAIT the peer's close is waiting on.
    this.ackOwed = true;
    if (s == TCP_STATE_SYN_RECEIVED) {
      this.state = TCP_STATE_CLOSE_WAIT;
    } else if (s == TCP_STATE_FIN_WAIT_1) {
      // Our FIN not yet acknowledged (or processAck would have moved us to FIN-WAIT-2).
      this.state = TCP_STATE_CLOSING;
    } else if (s == TCP_STATE_FIN_WAIT_2) {
      this.enterTimeWait(now);
    }
  }

  private enterTimeWait(now: Instant): void {
    this.state = TCP_STATE_TIME_WAIT;
    this.timeWaitDeadline = instantAdd(now, this.params.timeWait);
    this.rtoDeadline = NO_DEADLINE;
    this.persistDeadline = NO_DEADLINE;
    this.keepAliveDeadline = NO_DEADLINE;
    this.lingerDeadline = NO_DEADLINE;
    this.orphanDeadline = NO_DEADLINE;
  }

  private becomeEstablished(): void {
    this.state = TCP_STATE_ESTABLISHED;
    // RFC 6298 5.7: a lost SYN or SYN-ACK and no sample from the handshake: the data starts with an
    // RTO of 3 s. The SYN's retries were counted against synRetries; the data's start afresh.
    if (this.backoffs > 0 && this.rtt.samples == 0) this.rtt.rto = RTO_AFTER_LOST_SYN;
    this.backoffs = 0;
    this.timeouts = 0;
    // The initial window counts segments of the MSS now known (RFC 6928).
    this.cc.reset(this.sendMss);
    this.synOwed = false;
    this.events |= EVENT_CONNECTED | EVENT_WRITABLE;
    if (this.finQueued) this.state = TCP_STATE_FIN_WAIT_1;
  }

  /** CLOSED with `errno` (0: an orderly end); every timer stops. */
  becomeClosed(errno: i32): void {
    this.state = TCP_STATE_CLOSED;
    if (errno != 0 && this.error == 0) {
      this.error = errno;
      this.events |= EVENT_ERROR;
    }
    this.events |= EVENT_CLOSED;
    this.synOwed = false;
    this.ackOwed = false;
    this.duplicateAcksOwed = 0;
    this.retransmitOwed = false;
    this.probeOwed = false;
    this.rtoDeadline = NO_DEADLINE;
    this.ackDeadline = NO_DEADLINE;
    this.persistDeadline = NO_DEADLINE;
    this.timeWaitDeadline = NO_DEADLINE;
    this.lingerDeadline = NO_DEADLINE;
    this.orphanDeadline = NO_DEADLINE;
    this.keepAliveDeadline = NO_DEADLINE;
  }

  /** Any segment from the peer: keep-alive starts over. */
  private touch(now: Instant): void {
    if (this.keepAlive) {
      this.keepAliveSent = 0;
      this.keepAliveDeadline = instantAdd(now, this.keepAliveIdle);
    }
  }

  // ======================================================================================
  // Timers
  // ======================================================================================

  /** Runs every timer that is due at `now`; what they make owed comes out of dispatch. */
  onTimers(now: Instant): void {
    if (this.timeWaitDeadline <= now) {
      this.becomeClosed(0);
      return;
    }
    if (this.lingerDeadline <= now) {
      this.lingerDeadline = NO_DEADLINE;
      if (this.sendBuf.len > 0) {
        // close() could not deliver the data in time (field report 003): reset.
        this.reclaimedBy = RECLAIMED_BY_LINGER;
        this.resetByBound();
        return;
      }
    }
    if (this.orphanDeadline <= now && this.userClosed) {
      // The peer vanished during the close (field report 000).
      this.reclaimedBy = RECLAIMED_BY_ORPHAN_TIMEOUT;
      this.resetByBound();
      return;
    }
    if (this.rtoDeadline <= now) {
      this.onRetransmissionTimeout(now);
      if (this.state == TCP_STATE_CLOSED) return;
    }
    if (this.ackDeadline <= now) {
      this.ackDeadline = NO_DEADLINE;
      this.ackOwed = true;
    }
    if (this.persistDeadline <= now) {
      // Zero-window probe (RFC 9293 3.8.6.1), backing off like the RTO.
      // It never gives up while the peer answers (RFC 9293 3.8.6.1, MUST-67); unanswered ones
      // count like retransmissions.
      this.persistDeadline = NO_DEADLINE;
      if (this.probesUnanswered >= this.params.dataRetries) {
        this.reclaimedBy = RECLAIMED_BY_TIMEOUT;
        this.becomeClosed(-Errno.ETIMEDOUT);
        return;
      }
      this.probeOwed = true;
      this.probesUnanswered++;
      if (this.persistBackoffs < this.params.dataRetries) this.persistBackoffs++;
    }
    if (this.keepAliveDeadline <= now) {
      if (this.keepAliveSent >= this.params.keepAliveProbes) {
        this.reclaimedBy = RECLAIMED_BY_TIMEOUT;
        this.becomeClosed(-Errno.ETIMEDOUT);
        return;
      }
      this.keepAliveSent++;
      this.probeOwed = true;
      this.keepAliveDeadline = instantAdd(now, this.params.keepAliveInterval);
    }
  }

  private onRetransmissionTimeout(now: Instant): void {
    this.rtoDeadline = NO_DEADLINE;
    const s = this.state;
    const limit = s == TCP_STATE_SYN_SENT ? this.params.synRetries :
      s == TCP_STATE_SYN_RECEIVED ? this.params.synAckRetries : this.params.dataRetries;
    if (this.timeouts >= limit) {
      this.reclaimedBy = s == TCP_STATE_SYN_RECEIVED && this.isPassive ? RECLAIMED_BY_HALF_OPEN_TIMEOUT : RECLAIMED_BY_TIMEOUT;
      this.becomeClosed(s == TCP_STATE_SYN_RECEIVED && this.isPassive ? 0 : -Errno.ETIMEDOUT);
      return;
    }
    this.timeouts++;
    this.backoffs++;
    this.retransmits++;
    this.rtt.onRetransmit();
    if (s == TCP_STATE_SYN_SENT || s == TCP_STATE_SYN_RECEIVED) {
      this.synOwed = true;
      this.sndNxt = this.iss;
      return;
    }
    // RFC 5681 3.1 and RFC 6298 5.4: back to the first unacknowledged byte, one segment of window.
    this.cc.onTimeout(seqDiff(this.sndMax, this.sndUna), this.sendMss, this.sndMax);
    this.duplicateAcks = 0;
    this.retransmitOwed = false;
    this.sndNxt = this.sndUna;
  }

  /** When this connection next needs onTimers + dispatch: now if something is owed. */
  nextDeadline(now: Instant): Instant {
    if (this.state == TCP_STATE_CLOSED) return this.rstOwed ? now : NO_DEADLINE;
    if (this.owesNow()) return now;
    let d = this.rtoDeadline;
    d = minDeadline(d, this.ackDeadline);
    d = minDeadline(d, this.persistDeadline);
    d = minDeadline(d, this.timeWaitDeadline);
    d = minDeadline(d, this.lingerDeadline);
    d = minDeadline(d, this.orphanDeadline);
    d = minDeadline(d, this.keepAliveDeadline);
    return d;
  }

  private owesNow(): bool {
    return this.rstOwed || this.synOwed || this.ackOwed || this.duplicateAcksOwed > 0 || this.retransmitOwed || this.probeOwed ||
      this.sendableNow() > 0 || this.finReady() || this.persistWanted();
  }

  // ======================================================================================
  // Output: one segment per call
  // ======================================================================================

  /**
   * Fills `out` with the next segment owed now and copies its payload (at most `maxPayload`
   * bytes) to `payload`; returns the payload length, or NOTHING. The caller sends it; a segment the
   * caller could not send is simply lost, and the timers recover it as from any loss.
   * `cutByDevice`: the segment goes to a device that cuts it into MSS-sized ones (segmentation
   * offload), so new data may fill `maxPayload` (see sendableNow).
   */
  dispatch(now: Instant, out: TcpRepr, payload: usize, maxPayload: i32, cutByDevice: bool = false): i32 {
    out.options.clear();
    out.srcPort = this.localPort;
    out.dstPort = this.remotePort;
    out.urgentPointer = 0;
    out.payloadLen = 0;
    if (this.rstOwed) {
      this.rstOwed = false;
      // RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>; with an ACK, as Linux sends it. SND.NXT
      // as the peer knows it: see controlSeq.
      out.seq = this.controlSeq();
      out.ack = this.rcvNxt;
      out.flags = TcpFlags.RST | TcpFlags.ACK;
      out.window = 0;
      return 0;
    }
    const s = this.state;
    if (s == TCP_STATE_CLOSED || s == TCP_STATE_LISTEN) return NOTHING;
    if (s == TCP_STATE_SYN_SENT || s == TCP_STATE_SYN_RECEIVED) return this.dispatchSyn(now, out);
    if (s == TCP_STATE_TIME_WAIT) {
      if (!this.ackOwed) return NOTHING;
      this.controlSegment(out, this.controlSeq());
      return 0;
    }
    if (this.duplicateAcksOwed > 0) {
      // Bare, before any data: a segment with data is no duplicate ACK to the peer (RFC 5681 2).
      this.duplicateAcksOwed--;
      this.controlSegment(out, this.controlSeq());
      return 0;
    }
    if (this.retransmitOwed) {
      this.retransmitOwed = false;
      const n = this.dataSegment(now, out, payload, maxPayload, this.sndUna, true);
      if (n != NOTHING) return n;
    }
    if (this.sendableNow() > 0 || this.finReady()) {
      const n = this.dataSegment(now, out, payload, maxPayload, this.sndNxt, false, cutByDevice);
      if (n != NOTHING) return n;
    }
    if (this.probeOwed) {
      this.probeOwed = false;
      // A window or keep-alive probe: an old sequence number the peer must answer with an ACK
      // (RFC 9293 3.8.6.1 and RFC 1122 4.2.3.6, as Linux sends it: no data, SEQ = SND.UNA - 1).
      this.controlSegment(out, seqAdd(this.sndUna, -1));
      this.armPersist(now);
      return 0;
    }
    if (this.ackOwed) {
      this.controlSegment(out, this.controlSeq());
      return 0;
    }
    this.armPersist(now);
    return NOTHING;
  }

  /**
   * The sequence number of a segment without data (ACK, RST): sndMax, not sndNxt. After a
   * retransmission timeout sndNxt goes back to sndUna while the peer may hold everything up to
   * sndMax; a bare ACK at the rewound sndNxt falls left of the peer's window (RFC 9293 3.10.7.4
   * first check) and is dropped with its acknowledgment, a RST there is dropped silently. With
   * both sides in go-back-N at once each would drop every ACK of the other, for good.
   */
  private controlSeq(): u32 {
    return this.sndMax;
  }

  private dispatchSyn(now: Instant, out: TcpRepr): i32 {
    if (!this.synOwed) {
      if (this.state == TCP_STATE_SYN_RECEIVED && this.ackOwed) {
        // The answer to an unacceptable segment (RFC 9293 3.10.7.4 first) while our SYN-ACK is
        // out: <SEQ=SND.NXT><ACK=RCV.NXT>, as Linux's request sockets send it.
        this.controlSegment(out, seqAdd(this.iss, 1));
        return 0;
      }
      return NOTHING;
    }
    this.synOwed = false;
    out.seq = this.iss;
    const options = out.options;
    options.hasMss = true;
    options.mss = <u16>this.params.mss;
    const s = this.state;
    // Our shift goes in every SYN we start; in a SYN-ACK only if the peer's SYN had one.
    if (s == TCP_STATE_SYN_SENT || this.peerScales) {
      options.hasWindowScale = true;
      options.windowScale = this.rcvWindowShift;
    }
    out.window = <u16>this.synWindowField();
    if (s == TCP_STATE_SYN_SENT) {
      out.flags = TcpFlags.SYN;
      out.ack = 0;
    } else {
      out.flags = TcpFlags.SYN | TcpFlags.ACK;
      out.ack = this.rcvNxt;
      this.rcvAdvRight = seqAdd(this.rcvNxt, <i32>out.window);
      this.ackSent();
    }
    const end = seqAdd(this.iss, 1);
    if (this.backoffs == 0) this.rtt.onSend(end, now);
    this.sndNxt = end;
    this.sndMax = seqMax(this.sndMax, end);
    if (this.rtoDeadline == NO_DEADLINE) this.rtoDeadline = instantAdd(now, backedOff(this.rtt.rto, this.backoffs));
    return 0;
  }

  /** The window of a SYN or SYN-ACK: never scaled (RFC 7323 2.2). */
  private synWindowField(): i32 {
    const free = this.recvBuf.free;
    return free < WINDOW_FIELD_MAX ? free : WINDOW_FIELD_MAX;
  }

  /** Where the byte at ring offset 0 sits in sequence space. */
  @inline private get dataStart(): u32 {
    return this.synAcked ? this.sndUna : seqAdd(this.sndUna, 1);
  }


  /** Bytes queued and not yet sent (from sndNxt). */
  private unsentBytes(): i32 {
    const sent = seqDiff(this.sndNxt, this.dataStart);
    const n = this.sendBuf.len - (sent > 0 ? sent : 0);
    return n > 0 ? n : 0;
  }

  /**
   * Bytes of new data the next segment may carry now: the peer's window, cwnd, the MSS, with
   * Nagle (RFC 9293 3.7.4) and sender silly-window avoidance (RFC 9293 3.8.6.2.1). 0: wait.
   * `room`: payload bytes a segment the device cuts may hold (segmentation offload), 0 if the
   * segment goes as it is. With room for two or more MSS-sized segments, the segment
   * carries as many full MSS-sized segments as allowed, plus the small tail exactly when the
   * tail would go now as a segment of its own, so the device's cut segments are the ones this
   * function would have chosen one by one.
   */
  private sendableNow(room: i32 = 0): i32 {
    const s = this.state;
    // CLOSING too: the peer's FIN can arrive while our queued data (and FIN) are still unsent.
    if (!(s == TCP_STATE_ESTABLISHED || s == TCP_STATE_CLOSE_WAIT || s == TCP_STATE_FIN_WAIT_1 ||
          s == TCP_STATE_CLOSING || s == TCP_STATE_LAST_ACK)) return 0;
    const unsent = this.unsentBytes();
    if (unsent == 0) return 0;
    const inFlight = seqDiff(this.sndNxt, this.sndUna);
    const byWindow = this.sndWnd - inFlight;
    const byCwnd = this.cc.cwnd - inFlight;
    let n = unsent;
    if (byWindow < n) n = byWindow;
    if (byCwnd < n) n = byCwnd;
    const mss = this.sendMss;
    if (room >= 2 * mss && seqLt(this.sndNxt, this.sndMax)) {
      // Go-back-N after a timeout: a large segment resends only what was sent before, whole, at
      // once (as the segments one by one would go); new data waits for a segment of its own, so
      // Nagle and Karn's RTT samples see it as before.
      const resent = seqDiff(this.sndMax, this.sndNxt);
      if (n > resent) n = resent;
      if (n > mss) return n > room ? room - room % mss : n;
    } else if (room >= 2 * mss && n > mss) {
      if (n > room) n = room;
      const tail = n % mss;
      const full = n - tail;
      if (tail == 0) return n;
      // The tail goes with the full segments when it would go alone right after them: it is the
      // rest of the queue and Nagle lets it go.
      if (n == unsent && this.nagleAllows()) return n;
      return full;
    }
    if (mss < n) n = mss;
    if (n <= 0) return 0;
    // Full segments, and anything resent after a timeout (go-back-N from sndUna), go at once.
    if (n == this.sendMss || seqLt(this.sndNxt, this.sndMax)) return n;
    if (n == unsent) return this.nagleAllows() ? n : 0;
    // Limited by the window: send if it is at least half the largest window seen, or if nothing is
    // in flight (nothing else would wake us: the override timer of 3.8.6.2.1, taken at once).
    if (n >= (this.maxSndWnd >> 1) || inFlight == 0) return n;
    return 0;
  }

  /**
   * The rest of the queue fits in one small segment: may it go? Nagle (RFC 9293 3.7.4) in
   * Minshall's form, as Linux has it: hold it only while an earlier small segment is
   * unacknowledged, unless the user asked for no delay or the FIN follows it.
   */
  private nagleAllows(): bool {
    return this.noDelay || this.finQueued || !seqGt(this.smallSentEnd, this.sndUna);
  }

  /** Only the FIN is left to send. */
  private finReady(): bool {
    if (!this.finQueued) return false;
    const s = this.state;
    if (!(s == TCP_STATE_FIN_WAIT_1 || s == TCP_STATE_LAST_ACK || s == TCP_STATE_CLOSING)) return false;
    return this.sndNxt == this.finSeq;
  }

  /**
   * A segment of data (or the FIN alone) starting at `seq`. `retransmission`: one segment from
   * sndUna for fast retransmit, which leaves sndNxt where it is. `cutByDevice`: see dispatch.
   */
  private dataSegment(now: Instant, out: TcpRepr, payload: usize, maxPayload: i32, seq: u32, retransmission: bool,
    cutByDevice: bool = false): i32 {
    const offset = seqDiff(seq, this.dataStart);
    let n: i32;
    if (retransmission) {
      n = seqDiff(this.sndMax, seq);
      if (n > this.sendMss) n = this.sendMss;
      const queued = this.sendBuf.len - offset;
      if (n > queued) n = queued;
      if (n < 0) n = 0;
    } else {
      n = this.sendableNow(cutByDevice ? maxPayload : 0);
    }
    if (n > maxPayload) n = maxPayload;
    if (n > 0) this.sendBuf.peek(offset, payload, n);
    const end = seqAdd(seq, n);
    let flags: u8 = TcpFlags.ACK;
    let finHere = false;
    if (this.finQueued && end == this.finSeq &&
        (this.state == TCP_STATE_FIN_WAIT_1 || this.state == TCP_STATE_LAST_ACK || this.state == TCP_STATE_CLOSING)) {
      flags |= TcpFlags.FIN;
      finHere = true;
    }
    if (n == 0 && !finHere) return NOTHING;
    if (n > 0 && offset + n == this.sendBuf.len) flags |= TcpFlags.PSH;
    this.fillAck(out, seq, flags);
    out.payloadLen = n;
    const segEnd = finHere ? seqAdd(end, 1) : end;
    const isRetransmission = retransmission || seqLt(seq, this.sndMax);
    if (isRetransmission) {
      this.rtt.onRetransmit();
      this.retransmits++;
    } else {
      this.rtt.onSend(segEnd, now);
    }
    // Ends in a segment smaller than the MSS (alone, or the tail of a large one the device cuts).
    if (n % this.sendMss != 0) this.smallSentEnd = end;
    if (!retransmission) {
      this.sndNxt = segEnd;
      this.sndMax = seqMax(this.sndMax, segEnd);
    }
    if (this.rtoDeadline == NO_DEADLINE) this.rtoDeadline = instantAdd(now, backedOff(this.rtt.rto, this.backoffs));
    return n;
  }

  /** A segment with no data: ACK (window update, probe, TIME-WAIT answer). */
  private controlSegment(out: TcpRepr, seq: u32): void {
    this.fillAck(out, seq, TcpFlags.ACK);
    out.payloadLen = 0;
  }

  private fillAck(out: TcpRepr, seq: u32, flags: u8): void {
    out.seq = seq;
    out.ack = this.rcvNxt;
    out.flags = flags;
    out.window = this.windowField();
    this.ackSent();
  }

  private ackSent(): void {
    this.ackOwed = false;
    this.ackDeadline = NO_DEADLINE;
    this.bytesUnacked = 0;
  }

  /**
   * The window field to send, recording the right edge it advertises. Receiver silly-window
   * avoidance (RFC 9293 3.8.6.2.2): the edge moves right only by at least min(half the ring, MSS).
   */
  private windowField(): u16 {
    let current = seqDiff(this.rcvAdvRight, this.rcvNxt);
    if (current < 0) current = 0;
    const free = this.recvBuf.free;
    // Less than a step more than already promised: keep the promised edge where it is.
    const window = free - current < this.windowStep() ? current : free;
    const shift = this.rcvWindowShift;
    let field = window >> shift;
    // Never pull back an edge by rounding down (RFC 7323 2.4): round the kept edge up instead.
    if ((field << shift) < current) field = (current + (1 << shift) - 1) >> shift;
    if (field > WINDOW_FIELD_MAX) field = WINDOW_FIELD_MAX;
    if (field < 0) field = 0;
    const advertised = field << shift;
    const edge = seqAdd(this.rcvNxt, advertised);
    if (seqGt(edge, this.rcvAdvRight)) this.rcvAdvRight = edge;
    return <u16>field;
  }

  @inline private windowStep(): i32 {
    const half = this.recvBuf.capacity >> 1;
    return half < this.params.mss ? half : this.params.mss;
  }

  /**
   * After a read: is the window now worth a segment of its own? Only when the peer's view of it has
   * shrunk to half the ring or less and it would at least double (as Linux decides), and by at
   * least the silly-window step (RFC 9293 3.8.6.2.2); otherwise the next ACK carries it anyway.
   */
  private windowWorthAnnouncing(): bool {
    const s = this.state;
    if (!(s == TCP_STATE_ESTABLISHED || s == TCP_STATE_FIN_WAIT_1 || s == TCP_STATE_FIN_WAIT_2)) return false;
    if (this.peerFinished) return false;
    let current = seqDiff(this.rcvAdvRight, this.rcvNxt);
    if (current < 0) current = 0;
    if (current > (this.recvBuf.capacity >> 1)) return false;
    const free = this.recvBuf.free;
    return free - current >= this.windowStep() && free >= 2 * current;
  }

  /**
   * The peer's zero window holds back queued data, nothing is in flight and no timer runs: the
   * persist timer must start (RFC 9293 3.8.6.1). nextDeadline reports it as due now, so a write
   * into a closed window gets its timer from the next dispatch instead of stalling for ever.
   */
  private persistWanted(): bool {
    const s = this.state;
    if (!(s == TCP_STATE_ESTABLISHED || s == TCP_STATE_CLOSE_WAIT || s == TCP_STATE_FIN_WAIT_1 ||
          s == TCP_STATE_LAST_ACK)) return false;
    return this.sndWnd == 0 && this.unsentBytes() > 0 && this.sndMax == this.sndUna &&
      this.persistDeadline == NO_DEADLINE && this.rtoDeadline == NO_DEADLINE;
  }

  /** Starts the persist timer when it is wanted. */
  private armPersist(now: Instant): void {
    if (this.persistWanted()) {
      this.persistDeadline = instantAdd(now, backedOff(this.rtt.rto, this.persistBackoffs));
    }
  }

  /** Takes the events not yet reported. */
  takeEvents(): u32 {
    const e = this.events;
    this.events = 0;
    return e;
  }
}

/** reclaimedBy: why a bound ended the connection (the layer counts each). */
export const RECLAIMED_BY_LINGER: i32 = 1;
export const RECLAIMED_BY_ORPHAN_TIMEOUT: i32 = 2;
export const RECLAIMED_BY_HALF_OPEN_TIMEOUT: i32 = 3;
/** Retries (SYN, data, window or keep-alive probes) ran out: ETIMEDOUT. */
export const RECLAIMED_BY_TIMEOUT: i32 = 4;
