// A dedicated unprivileged user for the rootless e2e tests, and running tsrun and runc as it.
//
// The user (tsrun-rootless, no home, no login shell, with a 65536-id range in /etc/subuid and
// /etc/subgid) is made once by useradd/usermod and kept: it owns nothing between runs. What a
// test leaves as that user is removed after each test: its containers (delete --force as the
// user, then its processes by pid), its XDG_RUNTIME_DIR (inside the test file's work dir),
// delegated cgroups (named with the jest pid, so the harness's leak check sees them).
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { binary, Result, runCaptured, Runtime, sharedRootfs, which, work } from './harness';

export const RL_NAME = 'tsrun-rootless';
export const RL_COUNT = 65536;

export interface TestUser { name: string; uid: number; gid: number; subuid: number; subgid: number }

const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sh(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { PATH: PATH_ENV } });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** `name`'s first range in /etc/subuid or /etc/subgid, or undefined. */
function subRange(file: string, name: string): number | undefined {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return undefined; }
  for (const l of text.split('\n')) {
    const [n, start, count] = l.split(':');
    if (n === name && Number(count) >= RL_COUNT) return Number(start);
  }
  return undefined;
}

/** The first free RL_COUNT-sized range above every range in `file` (at least 100000). */
function freeStart(file: string): number {
  let end = 100000;
  try {
    for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
      const [, start, count] = l.split(':');
      if (Number.isInteger(Number(start)) && Number.isInteger(Number(count))) end = Math.max(end, Number(start) + Number(count));
    }
  } catch { /* no file yet */ }
  return end;
}

let cached: TestUser | undefined;

/** The test user, made (with its subordinate ranges) if missing. Root only. */
export function ensureTestUser(): TestUser {
  if (cached) return cached;
  const name = RL_NAME;
  let pw = sh('getent', ['passwd', name]);
  if (pw.status !== 0) {
    const r = sh('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', name]);
    if (r.status !== 0 && !/already exists/.test(r.out)) throw new Error(`useradd ${name}: ${r.out}`);
    pw = sh('getent', ['passwd', name]);
  }
  const f = pw.out.trim().split(':');
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  for (const [file, flag] of [['/etc/subuid', '--add-subuids'], ['/etc/subgid', '--add-subgids']] as const) {
    if (subRange(file, name) !== undefined) continue;
    const start = freeStart(file);
    const r = sh('usermod', [flag, `${start}-${start + RL_COUNT - 1}`, name]);
    if (r.status !== 0) throw new Error(`usermod ${flag} ${name}: ${r.out}`);
  }
  cached = { name, uid, gid, subuid: subRange('/etc/subuid', name)!, subgid: subRange('/etc/subgid', name)! };
  return cached;
}

/** newuidmap and newgidmap (the uidmap package): multiple mappings need them. */
export const HAS_UIDMAP = !!which('newuidmap') && !!which('newgidmap');

/** The test user's XDG_RUNTIME_DIR for this test file: its own, 0700. */
export function xdgDir(u: TestUser): string {
  const d = path.join(work(), `xdg-${u.uid}`);
  if (!fs.existsSync(d)) {
    fs.mkdirSync(d, { mode: 0o700 });
    fs.chownSync(d, u.uid, u.gid);
  }
  return d;
}

/** A directory (or file) for the test user to own. */
export function ownedBy(u: TestUser, p: string): string {
  fs.chownSync(p, u.uid, u.gid);
  return p;
}

/** The environment the user's commands run with (nothing of the test process's). */
export function userEnv(u: TestUser, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: PATH_ENV, XDG_RUNTIME_DIR: xdgDir(u), HOME: xdgDir(u), USER: u.name, LOGNAME: u.name, ...extra };
}

/**
 * Run `cmd args` as the test user (setpriv: real and effective ids, its groups, no
 * capabilities left), stdout and stderr to files as the harness's rt() does.
 */
export type UserOptions = SpawnSyncOptions & { env?: Record<string, string>; inCgroups?: string[] };

export function asUser(u: TestUser, cmd: string, args: string[], opts: UserOptions = {}): Result {
  const { inCgroups, ...rest } = opts;
  const setpriv = ['setpriv', '--reuid', String(u.uid), '--regid', String(u.gid), '--init-groups', '--', cmd, ...args];
  // inCgroups: joined (as root) before the ids are dropped, as a session in a delegated cgroup starts
  const join = 'for d in "$@"; do case $d in --) shift; break;; esac; echo $$ > "$d/cgroup.procs" || exit 97; shift; done; exec "$@"';
  const argv = inCgroups?.length ? ['sh', '-c', join, 'sh', ...inCgroups, '--', ...setpriv] : setpriv;
  return runCaptured(argv[0], argv.slice(1), { cwd: work(), ...rest, env: opts.env ?? userEnv(u) });
}

/** tsrun or runc as the test user, with its default state root ($XDG_RUNTIME_DIR/<runtime>). */
export function rtAs(u: TestUser, runtime: Runtime, args: string[], opts: UserOptions = {}): Result {
  return asUser(u, binary(runtime), args, opts);
}

/** The user's default state root for `runtime`. */
export function userRoot(u: TestUser, runtime: Runtime): string {
  return path.join(xdgDir(u), runtime);
}

/**
 * Pids of every live process whose real uid is the user's or in its subordinate range (a
 * zombie has exited: reaping it is its parent's job, the host's init for a container's).
 */
export function userProcs(u: TestUser): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      const id = m ? Number(m[1]) : -1;
      if (/^State:\s+Z/m.test(status)) continue;
      if (id === u.uid || (id >= u.subuid && id < u.subuid + RL_COUNT)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

/** What the user left: containers in its state roots (deleted as the user), then new processes (killed by pid). */
export function cleanUser(u: TestUser, before: number[]): void {
  for (const r of ['tsrun', 'runc'] as Runtime[]) {
    const root = userRoot(u, r);
    if (!fs.existsSync(root)) continue;
    for (const id of fs.readdirSync(root)) rtAs(u, r, ['delete', '--force', id]);
  }
  for (const p of userProcs(u).filter((x) => !before.includes(x))) {
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
}

/** A bundle written by `tsrun spec --rootless` run as the user, on the shared busybox rootfs (or `rootfs`). */
export function rootlessBundle(u: TestUser, args: string[], mutate?: (c: any) => void, rootfs = sharedRootfs()): string {
  const dir = ownedBy(u, fs.mkdtempSync(path.join(work(), 'rl-bundle-')));
  const r = rtAs(u, 'tsrun', ['spec', '--rootless', '--bundle', dir]);
  if (r.code !== 0) throw new Error(`spec --rootless: ${r.stderr}`);
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  c.root.path = rootfs;
  c.process.terminal = false;
  c.process.args = args;
  mutate?.(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
  return dir;
}
