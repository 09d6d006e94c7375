// Parses one buffer as a chosen wire format: the fuzzers' entry point into every parser, and a
// diagnostic for the host. The views and reprs are created once, at module start.

import { WireError } from "../wire/error";
import { EthernetFrame, EthernetRepr } from "../wire/ethernet";

/** Values of bindings/exports.ts WireFormat. */
export namespace WireFormat {
  export const ETHERNET: i32 = 0;
  export const ARP: i32 = 1;
  export const IPV4: i32 = 2;
  export const ICMPV4: i32 = 3;
  export const UDP: i32 = 4;
  export const TCP: i32 = 5;
  export const DHCPV4: i32 = 6;
  export const DNS: i32 = 7;
  export const FRAME: i32 = 8;
}

/** wireCheck flag bit: verify checksums. */
export const VERIFY_CHECKSUMS: i32 = 1;

const ethernetFrame = new EthernetFrame();
const ethernetRepr = new EthernetRepr();

function checkEthernet(ptr: usize, len: i32): i32 {
  const r = ethernetFrame.check(ptr, len);
  if (r < 0) return r;
  return ethernetRepr.parse(ethernetFrame);
}

export function wireCheck(format: i32, ptr: usize, len: i32, flags: i32): i32 {
  if (len < 0) return WireError.Truncated;
  switch (format) {
    case WireFormat.ETHERNET: return checkEthernet(ptr, len);
  }
  return WireError.Unsupported;
}

/** The address at which `len` bytes end exactly at the end of memory (0 if they cannot fit). */
export function wireInputAt(len: i32): usize {
  const end = <usize>memory.size() << 16;
  if (len < 0 || <usize>len > end) return 0;
  return end - <usize>len;
}
