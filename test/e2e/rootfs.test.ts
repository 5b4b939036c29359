// Inside the container: mounts and their options, propagation, devices, masked/readonly
// paths, --no-pivot, fds, process settings, cgroup placement.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, runDetached, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { cgroupDir, cgroupOf, PROBE_KEY } from '../helpers/host-kind';
import { makeRootfs } from '../helpers/rootfs';
import { ENOSYS_MODE, testNeedsNewMountApi } from '../helpers/enosys-mode';

/** Fields 5 (mount point) and 6 (per-mount options) and the optional fields of one mountinfo line. */
function mountLine(mountinfo: string, point: string): { opts: string[]; optional: string } | undefined {
  for (const line of mountinfo.trim().split('\n')) {
    const [pre] = line.split(' - ');
    const f = pre.split(' ');
    if (f[4] === point) return { opts: f[5].split(','), optional: f.slice(6).join(' ') };
  }
  return undefined;
}

function run(b: Bundle, ...extra: string[]) {
  return tsrun(['run', ...extra, '--bundle', b.dir, uniqueId()]);
}

describeRoot('rootfs and process', () => {
  useLeakChecks();

  test('bind mounts: ro/nosuid/nodev/noexec, file binds, rbind + rro reaches submounts', () => {
    const src = fs.mkdtempSync(path.join(work(), 'src-'));
    fs.writeFileSync(path.join(src, 'file.txt'), 'content\n');
    const b = new Bundle((c) => {
      c.mounts.push({ destination: '/ro', type: 'bind', source: src, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] });
      c.mounts.push({ destination: '/etc/file.txt', type: 'bind', source: path.join(src, 'file.txt'), options: ['bind', 'ro'] });
      c.mounts.push({ destination: '/rw', type: 'bind', source: src, options: ['rbind', 'rw'] });
      c.mounts.push({ destination: '/rw/sub', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      // rro is mount_setattr itself (no fallback): kernel-compat.test.ts checks its error under test:enosys
      if (!ENOSYS_MODE) c.mounts.push({ destination: '/rro', type: 'bind', source: path.join(b0(), 'rootfs-unused'), options: ['rbind', 'rro'] });
    }).args('sh', '-c', 'cat /etc/file.txt; cat /proc/self/mountinfo; touch /ro/x 2>/dev/null || echo ro-denied; touch /rw/y && echo rw-ok; rm -f /rw/y');
    const r = run(b);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('content\n');
    expect(r.stdout).toContain('ro-denied');
    expect(r.stdout).toContain('rw-ok');
    const ro = mountLine(r.stdout, '/ro')!;
    expect(ro.opts).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(mountLine(r.stdout, '/etc/file.txt')!.opts).toContain('ro');
    expect(mountLine(r.stdout, '/rw')!.opts).toContain('rw');
    if (!ENOSYS_MODE) expect(mountLine(r.stdout, '/rro')!.opts).toContain('ro');
  });

  test('mount propagation options and rootfsPropagation', () => {
    const src = fs.mkdtempSync(path.join(work(), 'prop-'));
    const b = new Bundle((c) => {
      c.linux.rootfsPropagation = 'private';
      c.mounts.push({ destination: '/shared', type: 'bind', source: src, options: ['rbind', 'rshared'] });
      c.mounts.push({ destination: '/private', type: 'bind', source: src, options: ['rbind', 'rprivate'] });
    }).args('cat', '/proc/self/mountinfo');
    const r = run(b);
    expect(r.code).toBe(0);
    expect(mountLine(r.stdout, '/shared')!.optional).toMatch(/shared:\d+/);
    expect(mountLine(r.stdout, '/private')!.optional).toBe('');
  });

  test('root.readonly and the default masked/readonly paths; custom ones', () => {
    const b = new Bundle((c) => {
      c.linux.maskedPaths.push('/etc/passwd', '/home');
      c.linux.readonlyPaths.push('/tmp');
    }).args('sh', '-c', 'touch /new 2>/dev/null || echo root-ro; wc -c < /etc/passwd; ls /home | wc -l; touch /tmp/x 2>/dev/null || echo tmp-ro');
    const r = run(b);
    expect(r.stdout.split('\n').map((s) => s.trim())).toEqual(['root-ro', '0', '0', 'tmp-ro', '']);
  });

  test('linux.devices: node type, numbers, mode and owner', () => {
    const b = new Bundle((c) => {
      c.linux.devices = [{ path: '/dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 0 },
        { path: '/dev/sub/fifo', type: 'p', fileMode: 0o644 }];
    }).args('sh', '-c', 'stat -c "%F %t:%T %a %u:%g" /dev/mynull; stat -c "%F %a" /dev/sub/fifo; echo hi > /dev/mynull && echo wrote');
    const r = run(b);
    expect(r.stdout).toBe('character special file 1:3 620 1000:0\nfifo 644\nwrote\n');
  });

  test('--no-pivot runs the container with chroot over a moved mount', () => {
    const b = new Bundle().args('sh', '-c', 'cat /proc/self/mountinfo | head -1 | cut -d" " -f5; ls /bin/busybox');
    const r = run(b, '--no-pivot');
    expect(r).toMatchObject({ code: 0, stdout: '/\n/bin/busybox\n' });
  });

  test('fds: only stdio reach the container; --preserve-fds passes more', () => {
    const b = new Bundle().args('sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "');
    expect(run(b).stdout).toBe('0 1 2 3 ');
    const extra = fs.openSync(path.join(work(), 'extra'), 'w');
    const out = path.join(work(), `${uniqueId()}.out`);
    const o = fs.openSync(out, 'w');
    const r = spawnSync(TSRUN, ['--root', stateRoot('tsrun'), 'run', '--preserve-fds', '2', '--bundle', b.dir, uniqueId()],
      { stdio: ['ignore', o, 'inherit', extra, extra, extra] });
    fs.closeSync(o);
    fs.closeSync(extra);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('0 1 2 3 4 5 ');
  });

  test('process: noNewPrivileges false, oomScoreAdj, cwd, env and args lookup in PATH', () => {
    const b = new Bundle((c) => {
      c.process.noNewPrivileges = false;
      c.process.oomScoreAdj = 432;
      c.process.cwd = '/tmp';
      c.process.env = ['PATH=/nowhere:/bin', 'FOO=bar baz'];
    }).args('sh', '-c', 'grep NoNewPrivs /proc/self/status | tr -d "\\t"; cat /proc/self/oom_score_adj; pwd; echo "$FOO"; echo $HOME');
    expect(run(b)).toMatchObject({ code: 0, stdout: 'NoNewPrivs:0\n432\n/tmp\nbar baz\n/root\n' });
  });

  test('cgroupsPath: the init is placed there, and delete removes it', () => {
    const cg = `/tsrun-e2e-${process.pid}/${uniqueId('cg')}`;
    const b = new Bundle((c) => { c.linux.cgroupsPath = cg; }).args('sleep', '100');
    const id = uniqueId();
    const pid = runDetached(b, id);
    // every hierarchy (v1 pids on this host, the unified tree on both kinds): exactly cgroupsPath
    expect(cgroupOf(pid)).toBe(cg);
    expect(cgroupOf(pid, '')).toBe(cg);
    expect(fs.existsSync(cgroupDir(PROBE_KEY, cg))).toBe(true);
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(fs.existsSync(cgroupDir(PROBE_KEY, cg))).toBe(false);
    expect(fs.existsSync(cgroupDir(PROBE_KEY, `/tsrun-e2e-${process.pid}`))).toBe(false);
  });

  test('errors name the field: bad rlimit, bad cwd, bad user', () => {
    const rl = new Bundle((c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 99999999 }]; }).args('true');
    const r1 = tsrun(['create', '--bundle', rl.dir, uniqueId()]);
    expect(r1.code).toBe(1);
    expect(errMsg(r1.stderr)).toMatch(/process\.rlimits\[0\]/);
    // a missing cwd is created, as runc and crun do; one that cannot be is an error naming the field
    const cwd = new Bundle((c) => { c.process.cwd = '/does/not/exist'; c.root.readonly = false; }).args('sh', '-c', 'pwd');
    expect(tsrun(['run', '--bundle', cwd.dir, uniqueId()]).stdout).toBe('/does/not/exist\n');
    const bad = new Bundle((c) => { c.process.cwd = '/etc/passwd/sub'; }).args('true');
    expect(errMsg(tsrun(['run', '--bundle', bad.dir, uniqueId()]).stderr)).toMatch(/^unable to start container process: process\.cwd: .*\/etc\/passwd\/sub: not a directory/);
  });
});

