// cgroup v2 resource application and stats (src/cgroups/controllers/v2/*-resources.ts,
// resources.ts) against a temp-dir fixture whose files mimic a v2 cgroup's interface files
// (plain files: nothing merges or rounds, a write replaces the content). Every write is also
// recorded, in order, so multi-line files (io.max, rdma.max) and write order can be checked.
// The last suite uses the host's cgroup2 mount (hybrid: /sys/fs/cgroup/unified, hugetlb only)
// when run as root.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  applyV2Resources, convertBlkIOToIOWeightValue, convertCPUSharesToCgroupV2Value, convertMemorySwapToCgroupV2Value,
  statsV2, deviceRules as v2DeviceRules, v2IgnoredResources, validateV2Resources, V2_REGISTRY, type DeviceRule as V2DeviceRule,
} from '../../src/cgroups/controllers/v2';
import { ConfigError, TsrunError } from '../../src/errors';
import type { LinuxResources } from '../../src/spec/config-types';
import { stringifyJson } from '../../src/spec/json-int64';

// The real fs module object (what src/ reads through its import); spy on this one.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const nodeFs: typeof fs = require('fs');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const CPU_STAT = [
  'usage_usec 123456', 'user_usec 100000', 'system_usec 23456', 'core_sched.force_idle_usec 0',
  'nr_periods 10', 'nr_throttled 2', 'throttled_usec 5000', 'nr_bursts 0', 'burst_usec 0',
].join('\n') + '\n';

const MEMORY_STAT = [
  'anon 1069056', 'file 4096000', 'kernel 372736', 'kernel_stack 32768', 'pagetables 61440', 'sec_pagetables 0',
  'percpu 0', 'sock 0', 'vmalloc 0', 'shmem 0', 'file_mapped 0', 'file_dirty 8192', 'file_writeback 0', 'swapcached 0',
  'anon_thp 0', 'inactive_anon 1056768', 'active_anon 12288', 'inactive_file 3686400', 'active_file 409600',
  'unevictable 0', 'slab_reclaimable 171808', 'slab_unreclaimable 102720', 'slab 274528', 'pgfault 1234', 'pgmajfault 5',
].join('\n') + '\n';

const IO_STAT =
  '8:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n' +
  '253:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n';

/** A v2 cgroup directory with every controller's interface files at their kernel defaults. */
function makeCgroup(over: Record<string, string | null> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-v2res-'));
  tmpDirs.push(dir);
  const files: Record<string, string | null> = {
    'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n',
    'cgroup.procs': '',
    'cgroup.events': 'populated 0\nfrozen 0\n',
    'cgroup.max.depth': 'max\n',
    'cpu.max': 'max 100000\n',
    'cpu.max.burst': '0\n',
    'cpu.weight': '100\n',
    'cpu.idle': '0\n',
    'cpu.stat': CPU_STAT,
    'cpuset.cpus': '\n',
    'cpuset.mems': '\n',
    'io.max': '',
    'io.weight': 'default 100\n',
    'io.stat': IO_STAT,
    'memory.max': 'max\n',
    'memory.low': '0\n',
    'memory.high': 'max\n',
    'memory.swap.max': 'max\n',
    'memory.current': '5300224\n',
    'memory.swap.current': '0\n',
    'memory.stat': MEMORY_STAT,
    'pids.max': 'max\n',
    'pids.current': '3\n',
    'hugetlb.2MB.max': 'max\n',
    'hugetlb.2MB.current': '4194304\n',
    'hugetlb.2MB.events': 'max 2\n',
    'hugetlb.1GB.max': 'max\n',
    'hugetlb.1GB.current': '0\n',
    'hugetlb.1GB.events': 'max 0\n',
    'rdma.max': '',
    'rdma.current': '',
    ...over,
  };
  for (const [f, c] of Object.entries(files)) if (c !== null) fs.writeFileSync(path.join(dir, f), c);
  return dir;
}

