// The rules issue 14 moved into src/spec from plan/* and exec.ts, one row each: the config,
// and the error (field: problem) or the warnings. The document rules run through
// validateForCreate (what create and a library caller's opts.spec get), the host rules through
// checkSpecOnHost / checkProcessOnHost with a fake host. No root, no addon, no filesystem.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import type { Spec } from '../../src/spec/config-types';
import { checkProcessOnHost, checkSpecOnHost, type HostSupport } from '../../src/spec/host-rules';
import { validateConfig, validateForCreate } from '../../src/spec/validate';

/** runc's `spec` config (namespaces pid, network, ipc, uts, mount; /proc, /dev, ... mounts). */
function base(): any {
  const c = JSON.parse(fs.readFileSync(path.join(__dirname, '../golden/runc-spec.json'), 'utf8'));
  c.process.terminal = false;
  return c;
}

function outcome(mutate: (c: any) => void, check: (doc: unknown, warn: (m: string) => void) => void = (d, w) => validateForCreate(d, { warn: w })): string {
  const c = base();
  mutate(c);
  const warnings: string[] = [];
  try {
    check(c, (m) => warnings.push(m));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message;
  }
  return warnings.length ? `warn: ${warnings.join(' | ')}` : 'ok';
}

const withoutNs = (c: any, type: string) => { c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== type); };
const bind = (extra: object = {}) => ({ destination: '/m', type: 'bind', source: '/tmp', options: ['rbind'], ...extra });
const userns = (c: any) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

