// The limits and timings every TCP connection of one stack shares, from the config (a zero config
// field means the default below). Kept apart from the connection so a spec can build connections
// with other timings without a config block.

import { Duration, MICROS_PER_MILLI, MICROS_PER_SECOND } from "../../time";

/** RFC 9293 3.7.1: a peer that sends no MSS option can take 536-byte segments. */
export const DEFAULT_PEER_MSS: i32 = 536;
/**
 * Smallest MSS we honour from a peer. A hostile MSS of 1 would have us cut a write into one-byte
 * segments; Linux clamps to 48 bytes of payload (TCP_MIN_SND_MSS), we to 64.
 */
export const MIN_PEER_MSS: i32 = 64;
/** IPv4 and TCP headers without options (RFC 9293 3.7.1: MSS = MTU - 40 for IPv4). */
export const TCP_IP_HEADERS_LEN: i32 = 40;

export class TcpParams {
  /** The MSS we announce: what one segment to us can carry (MTU minus the headers). */
  mss: i32 = 1460;
  /** Send and receive ring of each connection, bytes. */
  sendBytes: i32 = 64 * 1024;
  recvBytes: i32 = 64 * 1024;
  /** Out-of-order holes the receive side keeps track of (storage/assembler.ts). */
  maxHoles: i32 = 32;
  /** RFC 9293 3.8.6.3: an ACK is delayed less than 0.5 s; Linux's minimum delay is 40 ms. */
  delayedAck: Duration = 40 * MICROS_PER_MILLI;
  /** TIME-WAIT lasts 2 * MSL (RFC 9293 3.4.2: MSL is 2 minutes there; Linux and we use 60 s in all). */
  timeWait: Duration = 60 * MICROS_PER_SECOND;
  /** After close, unsent or unacknowledged data gets this long before the connection is reset. */
  linger: Duration = 2 * MICROS_PER_SECOND;
  /**
   * A connection closed by its user and stuck in FIN-WAIT-1, FIN-WAIT-2, CLOSING or LAST-ACK (the
   * peer vanished) is reset and reclaimed after this long (field report 000).
   */
  orphanTimeout: Duration = 30 * MICROS_PER_SECOND;
  /** Retransmissions of a SYN before connect fails with ETIMEDOUT (Linux tcp_syn_retries). */
  synRetries: i32 = 6;
  /** Retransmissions of a SYN-ACK before a half-open connection is dropped (tcp_synack_retries). */
  synAckRetries: i32 = 5;
  /** Retransmissions of data (or FIN) before the connection fails with ETIMEDOUT (tcp_retries2). */
  dataRetries: i32 = 15;
  /** Keep-alive, when a connection turns it on (RFC 1122 4.2.3.6: idle at least 2 hours). */
  keepAliveIdle: Duration = 7200 * MICROS_PER_SECOND;
  keepAliveInterval: Duration = 75 * MICROS_PER_SECOND;
  keepAliveProbes: i32 = 9;
  /**
   * Out-of-window segments and RFC 5961 challenges are answered with an ACK at most once per this
   * interval per connection (RFC 5961 7; Linux tcp_invalid_ratelimit), so a flood of forged
   * segments cannot make us flood the peer.
   */
  invalidAckInterval: Duration = 500 * MICROS_PER_MILLI;
  /** Tests only (CONFIG_FLAG_TCP_FIXED_ISS): ISNs are issBase + the 4 us clock, not keyed hashes. */
  fixedIss: bool = false;
  issBase: u32 = 0;
}
