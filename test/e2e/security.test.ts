// Doors of the CVE-2019-5736 class and leaked descriptors: nothing in the container can reach
// or rewrite the host's node binary or the init stub, before start, after start, or via exec.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, readPid, sleepMs, tsrun, uniqueId, useLeakChecks } from '../helpers/harness';

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describeRoot('security: the host binary and the init stub', () => {
  useLeakChecks();

  test('a created container runs a sealed memfd: /proc/1/exe cannot be written from inside; node and the stub stay intact', () => {
    const node = fs.realpathSync(process.execPath);
    const stub = path.resolve(__dirname, '../../build/Release/tsrun-init');
    const before = { node: sha(node), stub: sha(stub) };
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    const pidFile = path.join(b.dir, 'pid');
    expect(tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id]).code).toBe(0);
    const init = readPid(pidFile);
    expect(fs.readlinkSync(`/proc/${init}/exe`)).toMatch(/^\/memfd:tsrun-init/);
    // exec into the created container, as root with the container's capabilities, and attack pid 1's exe
    const r = tsrun(['exec', '--cap', 'CAP_SYS_PTRACE', '--cap', 'CAP_DAC_OVERRIDE', id, 'sh', '-c',
      'readlink /proc/1/exe; (echo pwned >> /proc/1/exe) 2>/dev/null && echo WROTE || echo refused; ls -l /proc/self/fd | grep -c node']);
    expect(r.stdout.trim().split('\n')).toEqual(['/memfd:tsrun-init (deleted)', 'refused', '0']);
    expect(tsrun(['start', id]).code).toBe(0);
    // start returns once the init has read the handshake; its execve follows
    let exe = '';
    for (let i = 0; i < 100 && !exe.includes('busybox'); i++) { exe = fs.readlinkSync(`/proc/${init}/exe`); if (!exe.includes('busybox')) sleepMs(20); }
    expect(exe).toContain('busybox');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect({ node: sha(node), stub: sha(stub) }).toEqual(before);
  });

  test('#!/proc/self/exe as the container\'s entrypoint runs inside, never the host\'s binary', () => {
    const b = new Bundle((c) => { c.root.readonly = false; }).args('/bin/selfexe');
    fs.writeFileSync(path.join(b.config.root.path, 'bin/selfexe'), '#!/proc/self/exe\n');
    fs.chmodSync(path.join(b.config.root.path, 'bin/selfexe'), 0o755);
    const node = fs.realpathSync(process.execPath);
    const before = sha(node);
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    fs.rmSync(path.join(b.config.root.path, 'bin/selfexe'));
    expect(r.code).not.toBe(0); // exec of the script loops on itself inside the container and fails
    expect(sha(node)).toBe(before);
  });
});

import { makeRootfs } from '../helpers/rootfs';
import { errMsg, uniqueId as uid, work } from '../helpers/harness';

function hostileRootfs(): string {
  return makeRootfs(fs.mkdtempSync(path.join(work(), 'hostile-')));
}

