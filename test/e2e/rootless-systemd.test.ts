// Rootless --systemd-cgroup (issue 19): tsrun run by the unprivileged test user (helpers/rootless.ts)
// makes its container's scope unit in the user's own systemd instance (user@UID.service, started
// here with `loginctl enable-linger` and stopped again after), over its session bus, as runc
// 1.1.5 does; runc run the same way is the reference. Needs systemd as PID 1, pure cgroup v2 and
// user@.service: test/vm/run.sh runs this file in the guest; elsewhere every test is skipped,
// saying why.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeRoot, errMsg, Result, ROOT_DIR, RUNC, Runtime, sleepMs, uniqueId, useLeakChecks, which, work } from '../helpers/harness';
import { CGROUP_MODE, IN_GUEST, PURE_V2, skipUnless, SYSTEMD } from '../helpers/host-kind';
import {
  asUser, cleanUser, ensureTestUser, ownedBy, rootlessBundle, rtAs, TestUser, userEnv, userProcs, userRoot, xdgDir,
} from '../helpers/rootless';

const USER_UNIT = ['/lib/systemd/system/user@.service', '/usr/lib/systemd/system/user@.service'].some((f) => fs.existsSync(f)) && !!which('loginctl');
const why = !SYSTEMD ? 'systemd is not PID 1 here: test/vm/run.sh runs these in a guest with systemd'
  : !PURE_V2 ? `needs a pure cgroup v2 host (this one is ${CGROUP_MODE}): a user instance is delegated the cgroup v2 hierarchy only`
    : 'no user@.service or loginctl: no systemd user instances here';
const SD = skipUnless(SYSTEMD && PURE_V2 && USER_UNIT, why);
const SD_RUNC = skipUnless(SYSTEMD && PURE_V2 && USER_UNIT && !!RUNC, SYSTEMD && PURE_V2 && USER_UNIT ? 'runc is not installed' : why);
const MiB = 1024 * 1024;
const T = IN_GUEST ? 10 : 1;

