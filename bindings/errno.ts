// The errno table shared by core and host. The core returns these as negative numbers; the values
// are Linux's (asm-generic/errno-base.h, errno.h) so that a trace reads like strace output, and the
// names are the `code` strings Node puts on its errors.

import * as errnoValues from './errno_values.js';

/** Every errno the core can return, by name. */
export const Errno = { ...errnoValues } as const;


export type ErrnoName = keyof typeof Errno;

const namesByNumber = new Map<number, ErrnoName>(
  (Object.keys(Errno) as ErrnoName[]).map((name) => [Errno[name], name]),
);

/** The Node-style code for a negative (or positive) errno from the core, e.g. -111 -> ECONNREFUSED. */
export function errnoName(code: number): ErrnoName | `E${number}` {
  const n = Math.abs(code);
  return namesByNumber.get(n) ?? `E${n}`;
}

/** An Error carrying a Node-style `code`, `errno` (negative, as Node does) and the failing call. */
export class ErrnoError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(code: number, syscall: string, detail?: string) {
    const name = errnoName(code);
    super(`${syscall} ${name}${detail ? ` ${detail}` : ''}`);
    this.name = 'Error';
    this.code = name;
    this.errno = -Math.abs(code);
    this.syscall = syscall;
  }
}
