// `tsrun check`: the host probes (src/host/probes.ts) with a verdict each, like
// lxc-checkconfig: "ok", "limited" (the config fields named need it), "missing" (tsrun cannot
// create containers here: `usable` is false and the command exits 1).
import { hostProbes, type HostProbes } from '../host/probes';
import { idmapUsable } from '../lifecycle/features';
import { VERSION, commit } from './version';

export type Verdict = 'ok' | 'limited' | 'missing';
export interface CheckItem { group: string; feature: string; verdict: Verdict; detail: string }
export interface CheckReport { tsrun: string; commit: string; kernel: string; arch: string; usable: boolean; items: CheckItem[]; probes: HostProbes }

/** The syscalls tsrun calls and what it does without each (addon/walk.h and the mount(2) fallbacks: none is required). */
const SYSCALLS: Record<string, { since: string; required: boolean; without: string }> = {
  openat2: { since: '5.6', required: false, without: 'paths in the rootfs are resolved by tsrun\'s own component walk (addon/walk.h)' },
  open_tree: { since: '5.2', required: false, without: 'bind mounts are made with mount(2) and verified by a second lookup' },
  move_mount: { since: '5.2', required: false, without: 'mounts are attached with mount(2) and verified by a second lookup' },
  fsopen: { since: '5.2', required: false, without: 'filesystem mounts are made with mount(2); tsrun\'s procfs handle is mounted, opened and detached' },
  mount_setattr: { since: '5.12', required: false, without: 'mount options rro, rnosuid, ... (the r* ones) and idmap/ridmap are refused' },
  clone3: { since: '5.3', required: false, without: 'containers are moved into their cgroup2 cgroup after clone instead of born in it' },
  close_range: { since: '5.9', required: false, without: 'inherited fds are closed one by one from /proc/self/fd' },
};

const NAMESPACE_NEED: Record<string, string | null> = {
  mount: null, pid: null, network: null, ipc: null, uts: null,
  cgroup: 'linux.namespaces type "cgroup"', user: 'linux.namespaces type "user", rootless and idmapped containers', time: 'linux.namespaces type "time" (linux.timeOffsets)',
};

/** Controllers and the linux.resources fields that need them. */
const CONTROLLER_NEED: Record<string, string> = {
  cpu: 'linux.resources.cpu shares/quota/period', cpuset: 'linux.resources.cpu cpus/mems', memory: 'linux.resources.memory',
  pids: 'linux.resources.pids', io: 'linux.resources.blockIO (v2)', blkio: 'linux.resources.blockIO (v1)', hugetlb: 'linux.resources.hugepageLimits',
  freezer: 'pause/resume (v1)', devices: 'linux.resources.devices (v1)',
};

