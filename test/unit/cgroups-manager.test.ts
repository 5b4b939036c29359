// The manager against fake cgroupfs trees in a temp dir: a fake mountinfo points at
// directories that mimic the kernel's files (plain files here, so nothing updates itself).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupManager, type CgroupManagerOptions } from '../../src/cgroups';
import { TsrunError } from '../../src/errors';

type Kind = 'v1' | 'hybrid' | 'v2';

interface Fixture {
  tmp: string;
  /** Real on-disk directory of a mount point. */
  mnt(name: string): string;
  opts(extra: Partial<CgroupManagerOptions> & { path: string }): CgroupManagerOptions;
}

const fixtures: string[] = [];
afterAll(() => {
  for (const f of fixtures) fs.rmSync(f, { recursive: true, force: true });
});

const write = (p: string, data: string): void => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
};
const read = (p: string): string => fs.readFileSync(p, 'utf8');
// The real fs module object (what src/ reads through its import); spy on this one.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const nodeFs: typeof fs = require('fs');

/**
 * cgroupfs makes a new cgroup's interface files itself, and tsrun writes them as runc does,
 * without O_CREAT: a fixture directory made by the code under test (a non-recursive mkdir)
 * gets its parent's file names too, empty, but for what the kernel starts otherwise.
 */
const realMkdir = nodeFs.mkdirSync;
const KERNEL_INITIAL: Record<string, string> = { 'freezer.state': 'THAWED\n', 'cgroup.freeze': '0\n' };
beforeAll(() => {
  jest.spyOn(nodeFs, 'mkdirSync').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const [p, o] = args as [fs.PathLike, fs.MakeDirectoryOptions | fs.Mode | undefined];
    const r = realMkdir.apply(nodeFs, args as Parameters<typeof fs.mkdirSync>);
    const dir = String(p);
    if ((typeof o !== 'object' || !o?.recursive) && fixtures.some((f) => dir.startsWith(f + '/'))) {
      for (const ent of fs.readdirSync(path.dirname(dir), { withFileTypes: true })) {
        if (ent.isFile()) fs.writeFileSync(path.join(dir, ent.name), KERNEL_INITIAL[ent.name] ?? '');
      }
      // the v1 freezer's root has no freezer.state; every cgroup below it has one
      if (dir.includes('/freezer/')) fs.writeFileSync(path.join(dir, 'freezer.state'), KERNEL_INITIAL['freezer.state']);
    }
    return r;
  } as typeof fs.mkdirSync);
});
afterAll(() => jest.restoreAllMocks());

/**
 * `usePrefix`: mountinfo says /sys/fs/cgroup/... and the manager gets root=<tmp>;
 * otherwise mountinfo itself points into the temp dir.
 */
