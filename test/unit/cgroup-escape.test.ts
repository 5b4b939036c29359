// exec --cgroup paths that climb out of the container's cgroup: no root needed.
import { parseSubCgroups, withSubCgroups } from '../../src/lifecycle/sub-cgroup';
import type { CgroupManager } from '../../src/cgroups';

const PATHS = { pids: '/sys/fs/cgroup/pids/c1', devices: '/sys/fs/cgroup/devices/c1', '': '/sys/fs/cgroup/unified/c1' };

describe('exec --cgroup', () => {
  test.each([
    ['..', '..'], ['../../..', '../../..'], ['pids:..', '..'], ['pids,devices:../x', '../x'], ['/..', '/..'],
    ['a/../..', 'a/../..'], ['sub/..', 'sub/..'], ['./..', './..'],
  ])('%s is refused with runc\'s error', (arg, sub) => {
    expect(() => parseSubCgroups([arg], PATHS)).toThrow(`${sub} is not a sub cgroup path`);
  });

  test('paths below the container\'s cgroup are taken as runc takes them', () => {
    expect(parseSubCgroups(['sub'], PATHS)).toEqual({ pids: 'sub', devices: 'sub', '': 'sub' });
    expect(parseSubCgroups(['pids:a/b', 'devices:/x'], PATHS)).toEqual({ pids: 'a/b', devices: '/x' });
    expect(() => parseSubCgroups(['bogus:x'], PATHS)).toThrow('unknown controller bogus in SubCgroupPaths');
    expect(() => parseSubCgroups(['a:b:c'], PATHS)).toThrow('invalid --cgroup argument: a:b:c');
  });

  test('the joined directory is checked again before anything is written', () => {
    const cg = { paths: PATHS } as unknown as CgroupManager;
    expect(() => withSubCgroups(cg, { pids: '../../..' }).apply(1)).toThrow('../../.. is not a sub cgroup path');
  });
});
