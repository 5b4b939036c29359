// Attacks on four doors of docs/security.md: a host-side racer swapping paths in the rootfs
// during create, /dev/console and /dev/ptmx planted in a rootfs that brings its own /dev, the
// sysctl write path with /proc over-mounted by a hook, and user-namespaced containers
// (/sys/fs/cgroup, device nodes). Each builds its hostile rootfs or config and checks that
// the host is untouched; every create either succeeds as configured or fails with exit 1 and
// a message, never hangs.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  Bundle, describeRoot, errMsg, readPid, Result, rt, runDetached, sleepMs, tsrun, uniqueId as uid, useLeakChecks, work,
} from '../helpers/harness';
import { PURE_V2 } from '../helpers/host-kind';
import { consoleSocket, ConsoleSocket } from '../helpers/console';
import { makeRootfs } from '../helpers/rootfs';

const hostileRootfs = () => makeRootfs(fs.mkdtempSync(path.join(work(), 'hostile-')));
const sentinelDir = () => fs.mkdtempSync(path.join(work(), 'sentinel-'));
function sentinelFile(content = 'host sentinel\n'): string {
  const f = path.join(work(), `${uid('sentinel')}.txt`);
  fs.writeFileSync(f, content);
  return f;
}
const delay = (ms: number) => new Promise<void>((res) => { setTimeout(res, ms).unref(); });

interface MountLine { id: string; root: string; point: string; opts: string; fstype: string }
function mountinfo(pid: number | 'self'): MountLine[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return { id: f[0], root: f[3], point: f[4], opts: f[5], fstype: f[sep + 1] };
  });
}
/** Host mount points at or under `dir`. */
const hostMountsUnder = (dir: string) => mountinfo('self').map((m) => m.point).filter((p) => p === dir || p.startsWith(dir + '/'));

/** exit 0, or exit 1 with a message: anything else (a hang killed by the timeout, a crash) is reported. */
function outcome(r: Result): 'ok' | 'failed cleanly' | string {
  if (r.code === 0) return 'ok';
  // exit 1 (create/run), or runc's 255 for a failed exec, with a message
  if ((r.code === 1 || r.code === 255) && errMsg(r.stderr).length > 0) return 'failed cleanly';
  return `exit ${r.code} signal ${r.signal}: ${r.stderr.trim()}`;
}

// ---- the racer ----------------------------------------------------------------------------

let racerBin: string | undefined;
function racerBinary(): string {
  if (!racerBin) {
    const out = path.join(work(), 'racer');
    const cc = spawnSync('cc', ['-O2', '-o', out, path.join(__dirname, '../helpers/racer.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc racer.c: ${cc.stderr}`);
    racerBin = out;
  }
  return racerBin;
}

interface Racer { stop(): Promise<number> }

/** Swap `a` and `b` (RENAME_EXCHANGE) in a loop until stop(); returns once it is swapping. */
function startRacer(a: string, b: string): Racer {
  const out = path.join(work(), `${uid('racer')}.out`);
  const fd = fs.openSync(out, 'w+');
  let child: ChildProcess;
  try {
    child = spawn(racerBinary(), [a, b, '60'], { stdio: ['ignore', fd, 'inherit'] });
  } finally {
    fs.closeSync(fd);
  }
  const exited = new Promise<void>((res) => { child.once('exit', () => res()); });
  const deadline = Date.now() + 5000;
  while (!fs.readFileSync(out, 'utf8').includes('ready')) {
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('racer did not start'); }
    sleepMs(5);
  }
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, delay(3000)]);
      if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
      const m = /swaps (\d+)/.exec(fs.readFileSync(out, 'utf8'));
      return m ? Number(m[1]) : 0;
    },
  };
}

