// Rootless (issue 19), the pure parts: the default state root, --rootless, which id maps an
// unprivileged process may write itself, the config checks, and which linux.resources field a
// left-out hierarchy refuses. The real thing runs as an unprivileged user in
// test/e2e/rootless.test.ts.
import { firstAskedField, noCgroups } from '../../src/cgroups/rootless';
import { layoutFrom } from '../../src/cgroups/detect';
import { ownSingle } from '../../src/lifecycle/idmap';
import { checkMappedUser, checkRootlessConfig, parseRootlessFlag } from '../../src/lifecycle/rootless';
import { runningInUserNs } from '../../src/native/userns';
import { defaultStateRoot } from '../../src/state/root-dir';
import type { Spec } from '../../src/spec/config-types';

describe('default state root (runc\'s XDG rule)', () => {
  test('euid 0: /run/tsrun whatever XDG_RUNTIME_DIR says, unless in a user namespace as someone other than USER=root (rootless podman)', () => {
    expect(defaultStateRoot({}, 0)).toBe('/run/tsrun');
    if (!runningInUserNs()) expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0' }, 0)).toBe('/run/tsrun');
    else {
      expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000', USER: 'me' }, 0)).toBe('/run/user/1000/tsrun');
      expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/0', USER: 'root' }, 0)).toBe('/run/tsrun');
    }
  });
  test('not root: $XDG_RUNTIME_DIR/tsrun; without it /run/tsrun (which it cannot write: create names --root)', () => {
    expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/tsrun');
    expect(defaultStateRoot({ XDG_RUNTIME_DIR: '' }, 1000)).toBe('/run/tsrun');
    expect(defaultStateRoot({}, 1000)).toBe('/run/tsrun');
  });
});

describe('--rootless', () => {
  test('auto (default), Go ParseBool spellings, anything else refused naming the flag', () => {
    for (const v of [undefined, '', 'auto']) expect(parseRootlessFlag(v)).toBeUndefined();
    for (const v of ['true', 'TRUE', 'True', 't', 'T', '1']) expect(parseRootlessFlag(v)).toBe(true);
    for (const v of ['false', 'FALSE', 'False', 'f', 'F', '0']) expect(parseRootlessFlag(v)).toBe(false);
    expect(() => parseRootlessFlag('yes')).toThrow('--rootless yes: invalid value: must be true, false or auto');
  });
});

describe('id maps an unprivileged process may write', () => {
  test('a single mapping of its own id, size 1 (anything else: newuidmap/newgidmap)', () => {
    expect(ownSingle([{ containerID: 0, hostID: 1000, size: 1 }], 1000)).toBe(true);
    expect(ownSingle([{ containerID: 5, hostID: 1000, size: 1 }], 1000)).toBe(true);
    expect(ownSingle([{ containerID: 0, hostID: 1000, size: 2 }], 1000)).toBe(false);
    expect(ownSingle([{ containerID: 0, hostID: 1001, size: 1 }], 1000)).toBe(false);
    expect(ownSingle([{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }], 1000)).toBe(false);
  });
});

describe('config checks', () => {
  const spec = (linux: Spec['linux'], extra: Partial<Spec> = {}): Spec => ({ ociVersion: '1.0.2', linux, ...extra } as Spec);
  const maps = { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] };
  test('unmapped process.user is refused before setuid, naming the field (runc\'s text)', () => {
    const linux = { namespaces: [{ type: 'user' }], ...maps } as Spec['linux'];
    expect(() => checkMappedUser({ uid: 0, gid: 0 }, linux)).not.toThrow();
    expect(() => checkMappedUser({ uid: 5, gid: 0 }, linux)).toThrow('process.user.uid: cannot set uid to unmapped user in user namespace (uid 5 is not in linux.uidMappings)');
    expect(() => checkMappedUser({ uid: 0, gid: 7 }, linux)).toThrow('process.user.gid: cannot set gid to unmapped user in user namespace');
    expect(() => checkMappedUser({ uid: 5 }, linux, '--user')).toThrow(/^--user: cannot set uid/);
    // a joined user namespace has the mappings it has: not checked here
    expect(() => checkMappedUser({ uid: 5 }, { namespaces: [{ type: 'user', path: '/proc/1/ns/user' }] } as Spec['linux'])).not.toThrow();
  });
  const asUser = (fn: () => void) => {
    const real = process.geteuid;
    process.geteuid = () => 1000;
    try { fn(); } finally { process.geteuid = real; }
  };
  test('not root: a user namespace with mappings, no additional groups, uid=/gid= options that are mapped', () => {
    asUser(() => {
      expect(() => checkRootlessConfig(spec({ namespaces: [{ type: 'pid' }] }))).toThrow(/^linux\.namespaces: a rootless container requires a user namespace/);
      expect(() => checkRootlessConfig(spec({ namespaces: [{ type: 'user' }] }))).toThrow(/^linux\.uidMappings: a rootless container requires at least one uid mapping/);
      expect(() => checkRootlessConfig(spec({ namespaces: [{ type: 'user' }], ...maps }, { process: { cwd: '/', user: { uid: 0, gid: 0, additionalGids: [5] } } as Spec['process'] })))
        .toThrow(/^process\.user\.additionalGids: cannot set any additional groups in a rootless container/);
      const devpts = (o: string) => spec({ namespaces: [{ type: 'user' }], ...maps }, { mounts: [{ destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance', o] }] });
      expect(() => checkRootlessConfig(devpts('gid=5'))).toThrow('mounts[0].options: cannot specify gid=5 mount option for rootless container: gid 5 is not mapped in linux.gidMappings');
      expect(() => checkRootlessConfig(devpts('gid=0'))).not.toThrow();
    });
  });
});

describe('rootless cgroups: what a left-out hierarchy refuses', () => {
  test('firstAskedField: the first field that writes something, devices never', () => {
    expect(firstAskedField(undefined)).toBeUndefined();
    expect(firstAskedField({ devices: [{ allow: false, access: 'rwm' }] })).toBeUndefined();
    expect(firstAskedField({ memory: {} })).toBeUndefined();
    expect(firstAskedField({ memory: { limit: 1 } })).toBe('linux.resources.memory.limit');
    expect(firstAskedField({ cpu: { cpus: '0' } })).toBe('linux.resources.cpu.cpus');
    expect(firstAskedField({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] })).toBe('linux.resources.hugepageLimits');
  });
  test('in no cgroup: every asked-for limit refused naming the field; no freezer; runc\'s zero stats', () => {
    const layout = layoutFrom(
      '30 23 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n31 23 0:27 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n32 23 0:28 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n',
      '3:memory:/\n2:devices:/\n1:freezer:/\n',
    );
    const cg = noCgroups(layout, ['memory', 'devices', 'freezer']);
    expect(() => cg.setResources({ devices: [{ allow: false, access: 'rwm' }] })).not.toThrow();
    expect(() => cg.setResources({ memory: { limit: 1 << 20 } })).toThrow(/^linux\.resources\.memory\.limit: cannot set the memory limit: container could not join or create cgroup/);
    expect(() => cg.freeze()).toThrow(/^cannot pause or resume: the container has no freezer cgroup/);
    expect(cg.paths).toEqual({});
    expect(cg.stats()).toMatchObject({ memory: { usage: { limit: 0, failcnt: 0 } }, pids: {} });
  });
});
