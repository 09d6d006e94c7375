// The host's one error style, the one Node uses, so code written for Node handles our errors
// unchanged:
//   - system errors (what a socket call returned): an Error with `code` ('ECONNREFUSED'), `errno`
//     (negative, as Node's), `syscall` ('send', 'bind'...) and, where Node sets them, `address` and
//     `port`; the message reads like Node's: "send ECONNREFUSED 10.0.0.2:9";
//   - argument errors (the caller's mistake): TypeError, RangeError or Error carrying Node's
//     `ERR_*` code, thrown synchronously as Node's own classes do.

import { ErrnoError } from '../bindings/index.js';

export { ErrnoError };

/** Where a system error happened, as Node puts it on the error. */
export interface ErrorLocation {
  address?: string;
  port?: number;
  /** Extra words after the code and location, e.g. "(stack closed)". */
  detail?: string;
}

/** A system error from a negative (or positive) errno, e.g. systemError(-111, 'send', {address, port}). */
export function systemError(errno: number, syscall: string, where: ErrorLocation = {}): ErrnoError {
  const location = where.address === undefined ? '' : where.port === undefined ? where.address : `${where.address}:${where.port}`;
  const detail = [location, where.detail ?? ''].filter((s) => s !== '').join(' ');
  const error = new ErrnoError(errno, syscall, detail === '' ? undefined : detail);
  if (where.address !== undefined) (error as ErrnoError & { address?: string }).address = where.address;
  if (where.port !== undefined) (error as ErrnoError & { port?: number }).port = where.port;
  return error;
}

/** Node's argument error codes this host raises. */
export type NodeErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_BUFFER_OUT_OF_BOUNDS'
  | 'ERR_MISSING_ARGS'
  | 'ERR_SOCKET_BAD_PORT'
  | 'ERR_SOCKET_BAD_TYPE'
  | 'ERR_SOCKET_ALREADY_BOUND'
  | 'ERR_SOCKET_DGRAM_IS_CONNECTED'
  | 'ERR_SOCKET_DGRAM_NOT_CONNECTED'
  | 'ERR_SOCKET_DGRAM_NOT_RUNNING'
  | 'ERR_SERVER_ALREADY_LISTEN'
  | 'ERR_SERVER_NOT_RUNNING'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_STREAM_DESTROYED'
  | 'ERR_INVALID_IP_ADDRESS';

type CodedError<E extends Error> = E & { readonly code: NodeErrorCode };

function withCode<E extends Error>(error: E, code: NodeErrorCode): CodedError<E> {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as CodedError<E>;
}

export const typeError = (code: NodeErrorCode, message: string): CodedError<TypeError> => withCode(new TypeError(message), code);
export const rangeError = (code: NodeErrorCode, message: string): CodedError<RangeError> => withCode(new RangeError(message), code);
export const plainError = (code: NodeErrorCode, message: string): CodedError<Error> => withCode(new Error(message), code);

/** How Node describes a received value in its argument errors ("Received type number (5)"). */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') return `Received function ${(value as { name?: string }).name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `Received an instance of ${name}` : 'Received an object';
  }
  const shown = typeof value === 'string' ? `'${value.length > 25 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  return `Received type ${typeof value} (${shown})`;
}

/** ERR_INVALID_ARG_TYPE: `name` must be `expected` (a phrase such as 'of type string'). */
export function invalidArgType(name: string, expected: string, received: unknown): CodedError<TypeError> {
  return typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. ${describeReceived(received)}`);
}

/** ERR_INVALID_ARG_VALUE: `name` has the right type but a value that cannot work. */
export function invalidArgValue(name: string, value: unknown, reason: string): CodedError<TypeError> {
  let shown: string;
  try {
    shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return typeError('ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${shown}`);
}

/** ERR_OUT_OF_RANGE: `name` must be `range` ('>= 0 and <= 60000'). */
export function outOfRange(name: string, range: string, received: unknown): CodedError<RangeError> {
  return rangeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${String(received)}`);
}

/** ERR_SOCKET_BAD_PORT, as Node's dgram says it. */
export function badPort(name: string, port: unknown, allowZero: boolean): CodedError<RangeError> {
  return rangeError('ERR_SOCKET_BAD_PORT', `${name} should be >${allowZero ? '=' : ''} 0 and < 65536. Received ${describeReceived(port).replace(/^Received /, '')}.`);
}

export const socketNotRunning = (): CodedError<Error> => plainError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
export const socketIsConnected = (): CodedError<Error> => plainError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
export const socketNotConnected = (): CodedError<Error> => plainError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
export const socketAlreadyBound = (): CodedError<Error> => plainError('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
