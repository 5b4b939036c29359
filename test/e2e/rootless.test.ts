// Rootless containers (issue 19): tsrun run by a dedicated unprivileged user (made by
// test/helpers/rootless.ts, kept between runs; whatever it leaves is removed after each test),
// with `tsrun spec --rootless`'s config, against runc 1.1.5 run rootless by the same user on
// the same bundle. This host: cgroup v1 + cgroup2 at /sys/fs/cgroup/unified, no systemd, so
// the user has no cgroup delegation unless a test chowns one to it.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { consoleSocket, readUntil } from '../helpers/console';
import { ENOSYS_MODE } from '../helpers/enosys-mode';
import {
  Bundle, describeRoot, errMsg, Result, ROOT_DIR, RUNC, Runtime, sharedRootfs, sleepMs, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks, which, work,
} from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';
import {
  asUser, cleanUser, ensureTestUser, HAS_UIDMAP, ownedBy, RL_COUNT, rootlessBundle, rtAs, TestUser, userEnv, userProcs, userRoot, xdgDir,
} from '../helpers/rootless';

let u: TestUser;

/** A bundle written by `tsrun spec --rootless` run as the user, on the shared busybox rootfs. */
const rlBundle = (args: string[], mutate?: (c: any) => void, rootfs = sharedRootfs()): string => rootlessBundle(u, args, mutate, rootfs);

const run = (rt: Runtime, dir: string, id = uniqueId(`rl${rt[0]}`), global: string[] = []): Result =>
  rtAs(u, rt, [...global, 'run', '--bundle', dir, id], { cwd: dir });

/** A directory for the container to bind, owned by the user. */
const userDir = () => ownedBy(u, fs.mkdtempSync(path.join(work(), 'rl-dir-')));

/** Subordinate ids: container 0 = the user, 1.. = its /etc/subuid range (newuidmap). */
function subMappings(c: any): void {
  c.linux.uidMappings = [{ containerID: 0, hostID: u.uid, size: 1 }, { containerID: 1, hostID: u.subuid, size: RL_COUNT }];
  c.linux.gidMappings = [{ containerID: 0, hostID: u.gid, size: 1 }, { containerID: 1, hostID: u.subgid, size: RL_COUNT }];
}

function waitStopped(rt: Runtime, id: string): string {
  let st = '';
  for (let i = 0; i < 100; i++) {
    const r = rtAs(u, rt, ['state', id]);
    st = r.code === 0 ? JSON.parse(r.stdout).status : 'gone';
    if (st === 'stopped' || st === 'gone') break;
    sleepMs(50);
  }
  return st;
}

function hostUids(pid: number): number[] {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))!;
  return m.slice(1).map(Number);
}

/** The message of the error line (runc logs warnings first). */
function errLine(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('level=error')) ?? stderr;
  return errMsg(line);
}

/** A pure cgroup v2 host (the v2 guest of test/vm): one hierarchy, no per-controller directories. */
const V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

const inUserIds = (id: number) => id === u.uid || (id >= u.subuid && id < u.subuid + RL_COUNT);

