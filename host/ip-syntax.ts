// Whether a text is an IP address, as node:net's isIP / isIPv4 / isIPv6 answer it. The stack speaks
// IPv4 only, but code written for node:net asks these questions about any address (a library
// deciding whether a host needs a lookup), so stack.net answers them for IPv6 too, without node:net
// (the browser bundle has none).

import { isIpv4 } from './address.js';

const IPV6_GROUPS = 8;
const IPV4_GROUPS_IN_IPV6 = 2;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** RFC 4007 section 11: a zone index after '%' (Node accepts any non-empty one). */
const ZONE_SEPARATOR = '%';

/** RFC 4291 section 2.2 text forms: eight groups, one '::' for a run of zeros, a dotted quad at the end. */
export function isIpv6(text: string): boolean {
  const zone = text.indexOf(ZONE_SEPARATOR);
  if (zone === 0 || zone === text.length - 1) return false;
  const address = zone > 0 ? text.slice(0, zone) : text;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return false;
  const all = [...head, ...tail];
  let groups = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIpv4(last)) return false;
    all.pop();
    groups += IPV4_GROUPS_IN_IPV6 - 1;
  }
  if (!all.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? groups < IPV6_GROUPS : groups === IPV6_GROUPS;
}

/** 4, 6 or 0, as net.isIP. */
export function ipVersion(text: unknown): 0 | 4 | 6 {
  if (typeof text !== 'string') return 0;
  if (isIpv4(text)) return 4;
  return isIpv6(text) ? 6 : 0;
}