describeRoot('security doors: a racer swapping rootfs paths during create (CVE-2021-30465, CVE-2023-27561, CVE-2024-45310 class)', () => {
  useLeakChecks();
  const RUNS = 25;

  test.each([
    ['an absolute symlink', (sentinel: string) => sentinel],
    ['a ../ symlink', (sentinel: string) => '../'.repeat(16) + sentinel.slice(1)],
  ])('tmpfs and bind destinations through a directory swapped with %s to a host directory never reach the host', async (_, linkTo) => {
    const rootfs = hostileRootfs();
    const sentinel = sentinelDir();
    const bindsrc = fs.mkdtempSync(path.join(work(), 'bindsrc-'));
    fs.mkdirSync(path.join(rootfs, 'race/mnt'), { recursive: true });
    fs.symlinkSync(linkTo(sentinel), path.join(rootfs, 'race.alt'));
    const b = new Bundle((c) => {
      c.mounts.push({ destination: '/race/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.mounts.push({ destination: '/race/mnt/b', type: 'bind', source: bindsrc, options: ['bind', 'ro'] });
    }, { rootfs }).args('true');
    const outcomes: string[] = [];
    const racer = startRacer(path.join(rootfs, 'race'), path.join(rootfs, 'race.alt'));
    let swaps = 0;
    try {
      for (let i = 0; i < RUNS; i++) outcomes.push(outcome(tsrun(['run', '--bundle', b.dir, uid()], { timeout: 20_000 })));
    } finally {
      swaps = await racer.stop();
    }
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'failed cleanly')).toEqual([]);
    expect(fs.readdirSync(sentinel)).toEqual([]); // nothing created in (or mounted on) the host directory
    expect(hostMountsUnder(sentinel)).toEqual([]);
    expect(fs.readdirSync(bindsrc)).toEqual([]);
    // the race was real: it swapped all along, and some run met the link (followed inside the
    // rootfs, which creates the path there, or refused)
    expect(swaps).toBeGreaterThan(1000);
    expect(fs.existsSync(path.join(rootfs, sentinel.slice(1))) || outcomes.includes('failed cleanly')).toBe(true);
  });

  test('a read-only bind whose destination is swapped with a symlink to / stays read-only, and / keeps its own flags', async () => {
    // After mounting on the resolved fd, a re-resolution of the destination by path (for the
    // ro remount) can land on another mount root: the rootfs itself, through race -> /.
    const rootfs = hostileRootfs();
    const bindsrc = fs.mkdtempSync(path.join(work(), 'robind-'));
    fs.mkdirSync(path.join(rootfs, 'race'));
    fs.symlinkSync('/', path.join(rootfs, 'race.alt'));
    const b = new Bundle((c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/race', type: 'bind', source: bindsrc, options: ['bind', 'ro'] });
    }, { rootfs }).args('sleep', '100');
    const bad: string[] = [];
    const outcomes: string[] = [];
    const racer = startRacer(path.join(rootfs, 'race'), path.join(rootfs, 'race.alt'));
    try {
      // the window is narrow (between the mount and the remount): about one run in six hits it
      for (let i = 0; i < 40 && bad.length === 0; i++) {
        const id = uid();
        const pidFile = path.join(b.dir, `${id}.pid`);
        const r = tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id], { timeout: 20_000 });
        outcomes.push(outcome(r));
        if (r.code !== 0) continue;
        const mounts = mountinfo(readPid(pidFile));
        for (const m of mounts) {
          if (m.root.endsWith('/' + path.basename(bindsrc)) && !/^ro(,|$)/.test(m.opts)) bad.push(`run ${i}: the ro bind at ${m.point} is ${m.opts}`);
          if (m.root.endsWith('/' + path.basename(rootfs)) && !/^rw(,|$)/.test(m.opts)) bad.push(`run ${i}: the rootfs at ${m.point} is ${m.opts}`);
        }
        expect(tsrun(['delete', '--force', id]).code).toBe(0);
      }
    } finally {
      await racer.stop();
    }
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'failed cleanly')).toEqual([]);
    expect(bad).toEqual([]);
    expect(fs.readdirSync(bindsrc)).toEqual([]);
  });
});

