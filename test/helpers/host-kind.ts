// What kind of host the e2e tests run on: this machine (hybrid cgroups, no systemd) or a pure
// cgroup v2 guest with systemd as PID 1 (test/vm/run.sh), each with its kernel's features.
// A test that cannot apply to the host it runs on is skipped with the reason in its name
// (skipUnless), never passed silently.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { detectCgroups } from '../../src/cgroups';

export const LAYOUT = detectCgroups();
export const CGROUP_MODE = LAYOUT.mode;
export const PURE_V2 = CGROUP_MODE === 'v2';
/** systemd is PID 1 (runc's check: /run/systemd/system is a directory). */
export const SYSTEMD = (() => { try { return fs.statSync('/run/systemd/system').isDirectory(); } catch { return false; } })();
/** Set by test/vm/run.sh inside the guest; fork/exec there is 5-30x slower than on the host. */
export const IN_GUEST = !!process.env.TSRUN_GUEST;
export const SLOW = IN_GUEST ? 10 : 1;

/** The kernel has time namespaces (CONFIG_TIME_NS; user-mode Linux has not). */
export const TIME_NS = fs.existsSync('/proc/self/ns/time');

/** The kernel has NUMA (CONFIG_NUMA: /proc/PID/numa_maps, set_mempolicy; user-mode Linux has not). */
export const NUMA = fs.existsSync('/proc/self/numa_maps');

/** The kernel reports pressure stall information (CONFIG_PSI, not disabled by psi=0). */
export const PSI = (() => { try { fs.readFileSync('/proc/pressure/cpu', 'utf8'); return true; } catch { return false; } })();

/** The host's procps `ps -ef` works (user-mode Linux has no boot time in /proc/stat: ps fails). */
export const HOST_PS = (() => spawnSync('ps', ['-ef'], { stdio: 'ignore' }).status === 0)();

/** Hierarchy key → the host directory of a cgroup path ("/a/b") in that hierarchy. */
export function cgroupDir(key: string, cgPath: string): string {
  const mount = key === '' ? LAYOUT.unifiedMount : LAYOUT.v1Mounts.get(key);
  if (!mount) throw new Error(`no ${key || 'cgroup2'} hierarchy on this host`);
  return path.join(mount.mountPoint, cgPath);
}

/** The hierarchy the tests look at a process's cgroup in: pids on v1/hybrid, the unified tree on v2. */
export const PROBE_KEY = PURE_V2 ? '' : 'pids';

/** `pid`'s cgroup path in PROBE_KEY's hierarchy, from /proc/PID/cgroup. */
export function cgroupOf(pid: number | 'self', key = PROBE_KEY): string {
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [, ctrls, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (ctrls === undefined) continue;
    if (key === '' ? ctrls === '' : ctrls.split(',').includes(key)) return p;
  }
  throw new Error(`no ${key || 'cgroup2'} line in /proc/${pid}/cgroup`);
}

let idmap: boolean | undefined;
/** Idmapped mounts work on the filesystem of `dir` (tmpfs needs Linux 6.3). */
export function idmapSupported(dir = os.tmpdir()): boolean {
  if (idmap === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { addon } = require('../../src/native/addon') as typeof import('../../src/native/addon');
    const probe = fs.mkdtempSync(path.join(dir, 'idmap-probe-'));
    try {
      addon().close(addon().idmappedTree(probe, false, false, '0 100000 1\n', '0 100000 1\n'));
      idmap = true;
    } catch {
      idmap = false;
    } finally {
      fs.rmSync(probe, { recursive: true, force: true });
    }
  }
  return idmap;
}

/** PER_LINUX32 changes uname -m here (user-mode Linux ignores the personality for uname). */
export const LINUX32_UNAME = (() => {
  const r = spawnSync('setarch', ['linux32', 'uname', '-m'], { encoding: 'utf8' });
  return r.status === 0 && /^(i686|i386|armv8l)$/.test(r.stdout.trim());
})();

/** `test` when `cond`, else `test.skip` with the reason in the name. */
export function skipUnless(cond: boolean, reason: string): { name: (n: string) => string; test: jest.It } {
  return cond ? { name: (n) => n, test } : { name: (n) => `${n} (skipped here: ${reason})`, test: test.skip };
}