const read = (dir: string, f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');

/** Record every write(2) the code under test makes, as [file name, data]. */
function recordWrites(): { writes: Array<[string, string]>; restore(): void } {
  const writes: Array<[string, string]> = [];
  const real = nodeFs.writeSync.bind(nodeFs) as (...a: unknown[]) => number;
  const spy = jest.spyOn(nodeFs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
    let name = '?';
    try { name = path.basename(fs.readlinkSync(`/proc/self/fd/${fd}`)); } catch { /* not a file */ }
    writes.push([name, String(data)]);
    return real(fd, data, ...rest);
  }) as typeof fs.writeSync);
  return { writes, restore: () => spy.mockRestore() };
}

let rec: ReturnType<typeof recordWrites>;
beforeEach(() => { rec = recordWrites(); });
afterEach(() => rec.restore());

function catchErr(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('full resources object', () => {
  const r: LinuxResources = {
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
    memory: { limit: 104857600, reservation: 52428800, swap: 209715200, kernel: 1, swappiness: 60 },
    cpu: { shares: 1024, quota: 50000, period: 200000, burst: 10000, cpus: '0-1', mems: '0', idle: 0, realtimeRuntime: 950000 },
    pids: { limit: 100 },
    blockIO: {
      weight: 500,
      leafWeight: 300,
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }, { major: 8, minor: 16, rate: 0 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 200 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }],
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 7 } },
    network: { classID: 1048577 },
    unified: { 'memory.high': '94371840', 'pids.max': '50' },
  };

  test('writes every file in runc 1.1 fs2 order, unified last', () => {
    const dir = makeCgroup();
    const got: V2DeviceRule[][] = [];
    applyV2Resources(dir, r, { devices: (rules) => { got.push(rules); rec.writes.push(['<devices>', String(rules.length)]); } });
    expect(rec.writes).toEqual([
      ['pids.max', '100'],
      ['memory.swap.max', '104857600'],
      ['memory.max', '104857600'],
      ['memory.low', '52428800'],
      ['io.weight', '4950'],
      ['io.max', '8:0 rbps=1048576'],
      ['io.max', '8:0 wbps=2097152'],
      ['io.max', '8:16 riops=100'],
      ['io.max', '8:16 wiops=200'],
      ['cpu.idle', '0'],
      ['cpu.weight', '39'],
      ['cpu.max.burst', '10000'],
      ['cpu.max', '50000 200000'],
      ['<devices>', '13'],
      ['cpuset.cpus', '0-1'],
      ['cpuset.mems', '0'],
      ['hugetlb.2MB.max', '4194304'],
      ['hugetlb.1GB.max', '0'],
      ['rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
      ['rdma.max', 'mlx4_0 hca_object=7'],
      ['memory.high', '94371840'],
      ['pids.max', '50'],
    ]);
    // Plain files keep the last write.
    expect(read(dir, 'pids.max')).toBe('50');
    expect(read(dir, 'memory.max')).toBe('104857600');
    expect(read(dir, 'memory.swap.max')).toBe('104857600');
    expect(read(dir, 'memory.low')).toBe('52428800');
    expect(read(dir, 'memory.high')).toBe('94371840');
    expect(read(dir, 'cpu.max')).toBe('50000 200000');
    expect(read(dir, 'cpu.weight')).toBe('39');
    expect(read(dir, 'cpu.max.burst')).toBe('10000');
    expect(read(dir, 'cpuset.cpus')).toBe('0-1');
    expect(read(dir, 'io.weight')).toBe('4950');
    expect(read(dir, 'io.max')).toBe('8:16 wiops=200');
    expect(read(dir, 'hugetlb.2MB.max')).toBe('4194304');
    expect(got[0].slice(0, 2)).toEqual([
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
    // Nothing was created for fields v2 cannot express.
    expect(fs.readdirSync(dir).filter((f) => /net_|kmem|swappiness|rt_|leaf/.test(f))).toEqual([]);
  });

  test('fields v2 ignores (as runc does) are reported by v2IgnoredResources', () => {
    expect(v2IgnoredResources(r).map((x) => x.field)).toEqual([
      'linux.resources.memory.kernel',
      'linux.resources.memory.swappiness',
      'linux.resources.cpu.realtimeRuntime',
      'linux.resources.blockIO.leafWeight',
      'linux.resources.network.classID',
    ]);
    expect(v2IgnoredResources({ network: { priorities: [{ name: 'eth0', priority: 1 }] } })).toEqual([
      { field: 'linux.resources.network.priorities', reason: 'no net_prio controller in cgroup v2' },
    ]);
    expect(v2IgnoredResources(undefined)).toEqual([]);
  });

  test('fields runc 1.1 ignores on v2 write nothing: kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy, realtime, leafWeight, network', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, {
      memory: { kernel: 1 << 20, kernelTCP: 1 << 20, swappiness: 10, disableOOMKiller: true, useHierarchy: true },
      cpu: { realtimePeriod: 1000000, realtimeRuntime: 950000 },
      blockIO: { leafWeight: 500 },
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 1 }] },
    });
    expect(rec.writes).toEqual([]);
  });

  test('undefined or empty resources write nothing', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, undefined);
    applyV2Resources(dir, {});
    applyV2Resources(dir, { memory: {}, cpu: {}, pids: {}, blockIO: {}, hugepageLimits: [], unified: {} });
    expect(rec.writes).toEqual([]);
  });

  test('bigint int64 values are written exactly', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { memory: { limit: 9223372036854775807n }, pids: { limit: 4194304n } });
    expect(read(dir, 'memory.max')).toBe('9223372036854775807');
    expect(read(dir, 'pids.max')).toBe('4194304');
  });

  test('V2_REGISTRY lists the resource modules in runc order', () => {
    expect(V2_REGISTRY.map((c) => c.name)).toEqual(['pids', 'memory', 'io', 'cpu', 'cpuset', 'hugetlb', 'rdma']);
  });
});

