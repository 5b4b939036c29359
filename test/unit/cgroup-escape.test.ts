// exec --cgroup paths that climb out of the container's cgroup, recorded cgroup paths that name
// a hierarchy's root, and runc's check of a cgroup at create: no root needed.
import fs = require('fs');
import os = require('os');
import path = require('path');
import { layoutFrom } from '../../src/cgroups/detect';
import { relation } from '../../src/cgroups/fsutil';
import { checkCgroupBeforeCreate, createdPathProblem, recordedPathProblem } from '../../src/cgroups/members';
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

const HYBRID = layoutFrom(
  `31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw
32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`,
  '8:pids:/\n0::/\n',
);

describe('recorded cgroup paths', () => {
  test('a hierarchy\'s root or a path outside it is refused; a cgroup below it is fine', () => {
    expect(recordedPathProblem(HYBRID, 'pids', '/sys/fs/cgroup/pids')).toBe('/sys/fs/cgroup/pids is the root of the pids hierarchy');
    expect(recordedPathProblem(HYBRID, '', '/sys/fs/cgroup/unified')).toBe('/sys/fs/cgroup/unified is the root of the cgroup2 hierarchy');
    expect(recordedPathProblem(HYBRID, 'pids', '/etc')).toMatch(/^\/etc is outside the pids hierarchy/);
    expect(recordedPathProblem(HYBRID, 'pids', '/sys/fs/cgroup/pids/c1')).toBeUndefined();
    // a hierarchy the host does not have (v1 paths in a state on a pure v2 host): nothing to act on
    expect(recordedPathProblem(HYBRID, 'memory', '/sys/fs/cgroup/memory/c1')).toBe('/sys/fs/cgroup/memory/c1 is recorded for the "memory" hierarchy, which is not mounted on this host');
    expect(createdPathProblem(HYBRID, '/sys/fs/cgroup/pids')).toMatch(/not a cgroup below/);
    expect(createdPathProblem(HYBRID, '/sys/fs/cgroup/unified/a/b')).toBeUndefined();
  });
});

describe('a cgroup at create', () => {
  const fake = (over: Partial<Pick<CgroupManager, 'exists' | 'pids' | 'isFrozen' | 'paths'>>) =>
    ({ exists: () => true, pids: () => [], isFrozen: () => false, paths: {}, ...over });

  test('frozen: runc\'s error; empty or new: nothing to say', () => {
    expect(() => checkCgroupBeforeCreate(fake({ pids: () => [5], isFrozen: () => true }))).toThrow('container\'s cgroup unexpectedly frozen');
    const cg = fake({});
    expect(checkCgroupBeforeCreate(cg)).toBe(cg);
    expect(checkCgroupBeforeCreate(fake({ exists: () => false, isFrozen: () => { throw new Error('not asked'); } }))).toBeDefined();
  });

  // a fake cgroupfs: freezer.state and the self file as the kernel shows them below a frozen cgroup
  const tree = (v1: boolean, frozen: Record<string, boolean>) => {
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'frozen-'));
    for (const [rel, self] of Object.entries(frozen)) {
      const d = path.join(top, rel);
      fs.mkdirSync(d, { recursive: true });
      if (v1) {
        fs.writeFileSync(path.join(d, 'freezer.state'), 'FROZEN\n');
        fs.writeFileSync(path.join(d, 'freezer.self_freezing'), self ? '1\n' : '0\n');
      } else {
        fs.writeFileSync(path.join(d, 'cgroup.events'), 'populated 0\nfrozen 1\n');
        fs.writeFileSync(path.join(d, 'cgroup.freeze'), self ? '1\n' : '0\n');
      }
    }
    return top;
  };

  test.each([['v1', true], ['v2', false]])('%s: frozen by itself whether or not its devices directory exists; through an ancestor, or to be made below a frozen one, the ancestor is named', (_, v1) => {
    const key = v1 ? 'freezer' : '';
    const top = tree(v1, { a: true, 'a/b': false, c: true });
    try {
      // exists() reads the devices directory: false here, as when only the freezer one was made
      const at = (rel: string) => fake({ exists: () => false, paths: { [key]: path.join(top, rel) } });
      expect(() => checkCgroupBeforeCreate(at('c'))).toThrow(/^container's cgroup unexpectedly frozen$/);
      expect(() => checkCgroupBeforeCreate(at('a/b'))).toThrow(`container's cgroup unexpectedly frozen: its ancestor ${path.join(top, 'a')} is frozen; thaw it, or choose another linux.cgroupsPath`);
      expect(() => checkCgroupBeforeCreate(at('a/b/new/leaf'))).toThrow(`its ancestor ${path.join(top, 'a')} is frozen`);
      expect(() => checkCgroupBeforeCreate(at('d/new'))).not.toThrow();
      expect(() => checkCgroupBeforeCreate(fake({ exists: () => false, paths: { pids: path.join(top, 'c') } }))).not.toThrow();
    } finally {
      fs.rmSync(top, { recursive: true, force: true });
    }
  });
});

// relation() answers as path.relative does, with a prefix test where both paths are clean and
// absolute: the same verdict for every pair, clean or not (a traversal, a sibling sharing a
// prefix, a trailing slash, a relative path, a dot component, the root itself). A first
// component "..." is below: the check before took every relative path starting with ".." for
// outside, so a container with the valid id "..." had cgroups its delete refused as corrupt.
test('relation() gives path.relative\'s verdict for clean and unclean paths', () => {
  const byRelative = (root: string, dir: string) => {
    const rel = path.relative(root, dir);
    return rel === '' ? 'root' : rel === '..' || rel.startsWith('../') || path.isAbsolute(rel) ? 'outside' : 'below';
  };
  const roots = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified', '/', '/sys/fs/cgroup/pids/', 'sys/fs/cgroup/pids'];
  const dirs = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/c1', '/sys/fs/cgroup/pids/a/b', '/sys/fs/cgroup/pidsX/c1',
    '/sys/fs/cgroup/pids/../../../etc', '/sys/fs/cgroup/pids/./c1', '/sys/fs/cgroup/pids//c1', '/sys/fs/cgroup/pids/c1/',
    '/sys/fs/cgroup/pids/..', '/etc', '/', 'c1', '/sys/fs/cgroup', '/sys/fs/cgroup/pids/...', '/sys/fs/cgroup/pids/.hidden'];
  for (const root of roots) {
    for (const dir of dirs) expect(`${root} ${dir}: ${relation(root, dir)}`).toBe(`${root} ${dir}: ${byRelative(root, dir)}`);
  }
  expect(relation('/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/...')).toBe('below');
  expect(relation('/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/../x')).toBe('outside');
  expect(createdPathProblem(HYBRID, '/sys/fs/cgroup/pids/...')).toBeUndefined();
});
