// Checks on a schema-valid config.json that JSON Schema cannot express. Each failure throws
// a ConfigError naming the field (`linux.namespaces[3].type: duplicate namespace type "pid"`).
// Only things that are errors by the runtime-spec's MUSTs or that runc rejects are errors
// here; things the spec merely discourages are reported through `opts.warn`.

import { ConfigError } from '../errors';
import fs = require('fs');
import type { Hook, Hooks, LinuxNamespace, Process, Spec } from './config-types';
import { checkMounts, checkWithoutMountNs } from './mount-rules';
import { LINUX_RLIMITS } from './rlimits';
export { LINUX_CAPABILITIES } from './capabilities';
export { LINUX_RLIMITS };

export interface CheckOptions {
  /** Receives non-fatal findings (deprecated or discouraged but accepted settings). */
  warn?: (message: string) => void;
}

const HOOK_KINDS: readonly (keyof Hooks)[] = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
];

/** sysctls isolated by the IPC namespace (besides the fs.mqueue.* prefix). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Syscalls tsrun's child makes after loading a notify filter and before anyone listens. */
const NOTIFY_FORBIDDEN = new Set(['sendmsg']);

/** Comma-separated list of numbers and ranges, e.g. "0-3,7". */
const CPU_LIST_RE = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/**
 * A CPU or NUMA node list ("0-3,7"), as sched_setaffinity and set_mempolicy take it: ranges
 * ascending and below 1024 (the kernel's CPU_SETSIZE / MAX_NUMNODES of the masks tsrun builds).
 * runc parses the same syntax (its cpuset lists) and the kernel refuses what is out of range.
 */
function checkCpuList(list: string, field: string, what: 'CPU' | 'node'): void {
  if (!CPU_LIST_RE.test(list)) fail(field, `must be a ${what} list like "0-3,7" (got ${JSON.stringify(list)})`);
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (b < a || b >= 1024) fail(field, `"${part}" is out of range (0-1023, ascending)`);
  }
}

import { fieldPath } from './field-path';
export { fieldPath };

function fail(field: string, problem: string): never {
  throw new ConfigError(field, problem);
}

/**
 * A sysctl key in dotted form, as sysctl(8) and runc read it: a key whose first separator is "/"
 * is a path, in which "." stands for a literal dot ("net/ipv4/conf/eno2.100/rp_filter" is
 * "net.ipv4.conf.eno2/100.rp_filter"); otherwise it is dotted already.
 */
export function sysctlDotted(key: string): string {
  const i = key.search(/[./]/);
  return i < 0 || key[i] === '.' ? key : swapDotsAndSlashes(key);
}

/** The file under /proc/sys of a sysctl key (either form). */
export function sysctlPath(key: string): string {
  return swapDotsAndSlashes(sysctlDotted(key));
}

function swapDotsAndSlashes(s: string): string {
  return s.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** runc's isHostNetNS: the path is the network namespace tsrun runs in. */
function isCurrentNetns(nsPath: string): boolean {
  try {
    const a = fs.statSync('/proc/self/ns/net');
    const b = fs.statSync(nsPath);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false; // a path that does not exist is reported where it is joined
  }
}

function isAbs(p: string): boolean {
  return p.startsWith('/');
}

// ---------------------------------------------------------------------------------------
// Process (shared by config.json and `exec --process`)

/** Semantic checks of a process object; `base` is the rendered field name of the object. */
export function semanticCheckProcess(proc: Process, base = 'process', _opts: CheckOptions = {}): void {
  const f = (...segs: (string | number)[]) => fieldPath(base, ...segs);

  if (proc.args === undefined || proc.args.length === 0) {
    fail(f('args'), 'must not be empty (the first entry is the program to run)');
  }
  if (!isAbs(proc.cwd)) fail(f('cwd'), 'must be an absolute path');

  proc.env?.forEach((kv, i) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(f('env', i), `must be of the form KEY=value (got ${JSON.stringify(kv)})`);
  });

  const seenRlimits = new Map<string, number>();
  proc.rlimits?.forEach((rl, i) => {
    if (!(rl.type in LINUX_RLIMITS)) fail(f('rlimits', i, 'type'), `unknown rlimit ${JSON.stringify(rl.type)}`);
    const prev = seenRlimits.get(rl.type);
    if (prev !== undefined) {
      fail(f('rlimits', i, 'type'), `duplicate rlimit ${JSON.stringify(rl.type)} (also at ${f('rlimits', prev)})`);
    }
    seenRlimits.set(rl.type, i);
    if (BigInt(rl.soft) > BigInt(rl.hard)) {
      fail(f('rlimits', i, 'soft'), `must not exceed hard (${rl.soft} > ${rl.hard})`);
    }
  });

  // process.capabilities: no name is refused. Unknown and unavailable ones are left out with
  // runc's warning by the host rules (src/spec/host-rules.ts), where the kernel's cap_last_cap
  // is known.

  const aff = proc.execCPUAffinity;
  if (aff) {
    if (aff.initial !== undefined) checkCpuList(aff.initial, f('execCPUAffinity', 'initial'), 'CPU');
    if (aff.final !== undefined && aff.final !== '') checkCpuList(aff.final, f('execCPUAffinity', 'final'), 'CPU');
  }

}

