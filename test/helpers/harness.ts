// e2e harness: bundles on a busybox rootfs, running tsrun/runc/crun side by side, and the
// leak checks every e2e test ends with (no state dir, mount, cgroup or process left).
import { spawn, spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeRootfs } from './rootfs';

export const ROOT_DIR = path.resolve(__dirname, '../..');
// TSRUN_E2E_BIN: another tree's bin/tsrun (a test run against an older build, to see a new test fail there)
export const TSRUN = process.env.TSRUN_E2E_BIN || path.join(ROOT_DIR, 'bin/tsrun');
export const IS_ROOT = process.getuid?.() === 0;

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return null;
}
export const RUNC = which('runc');
export const CRUN = which('crun');

export interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

let workDir: string | undefined;
let rootfsDir: string | undefined;
let counter = 0;

export function work(): string {
  if (!workDir) {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-e2e-'));
    fs.chmodSync(workDir, 0o755);
  }
  return workDir;
}

/**
 * The work dir goes with the test file that made it (a hook at the file's root, registered when
 * a test file imports this module). Only when nothing is mounted below it: rm -r would follow a
 * leftover bind mount into the host's files (the leak checks report such a mount).
 */
function removeWork(): void {
  if (!workDir) return;
  const dir = workDir;
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')));
  if (mounted.length) {
    process.stderr.write(`harness: ${dir} kept: still mounted below it: ${mounted.join(' ')}\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  workDir = undefined;
  rootfsDir = undefined;
}
if (typeof afterAll === 'function') afterAll(removeWork);

export function sharedRootfs(): string {
  if (!rootfsDir) rootfsDir = makeRootfs(path.join(work(), 'rootfs'));
  return rootfsDir;
}

export function uniqueId(prefix = 'tt'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** runc's default config.json (captured golden copy), with terminal off. */
export function defaultConfig(): any {
  const c = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'test/golden/runc-spec.json'), 'utf8'));
  c.process.terminal = false;
  return c;
}

export class Bundle {
  readonly dir: string;
  config: any;
  constructor(mutate?: (c: any) => void, opts: { rootfs?: string } = {}) {
    this.dir = path.join(work(), uniqueId('bundle'));
    fs.mkdirSync(this.dir, { recursive: true });
    this.config = defaultConfig();
    this.config.root.path = opts.rootfs ?? sharedRootfs();
    mutate?.(this.config);
    this.write();
  }
  write(): void { fs.writeFileSync(path.join(this.dir, 'config.json'), JSON.stringify(this.config, null, 2)); }
  args(...a: string[]): this { this.config.process.args = a; this.write(); return this; }
}

export type Runtime = 'tsrun' | 'runc' | 'crun';

export function stateRoot(rt: Runtime): string {
  return path.join(work(), `${rt}-state`);
}

export function binary(rt: Runtime): string {
  if (rt === 'tsrun') return TSRUN;
  const b = rt === 'runc' ? RUNC : CRUN;
  if (!b) throw new Error(`${rt} is not installed`);
  return b;
}

/**
 * spawnSync with stdout and stderr in files, not pipes: a created container inherits the
 * runtime's stdio (as with runc), so a pipe would stay open until the container exits. `fds`
 * are inherited as 3, 4, ... (what a caller may leave open).
 */
export function runCaptured(cmd: string, args: string[], opts: SpawnSyncOptions = {}, fds: number[] = []): Result {
  const base = path.join(work(), `out-${process.pid}-${++counter}`);
  const out = fs.openSync(`${base}.out`, 'w+');
  const err = fs.openSync(`${base}.err`, 'w+');
  try {
    const r = spawnSync(cmd, args, { timeout: 60_000, stdio: ['ignore', out, err, ...fds], ...opts });
    return { code: r.status, signal: r.signal, stdout: fs.readFileSync(`${base}.out`, 'utf8'), stderr: fs.readFileSync(`${base}.err`, 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(`${base}.out`, { force: true });
    fs.rmSync(`${base}.err`, { force: true });
  }
}

/** Run a runtime command (its output captured as runCaptured does). */
export function rt(runtime: Runtime, args: string[], opts: SpawnSyncOptions & { root?: boolean; fds?: number[] } = {}): Result {
  const full = opts.root === false ? args : ['--root', stateRoot(runtime), ...args];
  const { fds, root: _root, ...rest } = opts;
  return runCaptured(binary(runtime), full, rest, fds);
}

export const tsrun = (args: string[], opts?: SpawnSyncOptions) => rt('tsrun', args, opts);

/** Run the bundle to completion under `runtime` with `run`, returning output and exit code. */
export function runIn(runtime: Runtime, b: Bundle, id = uniqueId(runtime)): Result {
  return rt(runtime, ['run', '--bundle', b.dir, id], { cwd: b.dir });
}

// ---- leaks ---------------------------------------------------------------------------

export interface Snapshot { mounts: string[]; cgroups: string[]; procs: string[] }

function mountPointsNow(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[4]).sort();
}

function cgroupDirs(): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 4) return;
    let ents: fs.Dirent[];
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      // only this test run's: every id and test cgroup name carries the jest process's pid
      if (e.name.includes(`-${process.pid}-`) || e.name.endsWith(`-${process.pid}`)) out.push(p);
      walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out.sort();
}

function containerProcs(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // A container process of this test run: every container id (and so its cgroup) carries
      // this jest process's pid, e.g. tt-1234-5.
      const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (cg.includes(`-${process.pid}-`)) out.push(`${pid} ${fs.readlinkSync(`/proc/${pid}/exe`)}`);
    } catch { /* gone or kernel thread */ }
  }
  return out.sort();
}

/** `tsrun events` of a container (stats every 200 ms) until its oom event, or until timeoutMs. */
export async function eventsUntilOom(id: string, timeoutMs: number): Promise<any[]> {
  const child = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'events', '--interval', '200ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: any[] = [];
  await new Promise<void>((resolve) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) events.push(JSON.parse(l));
      if (events.some((e) => e.type === 'oom')) resolve();
    });
    setTimeout(resolve, timeoutMs);
  });
  child.kill();
  return events;
}

/** Alive and not a zombie (what `kill -0` cannot tell). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

export function snapshot(): Snapshot {
  return { mounts: mountPointsNow(), cgroups: cgroupDirs(), procs: containerProcs() };
}

/** Fails if the host gained a mount, a cgroup, a container process, or tsrun state since `before`. */
export function expectNoLeaks(before: Snapshot): void {
  const deadline = Date.now() + 3000;
  let now = snapshot();
  while (Date.now() < deadline && (now.procs.length > before.procs.length)) {
    spawnSync('sleep', ['0.05']);
    now = snapshot();
  }
  const added = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  // another process's scratch space (a parallel jest's work dir, a podman run's storage) is not
  // ours to judge: every bundle, rootfs and state root of this one is below its own work dir
  const foreign = (m: string) => m.startsWith(os.tmpdir() + '/') && !(workDir && (m === workDir || m.startsWith(workDir + '/')));
  expect({ mounts: added(before.mounts, now.mounts).filter((m) => !foreign(m)), cgroups: added(before.cgroups, now.cgroups), procs: added(before.procs, now.procs) })
    .toEqual({ mounts: [], cgroups: [], procs: [] });
  const st = stateRoot('tsrun');
  const left = fs.existsSync(st) ? fs.readdirSync(st) : [];
  expect(left).toEqual([]);
}

export function cleanupWork(): void {
  for (const r of ['tsrun', 'runc'] as Runtime[]) {
    const st = stateRoot(r);
    if (!fs.existsSync(st)) continue;
    for (const id of fs.readdirSync(st)) rt(r, ['delete', '--force', id]);
  }
}

export function readPid(file: string): number {
  return Number(fs.readFileSync(file, 'utf8'));
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function describeRoot(name: string, fn: () => void): void {
  if (IS_ROOT) describe(name, fn);
  else describe.skip(`${name} (skipped: e2e tests need root)`, fn);
}

/** Leak checks around every test of the suite: each test must leave the host as it found it. */
export function useLeakChecks(): void {
  let before: Snapshot;
  beforeAll(() => { sharedRootfs(); });
  beforeEach(() => { before = snapshot(); });
  afterEach(() => {
    try {
      expectNoLeaks(before);
    } finally {
      cleanupWork();
    }
  });
}

/** Run `id` detached with `args`; returns its init pid. */
export function runDetached(b: Bundle, id: string): number {
  const pidFile = path.join(b.dir, `${id}.pid`);
  const r = tsrun(['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]);
  if (r.code !== 0) throw new Error(`run -d ${id}: ${r.stderr}`);
  return readPid(pidFile);
}

/** The message of a logrus line on stderr. */
export function errMsg(stderr: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  return m ? JSON.parse(`"${m[1]}"`) : stderr.trim();
}
