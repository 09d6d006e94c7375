// Ephemeral port choice for one socket table (RFC 6056). Ports come from the dynamic range
// 49152..65535 inclusive (RFC 6335 section 6). Two ways to start the search, both from keyed
// hashes (the stack's secret, see secret.ts, with SipHash as F), so an off-path attacker who sees
// some of our ports cannot predict the next one, while a seeded run replays exactly:
//   - choose (a bind with no peer yet: UDP, listen): a hash of the local address and a per-table
//     counter, a fresh random point each time;
//   - chooseFor (a TCP connect): RFC 6056 3.3.3, Algorithm 3: a hash of the local address and the
//     peer's address and port, plus a counter that moves past each port handed out. Successive
//     connections to one peer take successive ports, so a port comes back to the same peer only
//     after the whole range. A random choice could hand a port back within microseconds of its
//     connection's close, while the peer holds that tuple in TIME-WAIT and our new initial
//     sequence number (4-microsecond clock, RFC 6528) has not passed the old connection's yet: the
//     peer refuses the SYN and the connect waits out a 1 s SYN retransmission (seen about once in
//     3,000 connections of a churn benchmark).
// The search itself is a PortSet lookup: O(1) amortised, and a full range is known at once from
// its free count, without a scan.

import { PortSet, PORT_COUNT as PORT_SET_SIZE } from "../storage/port_set";
import { Secret, SECRET_USE_PORTS } from "../secret";

/** RFC 6335 section 6: the dynamic (ephemeral) port range, 49152-65535 inclusive. */
export const EPHEMERAL_PORT_FIRST: i32 = 49152;
export const EPHEMERAL_PORT_LAST: i32 = 65535;
/** How many ports the range holds. */
export const EPHEMERAL_PORTS: i32 = EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1;
const EPHEMERAL_PORT_COUNT: u32 = <u32>EPHEMERAL_PORTS;
/** Every port number (0..65535). */
export const PORT_COUNT: i32 = PORT_SET_SIZE;

/** Keeps chooseFor's hash inputs apart from choose's (whose second word is a counter). */
const PEER_KEYED: u64 = 1 << 63;

export class EphemeralPorts {
  /** Ports with at least one socket bound in this table. */
  private readonly taken: PortSet = new PortSet(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST);
  /** Counts choices, so successive ones from one address start at unrelated points. */
  private choices: u64 = 0;
  /** RFC 6056 Algorithm 3's next_ephemeral: moved past every port chooseFor hands out. */
  private nextEphemeral: u32 = 0;

  constructor(private readonly secret: Secret) {}

  /** Bytes this structure allocates (for the footprint check). */
  static bytesFor(): usize {
    return PortSet.bytesFor();
  }

  /** A free ephemeral port for a socket binding to `address`, or -1 when every one is taken. */
  choose(address: u32): i32 {
    if (this.taken.freeIn(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST) == 0) return -1;
    const offset = <u32>(this.secret.hash(SECRET_USE_PORTS, <u64>address, this.choices++) % <u64>EPHEMERAL_PORT_COUNT);
    return this.taken.nextFree(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, EPHEMERAL_PORT_FIRST + <i32>offset);
  }

  /**
   * A free ephemeral port for a connection from `address` to (remote, remotePort), or -1 when
   * every one is taken (RFC 6056 3.3.3). A caller that finds the port unsuitable (the tuple is in
   * use or in TIME-WAIT) asks again and gets the next one.
   */
  chooseFor(address: u32, remote: u32, remotePort: u32): i32 {
    if (this.taken.freeIn(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST) == 0) return -1;
    const peer = (<u64>remote << 32) | <u64>address;
    const offset = <u32>(this.secret.hash(SECRET_USE_PORTS, peer, <u64>remotePort | PEER_KEYED) % <u64>EPHEMERAL_PORT_COUNT);
    const start = EPHEMERAL_PORT_FIRST + <i32>((offset + this.nextEphemeral) % EPHEMERAL_PORT_COUNT);
    const port = this.taken.nextFree(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST, start);
    // Past the port handed out (the search may have wrapped around the range).
    const skipped = <u32>((port - start + <i32>EPHEMERAL_PORT_COUNT) % <i32>EPHEMERAL_PORT_COUNT);
    this.nextEphemeral += skipped + 1;
    return port;
  }

  @inline take(port: u32): void {
    this.taken.take(<i32>port);
  }

  @inline release(port: u32): void {
    this.taken.release(<i32>port);
  }
}