describe('document rules moved into src/spec (validateForCreate)', () => {
  // [rule, from, mutation, outcome]
  const rows: [string, string, (c: any) => void, string | RegExp][] = [
    ['the default config', '-', () => {}, 'ok'],
    ['a process is required to create', 'plan/process checkProcess', (c) => { delete c.process; }, 'process: is required to create a container'],
    ['a root is required to create', 'plan/plan resolveRootfs', (c) => { delete c.root; }, 'root.path: is required'],
    ['user.username is refused (runc ignores it)', 'plan/process checkProcess', (c) => { c.process.user.username = 'root'; },
      'process.user.username: user names are not resolved on Linux (runc ignores them and runs as the numeric uid): give numeric uid and gid'],
    ['apparmorProfile and selinuxLabel together', 'plan/lsm checkLsm', (c) => { c.process.apparmorProfile = 'p'; c.process.selinuxLabel = 'l'; },
      /^process\.selinuxLabel: cannot be applied together with apparmorProfile/],
    ['hostname without a uts namespace: runc\'s words (was two texts)', 'plan/plan + semantic', (c) => { c.hostname = 'h'; withoutNs(c, 'uts'); },
      'hostname: unable to set hostname without a private UTS namespace (add {"type": "uts"} to linux.namespaces)'],
    ['no mount namespace: maskedPaths (runc\'s words)', 'plan/mount-namespace', (c) => { withoutNs(c, 'mount'); c.mounts = []; },
      'linux.maskedPaths: unable to restrict sys entries without a private MNT namespace'],
    ['no mount namespace: readonlyPaths', 'plan/mount-namespace', (c) => { withoutNs(c, 'mount'); c.mounts = []; delete c.linux.maskedPaths; },
      'linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace'],
    ['no mount namespace: mounts', 'plan/mount-namespace', (c) => { withoutNs(c, 'mount'); delete c.linux.maskedPaths; delete c.linux.readonlyPaths; },
      /^mounts: needs a mount namespace/],
    ['no mount namespace: root.readonly', 'plan/mount-namespace',
      (c) => { withoutNs(c, 'mount'); c.mounts = []; delete c.linux.maskedPaths; delete c.linux.readonlyPaths; c.root.readonly = true; }, /^root\.readonly: needs a mount namespace/],
    ['no mount namespace: devices', 'plan/mount-namespace',
      (c) => { withoutNs(c, 'mount'); c.mounts = []; delete c.linux.maskedPaths; delete c.linux.readonlyPaths; c.root.readonly = false; c.linux.devices = [{ type: 'c', path: '/dev/x', major: 1, minor: 3 }]; },
      /^linux\.devices: needs a mount namespace/],
    ['no mount namespace: rootfsPropagation', 'plan/mount-namespace',
      (c) => { withoutNs(c, 'mount'); c.mounts = []; delete c.linux.maskedPaths; delete c.linux.readonlyPaths; c.root.readonly = false; c.linux.rootfsPropagation = 'private'; },
      /^linux\.rootfsPropagation: needs a mount namespace/],
    ['only procfs on /proc (runc checkProcMount)', 'plan/mounts', (c) => { c.mounts[0].type = 'tmpfs'; }, 'mounts[0].type: only procfs may be mounted on /proc, or a bind of a procfs (got "tmpfs")'],
    ['over /proc only the allowlist', 'plan/mounts', (c) => { c.mounts.push(bind({ destination: '/proc/kcore', source: '/dev/null', options: ['bind'] })); },
      /^mounts\[7\]\.destination: \/proc\/kcore: mounting over \/proc is only allowed for \/proc\/cpuinfo/],
    ['over /proc/meminfo (lxcfs) is allowed', 'plan/mounts', (c) => { c.mounts.push(bind({ destination: '/proc/meminfo', source: '/proc/meminfo', options: ['bind'] })); }, 'ok'],
    ['a relative /proc destination is /proc', 'plan/mounts', (c) => { c.mounts[0].destination = 'proc'; c.mounts[0].type = 'tmpfs'; }, /^mounts\[0\]\.type: only procfs/],
    ['tmpcopyup only for tmpfs', 'plan/mounts', (c) => { c.mounts.push(bind({ options: ['rbind', 'tmpcopyup'] })); }, 'mounts[7].options: tmpcopyup is only for tmpfs mounts'],
    ['tmpcopyup on tmpfs', 'plan/mounts', (c) => { c.mounts.push({ destination: '/m', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }); }, 'ok'],
    ['a bind needs a source', 'plan/mounts', (c) => { c.mounts.push(bind({ source: undefined })); }, 'mounts[7].source: a bind mount needs a source'],
    ['idmapped mounts are binds (runc 1.2)', 'plan/mounts', (c) => { userns(c); c.mounts.push({ destination: '/m', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }); },
      'mounts[7]: idmapped mounts must be bind mounts'],
    ['idmap: uidMappings without gidMappings (the schema)', 'plan/mounts', (c) => { c.mounts.push(bind({ uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] })); },
      'mounts[7].gidMappings: is required when uidMappings is set'],
    ['idmap: both mappings or neither (runc 1.2; was two rules that disagreed)', 'plan/mounts + semantic',
      (c) => { userns(c); c.mounts.push(bind({ uidMappings: [], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] })); },
      /^mounts\[7\]\.uidMappings: an idmapped mount needs both uidMappings and gidMappings/],
    ['idmap without mappings needs a user namespace', 'semantic', (c) => { c.mounts.push(bind({ options: ['rbind', 'idmap'] })); },
      'mounts[7].options: idmap/ridmap needs uidMappings and gidMappings on the mount or a user namespace'],
    ['idmap: empty mapping lists are none (Go), the user namespace\'s are taken (was refused by the plan)', 'plan/mounts',
      (c) => { userns(c); c.mounts.push(bind({ options: ['rbind', 'idmap'], uidMappings: [], gidMappings: [] })); }, 'ok'],
    ['NOTIFY on sendmsg (runc: on write)', 'plan/seccomp', (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/l.sock', syscalls: [{ names: ['getpid', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] };
    }, /^linux\.seccomp\.syscalls\[0\]\.names: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall/],
    ['CPU list out of range', 'plan/process-attrs parseList', (c) => { c.process.execCPUAffinity = { initial: '0-2000' }; },
      'process.execCPUAffinity.initial: "0-2000" is out of range (0-1023, ascending)'],
    ['CPU list descending', 'plan/process-attrs parseList', (c) => { c.process.execCPUAffinity = { final: '7,3-1' }; },
      'process.execCPUAffinity.final: "3-1" is out of range (0-1023, ascending)'],
    ['node list out of range', 'plan/process-attrs parseList', (c) => { c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '1024' }; },
      'linux.memoryPolicy.nodes: "1024" is out of range (0-1023, ascending)'],
    ['netDevices need a network namespace (runc 1.2)', 'lifecycle/net-devices', (c) => { withoutNs(c, 'network'); c.linux.netDevices = { eth9: {} }; },
      'linux.netDevices: needs a network namespace for the container'],
    ['a relative device path: a warning, taken relative to "/" (as runc)', 'plan/devices', (c) => { c.linux.devices = [{ type: 'c', path: 'dev/x', major: 1, minor: 3 }]; },
      'warn: linux.devices[0].path: should be an absolute path; taken relative to "/"'],
  ];
  test.each(rows)('%s (from %s)', (_rule, _from, mutate, want) => {
    const got = outcome(mutate);
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatch(want);
  });

  test('the document rules are not create\'s: a config without a process or a mount namespace is a valid document', () => {
    expect(outcome((c) => { delete c.process; }, (d, w) => validateConfig(d, { warn: w }))).toBe('ok');
    expect(outcome((c) => { withoutNs(c, 'mount'); }, (d, w) => validateConfig(d, { warn: w }))).toBe('ok');
  });
});

/** A host with everything; each row takes something away. */
function host(over: Partial<HostSupport> = {}, paths: Record<string, 'dir' | 'other'> = {}): HostSupport {
  const all: Record<string, 'dir' | 'other'> = { '/b/rootfs': 'dir', '/tmp': 'dir', '/proc/1/ns/net': 'other', ...paths };
  return {
    lastCap: 40, apparmor: true, selinux: true, timeNamespace: true, resctrl: false, mountSetattrMissing: undefined, idmapMissing: undefined,
    realpath: (p) => (p in all ? p : undefined), kind: (p) => all[p] ?? 'missing', onProcfs: () => false, ...over,
  };
}

