// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.memoryPolicy and
// linux.timeOffsets -> the numbers the child's syscalls take.
import type { ExecCPUAffinity, LinuxIOPriority, LinuxMemoryPolicy, LinuxTimeOffset, Scheduler } from '../spec/config-types';
import { ConfigError } from '../errors';

const POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const MPOL_MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
const MPOL_FLAGS: Record<string, number> = { MPOL_F_STATIC_NODES: 1 << 15, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_NUMA_BALANCING: 1 << 13 };

/** "0-3,7" -> [0, 1, 2, 3, 7]. */
export function parseList(list: string, field: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(field, `"${list}" is not a list like "0-3,7"`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b >= 1024) throw new ConfigError(field, `"${part}" is out of range (0-1023, ascending)`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function planScheduler(s: Scheduler | undefined) {
  if (!s) return undefined;
  const policy = POLICIES[s.policy];
  if (policy === undefined) throw new ConfigError('process.scheduler.policy', `unknown policy "${s.policy}"`);
  let flags = 0;
  (s.flags ?? []).forEach((f, i) => {
    if (!(f in SCHED_FLAGS)) throw new ConfigError(`process.scheduler.flags[${i}]`, `unknown flag "${f}"`);
    flags |= SCHED_FLAGS[f];
  });
  return {
    policy, flags, nice: s.nice ?? 0, priority: s.priority ?? 0,
    runtime: BigInt(s.runtime ?? 0), deadline: BigInt(s.deadline ?? 0), period: BigInt(s.period ?? 0),
  };
}

export function planIoPriority(p: LinuxIOPriority | undefined): number | undefined {
  if (!p) return undefined;
  const cls = IOPRIO_CLASSES[p.class];
  if (cls === undefined) throw new ConfigError('process.ioPriority.class', `unknown class "${p.class}"`);
  const prio = p.priority ?? 0; // runc: Go's zero value when the field is missing
  if (prio < 0 || prio > 7) throw new ConfigError('process.ioPriority.priority', 'must be between 0 and 7');
  return (cls << 13) | prio;
}

export function planAffinity(a: ExecCPUAffinity | undefined) {
  return {
    cpusInitial: a?.initial ? parseList(a.initial, 'process.execCPUAffinity.initial') : undefined,
    cpusFinal: a?.final ? parseList(a.final, 'process.execCPUAffinity.final') : undefined,
  };
}

export function planMemoryPolicy(m: LinuxMemoryPolicy | undefined) {
  if (!m) return undefined;
  let mode = MPOL_MODES[m.mode];
  if (mode === undefined) throw new ConfigError('linux.memoryPolicy.mode', `unknown mode "${m.mode}"`);
  (m.flags ?? []).forEach((f, i) => {
    if (!(f in MPOL_FLAGS)) throw new ConfigError(`linux.memoryPolicy.flags[${i}]`, `unknown flag "${f}"`);
    mode |= MPOL_FLAGS[f];
  });
  return { mode, nodes: m.nodes ? parseList(m.nodes, 'linux.memoryPolicy.nodes') : [] };
}

/** The text /proc/PID/timens_offsets takes: "monotonic SECS NSECS" per clock. */
export function planTimeOffsets(t: Record<string, LinuxTimeOffset> | undefined): string | undefined {
  if (!t || !Object.keys(t).length) return undefined;
  return Object.entries(t).map(([clock, o]) => {
    if (clock !== 'monotonic' && clock !== 'boottime') throw new ConfigError(`linux.timeOffsets.${clock}`, 'only monotonic and boottime have offsets');
    return `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`;
  }).join('');
}
