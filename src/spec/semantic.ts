// Checks on a schema-valid config.json that JSON Schema cannot express. Each failure throws
// a ConfigError naming the field (`linux.namespaces[3].type: duplicate namespace type "pid"`).
// Only things that are errors by the runtime-spec's MUSTs or that runc rejects are errors
// here; things the spec merely discourages are reported through `opts.warn`.

import { ConfigError } from '../errors';
import type { Hook, Hooks, LinuxNamespace, Mount, Process, Spec } from './config-types';

export interface CheckOptions {
  /** Receives non-fatal findings (deprecated or discouraged but accepted settings). */
  warn?: (message: string) => void;
}

/** Linux capability names, indexed by capability number (capabilities(7), up to Linux 6.x). */
export const LINUX_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
]);

/** Linux rlimit resource names -> RLIMIT_* numbers (getrlimit(2), asm-generic). */
export const LINUX_RLIMITS: Readonly<Record<string, number>> = Object.freeze({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

const CAPABILITY_SET = new Set(LINUX_CAPABILITIES);
const HOOK_KINDS: readonly (keyof Hooks)[] = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
];
const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

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

/** Comma-separated list of numbers and ranges, e.g. "0-3,7". */
const CPU_LIST_RE = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

// ---------------------------------------------------------------------------------------
// Field names

const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Appends path segments to an already rendered field name:
 * numbers become `[n]`, identifiers `.name`, anything else `["key"]`.
 * `fieldPath('linux', 'namespaces', 2, 'type')` -> `linux.namespaces[2].type`.
 */
export function fieldPath(base: string, ...segments: (string | number)[]): string {
  let out = base;
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function fail(field: string, problem: string): never {
  throw new ConfigError(field, problem);
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

  if (proc.capabilities) {
    for (const set of CAPABILITY_SETS) {
      proc.capabilities[set]?.forEach((cap, i) => {
        if (!CAPABILITY_SET.has(cap)) fail(f('capabilities', set, i), `unknown capability ${JSON.stringify(cap)}`);
      });
    }
  }

  const aff = proc.execCPUAffinity;
  if (aff) {
    if (aff.initial !== undefined && !CPU_LIST_RE.test(aff.initial)) {
      fail(f('execCPUAffinity', 'initial'), `must be a CPU list like "0-3,7" (got ${JSON.stringify(aff.initial)})`);
    }
    if (aff.final !== undefined && aff.final !== '' && !CPU_LIST_RE.test(aff.final)) {
      fail(f('execCPUAffinity', 'final'), `must be a CPU list like "0-3,7" (got ${JSON.stringify(aff.final)})`);
    }
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

  // Hostname / domainname need a UTS namespace (runc refuses to set them on the host's).
  for (const key of ['hostname', 'domainname'] as const) {
    const v = spec[key];
    if (v !== undefined && v !== '' && !nsOf('uts')) {
      fail(key, 'cannot be set without a UTS namespace (add {"type": "uts"} to linux.namespaces)');
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

function checkMounts(mounts: Mount[], hasUserns: boolean, warn: (m: string) => void): void {
  mounts.forEach((m, i) => {
    const f = (...segs: (string | number)[]) => fieldPath('mounts', i, ...segs);
    if (m.destination === '') fail(f('destination'), 'must not be empty');
    if (!isAbs(m.destination)) {
      warn(`${f('destination')}: relative destination ${JSON.stringify(m.destination)} is deprecated; it is taken relative to "/"`);
    }
    const idmap = (m.options ?? []).some((o) => o === 'idmap' || o === 'ridmap');
    const hasMappings = (m.uidMappings?.length ?? 0) > 0 || (m.gidMappings?.length ?? 0) > 0;
    if (idmap && !hasMappings && !hasUserns) {
      fail(f('options'), 'idmap/ridmap needs uidMappings and gidMappings on the mount or a user namespace');
    }
  });
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

  // sysctls must belong to a namespace the container has (runc refuses host-global ones).
  for (const [key] of Object.entries(linux.sysctl ?? {})) {
    const name = key.replace(/\//g, '.');
    const field = f('sysctl', key);
    let need: string;
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) need = 'ipc';
    else if (name.startsWith('net.')) need = 'network';
    else if (name === 'kernel.hostname' || name === 'kernel.domainname') need = 'uts';
    else if (name.startsWith('user.')) need = 'user';
    else fail(field, 'is not namespaced; setting it would change the host');
    if (!nsOf(need)) fail(field, `requires a ${need} namespace in linux.namespaces`);
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
    if (sc.listenerMetadata !== undefined && sc.listenerMetadata !== '' && !sc.listenerPath) {
      fail(f('seccomp', 'listenerMetadata'), 'must not be set without listenerPath');
    }
    let notify = sc.defaultAction === 'SCMP_ACT_NOTIFY' ? f('seccomp', 'defaultAction') : '';
    (sc.syscalls ?? []).forEach((call, i) => {
      if (call.errnoRet !== undefined && !errnoActions.has(call.action)) {
        fail(f('seccomp', 'syscalls', i, 'errnoRet'), `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${call.action})`);
      }
      if (call.action === 'SCMP_ACT_NOTIFY' && !notify) notify = f('seccomp', 'syscalls', i, 'action');
    });
    if (notify && !sc.listenerPath) fail(notify, 'SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath');
  }

  // NUMA memory policy (set_mempolicy(2) rules).
  const mp = linux.memoryPolicy;
  if (mp) {
    const nodes = mp.nodes ?? '';
    if (nodes !== '' && !CPU_LIST_RE.test(nodes)) {
      fail(f('memoryPolicy', 'nodes'), `must be a node list like "0-3,7" (got ${JSON.stringify(nodes)})`);
    }
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
