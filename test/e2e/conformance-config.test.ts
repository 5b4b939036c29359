// Conformance (issue 12): configs runc 1.1.5 runs must run, with runc's warnings; the refusals
// that remain are runc's own. runc is the oracle: the same bundle goes through both.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, RUNC, rt, Runtime, runIn, uniqueId, useLeakChecks } from '../helpers/harness';
import { PURE_V2 } from '../helpers/host-kind';

const maybe = RUNC ? test : test.skip;

/** The warning lines of a run's stderr, as `level msg` pairs (the time varies). */
function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.includes('level=warning')).map((l) => errMsg(l));
}

function both(b: Bundle): Record<Runtime, ReturnType<typeof runIn>> {
  const id = uniqueId('conf');
  return { runc: runIn('runc', b, id), tsrun: runIn('tsrun', b, id) } as Record<Runtime, ReturnType<typeof runIn>>;
}

describeRoot('conformance: capabilities that cannot be granted are a warning, not an error', () => {
  useLeakChecks();

  maybe('unknown names in every set: the container runs, with runc\'s warning (sorted, once)', () => {
    const b = new Bundle((c) => {
      c.process.capabilities.bounding.push('CAP_FOO');
      c.process.capabilities.effective.push('CAP_BAR', 'CAP_FOO', 'cap_chown');
      c.process.capabilities.ambient.push('CAP_BAR');
    }).args('sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status');
    const r = both(b);
    expect(r.tsrun.code).toBe(0);
    expect(r.tsrun.stdout).toBe(r.runc.stdout);
    expect(warnings(r.tsrun.stderr)).toEqual(['ignoring unknown or unavailable capabilities: [CAP_BAR CAP_FOO cap_chown]']);
    expect(warnings(r.tsrun.stderr)).toEqual(warnings(r.runc.stderr));
  });

  test('exec --cap with an unknown name: the process runs with the known ones, one warning', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId('conf');
    expect(rt('tsrun', ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      const r = rt('tsrun', ['exec', '--cap', 'CAP_NOPE', '--cap', 'CAP_SYS_ADMIN', id, 'grep', '^CapEff', '/proc/self/status']);
      expect(r.code).toBe(0);
      // CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE (runc spec) + CAP_SYS_ADMIN
      expect(r.stdout).toBe('CapEff:\t0000000020200420\n');
      expect(warnings(r.stderr)).toEqual(['ignoring unknown or unavailable capabilities: [CAP_NOPE]']);
    } finally {
      rt('tsrun', ['delete', '-f', id]);
    }
  });

  test('exec --process with an unknown capability runs too', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId('conf');
    expect(rt('tsrun', ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      const proc = path.join(b.dir, 'proc.json');
      fs.writeFileSync(proc, JSON.stringify({ cwd: '/', args: ['/bin/true'], capabilities: { bounding: ['CAP_KILL', 'CAP_WHATEVER'] } }));
      const r = rt('tsrun', ['exec', '--process', proc, id]);
      expect(r.code).toBe(0);
      expect(warnings(r.stderr)).toEqual(['ignoring unknown or unavailable capabilities: [CAP_WHATEVER]']);
    } finally {
      rt('tsrun', ['delete', '-f', id]);
    }
  });
});