let bundle0: string | undefined;
function b0(): string {
  if (!bundle0) {
    bundle0 = fs.mkdtempSync(path.join(work(), 'rro-'));
    fs.mkdirSync(path.join(bundle0, 'rootfs-unused'));
  }
  return bundle0;
}

describeRoot('rootfs: more mount kinds', () => {
  useLeakChecks();

  test('an overlay given in config.json assembles the rootfs from layers; writes land in upperdir', () => {
    const dir = fs.mkdtempSync(path.join(work(), 'ov-'));
    for (const d of ['lower1', 'lower2', 'upper', 'work']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'lower1/a'), 'a-from-lower1\n');
    fs.writeFileSync(path.join(dir, 'lower2/b'), 'b-from-lower2\n');
    const b = new Bundle((c) => {
      c.mounts.push({ destination: '/data', type: 'overlay', source: 'overlay',
        options: [`lowerdir=${dir}/lower1:${dir}/lower2`, `upperdir=${dir}/upper`, `workdir=${dir}/work`] });
    }).args('sh', '-c', 'cat /data/a /data/b; echo new > /data/c');
    expect(run(b)).toMatchObject({ code: 0, stdout: 'a-from-lower1\nb-from-lower2\n' });
    expect(fs.readFileSync(path.join(dir, 'upper/c'), 'utf8')).toBe('new\n');
  });

  test('linux.intelRdt without resctrl is refused naming the field', () => {
    const b = new Bundle((c) => { c.linux.intelRdt = { closID: 'x', l3CacheSchema: 'L3:0=ff' }; }).args('true');
    expect(errMsg(tsrun(['create', '--bundle', b.dir, uniqueId()]).stderr)).toMatch(/^linux\.intelRdt: /);
  });

  test('LISTEN_FDS: socket-activation fds pass through ahead of --preserve-fds, and the container is told', () => {
    const b = new Bundle().args('sh', '-c', 'echo $LISTEN_FDS; ls /proc/self/fd | sort -n | tr "\\n" " "');
    const extra = fs.openSync(path.join(work(), 'listen'), 'w');
    const out = path.join(work(), `${uniqueId()}.out`);
    const o = fs.openSync(out, 'w');
    // LISTEN_PID must be tsrun's own pid: a shell sets it and execs tsrun in place
    const r = spawnSync('sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" "$@"`, TSRUN, '--root', stateRoot('tsrun'), 'run', '--preserve-fds', '1', '--bundle', b.dir, uniqueId()],
      { stdio: ['ignore', o, 'inherit', extra, extra, extra] });
    fs.closeSync(o);
    fs.closeSync(extra);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('2\n0 1 2 3 4 5 6 ');
  });
});

