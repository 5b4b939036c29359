// Valid configs where tsrun's child behaved differently from runc and crun (issue 12), each
// checked against the oracle where it is right: runc 1.1.5, or crun where runc 1.1.5 is known
// to be wrong (rootfsPropagation after pivot_root: runc 1.4's fix).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, rt, RUNC, runDetached, runIn, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';
import { ENOSYS_MODE, testNeedsNewMountApi } from '../helpers/enosys-mode';
import { idmapSupported, NUMA, skipUnless, TIME_NS } from '../helpers/host-kind';
import { isSharedMount, mountOf, mountPoints } from '../../src/plan/mountinfo';
import { addon } from '../../src/native/addon';

const withoutMountNs = (c: any) => {
  c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount');
};

describeRoot('no mount namespace in the config', () => {
  useLeakChecks();

  test('masked or read-only paths: refused with runc\'s message, naming the field', () => {
    const b = new Bundle(withoutMountNs).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toBe('linux.maskedPaths: unable to restrict sys entries without a private MNT namespace');
    if (RUNC) expect(errMsg(runIn('runc', b).stderr)).toContain('unable to restrict sys entries without a private MNT namespace');
  });

  test('mounts, devices, a read-only root: refused naming the field (runc would make them in the runtime\'s namespace, where they outlive the container)', () => {
    const strip = (c: any) => { withoutMountNs(c); c.linux.maskedPaths = []; c.linux.readonlyPaths = []; };
    const mounts = new Bundle(strip).args('true');
    expect(errMsg(tsrun(['run', '--bundle', mounts.dir, uniqueId()]).stderr)).toMatch(/^mounts: needs a mount namespace \(add \{"type": "mount"\} to linux\.namespaces\)/);
    const ro = new Bundle((c) => { strip(c); c.mounts = []; c.root.readonly = true; }).args('true');
    expect(errMsg(tsrun(['run', '--bundle', ro.dir, uniqueId()]).stderr)).toMatch(/^root\.readonly: needs a mount namespace/);
  });

  test('without them the container runs chrooted, and its init reaches exec.fifo without a /proc of the container', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'nomntns-')));
    fs.rmSync(path.join(rootfs, 'proc'), { recursive: true }); // the image has no /proc at all
    const b = new Bundle((c) => {
      withoutMountNs(c);
      c.mounts = [];
      c.linux.maskedPaths = [];
      c.linux.readonlyPaths = [];
      c.root.readonly = false;
      c.linux.sysctl = { 'kernel.domainname': 'nomntns' }; // written through the runtime's /proc, in the container's uts ns
    }, { rootfs }).args('sh', '-c', 'ls /; test -e /proc || echo no-proc; readlink /proc/self/ns/mnt 2>/dev/null || echo unreadable');
    const id = uniqueId();
    const c = tsrun(['create', '--bundle', b.dir, id]);
    expect(c).toMatchObject({ code: 0, stderr: '' });
    const start = tsrun(['start', id]);
    expect(start.code).toBe(0);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('no-proc\n');
    expect(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8')).not.toBe('nomntns\n');
  });
});

