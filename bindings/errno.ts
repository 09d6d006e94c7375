// The errno table shared by core and host. The core returns these as negative numbers; the values
// are Linux's (asm-generic/errno-base.h, errno.h) so that a trace reads like strace output, and the
// names are the `code` strings Node puts on its errors.

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ERANGE: 34,
  ENOSYS: 38,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

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