let u: TestUser;
const bus = () => `unix:path=/run/user/${u.uid}/bus`;
/** The user's environment plus its session bus (XDG_RUNTIME_DIR stays the test's: the state roots are there). */
const env = (extra: Record<string, string> = {}) => userEnv(u, { DBUS_SESSION_BUS_ADDRESS: bus(), ...extra });
const sd = (r: Runtime, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Result =>
  rtAs(u, r, ['--systemd-cgroup', ...args], { cwd: opts.cwd, env: opts.env ?? env() });
/** `systemctl --user` as the user, over the instance's private socket (it works while the session bus is down). */
const userctl = (...args: string[]) => asUser(u, 'systemctl', ['--user', '--no-pager', ...args], { env: userEnv(u, { XDG_RUNTIME_DIR: `/run/user/${u.uid}` }) });
/** The instance answers on its session bus. */
const onBus = () => asUser(u, 'busctl', ['--user', 'call', 'org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.DBus.Peer', 'Ping'], { env: env() }).code === 0;
const show = (unit: string, props: string[]) => userctl('show', unit, ...props.flatMap((p) => ['-p', p])).stdout.trim().split('\n').sort();
const unitGone = (unit: string) => userctl('status', unit).code === 4;
/** The user instance's cgroup and a unit's cgroup directory in it. */
const managerDir = () => `/sys/fs/cgroup/user.slice/user-${u.uid}.slice/user@${u.uid}.service`;
const unitDir = (unit: string, slice = 'user.slice') => path.join(managerDir(), slice, unit);
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
const stateOf = (r: Runtime, id: string) => JSON.parse(rtAs(u, r, ['state', id], { env: env() }).stdout || '{}').status as string | undefined;
const bundle = (args: string[], mutate?: (c: any) => void) => rootlessBundle(u, args, mutate);

function waitFor(what: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (!what()) { if (Date.now() > deadline) return false; sleepMs(100); }
  return true;
}

const root = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const managerActive = () => root('systemctl', 'is-active', `user@${u.uid}.service`).stdout.trim() === 'active';

/** The user's systemd instance, started as a lingering user's is (no login session), with its bus. */
function startManager(): void {
  const r = root('loginctl', 'enable-linger', u.name);
  if (r.status !== 0) throw new Error(`loginctl enable-linger ${u.name}: ${r.stderr}`);
  // the bus daemon is socket-activated: started now (onBus), so that it is no process of any test's
  if (!waitFor(() => managerActive() && fs.existsSync(`/run/user/${u.uid}/bus`) && onBus(), 30_000 * T)) throw new Error(`user@${u.uid}.service did not start`);
}

/** Undo startManager: no lingering, the instance and its runtime directory gone. */
function stopManager(): void {
  root('loginctl', 'disable-linger', u.name);
  root('systemctl', 'stop', `user@${u.uid}.service`);
  waitFor(() => !managerActive() && !fs.existsSync(`/run/user/${u.uid}/bus`), 30_000 * T);
}

/** A process of the user's instance itself (systemd --user, sd-pam, its bus daemon), not a test's. */
function ofManager(pid: number): boolean {
  try {
    const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    return cg.includes(`/user@${u.uid}.service/init.scope`) || cg.includes(`/user@${u.uid}.service/app.slice/`) || cg.includes(`/user@${u.uid}.service/session.slice/`);
  } catch { return true; }
}

describeRoot('rootless --systemd-cgroup: the user\'s systemd instance (issue 19)', () => {
  useLeakChecks();
  let before: number[] = [];
  beforeAll(() => {
    if (!(SYSTEMD && PURE_V2 && USER_UNIT)) return;
    u = ensureTestUser();
    // for the whole file (its runtime directory is a mount the leak checks would see come and go)
    startManager();
  }, 120_000 * T);
  afterAll(() => { if (u) stopManager(); }, 120_000 * T);
  beforeEach(() => { if (u) before = userProcs(u); });
  afterEach(() => {
    if (!u) return;
    const leftNow = () => userProcs(u).filter((p) => !before.includes(p) && !ofManager(p));
    waitFor(() => !leftNow().length, 3000);
    const left = leftNow().map((p) => { try { return `${p} ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`; } catch { return `${p}`; } });
    const states = (['tsrun', 'runc'] as Runtime[]).flatMap((r) => (fs.existsSync(userRoot(u, r)) ? fs.readdirSync(userRoot(u, r)) : []));
    const units = managerActive() ? userctl('list-units', '--all', '--plain', '--no-legend', `*-${process.pid}-*`).stdout.trim() : '';
    for (const r of ['tsrun', 'runc'] as Runtime[]) for (const id of fs.existsSync(userRoot(u, r)) ? fs.readdirSync(userRoot(u, r)) : []) sd(r, ['delete', '--force', id]);
    cleanUser(u, [...before, ...userProcs(u).filter(ofManager)]);
    expect({ left, states, units }).toEqual({ left: [], states: [], units: '' });
  });

  SD.test(SD.name('without the user\'s systemd instance: refused naming --systemd-cgroup, where it looked and the fix (loginctl enable-linger); runc fails too'), () => {
    const dir = bundle(['true']);
    stopManager();
    try {
      const t = sd('tsrun', ['run', '--bundle', dir, uniqueId('rsn')], { cwd: dir, env: userEnv(u) });
      expect(t.code).toBe(1);
      expect(errMsg(t.stderr)).toMatch(new RegExp(`^--systemd-cgroup: a rootless container is made by the user's own systemd instance \\(user@${u.uid}\\.service\\), and it cannot be reached: `
        + `\\$XDG_RUNTIME_DIR/bus \\(${xdgDir(u)}/bus\\): no such socket; /run/user/${u.uid}/bus \\(/run/user/${u.uid}/bus\\): no such socket; .*`
        + `Start it: log in as the user \\(a login session\\), or as root \`loginctl enable-linger ${u.name}\` .*DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/${u.uid}/bus`));
      const r = sd('runc', ['run', '--bundle', dir, uniqueId('rsn')], { cwd: dir, env: userEnv(u) });
      expect(r.code).toBe(1);
      expect(errMsg(r.stderr)).toMatch(/failed to connect to dbus/);
    } finally {
      startManager();
    }
  });

  SD.test(SD.name('run: the scope is the user instance\'s (user.slice, Delegate=yes); memory.max and pids.max are set, a fork past pids.max fails'), () => {
    const id = uniqueId('rsr');
    const unit = `runc-${id}.scope`;
    // sh (1) forks sh (2) forking sleeps (3, 4) until a fork fails: busybox sh exits 2 then
    const probe = 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; sh -c \'i=0; while :; do sleep 30 & i=$((i+1)); echo $i; done\'; echo "exit $?"';
    const dir = bundle(['sh', '-c', probe], (c) => { c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 4 } }; });
    const t = sd('tsrun', ['run', '--bundle', dir, id], { cwd: dir });
    // the container's cgroup namespace is rooted at the scope
    expect(t).toMatchObject({ code: 0, stdout: `0::/\n${64 * MiB}\n4\n1\n2\nexit 2\n` });
    expect(t.stderr).toMatch(/can't fork/);
    expect(unitGone(unit)).toBe(true);
    expect(fs.existsSync(unitDir(unit))).toBe(false);
  });

  SD.test(SD.name('run -d, exec, pause/resume, update, events, kill --all, delete: the unit\'s properties and files; exec joins the scope (systemd moves it); delete leaves no unit, no cgroup'), () => {
    const id = uniqueId('rsd');
    const unit = `runc-${id}.scope`;
    const dir = bundle(['sleep', '1000'], (c) => { c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 }, cpu: { shares: 512, quota: 50000, period: 100000 } }; });
    const pidFile = path.join(xdgDir(u), `${id}.pid`);
    expect(sd('tsrun', ['run', '-d', '--pid-file', pidFile, '--bundle', dir, id], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const cg = unitDir(unit);
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::${cg.slice('/sys/fs/cgroup'.length)}\n`);
    expect(show(unit, ['Slice', 'Delegate', 'MemoryMax', 'TasksMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'ActiveState']))
      .toEqual(['ActiveState=active', 'CPUQuotaPerSecUSec=500ms', 'CPUWeight=20', 'Delegate=yes', `MemoryMax=${64 * MiB}`, 'Slice=user.slice', 'TasksMax=20']);
    expect(['memory.max', 'pids.max', 'cpu.weight', 'cpu.max'].map((f) => read(cg, f))).toEqual([String(64 * MiB), '20', '20', '50000 100000']);
    // the scope is the user's (Delegate=yes in its own instance)
    expect(fs.statSync(cg).uid).toBe(u.uid);
    // exec from outside the user's tree (this test's cgroup is root's): systemd moves the process
    expect(sd('tsrun', ['exec', id, 'cat', '/proc/self/cgroup'])).toMatchObject({ code: 0, stdout: '0::/\n' });
    expect(sd('tsrun', ['pause', id]).code).toBe(0);
    expect([stateOf('tsrun', id), read(cg, 'cgroup.freeze')]).toEqual(['paused', '1']);
    expect(sd('tsrun', ['resume', id]).code).toBe(0);
    expect(stateOf('tsrun', id)).toBe('running');
    expect(sd('tsrun', ['update', '--memory', '100m', '--pids-limit', '50', id])).toMatchObject({ code: 0, stderr: '' });
    expect(show(unit, ['MemoryMax', 'TasksMax'])).toEqual([`MemoryMax=${100 * MiB}`, 'TasksMax=50']);
    expect(['memory.max', 'pids.max'].map((f) => read(cg, f))).toEqual([String(100 * MiB), '50']);
    const ev = JSON.parse(sd('tsrun', ['events', '--stats', id]).stdout);
    expect(ev.data.pids).toMatchObject({ current: 1, limit: 50 });
    expect(ev.data.memory.usage.limit).toBe(100 * MiB);
    expect(sd('tsrun', ['kill', '--all', id, 'KILL']).code).toBe(0);
    expect(waitFor(() => stateOf('tsrun', id) === 'stopped', 10_000 * T)).toBe(true);
    expect(sd('tsrun', ['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(unitGone(unit)).toBe(true);
    expect(fs.existsSync(cg)).toBe(false);
  });

  SD.test(SD.name('create then delete: the unit exists while created and nothing is left after (no unit, no cgroup, no state)'), () => {
    const id = uniqueId('rsc');
    const unit = `runc-${id}.scope`;
    const dir = bundle(['true']);
    expect(sd('tsrun', ['create', '--bundle', dir, id], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
    expect(show(unit, ['ActiveState'])).toEqual(['ActiveState=active']);
    expect(fs.existsSync(unitDir(unit))).toBe(true);
    expect(sd('tsrun', ['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(unitGone(unit)).toBe(true);
    expect(fs.existsSync(unitDir(unit))).toBe(false);
    expect(fs.existsSync(path.join(userRoot(u, 'tsrun'), id))).toBe(false);
  });

  SD.test(SD.name('a limit whose controller the user instance is not delegated (io) is refused naming the field and the drop-in; nothing is made (runc: the file is missing)'), () => {
    const have = read(managerDir(), 'cgroup.controllers').split(' ');
    expect(have).not.toContain('io'); // Debian's user@.service: Delegate=pids memory cpu
    const id = uniqueId('rsi');
    const dir = bundle(['true'], (c) => { c.linux.resources = { blockIO: { weight: 500 } }; });
    const t = sd('tsrun', ['run', '--bundle', dir, id], { cwd: dir });
    expect(t.code).toBe(1);
    expect(errMsg(t.stderr)).toBe(`linux.resources.blockIO.weight: cannot set the io limit: the user's systemd instance (user@${u.uid}.service, ${managerDir()}) is not delegated `
      + `the io controller (it has: ${have.join(' ')}), so systemd would accept the limit and not apply it. As root, delegate it with a drop-in `
      + '/etc/systemd/system/user@.service.d/delegate.conf of "[Service]" and "Delegate=cpu cpuset io memory pids", '
      + `then \`systemctl daemon-reload\` and restart user@${u.uid}.service (or log in again); or drop the field`);
    expect(unitGone(`runc-${id}.scope`)).toBe(true);
    if (!RUNC) return;
    // runc 1.1.5 sends IOWeight, which systemd accepts without applying, then fails on the file
    const r = sd('runc', ['run', '--bundle', dir, uniqueId('rsi')], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/openat2 \S+\/io\.weight: no such file or directory/);
  });

  SD_RUNC.test(SD_RUNC.name('differential: the same unit properties and cgroup files as runc rootless --systemd-cgroup; runc\'s exec stays outside the scope, tsrun\'s joins it'), () => {
    const props = ['Slice', 'Delegate', 'ControlGroup', 'DefaultDependencies', 'MemoryAccounting', 'TasksAccounting', 'MemoryMax', 'MemoryLow', 'TasksMax', 'CPUWeight', 'CPUQuotaPerSecUSec', 'ActiveState'];
    const files = ['memory.max', 'memory.low', 'pids.max', 'cpu.weight', 'cpu.max'];
    const name = `rsdiff-${process.pid}`;
    const unit = `tsrun-e2e-${name}.scope`;
    const of = (r: Runtime) => {
      const dir = bundle(['sleep', '1000'], (c) => {
        c.linux.cgroupsPath = `user.slice:tsrun-e2e:${name}`;
        c.linux.resources = { memory: { limit: 64 * MiB, reservation: 32 * MiB }, pids: { limit: 30 }, cpu: { shares: 1024, quota: 33333, period: 100000 } };
      });
      const id = uniqueId(`rsd${r[0]}`);
      const run = sd(r, ['run', '-d', '--bundle', dir, id], { cwd: dir });
      expect({ r, code: run.code, err: run.code ? run.stderr : '' }).toEqual({ r, code: 0, err: '' });
      const out = {
        props: show(unit, props),
        files: files.map((f) => `${f}=${read(unitDir(unit), f)}`),
        exec: sd(r, ['exec', id, 'cat', '/proc/self/cgroup']).stdout.trim(),
      };
      expect(sd(r, ['delete', '--force', id]).code).toBe(0);
      expect(waitFor(() => unitGone(unit), 10_000 * T)).toBe(true);
      expect(fs.existsSync(unitDir(unit))).toBe(false);
      return out;
    };
    const runc = of('runc');
    expect(runc.props).toContain(`MemoryMax=${64 * MiB}`);
    const ts = of('tsrun');
    expect(ts.props).toEqual(runc.props);
    expect(ts.files).toEqual(runc.files);
    // runc 1.1.5 ignores a rootless exec's failed cgroup join: its process runs outside the scope
    expect(runc.exec).toMatch(/^0::\/\.\.\//);
    expect(ts.exec).toBe('0::/');
  });

  // ---- podman ----------------------------------------------------------------------------

  const FLOW = [path.resolve(ROOT_DIR, '../shared/clients'), path.resolve(ROOT_DIR, '../../shared/clients')]
    .map((d) => path.join(d, 'podman-flow.sh')).find((f) => fs.existsSync(f));
  const podmanReady = !!which('podman') && !!which('conmon') && !!FLOW;
  const SD_PODMAN = skipUnless(SYSTEMD && PURE_V2 && USER_UNIT && podmanReady, SYSTEMD && PURE_V2 && USER_UNIT ? 'podman, conmon or ../shared/clients/podman-flow.sh absent' : why);
  SD_PODMAN.test(SD_PODMAN.name('rootless podman with the systemd cgroup manager and --runtime tsrun: run, exec, pause, stop, rm; the container\'s scope in the user instance; runc the same'), () => {
    const steps = (rt: string): { steps: Record<string, string>; argv: string; log: string } => {
      // short: podman refuses a runroot path longer than 50 characters
      const w = ownedBy(u, fs.mkdtempSync(path.join(work(), 'rl-dir-')));
      // the flow as is, with podman's systemd cgroup manager (as clients-systemd.sh switches it)
      const flow = path.join(w, 'podman-flow.sh');
      fs.writeFileSync(flow, fs.readFileSync(FLOW!, 'utf8').replace(/^HERE=.*$/m, `HERE=${path.dirname(FLOW!)}`).replace('--cgroup-manager cgroupfs', '--cgroup-manager systemd'));
      const mine = userProcs(u);
      // a login session's environment: conmon gives the runtime XDG_RUNTIME_DIR and nothing of
      // the bus, and runc and crun find the user's bus only through it (tsrun: /run/user/UID too)
      const r = asUser(u, '/bin/bash', [flow, rt, path.join(w, 'flow')], {
        timeout: 480_000 * Math.min(T, 2), env: env({ XDG_RUNTIME_DIR: `/run/user/${u.uid}`, PODMAN_ULIMITS: '--ulimit nofile=4096:4096 --ulimit nproc=4096:4096' }),
      });
      // rootless podman keeps a pause process (catatonit) holding its user namespace: ours, by pid
      for (const p of userProcs(u).filter((x) => !mine.includes(x))) {
        try { if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'catatonit') process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      }
      const out: Record<string, string> = {};
      for (const m of r.stdout.matchAll(/-> (ok|FAILED rc=\d+) \(([^)]+)\)/g)) out[m[2]] = m[1];
      let argv = '';
      try { argv = fs.readFileSync(path.join(w, 'flow', 'argv.log'), 'utf8'); } catch { /* no log */ }
      return { steps: out, argv, log: `${r.stdout}\n${r.stderr}`.slice(0, 6000) };
    };
    const ok = (x: { steps: Record<string, string>; log: string }) => ({ steps: x.steps, log: Object.values(x.steps).every((v) => v === 'ok') ? '' : x.log });
    const t = steps(fs.realpathSync(path.join(ROOT_DIR, 'bin/tsrun')));
    const all = { 'run --rm': 'ok', 'run --rm -t': 'ok', 'run -d': 'ok', ps: 'ok', exec: 'ok', 'exec -t': 'ok', top: 'ok', pause: 'ok', unpause: 'ok', stop: 'ok', rm: 'ok' };
    expect(ok(t)).toEqual({ steps: all, log: '' });
    // podman passed the driver to the runtime
    expect(t.argv).toMatch(/caller=conmon .*argv: --systemd-cgroup create /);
    if (RUNC) expect(ok(steps(RUNC))).toEqual({ steps: all, log: '' });
  }, 1_200_000);

  // last: the session bus is down for a while (other tests' podman and runc need it)
  SD.test(SD.name('no session bus (the user\'s dbus stopped, as without dbus-user-session): tsrun reaches the instance on its private socket; runc cannot'), () => {
    // dbus.service refuses a manual stop; stopping its socket stops it
    expect(userctl('stop', 'dbus.socket')).toMatchObject({ code: 0, stderr: '' });
    try {
      expect(userctl('is-active', 'dbus.service').stdout.trim()).not.toBe('active');
      const id = uniqueId('rsp');
      const dir = bundle(['cat', '/sys/fs/cgroup/pids.max'], (c) => { c.linux.resources = { pids: { limit: 7 } }; });
      expect(sd('tsrun', ['run', '--bundle', dir, id], { cwd: dir })).toMatchObject({ code: 0, stdout: '7\n', stderr: '' });
      expect(unitGone(`runc-${id}.scope`)).toBe(true);
      const r = sd('runc', ['run', '--bundle', dir, uniqueId('rsp')], { cwd: dir });
      expect(r.code).toBe(1);
      expect(errMsg(r.stderr)).toMatch(/dbus/);
    } finally {
      // back on the bus: the instance registers there once dbus runs again
      expect(userctl('start', 'dbus.socket', 'dbus.service').code).toBe(0);
      expect(waitFor(onBus, 30_000 * T)).toBe(true);
    }
  });
});
