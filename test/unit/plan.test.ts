// src/plan/*: pure translation of a validated spec, with the host given as facts. Table tests
// with a fake host: no root, no addon (loading it fails this file), no filesystem.
import * as fs from 'fs';
import * as path from 'path';
import type { HostFacts } from '../../src/plan/host-facts';
import { buildPlan, processFields, type PlanOptions } from '../../src/plan/plan';
import { planMounts, type CgroupMountView } from '../../src/plan/mounts';
import { devSymlinks, needsDevSetup, planDevices } from '../../src/plan/devices';
import { parseMountOptions } from '../../src/plan/mount-options';
import { fullPseudoMounts, isSharedMount, mountOf, mountPoints } from '../../src/plan/mountinfo';
import { parseList, planIoPriority, planMemoryPolicy, planScheduler, planTimeOffsets } from '../../src/plan/process-attrs';
import { dedupEnv, pathCandidates, withHome } from '../../src/plan/process';
import { planRlimits } from '../../src/plan/rlimits';
import { planSeccomp, type SeccompDescriptor } from '../../src/plan/seccomp';
import { planCaps } from '../../src/plan/capabilities';
import { labelMounts, planLsm } from '../../src/plan/lsm';
import { known } from '../../src/plan/assert';
import { CLONE, MS, MOUNT_ATTR, S_IF } from '../../src/native/constants';
import type { Mount, Spec } from '../../src/spec/config-types';

jest.mock('../../src/native/addon', () => {
  throw new Error('src/plan must not load the addon (host facts come in as HostFacts)');
});

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '23 22 0:5 / /proc rw,nosuid shared:2 - proc proc rw',
  '24 22 0:6 / /sys rw,nosuid shared:3 - sysfs sysfs rw',
  '30 22 0:40 / /b/rootfs rw,relatime - overlay overlay rw',
  '31 22 0:41 / /srv/with\\040space rw,relatime master:4 - tmpfs tmpfs rw',
  '32 22 0:5 /sys /mnt/partial rw - proc proc rw',
].join('\n') + '\n';

