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
