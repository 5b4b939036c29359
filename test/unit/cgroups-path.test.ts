import { ConfigError, TsrunError } from '../../src/errors';
import { layoutFrom } from '../../src/cgroups/detect';
import {
  normalizeCgroupsPath, parseCgroupsPath, parseSystemdCgroupsPath, resolveUnifiedDir, resolveV1Dir, systemdIsRunning,
} from '../../src/cgroups/path';

const HYBRID = layoutFrom(
  `31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw
32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`,
  `9:name=systemd:/own
5:devices:/
4:memory:/process_api/abc
1:cpu:/
0::/own/sub
`,
);

const V2 = layoutFrom('30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/user.slice/user-0.slice/session-1.scope\n');

describe('normalizeCgroupsPath', () => {
  it('keeps absolute vs relative and normalises like runc CleanPath', () => {
    expect(normalizeCgroupsPath('/a/b')).toEqual({ absolute: true, inner: 'a/b' });
    expect(normalizeCgroupsPath('a/b/')).toEqual({ absolute: false, inner: 'a/b' });
    expect(normalizeCgroupsPath('cgx/../x/./y/')).toEqual({ absolute: false, inner: 'x/y' });
    expect(normalizeCgroupsPath('//a//b')).toEqual({ absolute: true, inner: 'a/b' });
  });
  it('rejects ".." that climbs above the base (runc would clamp it)', () => {
    expect(() => normalizeCgroupsPath('../../x')).toThrow(ConfigError);
    expect(() => normalizeCgroupsPath('/a/../../x')).toThrow(/linux\.cgroupsPath: "\/a\/..\/..\/x" escapes the cgroup hierarchy root/);
    expect(() => normalizeCgroupsPath('a/../..')).toThrow(/escapes/);
  });
  it('rejects paths naming the hierarchy root or the own cgroup', () => {
    expect(() => normalizeCgroupsPath('/')).toThrow(/hierarchy root/);
    expect(() => normalizeCgroupsPath('.')).toThrow(/own cgroup/);
    expect(() => normalizeCgroupsPath('/a/..')).toThrow(/hierarchy root/);
  });
  it('rejects NUL', () => {
    expect(() => normalizeCgroupsPath('a\0b')).toThrow(/NUL/);
  });
});

