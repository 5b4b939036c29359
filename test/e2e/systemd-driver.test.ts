// The systemd cgroup driver (--systemd-cgroup) against a real systemd (test/vm/run.sh: a guest
// with systemd 252 as PID 1 and pure cgroup v2): the transient scope unit and its properties
// (differential against runc 1.1.5 --systemd-cgroup), slice:prefix:name, org.systemd.property.*
// annotations, update through SetUnitProperties, exec/pause/kill/events on the scope, delete of
// a failed unit (runc's delete.bats), a leftover unit reset and retried, and a unit name that
// belongs to a running container: refused, that container untouched. Where systemd is not
// PID 1 every test is skipped, saying so.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, RUNC, rt, Runtime, sleepMs, tsrun, uniqueId, useLeakChecks } from '../helpers/harness';
import { CGROUP_MODE, PURE_V2, skipUnless, SYSTEMD } from '../helpers/host-kind';

const why = !SYSTEMD ? 'systemd is not PID 1 here: test/vm/run.sh runs these in a guest with systemd' : `needs a pure cgroup v2 host (this one is ${CGROUP_MODE}); cgroup v1 + systemd is untested`;
const SD = skipUnless(SYSTEMD && PURE_V2, why);
const SD_RUNC = skipUnless(SYSTEMD && PURE_V2 && !!RUNC, SYSTEMD && PURE_V2 ? 'runc is not installed' : why);
const MiB = 1024 * 1024;

