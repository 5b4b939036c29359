// The busybox bundle every bench runs, the way `runc spec` writes it with terminal off:
// /bin/true in <work>/bundle and /bin/sleep SECONDS in <work>/sleep (same rootfs).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function makeBundles(tsrun, prefix, sleepSeconds) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(work, 0o755);
  const bundle = path.join(work, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'true', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  execFileSync(tsrun, ['spec', '--bundle', bundle]);
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = ['/bin/true'];
  config.root.path = rootfs;
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  const sleepBundle = path.join(work, 'sleep');
  fs.mkdirSync(sleepBundle);
  fs.writeFileSync(path.join(sleepBundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, args: ['/bin/sleep', String(sleepSeconds)] } }));
  return { work, bundle, sleepBundle };
}

/** runc, and crun: $BENCH_CRUN if set (e.g. a wrapper that runs crun 1.8 on a cgroup-hybrid host),
 * else ../shared/bench/crun-hybrid.sh where it exists, else crun on the usual paths. */
export function runtimes(top) {
  const which = (c) => { for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin']) if (fs.existsSync(`${d}/${c}`)) return `${d}/${c}`; return null; };
  const hybridCrun = path.resolve(top, '../shared/bench/crun-hybrid.sh');
  if (process.env.BENCH_CRUN) return { runc: which('runc'), crun: process.env.BENCH_CRUN };
  return { runc: which('runc'), crun: which('crun') ? (fs.existsSync(hybridCrun) ? hybridCrun : which('crun')) : null };
}

// crun 1.8 refuses every container on a cgroup-hybrid host whose cgroup2 mount has controllers
// ("cgroups in hybrid mode not supported"). It runs there in a private mount namespace in which
// an empty file hides that mount's cgroup.controllers, so crun uses the v1 controllers as runc
// does; the host's mounts are untouched (the namespace dies with the command).
export const UNIFIED_CTRL = '/sys/fs/cgroup/unified/cgroup.controllers';
export function crunNeedsPrivateNs() {
  try { return fs.readFileSync(UNIFIED_CTRL, 'utf8').trim() !== ''; } catch { return false; }
}
/** argv prefix running a command in that namespace; `empty` an empty file of the bench's. */
export function crunNsPrefix(empty) {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'e=$1 c=$2; shift 2; mount --bind "$e" "$c" && exec "$@"', 'crun-ns', empty, UNIFIED_CTRL];
}

/** A directory for the runtimes' --root: on tmpfs, as their default /run/<runtime> is on a host
 * (here /run and /tmp may be disk file systems, where ext4's inode allocation after many deletes
 * costs every state file ~0.1-1 ms of CPU). The first tmpfs of /run, /dev/shm, else os.tmpdir(). */
export function stateBase() {
  for (const d of ['/run', '/dev/shm']) {
    try { if (fs.statfsSync(d).type === 0x01021994) return d; } catch { /* absent */ }
  }
  return os.tmpdir();
}