export function hostReport(p: HostProbes = hostProbes()): CheckReport {
  const items: CheckItem[] = [];
  const add = (group: string, feature: string, verdict: Verdict, detail: string) => items.push({ group, feature, verdict, detail });

  add('host', 'kernel', 'ok', `Linux ${p.kernel.release} (${p.kernel.arch})`);
  add('host', 'native addon', p.native.file ? 'ok' : 'missing', p.native.file
    ? `${/\/prebuilds\//.test(p.native.file) ? 'prebuilt' : 'built from source'}: ${p.native.file}` : p.native.error ?? 'not loaded');
  add('host', 'privileges', p.root ? 'ok' : 'limited', p.root ? 'running as root' : 'not root: rootless containers only (user namespace, no cgroup limits unless delegated)');

  const cg = p.cgroup;
  if (cg.mode === 'none') add('cgroups', 'hierarchy', 'missing', `no cgroup hierarchy found: ${cg.error ?? 'mount cgroup2 on /sys/fs/cgroup'}`);
  else add('cgroups', 'hierarchy', 'ok', { v1: 'cgroup v1', v2: 'cgroup v2 (unified)', hybrid: `hybrid: v1 controllers, cgroup2 at ${cg.unified}` }[cg.mode]);
  add('cgroups', 'driver cgroupfs', cg.mode === 'none' ? 'missing' : 'ok', 'the default (cgroupsPath is a path)');
  // src/cgroups/systemd: a transient scope over D-Bus, which needs systemd as PID 1
  add('cgroups', 'driver systemd', cg.systemd ? 'ok' : 'limited', cg.systemd
    ? 'systemd is PID 1: --systemd-cgroup (cgroupsPath "slice:prefix:name") makes each container a transient scope unit'
    : 'systemd is not running here: --systemd-cgroup is refused; engines must use the cgroupfs driver (see docs/operators.md)');
  if (cg.mode !== 'none') {
    const wanted = cg.mode === 'v2' ? ['cpu', 'cpuset', 'memory', 'pids', 'io', 'hugetlb'] : ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'freezer', 'devices'];
    for (const c of wanted) {
      const have = cg.controllers.includes(c);
      add('cgroups', `controller ${c}`, have ? 'ok' : 'limited', have ? 'available' : `not available: ${CONTROLLER_NEED[c]} cannot be set`);
    }
  }

  for (const [ns, need] of Object.entries(NAMESPACE_NEED)) {
    const have = p.namespaces[ns];
    add('namespaces', ns, have ? 'ok' : need ? 'limited' : 'missing', have ? 'available' : need ? `not in this kernel: ${need} refused` : 'not in this kernel: required');
  }
  if (p.namespaces.user) {
    const max = p.userns.maxUserNamespaces;
    add('namespaces', 'user namespaces allowed', max === 0 ? 'limited' : 'ok', max === null ? 'no limit file' : `user.max_user_namespaces = ${max}${max === 0 ? ': raise it for user namespaces' : ''}`);
  }

  add('seccomp', 'filters', p.seccomp.enabled ? 'ok' : 'limited', p.seccomp.enabled ? 'available' : 'kernel without CONFIG_SECCOMP: linux.seccomp refused');
  if (p.seccomp.enabled) {
    const notif = p.seccomp.actions.includes('user_notif');
    add('seccomp', 'actions', 'ok', p.seccomp.actions.length ? p.seccomp.actions.join(' ') : 'actions_avail not readable');
    add('seccomp', 'SCMP_ACT_NOTIFY', notif || !p.seccomp.actions.length ? 'ok' : 'limited', notif ? 'user notification (linux.seccomp.listenerPath)' : 'no user_notif: SCMP_ACT_NOTIFY refused');
  }

  for (const [name, s] of Object.entries(SYSCALLS)) {
    const st = p.syscalls[name] ?? 'unknown';
    const verdict: Verdict = st === 'ok' ? 'ok' : s.required ? 'missing' : 'limited';
    const state = st === 'ok' ? 'available' : st === 'missing' ? `not available (Linux ${s.since}+)` : st === 'blocked' ? 'refused by a seccomp filter or missing privilege' : 'not probed (addon not built)';
    add('syscalls', name, verdict, st === 'ok' ? state : `${state}: ${s.without}`);
  }
  const idmap = idmapUsable(p);
  add('mounts', 'idmapped mounts', idmap ? 'ok' : 'limited', p.idmap.ok === true ? `made one on ${p.idmap.on}` : p.idmap.ok === false
    ? `failed on ${p.idmap.on}: ${p.idmap.error}` : idmap ? 'syscalls present (not tried: needs root)' : 'mount options idmap/ridmap refused');
  add('mounts', 'overlayfs', p.overlay === 'missing' ? 'limited' : 'ok', { loaded: 'in /proc/filesystems', module: 'as a module (loaded on first mount)', missing: 'not found: engines need it for image layers (tsrun itself does not)' }[p.overlay]);

  const lsms = p.lsm.active.length ? p.lsm.active.join(',') : 'none listed (securityfs not mounted or no LSM)';
  add('security', 'LSMs', 'ok', lsms);
  add('security', 'AppArmor', p.lsm.apparmor ? 'ok' : 'limited', p.lsm.apparmor ? 'enabled (process.apparmorProfile)' : 'not enabled: process.apparmorProfile refused');
  add('security', 'SELinux', p.lsm.selinux ? 'ok' : 'limited', p.lsm.selinux ? 'enabled (process.selinuxLabel)' : 'not enabled: process.selinuxLabel refused');

  return {
    tsrun: VERSION, commit: commit(), kernel: p.kernel.release, arch: p.kernel.arch,
    usable: !items.some((i) => i.verdict === 'missing'), items, probes: p,
  };
}

export function formatReport(r: CheckReport): string {
  const w = Math.max(...r.items.map((i) => i.feature.length));
  const out: string[] = [`tsrun ${r.tsrun} (commit ${r.commit}) on Linux ${r.kernel} ${r.arch}`];
  let group = '';
  for (const i of r.items) {
    if (i.group !== group) { out.push('', `${i.group}:`); group = i.group; }
    out.push(`  ${i.feature.padEnd(w)}  ${i.verdict.padEnd(7)}  ${i.detail}`);
  }
  const missing = r.items.filter((i) => i.verdict === 'missing').length;
  const limited = r.items.filter((i) => i.verdict === 'limited').length;
  out.push('', r.usable
    ? `verdict: tsrun can run containers here${limited ? ` (${limited} feature(s) limited: the config fields named above are refused)` : ''}`
    : `verdict: tsrun cannot run containers here: ${missing} required feature(s) missing`);
  return out.join('\n') + '\n';
}
