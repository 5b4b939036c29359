// --pid-file for create, run and exec. Threat: the directory may be writable by the container
// (or anyone else), who plants a symlink at the temp name to have the host file it points to
// overwritten: see atomic.ts (unpredictable O_EXCL|O_NOFOLLOW temp name, rename over the
// target). The pid is synced to disk before the rename, as runc's O_SYNC write does.
import path = require('path');
import { strerror, TsrunError } from '../errors';
import { writeFileAtomic, type AtomicWriteOptions } from './atomic';

/**
 * Write `pid` to `file` (as given on the command line; relative to the cwd). On failure the
 * process it names is SIGKILLed, as runc does: a caller that asked for the pid and did not get
 * it cannot manage the process.
 */
export function writePidFile(file: string, pid: number, opts: Pick<AtomicWriteOptions, 'tempName'> = {}): void {
  try {
    writeFileAtomic(path.resolve(file), String(pid), { mode: 0o666, fsync: true, ...opts });
  } catch (e) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    throw pidFileError(file, e as NodeJS.ErrnoException);
  }
}

function pidFileError(file: string, e: NodeJS.ErrnoException): TsrunError {
  const dir = path.dirname(file);
  if (e.code === 'ENOENT' && e.syscall === 'open' && e.path === path.resolve(dir)) {
    return new TsrunError(`--pid-file ${file}: directory ${dir} does not exist`);
  }
  if (e.code === 'ENOTDIR' && e.path === path.resolve(dir)) return new TsrunError(`--pid-file ${file}: ${dir} is not a directory`);
  if (e.code === 'EISDIR') return new TsrunError(`--pid-file ${file}: is a directory`);
  const why = typeof e.errno === 'number' ? strerror(Math.abs(e.errno)) : e.message;
  return new TsrunError(`--pid-file ${file}: cannot write the pid: ${why}`);
}