describe('conversions', () => {
  test.each([
    [2, 1], [3, 1], [1024, 39], [262143, 9999], [262144, 10000],
  ])('cpu shares %d -> cpu.weight %d', (shares, weight) => {
    expect(convertCPUSharesToCgroupV2Value(BigInt(shares))).toBe(BigInt(weight));
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { shares } });
    expect(rec.writes).toEqual([['cpu.weight', String(weight)]]);
  });

  test('shares 0 is unset; shares outside [2, 262144] are refused naming the field', () => {
    expect(convertCPUSharesToCgroupV2Value(0n)).toBe(0n);
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { shares: 0 } });
    expect(rec.writes).toEqual([]);
    for (const shares of [1, 262145]) {
      const e = catchErr(() => applyV2Resources(dir, { cpu: { shares } }));
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe('linux.resources.cpu.shares');
    }
    expect(rec.writes).toEqual([]);
  });

  test.each([
    [10, 1], [11, 11], [500, 4950], [1000, 10000],
  ])('blkio weight %d -> io.weight %d', (w, v) => {
    expect(convertBlkIOToIOWeightValue(BigInt(w))).toBe(BigInt(v));
    const dir = makeCgroup();
    applyV2Resources(dir, { blockIO: { weight: w } });
    expect(rec.writes).toEqual([['io.weight', String(v)]]);
  });

  test('blkio weight out of range is refused', () => {
    const dir = makeCgroup();
    for (const weight of [5, 1001]) {
      const e = catchErr(() => applyV2Resources(dir, { blockIO: { weight } }));
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe('linux.resources.blockIO.weight');
    }
    expect(rec.writes).toEqual([]);
  });

  test('with BFQ (io.bfq.weight present) the weight goes there unconverted, per-device weights too', () => {
    const dir = makeCgroup({ 'io.bfq.weight': 'default 100\n' });
    applyV2Resources(dir, { blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 300, leafWeight: 10 }] } });
    expect(rec.writes).toEqual([['io.bfq.weight', '500'], ['io.bfq.weight', '8:0 300\n']]);
    expect(read(dir, 'io.weight')).toBe('default 100\n');
  });

  test('old BFQ (io.bfq.weight is a single number): per-device weights ignored, as runc does', () => {
    const dir = makeCgroup({ 'io.bfq.weight': '100\n' });
    applyV2Resources(dir, { blockIO: { weight: 200, weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
    expect(rec.writes).toEqual([['io.bfq.weight', '200']]);
  });

  test('no BFQ: per-device weights are ignored, as runc does', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 300 }] } });
    expect(rec.writes).toEqual([]);
  });
});