describeRoot('rootfs: tmpcopyup', () => {
  useLeakChecks();

  test('a tmpfs with tmpcopyup starts with what the directory held: files, dirs, symlinks, modes, owners', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'tcu-')));
    const etc = path.join(rootfs, 'etc');
    fs.mkdirSync(path.join(etc, 'sub/deeper'), { recursive: true });
    fs.writeFileSync(path.join(etc, 'sub/deeper/f'), 'deep\n', { mode: 0o604 });
    fs.chmodSync(path.join(etc, 'sub/deeper/f'), 0o604);
    fs.chownSync(path.join(etc, 'sub/deeper/f'), 1000, 1000);
    fs.symlinkSync('sub/deeper/f', path.join(etc, 'link'));
    fs.chmodSync(etc, 0o751);
    const b = new Bundle((c) => {
      c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'size=4m'] });
    }, { rootfs }).args('sh', '-c', 'grep -c root /etc/passwd; cat /etc/link; stat -c "%a %u:%g" /etc/sub/deeper/f /etc; readlink /etc/link; grep " /etc " /proc/self/mountinfo | cut -d" " -f9; echo new > /etc/new && echo writable');
    const r = run(b);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\ndeep\n604 1000:1000\n751 0:0\nsub/deeper/f\ntmpfs\nwritable\n');
    expect(fs.existsSync(path.join(etc, 'new'))).toBe(false); // the rootfs's /etc is untouched
  });
});

describeRoot('rootfs: binds of sockets, recursive attributes', () => {
  useLeakChecks();

  test('a unix socket can be bind-mounted into the container', () => {
    const { addon } = require('../../src/native/addon') as typeof import('../../src/native/addon');
    const sock = path.join(work(), `${uniqueId()}.sock`);
    const fd = addon().bindUnixDgram(sock);
    try {
      const b = new Bundle((c) => { c.mounts.push({ destination: '/run/host.sock', type: 'bind', source: sock, options: ['bind'] }); })
        .args('sh', '-c', 'test -S /run/host.sock && echo socket');
      expect(run(b)).toMatchObject({ code: 0, stdout: 'socket\n' });
    } finally {
      addon().close(fd);
    }
  });

  testNeedsNewMountApi('rnosuid, rnoexec and rnodev reach the submounts of an rbind (mount_setattr AT_RECURSIVE)', 'the r* options are mount_setattr', () => {
    // the host's /dev has submounts (/dev/pts, /dev/shm) that are not noexec
    const b = new Bundle((c) => { c.mounts.push({ destination: '/hostdev', type: 'bind', source: '/dev', options: ['rbind', 'rnosuid', 'rnoexec', 'rnodev'] }); })
      .args('sh', '-c', 'grep " /hostdev/shm " /proc/self/mountinfo | cut -d" " -f6');
    const opts = run(b).stdout.trim().split(',');
    expect(opts).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
  });
});
