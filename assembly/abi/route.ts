// Routing queries: what the interface would do with a destination.

import { initialized, core } from "./instance";

/**
 * The next hop a packet to `dst` goes to (dst itself when on a connected prefix, else the
 * gateway), or 0 when there is no route. The host matches ARP give-up notices with it.
 */
export function routeNextHop(dst: u32): u32 {
  if (!initialized()) return 0;
  return core().iface.nextHop(dst);
}
