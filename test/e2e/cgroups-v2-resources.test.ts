// A pure cgroup v2 host (run here by test/vm/run.sh, in a guest with systemd as PID 1): limits
// written as runc 1.1.5 writes them (differential, runc in the same guest), enforced by the
// kernel (OOM kill and memory.oom.group, pids.max, the eBPF device filter), changed by `update`,
// reported by `events` (PSI where the kernel has it), pause/resume through cgroup.freeze,
// kill --all through cgroup.kill, the cgroup namespace's view, and delegation to the
// container's root (runc's cgroup_delegation.bats). On a host with v1 controllers every test
// is skipped, saying so: that host's v1 behaviour is resources.test.ts's.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, eventsUntilOom, RUNC, rt, Runtime, runDetached, sleepMs, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { CGROUP_MODE, cgroupDir, cgroupOf, PSI, PURE_V2, skipUnless, SLOW } from '../helpers/host-kind';

const V2 = skipUnless(PURE_V2, `needs a pure cgroup v2 host, this one is ${CGROUP_MODE}: test/vm/run.sh runs it in a v2 guest`);
const V2_RUNC = skipUnless(PURE_V2 && !!RUNC, PURE_V2 ? 'runc is not installed' : `needs a pure cgroup v2 host, this one is ${CGROUP_MODE}: test/vm/run.sh runs it in a v2 guest`);
const MiB = 1024 * 1024;
/** A weight-based io policy in this kernel: the files are in tsrun's parent cgroup's children. */
const IO_WEIGHT = PURE_V2 && (() => {
  const parent = path.dirname(cgroupDir('', cgroupOf('self', '')));
  return fs.readdirSync(parent, { withFileTypes: true }).some((d) => d.isDirectory() && ['io.weight', 'io.bfq.weight'].some((f) => fs.existsSync(path.join(parent, d.name, f))));
})();
/** The overflow uid: how an id the user namespace does not map shows inside it. */
const NOBODY = '65534';

/** The container's cgroup2 directory on the host, from its init. */
const dirOf = (pid: number) => cgroupDir('', cgroupOf(pid, ''));
const read = (dir: string, file: string) => {
  try { return fs.readFileSync(path.join(dir, file), 'utf8').trim(); } catch (e) { return `(${(e as NodeJS.ErrnoException).code})`; }
};

