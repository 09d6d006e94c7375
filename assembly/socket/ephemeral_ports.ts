// Ephemeral port choice for one socket table (RFC 6056). Ports come from the dynamic range
// 49152..65535 inclusive (RFC 6335 section 6). The starting point of each search is a keyed hash
// (the stack's secret, see secret.ts) of the local address and a per-table counter, so an
// off-path attacker who sees some of our ports cannot predict the next one (RFC 6056 section 3.3.3
// shape, with SipHash as F), while a seeded run replays exactly. The search itself is a PortSet
// lookup: O(1) amortised, and a full range is known at once from its free count, without a scan.

import { PortSet, PORT_COUNT as PORT_SET_SIZE } from "../storage/port_set";
import { Secret, SECRET_USE_PORTS } from "../secret";

/** RFC 6335 section 6: the dynamic (ephemeral) port range, 49152-65535 inclusive. */
export const EPHEMERAL_PORT_FIRST: i32 = 49152;
export const EPHEMERAL_PORT_LAST: i32 = 65535;
const EPHEMERAL_PORT_COUNT: u32 = <u32>(EPHEMERAL_PORT_LAST - EPHEMERAL_PORT_FIRST + 1);
/** Every port number (0..65535). */
export const PORT_COUNT: i32 = PORT_SET_SIZE;

export class EphemeralPorts {
  /** Ports with at least one socket bound in this table. */
  private readonly taken: PortSet = new PortSet(EPHEMERAL_PORT_FIRST, EPHEMERAL_PORT_LAST);
  /** Counts choices, so successive ones from one address start at unrelated points. */
  private choices: u64 = 0;

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

  @inline take(port: u32): void {
    this.taken.take(<i32>port);
  }

  @inline release(port: u32): void {
    this.taken.release(<i32>port);
  }
}