const sd = (r: Runtime, args: string[]) => rt(r, ['--systemd-cgroup', ...args]);
const systemctl = (...args: string[]) => spawnSync('systemctl', ['--no-pager', ...args], { encoding: 'utf8' });
/** `systemctl show -p` of `props`, as NAME=value lines. */
const show = (unit: string, props: string[]) => systemctl('show', unit, ...props.flatMap((p) => ['-p', p])).stdout.trim().split('\n').sort();
const activeState = (unit: string) => systemctl('show', unit, '-p', 'ActiveState', '--value').stdout.trim();
const stateOf = (id: string) => JSON.parse(tsrun(['state', id]).stdout || '{}').status as string | undefined;
function waitFor(what: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (!what()) { if (Date.now() > deadline) return false; sleepMs(50); }
  return true;
}
function runD(r: Runtime, b: Bundle, id: string): number {
  const pidFile = path.join(b.dir, `${id}.pid`);
  const res = sd(r, ['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]);
  if (res.code !== 0) throw new Error(`${r} --systemd-cgroup run -d ${id}: ${res.stderr}`);
  return Number(fs.readFileSync(pidFile, 'utf8'));
}
const cgroupLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim();

const PROPS = ['Delegate', 'Slice', 'ControlGroup', 'DefaultDependencies', 'MemoryAccounting', 'CPUAccounting', 'IOAccounting', 'TasksAccounting',
  'MemoryMax', 'MemoryLow', 'MemorySwapMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'TasksMax', 'DevicePolicy', 'DeviceAllow'];
const RESOURCES = { memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB }, cpu: { shares: 512, quota: 33333, period: 100000 }, pids: { limit: 64 } };

describeRoot('systemd cgroup driver: the scope unit', () => {
  useLeakChecks();

  SD.test(SD.name('run -d: the init is in <prefix>-<name>.scope (runc\'s defaults: system.slice, "runc"), Delegate=yes; delete stops and removes it'), () => {
    const id = uniqueId();
    const unit = `runc-${id}.scope`;
    const pid = runD('tsrun', new Bundle().args('sleep', '100'), id);
    expect(activeState(unit)).toBe('active');
    expect(cgroupLine(pid)).toBe(`0::/system.slice/${unit}`);
    expect(show(unit, ['Delegate', 'Slice', 'ControlGroup'])).toEqual(['ControlGroup=/system.slice/' + unit, 'Delegate=yes', 'Slice=system.slice']);
    expect(fs.readFileSync(`/sys/fs/cgroup/system.slice/${unit}/cgroup.procs`, 'utf8').trim()).toBe(String(pid));
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
    expect(systemctl('status', unit).status).toBe(4); // no such unit
    expect(fs.existsSync(`/sys/fs/cgroup/system.slice/${unit}`)).toBe(false);
  });

  SD_RUNC.test(SD_RUNC.name('differential: the unit\'s resource properties and cgroup files are runc\'s for the same config'), () => {
    const b = new Bundle((c) => { c.linux.resources = { ...c.linux.resources, ...RESOURCES }; }).args('sleep', '100');
    const files = ['memory.max', 'memory.low', 'memory.swap.max', 'cpu.weight', 'cpu.max', 'pids.max'];
    const of = (r: Runtime) => {
      const id = uniqueId('sdd');
      const name = `sdd${process.pid}`; // the same unit for both, one after the other
      b.config.linux.cgroupsPath = `system.slice:tsrun-e2e:${name}`;
      b.write();
      runD(r, b, id);
      const unit = `tsrun-e2e-${name}.scope`;
      const dir = `/sys/fs/cgroup/system.slice/${unit}`;
      const out = { props: show(unit, PROPS), files: files.map((f) => `${f}=${fs.readFileSync(path.join(dir, f), 'utf8').trim()}`) };
      expect(sd(r, ['delete', '-f', id]).code).toBe(0);
      expect(systemctl('status', unit).status).toBe(4);
      return out;
    };
    const runc = of('runc');
    expect(runc.props).toContain(`MemoryMax=${64 * MiB}`);
    expect(runc.props).toContain('CPUQuotaPerSecUSec=340ms'); // rounded up to 10 ms, as runc does
    const ts = of('tsrun');
    expect(ts.files).toEqual(runc.files);
    expect(ts.props).toEqual(runc.props);
  });

  SD.test(SD.name('slice:prefix:name: a nested slice expands to /a.slice/a-b.slice/<prefix>-<name>.scope'), () => {
    const id = uniqueId();
    const slice = 'tsrunsd-nested.slice';
    const pid = runD('tsrun', new Bundle((c) => { c.linux.cgroupsPath = `${slice}:pfx:${id}`; }).args('sleep', '100'), id);
    try {
      expect(cgroupLine(pid)).toBe(`0::/tsrunsd.slice/${slice}/pfx-${id}.scope`);
      expect(activeState(`pfx-${id}.scope`)).toBe('active');
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
      expect(systemctl('status', `pfx-${id}.scope`).status).toBe(4);
    } finally {
      systemctl('stop', slice, 'tsrunsd.slice'); // systemd made the slices (as with runc): not tsrun's to remove
    }
  });

  SD.test(SD.name('a bad cgroupsPath names the field; --systemd-cgroup without the slice:prefix:name form is refused as runc refuses it'), () => {
    for (const [p, re] of [['bad', /^linux\.cgroupsPath: expected "slice:prefix:name"/], ['sys:p:n', /^linux\.cgroupsPath: invalid slice name "sys"/], ['system.slice:p:a b', /not a valid systemd unit name/]] as const) {
      const r = sd('tsrun', ['create', '--bundle', new Bundle((c) => { c.linux.cgroupsPath = p; }).args('true').dir, uniqueId()]);
      expect(r.code).toBe(1);
      expect(errMsg(r.stderr)).toMatch(re);
    }
  });

  SD.test(SD.name('a failing create stops the unit it started'), () => {
    const id = uniqueId();
    const b = new Bundle((c) => { c.process.cwd = '/etc/passwd/sub'; }).args('true');
    const r = sd('tsrun', ['create', '--bundle', b.dir, id]);
    expect(errMsg(r.stderr)).toMatch(/process\.cwd/);
    expect(systemctl('status', `runc-${id}.scope`).status).toBe(4);
  });
});

describeRoot('systemd cgroup driver: a running container', () => {
  useLeakChecks();

  SD.test(SD.name('exec joins the scope; pause/resume freeze it; update goes to the unit and the files; events --stats; kill --all'), () => {
    const id = uniqueId();
    const unit = `runc-${id}.scope`;
    const dir = `/sys/fs/cgroup/system.slice/${unit}`;
    runD('tsrun', new Bundle((c) => { c.linux.resources.memory = { limit: 64 * MiB }; }).args('sleep', '100'), id);
    expect(tsrun(['exec', id, 'cat', '/proc/self/cgroup']).stdout).toBe(`0::/system.slice/${unit}\n`);
    expect(tsrun(['pause', id]).code).toBe(0);
    expect([stateOf(id), fs.readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim()]).toEqual(['paused', '1']);
    expect(tsrun(['resume', id]).code).toBe(0);
    expect(stateOf(id)).toBe('running');
    expect(tsrun(['update', '--memory', '100m', '--pids-limit', '50', '--cpu-quota', '25000', id])).toMatchObject({ code: 0, stderr: '' });
    expect(show(unit, ['MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec'])).toEqual(['CPUQuotaPerSecUSec=250ms', `MemoryMax=${100 * MiB}`, 'TasksMax=50']);
    expect(['memory.max', 'pids.max', 'cpu.max'].map((f) => fs.readFileSync(`${dir}/${f}`, 'utf8').trim())).toEqual([String(100 * MiB), '50', '25000 100000']);
    const ev = JSON.parse(tsrun(['events', '--stats', id]).stdout);
    expect(ev.data.pids).toMatchObject({ current: 1, limit: 50 });
    expect(tsrun(['kill', '--all', id, 'KILL']).code).toBe(0);
    expect(waitFor(() => stateOf(id) === 'stopped', 5000)).toBe(true);
    expect(tsrun(['delete', id]).code).toBe(0);
    expect(systemctl('status', unit).status).toBe(4);
  });

  SD.test(SD.name('org.systemd.property.* annotations become unit properties (...Sec as ...USec); PIDs and Slice are refused'), () => {
    const id = uniqueId();
    const unit = `runc-${id}.scope`;
    runD('tsrun', new Bundle((c) => {
      c.annotations = { 'org.systemd.property.TimeoutStopSec': 'uint64 123', 'org.systemd.property.CollectMode': "'inactive-or-failed'", 'org.systemd.property.Description': "'hello'" };
    }).args('sleep', '100'), id);
    expect(show(unit, ['TimeoutStopUSec', 'CollectMode', 'Description'])).toEqual(['CollectMode=inactive-or-failed', 'Description=hello', 'TimeoutStopUSec=2min 3s']);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
    const bad = sd('tsrun', ['create', '--bundle', new Bundle((c) => { c.annotations = { 'org.systemd.property.PIDs': '[uint32 1]' }; }).args('true').dir, uniqueId()]);
    expect(errMsg(bad.stderr)).toBe('annotations["org.systemd.property.PIDs"]: systemd property PIDs is set by tsrun itself and cannot be given as an annotation');
  });

  // runc's delete.bats "runc delete removes failed systemd unit"
  SD.test(SD.name('a unit that failed (RuntimeMaxSec ran out) is removed by delete'), () => {
    const id = uniqueId();
    const unit = `runc-${id}.scope`;
    runD('tsrun', new Bundle((c) => {
      c.annotations = { 'org.systemd.property.RuntimeMaxSec': '2', 'org.systemd.property.TimeoutStopSec': '1' };
    }).args('sleep', '100'), id);
    expect(waitFor(() => stateOf(id) === 'stopped', 30_000)).toBe(true);
    expect(waitFor(() => activeState(unit) === 'failed', 10_000)).toBe(true);
    expect(systemctl('status', unit).status).toBe(3); // not active
    expect(tsrun(['delete', id]).code).toBe(0);
    expect(systemctl('status', unit).status).toBe(4); // no such unit
  });

  SD.test(SD.name('a failed unit left over with the same name is reset and the start retried (runc\'s startUnit)'), () => {
    const [a, b] = [uniqueId(), uniqueId()];
    const name = `left${process.pid}`;
    const unit = `tsrun-e2e-${name}.scope`;
    const bundle = (extra: object) => new Bundle((c) => { c.linux.cgroupsPath = `:tsrun-e2e:${name}`; c.annotations = extra; }).args('sleep', '100');
    runD('tsrun', bundle({ 'org.systemd.property.RuntimeMaxSec': '1', 'org.systemd.property.TimeoutStopSec': '1' }), a);
    expect(waitFor(() => activeState(unit) === 'failed', 30_000)).toBe(true);
    runD('tsrun', bundle({}), b); // a's failed unit is in the way
    expect(activeState(unit)).toBe('active');
    expect(tsrun(['delete', '-f', b]).code).toBe(0);
    expect(tsrun(['delete', '-f', a]).code).toBe(0);
    expect(systemctl('status', unit).status).toBe(4);
  });

  // Threat: a second container naming the same unit. runc 1.1.5 ignores UnitExists and creates it
  // (its process outside the unit's cgroup); deleting it stops the unit by name, killing the first
  // container (seen in the guest). tsrun refuses it and only ever stops a unit it started.
  SD.test(SD.name('a unit name a running container holds: create is refused, that container keeps running'), () => {
    const [a, b] = [uniqueId(), uniqueId()];
    const name = `taken${process.pid}`;
    const unit = `tsrun-e2e-${name}.scope`;
    const bundle = () => new Bundle((c) => { c.linux.cgroupsPath = `system.slice:tsrun-e2e:${name}`; }).args('sleep', '100');
    const pidA = runD('tsrun', bundle(), a);
    const r = sd('tsrun', ['create', '--bundle', bundle().dir, b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/container's cgroup is not empty/); // runc's warning first
    expect(errMsg(r.stderr.trim().split('\n').pop()!)).toMatch(new RegExp(`cannot start unit ${unit.replace(/\./g, '\\.')} in system\\.slice: a unit of that name already exists`));
    expect(activeState(unit)).toBe('active');
    expect(stateOf(a)).toBe('running');
    expect(fs.existsSync(`/proc/${pidA}`)).toBe(true);
    expect(tsrun(['delete', '-f', a]).code).toBe(0);
  });
});