// ---------------------------------------------------------------------------------------
// config.json

/** Semantic checks of a schema-valid config.json. Throws ConfigError on the first problem. */
export function semanticCheck(spec: Spec, opts: CheckOptions = {}): void {
  const warn = opts.warn ?? (() => undefined);
  const namespaces = spec.linux?.namespaces ?? [];
  const nsOf = (type: string): LinuxNamespace | undefined => namespaces.find((n) => n.type === type);

  if (spec.process) semanticCheckProcess(spec.process, 'process', opts);

  if (spec.root && spec.root.path === '') fail('root.path', 'must not be empty');

  // Hostname / domainname need a UTS namespace, new or joined (runc's validator, its words).
  for (const key of ['hostname', 'domainname'] as const) {
    const v = spec[key];
    if (v !== undefined && v !== '' && !nsOf('uts')) {
      fail(key, `unable to set ${key} without a private UTS namespace (add {"type": "uts"} to linux.namespaces)`);
    }
  }

  checkMounts(spec.mounts ?? [], !!nsOf('user'), warn);
  if (spec.hooks) checkHooks(spec.hooks);

  if (spec.annotations) {
    for (const key of Object.keys(spec.annotations)) {
      if (key === '') fail('annotations', 'keys must not be empty');
    }
  }

  if (spec.linux) checkLinux(spec, nsOf, warn);
}

function checkHooks(hooks: Hooks): void {
  for (const kind of HOOK_KINDS) {
    const list: Hook[] | undefined = hooks[kind];
    list?.forEach((h, i) => {
      if (!isAbs(h.path)) fail(fieldPath('hooks', kind, i, 'path'), 'must be an absolute path');
    });
  }
}

