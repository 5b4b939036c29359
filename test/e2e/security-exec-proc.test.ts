// Attacks from issue 11 on the process model: a container with CAP_SYS_PTRACE watching its pid
// namespace for a copy of the host's node during exec (item 1), --preserve-fds asking for more
// fds than the caller passed (item 2), and a shared volume swapping the rootfs's /proc between
// a directory and a symlink during create (item 3, CVE-2019-19921 class). Each attack is run
// against tsrun as it is; the assertions say what must hold.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  Bundle, describeRoot, errMsg, readPid, rt, sleepMs, stateRoot, TSRUN, tsrun, uniqueId as uid, useLeakChecks, work,
} from '../helpers/harness';
import { SLOW } from '../helpers/host-kind';
import { makeRootfs } from '../helpers/rootfs';

const hostileRootfs = () => makeRootfs(fs.mkdtempSync(path.join(work(), 'hostile-')));

function staticProbe(name: string): string {
  const out = path.join(work(), name);
  if (!fs.existsSync(out)) {
    const cc = spawnSync('cc', ['-O2', '-static', '-o', out, path.join(__dirname, `../helpers/${name}.c`)], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc ${name}.c: ${cc.stderr}`);
  }
  return out;
}

describeRoot('security: exec never shows a copy of node in the container (issue 11 item 1)', () => {
  useLeakChecks();

  test('a CAP_SYS_PTRACE container scanning /proc during 40 execs never sees node, its fds or its environment', () => {
    const rootfs = hostileRootfs();
    fs.copyFileSync(staticProbe('proc-watch'), path.join(rootfs, 'bin/proc-watch'));
    fs.chmodSync(path.join(rootfs, 'bin/proc-watch'), 0o755);
    const b = new Bundle((c) => {
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_PTRACE');
      c.root.readonly = false;
    }, { rootfs }).args('/bin/proc-watch', '/tmp/report', String(30 * SLOW)); // killed below once the execs are done
    const id = uid();
    const pidFile = path.join(b.dir, 'pid');
    expect(tsrun(['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]).code).toBe(0);
    try {
      for (let i = 0; i < 40; i++) {
        const r = tsrun(['exec', id, '/bin/true']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
      }
      // the watcher scanned all along: several full passes of /proc per exec
      const report = fs.readFileSync(path.join(rootfs, 'tmp/report'), 'utf8');
      expect(report).not.toMatch(/node pid/);
    } finally {
      tsrun(['kill', id, 'KILL']);
      sleepMs(100);
      tsrun(['delete', '--force', id]);
    }
    const report = fs.readFileSync(path.join(rootfs, 'tmp/report'), 'utf8');
    expect(report).not.toMatch(/node pid/);
    expect(Number(/scanned (\d+)/.exec(report)?.[1] ?? 0)).toBeGreaterThan(1000);
  }, 60_000 * SLOW);
});

describeRoot('security: --preserve-fds hands over only what the caller passed (issue 11 item 2)', () => {
  useLeakChecks();

  test('exec --preserve-fds 17 with no fd passed is refused, as runc refuses it', () => {
    const b = new Bundle().args('sleep', '30');
    const id = uid();
    expect(tsrun(['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      const r = tsrun(['exec', '--preserve-fds', '17', id, 'sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "']);
      expect(r.code).not.toBe(0);
      expect(errMsg(r.stderr)).toMatch(/--preserve-fds 17: file descriptor 3 .*was opened by tsrun, not passed to it/);
      expect(r.stdout).toBe('');
    } finally {
      tsrun(['delete', '--force', id]);
    }
  });

  test('create --preserve-fds 20 with no fd passed is refused and leaves no state (start and delete never hang)', () => {
    const b = new Bundle().args('true');
    const id = uid();
    const r = tsrun(['create', '--preserve-fds', '20', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/--preserve-fds 20: file descriptor 3 .*was opened by tsrun, not passed to it/);
    expect(fs.existsSync(path.join(stateRoot('tsrun'), id))).toBe(false);
  });

  test('a library host asking for a range its event loop fills is refused', () => {
    const b = new Bundle().args('true');
    const script = `
      const fs = require('fs');
      const lib = require(${JSON.stringify(path.join(__dirname, '../../dist/lib.js'))});
      lib.run(${JSON.stringify(uid())}, { bundle: ${JSON.stringify(b.dir)}, root: ${JSON.stringify(stateRoot('tsrun'))}, preserveFds: 4 })
        .then((c) => { console.log('ran', c); }, (e) => { console.log('refused:', e.message); });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout).toMatch(/refused: --preserve-fds 4: file descriptor 3 \(anon_inode:\[eventpoll\]\) was opened by tsrun/);
  });

  test('a range with a hole is refused as runc refuses it (unable to stat preserved-fd)', () => {
    const b = new Bundle().args('true');
    const a = fs.openSync('/dev/null', 'r');
    try {
      // the caller's fd 4 is closed: spawn passes 'ignore' for it
      const r = rt('tsrun', ['run', '--preserve-fds', '3', '--bundle', b.dir, uid()], { fds: [a, 'ignore', a] } as never);
      expect(r.code).toBe(1);
      expect(errMsg(r.stderr)).toMatch(/--preserve-fds 3: file descriptor 4 (is not open \(unable to stat preserved-fd 4\)|.*was opened by tsrun)/);
    } finally {
      fs.closeSync(a);
    }
  });

  test('fds really passed still go through, and nothing else', () => {
    const b = new Bundle().args('sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "');
    const a = fs.openSync('/dev/null', 'r');
    const c = fs.openSync('/dev/null', 'r');
    try {
      const r = rt('tsrun', ['run', '--preserve-fds', '2', '--bundle', b.dir, uid()], { fds: [a, c] } as never);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split(' ').map(Number).filter((n) => n <= 4)).toEqual([0, 1, 2, 3, 4]);
      expect(r.stdout.trim().split(' ').map(Number).filter((n) => n > 5)).toEqual([]);
    } finally {
      fs.closeSync(a);
      fs.closeSync(c);
    }
  });
});

