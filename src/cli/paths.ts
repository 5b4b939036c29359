// The paths the command line names (--root, --log, --bundle), checked before any work: one
// line naming the flag, the path and the cause, instead of Node's text about a file the user
// never named.
import fs = require('fs');
import path = require('path');
import { errnoText, TsrunError } from '../errors';

// statfs f_type of filesystems that cannot hold state: procfs files and directories are not
// removable (a state dir there could never be deleted, and `delete --force` would walk a
// process's /proc entries), and the others are kernel interfaces.
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x1cd1: 'devpts',
  0x73636673: 'securityfs', 0x64626720: 'debugfs', 0x74726163: 'tracefs', 0xcafe4a11: 'bpf', 0x42494e4d: 'binfmt_misc',
  0x6e736673: 'nsfs', 0xf97cff8c: 'selinuxfs', 0x50495045: 'pipefs', 0x534f434b: 'sockfs',
};

/** The path itself, or its nearest existing ancestor (`--root` is made with mkdir -p). */
function nearestExisting(p: string, flag: string, value: string): { at: string; st: fs.Stats } {
  for (let at = p; ; at = path.dirname(at)) {
    try {
      return { at, st: fs.statSync(at) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || at === '/') throw new TsrunError(`${flag} ${value}: ${errnoText(e)}`);
    }
  }
}

/** --root: a directory (or to be made in one) on a filesystem that can hold the state. */
export function checkRoot(root: string): void {
  const abs = path.resolve(root);
  const { at, st } = nearestExisting(abs, '--root', root);
  if (!st.isDirectory()) throw new TsrunError(`--root ${root}: ${at === abs ? '' : `${at} is `}not a directory`);
  let type: number;
  try { type = Number(fs.statfsSync(at).type); } catch { return; }
  const fsName = PSEUDO_FS[type >>> 0];
  if (fsName) {
    throw new TsrunError(`--root ${root}: ${at === abs ? '' : `${at} is `}on a ${fsName} filesystem, which cannot hold container state; use a directory on tmpfs, such as the default /run/tsrun`);
  }
}

/** A directory flag (--bundle): it must exist and be a directory. */
export function checkDir(flag: string, value: string): string {
  const abs = path.resolve(value);
  let st: fs.Stats;
  try { st = fs.statSync(abs); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TsrunError(`${flag} ${value}: ${code === 'ENOENT' ? 'directory does not exist' : errnoText(e)}`);
  }
  if (!st.isDirectory()) throw new TsrunError(`${flag} ${value}: not a directory`);
  return abs;
}

/** The error of opening the --log file, naming the flag: a missing directory is said as such. */
export function logOpenError(file: string, e: unknown): TsrunError {
  const code = (e as NodeJS.ErrnoException).code;
  const dir = path.dirname(path.resolve(file));
  if (code === 'ENOENT' && !fs.existsSync(dir)) return new TsrunError(`--log ${file}: directory ${dir} does not exist`);
  return new TsrunError(`--log ${file}: ${errnoText(e)}`);
}