describe('parseCgroupsPath', () => {
  it('uses the container id, relative, when empty (runc: Name = id)', () => {
    expect(parseCgroupsPath('', 'ctr1')).toEqual({ absolute: false, inner: 'ctr1' });
    expect(parseCgroupsPath(undefined, 'ctr1')).toEqual({ absolute: false, inner: 'ctr1' });
  });
  it('takes a cgroupfs path literally without --systemd-cgroup, colons included', () => {
    expect(parseCgroupsPath('system.slice:runc:x', 'id')).toEqual({ absolute: false, inner: 'system.slice:runc:x' });
  });
  it('systemd form: bad format is a ConfigError naming the field', () => {
    expect(() => parseCgroupsPath('badform', 'id', { systemdCgroup: true, systemdRunning: () => true }))
      .toThrow(/linux\.cgroupsPath: expected "slice:prefix:name"/);
  });
  it('systemd form without systemd running: clear error', () => {
    const e = (() => { try { parseCgroupsPath('system.slice:runc:x', 'id', { systemdCgroup: true, systemdRunning: () => false }); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(TsrunError);
    expect((e as Error).message).toMatch(/systemd not running on this host, cannot use the systemd cgroup manager/);
    expect((e as Error).message).toMatch(/linux\.cgroupsPath/);
  });
  it('systemd form with systemd running: the cgroup of the transient unit (runc defaults when empty)', () => {
    const sd = { systemdCgroup: true, systemdRunning: () => true };
    expect(parseCgroupsPath('system.slice:runc:x', 'id', sd)).toEqual({ absolute: true, inner: 'system.slice/runc-x.scope' });
    expect(parseCgroupsPath('', 'id', sd)).toEqual({ absolute: true, inner: 'system.slice/runc-id.scope' });
    expect(parseCgroupsPath(':cri-containerd:abc', 'id', sd)).toEqual({ absolute: true, inner: 'system.slice/cri-containerd-abc.scope' });
    expect(parseCgroupsPath('machine-libpod.slice:libpod:abc', 'id', sd)).toEqual({ absolute: true, inner: 'machine.slice/machine-libpod.slice/libpod-abc.scope' });
    expect(parseCgroupsPath('-.slice:p:n', 'id', sd)).toEqual({ absolute: true, inner: 'p-n.scope' });
    expect(() => parseCgroupsPath('system:runc:x', 'id', sd)).toThrow(/^linux\.cgroupsPath: invalid slice name "system"/);
    expect(() => parseCgroupsPath('a--b.slice:runc:x', 'id', sd)).toThrow(/invalid slice name "a--b.slice" \(empty component/);
    expect(() => parseCgroupsPath('system.slice:runc:pod.slice', 'id', sd)).toThrow(/ending in "\.slice"/);
    expect(() => parseCgroupsPath('system.slice:r c:x', 'id', sd)).toThrow(/not a valid systemd unit name/);
  });
  it('parses slice:prefix:name with runc defaults', () => {
    expect(parseSystemdCgroupsPath('user.slice:docker:abc', 'x')).toEqual({ slice: 'user.slice', prefix: 'docker', name: 'abc' });
    expect(parseSystemdCgroupsPath('', 'x')).toEqual({ slice: '', prefix: 'runc', name: 'x' });
  });
  it('systemdIsRunning checks the directory given', () => {
    expect(systemdIsRunning('/nonexistent/run/systemd/system')).toBe(false);
    expect(systemdIsRunning('/')).toBe(true);
  });
});

describe('resolution (runc 1.1 cgroupfs semantics)', () => {
  it('v1 absolute: <mount>/<path>, own cgroup ignored', () => {
    const p = parseCgroupsPath('/cgx/abs', 'id');
    expect(resolveV1Dir(HYBRID, 'memory', p)).toBe('/sys/fs/cgroup/memory/cgx/abs');
    expect(resolveV1Dir(HYBRID, 'name=systemd', p)).toBe('/sys/fs/cgroup/systemd/cgx/abs');
    expect(resolveUnifiedDir(HYBRID, p)).toBe('/sys/fs/cgroup/unified/cgx/abs');
  });
  it('v1 relative: below the own cgroup of each hierarchy', () => {
    const p = parseCgroupsPath('cgx/rel', 'id');
    expect(resolveV1Dir(HYBRID, 'memory', p)).toBe('/sys/fs/cgroup/memory/process_api/abc/cgx/rel');
    expect(resolveV1Dir(HYBRID, 'name=systemd', p)).toBe('/sys/fs/cgroup/systemd/own/cgx/rel');
    expect(resolveV1Dir(HYBRID, 'cpu', p)).toBe('/sys/fs/cgroup/cpu/cgx/rel');
  });
  it('hybrid unified tree: always <unified mount>/<path> (as runc 1.1.5 does)', () => {
    expect(resolveUnifiedDir(HYBRID, parseCgroupsPath('', 'ctr'))).toBe('/sys/fs/cgroup/unified/ctr');
  });
  it('unmounted v1 controller resolves to undefined', () => {
    expect(resolveV1Dir(HYBRID, 'pids', parseCgroupsPath('', 'ctr'))).toBeUndefined();
  });
  it('v2 relative: below the PARENT of the own cgroup (fs2 Dir(own))', () => {
    expect(resolveUnifiedDir(V2, parseCgroupsPath('', 'ctr'))).toBe('/sys/fs/cgroup/user.slice/user-0.slice/ctr');
    expect(resolveUnifiedDir(V2, parseCgroupsPath('/a/b', 'ctr'))).toBe('/sys/fs/cgroup/a/b');
  });
  it('v2 relative from the root cgroup', () => {
    const l = layoutFrom('30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n', '0::/\n');
    expect(resolveUnifiedDir(l, parseCgroupsPath('', 'ctr'))).toBe('/sys/fs/cgroup/ctr');
  });
  it('honours a mount root other than "/" (nested, no cgroupns)', () => {
    const l = layoutFrom(
      '50 1 0:5 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n51 1 0:6 /docker/abc /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n',
      '4:memory:/docker/abc/sub\n5:devices:/elsewhere\n',
    );
    const p = parseCgroupsPath('', 'ctr');
    expect(resolveV1Dir(l, 'memory', p)).toBe('/sys/fs/cgroup/memory/sub/ctr');
    expect(resolveV1Dir(l, 'devices', p)).toBe('/sys/fs/cgroup/devices/ctr'); // own cgroup not visible: mount root
  });
  it('applies the test prefix', () => {
    expect(resolveV1Dir(HYBRID, 'cpu', parseCgroupsPath('/x', 'i'), '/tmp/fake')).toBe('/tmp/fake/sys/fs/cgroup/cpu/x');
    expect(resolveUnifiedDir(V2, parseCgroupsPath('/x', 'i'), '/tmp/fake')).toBe('/tmp/fake/sys/fs/cgroup/x');
  });
});
