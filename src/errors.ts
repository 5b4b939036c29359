// One error family for the whole runtime. Every error says what failed; where it comes
// from config.json it names the field (JSON pointer rendered as `a.b[2].c`); where it
// comes from a syscall it carries the errno. `exitCode` is what the CLI exits with.
import os = require('os');

export class TsrunError extends Error {
  readonly exitCode: number;
  readonly field?: string;
  readonly errno?: number;
  constructor(message: string, opts: { field?: string; errno?: number; exitCode?: number } = {}) {
    super(message);
    this.name = 'TsrunError';
    this.exitCode = opts.exitCode ?? 1;
    this.field = opts.field;
    this.errno = opts.errno;
  }
}

/** config.json (or process.json) is malformed or asks for something impossible. */
export class ConfigError extends TsrunError {
  constructor(field: string, problem: string) {
    super(field ? `${field}: ${problem}` : problem, { field });
    this.name = 'ConfigError';
  }
}

/** The container named does not exist (containerd matches "does not exist"). */
export class NotExistError extends TsrunError {
  constructor(id: string) {
    super('container does not exist');
    void id;
    this.name = 'NotExistError';
  }
}

/** A syscall failed in the runtime or in the container's child before exec. */
export class SyscallError extends TsrunError {
  constructor(what: string, errno: number, field?: string) {
    super(`${field ? field + ': ' : ''}${what}: ${strerror(errno)}`, { errno, field });
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
    super(message, { exitCode: 1 });
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
