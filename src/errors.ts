// One error family for the whole runtime. Every error says what failed; where it comes
// from config.json it names the field (JSON pointer rendered as `a.b[2].c`); where it
// comes from a syscall it carries the errno. `exitCode` is what the CLI exits with.
import os = require('os');

/**
 * What kind of failure, stable across versions (a library caller switches on it, never on the
 * message): TSRUN anything else; CONFIG config.json/process.json (`field` names it);
 * ENOENT_CONTAINER no such container; EXISTS the id is taken; NOT_RUNNING the container has
 * stopped; BAD_STATUS it is in a status the call cannot act on (`status`); LOCKED another
 * operation holds it; CORRUPT_STATE its state.json is unreadable; SYSCALL a syscall failed
 * (`errno`); USAGE a wrong command line; ABORT_ERR the call's AbortSignal fired (Node's code).
 */
export type TsrunErrorCode = 'TSRUN' | 'CONFIG' | 'ENOENT_CONTAINER' | 'EXISTS' | 'NOT_RUNNING' | 'BAD_STATUS' | 'LOCKED'
  | 'CORRUPT_STATE' | 'SYSCALL' | 'USAGE' | 'ABORT_ERR';

export interface TsrunErrorOptions { field?: string; errno?: number; exitCode?: number; code?: TsrunErrorCode; cause?: unknown }

export class TsrunError extends Error {
  readonly code: TsrunErrorCode;
  readonly exitCode: number;
  /** The config field (`linux.resources.memory.limit`, `process.args`) or flag (`--pid-file`) at fault. */
  readonly field?: string;
  /** The errno of the syscall that failed. */
  readonly errno?: number;
  constructor(message: string, opts: TsrunErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TsrunError';
    this.code = opts.code ?? (opts.errno !== undefined ? 'SYSCALL' : 'TSRUN');
    this.exitCode = opts.exitCode ?? 1;
    this.field = opts.field;
    this.errno = opts.errno;
  }
}

/** The id is taken by another container (or what an aborted create left). */
export class ExistsError extends TsrunError {
  constructor(message = 'container with given ID already exists') {
    super(message, { code: 'EXISTS' });
    this.name = 'ExistsError';
  }
}

/** The container's status does not allow the call: NOT_RUNNING when it has stopped, else BAD_STATUS. */
export class StatusError extends TsrunError {
  constructor(message: string, readonly status: string) {
    super(message, { code: status === 'stopped' ? 'NOT_RUNNING' : 'BAD_STATUS' });
    this.name = 'StatusError';
  }
}

/** Another tsrun operation holds the container's lock. */
export class LockedError extends TsrunError {
  constructor(message: string) {
    super(message, { code: 'LOCKED' });
    this.name = 'LockedError';
  }
}

/**
 * The call's AbortSignal fired: name 'AbortError' and code 'ABORT_ERR' as Node's own aborted
 * calls (fs, timers/promises, events.once), the signal's reason as `cause`.
 */
export class AbortError extends TsrunError {
  constructor(reason?: unknown) {
    super('The operation was aborted', { code: 'ABORT_ERR', cause: reason });
    this.name = 'AbortError';
  }
}

/** config.json (or process.json) is malformed or asks for something impossible. */
export class ConfigError extends TsrunError {
  constructor(field: string, problem: string) {
    super(field ? `${field}: ${problem}` : problem, { field, code: 'CONFIG' });
    this.name = 'ConfigError';
  }
}

/** The container named does not exist (containerd matches "does not exist"). */
export class NotExistError extends TsrunError {
  constructor(id: string) {
    super('container does not exist', { code: 'ENOENT_CONTAINER' });
    void id;
    this.name = 'NotExistError';
  }
}

/** A syscall failed in the runtime or in the container's child before exec. */
export class SyscallError extends TsrunError {
  constructor(what: string, errno: number, field?: string) {
    super(`${field ? field + ': ' : ''}${what}: ${strerror(errno)}`, { errno, field, code: 'SYSCALL' });
    this.name = 'SyscallError';
  }
}

const ERRNO_TEXT: Record<number, string> = {
  1: 'operation not permitted', 2: 'no such file or directory', 3: 'no such process', 4: 'interrupted system call',
  5: 'input/output error', 7: 'argument list too long', 8: 'exec format error', 9: 'bad file descriptor', 11: 'resource temporarily unavailable',
  12: 'cannot allocate memory', 13: 'permission denied', 14: 'bad address', 16: 'device or resource busy', 17: 'file exists',
  18: 'invalid cross-device link', 19: 'no such device', 20: 'not a directory', 21: 'is a directory', 22: 'invalid argument',
  24: 'too many open files', 25: 'inappropriate ioctl for device', 26: 'text file busy', 28: 'no space left on device', 30: 'read-only file system',
  32: 'broken pipe', 36: 'file name too long', 38: 'function not implemented', 39: 'directory not empty', 40: 'too many levels of symbolic links',
  95: 'operation not supported', 110: 'connection timed out', 111: 'connection refused',
};

export function strerror(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

/** The command line is wrong (runc's "Incorrect Usage"): exit 1, the command's help on stdout. */
export class UsageError extends TsrunError {
  constructor(message: string, readonly command?: string, readonly flagProblem = false) {
    super(message, { exitCode: 1, code: 'USAGE' });
    this.name = 'UsageError';
  }
}

/** The cause of a failed fs call as strerror text ("no such file or directory"), else the message. */
export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.errno === 'number' && typeof err.code === 'string') return strerror(Math.abs(err.errno));
  return e instanceof Error ? e.message : String(e);
}

// Node's "ENOENT: no such file or directory, open '/x'" (libuv's texts, its own layout)
const NODE_ERROR = /\b(E[A-Z0-9]+): ([^,\n]+), (\w+)(?: '([^']*)')?(?: -> '([^']*)')?/g;

/** Any Node fs error text left in a message, in runc's form: "open /x: no such file or directory". */
export function plainMessage(msg: string): string {
  return msg.replace(NODE_ERROR, (_m, code: string, text: string, syscall: string, p?: string, dest?: string) => {
    const n = os.constants.errno[code as keyof typeof os.constants.errno];
    const cause = n !== undefined && ERRNO_TEXT[n] ? ERRNO_TEXT[n] : text;
    return `${syscall}${p !== undefined ? ` ${p}` : ''}${dest !== undefined ? ` ${dest}` : ''}: ${cause}`;
  });
}

/**
 * What the library hands its caller for any error: a TsrunError as it is; an errno error from
 * Node or the addon (`code` 'EACCES', ...) as a TsrunError with code SYSCALL and its `errno`; anything
 * else (a bug) as a TsrunError with code TSRUN. The original is the `cause`.
 */
export function toTsrunError(e: unknown): TsrunError {
  if (e instanceof TsrunError) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as NodeJS.ErrnoException;
  const message = typeof err.message === 'string' && err.message ? err.message : String(e);
  const named = typeof err.code === 'string' ? (os.constants.errno as Record<string, number>)[err.code] : undefined;
  const errno = typeof err.errno === 'number' && err.errno !== 0 ? Math.abs(err.errno) : named;
  return errno !== undefined ? new TsrunError(message, { errno, cause: e }) : new TsrunError(`internal error: ${message}`, { cause: e });
}

/** `fn` whose every failure (thrown or rejected) is a TsrunError (toTsrunError). */
export function throwsTsrunErrors<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    let r: R;
    try {
      r = fn(...args);
    } catch (e) {
      throw toTsrunError(e);
    }
    return (r instanceof Promise ? r.catch((e: unknown) => { throw toTsrunError(e); }) : r) as R;
  };
}