describeRoot('security: symlinks in the rootfs', () => {
  useLeakChecks();

  test('a mount destination through an absolute symlink lands inside the rootfs, never on the host path', () => {
    const rootfs = hostileRootfs();
    const sentinel = fs.mkdtempSync(path.join(work(), 'sentinel-'));
    fs.symlinkSync(sentinel, path.join(rootfs, 'escape'));
    const b = new Bundle((c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/escape/inner', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    }, { rootfs }).args('sh', '-c', 'echo x > /escape/inner/file && echo ok');
    expect(tsrun(['run', '--bundle', b.dir, uid()]).stdout).toBe('ok\n');
    expect(fs.readdirSync(sentinel)).toEqual([]); // nothing created or mounted on the host path
    expect(fs.existsSync(path.join(rootfs, sentinel.slice(1), 'inner'))).toBe(true); // it went here instead
  });

  test('a symlinked /proc is refused as runc refuses it, and ../ in destinations stays inside the rootfs', () => {
    const rootfs = hostileRootfs();
    const sentinel = fs.mkdtempSync(path.join(work(), 'sentinel-'));
    fs.rmSync(path.join(rootfs, 'proc'), { recursive: true });
    fs.symlinkSync(sentinel, path.join(rootfs, 'proc'));
    const linked = new Bundle((c) => { c.root.readonly = false; }, { rootfs }).args('true');
    const refused = tsrun(['run', '--bundle', linked.dir, uid()]);
    expect(refused.code).toBe(1);
    expect(errMsg(refused.stderr)).toContain('filesystem "proc" must be mounted on ordinary directory');
    expect(fs.readdirSync(sentinel)).toEqual([]);
    const b = new Bundle((c) => {
      c.root.readonly = false;
      c.mounts.push({ destination: '/../../../../dotdot', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    }).args('sh', '-c', 'test -e /proc/self/status && echo procfs; grep -c " /dotdot " /proc/self/mountinfo');
    const r = tsrun(['run', '--bundle', b.dir, uid()]);
    expect(r.stdout).toBe('procfs\n1\n');
  });

  test('a /dev/null that is a symlink (CVE-2025-31133 class) is refused before any mask is mounted', () => {
    const rootfs = hostileRootfs();
    const devdir = path.join(rootfs, 'hostile-dev');
    fs.mkdirSync(devdir);
    fs.symlinkSync('/proc/sys/kernel/core_pattern', path.join(devdir, 'null'));
    const pattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const b = new Bundle((c) => {
      // the rootfs's own /dev, bound in: tsrun creates no device nodes then
      c.mounts = c.mounts.filter((m: any) => !m.destination.startsWith('/dev'));
      c.mounts.push({ destination: '/dev', type: 'bind', source: devdir, options: ['rbind'] });
      c.linux.maskedPaths = ['/proc/kcore'];
      c.linux.readonlyPaths = [];
    }, { rootfs }).args('sh', '-c', 'echo "|/bin/pwned" > /proc/kcore');
    const r = tsrun(['create', '--bundle', b.dir, uid()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toContain('/dev/null is not the null device');
    expect(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(pattern);
  });
});

describeRoot('security: leaked descriptors (CVE-2024-21626 class)', () => {
  useLeakChecks();

  test('process.cwd through /proc/self/fd/N never reaches a host directory', () => {
    const outside: string[] = [];
    for (let n = 3; n < 40; n++) {
      const b = new Bundle((c) => { c.process.cwd = `/proc/self/fd/${n}`; }).args('sh', '-c', 'pwd; ls -a | head -3');
      const r = tsrun(['run', '--bundle', b.dir, uid()]);
      if (r.code === 0) outside.push(`fd ${n}: ${r.stdout.trim().replace(/\n/g, ' ')}`);
    }
    expect(outside).toEqual([]);
  });

  test('exec --cwd /proc/self/fd/N is refused the same way', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uid();
    expect(tsrun(['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    const reached: string[] = [];
    for (let n = 3; n < 30; n++) {
      const r = tsrun(['exec', '--cwd', `/proc/self/fd/${n}`, id, 'pwd']);
      if (r.code === 0) reached.push(`fd ${n}: ${r.stdout.trim()}`);
    }
    expect(reached).toEqual([]);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });
});

describeRoot('security: /proc', () => {
  useLeakChecks();
  const created = (mutate: (c: any) => void) => tsrun(['create', '--bundle', new Bundle(mutate).args('true').dir, uid()]);

  test('only procfs may be mounted on /proc; over /proc files only the allowlist (runc\'s), e.g. lxcfs-style meminfo', () => {
    const tmpfsOnProc = created((c) => { c.mounts = c.mounts.map((m: any) => (m.destination === '/proc' ? { destination: '/proc', type: 'tmpfs', source: 'tmpfs' } : m)); });
    expect(errMsg(tmpfsOnProc.stderr)).toMatch(/^mounts\[\d+\]\.type: only procfs may be mounted on \/proc/);
    const overSysrq = created((c) => c.mounts.push({ destination: '/proc/sysrq-trigger', type: 'bind', source: '/dev/null', options: ['bind'] }));
    expect(errMsg(overSysrq.stderr)).toMatch(/^mounts\[\d+\]\.destination: \/proc\/sysrq-trigger: mounting over \/proc is only allowed for/);
    const meminfo = path.join(work(), `${uid()}-meminfo`);
    fs.writeFileSync(meminfo, 'MemTotal: 1 kB\n');
    const b = new Bundle((c) => c.mounts.push({ destination: '/proc/meminfo', type: 'bind', source: meminfo, options: ['bind', 'ro'] })).args('cat', '/proc/meminfo');
    expect(tsrun(['run', '--bundle', b.dir, uid()])).toMatchObject({ code: 0, stdout: 'MemTotal: 1 kB\n' });
  });
});