/** A host with everything, nothing read from it. */
function host(over: Partial<HostFacts> = {}): HostFacts {
  const kinds: Record<string, 'dir' | 'other'> = { '/b/rootfs': 'dir', '/tmp': 'dir', '/etc/hosts': 'other', '/b/data': 'dir' };
  return {
    lastCap: 40, apparmor: true, selinux: true, timeNamespace: true, resctrl: false, mountSetattrMissing: undefined, idmapMissing: undefined,
    realpath: (p) => (p in kinds ? p : undefined), kind: (p) => kinds[p] ?? 'missing',
    mountinfo: MOUNTINFO, kcore: true, runningInUserNs: false, onProcfs: () => false, apparmorExecAttr: 'thread-self/attr/apparmor/exec',
    passwd: () => 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\nnohome:x:7:7:::\n',
    compileSeccomp: (d) => Buffer.from(JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
    ...over,
  };
}

const CG: CgroupMountView = { v1: [], v2: '/sys/fs/cgroup/c1', cgroupns: true };
const OPTS: PlanOptions = { bundle: '/b', stubPath: '/stub', fifoFd: 5, preserveFds: 0, noPivot: false, cgroup: CG };

function spec(mutate: (c: any) => void = () => {}): Spec {
  const c = JSON.parse(fs.readFileSync(path.join(__dirname, '../golden/runc-spec.json'), 'utf8'));
  c.process.terminal = false;
  c.root.path = 'rootfs';
  mutate(c);
  return c;
}

describe('buildPlan: namespaces', () => {
  const NS = (...types: (string | [string, string])[]) => (c: any) => {
    c.linux.namespaces = types.map((t) => (Array.isArray(t) ? { type: t[0], path: t[1] } : { type: t }));
    if (types.some((t) => t === 'user')) {
      c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    }
  };
  // [what, namespaces, cloneFlags, unshareFlags, twoStage, usernsSync, joins]
  const rows: [string, (c: any) => void, number, number, boolean, boolean, number][] = [
    ['runc\'s default: one clone', NS('pid', 'network', 'ipc', 'uts', 'mount'), CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNS, 0, false, false, 0],
    ['a cgroup namespace is unshared after the cgroup is joined', NS('pid', 'mount', 'cgroup'), CLONE.NEWPID | CLONE.NEWNS, CLONE.NEWCGROUP, false, false, 0],
    ['a user namespace in the clone, no sync', NS('user', 'mount'), CLONE.NEWUSER | CLONE.NEWNS, 0, false, false, 0],
    ['a joined namespace: two stages, the rest unshared', NS(['network', '/proc/1/ns/net'], 'pid', 'mount'), 0, CLONE.NEWPID | CLONE.NEWNS, true, false, 1],
    ['two stages with a new user namespace: mapped first', NS(['network', '/proc/1/ns/net'], 'user', 'mount'), 0, CLONE.NEWNS, true, true, 1],
    ['a time namespace: two stages', NS('time', 'mount'), 0, CLONE.NEWTIME | CLONE.NEWNS, true, false, 0],
  ];
  test.each(rows)('%s', (_what, ns, clone, unshare, twoStage, usernsSync, joins) => {
    const p = buildPlan(spec(ns), OPTS, host()).native;
    expect({ clone: p.cloneFlags, unshare: p.unshareFlags, twoStage: p.twoStage, usernsSync: p.usernsSync, joins: p.joins.length })
      .toEqual({ clone, unshare, twoStage, usernsSync, joins });
  });
});

describe('buildPlan: the rootfs and its parent mount', () => {
  const rows: [string, (c: any) => void, string, string | null, number][] = [
    ['default rslave: the overlay rootfs keeps its propagation', () => {}, MOUNTINFO, null, MS.SLAVE | MS.REC],
    ['rshared: the parent is made private for pivot_root', (c) => { c.linux.rootfsPropagation = 'rshared'; }, MOUNTINFO, '/b/rootfs', MS.SHARED | MS.REC],
    ['"/" shared only: a rootfs under a shared parent, the parent private', (c) => { c.linux.rootfsPropagation = 'shared'; },
      MOUNTINFO.replace('30 22 0:40 / /b/rootfs rw,relatime - overlay overlay rw\n', ''), '/', MS.SHARED],
    ['unbindable: the runtime\'s copy rslave, the container\'s "/" unbindable after pivot_root', (c) => { c.linux.rootfsPropagation = 'unbindable'; }, MOUNTINFO, null, MS.SLAVE | MS.REC],
  ];
  test.each(rows)('%s', (_what, mutate, mountinfo, parent, rootPropagation) => {
    const p = buildPlan(spec(mutate), OPTS, host({ mountinfo })).native;
    expect({ rootfs: p.rootfs, parent: p.rootfsParentMount, rootPropagation: p.rootPropagation }).toEqual({ rootfs: '/b/rootfs', parent, rootPropagation });
  });

  test('the rootfs path is the real one (facts resolve symlinks), relative to the bundle', () => {
    const p = buildPlan(spec((c) => { c.root.path = '../link'; }), OPTS, host({ realpath: (x) => (x === '/link' ? '/b/rootfs' : undefined) }));
    expect(p.rootfs).toBe('/b/rootfs');
  });

  test('an unvalidated spec is an internal error, not a config error', () => {
    expect(() => buildPlan(spec((c) => { c.root.path = 'gone'; }), OPTS, host())).toThrow(/^internal: root\.path: no rootfs directory/);
    expect(() => buildPlan(spec((c) => { c.linux.namespaces.push({ type: 'nope' }); }), OPTS, host())).toThrow(/^internal: linux\.namespaces\[5\]\.type: "nope"/);
    expect(() => known({ a: 1 }, 'toString', 'f')).toThrow(/^internal: f: "toString"/);
  });

  test('--no-pivot hides whole procfs and sysfs instances outside the rootfs', () => {
    expect(buildPlan(spec(), { ...OPTS, noPivot: true }, host()).native.hidePaths).toEqual(['/proc', '/sys']);
    expect(buildPlan(spec(), OPTS, host()).native.hidePaths).toEqual([]);
  });

  test('/dev: default nodes and links, /dev/core only with /proc/kcore; none with /dev bound from the host', () => {
    const p = buildPlan(spec(), OPTS, host({ kcore: false })).native;
    expect(p.devices.map((d) => d.path)).toEqual(['dev/null', 'dev/random', 'dev/full', 'dev/tty', 'dev/zero', 'dev/urandom']);
    expect(p.symlinks.map((s) => s.link)).not.toContain('dev/core');
    const bound = buildPlan(spec((c) => { c.mounts.push({ destination: '/dev', type: 'bind', source: '/tmp', options: ['rbind'] }); }), OPTS, host()).native;
    expect([bound.devices, bound.symlinks]).toEqual([[], []]);
  });
});

describe('processFields', () => {
  const proc = (over: object = {}) => ({ cwd: '/', args: ['sh'], env: ['PATH=/bin:/usr/bin'], user: { uid: 1000, gid: 1000 }, ...over });
  const rows: [string, object, Partial<HostFacts>, Record<string, unknown>][] = [
    ['HOME from the image\'s passwd (runc)', {}, {}, { env: ['PATH=/bin:/usr/bin', 'HOME=/home/user'] }],
    ['HOME=/ for a uid without an entry', { user: { uid: 4242 } }, {}, { env: ['PATH=/bin:/usr/bin', 'HOME=/'] }],
    ['HOME=/ for an empty home field', { user: { uid: 7 } }, {}, { env: ['PATH=/bin:/usr/bin', 'HOME=/'] }],
    ['HOME=/ without a usable passwd', {}, { passwd: () => null }, { env: ['PATH=/bin:/usr/bin', 'HOME=/'] }],
    ['HOME given: passwd not read', { env: ['HOME=/x', 'A=1', 'A=2'] }, { passwd: () => { throw new Error('read'); } }, { env: ['HOME=/x', 'A=2'] }],
    ['a missing uid and gid are 0 (Go zero values)', { user: undefined }, {}, { uid: 0, gid: 0, umask: -1, groups: [] }],
    ['args[0] looked up in PATH', {}, {}, { pathCandidates: ['/bin/sh', '/usr/bin/sh'] }],
    ['AppArmor: "exec PROFILE" to the per-LSM attr', { apparmorProfile: 'p' }, {}, { lsmAttr: 'thread-self/attr/apparmor/exec', lsmValue: 'exec p' }],
    ['AppArmor on a pre-5.8 kernel', { apparmorProfile: 'p' }, { apparmorExecAttr: 'thread-self/attr/exec' }, { lsmAttr: 'thread-self/attr/exec' }],
    ['SELinux', { selinuxLabel: 'l' }, {}, { lsmAttr: 'thread-self/attr/exec', lsmValue: 'l' }],
    ['a console only with terminal', { consoleSize: { width: 80, height: 24 } }, {}, { consoleSocketFd: -1, consoleWidth: 0 }],
    ['terminal: the console socket and size', { terminal: true, consoleSize: { width: 80, height: 24 } }, {}, { consoleSocketFd: 9, consoleWidth: 80, consoleHeight: 24 }],
    ['capabilities beyond lastCap are left out', { capabilities: { bounding: ['CAP_CHOWN', 'CAP_BPF'] } }, { lastCap: 38 }, { caps: expect.objectContaining({ bounding: 1n }), lastCap: 38 }],
  ];
  test.each(rows)('%s', (_what, over, facts, want) => {
    const f = processFields(proc(over) as any, '/b/rootfs', { stubPath: '/s', preserveFds: 0, consoleSocketFd: 9 }, host(facts));
    expect(f).toMatchObject(want);
  });

  test('seccomp: the program from the host\'s compiler; with NOTIFY the child loads it and the listener is named', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ERRNO' as const, listenerPath: '/l', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' as const }] };
    const f = processFields(proc({ noNewPrivileges: true }) as any, '/b/rootfs', { stubPath: '/s', preserveFds: 0, seccomp }, host());
    expect(f).toMatchObject({ seccompInChild: true, seccompNotify: true, seccompListener: { path: '/l' }, seccompFlags: 8 });
    expect(JSON.parse(f.seccompProgram!.toString())).toMatchObject({ defaultAction: 0x50001, enosys: true, rules: [{ names: ['mkdir'], action: 0x7fc00000 }] });
  });
});