describeRoot('hostname with a UTS namespace joined by path', () => {
  useLeakChecks();

  test('is set in that namespace, as runc does', () => {
    const holder = uniqueId();
    const pid = runDetached(new Bundle((c) => { c.hostname = 'before'; }).args('sleep', '100'), holder);
    try {
      const join = (c: any) => {
        c.hostname = 'joined';
        c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'uts' ? { type: 'uts', path: `/proc/${pid}/ns/uts` } : n));
      };
      const b = new Bundle(join).args('hostname');
      expect(tsrun(['run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stdout: 'joined\n', stderr: '' });
      expect(tsrun(['exec', holder, 'hostname']).stdout).toBe('joined\n');
      if (RUNC) {
        const rb = new Bundle((c) => { join(c); c.hostname = 'by-runc'; }).args('hostname');
        expect(runIn('runc', rb)).toMatchObject({ code: 0, stdout: 'by-runc\n' });
        expect(tsrun(['exec', holder, 'hostname']).stdout).toBe('by-runc\n');
      }
    } finally {
      expect(tsrun(['delete', '-f', holder]).code).toBe(0);
    }
  });
});

/** Idmapped mounts of the test's tmpfs need Linux 6.3 (tmpfs idmap) and the new mount API. */
function idmapTest(name: string, why: string, fn: jest.ProvidesCallback): void {
  if (!ENOSYS_MODE && !idmapSupported()) test.skip(`${name} (skipped here: this kernel cannot idmap a tmpfs mount)`, fn);
  else testNeedsNewMountApi(name, why, fn);
}

/** The optional fields (propagation) of the container's "/" and of its /proc, from inside. */
const ROOT_PROPAGATION = 'awk \'$5=="/" || $5=="/proc" {o=""; for (i=7; $i!="-"; i++) o=o" "$i; print $5":"o}\' /proc/self/mountinfo';

describeRoot('linux.rootfsPropagation', () => {
  useLeakChecks();
  const run = (prop: string | undefined, rootfs?: string) =>
    tsrun(['run', '--bundle', new Bundle((c) => { if (prop) c.linux.rootfsPropagation = prop; }, { rootfs }).args('sh', '-c', ROOT_PROPAGATION).dir, uniqueId()]);

  test('shared and unbindable apply to the container\'s / after pivot_root (runc 1.4, crun; runc 1.1.5 leaves / private, or fails for unbindable)', () => {
    expect(run('shared')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/: shared:\d+\n\/proc:\n$/) });
    expect(run('rshared')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/: shared:\d+\n\/proc: shared:\d+\n$/) });
    expect(run('unbindable')).toMatchObject({ code: 0, stdout: '/: unbindable\n/proc:\n' });
    expect(run('runbindable')).toMatchObject({ code: 0, stdout: '/: unbindable\n/proc: unbindable\n' });
    // slave (not recursive) changes only "/": the shared mount holding the rootfs is then made
    // private before the rootfs is bound (runc's rootfsParentMountPrivate), so "/" is private
    for (const p of ['private', 'rprivate', 'slave']) expect(run(p)).toMatchObject({ code: 0, stdout: '/:\n/proc:\n' });
    // rslave (the default): a slave of the host's mount when that is shared (systemd hosts make / shared), as runc
    const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const bundleMount = mountOf(work(), mountPoints(mountinfo));
    const slaveRoot = isSharedMount(bundleMount, mountinfo) ? expect.stringMatching(/^\/: master:\d+\n\/proc:\n$/) : '/:\n/proc:\n';
    for (const p of [undefined, 'rslave']) expect(run(p)).toMatchObject({ code: 0, stdout: slaveRoot });
  });

  test('rshared with a rootfs that is itself a shared mount point (containerd\'s overlay): the rootfs\'s own mount is made private, pivot_root works, nothing propagates to the host', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'rshared-root-')));
    const mountsUnder = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(rootfs)).length;
    expect(spawnSync('mount', ['--bind', rootfs, rootfs]).status).toBe(0);
    try {
      expect(spawnSync('mount', ['--make-rshared', rootfs]).status).toBe(0);
      const r = run('rshared', rootfs);
      expect(r.stderr).toBe(''); // before: "pivot_root: invalid argument"
      expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/: shared:\d+\n\/proc: shared:\d+\n$/) });
      expect(mountsUnder()).toBe(1); // the bind itself: no mount of the container reached the host
      if (RUNC) expect(runIn('runc', new Bundle((c) => { c.linux.rootfsPropagation = 'rshared'; }, { rootfs }).args('true')).code).toBe(0);
    } finally {
      spawnSync('umount', ['-R', '-l', rootfs]); // with runc's mounts, which do propagate back
    }
  });
});

describeRoot('--no-pivot', () => {
  useLeakChecks();

  test('the host\'s /proc does not stay reachable: a nested user namespace cannot mount a fresh procfs (runc hides it too)', () => {
    // as a non-root user: mapping uid 0 into a new user namespace would need CAP_SETFCAP
    const probe = 'mkdir -p /tmp/p && /bin/busybox unshare -Urmpf /bin/busybox sh -c "mount -t proc -o nosuid,nodev,noexec proc /tmp/p && echo MOUNTED || echo refused"';
    const b = new Bundle((c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
    }).args('sh', '-c', probe);
    const r = tsrun(['run', '--no-pivot', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('refused\n'); // before: MOUNTED, an unmasked procfs (host's sysrq-trigger, core_pattern...)
    if (RUNC) expect(rt('runc', ['run', '--no-pivot', '--bundle', b.dir, uniqueId()], { cwd: b.dir }).stdout).toBe('refused\n');
    // with pivot_root the old root is gone anyway
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()]).stdout).toBe('refused\n');
  });
});

