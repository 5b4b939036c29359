// linux.resources on cgroup v1 (src/cgroups/controllers/v1/*-resources.ts, resources.ts).
// Fixture part: fake v1 hierarchies in a temp dir (plain files pre-filled like the kernel's);
// every write is recorded so the exact sequence runc would produce can be asserted.
// Host part (root + v1 hierarchies under /sys/fs/cgroup): real cgroups created, set, read back,
// removed in afterAll.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyV1Resources, statsV1 } from '../../src/cgroups/controllers/v1/resources';
import { deviceWrites } from '../../src/cgroups/controllers/v1/devices-resources';
import { deviceRules as effectiveDeviceRules } from '../../src/cgroups/controllers/device-rules';
import { ConfigError } from '../../src/errors';
import type { LinuxResources, Spec } from '../../src/spec/config-types';
import { stringifyJson } from '../../src/spec/json-int64';

// The real fs module object (what src/ writes through); the spy records and passes through.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const nodeFs: typeof fs = require('fs');
const realWrite = nodeFs.writeFileSync;

const UNLIMITED = '9223372036854771712';
const tmps: string[] = [];
afterAll(() => {
  for (const t of tmps) fs.rmSync(t, { recursive: true, force: true });
});

interface Fixture {
  root: string;
  paths: Record<string, string>;
  /** Writes as [controller-relative "dir/file", data], in order. */
  writes: Array<[string, string]>;
  read(key: string, file: string): string;
  put(key: string, file: string, data: string): void;
}

/** Kernel-like initial contents per hierarchy directory (mount dir name -> files). */
function initialFiles(): Record<string, Record<string, string>> {
  return {
    cpuset: {
      'cgroup.procs': '', 'cpuset.cpus': '0-3\n', 'cpuset.mems': '0\n', 'cpuset.cpu_exclusive': '0\n', 'cpuset.mem_exclusive': '0\n',
      'cpuset.mem_hardwall': '0\n', 'cpuset.memory_migrate': '0\n', 'cpuset.memory_pressure': '0\n', 'cpuset.memory_spread_page': '0\n',
      'cpuset.memory_spread_slab': '0\n', 'cpuset.sched_load_balance': '1\n', 'cpuset.sched_relax_domain_level': '-1\n',
    },
    devices: { 'cgroup.procs': '', 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
    memory: {
      'cgroup.procs': '', 'memory.limit_in_bytes': `${UNLIMITED}\n`, 'memory.memsw.limit_in_bytes': `${UNLIMITED}\n`,
      'memory.soft_limit_in_bytes': `${UNLIMITED}\n`, 'memory.usage_in_bytes': '0\n', 'memory.max_usage_in_bytes': '0\n',
      'memory.memsw.usage_in_bytes': '0\n', 'memory.memsw.max_usage_in_bytes': '0\n', 'memory.failcnt': '0\n', 'memory.memsw.failcnt': '0\n',
      'memory.kmem.limit_in_bytes': `${UNLIMITED}\n`, 'memory.kmem.usage_in_bytes': '0\n', 'memory.kmem.max_usage_in_bytes': '0\n', 'memory.kmem.failcnt': '0\n',
      'memory.kmem.tcp.limit_in_bytes': `${UNLIMITED}\n`, 'memory.kmem.tcp.usage_in_bytes': '0\n', 'memory.kmem.tcp.max_usage_in_bytes': '0\n', 'memory.kmem.tcp.failcnt': '0\n',
      'memory.swappiness': '60\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'memory.use_hierarchy': '1\n',
      'memory.stat': 'cache 0\nrss 0\n',
    },
    'cpu,cpuacct': {
      'cgroup.procs': '', 'cpu.shares': '1024\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_burst_us': '0\n',
      'cpu.idle': '0\n', 'cpu.rt_period_us': '1000000\n', 'cpu.rt_runtime_us': '0\n',
      'cpu.stat': 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\n',
      'cpuacct.usage': '0\n', 'cpuacct.usage_percpu': '0 0 \n', 'cpuacct.stat': 'user 0\nsystem 0\n', 'cpuacct.usage_all': 'cpu user system\n0 0 0\n1 0 0\n',
    },
    pids: { 'cgroup.procs': '', 'pids.max': 'max\n', 'pids.current': '0\n' },
    blkio: {
      'cgroup.procs': '', 'blkio.weight': '500\n', 'blkio.weight_device': '', 'blkio.leaf_weight': '500\n', 'blkio.leaf_weight_device': '',
      'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '', 'blkio.throttle.read_iops_device': '',
      'blkio.throttle.write_iops_device': '', 'blkio.throttle.io_service_bytes_recursive': 'Total 0\n', 'blkio.throttle.io_serviced_recursive': 'Total 0\n',
    },
    hugetlb: {
      'cgroup.procs': '',
      'hugetlb.2MB.limit_in_bytes': `${UNLIMITED}\n`, 'hugetlb.2MB.usage_in_bytes': '0\n', 'hugetlb.2MB.max_usage_in_bytes': '0\n', 'hugetlb.2MB.failcnt': '0\n',
      'hugetlb.1GB.limit_in_bytes': `${UNLIMITED}\n`, 'hugetlb.1GB.usage_in_bytes': '0\n', 'hugetlb.1GB.max_usage_in_bytes': '0\n', 'hugetlb.1GB.failcnt': '0\n',
      'hugetlb.2MB.rsvd.limit_in_bytes': `${UNLIMITED}\n`,
    },
    'net_cls,net_prio': { 'cgroup.procs': '', 'net_cls.classid': '0\n', 'net_prio.ifpriomap': 'lo 0\neth0 0\n', 'net_prio.prioidx': '1\n' },
    freezer: { 'cgroup.procs': '', 'freezer.state': 'THAWED\n' },
    rdma: { 'cgroup.procs': '', 'rdma.max': 'mlx5_1 hca_handle=max hca_object=max\n', 'rdma.current': 'mlx5_1 hca_handle=0 hca_object=0\n' },
    systemd: { 'cgroup.procs': '' },
  };
}

const KEYS: Record<string, string[]> = {
  cpuset: ['cpuset'], devices: ['devices'], memory: ['memory'], 'cpu,cpuacct': ['cpu', 'cpuacct'], pids: ['pids'], blkio: ['blkio'],
  hugetlb: ['hugetlb'], 'net_cls,net_prio': ['net_cls', 'net_prio'], freezer: ['freezer'], rdma: ['rdma'], systemd: ['name=systemd'],
};

/** A container cgroup "c1" in every (or the listed) hierarchy, and a write recorder. */
function fixture(opts: { omit?: string[]; edit?: (files: Record<string, Record<string, string>>) => void } = {}): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-v1res-'));
  tmps.push(root);
  const files = initialFiles();
  opts.edit?.(files);
  const paths: Record<string, string> = {};
  for (const [mount, entries] of Object.entries(files)) {
    if (opts.omit?.includes(mount)) continue;
    const dir = path.join(root, mount, 'c1');
    fs.mkdirSync(dir, { recursive: true });
    for (const [f, data] of Object.entries(entries)) fs.writeFileSync(path.join(dir, f), data);
    for (const k of KEYS[mount]) paths[k] = dir;
  }
  const writes: Array<[string, string]> = [];
  jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(((p: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, o?: fs.WriteFileOptions) => {
    // what was written (a write to a missing file fails: tsrun opens without O_CREAT, as runc)
    const r = realWrite.call(nodeFs, p, data, o);
    if (typeof p === 'string' && p.startsWith(root)) {
      const rel = path.relative(root, p).split(path.sep);
      writes.push([`${rel[0]}/${rel[rel.length - 1]}`, String(data)]);
    }
    return r;
  }) as typeof fs.writeFileSync);
  const dirOf = (key: string): string => paths[key];
  return {
    root, paths, writes,
    read: (key, file) => fs.readFileSync(path.join(dirOf(key), file), 'utf8'),
    put: (key, file, data) => realWrite.call(nodeFs, path.join(dirOf(key), file), data),
  };
}

