// Attacks on the HOME lookup: when the config gives no HOME, create and exec read the image's
// /etc/passwd (runc reads it inside the container). An image, or a running container writing
// into its rootfs, links that file to a host file, a host fifo or /dev/zero, by an absolute or
// a ../ symlink. tsrun must resolve it inside the rootfs, read only a small regular file, and
// never block, balloon or leak a host file's field into HOME. runc 1.1.5 is the control where
// it gives an answer (it fails on /dev/zero and hangs on a fifo inside the rootfs).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  Bundle, describeRoot, RUNC, Result, rt, runIn, stateRoot, TSRUN, tsrun, uniqueId as uid, useLeakChecks, work,
} from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';

const LEAK_LINE = 'root:x:0:0::/LEAKED:/bin/sh\n';
/** A host file outside every rootfs whose root line would put /LEAKED into HOME. */
function hostLeakFile(): string {
  const f = path.join(work(), `${uid('leak')}.passwd`);
  fs.writeFileSync(f, LEAK_LINE);
  return f;
}
function hostFifo(): string {
  const f = path.join(work(), `${uid('fifo')}.fifo`);
  const r = spawnSync('mkfifo', [f]);
  if (r.status !== 0) throw new Error(`mkfifo ${f}`);
  return f;
}
/** The same host path reached by a ../ symlink from <rootfs>/etc. */
const dotdot = (host: string) => '../'.repeat(16) + host.slice(1);

/** A fresh rootfs whose etc/passwd is replaced by `plant`. */
function passwdRootfs(plant: (etcPasswd: string, rootfs: string) => void): string {
  const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'passwd-')));
  fs.chmodSync(rootfs, 0o755);
  const p = path.join(rootfs, 'etc/passwd');
  fs.rmSync(p);
  plant(p, rootfs);
  return rootfs;
}
const echoHome = (rootfs: string, mutate?: (c: any) => void) =>
  new Bundle(mutate, { rootfs }).args('sh', '-c', 'echo "HOME=$HOME"');

interface Bounded extends Result { ms: number; maxRssMiB: number }
/**
 * tsrun under a hard bound: SIGKILL after `seconds` (a hang or a runaway read shows as exit
 * 137), and its peak RSS measured by GNU time (--foreground: timeout outlives tsrun and reaps
 * it, so its usage is counted).
 */
function bounded(args: string[], seconds = 10): Bounded {
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time (GNU time) is needed to measure peak memory');
  const base = path.join(work(), uid('bounded'));
  const out = fs.openSync(`${base}.out`, 'w+');
  const err = fs.openSync(`${base}.err`, 'w+');
  const t0 = Date.now();
  try {
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', '-o', `${base}.time`,
      'timeout', '--foreground', '-s', 'KILL', String(seconds), TSRUN, '--root', stateRoot('tsrun'), ...args],
    { stdio: ['ignore', out, err], timeout: (seconds + 30) * 1000, killSignal: 'SIGKILL' });
    const ms = Date.now() - t0;
    const m = /maxrss=(\d+)/.exec(fs.existsSync(`${base}.time`) ? fs.readFileSync(`${base}.time`, 'utf8') : '');
    return {
      code: r.status, signal: r.signal, ms, maxRssMiB: m ? Number(m[1]) / 1024 : Infinity,
      stdout: fs.readFileSync(`${base}.out`, 'utf8'), stderr: fs.readFileSync(`${base}.err`, 'utf8'),
    };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}
/** What a bounded command did, in one comparable value. */
const summary = (r: Bounded) => ({ code: r.code, stdout: r.stdout, quick: r.ms < 8_000, small: r.maxRssMiB < 300 });
const fine = (stdout: string) => ({ code: 0, stdout, quick: true, small: true });

/** runc 1.1.5 on the same bundle, where it answers (it runs the lookup inside the container). */
function expectRuncHome(b: Bundle, home: string): void {
  if (!RUNC) return;
  const r = runIn('runc', b);
  expect([r.code, r.stdout]).toEqual([0, `HOME=${home}\n`]);
}