describe('memory and swap', () => {
  const M = 104857600;
  test.each<[string, LinuxResources['memory'], Array<[string, string]>]>([
    ['limit + swap: swap.max = swap - limit', { limit: M, swap: 3 * M }, [['memory.swap.max', String(2 * M)], ['memory.max', String(M)]]],
    ['swap == limit: swap disabled ("0")', { limit: M, swap: M }, [['memory.swap.max', '0'], ['memory.max', String(M)]]],
    ['swap -1: unlimited swap', { limit: M, swap: -1 }, [['memory.swap.max', 'max'], ['memory.max', String(M)]]],
    ['limit -1, swap unset: both unlimited', { limit: -1 }, [['memory.swap.max', 'max'], ['memory.max', 'max']]],
    ['limit -1, swap -1', { limit: -1, swap: -1 }, [['memory.swap.max', 'max'], ['memory.max', 'max']]],
    ['limit only: swap left alone', { limit: M }, [['memory.max', String(M)]]],
    ['swap 0 is unset', { limit: M, swap: 0 }, [['memory.max', String(M)]]],
    ['reservation only', { reservation: M }, [['memory.low', String(M)]]],
    ['reservation -1', { reservation: -1 }, [['memory.low', 'max']]],
  ])('%s', (_name, memory, expected) => {
    const dir = makeCgroup();
    applyV2Resources(dir, { memory });
    expect(rec.writes).toEqual(expected);
  });

  test.each<[string, LinuxResources['memory'], string, RegExp]>([
    ['swap without limit', { swap: M }, 'linux.resources.memory.swap', /unable to set swap limit without memory limit/],
    ['swap with limit -1', { limit: -1, swap: M }, 'linux.resources.memory.swap', /without memory limit/],
    ['swap below limit', { limit: 2 * M, swap: M }, 'linux.resources.memory.swap', /should be >= memory limit/],
    ['negative limit with swap', { limit: -2, swap: M }, 'linux.resources.memory.limit', /invalid memory value: -2/],
  ])('%s is refused before anything is written', (_name, memory, field, msg) => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { pids: { limit: 10 }, memory }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe(field);
    expect(e.message).toMatch(msg);
    expect(e.message.startsWith(field + ': ')).toBe(true);
    expect(rec.writes).toEqual([]);
  });

  test('convertMemorySwapToCgroupV2Value boundaries', () => {
    expect(convertMemorySwapToCgroupV2Value(0n, 0n)).toBe(0n);
    expect(convertMemorySwapToCgroupV2Value(0n, -1n)).toBe(-1n);
    expect(convertMemorySwapToCgroupV2Value(-1n, 100n)).toBe(-1n);
    expect(convertMemorySwapToCgroupV2Value(100n, 100n)).toBe(0n);
    expect(convertMemorySwapToCgroupV2Value(9223372036854775807n, 1n)).toBe(9223372036854775806n);
  });

  test('checkBeforeUpdate refuses a limit at or below memory.current', () => {
    const dir = makeCgroup({ 'memory.current': '5300224\n' });
    const e = catchErr(() => applyV2Resources(dir, { memory: { limit: 5300224, checkBeforeUpdate: true } }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('linux.resources.memory.limit: rejecting memory limit 5300224 below current usage 5300224');
    expect(rec.writes).toEqual([]);
    applyV2Resources(dir, { memory: { limit: 5300225, checkBeforeUpdate: true } });
    applyV2Resources(dir, { memory: { limit: 1, checkBeforeUpdate: false } });
    expect(rec.writes).toEqual([['memory.max', '5300225'], ['memory.max', '1']]);
  });
});

describe('cpu', () => {
  test('quota only keeps the period already in cpu.max', () => {
    const dir = makeCgroup({ 'cpu.max': 'max 250000\n' });
    applyV2Resources(dir, { cpu: { quota: 50000 } });
    expect(read(dir, 'cpu.max')).toBe('50000 250000');
  });

  test('quota only on a fresh cgroup: the kernel default period', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { quota: 20000 } });
    expect(read(dir, 'cpu.max')).toBe('20000 100000');
  });

  test('quota -1 means no limit, period kept', () => {
    const dir = makeCgroup({ 'cpu.max': '50000 300000\n' });
    applyV2Resources(dir, { cpu: { quota: -1 } });
    expect(read(dir, 'cpu.max')).toBe('max 300000');
  });

  test('period only: "max <period>" (runc)', () => {
    const dir = makeCgroup({ 'cpu.max': 'max 100000\n' });
    applyV2Resources(dir, { cpu: { period: 200000 } });
    expect(rec.writes).toEqual([['cpu.max', 'max 200000']]);
  });

  test('quota and period', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { quota: 150000, period: 50000 } });
    expect(read(dir, 'cpu.max')).toBe('150000 50000');
  });

  test('cpu.idle 1 skips cpu.weight (the kernel refuses weights of idle cgroups)', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { idle: 1, shares: 1024 } });
    expect(rec.writes).toEqual([['cpu.idle', '1']]);
  });

  test('burst refused (EINVAL) before the new quota is retried after cpu.max', () => {
    const dir = makeCgroup();
    const realOpen = nodeFs.openSync.bind(nodeFs) as (...a: unknown[]) => number;
    let refused = 0;
    const spy = jest.spyOn(nodeFs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).endsWith('/cpu.max.burst') && refused++ === 0) {
        throw Object.assign(new Error('EINVAL: invalid argument'), { code: 'EINVAL', errno: -22 });
      }
      return realOpen(p, ...rest);
    }) as typeof fs.openSync);
    try {
      applyV2Resources(dir, { cpu: { quota: 400000, burst: 300000 } });
    } finally {
      spy.mockRestore();
    }
    expect(rec.writes).toEqual([['cpu.max', '400000 100000'], ['cpu.max.burst', '300000']]);
  });

  test('cpuset', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { cpu: { cpus: '0,2-3', mems: '0-1' } });
    expect(rec.writes).toEqual([['cpuset.cpus', '0,2-3'], ['cpuset.mems', '0-1']]);
  });
});

