// One Ethernet interface holding several IPv4 addresses, 127.0.0.1/8 always among them (field
// report 001: one interface, many addresses, software loopback), and the routes that follow from
// them: a connected route per prefix and an optional default gateway.

import { CONFIG_MAX_ADDRESSES } from "../../bindings/layout";

export const LOOPBACK_ADDRESS: u32 = 0x7f000001;
export const LOOPBACK_PREFIX_LENGTH: u8 = 8;
/** 255.255.255.255, RFC 919 section 7's limited broadcast. */
export const LIMITED_BROADCAST: u32 = 0xffffffff;
/** No next hop: the destination is unreachable. */
export const NO_ROUTE: u32 = 0;
const MAX_PREFIX_LENGTH: u8 = 32;
/** Prefixes of /31 and /32 have no broadcast address (RFC 3021). */
const MIN_PREFIX_WITH_BROADCAST: u8 = 30;

@inline export function prefixMask(length: u8): u32 {
  return length == 0 ? 0 : <u32>(0xffffffff << (MAX_PREFIX_LENGTH - length));
}

/** 127.0.0.0/8 (RFC 1122 3.2.1.3(g)): never on the wire. */
@inline export function isLoopbackNet(ip: u32): bool {
  return (ip >>> 24) == 127;
}

export class Interface {
  mac: u64 = 0;
  gateway: u32 = 0;
  /** Slot 0 is always 127.0.0.1/8; the configured addresses follow. */
  readonly addresses: StaticArray<u32> = new StaticArray<u32>(CONFIG_MAX_ADDRESSES + 1);
  readonly prefixLengths: StaticArray<u8> = new StaticArray<u8>(CONFIG_MAX_ADDRESSES + 1);
  count: i32 = 1;

  constructor() {
    unchecked(this.addresses[0] = LOOPBACK_ADDRESS);
    unchecked(this.prefixLengths[0] = LOOPBACK_PREFIX_LENGTH);
  }

  /** Adds an address; returns false when the table is full or the address is unusable. */
  addAddress(ip: u32, prefixLength: u8): bool {
    if (ip == 0 || ip == LIMITED_BROADCAST || prefixLength > MAX_PREFIX_LENGTH) return false;
    if (this.count >= this.addresses.length) return false;
    if (this.isOwn(ip)) return true;
    unchecked(this.addresses[this.count] = ip);
    unchecked(this.prefixLengths[this.count] = prefixLength);
    this.count++;
    return true;
  }

  /** Whether ip is one of our unicast addresses (any 127/8 address counts, as on Linux). */
  isOwn(ip: u32): bool {
    if (isLoopbackNet(ip)) return true;
    for (let i = 1; i < this.count; i++) if (unchecked(this.addresses[i]) == ip) return true;
    return false;
  }

  /** Whether ip is the limited broadcast or the directed broadcast of one of our prefixes. */
  isBroadcast(ip: u32): bool {
    if (ip == LIMITED_BROADCAST) return true;
    for (let i = 1; i < this.count; i++) {
      const length = unchecked(this.prefixLengths[i]);
      if (length > MIN_PREFIX_WITH_BROADCAST) continue;
      const mask = prefixMask(length);
      if ((ip & mask) == (unchecked(this.addresses[i]) & mask) && (ip | mask) == LIMITED_BROADCAST) return true;
    }
    return false;
  }

  /** Index of the configured address whose prefix holds ip (longest match), or -1. */
  private connectedIndex(ip: u32): i32 {
    let best = -1;
    let bestLength: i32 = -1;
    for (let i = 1; i < this.count; i++) {
      const length = unchecked(this.prefixLengths[i]);
      const mask = prefixMask(length);
      if ((ip & mask) == (unchecked(this.addresses[i]) & mask) && <i32>length > bestLength) {
        best = i;
        bestLength = length;
      }
    }
    return best;
  }

  /**
   * The neighbour a packet to dst goes to: dst itself when it is on a connected prefix (or a
   * broadcast), the gateway otherwise, NO_ROUTE when there is neither.
   */
  nextHop(dst: u32): u32 {
    // 127/8 never goes to the wire, not even through the gateway (RFC 1122 3.2.1.3(g)).
    if (dst == 0 || isLoopbackNet(dst)) return NO_ROUTE;
    if (this.isBroadcast(dst)) return dst;
    if (this.connectedIndex(dst) >= 0) return dst;
    if (this.gateway != 0 && this.connectedIndex(this.gateway) >= 0) return this.gateway;
    return NO_ROUTE;
  }

  /** The source address for packets to dst: loopback for 127/8, the matching prefix's address, else the first. */
  sourceFor(dst: u32): u32 {
    if (isLoopbackNet(dst)) return LOOPBACK_ADDRESS;
    if (this.isOwn(dst)) return dst;
    const i = this.connectedIndex(dst);
    if (i >= 0) return unchecked(this.addresses[i]);
    if (this.gateway != 0) {
      const g = this.connectedIndex(this.gateway);
      if (g >= 0) return unchecked(this.addresses[g]);
    }
    return this.count > 1 ? unchecked(this.addresses[1]) : 0;
  }
}