describeRoot('read-only tmpfs mounts tsrun writes into', () => {
  useLeakChecks();
  const MOUNTLINE = (point: string) => `awk '$5=="${point}" {s=""; for (i=1; $i!="-"; i++) ; print $5, $6, $(i+1), $(i+3)}' /proc/self/mountinfo`;

  test('a read-only /dev is populated (nodes, links), then made read-only, as runc does', () => {
    const b = new Bundle((c) => { c.mounts.find((m: any) => m.destination === '/dev').options.push('ro'); })
      .args('sh', '-c', `ls /dev/null /dev/zero /dev/ptmx /dev/fd /dev/pts/ptmx >/dev/null && echo populated; touch /dev/x 2>/dev/null || echo ro-dev; ${MOUNTLINE('/dev')}`);
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stderr: '' }); // before: "create mount point dev/pts: read-only file system"
    expect(r.stdout).toBe('populated\nro-dev\n/dev ro,nosuid tmpfs rw,size=65536k,mode=755\n');
    if (RUNC) expect(runIn('runc', b).stdout).toBe(r.stdout);
  });

  test('a read-only tmpfs with tmpcopyup gets the copy first, as runc does', () => {
    const b = new Bundle((c) => { c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'ro', 'nosuid'] }); })
      .args('sh', '-c', `head -c 5 /etc/passwd; echo; touch /etc/x 2>/dev/null || echo ro-etc; ${MOUNTLINE('/etc')}`);
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^root:\nro-etc\n\/etc ro,nosuid,relatime tmpfs rw/);
    if (RUNC) expect(runIn('runc', b).stdout).toBe(r.stdout);
  });
});

describeRoot('exec', () => {
  useLeakChecks();

  const numa = skipUnless(NUMA, 'this kernel has no NUMA (set_mempolicy: ENOSYS)');
  numa.test(numa.name('applies linux.personality and linux.memoryPolicy as the init got them'), () => {
    const b = new Bundle((c) => {
      c.linux.personality = { domain: 'LINUX32' };
      c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    }).args('sleep', '100');
    const id = uniqueId();
    runDetached(b, id);
    try {
      const probe = 'uname -m; head -1 /proc/self/numa_maps | grep -o "bind:0" || echo default';
      const init = tsrun(['exec', id, 'sh', '-c', probe]);
      expect(init).toMatchObject({ code: 0, stdout: expect.stringMatching(/^(i686|armv[78]l|armv8l)\nbind:0\n$/) }); // before: x86_64 / default
    } finally {
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    }
  });
});

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
const userns = (c: any) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = MAP;
  c.linux.gidMappings = MAP;
};
/** A source directory with a root-owned and a 1:1-owned file (mount points under /tmp: 1777 in the image). */
function idmapSource(): string {
  const d = fs.mkdtempSync(path.join(work(), 'idmap-src-'));
  fs.chmodSync(d, 0o755);
  fs.writeFileSync(path.join(d, 'root-owned'), 'x');
  fs.writeFileSync(path.join(d, 'one-owned'), 'x');
  fs.chownSync(path.join(d, 'one-owned'), 1, 1);
  return d;
}