describe('pids', () => {
  test.each<[number, Array<[string, string]>]>([
    [100, [['pids.max', '100']]],
    [-1, [['pids.max', 'max']]],
    [0, []], // runc: 0 is "unset", pids.max is left alone
  ])('limit %d', (limit, expected) => {
    const dir = makeCgroup();
    applyV2Resources(dir, { pids: { limit } });
    expect(rec.writes).toEqual(expected);
  });

  test('limit below -1 is refused', () => {
    const e = catchErr(() => applyV2Resources(makeCgroup(), { pids: { limit: -2 } }));
    expect((e as ConfigError).field).toBe('linux.resources.pids.limit');
  });
});

describe('unified', () => {
  test('written last, overriding the typed fields', () => {
    const dir = makeCgroup();
    applyV2Resources(dir, { memory: { limit: 1000000 }, unified: { 'memory.max': '2000000', 'cgroup.max.depth': '3' } });
    expect(rec.writes).toEqual([['memory.max', '1000000'], ['memory.max', '2000000'], ['cgroup.max.depth', '3']]);
  });

  test.each(['../memory.max', 'sub/memory.max', '..', '.', '', '/etc/passwd'])('key %j is refused before any write', (key) => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { pids: { limit: 5 }, unified: { 'memory.high': '1', [key]: '1' } }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe(`linux.resources.unified[${JSON.stringify(key)}]`);
    expect(e.message).toContain(`linux.resources.unified[${JSON.stringify(key)}]: must be a file name`);
    expect(rec.writes).toEqual([]);
  });

  test('a key of a controller not enabled names the controller (and creates no file)', () => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { unified: { 'misc.max': 'foo 1' } }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(
      `linux.resources.unified["misc.max"]: can't be set: cgroup v2 controller "misc" is not available in ${dir} ` +
        '(cgroup.controllers: "cpuset cpu io memory hugetlb pids rdma")',
    );
    expect(fs.existsSync(path.join(dir, 'misc.max'))).toBe(false);
  });

  test('an unknown file of an enabled controller is a plain ENOENT error naming the key', () => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { unified: { 'memory.nonexistent': '1' } }));
    expect(e).toBeInstanceOf(TsrunError);
    expect(e.message).toMatch(/^linux\.resources\.unified\["memory\.nonexistent"\]: write "1" to .*memory\.nonexistent: no such file or directory$/);
  });

  test('a key not of the form CONTROLLER.PARAMETER that does not exist', () => {
    const e = catchErr(() => applyV2Resources(makeCgroup(), { unified: { foo: '1' } }));
    expect(e.message).toMatch(/unified\["foo"\]: .*CONTROLLER\.PARAMETER/);
  });
});