/** Run the bundle detached under `r`, read `files` from its cgroup, delete it. */
function filesUnder(r: Runtime, b: Bundle, files: string[], id = uniqueId(`v2${r[0]}`)): Record<string, string> {
  const pidFile = path.join(b.dir, `${id}.pid`);
  const res = rt(r, ['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]);
  if (res.code !== 0) throw new Error(`${r} run: ${res.stderr}`);
  const dir = dirOf(Number(fs.readFileSync(pidFile, 'utf8')));
  const out = Object.fromEntries(files.map((f) => [f, read(dir, f)]));
  expect(rt(r, ['delete', '--force', id]).code).toBe(0);
  return out;
}

const stateOf = (id: string) => JSON.parse(tsrun(['state', id]).stdout || '{}').status as string | undefined;
function waitState(id: string, want: string, ms: number): string | undefined {
  const deadline = Date.now() + ms;
  let s = stateOf(id);
  while (s !== want && Date.now() < deadline) { sleepMs(50); s = stateOf(id); }
  return s;
}

const withCaps = (c: any, ...caps: string[]) => {
  for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push(...caps);
};
const cgroupns = (c: any) => { c.linux.namespaces.push({ type: 'cgroup' }); };

// [name, linux.resources, the files both runtimes must agree on, what runc writes there]
const CASES: [string, object, string[], Record<string, string>][] = [
  ['memory limit, reservation and memory+swap; cpu shares, quota and period; pids',
    { memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB }, cpu: { shares: 512, quota: 50000, period: 100000 }, pids: { limit: 64 } },
    ['memory.max', 'memory.low', 'memory.swap.max', 'cpu.weight', 'cpu.max', 'pids.max'],
    { 'memory.max': String(64 * MiB), 'memory.low': String(32 * MiB), 'memory.swap.max': String(32 * MiB), 'cpu.weight': '20', 'cpu.max': '50000 100000', 'pids.max': '64' }],
  ['swap equal to the limit disables swap; quota without period keeps the kernel\'s period',
    { memory: { limit: 48 * MiB, swap: 48 * MiB }, cpu: { quota: 20000 } }, ['memory.max', 'memory.swap.max', 'cpu.max'],
    { 'memory.max': String(48 * MiB), 'memory.swap.max': '0', 'cpu.max': '20000 100000' }],
  ['swap -1 is unlimited swap; limit -1 and pids -1 are "max"',
    { memory: { limit: -1, swap: -1 }, pids: { limit: -1 } }, ['memory.max', 'memory.swap.max', 'pids.max'],
    { 'memory.max': 'max', 'memory.swap.max': 'max', 'pids.max': 'max' }],
  ['unified keys are written last and win over the typed fields; memory.oom.group and memory.high',
    { pids: { limit: 64 }, cpu: { shares: 512 }, unified: { 'pids.max': '33', 'cpu.weight': '77', 'memory.high': String(40 * MiB), 'memory.oom.group': '1' } },
    ['pids.max', 'cpu.weight', 'memory.high', 'memory.oom.group'],
    { 'pids.max': '33', 'cpu.weight': '77', 'memory.high': String(40 * MiB), 'memory.oom.group': '1' }],
];

describeRoot('cgroup v2: limits as runc writes them', () => {
  useLeakChecks();

  for (const [name, resources, files, want] of CASES) {
    V2_RUNC.test(V2_RUNC.name(`differential: ${name}`), () => {
      const b = new Bundle((c) => { c.linux.resources = { ...c.linux.resources, ...resources }; }).args('sleep', '100');
      const runc = filesUnder('runc', b, files);
      // a file the kernel does not have here (io.bfq.weight without BFQ, memory.swap.max without
      // swap accounting) must be missing for both
      for (const [f, v] of Object.entries(want)) if (!runc[f].startsWith('(')) expect([f, runc[f]]).toEqual([f, v]);
      expect(runc['memory.max'] ?? runc['pids.max']).not.toMatch(/^\(/);
      expect(filesUnder('tsrun', b, files)).toEqual(runc);
    });
  }

  // io.weight needs a weight-based io policy (iocost or BFQ: io.bfq.weight); user-mode Linux has neither
  const ioWeight = skipUnless(PURE_V2 && !!RUNC && IO_WEIGHT, !PURE_V2 ? `needs a pure cgroup v2 host, this one is ${CGROUP_MODE}` : !RUNC ? 'runc is not installed' : 'no io.weight or io.bfq.weight in this kernel\'s cgroups');
  ioWeight.test(ioWeight.name('differential: blockIO.weight'), () => {
    const b = new Bundle((c) => { c.linux.resources.blockIO = { weight: 300 }; }).args('sleep', '100');
    const files = ['io.weight', 'io.bfq.weight'];
    expect(filesUnder('tsrun', b, files)).toEqual(filesUnder('runc', b, files));
  });

  V2.test(V2.name('a config error is refused before anything is written, naming the field'), () => {
    const b = new Bundle((c) => { c.linux.resources.memory = { limit: 32 * MiB, swap: 16 * MiB }; }).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toBe(`linux.resources.memory.swap: memory+swap limit (${16 * MiB}) should be >= memory limit (${32 * MiB})`);
    const u = new Bundle((c) => { c.linux.resources.unified = { '../x': '1' }; }).args('true');
    expect(errMsg(tsrun(['create', '--bundle', u.dir, uniqueId()]).stderr)).toMatch(/^linux\.resources\.unified/);
  });
});

describeRoot('cgroup v2: limits enforced by the kernel', () => {
  useLeakChecks();

  V2.test(V2.name('a memory hog is OOM-killed at memory.max (no swap: memory.swap.max 0)'), () => {
    const b = new Bundle((c) => { c.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }; })
      .args('sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.stdout).not.toContain('survived');
    expect(r.code).not.toBe(0);
  });

  V2.test(V2.name('memory.oom.group 1: the OOM killer takes the whole cgroup (init included); without it only the hog dies'), () => {
    const run = (group: boolean) => {
      const id = uniqueId();
      const dir = dirOf(runDetached(new Bundle((c) => {
        c.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB };
        if (group) c.linux.resources.unified = { 'memory.oom.group': '1' };
      }).args('sh', '-c', '(x=$(head -c 200000000 /dev/zero | tr "\\0" a)); sleep 100'), id));
      // the hog takes its time under user-mode Linux: wait for the kill itself
      const kills = () => Number(/^oom_kill (\d+)$/m.exec(read(dir, 'memory.events'))?.[1] ?? 0);
      const deadline = Date.now() + 60_000 * SLOW;
      while (kills() === 0 && Date.now() < deadline) sleepMs(100);
      expect(kills()).toBeGreaterThan(0);
      const st = waitState(id, 'stopped', 3000);
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
      return st;
    };
    expect(run(true)).toBe('stopped');
    expect(run(false)).toBe('running');
  });

  V2.test(V2.name('a fork bomb stops at pids.max'), () => {
    const b = new Bundle((c) => { cgroupns(c); c.linux.resources.pids = { limit: 8 }; })
      .args('sh', '-c', '(i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids.current; read m < /sys/fs/cgroup/pids.max; echo $n $m');
    const [n, max] = tsrun(['run', '--bundle', b.dir, uniqueId()]).stdout.trim().split(' ');
    expect(max).toBe('8');
    expect(Number(n)).toBeGreaterThanOrEqual(6);
    expect(Number(n)).toBeLessThanOrEqual(8);
  });

  // /dev/fuse (10:229): a node anyone may open, not in runc's default rules
  V2_RUNC.test(V2_RUNC.name('devices: the eBPF filter denies what the rules do not allow (mknod works, open does not), as under runc'), () => {
    const probe = 'mknod /tmp/fuse c 10 229; (: < /tmp/fuse) 2>/dev/null && echo fuse-open || echo fuse-denied; head -c 1 /dev/zero | wc -c; echo x > /dev/null && echo null-ok';
    const b = (extra: object[] = []) => new Bundle((c) => {
      withCaps(c, 'CAP_MKNOD');
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.linux.resources.devices = [...c.linux.resources.devices, ...extra];
    }).args('sh', '-c', probe);
    const denied = b();
    const out = (r: Runtime, x: Bundle) => rt(r, ['run', '--bundle', x.dir, uniqueId()]).stdout;
    expect(out('tsrun', denied)).toBe('fuse-denied\n1\nnull-ok\n');
    expect(out('tsrun', denied)).toBe(out('runc', denied));
    const allowed = b([{ allow: true, type: 'c', major: 10, minor: 229, access: 'r' }]);
    expect(out('tsrun', allowed)).toBe('fuse-open\n1\nnull-ok\n');
    expect(out('tsrun', allowed)).toBe(out('runc', allowed));
  });
});

describeRoot('cgroup v2: update, events, freezer, cgroup.kill', () => {
  useLeakChecks();

  V2.test(V2.name('update changes the files of a running container; events --stats reports them'), () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle((c) => { c.linux.resources.memory = { limit: 64 * MiB }; }).args('sleep', '100'), id);
    const dir = dirOf(pid);
    expect(read(dir, 'memory.max')).toBe(String(64 * MiB));
    expect(tsrun(['update', '--memory', '128m', '--pids-limit', '99', '--cpu-quota', '20000', id])).toMatchObject({ code: 0, stderr: '' });
    expect([read(dir, 'memory.max'), read(dir, 'pids.max'), read(dir, 'cpu.max')]).toEqual([String(128 * MiB), '99', '20000 100000']);
    const file = path.join(work(), `${id}-res.json`);
    fs.writeFileSync(file, JSON.stringify({ pids: { limit: 50 }, unified: { 'memory.high': String(100 * MiB) } }));
    expect(tsrun(['update', '-r', file, id]).code).toBe(0);
    expect([read(dir, 'pids.max'), read(dir, 'memory.high')]).toEqual(['50', String(100 * MiB)]);
    const ev = JSON.parse(tsrun(['events', '--stats', id]).stdout);
    expect(ev).toMatchObject({ type: 'stats', id, data: { pids: { current: 1, limit: 50 }, memory: { usage: { limit: 128 * MiB } } } });
    expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  const psi = skipUnless(PURE_V2 && PSI, PURE_V2 ? 'this kernel has no PSI (/proc/pressure): the QEMU guest (test/vm/run.sh --qemu) has' : `needs a pure cgroup v2 host, this one is ${CGROUP_MODE}`);
  psi.test(psi.name('events --stats carries PSI (cpu, memory, io: some/full avg10/avg60/avg300/total) as runc 1.2 does'), () => {
    const id = uniqueId();
    runDetached(new Bundle().args('sleep', '100'), id);
    const { data } = JSON.parse(tsrun(['events', '--stats', id]).stdout);
    for (const k of ['cpu', 'memory', 'blkio']) {
      expect(Object.keys(data[k].psi.some)).toEqual(['avg10', 'avg60', 'avg300', 'total']);
      expect(typeof data[k].psi.some.avg10).toBe('number');
    }
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  V2.test(V2.name('the event stream: stats every --interval, an oom event when the OOM killer strikes'), async () => {
    const id = uniqueId();
    runDetached(new Bundle((c) => { c.linux.resources.memory = { limit: 32 * MiB, swap: 32 * MiB }; })
      .args('sh', '-c', 'sleep 1; (x=$(head -c 200000000 /dev/zero | tr "\\0" a)); sleep 100'), id);
    const events = await eventsUntilOom(id, 60_000);
    expect(events.filter((e) => e.type === 'stats').length).toBeGreaterThan(1);
    expect(events.find((e) => e.type === 'oom')).toEqual({ type: 'oom', id });
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  V2.test(V2.name('pause and resume write cgroup.freeze and wait for cgroup.events'), () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle().args('sleep', '100'), id);
    const dir = dirOf(pid);
    expect(tsrun(['pause', id]).code).toBe(0);
    expect([read(dir, 'cgroup.freeze'), /^frozen (\d)$/m.exec(read(dir, 'cgroup.events'))?.[1], stateOf(id)]).toEqual(['1', '1', 'paused']);
    expect(/^State:\s+\S+/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[0]).toMatch(/S|D/);
    expect(tsrun(['resume', id]).code).toBe(0);
    expect([read(dir, 'cgroup.freeze'), /^frozen (\d)$/m.exec(read(dir, 'cgroup.events'))?.[1], stateOf(id)]).toEqual(['0', '0', 'running']);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  V2.test(V2.name('kill --all KILL ends every process, those in child cgroups too (cgroup.kill); a paused container dies too'), () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle().args('sh', '-c', 'sleep 100 & sleep 100 & exec sleep 100'), id);
    const dir = dirOf(pid);
    for (let i = 0; i < 100 && read(dir, 'cgroup.procs').split('\n').length < 3; i++) sleepMs(20);
    const procs = read(dir, 'cgroup.procs').split('\n').map(Number);
    expect(procs.length).toBe(3);
    // one of them in a child cgroup of the container's (as an exec --cgroup would put it)
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub/cgroup.procs'), String(procs.find((p) => p !== pid)));
    expect(tsrun(['pause', id]).code).toBe(0);
    expect(tsrun(['kill', '--all', id, 'KILL']).code).toBe(0);
    expect(waitState(id, 'stopped', 5000)).toBe('stopped');
    for (const p of procs) expect([p, fs.existsSync(`/proc/${p}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'))]).toEqual([p, false]);
    expect(tsrun(['delete', id]).code).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describeRoot('cgroup v2: namespaces and delegation', () => {
  useLeakChecks();

  // the count is read by one process (sh and grep: 2): a `cat | wc` pipeline raced the fork of wc
  V2_RUNC.test(V2_RUNC.name('a cgroup namespace: "/" is the container\'s cgroup, /sys/fs/cgroup shows it alone; as under runc'), () => {
    const b = new Bundle(cgroupns).args('sh', '-c', 'cat /proc/self/cgroup; m=$(grep " /sys/fs/cgroup " /proc/self/mountinfo); echo "$m" | cut -d" " -f4; echo "${m#* - }" | cut -d" " -f1,2; grep -c . /sys/fs/cgroup/cgroup.procs');
    const out = (r: Runtime) => rt(r, ['run', '--bundle', b.dir, uniqueId()]).stdout;
    const ts = out('tsrun');
    expect(ts.split('\n').slice(0, 3)).toEqual(['0::/', '/', 'cgroup2 cgroup']);
    expect(ts).toBe(out('runc'));
  });

  V2_RUNC.test(V2_RUNC.name('without one: /proc/self/cgroup names a path that exists under /sys/fs/cgroup (the hierarchy, read-only), as under runc'), () => {
    const b = new Bundle().args('sh', '-c', 'p=$(cut -d: -f3 /proc/self/cgroup); test -d "/sys/fs/cgroup$p" && echo found; mkdir /sys/fs/cgroup/x 2>/dev/null || echo ro');
    const out = (r: Runtime) => rt(r, ['run', '--bundle', b.dir, uniqueId()]).stdout;
    expect(out('tsrun')).toBe('found\nro\n');
    expect(out('tsrun')).toBe(out('runc'));
  });

  // runc's cgroup_delegation.bats: with a user namespace, a new cgroup namespace and a
  // read-write /sys/fs/cgroup the container's root owns its cgroup (and may make child cgroups
  // and move its processes); otherwise the cgroup stays the host's root's (nobody inside)
  const delegation: [string, (c: any) => void, string][] = [
    ['ro cgroupfs, new cgroupns: not delegated', () => {}, NOBODY],
    ['rw cgroupfs, inherited cgroupns: not delegated', (c) => { rwCgroup(c); c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'cgroup'); }, NOBODY],
    ['rw cgroupfs, new cgroupns: the container\'s root owns it', rwCgroup, '0'],
  ];
  for (const [name, mutate, owner] of delegation) {
    V2.test(V2.name(`delegation, ${name}`), () => {
      const b = new Bundle((c) => {
        c.linux.namespaces.push({ type: 'user' }, { type: 'cgroup' });
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        mutate(c);
      }).args('sh', '-c', 'stat -c %u /sys/fs/cgroup; stat -c %u /sys/fs/cgroup/memory.max 2>/dev/null; mkdir /sys/fs/cgroup/sub 2>/dev/null && echo $$ > /sys/fs/cgroup/sub/cgroup.procs && cat /proc/self/cgroup');
      fs.chmodSync(work(), 0o755);
      // runc 1.1.5 delegates in none of the three (it came with runc 1.2): no differential here
      const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe(owner);
      expect(lines[1]).toBe(NOBODY); // limits stay the host's: never the container's to raise
      expect(lines.slice(2)).toEqual(owner === '0' ? ['0::/sub'] : []);
    });
  }
});

function rwCgroup(c: any): void {
  c.mounts = c.mounts.map((m: any) => (m.destination === '/sys/fs/cgroup' ? { ...m, options: m.options.filter((o: string) => o !== 'ro').concat('rw') } : m));
}