describeRoot('user namespaces', () => {
  useLeakChecks();

  test('bind sources below a root-only (0700) directory are opened by the host\'s root, as runc passes mount fds; the host mount\'s locks stay', () => {
    const secret = fs.mkdtempSync(path.join(work(), 'root-only-'));
    fs.chmodSync(secret, 0o700);
    const vol = path.join(secret, 'vol');
    fs.mkdirSync(vol, { mode: 0o755 });
    fs.writeFileSync(path.join(vol, 'f'), 'hidden\n');
    // a nosuid host mount below it: the container's root may not clear that (a lock)
    fs.mkdirSync(path.join(vol, 'locked'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,size=64k', 'tmpfs', path.join(vol, 'locked')]).status).toBe(0);
    try {
      const b = new Bundle((c) => {
        userns(c);
        for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push('CAP_SYS_ADMIN');
        c.mounts.push({ destination: '/tmp/vol', type: 'bind', source: vol, options: ['rbind', 'ro'] });
      }).args('sh', '-c', 'cat /tmp/vol/f; mount -o remount,bind,suid /tmp/vol/locked 2>/dev/null && echo LOCK-CLEARED || echo locked');
      const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
      expect(r.stderr).toBe(''); // before: "mounts[N]: mount …/vol: permission denied"
      expect(r).toMatchObject({ code: 0, stdout: 'hidden\nlocked\n' });
      if (RUNC) {
        const rb = new Bundle((c) => {
          userns(c);
          // runc 1.1.5 cannot mount sysfs in a user namespace without its own netns, nor create /sys/fs in a root-owned image
          c.mounts = c.mounts.filter((m: any) => m.destination !== '/sys' && m.type !== 'cgroup');
          for (const k of ['bounding', 'effective', 'permitted']) c.process.capabilities[k].push('CAP_SYS_ADMIN');
          c.mounts.push({ destination: '/tmp/vol', type: 'bind', source: vol, options: ['rbind', 'ro'] });
        }).args('sh', '-c', 'cat /tmp/vol/f; mount -o remount,bind,suid /tmp/vol/locked 2>/dev/null && echo LOCK-CLEARED || echo locked');
        const rr = runIn('runc', rb);
        expect(errMsg(rr.stderr)).toBe('');
        expect(rr).toMatchObject({ code: 0, stdout: 'hidden\nlocked\n' });
      }
    } finally {
      spawnSync('umount', ['-l', path.join(vol, 'locked')]);
    }
  });

  const timens = skipUnless(TIME_NS, 'this kernel has no time namespaces');
  timens.test(timens.name('a time namespace with a user namespace: the offsets are written (they were refused: EACCES)'), () => {
    const b = new Bundle((c) => {
      userns(c);
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 7200 } };
    }).args('sh', '-c', 'cat /proc/self/timens_offsets | tr -s " " | tr "\\n" " "; id -u');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'monotonic 86400 0 boottime 7200 0 0\n' });
  });

  idmapTest('an idmapped mount in a joined user namespace takes that namespace\'s mappings', 'idmapped mounts are open_tree + mount_setattr', () => {
    const holder = uniqueId();
    const pid = runDetached(new Bundle(userns).args('sleep', '100'), holder);
    try {
      const d = idmapSource();
      const b = new Bundle((c) => {
        c.linux.namespaces.push({ type: 'user', path: `/proc/${pid}/ns/user` });
        c.mounts.push({ destination: '/tmp/idm', type: 'bind', source: d, options: ['bind', 'idmap'] });
      }).args('sh', '-c', 'stat -c "%n %u:%g" /tmp/idm/root-owned /tmp/idm/one-owned; id -u');
      const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
      expect(r.stderr).toBe(''); // before: "an idmapped mount needs uidMappings and gidMappings"
      expect(r).toMatchObject({ code: 0, stdout: '/tmp/idm/root-owned 0:0\n/tmp/idm/one-owned 1:1\n0\n' });
    } finally {
      expect(tsrun(['delete', '-f', holder]).code).toBe(0);
    }
  });

  idmapTest('idmap on an rbind maps the top mount only, ridmap every mount of it (runc\'s semantics)', 'idmapped mounts are open_tree + mount_setattr', () => {
    const d = idmapSource();
    fs.mkdirSync(path.join(d, 'sub'));
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', path.join(d, 'sub')]).status).toBe(0);
    try {
      fs.writeFileSync(path.join(d, 'sub/one-owned'), 'x');
      fs.chownSync(path.join(d, 'sub/one-owned'), 1, 1);
      const probe = 'stat -c "%n %u:%g" /tmp/idm/one-owned /tmp/idm/sub/one-owned';
      const with_ = (opt: string) => tsrun(['run', '--bundle', new Bundle((c) => {
        userns(c);
        c.mounts.push({ destination: '/tmp/idm', type: 'bind', source: d, options: ['rbind', opt] });
      }).args('sh', '-c', probe).dir, uniqueId()]);
      // before: idmap with rbind mapped the submount too
      expect(with_('idmap')).toMatchObject({ code: 0, stdout: '/tmp/idm/one-owned 1:1\n/tmp/idm/sub/one-owned 65534:65534\n' });
      expect(with_('ridmap')).toMatchObject({ code: 0, stdout: '/tmp/idm/one-owned 1:1\n/tmp/idm/sub/one-owned 1:1\n' });
    } finally {
      spawnSync('umount', ['-l', path.join(d, 'sub')]);
    }
  });
});


/** A fresh rootfs others than root may search (mkdtemp makes 0700). */
function readableRootfs(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(work(), prefix));
  fs.chmodSync(dir, 0o755);
  return makeRootfs(dir);
}