// ---- /dev/console, /dev/ptmx, /dev/pts --------------------------------------------------------

/** A container with the rootfs's own /dev (no tmpfs on /dev; devpts still on /dev/pts) and a terminal. */
const ownDevBundle = (rootfs: string) => new Bundle((c) => {
  c.process.terminal = true;
  c.mounts = c.mounts.filter((m: any) => m.destination !== '/dev');
}, { rootfs }).args('sleep', '100');

/** tsrun with extra fds (3, 4, ...) inherited, as a caller may leave them open. */
function tsrunWithFds(args: string[], fds: number[]): Result {
  return rt('tsrun', args, { timeout: 20_000, fds });
}

/** The pty master sent to the console socket, if one arrives (within `ms`). */
async function masterOf(cs: ConsoleSocket, ms: number): Promise<number | undefined> {
  const fd = await Promise.race([cs.master().catch(() => undefined), delay(ms).then(() => undefined)]);
  return fd !== undefined && fd >= 0 ? fd : undefined; // -1: the connection closed without an fd
}

const mntIdOf = (fd: number) => /mnt_id:\s*(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1];

interface ConsoleRun { r: Result; pid?: number; master?: number; devpts: string[]; masterOnHostMount: boolean }

/**
 * create with a console socket; records where devpts is mounted in the container and whether
 * the pty master that reached the socket lives on a host mount. Deletes the container.
 */
async function createWithConsole(b: Bundle, fds: number[] = []): Promise<ConsoleRun> {
  const cs = consoleSocket();
  const id = uid();
  const pidFile = path.join(b.dir, `${id}.pid`);
  try {
    const r = tsrunWithFds(['create', '--bundle', b.dir, '--console-socket', cs.path, '--pid-file', pidFile, id], fds);
    const master = await masterOf(cs, r.code === 0 ? 5000 : 500);
    const run: ConsoleRun = { r, master, devpts: [], masterOnHostMount: false };
    if (master !== undefined) {
      run.masterOnHostMount = mountinfo('self').some((m) => m.id === mntIdOf(master));
      fs.closeSync(master);
    }
    if (r.code === 0) {
      run.pid = readPid(pidFile);
      run.devpts = mountinfo(run.pid).filter((m) => m.fstype === 'devpts').map((m) => m.point);
    }
    return run;
  } finally {
    cs.close();
    tsrun(['delete', '--force', id]);
  }
}

/** The container's devpts may only be on /dev/pts and (bound from the pty) /dev/console. */
const strayDevpts = (run: ConsoleRun) => run.devpts.filter((p) => p !== '/dev/pts' && p !== '/dev/console');

