// Replace a file atomically in a directory someone else may write to (a --pid-file's
// directory can be bound into the container): the directory is opened once and everything
// after goes through that fd, the temp file has an unpredictable name and is created
// O_CREAT|O_EXCL|O_NOFOLLOW (a planted symlink or file at that name is never followed or
// reused: EEXIST, and another name is tried), then it is renamed over the target (rename
// replaces a symlink at the target itself, never what it points to).
import fs = require('fs');
import path = require('path');

export interface AtomicWriteOptions {
  /** Mode of a new file (before the umask). */
  mode?: number;
  /** fsync the data before the rename. */
  fsync?: boolean;
  /** The temp file's name in the directory (tests). */
  tempName?: (base: string) => string;
}

const TEMP_ATTEMPTS = 16;
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** `.NAME.<random>.tmp`: unguessable from outside, so nobody can plant it ahead (and O_EXCL if they do). */
export function randomTempName(base: string): string {
  return `.${base}.${Math.random().toString(36).slice(2, 12)}.tmp`;
}

/** Write `data` to `file`: temp file beside it, then rename. Errors are Node's (code set). */
export function writeFileAtomic(file: string, data: string, opts: AtomicWriteOptions = {}): void {
  const base = path.basename(file);
  // node opens everything O_CLOEXEC
  const dirFd = fs.openSync(path.dirname(file), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const at = (name: string) => `/proc/self/fd/${dirFd}/${name}`;
    const tempName = opts.tempName ?? randomTempName;
    let tmp = '';
    let fd = -1;
    for (let attempt = 1; fd < 0; attempt++) {
      tmp = tempName(base);
      try {
        fd = fs.openSync(at(tmp), CREATE_FLAGS, opts.mode ?? 0o666);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= TEMP_ATTEMPTS) throw e;
      }
    }
    try {
      try {
        fs.writeFileSync(fd, data);
        if (opts.fsync) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(at(tmp), at(base));
    } catch (e) {
      try { fs.unlinkSync(at(tmp)); } catch { /* renamed or gone */ }
      throw e;
    }
  } finally {
    fs.closeSync(dirFd);
  }
}
