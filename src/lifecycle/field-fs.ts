// A file operation whose failure reaches the user: the error names the config field or flag,
// the operation and the file, and the errno in words (runc's `write /proc/1/oom_score_adj:
// permission denied`), never Node's bare `EACCES: permission denied, write`.
import { SyscallError, TsrunError } from '../errors';

/** Runs `fn`; an fs error becomes `field: op file: reason` (a SyscallError carrying the errno). */
export function onField<T>(field: string, op: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TsrunError) throw e;
    const errno = (e as NodeJS.ErrnoException).errno;
    if (typeof errno === 'number') throw new SyscallError(`${op} ${file}`, Math.abs(errno), field);
    throw new TsrunError(`${field}: ${op} ${file}: ${(e as Error).message}`, { field });
  }
}