describeRoot('security: the image\'s /etc/passwd is read inside the rootfs (HOME)', () => {
  useLeakChecks();

  // controls: HOME still comes from the image's passwd, symlinks resolved in the root
  test('control: a normal passwd gives HOME=/root; an explicit HOME is kept', () => {
    const rootfs = passwdRootfs((p) => fs.writeFileSync(p, 'root:x:0:0:root:/root:/bin/sh\n'));
    const b = echoHome(rootfs);
    expect(summary(bounded(['run', '--bundle', b.dir, uid()]))).toEqual(fine('HOME=/root\n'));
    expectRuncHome(b, '/root');
    const withHome = echoHome(rootfs, (c) => c.process.env.push('HOME=/given'));
    expect(tsrun(['run', '--bundle', withHome.dir, uid()]).stdout).toBe('HOME=/given\n');
  });

  test.each([
    ['an absolute symlink', '/etc/passwd.real'],
    ['a relative symlink', 'passwd.real'],
    ['an absolute symlink through a symlinked directory', '/lnk/passwd.real'],
  ])('control: /etc/passwd as %s inside the image resolves in the root', (_, target) => {
    const rootfs = passwdRootfs((p, r) => {
      fs.writeFileSync(path.join(r, 'etc/passwd.real'), 'root:x:0:0:root:/realroot:/bin/sh\n');
      fs.symlinkSync('/etc', path.join(r, 'lnk'));
      fs.symlinkSync(target, p);
    });
    const b = echoHome(rootfs);
    expect(summary(bounded(['run', '--bundle', b.dir, uid()]))).toEqual(fine('HOME=/realroot\n'));
    expectRuncHome(b, '/realroot');
  });

  test('control: an empty home field gives HOME=/ and the uid is matched on its field', () => {
    const rootfs = passwdRootfs((p) => fs.writeFileSync(p, 'x:x:10:0::/ten:/bin/sh\nroot:x:0:0:root::/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n'));
    expect(tsrun(['run', '--bundle', echoHome(rootfs).dir, uid()]).stdout).toBe('HOME=/\n');
    const b = echoHome(rootfs, (c) => { c.process.user = { uid: 1000, gid: 1000 }; });
    expect(tsrun(['run', '--bundle', b.dir, uid()]).stdout).toBe('HOME=/home/u\n');
  });

  // attacks planted in the image
  test.each([
    ['an absolute symlink', (f: string) => f],
    ['a ../ symlink', dotdot],
  ])('/etc/passwd as %s to a host file: its fields never reach HOME', (_, link) => {
    const leak = hostLeakFile();
    const rootfs = passwdRootfs((p) => fs.symlinkSync(link(leak), p));
    const b = echoHome(rootfs);
    expect(summary(bounded(['run', '--bundle', b.dir, uid()]))).toEqual(fine('HOME=/\n'));
    expectRuncHome(b, '/');
    expect(fs.readFileSync(leak, 'utf8')).toBe(LEAK_LINE);
  });

  test.each([
    ['with no /dev/zero in the image', false],
    ['with the image\'s own /dev/zero device node', true],
  ])('/etc/passwd -> /dev/zero %s: create neither hangs nor balloons', (_, node) => {
    const rootfs = passwdRootfs((p, r) => {
      if (node && spawnSync('mknod', [path.join(r, 'dev/zero'), 'c', '1', '5']).status !== 0) throw new Error('mknod');
      fs.symlinkSync('/dev/zero', p);
    });
    const b = echoHome(rootfs);
    // before: tsrun read the host's /dev/zero without end (past 6 GiB); runc 1.1.5 fails
    // ("bufio.Scanner: token too long")
    expect(summary(bounded(['run', '--bundle', b.dir, uid()]))).toEqual(fine('HOME=/\n'));
  });

  test.each([
    ['an absolute symlink to a host fifo', (p: string) => fs.symlinkSync(hostFifo(), p)],
    ['a ../ symlink to a host fifo', (p: string) => fs.symlinkSync(dotdot(hostFifo()), p)],
    ['a fifo inside the image', (p: string) => { if (spawnSync('mkfifo', [p]).status !== 0) throw new Error('mkfifo'); }],
  ])('/etc/passwd as %s: create does not block on it', (_, plant) => {
    const b = echoHome(passwdRootfs(plant));
    // (runc 1.1.5 blocks forever on a fifo inside the image)
    expect(summary(bounded(['run', '--bundle', b.dir, uid()]))).toEqual(fine('HOME=/\n'));
  });

  test('/etc/passwd as a directory or larger than the 4 MiB bound: not read, HOME=/', () => {
    const dir = passwdRootfs((p) => fs.mkdirSync(p));
    expect(summary(bounded(['run', '--bundle', echoHome(dir).dir, uid()]))).toEqual(fine('HOME=/\n'));
    // 64 MiB of (sparse) zeros, then a root line: before, all of it was read and the line used
    const big = passwdRootfs((p) => {
      fs.writeFileSync(p, '');
      fs.truncateSync(p, 64 << 20);
      fs.appendFileSync(p, '\nroot:x:0:0::/big:/bin/sh\n');
    });
    expect(summary(bounded(['run', '--bundle', echoHome(big).dir, uid()]))).toEqual(fine('HOME=/\n'));
  });

  // a running container plants the link for every later exec without HOME
  test.each([
    ['a host file', (): string => hostLeakFile()],
    ['a host file by ../', (): string => dotdot(hostLeakFile())],
    ['a host fifo', (): string => hostFifo()],
    ['/dev/zero', (): string => '/dev/zero'],
  ])('a running container links its /etc/passwd to %s: a later exec gets HOME=/ without blocking', (_, target) => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'passwd-')));
    const b = new Bundle((c) => { c.root.readonly = false; }, { rootfs }).args('sleep', '1000');
    const id = uid();
    expect(tsrun(['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      expect(tsrun(['exec', id, 'sh', '-c', 'echo "HOME=$HOME"']).stdout).toBe('HOME=/root\n');
      const link = target();
      const plant = tsrun(['exec', '--env', 'HOME=/x', id, 'ln', '-sf', link, '/etc/passwd']);
      expect(plant.code).toBe(0);
      expect(fs.readlinkSync(path.join(rootfs, 'etc/passwd'))).toBe(link);
      expect(summary(bounded(['exec', id, 'sh', '-c', 'echo "HOME=$HOME"']))).toEqual(fine('HOME=/\n'));
    } finally {
      rt('tsrun', ['delete', '--force', id]);
    }
  });
});
