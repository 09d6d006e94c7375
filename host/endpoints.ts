// Checking and resolving the (address, port) arguments every socket API takes, the way Node checks
// them, so dgram and net agree on what a port is and what an address may be.

import { Errno } from '../bindings/index.js';
import { parseIpv4 } from './address.js';
import { systemError, invalidArgType, badPort } from './errors.js';

/** What 'localhost' means here (names are not resolved yet; this one is fixed). */
export const LOCALHOST = '127.0.0.1';
export const MAX_PORT = 0xffff;

/** A port as Node accepts it (a number or a numeric string) in 1..65535, or 0..65535 with allowZero. */
export function checkPort(port: unknown, allowZero: boolean, name = 'Port'): number {
  const n = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > MAX_PORT) {
    throw badPort(name, port, allowZero);
  }
  return n;
}

export function checkAddressType(address: unknown, name = 'address'): void {
  if (address !== undefined && address !== null && typeof address !== 'string') {
    throw invalidArgType(name, 'of type string', address);
  }
}

/** An address as the core's u32; names other than localhost are not resolved yet (EINVAL). */
export function resolveAddress(address: string, syscall: string): number | Error {
  const value = parseIpv4(address === 'localhost' ? LOCALHOST : address);
  if (value === undefined) return systemError(-Errno.EINVAL, syscall, { address, detail: '(not an IPv4 address; names are not resolved yet)' });
  return value;
}
