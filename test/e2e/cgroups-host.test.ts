// Real cgroups on this host: place a `sleep 30` in a fresh cgroup with the manager, check
// /proc/PID/cgroup, freeze/thaw, kill, destroy. Needs root; skipped (with the reason in the
// suite name) otherwise. Everything it makes is removed in afterAll, also on failure.

import { spawn, type ChildProcess } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cgroupManager, detectCgroups, type CgroupManager } from '../../src/cgroups';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;
const title = isRoot ? 'cgroups on this host' : 'cgroups on this host [SKIPPED: needs root to create cgroups]';
if (!isRoot) process.stderr.write('test/e2e/cgroups-host.test.ts: SKIPPED, needs root (uid 0) to create cgroups\n');

const children: ChildProcess[] = [];
const managers: CgroupManager[] = [];
const restores: Array<() => void> = [];

function startSleep(): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(sig ?? code)));
}

function procCgroup(pid: number): Array<{ controllers: string[]; path: string }> {
  return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [, ctrls, p] = l.match(/^\d+:([^:]*):(.*)$/)!;
    return { controllers: ctrls ? ctrls.split(',') : [''], path: p };
  });
}

function procState(pid: number): string {
  return /^State:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

function rawFrozen(m: CgroupManager): string {
  return m.mode === 'v2'
    ? (/^frozen \d$/m.exec(fs.readFileSync(path.join(m.paths[''], 'cgroup.events'), 'utf8'))?.[0] ?? '?')
    : fs.readFileSync(path.join(m.paths.freezer, 'freezer.state'), 'utf8').trim();
}

function exitedWithin(child: ChildProcess, ms: number): Promise<unknown> {
  return Promise.race([exited(child), new Promise((r) => setTimeout(r, ms).unref())]);
}

afterAll(async () => {
  // Thaw first: a frozen task never dies. Then kill leftovers, then remove the cgroups.
  for (const m of managers) {
    try { if (m.isFrozen()) m.thaw(); } catch { /* gone */ }
  }
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
      await exitedWithin(c, 5000);
    }
  }
  for (const m of managers) {
    try { m.killAll('SIGKILL'); } catch { /* best effort */ }
    try { m.destroy(); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
  }
  for (const r of restores) {
    try { r(); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
  }
}, 30000);

suite(title, () => {
  const rand = crypto.randomBytes(4).toString('hex');

  it('places a process in every hierarchy, freezes, thaws, kills, and removes the cgroups', async () => {
    const id = `tsrun-test-${rand}`;
    const m = cgroupManager({ path: '', containerId: id });
    managers.push(m);
    const layout = detectCgroups();
    expect(m.mode).toBe(layout.mode);

    const child = await startSleep();
    const pid = child.pid!;
    m.apply(pid);

    // /proc/PID/cgroup: every hierarchy the manager handles shows the new cgroup.
    const lines = procCgroup(pid);
    const managed = lines.filter((l) => l.controllers.some((c) => c in m.paths));
    expect(managed.length).toBeGreaterThan(0);
    for (const l of managed) expect(l.path.endsWith(`/${id}`)).toBe(true);
    const unmanaged = lines.filter((l) => !managed.includes(l));
    if (unmanaged.length) console.warn(`hierarchies not managed here: ${JSON.stringify(unmanaged)}`);
    // ... which on this host is every line: all mounted v1 controllers, name=systemd, and 0:: (v2/hybrid).
    expect(unmanaged).toEqual([]);
    if (layout.mode !== 'v1') expect(lines.find((l) => l.controllers[0] === '')?.path).toBe(path.posix.join('/', path.relative(layout.unified!, m.paths[''])));
    expect(m.pids()).toEqual([pid]);

    m.freeze();
    expect(m.isFrozen()).toBe(true);
    expect(rawFrozen(m)).toBe(m.mode === 'v2' ? 'frozen 1' : 'FROZEN');
    const frozenState = procState(pid);
    if (m.mode !== 'v2') expect(frozenState).toMatch(/^D /); // v1 freezer parks tasks in D

    m.thaw();
    expect(m.isFrozen()).toBe(false);
    expect(rawFrozen(m)).toBe(m.mode === 'v2' ? 'frozen 0' : 'THAWED');
    expect(procState(pid)).toMatch(/^[SR] /);

    m.killAll('SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    m.destroy();
    for (const p of Object.values(m.paths)) expect(fs.existsSync(p)).toBe(false);
    expect(m.exists()).toBe(false);
  }, 20000);

  it('destroys nested cgroups: frozen, with child cgroups below, plus the parents it created', async () => {
    const top = `tsrun-test-${rand}-n`;
    const m = cgroupManager({ path: `${top}/nested/ctr`, containerId: 'unused' });
    managers.push(m);
    const child = await startSleep();
    m.apply(child.pid!);
    // The "container" makes child cgroups of its own; move the process into one.
    for (const dir of new Set(Object.values(m.paths))) {
      fs.mkdirSync(path.join(dir, 'sub', 'deeper'), { recursive: true });
      for (const f of ['cpuset.cpus', 'cpuset.mems']) { // v1 cpuset children start empty
        if (fs.existsSync(path.join(dir, f))) fs.writeFileSync(path.join(dir, 'sub', f), fs.readFileSync(path.join(dir, f)));
      }
      fs.writeFileSync(path.join(dir, 'sub', 'cgroup.procs'), String(child.pid));
    }
    expect(procCgroup(child.pid!).every((l) => l.path.endsWith('/ctr/sub'))).toBe(true);
    expect(m.pids()).toEqual([child.pid]);

    m.freeze();
    m.killAll('SIGKILL'); // works on a frozen cgroup too
    expect(await exited(child)).toBe('SIGKILL');
    m.freeze(); // destroy() must thaw first
    expect(m.isFrozen()).toBe(true);
    m.destroy();
    for (const p of Object.values(m.paths)) {
      expect(fs.existsSync(p)).toBe(false);
      const topDir = p.slice(0, p.indexOf(`/${top}/`) + top.length + 1);
      expect(fs.existsSync(topDir)).toBe(false);
    }
    expect(m.created.length).toBe(0);
  }, 20000);

  // On a hybrid host, also drive the v2 code path against the real cgroup2 tree (the
  // "unified" mount): a fake mountinfo that lists only that mount makes the layout pure v2.
  const hybrid = isRoot && detectCgroups().mode === 'hybrid';
  (hybrid ? it : it.skip)('v2 code path on the real cgroup2 hierarchy (hybrid host only)', async () => {
    const layout = detectCgroups();
    const unified = layout.unifiedMount!;
    const tmp = fs.mkdtempSync('/tmp/tsrun-cgv2-');
    restores.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const esc = (p: string): string => p.replace(/ /g, '\\040');
    fs.writeFileSync(`${tmp}/mountinfo`, `41 31 0:38 ${esc(unified.root)} ${esc(unified.mountPoint)} rw,relatime - cgroup2 cgroup2 rw\n`);
    fs.writeFileSync(`${tmp}/cgroup`, `0::${layout.own.get('') ?? '/'}\n`);
    // create() enables available controllers in the root's subtree_control, as runc does: undo after.
    const rootCtl = path.join(unified.mountPoint, 'cgroup.subtree_control');
    const before = new Set(fs.readFileSync(rootCtl, 'utf8').split(/\s+/).filter(Boolean));
    restores.push(() => {
      for (const c of fs.readFileSync(rootCtl, 'utf8').split(/\s+/).filter(Boolean)) {
        if (!before.has(c)) fs.writeFileSync(rootCtl, `-${c}`);
      }
    });

    const top = `tsrun-test-${rand}-v2`;
    const m = cgroupManager({ path: `/${top}/ctr`, mountinfo: `${tmp}/mountinfo`, procCgroup: `${tmp}/cgroup` });
    managers.push(m);
    expect(m.mode).toBe('v2');
    expect(m.paths).toEqual({ '': path.join(unified.mountPoint, top, 'ctr') });
    const child = await startSleep();
    m.apply(child.pid!);
    expect(procCgroup(child.pid!).find((l) => l.controllers[0] === '')?.path).toBe(`/${top}/ctr`);
    const available = fs.readFileSync(path.join(unified.mountPoint, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean);
    const enabledTop = fs.readFileSync(path.join(unified.mountPoint, top, 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean);
    expect(enabledTop.sort()).toEqual(available.sort()); // e.g. hugetlb, the one controller v1 left to v2 here

    m.freeze();
    expect(m.isFrozen()).toBe(true);
    expect(rawFrozen(m)).toBe('frozen 1');
    m.thaw();
    expect(rawFrozen(m)).toBe('frozen 0');
    m.freeze();
    m.killAll('SIGKILL'); // cgroup.kill when the kernel has it; kills frozen tasks too
    expect(await exited(child)).toBe('SIGKILL');
    m.destroy();
    expect(fs.existsSync(path.join(unified.mountPoint, top))).toBe(false);
  }, 20000);
});
