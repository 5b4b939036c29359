// linux.resources on this host's cgroups: limits written as runc writes them (differential),
// enforced (OOM kill, pids limit), changed by `update`, reported by `events --stats`.
import * as fs from 'fs';
import * as path from 'path';
import { detectCgroups } from '../../src/cgroups';
import { Bundle, describeRoot, errMsg, eventsUntilOom, RUNC, rt, Runtime, runDetached, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';

const layout = detectCgroups();
const v1 = layout.mode !== 'v2';
const MEM = 64 * 1024 * 1024;

const RESOURCES = {
  memory: { limit: MEM, reservation: MEM / 2 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 64 },
  blockIO: { weight: 300 },
};

/** The files runc and tsrun both write for RESOURCES, read from the container's cgroups. */
function cgroupFiles(pid: number): Record<string, string> {
  const own = Object.fromEntries(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [, ctrls, p] = l.split(':');
    return [ctrls, p];
  }));
  const read = (ctrl: string, file: string) => {
    const mount = layout.v1.get(ctrl);
    if (!mount) return '(no hierarchy)';
    try { return fs.readFileSync(path.join(mount, own[Object.keys(own).find((k) => k.split(',').includes(ctrl))!], file), 'utf8').trim(); }
    catch (e) { return `(${(e as NodeJS.ErrnoException).code})`; }
  };
  const files: Record<string, string> = {};
  for (const [ctrl, file] of [['memory', 'memory.limit_in_bytes'], ['memory', 'memory.soft_limit_in_bytes'], ['memory', 'memory.memsw.limit_in_bytes'],
    ['memory', 'memory.swappiness'], ['cpu', 'cpu.shares'], ['cpu', 'cpu.cfs_quota_us'], ['cpu', 'cpu.cfs_period_us'], ['cpuset', 'cpuset.cpus'],
    ['cpuset', 'cpuset.mems'], ['pids', 'pids.max'], ['blkio', 'blkio.weight'], ['devices', 'devices.list']]) {
    files[file] = read(ctrl, file);
  }
  return files;
}

const V2_NOTE = v1 ? '' : ' (skipped here: a pure cgroup v2 host; cgroups-v2-resources.test.ts is its counterpart)';

describeRoot(`resources (cgroup v1 on this host)${V2_NOTE}`, () => {
  useLeakChecks();
  const v1test = v1 ? test : test.skip;

  (v1 && RUNC ? test : test.skip)('differential: runc and tsrun write the same cgroup files for the same config', () => {
    const b = new Bundle((c) => { c.linux.resources = { ...c.linux.resources, ...RESOURCES }; }).args('sleep', '100');
    const id = uniqueId('res');
    const files = (r: Runtime) => {
      const pidFile = path.join(b.dir, `${r}.pid`);
      const res = rt(r, ['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]);
      if (res.code !== 0) throw new Error(`${r}: ${res.stderr}`);
      const out = cgroupFiles(Number(fs.readFileSync(pidFile, 'utf8')));
      expect(rt(r, ['delete', '--force', id]).code).toBe(0);
      return out;
    };
    const runc = files('runc');
    expect(runc['memory.limit_in_bytes']).toBe(String(MEM));
    expect(files('tsrun')).toEqual(runc);
  });

  v1test('a memory hog is OOM-killed at memory.limit', () => {
    const b = new Bundle((c) => { c.linux.resources.memory = { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 }; c.linux.resources.devices = [{ allow: true, access: 'rwm' }]; })
      .args('sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.stdout).not.toContain('survived');
    expect(r.code).not.toBe(0);
  });

  v1test('a fork bomb stops at pids.limit', () => {
    const b = new Bundle((c) => { c.linux.resources.pids = { limit: 8 }; })
      // builtins only once the limit is hit: nothing else could fork
      // the forking loop runs in a subshell: ash gives up on the first failed fork
      .args('sh', '-c', '(i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; read n < /sys/fs/cgroup/pids/pids.current; read m < /sys/fs/cgroup/pids/pids.max; echo $n $m');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    const [n, max] = r.stdout.trim().split(' ');
    expect(max).toBe('8');
    expect(Number(n)).toBeGreaterThanOrEqual(6); // 20 were asked for
    expect(Number(n)).toBeLessThanOrEqual(8);
  });

  v1test('cpu quota is enforced: 20% of a CPU for one second of busy loop', () => {
    const b = new Bundle((c) => { c.linux.resources.cpu = { quota: 20000, period: 100000 }; })
      .args('sh', '-c', 'timeout 1 sh -c "while :; do :; done"; read u < /sys/fs/cgroup/cpuacct/cpuacct.usage; echo $u');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    const cpuSeconds = Number(r.stdout.trim()) / 1e9;
    expect(cpuSeconds).toBeGreaterThan(0.02); // it did run (under load it may get less than its 20%)
    expect(cpuSeconds).toBeLessThan(0.4); // unthrottled this would be ~1 s
  });

  v1test('update changes limits of a running container and keeps them; events --stats reports them', () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle((c) => { c.linux.resources.memory = { limit: MEM }; }).args('sleep', '100'), id);
    expect(cgroupFiles(pid)['memory.limit_in_bytes']).toBe(String(MEM));
    expect(tsrun(['update', '--memory', '128m', '--pids-limit', '99', '--cpu-quota', '20000', id])).toMatchObject({ code: 0, stderr: '' });
    const after = cgroupFiles(pid);
    expect(after['memory.limit_in_bytes']).toBe(String(128 * 1024 * 1024));
    expect(after['pids.max']).toBe('99');
    expect(after['cpu.cfs_quota_us']).toBe('20000');
    const file = path.join(work(), `${id}-res.json`);
    fs.writeFileSync(file, JSON.stringify({ pids: { limit: 50 } }));
    expect(tsrun(['update', '-r', file, id]).code).toBe(0);
    expect(cgroupFiles(pid)['pids.max']).toBe('50');
    const ev = JSON.parse(tsrun(['events', '--stats', id]).stdout);
    expect(ev).toMatchObject({ type: 'stats', id });
    expect(ev.data.pids).toMatchObject({ current: 1, limit: 50 });
    expect(Number(ev.data.memory.usage.limit)).toBe(128 * 1024 * 1024);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
    expect(errMsg(tsrun(['update', '--memory', '1m', id]).stderr)).toBe('container does not exist');
  });

  v1test('unified (cgroup v2 keys) is refused on a v1 host, naming the field; nothing is left behind', () => {
    const b = new Bundle((c) => { c.linux.resources.unified = { 'memory.high': '1000000' }; }).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^linux\.resources\.unified/);
  });
});

describeRoot(`events${V2_NOTE}`, () => {
  useLeakChecks();

  (v1 ? test : test.skip)('the event stream reports stats every --interval and an oom event when the OOM killer strikes', async () => {
    const id = uniqueId();
    runDetached(new Bundle((c) => { c.linux.resources.memory = { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 }; })
      // Repeated kills of a subshell that raised its oom_score_adj: the stream's first poll may come
      // after a first kill under load, and a second OOM right after one may otherwise take the init.
      .args('sh', '-c', 'sleep 1; while :; do (echo 1000 >/proc/self/oom_score_adj; x=$(head -c 200000000 /dev/zero | tr "\\0" a)); sleep 0.5; done'), id);
    const events = await eventsUntilOom(id, 15_000);
    expect(events.filter((e) => e.type === 'stats').length).toBeGreaterThan(1);
    expect(events.find((e) => e.type === 'oom')).toEqual({ type: 'oom', id });
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });
});