describe('mounts', () => {
  const m = (x: Partial<Mount>): Mount => ({ destination: '/m', ...x });
  const plan1 = (mount: Mount, cg = CG, userns?: Parameters<typeof planMounts>[4]) => planMounts([mount], '/b', cg, host(), userns)[0];
  const rows: [string, Mount, Record<string, unknown>][] = [
    ['tmpfs: type, data, flags', m({ type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] }),
      { kind: 0, fstype: 'tmpfs', data: 'mode=755,size=65536k', flags: MS.NOSUID | MS.STRICTATIME, target: 'm' }],
    ['a relative destination is below "/"', m({ destination: 'a/../b', type: 'tmpfs' }), { target: 'b' }],
    ['rbind: MS_REC, the source resolved against the bundle', m({ type: 'bind', source: 'data', options: ['rbind', 'ro'] }),
      { kind: 1, source: '/b/data', flags: MS.RDONLY | MS.REC, fstype: null, isFile: false }],
    ['a bind of a file is mounted on a file', m({ source: '/etc/hosts', options: ['bind'] }), { kind: 1, isFile: true, flags: 0 }],
    ['a missing source: not a file (the child reports it)', m({ source: '/gone', options: ['bind'] }), { isFile: false }],
    ['propagation', m({ type: 'bind', source: '/tmp', options: ['rbind', 'rslave'] }), { propagation: MS.SLAVE | MS.REC }],
    ['r* options: attributes to set and to clear', m({ type: 'bind', source: '/tmp', options: ['rbind', 'rro', 'rnoatime', 'rrw'] }),
      { attrSet: MOUNT_ATTR.NOATIME, attrClr: MOUNT_ATTR.RDONLY | MOUNT_ATTR.ATIME_MASK }],
    ['a read-only /dev tmpfs is made read-only after it is populated', m({ destination: '/dev', type: 'tmpfs', options: ['ro'] }), { roLater: 2, flags: 0 }],
    ['a read-only tmpcopyup', m({ type: 'tmpfs', options: ['ro', 'tmpcopyup'] }), { roLater: 1, tmpcopyup: true }],
    ['over an allowlisted /proc file: may resolve into procfs', m({ destination: '/proc/meminfo', source: '/tmp', options: ['bind'] }), { procOk: true }],
    ['elsewhere it may not', m({ type: 'tmpfs' }), { procOk: false }],
    ['own id mappings', m({ source: '/tmp', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 5, size: 2 }], gidMappings: [{ containerID: 0, hostID: 6, size: 1 }] }),
      { idmap: { uidMap: '0 5 2\n', gidMap: '0 6 1\n', recursive: false, idmapRecursive: false, usernsPath: undefined } }],
  ];
  test.each(rows)('%s', (_what, mount, want) => expect(plan1(mount)).toMatchObject(want));

  test('idmap: the new user namespace\'s mappings, or a joined one\'s file; ridmap every mount of an rbind', () => {
    const userns = { uid: [{ containerID: 0, hostID: 100, size: 10 }], gid: [{ containerID: 0, hostID: 200, size: 10 }] };
    expect(plan1(m({ source: '/tmp', options: ['rbind', 'ridmap'] }), CG, userns).idmap).toEqual({ uidMap: '0 100 10\n', gidMap: '0 200 10\n', recursive: true, idmapRecursive: true, usernsPath: undefined });
    expect(plan1(m({ source: '/tmp', options: ['bind', 'idmap'], uidMappings: [], gidMappings: [] }), CG, { path: '/proc/9/ns/user' }).idmap)
      .toMatchObject({ uidMap: '', gidMap: '', usernsPath: '/proc/9/ns/user' });
    expect(plan1(m({ source: '/tmp', options: ['bind'] }), CG, userns).idmap).toBeUndefined();
  });

  // [what, view, userns, mounts as "kind fstype source target flags"]
  const cgRows: [string, CgroupMountView, boolean, string[]][] = [
    ['v2 with a cgroup namespace: cgroup2', CG, false, [`0 cgroup2 cgroup /sys/fs/cgroup ${MS.NOSUID}`]],
    ['v2, user namespace, no cgroup namespace: its own cgroup bound read-only', { v1: [], v2: '/sys/fs/cgroup/c1', cgroupns: false }, true,
      [`1 null /sys/fs/cgroup/c1 /sys/fs/cgroup ${MS.NOSUID | MS.RDONLY | MS.REC}`]],
    ['v1 with a cgroup namespace: a tmpfs and each hierarchy mounted', { v1: [{ dir: 'cpu', hostPath: '/sys/fs/cgroup/cpu/c1', subsystems: 'cpu' }], cgroupns: true }, false,
      [`0 tmpfs tmpfs /sys/fs/cgroup ${MS.NOSUID | MS.NODEV | MS.NOEXEC}`, `0 cgroup cgroup /sys/fs/cgroup/cpu ${MS.NOSUID}`]],
    ['v1, user namespace, no cgroup namespace: host hierarchies bound read-only, then the tmpfs', { v1: [{ dir: 'cpu', hostPath: '/h/cpu', subsystems: 'cpu' }], cgroupns: false }, true,
      [`0 tmpfs tmpfs /sys/fs/cgroup ${MS.NOSUID | MS.NODEV | MS.NOEXEC}`, `1 null /h/cpu /sys/fs/cgroup/cpu ${MS.NOSUID | MS.RDONLY | MS.REC}`,
        `0 null null /sys/fs/cgroup ${MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC}`]],
  ];
  test.each(cgRows)('cgroup mount, %s', (_what, view, userns, want) => {
    const out = planMounts([{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid'] }], '/b', view, host(), undefined, userns);
    expect(out.map((x) => `${x.kind} ${x.fstype} ${x.source} /${x.target} ${x.flags}`)).toEqual(want);
  });

  test('parseMountOptions: set, clear, propagation, bind, data', () => {
    expect(parseMountOptions(['ro', 'rw', 'nosuid', 'suid', 'noexec', 'rprivate', 'bind', 'mode=1777', 'idmap']))
      .toMatchObject({ flags: MS.NOEXEC, propagation: MS.PRIVATE | MS.REC, bind: true, recursive: false, data: ['mode=1777'], idmap: 'idmap' });
  });

  test('mountLabel: context= on the container\'s own filesystems only', () => {
    const ms = planMounts([m({ type: 'tmpfs', options: ['mode=755'] }), m({ type: 'proc' }), m({ source: '/tmp', options: ['bind'] })], '/b', CG, host());
    expect(labelMounts(ms, spec((c) => { c.linux.mountLabel = 'L'; })).map((x) => x.data)).toEqual(['mode=755,context="L"', null, null]);
  });
});

describe('devices', () => {
  test('linux.devices first, runc\'s defaults not named; relative paths below "/"; a user namespace binds host nodes', () => {
    const d = planDevices([{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o600, uid: 5 }, { type: 'b', path: 'dev/sda', major: 8, minor: 0 },
      { type: 'p', path: '/dev/fifo' }], true);
    expect(d.slice(0, 3)).toEqual([
      { path: 'dev/null', hostPath: '/dev/null', mode: S_IF.CHR | 0o600, major: 1, minor: 3, uid: 5, gid: 0, index: 0 },
      { path: 'dev/sda', hostPath: '/dev/sda', mode: S_IF.BLK | 0o666, major: 8, minor: 0, uid: 0, gid: 0, index: 1 },
      { path: 'dev/fifo', hostPath: '/dev/fifo', mode: S_IF.FIFO | 0o666, major: 0, minor: 0, uid: 0, gid: 0, index: 2 },
    ]);
    expect(d.slice(3).map((x) => `${x.path} ${x.index} ${x.hostPath}`)).toEqual(['dev/random -1 /dev/random', 'dev/full -1 /dev/full', 'dev/tty -1 /dev/tty', 'dev/zero -1 /dev/zero', 'dev/urandom -1 /dev/urandom']);
    expect(planDevices(undefined, false)[0]).toMatchObject({ path: 'dev/null', hostPath: null, mode: S_IF.CHR | 0o666 });
  });

  test('/dev set up unless bound over; links', () => {
    expect(needsDevSetup([{ destination: '/dev', type: 'tmpfs' }])).toBe(true);
    expect(needsDevSetup([{ destination: 'dev/', options: ['rbind'], source: '/dev' }])).toBe(false);
    expect(devSymlinks(true).map((l) => `${l.link}->${l.target}`)).toEqual(['dev/fd->/proc/self/fd', 'dev/stdin->/proc/self/fd/0', 'dev/stdout->/proc/self/fd/1',
      'dev/stderr->/proc/self/fd/2', 'dev/ptmx->pts/ptmx', 'dev/core->/proc/kcore']);
  });
});

describe('process attributes', () => {
  test.each([
    ['0', [0]], ['0-3,7', [0, 1, 2, 3, 7]], ['5-5', [5]],
  ] as [string, number[]][])('parseList(%s)', (list, want) => expect(parseList(list)).toEqual(want));

  test('scheduler, ioPriority, memory policy, time offsets, rlimits, caps', () => {
    expect(planScheduler({ policy: 'SCHED_DEADLINE', flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM'], runtime: 10, deadline: 20n, period: 30 }))
      .toEqual({ policy: 6, flags: 3, nice: 0, priority: 0, runtime: 10n, deadline: 20n, period: 30n });
    expect(planIoPriority({ class: 'IOPRIO_CLASS_IDLE' })).toBe(3 << 13);
    expect(planIoPriority({ class: 'IOPRIO_CLASS_RT', priority: 7 })).toBe((1 << 13) | 7);
    expect(planMemoryPolicy({ mode: 'MPOL_BIND', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] })).toEqual({ mode: 2 | (1 << 15), nodes: [0, 1] });
    expect(planMemoryPolicy({ mode: 'MPOL_LOCAL' })).toEqual({ mode: 4, nodes: [] });
    expect(planTimeOffsets({ monotonic: { secs: 5 }, boottime: { secs: -1n, nanosecs: 7 } })).toBe('monotonic 5 0\nboottime -1 7\n');
    expect(planTimeOffsets({})).toBeUndefined();
    expect(planRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 18446744073709551615n }])).toEqual([{ resource: 7, soft: 1024n, hard: 18446744073709551615n, index: 0 }]);
    expect(planCaps({ bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NOPE'], ambient: ['CAP_BPF'] }, 38))
      .toEqual({ bounding: 0b100001n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n });
  });

  test('env: one entry per name, the last value in the first place (runc\'s init); PATH lookup', () => {
    expect(dedupEnv(['A=1', 'B=2', 'A=3', 'NOEQ', 'NOEQ'])).toEqual(['A=3', 'B=2', 'NOEQ']);
    expect(pathCandidates('sh', ['PATH=/x:', 'PATH=/a::/b'])).toEqual(['/a/sh', './sh', '/b/sh']);
    expect(pathCandidates('./sh', [])).toEqual(['./sh']);
    expect(pathCandidates('sh', [])).toEqual([]);
    expect(withHome(['A=1'], 'x:x:0:0::/r:/bin/sh\n', 0)).toEqual(['A=1', 'HOME=/r']);
  });

  test('seccomp flags: NOTIFY adds NEW_LISTENER (and TSYNC_ESRCH with TSYNC); WAIT_KILLABLE_RECV only with a listener', () => {
    const compile = (_d: SeccompDescriptor) => Buffer.alloc(0);
    const tsync = planSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/l', flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }, compile)!;
    expect([tsync.flags, tsync.notify]).toEqual([1 | 8 | 16, true]);
    const noListener = planSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_LOG'] }, compile)!;
    expect([noListener.flags, noListener.notify]).toEqual([2, false]);
    expect(planSeccomp(undefined, compile)).toBeUndefined();
  });

  test('lsm', () => {
    expect(planLsm({ cwd: '/' }, { get apparmorExecAttr(): string { throw new Error('looked up without a profile'); } })).toEqual({});
  });
});

describe('mountinfo', () => {
  test('mount points unescaped; the deepest holding a path; shared peer groups; whole proc/sysfs instances', () => {
    expect(mountPoints(MOUNTINFO)).toEqual(['/', '/proc', '/sys', '/b/rootfs', '/srv/with space', '/mnt/partial']);
    expect(mountOf('/b/rootfs/x', mountPoints(MOUNTINFO))).toBe('/b/rootfs');
    expect(mountOf('/srv/with space/a', mountPoints(MOUNTINFO))).toBe('/srv/with space');
    expect(mountOf('/bb', mountPoints(MOUNTINFO))).toBe('/');
    expect([isSharedMount('/', MOUNTINFO), isSharedMount('/b/rootfs', MOUNTINFO), isSharedMount('/srv/with space', MOUNTINFO)]).toEqual([true, false, false]);
    // /mnt/partial is procfs but not its root: not a fully visible instance
    expect(fullPseudoMounts('/b/rootfs', MOUNTINFO)).toEqual(['/proc', '/sys']);
    expect(fullPseudoMounts('/', MOUNTINFO)).toEqual([]);
  });
});