describe('controllers not enabled, page sizes, rdma', () => {
  test('a typed field whose controller is not enabled names field and controller', () => {
    const dir = makeCgroup({ 'cgroup.controllers': 'hugetlb\n', 'memory.max': null, 'memory.swap.max': null, 'memory.low': null });
    const e = catchErr(() => applyV2Resources(dir, { memory: { limit: 1048576 } }));
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).field).toBe('linux.resources.memory.limit');
    expect(e.message).toContain('cannot set memory.max: cgroup v2 controller "memory" is not available');
    expect(fs.existsSync(path.join(dir, 'memory.max'))).toBe(false);
  });

  test.each(['../../x', '2mb', '2 MB', 'MB', '0MB', ''])('page size %j is refused', (pageSize) => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 1 }, { pageSize, limit: 1 }] }));
    expect((e as ConfigError).field).toBe('linux.resources.hugepageLimits[1].pageSize');
    expect(rec.writes).toEqual([]);
  });

  test('a page size the kernel does not have', () => {
    const e = catchErr(() => applyV2Resources(makeCgroup(), { hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }));
    expect((e as ConfigError).field).toBe('linux.resources.hugepageLimits[0].pageSize');
    expect(e.message).toMatch(/page size 3MB is not supported by the kernel/);
  });

  test('rdma device names cannot inject keys', () => {
    const e = catchErr(() => applyV2Resources(makeCgroup(), { rdma: { 'mlx hca_handle': { hcaHandles: 1 } } }));
    expect((e as ConfigError).field).toBe('linux.resources.rdma["mlx hca_handle"]');
  });

  test('validateV2Resources checks without writing', () => {
    expect(() => validateV2Resources({ memory: { swap: 5 } })).toThrow(ConfigError);
    expect(() => validateV2Resources({ memory: { limit: 5, swap: 5 }, cpu: { shares: 2 } })).not.toThrow();
    expect(rec.writes).toEqual([]);
  });
});

describe('devices', () => {
  const defaults: V2DeviceRule[] = [
    { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
    { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
    { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
  ];

  test('config rules normalised, runc default rules appended', () => {
    expect(v2DeviceRules({
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'r' }, { allow: true, type: 'c', major: 4n, minor: 64n, access: 'rw' }],
    })).toEqual([
      { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: -1, access: 'r' },
      { allow: true, type: 'c', major: 4, minor: 64, access: 'rw' },
      ...defaults,
    ]);
    expect(v2DeviceRules(undefined)).toEqual(defaults);
  });

  test('default rules for nodes listed in linux.devices are dropped', () => {
    const rules = v2DeviceRules({}, [{ path: '/dev/null' }, { path: '/dev/fuse' }]);
    expect(rules).toEqual(defaults.filter((d) => !(d.major === 1 && d.minor === 3)));
  });

  test.each<[object, string]>([
    [{ allow: true, access: '' }, 'linux.resources.devices[0].access'],
    [{ allow: true, type: 'c', major: 1, minor: 1, access: 'x' }, 'linux.resources.devices[0].access'],
    [{ allow: true, type: 'u', access: 'rw' }, 'linux.resources.devices[0].type'],
  ])('invalid rule %j', (rule, field) => {
    const e = catchErr(() => v2DeviceRules({ devices: [rule as never] }));
    expect((e as ConfigError).field).toBe(field);
  });

  test('applyV2Resources refuses device rules nobody enforces, writes no device files', () => {
    const dir = makeCgroup();
    const e = catchErr(() => applyV2Resources(dir, { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 1 } }));
    expect(e).toBeInstanceOf(TsrunError);
    expect(e.message).toMatch(/^linux\.resources\.devices: cgroup v2 device rules need an eBPF device program/);
    expect(rec.writes).toEqual([]);
    const seen: V2DeviceRule[][] = [];
    applyV2Resources(dir, { devices: [{ allow: false, access: 'rwm' }] }, { devices: (r) => seen.push(r), linuxDevices: [{ path: '/dev/tty' }] });
    expect(seen[0]).toHaveLength(1 + defaults.length - 1);
    expect(rec.writes).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('devices'))).toEqual([]);
  });
});