function checkLinux(spec: Spec, nsOf: (t: string) => LinuxNamespace | undefined, warn: (m: string) => void): void {
  const linux = spec.linux!;
  const f = (...segs: (string | number)[]) => fieldPath('linux', ...segs);

  // Namespaces: unique types, absolute paths.
  const seen = new Map<string, number>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    const prev = seen.get(ns.type);
    if (prev !== undefined) {
      fail(f('namespaces', i, 'type'), `duplicate namespace type ${JSON.stringify(ns.type)} (also at ${f('namespaces', prev)})`);
    }
    seen.set(ns.type, i);
    if (ns.path !== undefined && !isAbs(ns.path)) fail(f('namespaces', i, 'path'), 'must be an absolute path');
  });

  // User namespace <-> id mappings (runc: mappings without a user namespace are an error,
  // and a new user namespace needs both uid and gid mappings).
  const userns = nsOf('user');
  const uidCount = linux.uidMappings?.length ?? 0;
  const gidCount = linux.gidMappings?.length ?? 0;
  if (!userns) {
    if (uidCount > 0) fail(f('uidMappings'), 'user namespace mappings given, but linux.namespaces has no user namespace');
    if (gidCount > 0) fail(f('gidMappings'), 'user namespace mappings given, but linux.namespaces has no user namespace');
  } else if (userns.path === undefined) {
    if (uidCount === 0) fail(f('uidMappings'), 'user namespace enabled, but no uid mappings found');
    if (gidCount === 0) fail(f('gidMappings'), 'user namespace enabled, but no gid mappings found');
  }

  // Time namespace offsets.
  if (linux.timeOffsets && Object.keys(linux.timeOffsets).length > 0) {
    const timens = nsOf('time');
    if (!timens) fail(f('timeOffsets'), 'time offsets given, but linux.namespaces has no time namespace');
    if (timens.path !== undefined) fail(f('timeOffsets'), 'cannot be applied when joining an existing time namespace');
    for (const clock of Object.keys(linux.timeOffsets)) {
      if (clock !== 'monotonic' && clock !== 'boottime') {
        fail(f('timeOffsets', clock), 'unknown clock (only monotonic and boottime can be offset)');
      }
    }
  }

  // Devices: major/minor are required except for FIFOs.
  (linux.devices ?? []).forEach((d, i) => {
    if (d.type !== 'p') {
      if (d.major === undefined) fail(f('devices', i, 'major'), `is required for device type ${JSON.stringify(d.type)}`);
      if (d.minor === undefined) fail(f('devices', i, 'minor'), `is required for device type ${JSON.stringify(d.type)}`);
    }
    if (d.path === '') fail(f('devices', i, 'path'), 'must not be empty');
    if (!isAbs(d.path)) warn(`${f('devices', i, 'path')}: should be an absolute path; taken relative to "/"`);
  });

  // sysctls: runc's validator (libcontainer/configs/validate, sysctl): only those of a namespace
  // the container does not share with the host, and kernel.hostname never (it conflicts with
  // the OCI hostname field, with or without one). user.* (per user namespace) is tsrun's own
  // addition; runc refuses it.
  const netns = nsOf('network');
  let hostNet: boolean | undefined;
  for (const key of Object.keys(linux.sysctl ?? {})) {
    const name = sysctlDotted(key);
    const field = f('sysctl', key);
    const q = JSON.stringify(name);
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
      if (!nsOf('ipc')) fail(field, `sysctl ${q} is not allowed in the host's ipc namespace (add {"type": "ipc"} to linux.namespaces)`);
    } else if (name.startsWith('net.')) {
      if (!netns) fail(field, `sysctl ${q} not allowed in host network namespace (add {"type": "network"} to linux.namespaces)`);
      hostNet ??= netns.path !== undefined && isCurrentNetns(netns.path);
      if (hostNet) fail(field, `sysctl ${q} not allowed in host network namespace (linux.namespaces joins ${netns.path}, the runtime's own)`);
    } else if (name === 'kernel.hostname') {
      fail(field, `sysctl ${q} is not allowed as it conflicts with the OCI "hostname" field`);
    } else if (name === 'kernel.domainname') {
      if (!nsOf('uts')) fail(field, `sysctl ${q} is not in a separate kernel namespace (add {"type": "uts"} to linux.namespaces)`);
    } else if (name.startsWith('user.')) {
      if (!nsOf('user')) fail(field, `sysctl ${q} is not in a separate kernel namespace (add {"type": "user"} to linux.namespaces)`);
    } else {
      fail(field, `sysctl ${q} is not in a separate kernel namespace; setting it would change the host`);
    }
  }

  // runc 1.2 (configs/validate netdevices): moving host devices needs a network namespace of the container's
  if (Object.keys(linux.netDevices ?? {}).length && !netns) {
    fail(f('netDevices'), 'needs a network namespace for the container');
  }

  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    linux[key]?.forEach((p, i) => {
      if (!isAbs(p)) fail(f(key, i), 'must be an absolute path');
    });
  }

  // Seccomp.
  const sc = linux.seccomp;
  if (sc) {
    const errnoActions = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
    if (sc.defaultErrnoRet !== undefined && !errnoActions.has(sc.defaultAction)) {
      fail(f('seccomp', 'defaultErrnoRet'), `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is ${sc.defaultAction})`);
    }
    // runc ignores it; the spec: "only used if listenerPath is set"
    if (sc.listenerMetadata !== undefined && sc.listenerMetadata !== '' && !sc.listenerPath) {
      warn(`${f('seccomp', 'listenerMetadata')}: ignored without linux.seccomp.listenerPath`);
    }
    let notify = sc.defaultAction === 'SCMP_ACT_NOTIFY' ? f('seccomp', 'defaultAction') : '';
    (sc.syscalls ?? []).forEach((call, i) => {
      if (call.errnoRet !== undefined && !errnoActions.has(call.action)) {
        fail(f('seccomp', 'syscalls', i, 'errnoRet'), `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${call.action})`);
      }
      if (call.action === 'SCMP_ACT_NOTIFY') {
        if (!notify) notify = f('seccomp', 'syscalls', i, 'action');
        // runc refuses NOTIFY on write, the syscall its init reports with; tsrun-init's is sendmsg
        const bad = call.names.find((n) => NOTIFY_FORBIDDEN.has(n));
        if (bad) fail(f('seccomp', 'syscalls', i, 'names'), `SCMP_ACT_NOTIFY cannot be used for the ${bad} syscall (tsrun's init hands the notify fd over with it)`);
      }
    });
    if (notify && !sc.listenerPath) fail(notify, 'SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath');
  }

  // NUMA memory policy (set_mempolicy(2) rules).
  const mp = linux.memoryPolicy;
  if (mp) {
    const nodes = mp.nodes ?? '';
    if (nodes !== '') checkCpuList(nodes, f('memoryPolicy', 'nodes'), 'node');
    if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes !== '') {
      fail(f('memoryPolicy', 'nodes'), `must be empty for ${mp.mode}`);
    }
    if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(mp.mode) && nodes === '') {
      fail(f('memoryPolicy', 'nodes'), `is required for ${mp.mode}`);
    }
    const flags = mp.flags ?? [];
    if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
      fail(f('memoryPolicy', 'flags'), 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES are mutually exclusive');
    }
  }

  // Intel RDT.
  const rdt = linux.intelRdt;
  if (rdt) {
    if (rdt.memBwSchema !== undefined && rdt.memBwSchema !== '' && !rdt.memBwSchema.startsWith('MB:')) {
      fail(f('intelRdt', 'memBwSchema'), 'must start with "MB:"');
    }
    for (const key of ['l3CacheSchema', 'memBwSchema', 'closID'] as const) {
      if (rdt[key]?.includes('\n')) fail(f('intelRdt', key), 'must not contain newlines');
    }
    if (Array.isArray(rdt.schemata)) {
      rdt.schemata.forEach((line, i) => {
        if (line.includes('\n')) fail(f('intelRdt', 'schemata', i), 'must not contain newlines');
      });
    }
  }
}