describeRoot('security doors: /dev/console, /dev/ptmx and /dev/pts in a rootfs with its own /dev (CVE-2025-52565 class)', () => {
  useLeakChecks();

  test.each([
    ['/proc/sys/kernel/core_pattern', () => '/proc/sys/kernel/core_pattern'],
    ['a host file', () => sentinelFile()],
  ])('/dev/console a symlink to %s: nothing is bound over its target', async (_, target) => {
    const rootfs = hostileRootfs();
    const to = target();
    const before = fs.readFileSync(to, 'utf8');
    if (!to.startsWith('/proc/')) {
      // a decoy at the same path inside the rootfs: following the link there shows up too
      fs.mkdirSync(path.join(rootfs, path.dirname(to)), { recursive: true });
      fs.writeFileSync(path.join(rootfs, to), 'decoy\n');
    }
    const pattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    fs.symlinkSync(to, path.join(rootfs, 'dev/console'));
    const run = await createWithConsole(ownDevBundle(rootfs));
    expect(outcome(run.r)).toMatch(/^(ok|failed cleanly)$/);
    expect(strayDevpts(run)).toEqual([]); // e.g. the pty over /proc/sys/kernel/core_pattern
    expect(run.masterOnHostMount).toBe(false);
    expect(fs.readFileSync(to, 'utf8')).toBe(before);
    expect(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(pattern);
    expect(hostMountsUnder(to)).toEqual([]);
  });

  test('/dev/ptmx a symlink to a regular file or to a host path: create fails cleanly, the files are untouched', async () => {
    for (const [name, to] of [['a rootfs file', '/etc/passwd'], ['a host file', sentinelFile()]]) {
      const rootfs = hostileRootfs();
      fs.symlinkSync(to, path.join(rootfs, 'dev/ptmx'));
      const inRootfs = path.join(rootfs, 'etc/passwd');
      const before = { host: fs.readFileSync(to, 'utf8'), rootfs: fs.readFileSync(inRootfs, 'utf8') };
      const run = await createWithConsole(ownDevBundle(rootfs));
      expect({ name, outcome: outcome(run.r) }).toEqual({ name, outcome: 'failed cleanly' });
      expect(run.master).toBeUndefined();
      expect({ host: fs.readFileSync(to, 'utf8'), rootfs: fs.readFileSync(inRootfs, 'utf8') }).toEqual(before);
      if (name === 'a host file') expect(errMsg(run.r.stderr)).toContain('/dev/ptmx'); // the open failed: resolved in the rootfs
    }
  });

  test('/dev/ptmx a magic link to an fd the caller left open (a host pty master): never a pty of the host\'s devpts', async () => {
    const rootfs = hostileRootfs();
    fs.symlinkSync('/proc/self/fd/3', path.join(rootfs, 'dev/ptmx'));
    const hostMaster = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    let run: ConsoleRun;
    try {
      run = await createWithConsole(ownDevBundle(rootfs), [hostMaster]);
    } finally {
      fs.closeSync(hostMaster);
    }
    expect(outcome(run.r)).toMatch(/^(ok|failed cleanly)$/);
    expect(run.masterOnHostMount).toBe(false); // a master from the host's devpts reached the console socket
    expect(strayDevpts(run)).toEqual([]);
  });

  test('exec -t: a running container that turns its /dev/ptmx into /proc/self/fd/3 never gets a pty of the host\'s devpts', async () => {
    const b = new Bundle().args('sleep', '100');
    const id = uid();
    expect(tsrun(['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    const cs = consoleSocket();
    const hostMaster = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    try {
      // the container's root owns its /dev (a tmpfs): plant the link from inside, as a process there could
      expect(tsrun(['exec', id, 'sh', '-c', 'ln -sf /proc/self/fd/3 /dev/ptmx && readlink /dev/ptmx']).stdout).toBe('/proc/self/fd/3\n');
      const r = tsrunWithFds(['exec', '-t', '--console-socket', cs.path, '-d', id, 'true'], [hostMaster]);
      expect(outcome(r)).toMatch(/^(ok|failed cleanly)$/);
      const master = await masterOf(cs, r.code === 0 ? 5000 : 500);
      if (master !== undefined) {
        const onHost = mountinfo('self').some((m) => m.id === mntIdOf(master));
        fs.closeSync(master);
        expect(onHost).toBe(false);
      }
    } finally {
      fs.closeSync(hostMaster);
      cs.close();
      tsrun(['delete', '--force', id]);
    }
  });

  test('a host directory bound over /dev under another spelling ("/dev/", "dev", "/dev/."): no device node or link is made in it (issue 14)', () => {
    for (const dest of ['/dev/', 'dev', '/dev/.']) {
      const host = sentinelDir();
      // the one node the container needs (masking and the init's stdio use /dev/null)
      expect(spawnSync('mknod', [path.join(host, 'null'), 'c', '1', '3']).status).toBe(0);
      const b = new Bundle((c) => { c.mounts.push({ destination: dest, type: 'bind', source: host, options: ['rbind'] }); }).args('true');
      const r = tsrun(['run', '--bundle', b.dir, uid()]);
      // runc's CleanPath: each is /dev, which the config binds, so the runtime makes nothing there
      expect([dest, outcome(r), fs.readdirSync(host)]).toEqual([dest, 'ok', ['null']]);
    }
  });

  test('/dev/pts a symlink into /proc: devpts is never mounted over /proc', async () => {
    const rootfs = hostileRootfs();
    fs.symlinkSync('/proc/sys', path.join(rootfs, 'dev/pts'));
    const run = await createWithConsole(ownDevBundle(rootfs));
    expect(outcome(run.r)).toMatch(/^(ok|failed cleanly)$/);
    expect(strayDevpts(run)).toEqual([]);
    expect(run.masterOnHostMount).toBe(false);
  });
});

// ---- the sysctl write path ---------------------------------------------------------------------

describeRoot('security doors: sysctl writes with /proc over-mounted before they happen (CVE-2025-52881 class)', () => {
  useLeakChecks();
  // Hooks run after the rootfs mounts (procfs included) and before pivot_root; the sysctls are
  // written after pivot_root. runc 1.1.5 (this host's) writes "pwned" into the sentinel of the
  // first case: it opens /proc/sys/... by path.

  test('a createContainer hook binds a host file over /proc/sys/kernel/domainname: the write never reaches it', () => {
    const rootfs = hostileRootfs();
    const sentinel = sentinelFile('untouched\n');
    const b = new Bundle((c) => {
      c.linux.sysctl = { 'kernel.domainname': 'pwned' };
      c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `mount --bind ${sentinel} ${rootfs}/proc/sys/kernel/domainname`], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }] };
    }, { rootfs }).args('domainname');
    const r = tsrun(['run', '--bundle', b.dir, uid()], { timeout: 20_000 });
    expect(fs.readFileSync(sentinel, 'utf8')).toBe('untouched\n');
    if (r.code === 0) expect(r.stdout.trim()).toBe('pwned'); // written to the real sysctl
    else {
      expect(outcome(r)).toBe('failed cleanly');
      expect(errMsg(r.stderr)).toContain('kernel/domainname'); // names the sysctl...
      expect(errMsg(r.stderr)).not.toContain('hooks.'); // ...and is not the hook failing to plant the mount
    }
  });

  test('a createRuntime hook binds a host directory over the container\'s /proc: the sysctl is not written into it', () => {
    const rootfs = hostileRootfs();
    const fake = fs.mkdtempSync(path.join(work(), 'fakeproc-'));
    fs.mkdirSync(path.join(fake, 'sys/kernel'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'sys/kernel/domainname'), 'untouched\n');
    const script = `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p'); exec nsenter -t "$pid" -m mount --bind ${fake} ${rootfs}/proc`;
    const b = new Bundle((c) => {
      c.linux.sysctl = { 'kernel.domainname': 'pwned' };
      c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', script], env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }] };
    }, { rootfs }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uid()], { timeout: 20_000 });
    expect(fs.readFileSync(path.join(fake, 'sys/kernel/domainname'), 'utf8')).toBe('untouched\n');
    // the sysctl goes through the procfs tsrun mounted and holds by fd: the bind over /proc
    // cannot redirect it, so the container may run
    if (r.code !== 0) {
      expect(outcome(r)).toBe('failed cleanly');
      expect(errMsg(r.stderr)).toContain('linux.sysctl'); // "/proc is not procfs"
      expect(errMsg(r.stderr)).not.toContain('hooks.');
    }
  });
});