describeRoot('conformance: configs runc runs are not refused', () => {
  useLeakChecks();

  // v1's devices.list shows the rules; cgroup v2 has only the eBPF filter (cgroups-v2-resources.test.ts checks it against runc)
  (RUNC && !PURE_V2 ? test : test.skip)(`device cgroup access letters in any order and number, unknown letters ignored: devices.list as runc's${PURE_V2 ? ' (skipped here: cgroup v2 has no devices.list)' : ''}`, () => {
    const b = new Bundle((c) => {
      c.linux.resources.devices.push(
        { allow: true, type: 'c', major: 42, minor: 1, access: 'rwa' },
        { allow: true, type: 'c', major: 42, minor: 2, access: 'mwr' },
        { allow: true, type: 'c', major: 42, minor: 3, access: 'rrx' },
        { allow: true, type: 'b', major: 42, minor: 4, access: 'wwm' },
        { allow: true, type: 'c', major: 42, minor: 5, access: 'rwm' },
        { allow: false, type: 'c', major: 42, minor: 5, access: 'wq' },
        { allow: false, type: 'c', major: 42, minor: 2, access: 'x' }, // none of r, w, m: changes nothing
      );
    }).args('sh', '-c', 'grep " 42:" /sys/fs/cgroup/devices/devices.list || cat /sys/fs/cgroup/devices.list 2>/dev/null');
    const r = both(b);
    expect(r.tsrun.stderr).toBe('');
    expect(r.tsrun.code).toBe(0);
    expect(r.tsrun.stdout).toBe(r.runc.stdout);
    expect(r.tsrun.stdout).toContain('c 42:1 rw\n');
  });

  test('a b/c allow rule with none of r, w, m is refused naming the field (runc fails on it too, obscurely)', () => {
    const b = new Bundle((c) => { c.linux.resources.devices.push({ allow: true, type: 'c', major: 42, minor: 1, access: 'x' }); }).args('true');
    const r = rt('tsrun', ['run', '--bundle', b.dir, uniqueId('conf')]);
    expect(r.code).not.toBe(0);
    expect(errMsg(r.stderr)).toBe('linux.resources.devices[1].access: "x" has none of r, w and m: the rule would allow nothing');
  });

  maybe('null members are as if absent: timeOffsets, seccomp, hostname, capabilities, annotations', () => {
    const b = new Bundle((c) => {
      c.linux.timeOffsets = null; c.linux.seccomp = null; c.domainname = null; c.annotations = null; c.process.capabilities.ambient = null;
    }).args('sh', '-c', 'echo ok; grep ^CapAmb /proc/self/status');
    const r = both(b);
    expect(r.tsrun.stderr).toBe('');
    expect(r.tsrun).toEqual({ ...r.runc, stderr: '' });
    expect(r.tsrun.stdout).toBe('ok\nCapAmb:\t0000000000000000\n');
  });

  maybe('process.ioPriority without priority: priority 0 of the class (runc and the spec\'s schema)', () => {
    const b = new Bundle((c) => { c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE' }; }).args('echo', 'ran');
    const r = both(b);
    expect(r.tsrun).toEqual({ ...r.runc, stderr: '' });
    expect(r.tsrun.stdout).toBe('ran\n');
  });

  maybe('process.user without uid and gid: root, as runc', () => {
    const b = new Bundle((c) => { c.process.user = {}; }).args('id');
    const r = both(b);
    expect(r.tsrun).toEqual(r.runc);
    expect(r.tsrun.stdout).toMatch(/^uid=0\(root\) gid=0/);
  });

  maybe('a relative linux.devices path is made relative to the container\'s /, with a warning', () => {
    const b = new Bundle((c) => { c.linux.devices = [{ path: 'dev/mynull', type: 'c', major: 1, minor: 3, fileMode: 0o640 }]; })
      .args('stat', '-c', '%F %t:%T %a %n', '/dev/mynull');
    const r = both(b);
    expect(r.tsrun.code).toBe(0);
    expect(r.tsrun.stdout).toBe(r.runc.stdout);
    expect(r.tsrun.stdout).toBe('character special file 1:3 640 /dev/mynull\n');
    expect(warnings(r.tsrun.stderr)).toEqual(['linux.devices[0].path: should be an absolute path; taken relative to "/"']);
  });

  test('warnings of config.json\'s checks are shown (a relative mount destination), in the --log file with --log', () => {
    const b = new Bundle((c) => { c.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' }); }).args('true');
    const r = rt('tsrun', ['run', '--bundle', b.dir, uniqueId('conf')]);
    expect(r.code).toBe(0);
    expect(warnings(r.stderr)).toEqual(['mounts[7].destination: relative destination "mnt" is deprecated; it is taken relative to "/"']);
    const log = path.join(b.dir, 'log.json');
    const r2 = rt('tsrun', ['--log', log, '--log-format', 'json', 'run', '--bundle', b.dir, uniqueId('conf')]);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toBe('');
    expect(JSON.parse(fs.readFileSync(log, 'utf8').trim())).toMatchObject({ level: 'warning', msg: 'mounts[7].destination: relative destination "mnt" is deprecated; it is taken relative to "/"' });
  });
});

describeRoot('conformance: the refusals that remain are runc\'s', () => {
  useLeakChecks();

  const refusedByBoth = (b: Bundle) => {
    const r = both(b);
    expect(r.runc.code).not.toBe(0);
    expect(r.tsrun.code).not.toBe(0);
    return errMsg(r.tsrun.stderr);
  };

  maybe('kernel.hostname in linux.sysctl, with hostname and without', () => {
    const b = new Bundle((c) => { c.linux.sysctl = { 'kernel.hostname': 'other' }; }).args('hostname');
    expect(refusedByBoth(b)).toBe('linux.sysctl["kernel.hostname"]: sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field');
    b.config.hostname = undefined; b.write();
    expect(refusedByBoth(b)).toMatch(/conflicts with the OCI "hostname" field/);
  });

  maybe('net.* sysctls in the runtime\'s own network namespace joined by path', () => {
    const b = new Bundle((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
      c.linux.namespaces.push({ type: 'network', path: '/proc/self/ns/net' });
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    }).args('true');
    expect(refusedByBoth(b)).toBe('linux.sysctl["net.ipv4.ip_forward"]: sysctl "net.ipv4.ip_forward" not allowed in host network namespace (linux.namespaces joins /proc/self/ns/net, the runtime\'s own)');
  });

  maybe('ipc sysctls without an ipc namespace; a sysctl no namespace isolates', () => {
    const ipc = new Bundle((c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'ipc');
      c.linux.sysctl = { 'kernel.shmmax': '65536' };
    }).args('true');
    expect(refusedByBoth(ipc)).toMatch(/^linux\.sysctl\["kernel\.shmmax"\]: sysctl "kernel\.shmmax" is not allowed in the host's ipc namespace/);
    const host = new Bundle((c) => { c.linux.sysctl = { 'vm/swappiness': '10' }; }).args('true');
    expect(refusedByBoth(host)).toMatch(/^linux\.sysctl\["vm\/swappiness"\]: sysctl "vm\.swappiness" is not in a separate kernel namespace/);
  });

  test('sysctl keys name interfaces with a dot in both of sysctl(8)\'s forms (runc 1.1.5 writes .../d0/5/... and fails)', () => {
    // the interfaces are made in the container's network namespace by a createContainer hook
    const b = new Bundle((c) => {
      c.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'ip link add d0.5 type veth peer name d0.6'] }] };
      c.linux.sysctl = { 'net.ipv4.conf.d0/5.forwarding': '1', 'net/ipv4/conf/d0.6/forwarding': '1' };
    }).args('cat', '/proc/sys/net/ipv4/conf/d0.5/forwarding', '/proc/sys/net/ipv4/conf/d0.6/forwarding');
    const r = runIn('tsrun', b);
    expect(r).toEqual({ code: 0, signal: null, stdout: '1\n1\n', stderr: '' });
  });
});
