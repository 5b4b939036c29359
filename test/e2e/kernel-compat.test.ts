// Kernels without the new mount and fd API (issue 12): tsrun run under test/helpers/enosys, a
// seccomp filter that answers ENOSYS for openat2, close_range, clone3, open_tree, move_mount,
// fsopen, fsconfig, fsmount, fspick and mount_setattr, as Linux 5.4 (or 4.18) would. Every
// container still starts with the same mounts as on this kernel (the fallbacks: an in-root
// walk for openat2, mount(2) onto /proc/self/fd/N with a verified re-lookup for the mount API,
// the /proc/self/fd loop for close_range, clone for clone3); what is those syscalls (the r*
// options, idmapped mounts) is refused naming the field and the kernel feature, and `features`
// does not claim it. The whole e2e suite runs under the same filter as its own CI step
// (`npm run test:enosys`); these tests run it inside the normal suite too.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, Result, runCaptured, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';
import { RECURSIVE } from '../../src/plan/mount-options';

let enosysBin: string | undefined;
function enosys(): string {
  if (!enosysBin) {
    const out = path.join(work(), 'enosys');
    const cc = spawnSync('cc', ['-O2', '-o', out, path.join(__dirname, '../helpers/enosys.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc enosys.c: ${cc.stderr}`);
    enosysBin = out;
  }
  return enosysBin;
}

/** tsrun as on a kernel without the new API (the filter is inherited by tsrun and its child). */
function oldKernel(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Result {
  return runCaptured(enosys(), ['--', TSRUN, '--root', stateRoot('tsrun'), ...args], { timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env });
}

/** Mount point, per-mount options, fs type and propagation kind of each line: what must not depend on the kernel's API. */
function mountShape(mountinfo: string): string[] {
  return mountinfo.trim().split('\n').map((line) => {
    const [pre, post] = line.split(' - ');
    const f = pre.split(' ');
    const optional = f.slice(6).map((o) => o.replace(/:\d+$/, '')).sort().join(',');
    return `${f[4]} ${f[5]} ${post.split(' ')[0]} [${optional}]`;
  }).sort();
}

describeRoot('kernels without the new mount and fd API (run under a filter answering ENOSYS)', () => {
  useLeakChecks();

  test('the filter works: each of the ten syscalls answers ENOSYS, and TSRUN_TEST_ENOSYS is set', () => {
    const py = 'import ctypes,os\nl=ctypes.CDLL(None,use_errno=True)\nfor n in (428,429,430,431,432,433,435,436,437,442):\n  l.syscall(n,0,0,0,0,0); print(n, ctypes.get_errno())\nprint(os.environ.get("TSRUN_TEST_ENOSYS"))';
    const r = spawnSync(enosys(), ['--', 'python3', '-c', py], { encoding: 'utf8' });
    expect(r.stdout).toBe([428, 429, 430, 431, 432, 433, 435, 436, 437, 442].map((n) => `${n} 38\n`).join('') + '1\n');
  });

  test('a full container is the same without the API: /proc, /sys, /dev, binds, tmpcopyup, propagation, masks, read-only paths and root, sysctl', () => {
    const src = fs.mkdtempSync(path.join(work(), 'compat-src-'));
    fs.writeFileSync(path.join(src, 'file.txt'), 'content\n');
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'compat-root-')));
    fs.writeFileSync(path.join(rootfs, 'etc/copied'), 'from the image\n');
    const b = new Bundle((c) => {
      c.root.readonly = true;
      c.linux.sysctl = { 'kernel.domainname': 'compat' };
      c.mounts.push({ destination: '/ro', type: 'bind', source: src, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
      c.mounts.push({ destination: '/etc/file.txt', type: 'bind', source: path.join(src, 'file.txt'), options: ['bind', 'ro'] });
      c.mounts.push({ destination: '/shared', type: 'bind', source: src, options: ['rbind', 'rshared'] });
      c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'nosuid'] });
      c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['rslave', 'size=1m'] });
    }, { rootfs }).args('sh', '-c', [
      'cat /proc/self/mountinfo', 'echo ---', 'cat /etc/copied /etc/file.txt /proc/sys/kernel/domainname', 'wc -c < /proc/keys',
      'touch /proc/sys/x 2>/dev/null || echo sys-ro', 'touch /ro/x 2>/dev/null || echo bind-ro', 'touch /x 2>/dev/null || echo root-ro',
      'ls /proc/self/fd | sort -n | tr "\\n" " "',
    ].join('; '));
    const now = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    const old = oldKernel(['run', '--bundle', b.dir, uniqueId()]);
    expect(old.stderr).toBe('');
    expect(old.code).toBe(0);
    expect(now.code).toBe(0);
    const [mi, rest] = old.stdout.split('---\n');
    expect(rest).toBe('from the image\ncontent\ncompat\n0\nsys-ro\nbind-ro\nroot-ro\n0 1 2 3 ');
    expect(mountShape(mi)).toEqual(mountShape(now.stdout.split('---\n')[0]));
    expect(now.stdout.split('---\n')[1]).toBe(rest);
  });

  test('no /proc in the config: tsrun-init still reaches exec.fifo through a procfs of its own (mounted, verified, detached)', () => {
    const b = new Bundle((c) => {
      c.mounts = c.mounts.filter((m: any) => m.destination !== '/proc');
      c.linux.maskedPaths = [];
      c.linux.readonlyPaths = [];
    }).args('sh', '-c', 'ls /proc | wc -l; grep -c " /proc " /proc/self/mountinfo 2>/dev/null || echo none');
    const r = oldKernel(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stdout: '0\nnone\n' }); // the container never sees tsrun's procfs
  });

  test('a user-namespaced container: binds, /proc, and sysfs from the host where the kernel refuses a new one', () => {
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const b = new Bundle((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network');
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = map;
      c.linux.gidMappings = map;
      c.mounts = c.mounts.filter((m: any) => m.type !== 'cgroup');
    }).args('sh', '-c', 'grep -E " /(proc|sys) " /proc/self/mountinfo | cut -d" " -f5,6 | sort; id -u');
    const now = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    const old = oldKernel(['run', '--bundle', b.dir, uniqueId()]);
    expect(old.stderr).toBe('');
    expect(old).toMatchObject({ code: 0, stdout: now.stdout });
    expect(old.stdout).toMatch(/^\/proc rw,.*\n\/proc\/sys ro,.*\n\/sys ro,.*\n0\n$/);
  });

  test('exec and exec -t join without the API; HOME comes from the image\'s passwd read inside the rootfs', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'compat-exec-')));
    fs.mkdirSync(path.join(rootfs, 'realhome'));
    fs.rmSync(path.join(rootfs, 'etc/passwd'));
    fs.writeFileSync(path.join(rootfs, 'realhome/passwd'), 'root:x:0:0:root:/realroot:/bin/sh\n');
    fs.symlinkSync('/realhome/passwd', path.join(rootfs, 'etc/passwd')); // absolute: resolves in the root
    const b = new Bundle((c) => { c.process.env = c.process.env.filter((e: string) => !e.startsWith('HOME=')); }, { rootfs }).args('sleep', '100');
    const id = uniqueId();
    expect(oldKernel(['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      expect(oldKernel(['exec', id, 'sh', '-c', 'echo $HOME; ls /proc/self/fd | sort -n | tr "\\n" " "'])).toMatchObject({ code: 0, stdout: '/realroot\n0 1 2 3 ' });
      const cmd = [enosys(), '--', TSRUN, '--root', stateRoot('tsrun'), 'exec', '-t', id, 'sh', '-c', 'tty; exit 6'].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
      expect(r.stdout.replace(/\r|\^@|\0/g, '')).toMatch(/\/dev\/pts\/\d+\n/);
      expect(r.status).toBe(6);
    } finally {
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    }
  });

  test('a mount destination through absolute and ../ symlinks stays in the rootfs (the in-root walk)', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'compat-links-')));
    const host = fs.mkdtempSync(path.join(work(), 'compat-host-'));
    fs.symlinkSync(host, path.join(rootfs, 'abs'));                        // absolute: the rootfs's own <host>
    fs.symlinkSync(`../../../../../../../..${host}`, path.join(rootfs, 'up')); // ..: clamped at the root
    fs.symlinkSync('/made-by-link', path.join(rootfs, 'last')); // dangling, the destination's last component
    const b = new Bundle((c) => {
      c.mounts.push({ destination: '/abs/a', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      c.mounts.push({ destination: '/up/b', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rprivate'] });
      // propagation: a later step on the new mount, found again through the link
      c.mounts.push({ destination: '/last', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'rprivate'] });
    }, { rootfs }).args('sh', '-c', `grep -c " ${host}/[ab] " /proc/self/mountinfo; grep -c " /made-by-link " /proc/self/mountinfo`);
    const r = oldKernel(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stdout: '2\n1\n' });
    expect(fs.readdirSync(host)).toEqual([]);                  // nothing created on the host
    expect(fs.existsSync(path.join(rootfs, host, 'a'))).toBe(true); // ... but inside the rootfs
  });

  test('features claims neither the r* options nor idmapped mounts; a config using them names the field and the kernel feature', () => {
    const now = JSON.parse(tsrun(['features']).stdout);
    const old = JSON.parse(oldKernel(['features']).stdout);
    expect(old.mountOptions).not.toContain('rro');
    expect(old.mountOptions).not.toContain('idmap');
    expect(old.linux.mountExtensions.idmap.enabled).toBe(false);
    expect(old.mountOptions).toEqual(now.mountOptions.filter((o: string) => !(o in RECURSIVE) && o !== 'idmap' && o !== 'ridmap'));
    expect(old.linux.namespaces).toEqual(now.linux.namespaces);
    const rro = new Bundle((c) => { c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'rro'] }); }).args('true');
    const r1 = oldKernel(['run', '--bundle', rro.dir, uniqueId()]);
    expect(r1.code).toBe(1);
    expect(errMsg(r1.stderr)).toBe(`mounts[${rro.config.mounts.length - 1}].options: rro needs mount_setattr (Linux 5.12); this kernel returned ENOSYS`);
    const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const idmap = new Bundle((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = map;
      c.linux.gidMappings = map;
      c.mounts.push({ destination: '/tmp/x', type: 'bind', source: work(), options: ['bind', 'idmap'] });
    }).args('true');
    const r2 = oldKernel(['run', '--bundle', idmap.dir, uniqueId()]);
    expect(r2.code).toBe(1);
    expect(errMsg(r2.stderr)).toBe(`mounts[${idmap.config.mounts.length - 1}].options: idmapped mounts need open_tree (Linux 5.12); this kernel returned ENOSYS`);
  });
});