describeRoot('rootless: tsrun run by an unprivileged user (issue 19)', () => {
  useLeakChecks();
  let before: number[] = [];
  beforeAll(() => {
    u = ensureTestUser();
    // mount points the tests bind onto (the container's root may not mkdir in a root-owned rootfs)
    for (const d of ['h', 'w']) fs.mkdirSync(path.join(sharedRootfs(), d), { recursive: true });
  });
  beforeEach(() => { before = userProcs(u); });
  afterEach(() => {
    // nothing of the user's may outlive a test: its processes (containers, podman's pause
    // process) and its containers' state
    const deadline = Date.now() + 3000;
    let left = userProcs(u).filter((p) => !before.includes(p));
    while (left.length && Date.now() < deadline) { sleepMs(50); left = userProcs(u).filter((p) => !before.includes(p)); }
    const describe = (p: number) => {
      try { return `${p} ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()} (${/State:\s+(\S)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]}, ppid ${/PPid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]})`; } catch { return `${p} (gone)`; }
    };
    const leftNow = left.map(describe);
    const states = (['tsrun', 'runc'] as Runtime[]).flatMap((r) => (fs.existsSync(userRoot(u, r)) ? fs.readdirSync(userRoot(u, r)) : []));
    cleanUser(u, before);
    expect({ left: leftNow, states }).toEqual({ left: [], states: [] });
  });

  test('the test user: unprivileged, with subordinate ranges; newuidmap/newgidmap installed (uidmap)', () => {
    expect(u.uid).toBeGreaterThan(0);
    const r = asUser(u, '/bin/sh', ['-c', 'id -u; grep -E "^Cap(Eff|Prm)" /proc/self/status']);
    expect(r.stdout).toBe(`${u.uid}\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n`);
    expect(u.subuid).toBeGreaterThanOrEqual(100000);
    expect(HAS_UIDMAP).toBe(true);
  });

  test('spec --rootless runs as the user: its own ids mapped, setgroups denied, the same container as runc rootless', () => {
    const probe = 'id; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status; '
      + 'hostname; ls /dev | sort | tr "\\n" " "; echo; awk \'$2 != "/sys/fs/cgroup" {print $2, $3}\' /proc/self/mounts | sort; touch /rootfs-is-ro 2>&1 | sed "s/.*: //"';
    const dir = rlBundle(['sh', '-c', probe]);
    const t = run('tsrun', dir);
    expect(t).toMatchObject({ code: 0, stderr: '' });
    expect(t.stdout).toContain(`uid=0(root) gid=0(root) groups=0(root)\n         0       ${u.uid}          1\n         0       ${u.gid}          1\ndeny\n`);
    const r = run('runc', dir);
    expect(r.code).toBe(0);
    expect(t.stdout).toBe(r.stdout);
    // /sys/fs/cgroup (left out of the comparison): tsrun's is read-only, tmpfs and hierarchies
    // (v1) or the cgroup bound (v2: cgroup2 cannot be mounted from the user namespace); runc's v1
    // tmpfs is writable, its v2 one an empty tmpfs
    const cg = run('tsrun', rlBundle(['sh', '-c', 'touch /sys/fs/cgroup/x 2>&1 | sed "s/.*: //"; grep " /sys/fs/cgroup " /proc/self/mountinfo | tail -1 | cut -d" " -f6']));
    expect(cg.stdout).toMatch(/^Read-only file system\nro,/);
  });

  test('state root: $XDG_RUNTIME_DIR/tsrun when not root (0700 and sticky, as runc); state dir 0711, state.json 0600, the user\'s', () => {
    const dir = rlBundle(['sleep', '100']);
    const id = uniqueId('rls');
    expect(rtAs(u, 'tsrun', ['create', '--bundle', dir, id], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
    const root = userRoot(u, 'tsrun');
    const st = fs.statSync(root);
    expect({ mode: (st.mode & 0o7777).toString(8), uid: st.uid }).toEqual({ mode: '1700', uid: u.uid });
    expect(rtAs(u, 'runc', ['list']).code).toBe(0);
    expect((fs.statSync(userRoot(u, 'runc')).mode & 0o7777).toString(8)).toBe('1700');
    const sd = path.join(root, id);
    expect((fs.statSync(sd).mode & 0o7777).toString(8)).toBe('711');
    const sf = fs.statSync(path.join(sd, 'state.json'));
    expect({ mode: (sf.mode & 0o7777).toString(8), uid: sf.uid }).toEqual({ mode: '600', uid: u.uid });
    // runc's list shows the owner: the user
    expect(rtAs(u, 'tsrun', ['list']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+created\\s+.*${u.name}\\n`));
    // without XDG_RUNTIME_DIR a user has no default it can write: the error names --root
    const noXdg = rtAs(u, 'tsrun', ['create', '--bundle', dir, uniqueId()], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
    expect(noXdg.code).toBe(1);
    expect(errMsg(noXdg.stderr)).toMatch(/^--root \/run\/tsrun: cannot create the state directory for container .*: permission denied: --root must be a writable directory$/);
    expect(rtAs(u, 'tsrun', ['delete', '--force', id]).code).toBe(0);
  });

  test('lifecycle as the user: create, start, state, ps, exec, events, kill, delete; kill --all and ps find the processes without a cgroup', () => {
    const dir = rlBundle(['sh', '-c', 'sleep 1000 & exec sleep 1001']);
    const id = uniqueId('rll');
    const pidFile = path.join(xdgDir(u), `${id}.pid`);
    expect(rtAs(u, 'tsrun', ['create', '--bundle', dir, '--pid-file', pidFile, id], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
    const init = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(JSON.parse(rtAs(u, 'tsrun', ['state', id]).stdout)).toMatchObject({ status: 'created', pid: init });
    expect(rtAs(u, 'tsrun', ['start', id]).code).toBe(0);
    expect(JSON.parse(rtAs(u, 'tsrun', ['state', id]).stdout).status).toBe('running');
    // the container's processes run as the user on the host
    expect(hostUids(init)).toEqual([u.uid, u.uid, u.uid, u.uid]);
    let pids: number[] = [];
    for (let i = 0; i < 50 && pids.length < 2; i++) { pids = JSON.parse(rtAs(u, 'tsrun', ['ps', '--format', 'json', id]).stdout); sleepMs(20); }
    expect(pids).toContain(init);
    expect(pids).toHaveLength(2);
    // the table is the host's `ps -ef` filtered (user-mode Linux guests: ps cannot read the boot time, tsrun says so)
    const hostPs = asUser(u, 'ps', ['-ef']);
    if (hostPs.code === 0) expect(rtAs(u, 'tsrun', ['ps', id]).stdout).toMatch(/sleep 1001/);
    else expect(errMsg(rtAs(u, 'tsrun', ['ps', id]).stderr)).toBe(`ps: ${hostPs.stderr.trim()}`);
    expect(rtAs(u, 'tsrun', ['exec', id, 'sh', '-c', 'echo from-exec $(id -u)'])).toMatchObject({ code: 0, stdout: 'from-exec 0\n' });
    // runc's own refusal for exec, as runc: no supplementary groups, no unmapped user
    expect(errMsg(rtAs(u, 'tsrun', ['exec', '-g', '5', id, 'true']).stderr)).toMatch(/--additional-gids: cannot set any additional groups in a rootless container/);
    expect(errMsg(rtAs(u, 'tsrun', ['exec', '-u', '5', id, 'true']).stderr)).toBe('exec failed: --user: cannot set uid to unmapped user in user namespace (uid 5 is not in linux.uidMappings)');
    const ev = rtAs(u, 'tsrun', ['events', '--stats', id]);
    expect(ev.code).toBe(0);
    // runc's zero stats where there is no cgroup (v1's shape; v2 has none without a cgroup)
    expect(JSON.parse(ev.stdout)).toMatchObject({ type: 'stats', id, data: V2 ? {} : { memory: { usage: { limit: 0 } } } });
    expect(rtAs(u, 'tsrun', ['kill', '--all', id, 'KILL'])).toMatchObject({ code: 0, stderr: '' });
    expect(waitStopped('tsrun', id)).toBe('stopped');
    for (const p of pids) expect(fs.existsSync(`/proc/${p}`) && !/State:\s+Z/.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'))).toBe(false);
    expect(rtAs(u, 'tsrun', ['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.existsSync(path.join(userRoot(u, 'tsrun'), id))).toBe(false);
  });

  test('runc rootless fails ps and kill --all without a cgroup (tsrun finds the processes in the pid namespace)', () => {
    const dir = rlBundle(['sleep', '1000']);
    const id = uniqueId('rlr');
    expect(rtAs(u, 'runc', ['run', '-d', '--bundle', dir, id], { cwd: dir }).code).toBe(0);
    expect(errLine(rtAs(u, 'runc', ['ps', id]).stderr)).toMatch(/unable to get all container pids: lstat \S*: no such file or directory/);
    expect(rtAs(u, 'runc', ['kill', '--all', id, 'KILL']).code).toBe(1);
    expect(rtAs(u, 'runc', ['delete', '--force', id]).code).toBe(0);
  });

  test('exec -t and create with a terminal, through a console socket, as the user', async () => {
    const dir = rlBundle(['sh', '-c', 'tty; read x; echo got:$x'], (c) => { c.process.terminal = true; });
    const id = uniqueId('rlt');
    const cs = consoleSocket();
    try {
      for (let i = 0; i < 100 && !fs.existsSync(cs.path); i++) await new Promise((r) => setTimeout(r, 10));
      ownedBy(u, cs.path);
      expect(rtAs(u, 'tsrun', ['create', '--bundle', dir, '--console-socket', cs.path, id], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
      const master = await cs.master();
      expect(rtAs(u, 'tsrun', ['start', id]).code).toBe(0);
      expect(readUntil(master, /\/dev\/pts\/0\r?\n/)).toMatch(/^\/dev\/pts\/0/);
      const ex = consoleSocket();
      try {
        for (let i = 0; i < 100 && !fs.existsSync(ex.path); i++) await new Promise((r) => setTimeout(r, 10));
        ownedBy(u, ex.path);
        expect(rtAs(u, 'tsrun', ['exec', '-t', '--console-socket', ex.path, '-d', id, 'sh', '-c', 'tty; sleep 1'])).toMatchObject({ code: 0, stderr: '' });
        const em = await ex.master();
        expect(readUntil(em, /\/dev\/pts\/\d+\r?\n/)).toMatch(/^\/dev\/pts\/[1-9]/);
        fs.closeSync(em);
      } finally {
        ex.close();
      }
      fs.writeSync(master, 'hi\n');
      expect(readUntil(master, /got:hi/)).toContain('got:hi');
      fs.closeSync(master);
    } finally {
      cs.close();
      rtAs(u, 'tsrun', ['delete', '--force', id]);
    }
  });

  test('hooks run as the user (prestart, poststart, poststop)', () => {
    const out = userDir();
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `id -u > ${out}/${name}`] });
    const dir = rlBundle(['true'], (c) => { c.hooks = { prestart: [hook('prestart')], poststart: [hook('poststart')], poststop: [hook('poststop')] }; });
    expect(run('tsrun', dir)).toMatchObject({ code: 0, stderr: '' });
    for (const h of ['prestart', 'poststart', 'poststop']) expect(fs.readFileSync(path.join(out, h), 'utf8')).toBe(`${u.uid}\n`);
  });

  test('cgroups without delegation: limits not asked for are no error; a limit asked for is refused naming the field; runc the same', () => {
    // runc spec's device rules (deny all) cannot be written by the user: ignored, as runc does
    const devs = rlBundle(['true'], (c) => { c.linux.resources = { devices: [{ allow: false, access: 'rwm' }] }; });
    expect(run('tsrun', devs)).toMatchObject({ code: 0, stderr: '' });
    expect(run('runc', devs).code).toBe(0);
    const mem = rlBundle(['true'], (c) => { c.linux.resources = { memory: { limit: 64 << 20 } }; });
    const t = run('tsrun', mem);
    expect(t.code).toBe(1);
    expect(errMsg(t.stderr)).toMatch(/^linux\.resources\.memory\.limit: cannot set the memory limit: container could not join or create cgroup \(a rootless container only gets the cgroups its user may create: delegate/);
    const r = run('runc', mem);
    expect(r.code).toBe(1);
    // runc's fs2 refuses any limit up front on v2
    const runcRefusal = (what: string) => (V2 ? /rootless needs no limits \+ no cgrouppath when no permission is granted for cgroups/ : new RegExp(`cannot set ${what} limit: container could not join or create cgroup`));
    expect(errLine(r.stderr)).toMatch(runcRefusal('memory'));
    const pids = rlBundle(['true'], (c) => { c.linux.resources = { pids: { limit: 50 } }; });
    expect(errMsg(run('tsrun', pids).stderr)).toMatch(/^linux\.resources\.pids\.limit: cannot set the pids limit: container could not join or create cgroup/);
    expect(errLine(run('runc', pids).stderr)).toMatch(runcRefusal('pids'));
    // an explicit cgroupsPath is never left out: its mkdir fails, as runc's does
    const name = `rl-explicit-${process.pid}`;
    const explicit = rlBundle(['true'], (c) => { c.linux.cgroupsPath = `/${name}`; });
    expect(errMsg(run('tsrun', explicit).stderr)).toMatch(new RegExp(`^mkdir /sys/fs/cgroup/(\\w+/)?${name}: permission denied$`));
    expect(errLine(run('runc', explicit).stderr)).toMatch(new RegExp(`mkdir /sys/fs/cgroup/(\\w+/)?${name}: permission denied`));
  });

  test('--rootless: false makes cgroup errors fatal (as runc); a bad value names the flag; true as root changes nothing root may do', () => {
    const dir = rlBundle(['true']);
    const f = run('tsrun', dir, uniqueId(), ['--rootless', 'false']);
    expect(errMsg(f.stderr)).toMatch(/^mkdir \/sys\/fs\/cgroup\/\S+: permission denied$/);
    expect(errLine(run('runc', dir, uniqueId(), ['--rootless', 'false']).stderr)).toMatch(/mkdir \/sys\/fs\/cgroup\/\S+: permission denied/);
    expect(errMsg(run('tsrun', dir, uniqueId(), ['--rootless', 'maybe']).stderr)).toBe('--rootless maybe: invalid value: must be true, false or auto');
    expect(run('runc', dir, uniqueId(), ['--rootless', 'maybe']).code).toBe(1);
    // as root: every hierarchy joined, the limit written
    const b = new Bundle((c) => { c.linux.resources = { memory: { limit: 64 << 20 } }; }).args('cat', V2 ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes');
    const id = uniqueId();
    b.config.linux.namespaces.push({ type: 'cgroup' });
    b.write();
    expect(tsrun(['--rootless', 'true', 'run', '--bundle', b.dir, id])).toMatchObject({ code: 0, stdout: `${64 << 20}\n` });
  });

  test(`delegated cgroups (${V2 ? 'v2: a subtree chowned to the user, as systemd\'s Delegate=yes' : 'v1: freezer, memory, pids chowned to the user'}): pause/resume and limits work, the rest left out; runc the same`, () => {
    const base = `rl-deleg-${process.pid}`;
    // v1: one directory per delegated hierarchy, the user's session in it; v2: the subtree D
    // (controllers enabled by root while it is empty) with the session in D/session, so that
    // the container's cgroup (a sibling of the caller's, runc's fs2 rule) is made in D
    const ctrls = V2 ? [''] : ['freezer', 'memory', 'pids'];
    const deleg = V2 ? [`/sys/fs/cgroup/${base}`] : ctrls.map((c) => `/sys/fs/cgroup/${c}/${base}`);
    const own = (d: string, files: string[]) => { for (const f of ['', ...files]) fs.chownSync(path.join(d, f), u.uid, u.gid); };
    for (const d of deleg) {
      fs.mkdirSync(d);
      if (V2) {
        const avail = fs.readFileSync(path.join(d, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
        if (avail.length) fs.writeFileSync(path.join(d, 'cgroup.subtree_control'), avail.map((c) => `+${c}`).join(' '));
        own(d, ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']);
        fs.mkdirSync(path.join(d, 'session'));
        own(path.join(d, 'session'), ['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads']);
      } else own(d, ['cgroup.procs', 'tasks']);
    }
    const session = V2 ? [path.join(deleg[0], 'session')] : deleg;
    // the user's commands start in the delegated cgroups (as a systemd user session would)
    const inDeleg = (rt: Runtime, args: string[], cwd?: string) => {
      const r = rtAs(u, rt, args, { cwd, inCgroups: session });
      return { status: r.code, stdout: r.stdout, stderr: r.stderr };
    };
    const limitFiles: [string, string, string][] = V2
      ? [['', 'memory.max', `${64 << 20}`], ['', 'pids.max', '40']]
      : [['memory', 'memory.limit_in_bytes', `${64 << 20}`], ['pids', 'pids.max', '40']];
    const dirOf = (c: string, id: string) => (V2 ? path.join(deleg[0], id) : `/sys/fs/cgroup/${c}/${base}/${id}`);
    try {
      for (const rt of ['tsrun', 'runc'] as Runtime[]) {
        const dir = rlBundle(['sleep', '1000'], (c) => { c.linux.resources = { memory: { limit: 64 << 20 }, pids: { limit: 40 } }; });
        const id = uniqueId(`rld${rt[0]}`);
        const r = inDeleg(rt, ['run', '-d', '--bundle', dir, id], dir);
        expect({ rt, code: r.status, err: r.stderr }).toEqual({ rt, code: 0, err: '' });
        for (const [c, file, v] of limitFiles) {
          expect({ rt, v: fs.readFileSync(path.join(dirOf(c, id), file), 'utf8').trim() }).toEqual({ rt, v });
        }
        expect(inDeleg(rt, ['pause', id]).status).toBe(0);
        if (V2) expect(fs.readFileSync(path.join(dirOf('', id), 'cgroup.events'), 'utf8')).toMatch(/^frozen 1$/m);
        else expect(fs.readFileSync(path.join(dirOf('freezer', id), 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
        expect(JSON.parse(inDeleg(rt, ['state', id]).stdout).status).toBe('paused');
        expect(inDeleg(rt, ['resume', id]).status).toBe(0);
        expect(JSON.parse(inDeleg(rt, ['state', id]).stdout).status).toBe('running');
        // the hierarchies the user may not write are left out: the container stays in the caller's cgroup there
        if (rt === 'tsrun') expect(Object.keys(JSON.parse(fs.readFileSync(path.join(userRoot(u, 'tsrun'), id, 'state.json'), 'utf8')).cgroupPaths).sort()).toEqual(ctrls);
        expect(inDeleg(rt, ['delete', '--force', id]).status).toBe(0);
        for (const c of ctrls) expect(fs.existsSync(dirOf(c, id))).toBe(false);
      }
    } finally {
      for (const d of deleg) {
        for (const sub of fs.readdirSync(d, { withFileTypes: true })) if (sub.isDirectory()) { try { fs.rmdirSync(path.join(d, sub.name)); } catch { /* busy */ } }
        fs.rmdirSync(d);
      }
    }
  });

  (HAS_UIDMAP ? test : test.skip)('subordinate ids through newuidmap/newgidmap: two mappings, files owned by the subordinate range; runc the same', () => {
    const w = userDir();
    const dir = rlBundle(['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; touch /w/f && chown 1000:1000 /w/f && echo chowned'], (c) => {
      subMappings(c);
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_CHOWN');
      c.mounts.push({ destination: '/w', type: 'bind', source: w, options: ['bind', 'rw'] });
    });
    const t = run('tsrun', dir);
    expect(t).toMatchObject({ code: 0, stderr: '' });
    expect(t.stdout).toBe(`         0       ${u.uid}          1\n         1     ${u.subuid}      65536\n         0       ${u.gid}          1\n         1     ${u.subgid}      65536\nchowned\n`);
    expect([fs.statSync(path.join(w, 'f')).uid, fs.statSync(path.join(w, 'f')).gid]).toEqual([u.subuid + 999, u.subgid + 999]);
    fs.rmSync(path.join(w, 'f'));
    expect(run('runc', dir).stdout).toBe(t.stdout);
    // a range that is not the user's: newuidmap refuses, the error names the field
    const bad = rlBundle(['true'], (c) => { subMappings(c); c.linux.uidMappings[1].hostID = 1; });
    const b = run('tsrun', bad);
    expect(b.code).toBe(1);
    expect(errMsg(b.stderr)).toMatch(new RegExp(`^linux\\.uidMappings: maps more than this user's own uid ${u.uid} \\(a rootless container\\): newuidmap \\d+ 0 ${u.uid} 1 1 1 65536 failed: .+ \\(the ranges must be the user's in /etc/subuid\\)$`));
    expect(run('runc', bad).code).toBe(1);
  });

  test('network namespace by path, the rootlesskit/slirp4netns model: tsrun as root in the user\'s user namespace, joining a network namespace made there; runc the same', () => {
    // the user's namespace holder (as `unshare -r -n`, rootlesskit or podman's pause process make one)
    const holder = spawn('setpriv', ['--reuid', String(u.uid), '--regid', String(u.gid), '--init-groups', '--', 'unshare', '--user', '--map-root-user', '--net', 'sleep', '120'],
      { env: userEnv(u), stdio: 'ignore' });
    try {
      let netns = '';
      for (let i = 0; i < 200 && !netns; i++) {
        try { if (fs.readlinkSync(`/proc/${holder.pid}/ns/user`) !== fs.readlinkSync('/proc/self/ns/user')) netns = fs.readlinkSync(`/proc/${holder.pid}/ns/net`); } catch { /* starting */ }
        if (!netns) sleepMs(10);
      }
      expect(netns).toMatch(/^net:/);
      // runc spec's config less what root in that namespace cannot have: its own user namespace (it is in one), devpts gid=5 (unmapped)
      const dir = rlBundle(['sh', '-c', 'readlink /proc/self/ns/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; id -u'], (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'user').concat([{ type: 'network', path: `/proc/${holder.pid}/ns/net` }]);
        delete c.linux.uidMappings;
        delete c.linux.gidMappings;
      });
      const inNs = (rt: Runtime) => asUser(u, 'nsenter', ['--user', '--preserve-credentials', '-t', String(holder.pid), '--', rt === 'tsrun' ? TSRUN : RUNC!, 'run', uniqueId(`rln${rt[0]}`)], { cwd: dir });
      const t = inNs('tsrun');
      expect(t).toMatchObject({ code: 0, stderr: '', stdout: `${netns}\nlo\n0\n` });
      expect(inNs('runc').stdout).toBe(t.stdout);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  // ---- security ------------------------------------------------------------------------

  test('security: a bind of root-owned host files stays read-only to the container (single and subordinate mappings); runc the same', () => {
    const rootDir = fs.mkdtempSync(path.join(work(), 'rl-rootowned-'));
    fs.chmodSync(rootDir, 0o755);
    fs.writeFileSync(path.join(rootDir, 'file'), 'host\n', { mode: 0o644 });
    const attack = 'for c in "touch /h/new" "echo x >> /h/file" "rm -f /h/file" "chmod 777 /h"; do (eval "$c") 2>&1 | sed "s/.*: //"; done';
    const mounts = (c: any) => { c.mounts.push({ destination: '/h', type: 'bind', source: rootDir, options: ['bind', 'rw'] }); };
    const single = rlBundle(['sh', '-c', attack], mounts);
    const expected = 'Permission denied\nPermission denied\nPermission denied\nOperation not permitted\n';
    for (const rt of ['tsrun', 'runc'] as Runtime[]) expect({ rt, out: run(rt, single).stdout }).toEqual({ rt, out: expected });
    if (HAS_UIDMAP) {
      // as the namespace's uid 1000 (a subordinate id): no better
      const sub = rlBundle(['sh', '-c', attack], (c) => { mounts(c); subMappings(c); c.process.user = { uid: 1000, gid: 1000 }; });
      for (const rt of ['tsrun', 'runc'] as Runtime[]) expect({ rt, out: run(rt, sub).stdout }).toEqual({ rt, out: expected });
    }
    expect(fs.readdirSync(rootDir)).toEqual(['file']);
    expect(fs.readFileSync(path.join(rootDir, 'file'), 'utf8')).toBe('host\n');
    expect(fs.statSync(rootDir).mode & 0o777).toBe(0o755);
  });

  test('security: another user cannot read, signal or delete the user\'s containers (its --root is refused), nor the user root\'s', () => {
    const dir = rlBundle(['sleep', '1000']);
    const id = uniqueId('rlo');
    expect(rtAs(u, 'tsrun', ['run', '-d', '--bundle', dir, id], { cwd: dir }).code).toBe(0);
    const root = userRoot(u, 'tsrun');
    const nobody: TestUser = { name: 'nobody', uid: 65534, gid: 65534, subuid: -1, subgid: -1 };
    const env = { PATH: '/usr/bin:/bin', XDG_RUNTIME_DIR: '/nonexistent' };
    for (const cmd of [['state', id], ['kill', id, 'KILL'], ['delete', '--force', id], ['exec', id, 'true']]) {
      const r = asUser(nobody, TSRUN, ['--root', root, ...cmd], { env });
      expect({ cmd, code: r.code === 0 }).toEqual({ cmd, code: false });
      expect(errMsg(r.stderr)).toMatch(/permission denied/);
    }
    expect(asUser(nobody, '/bin/cat', [path.join(root, id, 'state.json')], { env }).code).not.toBe(0);
    expect(asUser(nobody, '/bin/ls', [root], { env }).code).not.toBe(0);
    expect(JSON.parse(rtAs(u, 'tsrun', ['state', id]).stdout).status).toBe('running');
    // and root's containers are not the user's either
    const rb = new Bundle().args('sleep', '1000');
    const rid = uniqueId('rlroot');
    expect(tsrun(['run', '-d', '--bundle', rb.dir, rid]).code).toBe(0);
    fs.chmodSync(stateRoot('tsrun'), 0o700);
    try {
      for (const cmd of [['state', rid], ['kill', rid, 'KILL'], ['delete', '--force', rid]]) {
        const r = rtAs(u, 'tsrun', ['--root', stateRoot('tsrun'), ...cmd]);
        expect({ cmd, code: r.code === 0, err: /permission denied/.test(errMsg(r.stderr)) }).toEqual({ cmd, code: false, err: true });
      }
      expect(JSON.parse(tsrun(['state', rid]).stdout).status).toBe('running');
    } finally {
      tsrun(['delete', '--force', rid]);
    }
    expect(rtAs(u, 'tsrun', ['delete', '--force', id]).code).toBe(0);
  });

  (HAS_UIDMAP ? test : test.skip)('security: setuid binaries stay confined to the user namespace (host-root-owned: no effect; the container\'s own: only the user\'s ids)', () => {
    // a private rootfs with a setuid probe owned by the host's root (unmapped in the container)
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'rl-suid-rootfs-')));
    fs.chmodSync(rootfs, 0o755);
    fs.mkdirSync(path.join(rootfs, 'w'));
    const probe = path.join(rootfs, 'bin/suid-probe');
    const cc = spawnSync('cc', ['-O2', '-static', '-o', probe, path.join(__dirname, '../helpers/suid-probe.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    fs.chmodSync(probe, 0o4755);
    const w = userDir();
    fs.chmodSync(w, 0o755);
    // no_new_privs off: what stops the setuid bit here is the user namespace, not NNP
    const dir = rlBundle(['/bin/suid-probe'], (c) => {
      subMappings(c);
      c.process.noNewPrivileges = false;
      c.process.user = { uid: 1000, gid: 1000 };
      c.mounts.push({ destination: '/w', type: 'bind', source: w, options: ['bind', 'rw'] });
    }, rootfs);
    // uid 1000 runs the host-root-owned setuid probe: still 1000 (the kernel ignores a setuid
    // bit whose owner is not mapped in the namespace)
    const t = run('tsrun', dir);
    expect(t).toMatchObject({ code: 0, stderr: '', stdout: '1000 1000 1000\n' });
    expect(run('runc', dir).stdout).toBe(t.stdout);
    // the container's root makes a setuid copy; its uid 1000 runs it: root in the namespace,
    // on the host only the user's own uid
    const dir2 = rlBundle(['sleep', '1000'], (c) => {
      subMappings(c);
      c.process.noNewPrivileges = false;
      c.mounts.push({ destination: '/w', type: 'bind', source: w, options: ['bind', 'rw'] });
    }, rootfs);
    const id = uniqueId('rlsu');
    expect(rtAs(u, 'tsrun', ['run', '-d', '--bundle', dir2, id], { cwd: dir2 }).code).toBe(0);
    expect(rtAs(u, 'tsrun', ['exec', id, 'sh', '-c', 'cp /bin/suid-probe /w/own && chmod 4755 /w/own'])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.statSync(path.join(w, 'own')).uid).toBe(u.uid);
    expect(rtAs(u, 'tsrun', ['exec', '-u', '1000:1000', id, '/w/own'])).toMatchObject({ code: 0, stdout: '1000 0 0\n' });
    const pidFile = path.join(xdgDir(u), `${id}.exec.pid`);
    expect(rtAs(u, 'tsrun', ['exec', '-d', '--pid-file', pidFile, '-u', '1000:1000', id, '/w/own', '30'])).toMatchObject({ code: 0, stderr: '' });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // real: the subordinate id of uid 1000; effective and saved: the user (the namespace's root)
    let ids: number[] = [];
    for (let i = 0; i < 100 && ids[1] !== u.uid; i++) { ids = hostUids(pid); sleepMs(10); }
    expect(ids).toEqual([u.subuid + 999, u.uid, u.uid, u.uid]);
    expect(ids.every(inUserIds)).toBe(true);
    expect(rtAs(u, 'tsrun', ['delete', '--force', id]).code).toBe(0);
  });

  test('security: sysfs the user namespace may not mount is the host\'s /sys bound read-only, nosuid, nodev, noexec on every mount of it', () => {
    // spec --rootless binds /sys itself; a config that asks for sysfs without a network namespace of its own
    const dir = rlBundle(['sh', '-c', 'cut -d" " -f5,6 /proc/self/mountinfo | grep -E "^/sys(/| )"'], (c) => {
      const i = c.mounts.findIndex((m: any) => m.destination === '/sys');
      c.mounts[i] = { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] };
    });
    const t = run('tsrun', dir);
    expect(t).toMatchObject({ code: 0, stderr: '' });
    const lines = t.stdout.trim().split('\n').map((l) => l.split(' '));
    expect(lines[0][0]).toBe('/sys');
    // without mount_setattr (test:enosys) only the top mount can be remounted, as runc's rbind,ro
    // (maskedPaths, /sys/firmware, are tmpfs mounts of tsrun's over the tree)
    const checked = ENOSYS_MODE ? lines.slice(0, 1) : lines.filter(([p]) => p !== '/sys/firmware');
    expect(checked.length).toBeGreaterThan(ENOSYS_MODE ? 0 : 3);
    for (const [p, opts] of checked) expect({ p, opts: ['ro', 'nosuid', 'nodev', 'noexec'].every((o) => opts.split(',').includes(o)) }).toEqual({ p, opts: true });
    // runc cannot mount sysfs there at all
    expect(errLine(run('runc', dir).stderr)).toMatch(/error mounting "sysfs" to rootfs at "\/sys".*operation not permitted/);
  });

  // ---- podman ----------------------------------------------------------------------------

  const FLOW = [path.resolve(ROOT_DIR, '../shared/clients'), path.resolve(ROOT_DIR, '../../shared/clients')]
    .map((d) => path.join(d, 'podman-flow.sh')).find((f) => fs.existsSync(f));
  const podmanReady = !!which('podman') && !!which('conmon') && !!FLOW;
  (podmanReady ? test : test.skip)(`podman rootless --runtime tsrun: run, run -t, exec, exec -t, top, stop, rm as the user; runc the same${podmanReady ? '' : ' (skipped: podman, conmon or ../shared/clients/podman-flow.sh absent)'}`, () => {
    const steps = (rt: string): Record<string, string> => {
      const w = userDir();
      const mine = userProcs(u);
      const r = asUser(u, '/bin/bash', [FLOW!, rt, path.join(w, 'flow')], { timeout: 240_000, env: userEnv(u, { PODMAN_ULIMITS: '--ulimit nofile=4096:4096 --ulimit nproc=4096:4096' }) });
      // rootless podman keeps a pause process (catatonit) holding its user namespace: ours, by pid
      for (const p of userProcs(u).filter((x) => !mine.includes(x))) {
        try { if (fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'catatonit') process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      }
      const out: Record<string, string> = {};
      for (const m of r.stdout.matchAll(/-> (ok|FAILED rc=\d+) \(([^)]+)\)/g)) out[m[2]] = m[1];
      return out;
    };
    const t = steps(TSRUN);
    expect(t).toMatchObject({ 'run --rm': 'ok', 'run --rm -t': 'ok', 'run -d': 'ok', ps: 'ok', exec: 'ok', 'exec -t': 'ok', top: 'ok', stop: 'ok', rm: 'ok' });
    // pause: podman itself refuses on cgroup v1 ("can not pause containers on rootless containers with cgroup V1")
    if (!V2) expect(t).toMatchObject({ pause: 'FAILED rc=125', unpause: 'FAILED rc=125' });
    expect(steps(RUNC!)).toEqual(t);
  }, 600_000);
});