interface MountLine { id: string; parent: string; point: string; opts: string; fstype: string }
function mountinfo(pid: number): MountLine[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return { id: f[0], parent: f[1], point: f[4], opts: f[5], fstype: f[f.indexOf('-') + 1] };
  });
}

describeRoot('security: /proc swapped with a symlink during create (issue 11 item 3, CVE-2019-19921 class)', () => {
  useLeakChecks();

  test('every container created while a racer swaps /proc has its masks and read-only /proc/sys on every procfs, and waits for start', async () => {
    const rootfs = hostileRootfs();
    // what /proc/self/fd/N and the masked paths name when /proc is the symlink: plain files
    fs.mkdirSync(path.join(rootfs, 'procfake/self/fd'), { recursive: true });
    fs.mkdirSync(path.join(rootfs, 'procfake/thread-self/fd'), { recursive: true });
    for (let n = 0; n < 64; n++) {
      fs.writeFileSync(path.join(rootfs, `procfake/self/fd/${n}`), '');
      fs.writeFileSync(path.join(rootfs, `procfake/thread-self/fd/${n}`), '');
    }
    fs.symlinkSync('/procfake', path.join(rootfs, 'proc.alt'));
    // a process that stays: one that ran before start is then seen running, not as a failed create
    const b = new Bundle(undefined, { rootfs }).args('sleep', '30');
    const { spawn } = await import('child_process');
    const racerBin = path.join(work(), 'racer-proc');
    const cc = spawnSync('cc', ['-O2', '-o', racerBin, path.join(__dirname, '../helpers/racer.c')], { encoding: 'utf8' });
    expect(cc.status).toBe(0);
    const racer = spawn(racerBin, [path.join(rootfs, 'proc'), path.join(rootfs, 'proc.alt'), '120'], { stdio: 'ignore' });
    const bad: string[] = [];
    let created = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 60; i++) {
        const id = uid();
        const pidFile = path.join(b.dir, `${id}.pid`);
        const r = tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id], { timeout: 20_000 });
        if (r.code !== 0) {
          if (r.code !== 1 || !errMsg(r.stderr)) bad.push(`create: exit ${r.code} ${r.stderr}`);
          if (/exited before it could be started/.test(r.stderr)) bad.push(`run ${i}: the init went past the fifo during create`);
          refused++;
          continue;
        }
        created++;
        try {
          const pid = readPid(pidFile);
          let exe = '';
          try { exe = fs.readlinkSync(`/proc/${pid}/exe`); } catch { exe = 'gone'; }
          if (!exe.includes('tsrun-init')) bad.push(`run ${i}: the container's process ran before start (exe ${exe})`);
          let mi: MountLine[] = [];
          try { mi = mountinfo(pid); } catch (e) { bad.push(`run ${i}: mountinfo of the init unreadable (${(e as Error).message})`); }
          // every procfs root (not a read-only bind of one of its subdirectories), by mount id: the
          // racer renames directories while mountinfo is read, so paths shift, last names do not
          const byId = new Map(mi.map((m) => [m.id, m]));
          for (const p of mi.filter((m) => m.fstype === 'proc' && byId.get(m.parent)?.fstype !== 'proc')) {
            const kids = mi.filter((m) => m.parent === p.id);
            if (!kids.some((m) => m.point.endsWith('/keys'))) bad.push(`run ${i}: procfs at ${p.point} without its /proc/keys mask`);
            const sys = kids.find((m) => m.point.endsWith('/sys') && m.fstype === 'proc');
            if (!sys || !sys.opts.split(',').includes('ro')) bad.push(`run ${i}: procfs at ${p.point} with a writable sys`);
          }
        } finally {
          tsrun(['delete', '--force', id]);
        }
      }
    } finally {
      racer.kill('SIGKILL');
    }
    expect(bad).toEqual([]);
    expect(created).toBeGreaterThan(0);
    void refused;
  }, 120_000);

  test('a /proc that is a symlink is refused with runc\'s message', () => {
    const rootfs = hostileRootfs();
    fs.rmdirSync(path.join(rootfs, 'proc'));
    fs.mkdirSync(path.join(rootfs, 'elsewhere'));
    fs.symlinkSync('/elsewhere', path.join(rootfs, 'proc'));
    const b = new Bundle(undefined, { rootfs }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uid()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/filesystem "proc" must be mounted on ordinary directory/);
    void TSRUN;
  });
});