afterEach(() => jest.restoreAllMocks());

const RUNC_SPEC_DEFAULT_DEVICE_WRITES: Array<[string, string]> = [
  ['devices/devices.deny', 'a *:* rwm'],
  ['devices/devices.allow', 'b *:* m'],
  ['devices/devices.allow', 'c *:* m'],
  ['devices/devices.allow', 'c 1:3 rwm'],
  ['devices/devices.allow', 'c 1:5 rwm'],
  ['devices/devices.allow', 'c 1:7 rwm'],
  ['devices/devices.allow', 'c 1:8 rwm'],
  ['devices/devices.allow', 'c 1:9 rwm'],
  ['devices/devices.allow', 'c 5:0 rwm'],
  ['devices/devices.allow', 'c 5:2 rwm'],
  ['devices/devices.allow', 'c 10:200 rwm'],
  ['devices/devices.allow', 'c 136:* rwm'],
];

const runcSpec = (): Spec => JSON.parse(fs.readFileSync(path.join(__dirname, '../golden/runc-spec.json'), 'utf8')) as Spec;

describe('applyV1Resources', () => {
  test('a resources object touching every field: runc order, exact values', () => {
    const fx = fixture();
    const warnings: string[] = [];
    const r: LinuxResources = {
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
      memory: {
        limit: 268435456, reservation: 134217728, swap: 536870912, kernel: 67108864, kernelTCP: 16777216,
        swappiness: 10, disableOOMKiller: true, useHierarchy: true, checkBeforeUpdate: false,
      },
      cpu: { shares: 512, quota: 50000, burst: 10000, period: 100000, realtimeRuntime: 20000, realtimePeriod: 1000000, cpus: '0-1', mems: '0', idle: 0 },
      pids: { limit: 1024 },
      blockIO: {
        weight: 500, leafWeight: 300,
        weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }, { major: 8, minor: 16, weight: 700 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152n }],
        throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }, { major: 8, minor: 16, rate: 150 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 200 }],
      },
      hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }, { pageSize: '1GB', limit: 0 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
      unified: {},
    };
    applyV1Resources(fx.paths, r, { warn: (m) => warnings.push(m) });
    expect(fx.writes).toEqual([
      ['cpuset/cpuset.cpus', '0-1'],
      ['cpuset/cpuset.mems', '0'],
      ['devices/devices.deny', 'a *:* rwm'],
      ['devices/devices.allow', 'b *:* m'],
      ['devices/devices.allow', 'c *:* m'],
      ['devices/devices.allow', 'c 1:3 rwm'],
      ['devices/devices.allow', 'c 1:5 rwm'],
      ['devices/devices.allow', 'c 1:7 rwm'],
      ['devices/devices.allow', 'c 1:8 rwm'],
      ['devices/devices.allow', 'c 1:9 rwm'],
      ['devices/devices.allow', 'c 5:0 rwm'],
      ['devices/devices.allow', 'c 5:2 rwm'],
      ['devices/devices.allow', 'c 10:200 rwm'],
      ['devices/devices.allow', 'c 10:229 rw'],
      ['devices/devices.allow', 'c 136:* rwm'],
      // current limit is unlimited (> new memsw): lowering, so the limit goes first
      ['memory/memory.limit_in_bytes', '268435456'],
      ['memory/memory.memsw.limit_in_bytes', '536870912'],
      ['memory/memory.soft_limit_in_bytes', '134217728'],
      ['memory/memory.oom_control', '1'],
      ['memory/memory.swappiness', '10'],
      ['cpu,cpuacct/cpu.shares', '512'],
      ['cpu,cpuacct/cpu.cfs_period_us', '100000'],
      ['cpu,cpuacct/cpu.cfs_burst_us', '10000'],
      ['cpu,cpuacct/cpu.cfs_quota_us', '50000'],
      ['cpu,cpuacct/cpu.idle', '0'],
      ['cpu,cpuacct/cpu.rt_period_us', '1000000'],
      ['cpu,cpuacct/cpu.rt_runtime_us', '20000'],
      ['pids/pids.max', '1024'],
      ['blkio/blkio.weight', '500'],
      ['blkio/blkio.leaf_weight', '300'],
      ['blkio/blkio.weight_device', '8:0 600'],
      ['blkio/blkio.leaf_weight_device', '8:0 200'],
      ['blkio/blkio.weight_device', '8:16 700'],
      ['blkio/blkio.throttle.read_bps_device', '8:0 1048576'],
      ['blkio/blkio.throttle.write_bps_device', '8:0 2097152'],
      ['blkio/blkio.throttle.read_iops_device', '8:0 100'],
      ['blkio/blkio.throttle.read_iops_device', '8:16 150'],
      ['blkio/blkio.throttle.write_iops_device', '8:16 200'],
      ['hugetlb/hugetlb.2MB.limit_in_bytes', '4194304'],
      ['hugetlb/hugetlb.1GB.limit_in_bytes', '0'],
      ['net_cls,net_prio/net_cls.classid', '1048577'],
      ['net_cls,net_prio/net_prio.ifpriomap', 'eth0 5'],
      ['net_cls,net_prio/net_prio.ifpriomap', 'lo 2'],
      ['rdma/rdma.max', 'mlx5_1 hca_handle=3 hca_object=10000'],
    ]);
    // single-write files hold exactly the value
    expect(fx.read('memory', 'memory.limit_in_bytes')).toBe('268435456');
    expect(fx.read('memory', 'memory.memsw.limit_in_bytes')).toBe('536870912');
    expect(fx.read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(fx.read('pids', 'pids.max')).toBe('1024');
    expect(fx.read('net_cls', 'net_cls.classid')).toBe('1048577');
    // kernel memory: ignored (nothing written to memory.kmem.*), with runc 1.1's warning
    expect(fx.read('memory', 'memory.kmem.limit_in_bytes')).toBe(`${UNLIMITED}\n`);
    expect(warnings).toEqual(['Kernel memory settings are ignored and will be removed']);
  });

  test('int64 values given as bigint are written as exact decimals', () => {
    const fx = fixture();
    applyV1Resources(fx.paths, { memory: { limit: 9223372036854771712n }, pids: { limit: 4194304n } }, { skipDevices: true });
    expect(fx.writes).toEqual([
      ['memory/memory.limit_in_bytes', '9223372036854771712'],
      ['pids/pids.max', '4194304'],
    ]);
  });

  describe('memory limit / swap ordering (runc setMemoryAndSwap)', () => {
    const mem = (limit: string, memsw: string) => (files: Record<string, Record<string, string>>) => {
      files.memory['memory.limit_in_bytes'] = `${limit}\n`;
      files.memory['memory.memsw.limit_in_bytes'] = `${memsw}\n`;
    };

    test('raising: memsw first, then the limit', () => {
      const fx = fixture({ edit: mem('104857600', '209715200') });
      applyV1Resources(fx.paths, { memory: { limit: 314572800, swap: 629145600 } }, { skipDevices: true });
      expect(fx.writes).toEqual([
        ['memory/memory.memsw.limit_in_bytes', '629145600'],
        ['memory/memory.limit_in_bytes', '314572800'],
      ]);
    });

    test('lowering: the limit first, then memsw', () => {
      const fx = fixture({ edit: mem('314572800', '629145600') });
      applyV1Resources(fx.paths, { memory: { limit: 104857600, swap: 209715200 } }, { skipDevices: true });
      expect(fx.writes).toEqual([
        ['memory/memory.limit_in_bytes', '104857600'],
        ['memory/memory.memsw.limit_in_bytes', '209715200'],
      ]);
    });

    test('new swap equal to the current limit counts as lowering (runc: curLimit < swap)', () => {
      const fx = fixture({ edit: mem('209715200', '419430400') });
      applyV1Resources(fx.paths, { memory: { limit: 104857600, swap: 209715200 } }, { skipDevices: true });
      expect(fx.writes.map((w) => w[0])).toEqual(['memory/memory.limit_in_bytes', 'memory/memory.memsw.limit_in_bytes']);
    });

    test('limit -1 with swap unset: memsw -1 too, written first', () => {
      const fx = fixture({ edit: mem('104857600', '209715200') });
      applyV1Resources(fx.paths, { memory: { limit: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([
        ['memory/memory.memsw.limit_in_bytes', '-1'],
        ['memory/memory.limit_in_bytes', '-1'],
      ]);
    });

    test('limit -1 without swap accounting: only the limit', () => {
      const fx = fixture({ edit: (f) => { delete f.memory['memory.memsw.limit_in_bytes']; } });
      applyV1Resources(fx.paths, { memory: { limit: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([['memory/memory.limit_in_bytes', '-1']]);
    });

    test('swap -1 with a limit: memsw first (unlimited is always safe)', () => {
      const fx = fixture({ edit: mem('104857600', '209715200') });
      applyV1Resources(fx.paths, { memory: { limit: 52428800, swap: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([
        ['memory/memory.memsw.limit_in_bytes', '-1'],
        ['memory/memory.limit_in_bytes', '52428800'],
      ]);
    });

    test('only a limit, only a swap, reservation -1', () => {
      let fx = fixture();
      applyV1Resources(fx.paths, { memory: { limit: 104857600 } }, { skipDevices: true });
      expect(fx.writes).toEqual([['memory/memory.limit_in_bytes', '104857600']]);
      jest.restoreAllMocks();
      fx = fixture();
      applyV1Resources(fx.paths, { memory: { swap: 209715200, reservation: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([
        ['memory/memory.memsw.limit_in_bytes', '209715200'],
        ['memory/memory.soft_limit_in_bytes', '-1'],
      ]);
    });

    test('swappiness: -1 leaves it alone, > 100 is refused naming the field', () => {
      const fx = fixture();
      applyV1Resources(fx.paths, { memory: { swappiness: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([]);
      expect(() => applyV1Resources(fx.paths, { memory: { swappiness: 101 } }, { skipDevices: true }))
        .toThrow('linux.resources.memory.swappiness: invalid memory swappiness value: 101 (valid range is 0-100)');
    });
  });

  describe('checkBeforeUpdate', () => {
    const usage = (u: string) => (f: Record<string, Record<string, string>>) => {
      f.memory['memory.usage_in_bytes'] = `${u}\n`;
      f.memory['memory.limit_in_bytes'] = '209715200\n';
      f.memory['memory.memsw.limit_in_bytes'] = '419430400\n';
    };

    test('a limit at or below current usage is refused and nothing is written', () => {
      const fx = fixture({ edit: usage('52428800') });
      let err: unknown;
      try {
        applyV1Resources(fx.paths, { memory: { limit: 10485760, checkBeforeUpdate: true } }, { skipDevices: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('linux.resources.memory.limit');
      expect((err as Error).message).toBe('linux.resources.memory.limit: rejecting memory limit 10485760 <= usage 52428800');
      expect(fx.writes).toEqual([]);
    });

    test('memory+swap is checked first', () => {
      const fx = fixture({ edit: usage('52428800') });
      expect(() => applyV1Resources(fx.paths, { memory: { limit: 10485760, swap: 20971520, checkBeforeUpdate: true } }, { skipDevices: true }))
        .toThrow('linux.resources.memory.swap: rejecting memory+swap limit 20971520 <= usage 52428800');
      expect(fx.writes).toEqual([]);
    });

    test('a limit above usage passes; without checkBeforeUpdate nothing is checked', () => {
      let fx = fixture({ edit: usage('52428800') });
      applyV1Resources(fx.paths, { memory: { limit: 104857600, checkBeforeUpdate: true } }, { skipDevices: true });
      expect(fx.writes).toEqual([['memory/memory.limit_in_bytes', '104857600']]);
      jest.restoreAllMocks();
      fx = fixture({ edit: usage('52428800') });
      applyV1Resources(fx.paths, { memory: { limit: 10485760 } }, { skipDevices: true });
      expect(fx.writes).toEqual([['memory/memory.limit_in_bytes', '10485760']]);
    });

    test('the kernel refusing a limit (EBUSY) is reported like runc', () => {
      const fx = fixture({ edit: (f) => { f.memory['memory.usage_in_bytes'] = '52428800\n'; f.memory['memory.max_usage_in_bytes'] = '60000000\n'; } });
      const spy = nodeFs.writeFileSync as jest.MockedFunction<typeof fs.writeFileSync>;
      const passThrough = spy.getMockImplementation()!;
      spy.mockImplementation(((p: fs.PathOrFileDescriptor, d: string, o?: fs.WriteFileOptions) => {
        if (String(p).endsWith('memory.limit_in_bytes')) throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' });
        return passThrough(p, d, o);
      }) as typeof fs.writeFileSync);
      expect(() => applyV1Resources(fx.paths, { memory: { limit: 10485760 } }, { skipDevices: true }))
        .toThrow('linux.resources.memory.limit: unable to set memory limit to 10485760 (current usage: 52428800, peak usage: 60000000)');
    });
  });

  describe('pids.limit', () => {
    test('0: nothing written (runc 1.1: unset)', () => {
      const fx = fixture();
      applyV1Resources(fx.paths, { pids: { limit: 0 } }, { skipDevices: true });
      expect(fx.writes).toEqual([]);
      expect(fx.read('pids', 'pids.max')).toBe('max\n');
    });

    test('-1 (any negative): "max"', () => {
      const fx = fixture({ edit: (f) => { f.pids['pids.max'] = '100\n'; } });
      applyV1Resources(fx.paths, { pids: { limit: -1 } }, { skipDevices: true });
      expect(fx.writes).toEqual([['pids/pids.max', 'max']]);
      expect(fx.read('pids', 'pids.max')).toBe('max');
    });

    test('a positive limit is written as is', () => {
      const fx = fixture();
      applyV1Resources(fx.paths, { pids: { limit: 32 } }, { skipDevices: true });
      expect(fx.read('pids', 'pids.max')).toBe('32');
    });
  });

  describe('devices', () => {
    test("runc spec's default config: deny all, then runc 1.1's default allow list", () => {
      const fx = fixture();
      applyV1Resources(fx.paths, runcSpec().linux!.resources);
      expect(fx.writes).toEqual(RUNC_SPEC_DEFAULT_DEVICE_WRITES);
    });

    test('no linux.resources at all: runc still installs its default rules', () => {
      const fx = fixture();
      applyV1Resources(fx.paths, undefined);
      expect(fx.writes).toEqual(RUNC_SPEC_DEFAULT_DEVICE_WRITES);
    });

    test('an update to the same rules on an allow-list cgroup writes nothing', () => {
      const list = effectiveDeviceRules(runcSpec().linux!.resources)
        .filter((r) => r.type !== 'a').map((r) => `${r.type} ${r.major === -1 ? '*' : r.major}:${r.minor === -1 ? '*' : r.minor} ${r.access}`).join('\n');
      const fx = fixture({ edit: (f) => { f.devices['devices.list'] = `${list}\n`; } });
      applyV1Resources(fx.paths, runcSpec().linux!.resources);
      expect(fx.writes).toEqual([]);
    });

    test('an update from an allow-list only adds and removes the differences', () => {
      expect(deviceWrites('c 1:3 rwm\nc 10:229 rwm\nc 5:0 rw\n', [
        { type: 'a', major: -1, minor: -1, access: 'rwm', allow: false },
        { type: 'c', major: 1, minor: 3, access: 'rwm', allow: true },
        { type: 'c', major: 5, minor: 0, access: 'rwm', allow: true },
      ])).toEqual([
        ['devices.deny', 'c 10:229 rwm'],
        ['devices.allow', 'c 5:0 m'],
      ]);
    });

    test('a default device listed in linux.devices loses its default rule (runc specconv)', () => {
      const fx = fixture();
      applyV1Resources(fx.paths, runcSpec().linux!.resources, { linuxDevices: [{ path: '/dev/null' }] });
      expect(fx.writes).toEqual(RUNC_SPEC_DEFAULT_DEVICE_WRITES.filter(([, l]) => l !== 'c 1:3 rwm'));
    });

    test('skipDevices, or no devices hierarchy: left alone', () => {
      let fx = fixture();
      applyV1Resources(fx.paths, runcSpec().linux!.resources, { skipDevices: true });
      expect(fx.writes).toEqual([]);
      jest.restoreAllMocks();
      fx = fixture({ omit: ['devices'] });
      applyV1Resources(fx.paths, runcSpec().linux!.resources);
      expect(fx.writes).toEqual([]);
    });

    test('bad rules name the field', () => {
      const fx = fixture();
      expect(() => applyV1Resources(fx.paths, { devices: [{ allow: true, type: 'c', major: 1, minor: 3 }] }))
        .toThrow('linux.resources.devices[0].access: device access cannot be empty');
      expect(() => applyV1Resources(fx.paths, { devices: [{ allow: true, type: 'x' as 'c', access: 'r' }] }))
        .toThrow('linux.resources.devices[0].type: invalid cgroup device type "x"');
      // removing part of a wildcard exception from an allow-list is refused (runc's emulator)
      expect(() => applyV1Resources(fx.paths, {
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', access: 'm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'm' }],
      }))
        .toThrow(/^linux\.resources\.devices: requested rule \[c 1:3 m\] not supported by devices cgroupv1 \(cannot punch hole in existing wildcard rule \[c \*:\* m\]\)$/);
      expect(fx.writes).toEqual([]);
    });
  });

  test('unified is rejected on v1, before anything is written', () => {
    const fx = fixture();
    let err: unknown;
    try {
      applyV1Resources(fx.paths, { pids: { limit: 5 }, unified: { 'memory.high': '1G' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('linux.resources.unified');
    expect((err as Error).message).toBe(
      'linux.resources.unified: is only supported on cgroup v2 (this host uses cgroup v1 for cpuset, devices, memory, cpu, cpuacct, pids, blkio, hugetlb, net_cls, net_prio, freezer, rdma)');
    expect(fx.writes).toEqual([]);
  });

  describe('a hierarchy the host does not have', () => {
    test('net_cls missing and classID set: error naming the field', () => {
      const fx = fixture({ omit: ['net_cls,net_prio'] });
      let err: unknown;
      try {
        applyV1Resources(fx.paths, { network: { classID: 1048577 } }, { skipDevices: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('linux.resources.network.classID');
      expect((err as Error).message).toBe('linux.resources.network.classID: the net_cls controller is not mounted on this host');
    });

    test('missing hierarchies the config does not ask for are fine', () => {
      const fx = fixture({ omit: ['net_cls,net_prio', 'hugetlb', 'rdma', 'blkio'] });
      applyV1Resources(fx.paths, { network: { classID: 0, priorities: [] }, hugepageLimits: [], pids: { limit: 7 } }, { skipDevices: true });
      expect(fx.writes).toEqual([['pids/pids.max', '7']]);
    });

    test('other controllers: the first field that needs them is named', () => {
      const fx = fixture({ omit: ['net_cls,net_prio', 'hugetlb', 'rdma'] });
      expect(() => applyV1Resources(fx.paths, { network: { priorities: [{ name: 'eth0', priority: 1 }] } }, { skipDevices: true }))
        .toThrow('linux.resources.network.priorities: the net_prio controller is not mounted on this host');
      expect(() => applyV1Resources(fx.paths, { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, { skipDevices: true }))
        .toThrow('linux.resources.hugepageLimits: the hugetlb controller is not mounted on this host');
      expect(() => applyV1Resources(fx.paths, { rdma: { mlx4_0: { hcaHandles: 1 } } }, { skipDevices: true }))
        .toThrow('linux.resources.rdma: the rdma controller is not mounted on this host');
    });
  });

  test('kernel write errors carry the field, errno and file', () => {
    const fx = fixture({ edit: (f) => { delete f.memory['memory.memsw.limit_in_bytes']; } });
    fs.rmSync(path.join(fx.paths.hugetlb, 'hugetlb.1GB.limit_in_bytes'));
    fs.rmSync(path.join(fx.paths.cpu, 'cpu.cfs_burst_us'));
    // swap without swap accounting: no memsw file (ENOENT, as runc's open without O_CREAT)
    expect(() => applyV1Resources(fx.paths, { memory: { swap: 1048576 } }, { skipDevices: true }))
      .toThrow(/^linux\.resources\.memory\.swap: write "1048576" to .*memory\.memsw\.limit_in_bytes: no such file or directory$/);
    // unsupported hugepage size
    expect(() => applyV1Resources(fx.paths, { hugepageLimits: [{ pageSize: '1GB', limit: 1 }] }, { skipDevices: true }))
      .toThrow(/^linux\.resources\.hugepageLimits\[0\]\.pageSize: hugepage size 1GB is not supported on this host/);
    expect(() => applyV1Resources(fx.paths, { hugepageLimits: [{ pageSize: '../x', limit: 1 }] }, { skipDevices: true }))
      .toThrow('linux.resources.hugepageLimits[0].pageSize: invalid hugepage size "../x"');
    // no cpu.cfs_burst_us (older kernel): burst is skipped, like runc
    const before = fx.writes.length;
    applyV1Resources(fx.paths, { cpu: { burst: 1000, quota: 20000 } }, { skipDevices: true });
    expect(fx.writes.slice(before)).toEqual([['cpu,cpuacct/cpu.cfs_quota_us', '20000']]);
    // shares the kernel clamps (read back differs)
    const spy = nodeFs.writeFileSync as jest.MockedFunction<typeof fs.writeFileSync>;
    const passThrough = spy.getMockImplementation()!;
    spy.mockImplementation(((p: fs.PathOrFileDescriptor, d: string, o?: fs.WriteFileOptions) =>
      passThrough(p, String(p).endsWith('cpu.shares') ? '262144' : d, o)) as typeof fs.writeFileSync);
    expect(() => applyV1Resources(fx.paths, { cpu: { shares: 1000000 } }, { skipDevices: true }))
      .toThrow('linux.resources.cpu.shares: the maximum allowed cpu-shares is 262144');
  });
});

describe('statsV1', () => {
  test('parses every controller into the shape of runc events --stats', () => {
    const fx = fixture({
      edit: (f) => {
        Object.assign(f.memory, {
          'memory.stat': 'cache 1228800\nrss 1110016\nrss_huge 0\nshmem 0\nmapped_file 0\ndirty 0\nwriteback 0\nswap 0\n' +
            'pgpgin 1224\npgpgout 655\npgfault 1815\npgmajfault 0\ninactive_anon 1081344\nactive_anon 0\ninactive_file 1228800\n' +
            'active_file 0\nunevictable 0\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\n' +
            'total_cache 1228800\ntotal_rss 1110016\n',
          'memory.limit_in_bytes': '67108864\n', 'memory.usage_in_bytes': '2404352\n', 'memory.max_usage_in_bytes': '3080192\n', 'memory.failcnt': '0\n',
          'memory.memsw.usage_in_bytes': '2404352\n', 'memory.memsw.max_usage_in_bytes': '3080192\n', 'memory.memsw.failcnt': '0\n',
          'memory.kmem.usage_in_bytes': '65536\n', 'memory.kmem.max_usage_in_bytes': '131072\n', 'memory.kmem.failcnt': '3\n',
        });
        // no kmem.tcp accounting files at all: an all-zero entry
        for (const k of Object.keys(f.memory)) if (k.startsWith('memory.kmem.tcp.')) delete f.memory[k];
        Object.assign(f['cpu,cpuacct'], {
          'cpu.stat': 'nr_periods 120\nnr_throttled 7\nthrottled_time 354000000\nnr_bursts 0\nburst_time 0\n',
          'cpuacct.usage': '52315627\n', 'cpuacct.usage_percpu': '30000000 22315627 \n',
          'cpuacct.stat': 'user 3\nsystem 2\n', 'cpuacct.usage_all': 'cpu user system\n0 20000000 10000000\n1 15000000 7315627\n',
        });
        Object.assign(f.pids, { 'pids.current': '3\n', 'pids.max': '100\n' });
        Object.assign(f.blkio, {
          'blkio.throttle.io_service_bytes_recursive': '254:0 Read 1282048\n254:0 Write 4096\n254:0 Sync 4096\n254:0 Async 1282048\n' +
            '254:0 Discard 0\n254:0 Total 1286144\nTotal 1286144\n',
          'blkio.throttle.io_serviced_recursive': '254:0 Read 24\n254:0 Write 1\n254:0 Sync 1\n254:0 Async 24\n254:0 Discard 0\n254:0 Total 25\nTotal 25\n',
        });
        Object.assign(f.hugetlb, { 'hugetlb.2MB.usage_in_bytes': '4194304\n', 'hugetlb.2MB.max_usage_in_bytes': '6291456\n', 'hugetlb.2MB.failcnt': '1\n' });
        Object.assign(f.cpuset, { 'cpuset.cpus': '0-2,5\n', 'cpuset.mems': '0\n' });
      },
    });
    const s = statsV1(fx.paths);
    expect(s).toEqual({
      cpu: {
        usage: {
          total: 52315627, percpu: [30000000, 22315627], percpu_kernel: [10000000, 7315627], percpu_user: [20000000, 15000000],
          kernel: 20000000, user: 30000000,
        },
        throttling: { periods: 120, throttledPeriods: 7, throttledTime: 354000000 },
      },
      cpuset: {
        cpus: [0, 1, 2, 5], cpu_exclusive: 0, mems: [0], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0,
        memory_spread_page: 0, memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 1, sched_relax_domain_level: -1,
      },
      memory: {
        cache: 1228800,
        usage: { limit: 67108864, usage: 2404352, max: 3080192, failcnt: 0 },
        swap: { limit: 9223372036854771712n, usage: 2404352, max: 3080192, failcnt: 0 },
        kernel: { limit: 9223372036854771712n, usage: 65536, max: 131072, failcnt: 3 },
        kernelTCP: { limit: 0, failcnt: 0 },
        raw: {
          active_anon: 0, active_file: 0, cache: 1228800, dirty: 0, hierarchical_memory_limit: 67108864,
          hierarchical_memsw_limit: 9223372036854771712n, inactive_anon: 1081344, inactive_file: 1228800, mapped_file: 0,
          pgfault: 1815, pgmajfault: 0, pgpgin: 1224, pgpgout: 655, rss: 1110016, rss_huge: 0, shmem: 0, swap: 0,
          total_cache: 1228800, total_rss: 1110016, unevictable: 0, writeback: 0,
        },
      },
      pids: { current: 3, limit: 100 },
      blkio: {
        ioServiceBytesRecursive: [
          { major: 254, op: 'Read', value: 1282048 }, { major: 254, op: 'Write', value: 4096 }, { major: 254, op: 'Sync', value: 4096 },
          { major: 254, op: 'Async', value: 1282048 }, { major: 254, op: 'Discard' }, { major: 254, op: 'Total', value: 1286144 },
        ],
        ioServicedRecursive: [
          { major: 254, op: 'Read', value: 24 }, { major: 254, op: 'Write', value: 1 }, { major: 254, op: 'Sync', value: 1 },
          { major: 254, op: 'Async', value: 24 }, { major: 254, op: 'Discard' }, { major: 254, op: 'Total', value: 25 },
        ],
      },
      hugetlb: { '1GB': { failcnt: 0 }, '2MB': { usage: 4194304, max: 6291456, failcnt: 1 } },
      intel_rdt: {},
      network_interfaces: null,
    });
    // Go's field order, exact uint64s
    const json = stringifyJson(s);
    expect(json.startsWith('{"cpu":{"usage":{"total":52315627,"percpu":[30000000,22315627],"percpu_kernel":[10000000,7315627],"percpu_user":[20000000,15000000],"kernel":20000000,"user":30000000},"throttling":{"periods":120,"throttledPeriods":7,"throttledTime":354000000}},"cpuset":{"cpus":[0,1,2,5],"cpu_exclusive":0,')).toBe(true);
    expect(json).toContain('"swap":{"limit":9223372036854771712,"usage":2404352,"max":3080192,"failcnt":0}');
    expect(json.endsWith('"hugetlb":{"1GB":{"failcnt":0},"2MB":{"usage":4194304,"max":6291456,"failcnt":1}},"intel_rdt":{},"network_interfaces":null}')).toBe(true);
  });

  test('BFQ files win over throttle files; an empty first file moves on (runc order)', () => {
    const fx = fixture({
      edit: (f) => {
        Object.assign(f.blkio, {
          'blkio.bfq.io_serviced_recursive': 'Total 0\n', // empty: next group
          'blkio.bfq.io_service_bytes_recursive': '8:0 Read 10\n',
          'blkio.throttle.io_serviced_recursive': '8:16 Read 2\n8:16 Write 3\nTotal 5\n',
          'blkio.throttle.io_service_bytes_recursive': '8:16 Read 8192\nTotal 8192\n',
        });
      },
    });
    expect(statsV1(fx.paths).blkio).toEqual({
      ioServiceBytesRecursive: [{ major: 8, minor: 16, op: 'Read', value: 8192 }],
      ioServicedRecursive: [{ major: 8, minor: 16, op: 'Read', value: 2 }, { major: 8, minor: 16, op: 'Write', value: 3 }],
    });
  });

  test('absent hierarchies give runc zero values; no memory.stat means no memory stats', () => {
    const fx = fixture({ omit: ['cpu,cpuacct', 'pids', 'blkio', 'hugetlb', 'cpuset'], edit: (f) => { delete f.memory['memory.stat']; } });
    expect(statsV1(fx.paths)).toEqual({
      cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
      cpuset: {
        cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
        memory_spread_slab: 0, memory_pressure: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
      },
      memory: { usage: { limit: 0, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } },
      pids: {},
      blkio: {},
      hugetlb: {},
      intel_rdt: {},
      network_interfaces: null,
    });
  });
});

// ---------------------------------------------------------------------------------------------
// This host's real cgroup v1 hierarchies.

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const HOST_CTRLS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'cpuset', 'devices'];
const hostV1 = isRoot && HOST_CTRLS.every((c) => {
  try {
    return fs.statfsSync(`/sys/fs/cgroup/${c}`).type === CGROUP_SUPER_MAGIC;
  } catch {
    return false;
  }
});
const hostSuite = hostV1 ? describe : describe.skip;
if (!hostV1) process.stderr.write('test/unit/cgroups-v1-resources.test.ts: host part SKIPPED (needs root and cgroup v1 memory/cpu/cpuacct/pids/blkio/cpuset/devices under /sys/fs/cgroup)\n');

hostSuite('on this host: real v1 cgroups', () => {
  const made: string[] = [];
  const paths: Record<string, string> = {};
  const name = `tsrun-v1res-${process.pid}`;
  const rd = (key: string, file: string): string => fs.readFileSync(path.join(paths[key], file), 'utf8').trim();

  beforeAll(() => {
    for (const c of HOST_CTRLS) {
      const mount = fs.realpathSync(`/sys/fs/cgroup/${c}`); // co-mounted "cpu,cpuacct" resolves to one dir
      const dir = path.join(mount, name);
      if (!made.includes(dir)) {
        fs.mkdirSync(dir);
        made.push(dir);
      }
      paths[c] = dir;
    }
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      fs.writeFileSync(path.join(paths.cpuset, f), fs.readFileSync(path.join(path.dirname(paths.cpuset), f), 'utf8').trim());
    }
  });

  afterAll(() => {
    for (const dir of [...made].reverse()) {
      try {
        fs.rmdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') process.stderr.write(`cleanup: rmdir ${dir}: ${(e as Error).message}\n`);
      }
    }
  });

  function blockDevice(): { major: number; minor: number } | undefined {
    for (const d of fs.readdirSync('/sys/block')) {
      if (/^(loop|ram|zram)/.test(d)) continue;
      const [major, minor] = fs.readFileSync(`/sys/block/${d}/dev`, 'utf8').trim().split(':').map(Number);
      return { major, minor };
    }
    return undefined;
  }

  test('apply, read back, raise and lower memory, stats', () => {
    const has = (key: string, f: string): boolean => fs.existsSync(path.join(paths[key], f));
    const swap = has('memory', 'memory.memsw.limit_in_bytes');
    const dev = blockDevice();
    const r: LinuxResources = {
      ...runcSpec().linux!.resources,
      memory: { limit: 67108864, ...(swap ? { swap: 134217728 } : {}), reservation: 33554432, swappiness: 10, disableOOMKiller: true },
      cpu: {
        shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0',
        ...(has('cpu', 'cpu.cfs_burst_us') ? { burst: 20000 } : {}),
        ...(has('cpu', 'cpu.idle') ? { idle: 0 } : {}),
        ...(has('cpu', 'cpu.rt_runtime_us') ? { realtimePeriod: 1000000, realtimeRuntime: 10000 } : {}),
      },
      pids: { limit: 100 },
      blockIO: dev ? {
        throttleReadBpsDevice: [{ major: dev.major, minor: dev.minor, rate: 1048576 }],
        throttleWriteIOPSDevice: [{ major: dev.major, minor: dev.minor, rate: 300 }],
      } : undefined,
    };
    applyV1Resources(paths, r);

    expect(rd('memory', 'memory.limit_in_bytes')).toBe('67108864');
    if (swap) expect(rd('memory', 'memory.memsw.limit_in_bytes')).toBe('134217728');
    expect(rd('memory', 'memory.soft_limit_in_bytes')).toBe('33554432');
    expect(rd('memory', 'memory.swappiness')).toBe('10');
    expect(rd('memory', 'memory.oom_control')).toMatch(/^oom_kill_disable 1$/m);
    expect(rd('cpu', 'cpu.shares')).toBe('512');
    expect(rd('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(rd('cpu', 'cpu.cfs_period_us')).toBe('100000');
    if (r.cpu!.burst !== undefined) expect(rd('cpu', 'cpu.cfs_burst_us')).toBe('20000');
    if (r.cpu!.idle !== undefined) expect(rd('cpu', 'cpu.idle')).toBe('0');
    if (r.cpu!.realtimeRuntime !== undefined) {
      expect(rd('cpu', 'cpu.rt_period_us')).toBe('1000000');
      expect(rd('cpu', 'cpu.rt_runtime_us')).toBe('10000');
    }
    expect(rd('cpuset', 'cpuset.cpus')).toBe('0');
    expect(rd('cpuset', 'cpuset.mems')).toBe('0');
    expect(rd('pids', 'pids.max')).toBe('100');
    if (dev) {
      expect(rd('blkio', 'blkio.throttle.read_bps_device')).toBe(`${dev.major}:${dev.minor} 1048576`);
      expect(rd('blkio', 'blkio.throttle.write_iops_device')).toBe(`${dev.major}:${dev.minor} 300`);
    }
    // The kernel's own view of runc's default device rules (the emulator's final check passed too)
    expect(rd('devices', 'devices.list').split('\n').sort()).toEqual(RUNC_SPEC_DEFAULT_DEVICE_WRITES.slice(1).map(([, l]) => l).sort());

    // Raise then lower memory + swap: the kernel refuses (EINVAL) any limit above memsw, so
    // both succeed only with the right order.
    if (swap) {
      applyV1Resources(paths, { memory: { limit: 268435456, swap: 536870912 } }, { skipDevices: true });
      expect([rd('memory', 'memory.limit_in_bytes'), rd('memory', 'memory.memsw.limit_in_bytes')]).toEqual(['268435456', '536870912']);
      applyV1Resources(paths, { memory: { limit: 33554432, swap: 67108864 } }, { skipDevices: true });
      expect([rd('memory', 'memory.limit_in_bytes'), rd('memory', 'memory.memsw.limit_in_bytes')]).toEqual(['33554432', '67108864']);
      applyV1Resources(paths, { memory: { limit: -1 } }, { skipDevices: true });
      expect(BigInt(rd('memory', 'memory.memsw.limit_in_bytes'))).toBeGreaterThan(1n << 60n);
      applyV1Resources(paths, { memory: { limit: 33554432, swap: 67108864 } }, { skipDevices: true });
    }
    // Re-apply everything (memory goes up again: memsw first). Unchanged device rules: nothing
    // is written to devices.allow/deny, and the emulator's final check agrees with the kernel.
    const spy = jest.spyOn(nodeFs, 'writeFileSync');
    applyV1Resources(paths, r);
    expect(spy.mock.calls.map((c) => String(c[0])).filter((p) => p.startsWith(paths.devices))).toEqual([]);
    spy.mockRestore();
    // pids -1 -> max
    applyV1Resources(paths, { pids: { limit: -1 } }, { skipDevices: true });
    expect(rd('pids', 'pids.max')).toBe('max');
    applyV1Resources(paths, { pids: { limit: 100 } }, { skipDevices: true });
    // this host has no net_cls hierarchy mounted (or at least not in `paths`)
    expect(() => applyV1Resources(paths, { network: { classID: 1 } }, { skipDevices: true }))
      .toThrow('linux.resources.network.classID: the net_cls controller is not mounted on this host');

    const s = statsV1(paths) as { memory: Record<string, Record<string, unknown>>; pids: Record<string, unknown>; cpuset: Record<string, unknown>; cpu: { usage: Record<string, unknown> } };
    expect(s.memory.usage.limit).toBe(67108864);
    if (swap) expect(s.memory.swap.limit).toBe(134217728);
    expect(s.pids).toEqual({ limit: 100 }); // current 0 is omitted (omitempty)
    expect(s.cpuset.cpus).toEqual([0]);
    expect(s.cpuset.mems).toEqual([0]);
    expect(typeof s.cpu.usage.kernel).toBe('number');
    expect(Array.isArray(s.cpu.usage.percpu) || s.cpu.usage.percpu === undefined).toBe(true);
  });
});