// ---- user namespaces: /sys/fs/cgroup and devices ----------------------------------------------

const userns = (c: any) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};
const withCaps = (c: any, ...caps: string[]) => {
  for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push(...caps);
};

describeRoot('security doors: user-namespaced containers', () => {
  useLeakChecks();

  // joined: a user namespace entered by path (another container's) counts as much as a new one
  test.each([['a new user namespace', false], ['a user namespace joined by path', true]])('%s without a cgroup namespace: /sys/fs/cgroup is read-only even when the mount asks rw', (_, joined) => {
    let owner: string | undefined;
    let ownerPid = 0;
    if (joined) {
      owner = uid();
      ownerPid = runDetached(new Bundle(userns).args('sleep', '100'), owner);
    }
    const b = new Bundle((c) => {
      if (joined) c.linux.namespaces.push({ type: 'user', path: `/proc/${ownerPid}/ns/user` });
      else userns(c);
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'cgroup');
      c.mounts = c.mounts.map((m: any) => (m.destination === '/sys/fs/cgroup'
        ? { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'rw'] } : m));
      withCaps(c, 'CAP_DAC_OVERRIDE', 'CAP_SYS_ADMIN');
    }).args('sh', '-c', [
      'grep " /sys/fs/cgroup" /proc/self/mountinfo | cut -d" " -f5,6',
      'touch /sys/fs/cgroup/x 2>/dev/null && echo WROTE tmpfs',
      'mkdir /sys/fs/cgroup/escape 2>/dev/null && echo WROTE cgroup',
      'echo 1 > /sys/fs/cgroup/cgroup.procs 2>/dev/null && echo WROTE procs',
      'for d in /sys/fs/cgroup/*/; do mkdir "$d/escape" 2>/dev/null && echo "WROTE $d"; echo 1 > "$d/notify_on_release" 2>/dev/null && echo "WROTE $d file"; done',
      'echo done'].join('; '));
    const r = tsrun(['run', '--bundle', b.dir, uid()]);
    if (owner) expect(tsrun(['delete', '-f', owner]).code).toBe(0);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.pop()).toBe('done');
    expect(lines.filter((l) => l.startsWith('WROTE'))).toEqual([]);
    const mounts = lines.map((l) => l.split(' '));
    // v1/hybrid: the tmpfs and the hierarchies; pure v2: the container's own cgroup, bound
    expect(mounts.length).toBeGreaterThan(PURE_V2 ? 0 : 1);
    expect(mounts.filter(([, opts]) => !/^ro(,|$)/.test(opts))).toEqual([]);
  });

  test('device nodes: mknod fails in a user namespace even with CAP_MKNOD (works without one: the control)', () => {
    const mknod = (ns: boolean) => new Bundle((c) => {
      if (ns) userns(c);
      withCaps(c, 'CAP_MKNOD');
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    }).args('sh', '-c', 'busybox mknod /tmp/x c 1 3 && echo MADE; test -c /tmp/x && : < /tmp/x && echo OPENED; echo done');
    expect(tsrun(['run', '--bundle', mknod(false).dir, uid()]).stdout).toBe('MADE\nOPENED\ndone\n');
    const r = tsrun(['run', '--bundle', mknod(true).dir, uid()]);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toMatch(/Operation not permitted/);
  });

  test('a host device bound in through mounts but not in linux.devices cannot be opened; /dev/null can (and an allow rule opens it: the control)', () => {
    const b = (allow: boolean, ns = false) => new Bundle((c) => {
      if (ns) userns(c);
      c.mounts.push({ destination: '/dev/loop-control', type: 'bind', source: '/dev/loop-control', options: ['bind'] });
      if (allow) c.linux.resources.devices.push({ allow: true, type: 'c', major: 10, minor: 237, access: 'rw' });
    }).args('sh', '-c', 'for d in /dev/loop-control /dev/null; do (: < $d) 2>/dev/null && echo "$d opened" || echo "$d refused"; done; : < /dev/loop-control');
    const denied = tsrun(['run', '--bundle', b(false).dir, uid()]);
    expect(denied.stdout).toBe('/dev/loop-control refused\n/dev/null opened\n');
    expect(denied.stderr).toMatch(/loop-control: Operation not permitted/); // EPERM: the devices cgroup, not file modes
    expect(tsrun(['run', '--bundle', b(false, true).dir, uid()]).stdout).toBe('/dev/loop-control refused\n/dev/null opened\n');
    expect(tsrun(['run', '--bundle', b(true).dir, uid()]).stdout).toBe('/dev/loop-control opened\n/dev/null opened\n');
  });
});
