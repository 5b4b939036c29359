// process: argv lookup candidates, environment, user.
import type { Process } from '../spec/config-types';
import { ConfigError } from '../errors';
import { addon } from '../native/addon';

/** Where exec.LookPath would look for args[0] inside the container, in order. */
export function pathCandidates(arg0: string, env: string[]): string[] {
  if (arg0.includes('/')) return [arg0];
  const entry = [...env].reverse().find((e) => e.startsWith('PATH='));
  if (!entry) return [];
  return entry.slice(5).split(':').map((dir) => `${dir || '.'}/${arg0}`);
}

/**
 * One entry per variable, as runc's init leaves the environment (os.Setenv of each entry in
 * turn): a later entry's value wins, in the place of the first entry of that name. So `exec -e`
 * overrides a variable of the config, and duplicate keys in process.env resolve last-wins.
 */
export function dedupEnv(env: readonly string[]): string[] {
  const at = new Map<string, number>();
  const out: string[] = [];
  for (const kv of env) {
    const key = kv.slice(0, kv.indexOf('=') + 1) || kv;
    const i = at.get(key);
    if (i === undefined) { at.set(key, out.length); out.push(kv); } else out[i] = kv;
  }
  return out;
}

/** Larger than this, the image's /etc/passwd is not read (HOME falls back to "/"). */
export const PASSWD_MAX_BYTES = 4 << 20;

/**
 * runc sets HOME from the container's /etc/passwd when the config does not. The file is read
 * inside the rootfs (threat: an image or a running container linking it to a host file, fifo or
 * /dev/zero): symlinks resolve in the root, only a regular file up to PASSWD_MAX_BYTES is read,
 * and anything else (missing, unusable, unreadable) gives HOME=/.
 */
export function withHome(env: string[], rootfs: string, uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  let passwd: Buffer | null = null;
  try {
    passwd = addon().readFileInRoot(rootfs, 'etc/passwd', PASSWD_MAX_BYTES);
  } catch (e) {
    if (typeof (e as { errno?: unknown }).errno !== 'number') throw e;
  }
  for (const line of passwd?.toString('utf8').split('\n') ?? []) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') { home = f[5] || '/'; break; }
  }
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
