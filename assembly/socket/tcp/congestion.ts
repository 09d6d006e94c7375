// Congestion control behind a small interface, so CUBIC (a later issue) replaces NewReno without
// touching the connection. The connection tells it what happened (bytes acknowledged, a third
// duplicate ACK, a partial or full ACK during recovery, a retransmission timeout) and asks how much
// may be in flight (cwnd). All amounts are bytes.
//
// NewReno: slow start and congestion avoidance (RFC 5681 3.1), fast retransmit and fast recovery
// (RFC 5681 3.2) with NewReno's partial ACKs (RFC 6582 3.2), the initial window of RFC 6928.

import { seqGe, seqGt } from "../../seq";

/** RFC 5681 3.2: the third duplicate ACK starts fast retransmit. */
export const DUPLICATE_ACK_THRESHOLD: i32 = 3;
/** RFC 6928: an initial window of 10 segments (bounded in bytes below). */
const INITIAL_WINDOW_SEGMENTS: i32 = 10;
const INITIAL_WINDOW_MAX_BYTES: i32 = 14600;
/** RFC 5681 3.1: ssthresh starts arbitrarily high. */
const SSTHRESH_INFINITE: i32 = i32.MAX_VALUE;
/** RFC 5681 eq. 4: ssthresh after a loss is at least two segments. */
const MIN_SSTHRESH_SEGMENTS: i32 = 2;
/** RFC 5681 3.1: after a timeout cwnd is one segment (the loss window). */
const LOSS_WINDOW_SEGMENTS: i32 = 1;

export class CongestionControl {
  cwnd: i32 = 0;
  ssthresh: i32 = SSTHRESH_INFINITE;
  /** In fast recovery until everything sent before it began (`recover`) is acknowledged. */
  inRecovery: bool = false;
  recover: u32 = 0;
  /** Whether `recover` holds a value (RFC 6582 3.2 step 1 sets it at the start and on a timeout). */
  recoverSet: bool = false;
  /** Bytes acknowledged in congestion avoidance not yet turned into cwnd growth. */
  protected acked: i32 = 0;

  /** A new connection whose segments are `mss` bytes. */
  reset(mss: i32): void {
    // RFC 6928 2: IW = min(10 * MSS, max(2 * MSS, 14600)).
    const segments = INITIAL_WINDOW_SEGMENTS * mss;
    const twoSegments = 2 * mss;
    const bytes = twoSegments > INITIAL_WINDOW_MAX_BYTES ? twoSegments : INITIAL_WINDOW_MAX_BYTES;
    this.cwnd = segments < bytes ? segments : bytes;
    this.ssthresh = SSTHRESH_INFINITE;
    this.inRecovery = false;
    this.recover = 0;
    this.recoverSet = false;
    this.acked = 0;
  }

  /** `bytes` newly acknowledged outside recovery. */
  onAck(bytes: i32, mss: i32): void {
    if (this.cwnd < this.ssthresh) {
      // Slow start, counting bytes (RFC 3465) so a stretch ACK grows cwnd as the ACKs it stands for.
      this.cwnd = addCapped(this.cwnd, bytes);
      return;
    }
    // Congestion avoidance: about one segment per window of data acknowledged (RFC 5681 eq. 3).
    this.acked = addCapped(this.acked, bytes);
    if (this.acked >= this.cwnd) {
      this.acked -= this.cwnd;
      this.cwnd = addCapped(this.cwnd, mss);
    }
  }

  /**
   * The third duplicate ACK with `flight` bytes outstanding and `highest` the end of what was sent.
   * False when a recovery that covers it is already running (RFC 6582 3.2 step 2: no new one).
   */
  onDuplicateAckThreshold(flight: i32, mss: i32, highest: u32, sndUna: u32): bool {
    // RFC 6582 3.2 step 2: duplicates of data sent before the last loss event (not beyond
    // `recover`) start no new recovery.
    if (this.inRecovery || (this.recoverSet && !seqGt(sndUna, this.recover))) return false;
    this.ssthresh = lossThreshold(flight, mss);
    this.cwnd = addCapped(this.ssthresh, DUPLICATE_ACK_THRESHOLD * mss);
    this.inRecovery = true;
    this.recover = highest;
    this.recoverSet = true;
    return true;
  }

  /** A further duplicate ACK during recovery: one more segment has left the network. */
  onDuplicateAckInRecovery(mss: i32): void {
    this.cwnd = addCapped(this.cwnd, mss);
  }

  /**
   * An ACK for `bytes` during recovery. Returns true when it was partial (RFC 6582 3.2 step 5: the
   * next hole should be retransmitted at once), false when it ended recovery.
   */
  onAckInRecovery(ack: u32, bytes: i32, flight: i32, mss: i32): bool {
    if (seqGe(ack, this.recover)) {
      // Full acknowledgment (RFC 6582 3.2 step 4, first option).
      const deflated = flight + mss;
      this.cwnd = deflated < this.ssthresh ? deflated : this.ssthresh;
      this.inRecovery = false;
      return false;
    }
    // Partial: deflate by what was acknowledged, add back one segment.
    this.cwnd = this.cwnd - bytes + mss;
    if (this.cwnd < mss) this.cwnd = mss;
    return true;
  }

  /** The retransmission timer expired (RFC 5681 eq. 4 and 3.1 loss window). */
  onTimeout(flight: i32, mss: i32, highest: u32): void {
    this.ssthresh = lossThreshold(flight, mss);
    this.cwnd = LOSS_WINDOW_SEGMENTS * mss;
    this.acked = 0;
    // RFC 6582 3.2 step 1 after a timeout: recover is the highest sequence sent.
    this.inRecovery = false;
    this.recover = highest;
    this.recoverSet = true;
  }
}

/** RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
function lossThreshold(flight: i32, mss: i32): i32 {
  const half = flight >> 1;
  const floor = MIN_SSTHRESH_SEGMENTS * mss;
  return half > floor ? half : floor;
}

/** a + b without passing i32.MAX_VALUE. */
@inline function addCapped(a: i32, b: i32): i32 {
  const sum = <i64>a + <i64>b;
  return sum > <i64>i32.MAX_VALUE ? i32.MAX_VALUE : <i32>sum;
}