function makeFixture(kind: Kind, own: Record<string, string> = {}, usePrefix = false): Fixture {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsrun-cg-${kind}-`));
  fixtures.push(tmp);
  const base = usePrefix ? '/sys/fs/cgroup' : path.join(tmp, 'cg');
  const prefix = usePrefix ? tmp : '';
  const lines: string[] = [];
  const cgroupLines: string[] = [];
  let id = 30;
  const v1 = [['cpu,cpuacct', 'cpu,cpuacct'], ['cpuset', 'cpuset'], ['memory', 'memory'], ['devices', 'devices'], ['freezer', 'freezer'], ['systemd', 'name=systemd']];
  if (kind !== 'v2') {
    lines.push(`${id} 1 0:${id} / ${base} rw - tmpfs tmpfs rw`);
    for (const [dir, opts] of v1) {
      id++;
      lines.push(`${id} 30 0:${id} / ${base}/${dir} rw,relatime - cgroup cgroup rw,${opts}`);
      cgroupLines.push(`${id}:${opts}:${own[opts] ?? '/'}`);
      write(`${prefix}${base}/${dir}/cgroup.procs`, '');
    }
    write(`${prefix}${base}/cpuset/cpuset.cpus`, '0-3\n');
    write(`${prefix}${base}/cpuset/cpuset.mems`, '0\n');
    if (kind === 'hybrid') {
      lines.push(`${++id} 30 0:${id} / ${base}/unified rw - cgroup2 cgroup2 rw`);
      write(`${prefix}${base}/unified/cgroup.procs`, '');
      write(`${prefix}${base}/unified/cgroup.controllers`, 'hugetlb\n');
      write(`${prefix}${base}/unified/cgroup.subtree_control`, '');
    }
  } else {
    lines.push(`${id} 1 0:${id} / ${base} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`);
    write(`${prefix}${base}/cgroup.procs`, '');
    write(`${prefix}${base}/cgroup.controllers`, 'cpuset cpu io memory pids\n');
    write(`${prefix}${base}/cgroup.subtree_control`, '');
  }
  cgroupLines.push(`0::${own[''] ?? '/'}`);
  write(path.join(tmp, 'mountinfo'), lines.join('\n') + '\n');
  write(path.join(tmp, 'cgroup'), cgroupLines.reverse().join('\n') + '\n');
  return {
    tmp,
    mnt: (name) => (kind === 'v2' && name === '' ? `${prefix}${base}` : `${prefix}${base}/${name}`),
    opts: (extra) => ({
      containerId: 'ctr',
      mountinfo: path.join(tmp, 'mountinfo'),
      procCgroup: path.join(tmp, 'cgroup'),
      root: usePrefix ? tmp : undefined,
      ...extra,
    }),
  };
}

describe('cgroup v1 layout', () => {
  it('resolves one path per hierarchy; co-mounted controllers share a directory', () => {
    const f = makeFixture('v1', { memory: '/process_api/x' });
    const m = cgroupManager(f.opts({ path: '' }));
    expect(m.mode).toBe('v1');
    expect(m.paths).toEqual({
      cpuset: `${f.mnt('cpuset')}/ctr`,
      devices: `${f.mnt('devices')}/ctr`,
      memory: `${f.mnt('memory')}/process_api/x/ctr`,
      cpu: `${f.mnt('cpu,cpuacct')}/ctr`,
      cpuacct: `${f.mnt('cpu,cpuacct')}/ctr`,
      freezer: `${f.mnt('freezer')}/ctr`,
      'name=systemd': `${f.mnt('systemd')}/ctr`,
    });
  });

  it('create() makes every directory (mkdir -p) and copies cpuset.cpus/mems down the chain', () => {
    const f = makeFixture('v1');
    fs.mkdirSync(`${f.mnt('cpuset')}/pod`);
    write(`${f.mnt('cpuset')}/pod/cpuset.cpus`, '1\n'); // pre-existing, set: kept
    const m = cgroupManager(f.opts({ path: '/pod/a/b' }));
    m.create();
    for (const p of new Set(Object.values(m.paths))) expect(fs.statSync(p).isDirectory()).toBe(true);
    expect(read(`${f.mnt('cpuset')}/pod/cpuset.cpus`).trim()).toBe('1');
    expect(read(`${f.mnt('cpuset')}/pod/cpuset.mems`)).toBe('0');
    expect(read(`${f.mnt('cpuset')}/pod/a/cpuset.cpus`)).toBe('1');
    expect(read(`${f.mnt('cpuset')}/pod/a/b/cpuset.cpus`)).toBe('1');
    expect(read(`${f.mnt('cpuset')}/pod/a/b/cpuset.mems`)).toBe('0');
    expect(m.created).toContain(`${f.mnt('memory')}/pod`);
    expect(m.created).toContain(`${f.mnt('memory')}/pod/a/b`);
    expect(m.created).not.toContain(`${f.mnt('cpuset')}/pod`);
    const n = m.created.length;
    m.create(); // idempotent
    expect(m.created.length).toBe(n);
  });

  it('apply(pid) writes the pid to cgroup.procs of each distinct hierarchy', () => {
    const f = makeFixture('v1');
    const m = cgroupManager(f.opts({ path: 'x' }));
    m.apply(4242);
    for (const p of new Set(Object.values(m.paths))) expect(read(path.join(p, 'cgroup.procs'))).toBe('4242');
    expect(() => m.apply(0)).toThrow(/invalid pid/);
  });

  it('freeze/thaw write freezer.state and isFrozen reads it', () => {
    const f = makeFixture('v1');
    const m = cgroupManager(f.opts({ path: '' }));
    m.create();
    write(`${m.paths.freezer}/freezer.state`, 'THAWED\n');
    expect(m.isFrozen()).toBe(false);
    m.freeze();
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('FROZEN');
    expect(m.isFrozen()).toBe(true);
    write(`${m.paths.freezer}/freezer.self_freezing`, '0\n'); // frozen only via a parent
    expect(m.isFrozen()).toBe(false);
    write(`${m.paths.freezer}/freezer.self_freezing`, '1\n');
    m.thaw();
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('THAWED');
  });

  it('destroy() thaws first, removes nested child cgroups and created ancestors, keeps pre-existing ones', () => {
    const f = makeFixture('v1');
    fs.mkdirSync(`${f.mnt('memory')}/keep`);
    const m = cgroupManager(f.opts({ path: '/keep/a/b' }));
    m.apply(99);
    m.freeze();
    for (const p of new Set(Object.values(m.paths))) {
      write(path.join(p, 'child/grandchild/cgroup.procs'), '');
      write(path.join(p, 'child/tasks'), '');
    }
    const writes: string[] = [];
    const origWrite = nodeFs.writeFileSync;
    const spy = jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(function (this: unknown, ...args: unknown[]) {
      writes.push(`${String(args[0])}=${String(args[1])}`);
      return origWrite.apply(this, args as Parameters<typeof fs.writeFileSync>);
    });
    try {
      m.destroy();
    } finally {
      spy.mockRestore();
    }
    expect(writes).toContain(`${m.paths.freezer}/freezer.state=THAWED`);
    for (const p of Object.values(m.paths)) expect(fs.existsSync(p)).toBe(false);
    for (const d of ['cpuset', 'cpu,cpuacct', 'devices', 'freezer', 'systemd']) expect(fs.existsSync(`${f.mnt(d)}/keep`)).toBe(false);
    expect(fs.existsSync(`${f.mnt('memory')}/keep`)).toBe(true); // existed before
    expect(fs.existsSync(`${f.mnt('memory')}/keep/a`)).toBe(false);
    expect(fs.existsSync(f.mnt('memory'))).toBe(true);
    expect(m.created).toEqual([]);
  });

  it('destroy() leaves a created ancestor that another cgroup now lives in', () => {
    const f = makeFixture('v1');
    const a = cgroupManager(f.opts({ path: '/pod/a' }));
    const b = cgroupManager(f.opts({ path: '/pod/b' }));
    a.create();
    b.create();
    a.destroy();
    expect(fs.existsSync(`${f.mnt('devices')}/pod/a`)).toBe(false);
    expect(fs.existsSync(`${f.mnt('devices')}/pod/b`)).toBe(true);
    expect(fs.existsSync(`${f.mnt('devices')}/pod`)).toBe(true);
  });

  it('a later invocation reattaches with the recorded paths and created list', () => {
    const f = makeFixture('v1');
    const first = cgroupManager(f.opts({ path: '/p/q' }));
    first.apply(7);
    const saved = JSON.parse(JSON.stringify({ paths: first.paths, created: first.created }));
    const again = cgroupManager(f.opts({ path: 'ignored', paths: saved.paths, created: saved.created }));
    expect(again.paths).toEqual(first.paths);
    expect(again.pids()).toEqual([7]);
    again.destroy();
    expect(fs.existsSync(`${f.mnt('devices')}/p`)).toBe(false);
  });

  it('retries EBUSY on rmdir, then succeeds', () => {
    const f = makeFixture('v1');
    const m = cgroupManager(f.opts({ path: '/busy' }));
    m.create();
    const origRmdir = nodeFs.rmdirSync;
    let busy = 2;
    const spy = jest.spyOn(nodeFs, 'rmdirSync').mockImplementation((p: fs.PathLike) => {
      if (String(p) === m.paths.devices && busy > 0) {
        busy--;
        throw Object.assign(new Error('EBUSY'), { code: 'EBUSY', errno: -16 });
      }
      return origRmdir(p);
    });
    try {
      m.destroy();
    } finally {
      spy.mockRestore();
    }
    expect(busy).toBe(0);
    expect(fs.existsSync(m.paths.devices)).toBe(false);
  });

  it('gives up after a few EBUSY retries with a clear error', () => {
    const f = makeFixture('v1');
    const m = cgroupManager(f.opts({ path: '/stuck' }));
    m.create();
    const origRmdir = nodeFs.rmdirSync;
    const spy = jest.spyOn(nodeFs, 'rmdirSync').mockImplementation((p: fs.PathLike) => {
      if (String(p) === m.paths.devices) throw Object.assign(new Error('EBUSY'), { code: 'EBUSY', errno: -16 });
      return origRmdir(p);
    });
    try {
      expect(() => m.destroy()).toThrow(/cannot remove cgroup .*devices\/stuck.*device or resource busy/);
    } finally {
      spy.mockRestore();
    }
    expect(fs.existsSync(m.paths.memory)).toBe(false); // the others were removed
  });

  it('pids() lists the container cgroup and its children; killAll signals them between freeze and thaw', () => {
    const f = makeFixture('v1');
    const m = cgroupManager(f.opts({ path: '' }));
    m.apply(100);
    write(`${m.paths.devices}/cgroup.procs`, '100\n101\n');
    write(`${m.paths.devices}/sub/cgroup.procs`, '102\n');
    expect(m.pids().sort()).toEqual([100, 101, 102]);
    const sent: Array<[number, string | number]> = [];
    const states: string[] = [];
    const m2 = cgroupManager(f.opts({
      path: '',
      kill: (pid, sig) => {
        sent.push([pid, sig]);
        states.push(read(`${m.paths.freezer}/freezer.state`));
      },
    }));
    write(`${m.paths.freezer}/freezer.state`, 'THAWED');
    m2.killAll('SIGTERM');
    expect(sent.sort()).toEqual([[100, 'SIGTERM'], [101, 'SIGTERM'], [102, 'SIGTERM']]);
    expect(states).toEqual(['FROZEN', 'FROZEN', 'FROZEN']);
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('THAWED');
    // A paused container stays paused for a non-fatal signal, is thawed for SIGKILL.
    m2.freeze();
    m2.killAll('SIGHUP');
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('FROZEN');
    m2.killAll(9);
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('THAWED');
  });

  it('requires the devices hierarchy unless skipDevices', () => {
    const f = makeFixture('v1');
    const mi = read(path.join(f.tmp, 'mountinfo')).split('\n').filter((l) => !l.includes('devices')).join('\n');
    write(path.join(f.tmp, 'mountinfo'), mi);
    expect(() => cgroupManager(f.opts({ path: '' }))).toThrow(/devices hierarchy is not mounted/);
    expect(cgroupManager(f.opts({ path: '', skipDevices: true })).paths.devices).toBeUndefined();
  });

  it('freeze without a freezer hierarchy is a clear error', () => {
    const f = makeFixture('v1');
    const mi = read(path.join(f.tmp, 'mountinfo')).split('\n').filter((l) => !l.includes('freezer')).join('\n');
    write(path.join(f.tmp, 'mountinfo'), mi);
    const m = cgroupManager(f.opts({ path: '' }));
    m.create();
    expect(() => m.freeze()).toThrow(/no freezer cgroup hierarchy/);
    expect(m.isFrozen()).toBe(false);
  });

  it('rejects escaping paths and the systemd form', () => {
    const f = makeFixture('v1');
    expect(() => cgroupManager(f.opts({ path: '../../etc' }))).toThrow(/linux\.cgroupsPath: .*escapes/);
    expect(() => cgroupManager(f.opts({ path: 'system.slice:runc:x', systemdCgroup: true, systemdRunning: () => false })))
      .toThrow(/systemd not running/);
    expect(() => cgroupManager(f.opts({ path: 'system.slice:runc', systemdCgroup: true, systemdRunning: () => true })))
      .toThrow(/linux\.cgroupsPath: expected "slice:prefix:name"/);
  });
});

describe('hybrid layout', () => {
  it('joins every v1 hierarchy, name=systemd, and the unified tree at <unified>/<path>', () => {
    const f = makeFixture('hybrid', { memory: '/api/1', 'name=systemd': '/own', '': '/own/sub' });
    const m = cgroupManager(f.opts({ path: '' }));
    expect(m.mode).toBe('hybrid');
    expect(m.paths['']).toBe(`${f.mnt('unified')}/ctr`);
    expect(m.paths['name=systemd']).toBe(`${f.mnt('systemd')}/own/ctr`);
    expect(m.paths.memory).toBe(`${f.mnt('memory')}/api/1/ctr`);
    m.apply(555);
    expect(read(`${m.paths['']}/cgroup.procs`)).toBe('555');
    expect(read(`${m.paths['name=systemd']}/cgroup.procs`)).toBe('555');
    expect(read(`${f.mnt('unified')}/cgroup.subtree_control`)).toBe(''); // unified is for tracking only
  });

  it('freezes through the v1 freezer; killAll(SIGKILL) uses the unified cgroup.kill when present', () => {
    const f = makeFixture('hybrid');
    const sent: number[] = [];
    const m = cgroupManager(f.opts({ path: '/h', kill: (pid) => { sent.push(pid); } }));
    m.apply(1234);
    m.freeze();
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('FROZEN');
    m.thaw();
    write(`${m.paths['']}/cgroup.kill`, '');
    m.killAll('SIGKILL');
    expect(read(`${m.paths['']}/cgroup.kill`)).toBe('1');
    expect(sent).toEqual([]);
    m.killAll('SIGTERM');
    expect(sent).toEqual([1234]);
    // Paused: cgroup.kill alone would leave v1-frozen tasks stuck in D; thaw afterwards.
    m.freeze();
    m.killAll('SIGKILL');
    expect(read(`${m.paths.freezer}/freezer.state`)).toBe('THAWED');
    m.destroy();
    for (const p of Object.values(m.paths)) expect(fs.existsSync(p)).toBe(false);
  });
});

describe('cgroup v2 layout', () => {
  it('places a relative path below the parent of the own cgroup', () => {
    const f = makeFixture('v2', { '': '/user.slice/session-1.scope' });
    const m = cgroupManager(f.opts({ path: '' }));
    expect(m.mode).toBe('v2');
    expect(m.paths).toEqual({ '': `${f.mnt('')}/user.slice/ctr` });
  });

  it('create() enables available controllers in every ancestor, not in the leaf', () => {
    const f = makeFixture('v2');
    const mnt = f.mnt('');
    write(`${mnt}/pod/cgroup.controllers`, 'memory pids\n');
    write(`${mnt}/pod/cgroup.subtree_control`, 'pids\n');
    const m = cgroupManager(f.opts({ path: '/pod/a/b' }));
    m.create();
    expect(read(`${mnt}/cgroup.subtree_control`)).toBe('+cpuset +cpu +io +memory +pids');
    expect(read(`${mnt}/pod/cgroup.subtree_control`)).toBe('+memory');
    expect(read(`${mnt}/pod/a/b/cgroup.subtree_control`)).toBe('');
    expect(m.created).toEqual([`${mnt}/pod/a`, `${mnt}/pod/a/b`]);
  });

  it('apply, freeze/thaw via cgroup.freeze, destroy of a frozen cgroup with children', () => {
    const f = makeFixture('v2', {}, true); // mountinfo says /sys/fs/cgroup, root= prefix
    const m = cgroupManager(f.opts({ path: '/tsrun/c1' }));
    expect(m.paths['']).toBe(`${f.tmp}/sys/fs/cgroup/tsrun/c1`);
    m.apply(321);
    expect(read(`${m.paths['']}/cgroup.procs`)).toBe('321');
    expect(() => m.freeze()).toThrow(/freezer not supported/);
    write(`${m.paths['']}/cgroup.freeze`, '0\n');
    m.freeze();
    expect(read(`${m.paths['']}/cgroup.freeze`)).toBe('1');
    expect(m.isFrozen()).toBe(true);
    m.thaw();
    expect(read(`${m.paths['']}/cgroup.freeze`)).toBe('0');
    m.freeze();
    write(`${m.paths['']}/k8s/pod/cgroup.procs`, '');
    m.destroy();
    expect(fs.existsSync(`${f.tmp}/sys/fs/cgroup/tsrun`)).toBe(false);
    expect(fs.existsSync(`${f.tmp}/sys/fs/cgroup`)).toBe(true);
  });

  it('waits for cgroup.events "frozen 1" and times out (thawing back) if it never comes', () => {
    const f = makeFixture('v2');
    const m = cgroupManager(f.opts({ path: '/slow', timeoutMs: 50 }));
    m.create();
    write(`${m.paths['']}/cgroup.freeze`, '0\n');
    write(`${m.paths['']}/cgroup.events`, 'populated 1\nfrozen 0\n');
    expect(() => m.freeze()).toThrow(/timed out after 50ms waiting for .*cgroup\.events to show "frozen 1"/);
    expect(read(`${m.paths['']}/cgroup.freeze`)).toBe('0');
    write(`${m.paths['']}/cgroup.events`, 'populated 1\nfrozen 1\n');
    m.freeze();
    expect(m.isFrozen()).toBe(true);
  });

  it('killAll: cgroup.kill for SIGKILL, else every pid', () => {
    const f = makeFixture('v2');
    const sent: Array<[number, string | number]> = [];
    const m = cgroupManager(f.opts({ path: '/k', kill: (p, s) => { sent.push([p, s]); } }));
    m.apply(10);
    write(`${m.paths['']}/cgroup.procs`, '10\n11\n');
    write(`${m.paths['']}/cgroup.kill`, '');
    m.killAll();
    expect(read(`${m.paths['']}/cgroup.kill`)).toBe('1');
    expect(sent).toEqual([]);
    fs.unlinkSync(`${m.paths['']}/cgroup.kill`); // kernel < 5.14
    m.killAll('SIGKILL');
    expect(sent).toEqual([[10, 'SIGKILL'], [11, 'SIGKILL']]);
  });

  it('destroy() on a cgroup that is already gone is a no-op', () => {
    const f = makeFixture('v2');
    const m = cgroupManager(f.opts({ path: '/gone' }));
    m.destroy();
    m.create();
    m.destroy();
    m.destroy();
    expect(m.exists()).toBe(false);
  });

  it('errors are TsrunErrors', () => {
    const f = makeFixture('v2');
    const m = cgroupManager(f.opts({ path: '/e' }));
    m.create();
    try {
      m.thaw();
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(TsrunError);
    }
  });
});