describeRoot('the image\'s /proc and /sys, process.cwd', () => {
  useLeakChecks();

  test('a /sys that is a symlink is refused with runc\'s message, as a /proc one is', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'syslink-')));
    fs.rmSync(path.join(rootfs, 'sys'), { recursive: true });
    fs.mkdirSync(path.join(rootfs, 'elsewhere'));
    fs.symlinkSync('/elsewhere', path.join(rootfs, 'sys'));
    const b = new Bundle((c) => { c.root.readonly = false; }, { rootfs }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toContain('filesystem "sysfs" must be mounted on ordinary directory');
    expect(fs.readdirSync(path.join(rootfs, 'elsewhere'))).toEqual([]); // nothing mounted through the link
    if (RUNC) expect(errMsg(runIn('runc', b).stderr)).toContain('filesystem "sysfs" must be mounted on ordinary directory');
  });

  test('a bind of the host\'s /proc onto /proc (rootless engines with the host pid namespace) runs, as under runc', () => {
    const b = new Bundle((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'pid');
      c.mounts = c.mounts.map((m: any) => (m.destination === '/proc' ? { destination: '/proc', type: 'bind', source: '/proc', options: ['rbind', 'nosuid', 'noexec', 'nodev'] } : m));
    }).args('sh', '-c', 'cat /proc/1/comm; cat /proc/kcore 2>/dev/null | wc -c; echo 1 2>/dev/null > /proc/sys/kernel/ns_last_pid && echo WRITABLE || echo ro');
    const r = runIn('tsrun', b);
    const init = fs.readFileSync('/proc/1/comm', 'utf8');
    // the host's pid 1; masks and read-only paths still apply over the bind
    expect(r).toEqual({ code: 0, signal: null, stdout: `${init}0\nro\n`, stderr: '' });
    if (RUNC) expect(runIn('runc', b)).toEqual(r);
    // a bind of anything else onto /proc stays refused, as runc refuses it
    const dir = fs.mkdtempSync(path.join(work(), 'notproc-'));
    const other = new Bundle((c) => {
      c.mounts = c.mounts.map((m: any) => (m.destination === '/proc' ? { destination: '/proc', type: 'bind', source: dir, options: ['rbind'] } : m));
    }).args('true');
    expect(errMsg(runIn('tsrun', other).stderr)).toBe(`mounts[0].type: only procfs may be mounted on /proc, or a bind of a procfs (got "bind" of ${dir})`);
    if (RUNC) expect(errMsg(runIn('runc', other).stderr)).toMatch(/\/proc" cannot be mounted because it is not of type proc$/);
  });

  test('a process.cwd missing from a read-only rootfs is created (0755) before the rootfs turns read-only, as runc does', () => {
    const probe = 'pwd; stat -c "%a %u" /does /does/not /does/not/exist';
    const run = (rt_: 'tsrun' | 'runc') => runIn(rt_, new Bundle((c) => {
      c.root.readonly = true;
      c.process.cwd = '/does/not/exist';
      c.process.user = { uid: 1000, gid: 1000 };
    }, { rootfs: readableRootfs('cwd-') }).args('sh', '-c', probe));
    const r = run('tsrun');
    expect(r).toEqual({ code: 0, signal: null, stdout: '/does/not/exist\n755 0\n755 0\n755 0\n', stderr: '' });
    if (RUNC) expect(run('runc')).toEqual(r);
  });
});

describeRoot('NOTIFY_SOCKET in a user-namespaced container', () => {
  useLeakChecks();

  test('the container\'s READY=1 reaches the caller\'s socket through the proxy (its root is not the host\'s)', () => {
    // owned by the mapped root, as a user-namespaced engine prepares its images (it creates /run/notify)
    const rootfs = readableRootfs('notify-userns-');
    expect(spawnSync('chown', ['-R', '100000:100000', rootfs]).status).toBe(0);
    const cc = spawnSync('gcc', ['-static', '-O2', '-o', path.join(rootfs, 'bin/sdnotify'), path.join(__dirname, '../helpers/sdnotify.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const hostSock = path.join(work(), `${uniqueId()}.sock`);
    const fd = addon().bindUnixDgram(hostSock);
    const id = uniqueId();
    try {
      const b = new Bundle(userns, { rootfs }).args('sh', '-c', 'sdnotify READY=1 || exit 3; sleep 100'); // refused: run -d ends with the init
      const pidFile = path.join(b.dir, 'pid');
      const r = rt('tsrun', ['run', '-d', '--pid-file', pidFile, '--bundle', b.dir, id], { env: { ...process.env, NOTIFY_SOCKET: hostSock }, timeout: 30_000 });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const pid = readPid(pidFile);
      expect(addon().recvDgram(fd, 5000)).toBe(`READY=1\nMAINPID=${pid}\n`);
    } finally {
      addon().close(fd);
      tsrun(['delete', '-f', id]);
    }
  });
});
