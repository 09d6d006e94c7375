// Round-trip time estimation and the retransmission timeout (RFC 6298).
//
// One sample at a time is timed (RFC 6298 section 3: at most one measurement per RTT): the
// sequence number that ends the timed segment and when it left. Karn's algorithm (section 3, and
// RFC 9293 3.8.1): a segment that was retransmitted gives no sample, because its ACK may answer
// either copy, so a retransmission cancels the measurement in progress.

import { Duration, Instant, MICROS_PER_MILLI, MICROS_PER_SECOND, satAdd } from "../../time";
import { seqGe } from "../../seq";

/** RFC 6298 2.1: before any sample, RTO is one second. */
export const RTO_INITIAL: Duration = MICROS_PER_SECOND;
/**
 * Lower bound of the RTO. RFC 6298 2.4 suggests one second; Linux uses 200 ms (TCP_RTO_MIN), and a
 * peer that is Linux expects a stack to recover as quickly as it does, so we follow Linux.
 */
export const RTO_MIN: Duration = 200 * MICROS_PER_MILLI;
/**
 * RFC 6298 5.7: when the SYN (or SYN-ACK) had to be retransmitted and the handshake gave no sample,
 * the RTO is 3 s once data transmission begins.
 */
export const RTO_AFTER_LOST_SYN: Duration = 3 * MICROS_PER_SECOND;
/** Upper bound of the RTO (RFC 6298 2.5 allows any value of at least 60 s; Linux's TCP_RTO_MAX). */
export const RTO_MAX: Duration = 120 * MICROS_PER_SECOND;
/** Clock granularity G of RFC 6298 2.3: the host's clock is in microseconds, polls are not finer. */
const CLOCK_GRANULARITY: Duration = MICROS_PER_MILLI;
/** RFC 6298 2.3: K = 4, alpha = 1/8, beta = 1/4 (as shifts). */
const K: i64 = 4;
const ALPHA_SHIFT: i64 = 3;
const BETA_SHIFT: i64 = 2;

export class RttEstimator {
  /** Smoothed RTT and its variation, microseconds; srtt 0 means no sample yet. */
  srtt: Duration = 0;
  rttvar: Duration = 0;
  /** The current timeout before backoff. */
  rto: Duration = RTO_INITIAL;
  /** Samples taken (for the report). */
  samples: u32 = 0;
  private timing: bool = false;
  private timedEnd: u32 = 0;
  private timedAt: Instant = 0;

  reset(): void {
    this.srtt = 0;
    this.rttvar = 0;
    this.rto = RTO_INITIAL;
    this.samples = 0;
    this.timing = false;
  }

  /** A segment ending at `end` (exclusive) left at `now`; timed unless a measurement is running. */
  onSend(end: u32, now: Instant): void {
    if (this.timing) return;
    this.timing = true;
    this.timedEnd = end;
    this.timedAt = now;
  }

  /** Karn: something was retransmitted, so the running measurement would be ambiguous. */
  onRetransmit(): void {
    this.timing = false;
  }

  /** The peer acknowledged everything before `ack` at `now`: a sample if the timed segment is in it. */
  onAck(ack: u32, now: Instant): void {
    if (!this.timing || !seqGe(ack, this.timedEnd)) return;
    this.timing = false;
    let r = now - this.timedAt;
    if (r < 0) r = 0;
    this.sample(r);
  }

  /** RFC 6298 2.2 and 2.3. */
  sample(r: Duration): void {
    if (this.samples == 0) {
      this.srtt = r;
      this.rttvar = r >> 1;
    } else {
      const delta = this.srtt > r ? this.srtt - r : r - this.srtt;
      this.rttvar = this.rttvar - (this.rttvar >> BETA_SHIFT) + (delta >> BETA_SHIFT);
      this.srtt = this.srtt - (this.srtt >> ALPHA_SHIFT) + (r >> ALPHA_SHIFT);
    }
    this.samples++;
    const variation = K * this.rttvar;
    this.rto = clampRto(satAdd(this.srtt, variation > CLOCK_GRANULARITY ? variation : CLOCK_GRANULARITY));
  }
}

/** RFC 6298 2.4 and 2.5, with our bounds. */
export function clampRto(rto: Duration): Duration {
  return rto < RTO_MIN ? RTO_MIN : rto > RTO_MAX ? RTO_MAX : rto;
}

/** The timeout after `backoffs` expirations: doubled each time (RFC 6298 5.5), never past RTO_MAX. */
export function backedOff(rto: Duration, backoffs: i32): Duration {
  let t = rto;
  for (let i = 0; i < backoffs && t < RTO_MAX; i++) t <<= 1;
  return t > RTO_MAX ? RTO_MAX : t;
}
