// process: argv lookup candidates, environment, user.
import fs = require('fs');
import path = require('path');
import type { Process } from '../spec/config-types';
import { ConfigError } from '../errors';

/** Where exec.LookPath would look for args[0] inside the container, in order. */
export function pathCandidates(arg0: string, env: string[]): string[] {
  if (arg0.includes('/')) return [arg0];
  const entry = [...env].reverse().find((e) => e.startsWith('PATH='));
  if (!entry) return [];
  return entry.slice(5).split(':').map((dir) => `${dir || '.'}/${arg0}`);
}

/** runc sets HOME from the container's /etc/passwd when the config does not. */
export function withHome(env: string[], rootfs: string, uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  try {
    const passwd = fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8');
    for (const line of passwd.split('\n')) {
      const f = line.split(':');
      if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') { home = f[5] || '/'; break; }
    }
  } catch { /* no passwd: "/" */ }
  return [...env, `HOME=${home}`];
}

export function checkProcess(p: Process | undefined): asserts p is Process {
  if (!p) throw new ConfigError('process', 'is required to create a container');
  if (!p.args || p.args.length === 0) throw new ConfigError('process.args', 'must not be empty');
  if (!p.cwd || !p.cwd.startsWith('/')) throw new ConfigError('process.cwd', 'must be an absolute path');
  if (p.user?.username) {
    throw new ConfigError('process.user.username', 'user names are not resolved on Linux (runc refuses them too): give numeric uid and gid');
  }
}