describe('statsV2', () => {
  test('parses cpu.stat, memory.stat, io.stat, pids and hugetlb into runc events shape', () => {
    const dir = makeCgroup();
    const s = statsV2(dir, { hugePageSizes: ['2MB', '1GB'] });
    const raw: Record<string, number> = {};
    for (const line of MEMORY_STAT.trim().split('\n').sort()) {
      const [k, v] = line.split(' ');
      raw[k] = Number(v);
    }
    expect(s).toEqual({
      cpu: {
        usage: { total: 123456000, kernel: 23456000, user: 100000000 },
        throttling: { periods: 10, throttledPeriods: 2, throttledTime: 5000000 },
      },
      cpuset: {
        cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
        memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
      },
      memory: {
        cache: 4096000,
        usage: { limit: 18446744073709551615n, usage: 5300224, failcnt: 0 },
        swap: { limit: 18446744073709551615n, usage: 5300224, failcnt: 0 },
        kernel: { limit: 0, failcnt: 0 },
        kernelTCP: { limit: 0, failcnt: 0 },
        raw,
      },
      pids: { current: 3 },
      blkio: {
        ioServiceBytesRecursive: [
          { major: 8, op: 'Read', value: 1459200 },
          { major: 8, op: 'Write', value: 314773504 },
          { major: 253, op: 'Read', value: 4096 },
          { major: 253, op: 'Write' },
        ],
        ioServicedRecursive: [
          { major: 8, op: 'Read', value: 192 },
          { major: 8, op: 'Write', value: 353 },
          { major: 253, op: 'Read', value: 1 },
          { major: 253, op: 'Write' },
        ],
      },
      hugetlb: { '1GB': { failcnt: 0 }, '2MB': { usage: 4194304, failcnt: 2 } },
      intel_rdt: {},
      network_interfaces: null,
    });
    // Serialized as Go would print it: exact uint64, Go's key order.
    const json = stringifyJson(s);
    expect(json).toContain('"usage":{"limit":18446744073709551615,"usage":5300224,"failcnt":0}');
    expect(json.indexOf('"active_anon"')).toBeLessThan(json.indexOf('"anon"'));
    expect(json).toMatch(/^\{"cpu":\{"usage":\{"total":123456000,"kernel":23456000,"user":100000000\},"throttling":\{"periods":10,/);
  });

  test('finite limits: swap is reported as memory+swap', () => {
    const dir = makeCgroup({ 'memory.max': '104857600\n', 'memory.swap.max': '0\n', 'memory.swap.current': '4096\n', 'pids.max': '100\n' });
    const s = statsV2(dir, { hugePageSizes: [] });
    expect(s.memory.usage).toEqual({ limit: 104857600, usage: 5300224, failcnt: 0 });
    expect(s.memory.swap).toEqual({ limit: 104857600, usage: 5304320, failcnt: 0 });
    expect(s.pids).toEqual({ current: 3, limit: 100 });
  });

  test('controllers not enabled: their files are skipped, pids counted from cgroup.procs', () => {
    const dir = makeCgroup({
      'cgroup.controllers': '\n', 'cgroup.procs': '12\n34\n',
      'cpu.stat': 'usage_usec 10\nuser_usec 7\nsystem_usec 3\n',
      'memory.stat': null, 'memory.current': null, 'memory.max': null, 'memory.swap.current': null, 'memory.swap.max': null,
      'io.stat': null, 'pids.current': null, 'pids.max': null, 'rdma.current': null, 'rdma.max': null,
      'hugetlb.2MB.current': null, 'hugetlb.2MB.events': null,
    });
    const s = statsV2(dir, { hugePageSizes: ['2MB'] });
    expect(s.cpu).toEqual({ usage: { total: 10000, kernel: 3000, user: 7000 }, throttling: {} });
    expect(s.memory).toEqual({ usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } });
    expect(s.pids).toEqual({ current: 2 });
    expect(s.blkio).toEqual({});
    expect(s.hugetlb).toEqual({});
  });

  test('malformed files are reported (after reading the rest)', () => {
    const dir = makeCgroup({ 'cpu.stat': 'usage_usec ten\n' });
    expect(() => statsV2(dir, { hugePageSizes: [] })).toThrow(/error while statting cgroup v2 .*cpu\.stat.*invalid syntax/);
  });
});

// --- the host's cgroup2 mount ----------------------------------------------------------------

const UNIFIED = '/sys/fs/cgroup/unified';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
function hostHasHugetlb(): boolean {
  try {
    return fs.statfsSync(UNIFIED).type === 0x63677270 && read(UNIFIED, 'cgroup.controllers').split(/\s+/).includes('hugetlb');
  } catch {
    return false;
  }
}
const hostOk = isRoot && hostHasHugetlb();
const hostSuite = hostOk ? describe : describe.skip;
if (!hostOk) process.stderr.write(`test/unit/cgroups-v2-resources.test.ts: host suite SKIPPED (${isRoot ? `no cgroup2 with hugetlb at ${UNIFIED}` : 'needs root'})\n`);

hostSuite(`host cgroup2 at ${UNIFIED} (hugetlb)`, () => {
  const dir = path.join(UNIFIED, `tsrun-v2res-${process.pid}`);
  let enabledHugetlb = false;
  const MB2 = 2 * 1024 * 1024;

  beforeAll(() => {
    const sub = read(UNIFIED, 'cgroup.subtree_control').split(/\s+/);
    if (!sub.includes('hugetlb')) {
      fs.writeFileSync(path.join(UNIFIED, 'cgroup.subtree_control'), '+hugetlb');
      enabledHugetlb = true;
    }
    fs.mkdirSync(dir);
  });

  afterAll(() => {
    try { fs.rmdirSync(dir); } catch { /* already gone */ }
    if (enabledHugetlb) fs.writeFileSync(path.join(UNIFIED, 'cgroup.subtree_control'), '-hugetlb');
  });

  test('hugepageLimits then unified (last) land in hugetlb.2MB.max', () => {
    expect(read(dir, 'cgroup.controllers').split(/\s+/)).toContain('hugetlb');
    applyV2Resources(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 4 * MB2 }] });
    expect(read(dir, 'hugetlb.2MB.max').trim()).toBe(String(4 * MB2));
    applyV2Resources(dir, { hugepageLimits: [{ pageSize: '2MB', limit: 8 * MB2 }], unified: { 'hugetlb.2MB.max': String(2 * MB2) } });
    expect(rec.writes.slice(-2)).toEqual([['hugetlb.2MB.max', String(8 * MB2)], ['hugetlb.2MB.max', String(2 * MB2)]]);
    expect(read(dir, 'hugetlb.2MB.max').trim()).toBe(String(2 * MB2));
    applyV2Resources(dir, { unified: { 'hugetlb.2MB.max': 'max' } });
    expect(read(dir, 'hugetlb.2MB.max').trim()).toBe('max');
  });

  test('controllers the host does not offer, and page sizes it lacks, are clear errors', () => {
    const e = catchErr(() => applyV2Resources(dir, { unified: { 'memory.max': '1' } }));
    expect(e.message).toContain('unified["memory.max"]: can\'t be set: cgroup v2 controller "memory" is not available');
    const e2 = catchErr(() => applyV2Resources(dir, { pids: { limit: 10 } }));
    expect((e2 as ConfigError).field).toBe('linux.resources.pids.limit');
    expect(e2.message).toContain('controller "pids" is not available');
    const e3 = catchErr(() => applyV2Resources(dir, { hugepageLimits: [{ pageSize: '4MB', limit: 0 }] }));
    expect(e3.message).toMatch(/page size 4MB is not supported by the kernel \(supported: .*2MB/);
    expect(fs.existsSync(path.join(dir, 'memory.max'))).toBe(false);
  });

  test('statsV2 on the real cgroup', () => {
    const s = statsV2(dir);
    expect(Object.keys(s.hugetlb)).toContain('2MB');
    expect(s.hugetlb['2MB']).toEqual({ failcnt: 0 });
    expect(s.pids).toEqual({}); // no pids controller: cgroup.procs is empty
    expect(typeof s.cpu.usage.user).toBe('number');
    expect(s.memory.usage).toEqual({ limit: 0, failcnt: 0 }); // no memory controller here
  });
});
