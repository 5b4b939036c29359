// process: argv lookup candidates, environment, user.

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

/**
 * runc sets HOME from the container's /etc/passwd when the config does not: the home of the
 * first entry with the uid, "/" when there is none (or no passwd: host-facts reads it inside the
 * rootfs, never through a path that follows the image's links, and gives null for anything unusable).
 */
export function withHome(env: string[], passwd: string | null, uid: number): string[] {
  if (env.some((e) => e.startsWith('HOME='))) return env;
  let home = '/';
  for (const line of passwd?.split('\n') ?? []) {
    const f = line.split(':');
    if (f.length >= 6 && Number(f[2]) === uid && f[2] !== '') { home = f[5] || '/'; break; }
  }
  return [...env, `HOME=${home}`];
}
