// Turning a connect() host into an IPv4 address the way node:net does (lookupAndConnect): an IP
// literal is used as it is, with no lookup and no 'lookup' event; a name goes through the caller's
// `lookup` function (dns.lookup's signature) and the socket emits 'lookup' with its answer. The
// stack has no resolver of its own yet, so without a `lookup` option only 'localhost' resolves
// (to 127.0.0.1, as the stack's loopback), and any other name fails as getaddrinfo does: ENOTFOUND.

import { Errno } from '../bindings/index.js';
import { isIpv4 } from './address.js';
import { LOCALHOST } from './endpoints.js';
import { isIpv6 } from './ip-syntax.js';
import { systemError, invalidArgType, typeError } from './errors.js';

/** dns.lookup's callback: one address and its family (or, with `all`, a list of them). */
export type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;
export interface LookupAddress {
  address: string;
  family: number;
}
export interface LookupOptions {
  family: 4;
  hints: number;
  all: false;
}
export type LookupFunction = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/** libuv's EAI_NONAME, which Node reports as ENOTFOUND (syscall getaddrinfo). */
const UV_EAI_NONAME = -3008;
const IPV4_FAMILY = 4;

/** getaddrinfo's ENOTFOUND, as Node's dns.lookup raises it. */
export function notFoundError(hostname: string): Error {
  const error = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as Error & Record<string, unknown>;
  error.errno = UV_EAI_NONAME;
  error.code = 'ENOTFOUND';
  error.syscall = 'getaddrinfo';
  error.hostname = hostname;
  return error;
}

/** What the stack resolves without help: 'localhost' only. Answers later, as dns.lookup does. */
export const builtinLookup: LookupFunction = (hostname, _options, callback) => {
  queueMicrotask(() => {
    if (hostname.toLowerCase() === 'localhost') callback(null, LOCALHOST, IPV4_FAMILY);
    else callback(notFoundError(hostname), '', 0);
  });
};

export type HostAnswer = { address: string } | { lookup: LookupFunction };

/** An IP literal needs no lookup (as Node); a name needs one, the caller's or the built-in. */
export function planLookup(host: string, lookup: unknown): HostAnswer {
  if (isIpv4(host) || isIpv6(host)) return { address: host };
  if (lookup !== undefined && typeof lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', lookup);
  return { lookup: (lookup as LookupFunction | undefined) ?? builtinLookup };
}

/**
 * The IPv4 address in a lookup's answer, or the error connect fails with: the lookup's own, an
 * answer that is no IP address (Node's ERR_INVALID_IP_ADDRESS), or an IPv6 one (EAFNOSUPPORT: the
 * stack has no IPv6).
 */
export function pickAddress(answer: string | LookupAddress[] | undefined, host: string, port: number): string | Error {
  const list = Array.isArray(answer) ? answer.map((a) => a.address) : [answer];
  const v4 = list.find((a): a is string => typeof a === 'string' && isIpv4(a));
  if (v4 !== undefined) return v4;
  const first = list[0];
  if (typeof first === 'string' && isIpv6(first)) return systemError(-Errno.EAFNOSUPPORT, 'connect', { address: first, port, detail: `(${host}: IPv6 is not supported)` });
  return typeError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(first)}`);
}