describe('host rules moved into src/spec/host-rules.ts (checkSpecOnHost)', () => {
  const onHost = (h: HostSupport) => (doc: unknown, warn: (m: string) => void) => checkSpecOnHost(doc as Spec, '/b', h, warn);
  const rows: [string, string, (c: any) => void, HostSupport, string | RegExp][] = [
    ['everything there', '-', () => {}, host(), 'ok'],
    ['rootfs missing', 'plan/plan resolveRootfs', (c) => { c.root.path = 'gone'; }, host(), 'root.path: invalid rootfs: stat /b/gone: no such file or directory'],
    ['rootfs not a directory', 'plan/plan resolveRootfs', (c) => { c.root.path = 'file'; }, host({}, { '/b/file': 'other' }), 'root.path: /b/file: not a directory'],
    ['time namespace on a kernel without one', 'plan/plan', (c) => { c.linux.namespaces.push({ type: 'time' }); }, host({ timeNamespace: false }),
      /^linux\.namespaces\[5\]: time namespaces need Linux 5\.6/],
    ['a namespace path that does not exist', 'plan/plan', (c) => { c.linux.namespaces[1].path = '/proc/9/ns/net'; }, host(), 'linux.namespaces[1].path: /proc/9/ns/net: no such file'],
    ['a namespace path that exists', 'plan/plan', (c) => { c.linux.namespaces[1].path = '/proc/1/ns/net'; }, host(), 'ok'],
    ['intelRdt without resctrl', 'plan/plan', (c) => { c.linux.intelRdt = { closID: 'x' }; }, host(), /^linux\.intelRdt: this host has no resctrl filesystem/],
    ['intelRdt with resctrl', 'plan/plan', (c) => { c.linux.intelRdt = { closID: 'x' }; }, host({ resctrl: true }), /^linux\.intelRdt: Intel RDT \(resctrl\) is not supported/],
    ['an r* option without mount_setattr', 'plan/mounts', (c) => { c.mounts.push(bind({ options: ['rbind', 'rro'] })); }, host({ mountSetattrMissing: 'this kernel returned ENOSYS' }),
      'mounts[7].options: rro needs mount_setattr (Linux 5.12); this kernel returned ENOSYS'],
    ['a bind source that does not exist (relative to the bundle)', 'plan/mounts', (c) => { c.mounts.push(bind({ source: 'data' })); }, host(), 'mounts[7].source: /b/data: no such file or directory'],
    ['idmap option without the syscalls', 'plan/mounts', (c) => { userns(c); c.mounts.push(bind({ options: ['rbind', 'idmap'] })); }, host({ idmapMissing: 'idmapped mounts need open_tree (Linux 5.12); this kernel returned ENOSYS' }),
      'mounts[7].options: idmapped mounts need open_tree (Linux 5.12); this kernel returned ENOSYS'],
    ['own id mappings without the syscalls', 'plan/mounts', (c) => {
      c.mounts.push(bind({ uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }));
    }, host({ idmapMissing: 'no' }), 'mounts[7].uidMappings: no'],
    ['mountLabel without SELinux', 'plan/lsm labelMounts', (c) => { c.linux.mountLabel = 'l'; }, host({ selinux: false }), /^linux\.mountLabel: selinux is disabled/],
    ['apparmorProfile without AppArmor', 'plan/lsm checkLsm', (c) => { c.process.apparmorProfile = 'p'; }, host({ apparmor: false }), /^process\.apparmorProfile: apparmor is not enabled on this host/],
    ['selinuxLabel without SELinux (runc\'s words)', 'plan/lsm checkLsm', (c) => { c.process.selinuxLabel = 'l'; }, host({ selinux: false }),
      'process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported'],
    ['unknown and unavailable capabilities: one warning, runc\'s words, sorted', 'plan/capabilities planCaps',
      (c) => { c.process.capabilities.bounding.push('CAP_BPF', 'CAP_FOO', 'chown'); c.process.capabilities.effective.push('CAP_FOO'); }, host({ lastCap: 38 }),
      'warn: ignoring unknown or unavailable capabilities: [CAP_BPF CAP_FOO chown]'],
  ];
  test.each(rows)('%s (from %s)', (_rule, _from, mutate, h, want) => {
    const got = outcome((c) => { c.root.path = 'rootfs'; mutate(c); }, onHost(h));
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatch(want);
  });

  test('exec\'s process gets the same process rules (checkProcessOnHost)', () => {
    const warnings: string[] = [];
    expect(() => checkProcessOnHost({ cwd: '/', args: ['a'], apparmorProfile: 'p' }, host({ apparmor: false }), () => {}))
      .toThrow('process.apparmorProfile: apparmor is not enabled on this host');
    checkProcessOnHost({ cwd: '/', args: ['a'], capabilities: { bounding: ['CAP_NOPE'] } }, host(), (m) => warnings.push(m));
    expect(warnings).toEqual(['ignoring unknown or unavailable capabilities: [CAP_NOPE]']);
  });
});