// ---------------------------------------------------------------------------------------
// create

/**
 * What create needs of a valid config beyond its validity (a config without a process, or one
 * that mounts without a mount namespace, is a valid document: `tsrun spec`-style tools and
 * parseSpec take it). runc's loadSpec refuses a missing process ("process property must not be
 * empty") and specconv a missing root ("root must be specified").
 */
export function checkCreatable(spec: Spec): void {
  if (!spec.process) fail('process', 'is required to create a container');
  checkRunnable(spec.process, 'process');
  if (!spec.root?.path) fail('root.path', 'is required');
  checkWithoutMountNs(spec);
}

/**
 * What running a process (create's or exec's) needs beyond a valid document: fields the
 * runtime-spec allows that tsrun cannot honour are refused, not ignored.
 */
export function checkRunnable(proc: Process, base = 'process'): void {
  // runc ignores user.username on Linux (specconv takes "%d:%d" of uid and gid) and runs the
  // numeric ids, 0 when missing; tsrun refuses it rather than run a named user as uid 0
  if (proc.user?.username) {
    fail(fieldPath(base, 'user', 'username'), 'user names are not resolved on Linux (runc ignores them and runs as the numeric uid): give numeric uid and gid');
  }
  // runc writes the profile of whichever LSM its build and the host enable; tsrun refuses a
  // process that names both rather than pick one
  if (proc.apparmorProfile && proc.selinuxLabel) {
    fail(fieldPath(base, 'selinuxLabel'), 'cannot be applied together with apparmorProfile: set only the one for the host\'s LSM');
  }
}
