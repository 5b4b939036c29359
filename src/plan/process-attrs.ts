// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.memoryPolicy and
// linux.timeOffsets -> the numbers the child's syscalls take.
// Names are the schema's enums, lists and ranges src/spec/semantic.ts's rules: this translates.
import type { ExecCPUAffinity, LinuxIOPriority, LinuxMemoryPolicy, LinuxTimeOffset, Scheduler } from '../spec/config-types';
import { known } from './assert';

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

/** "0-3,7" -> [0, 1, 2, 3, 7] (src/spec checked the syntax and the range). */
export function parseList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function planScheduler(s: Scheduler | undefined) {
  if (!s) return undefined;
  const policy = known(POLICIES, s.policy, 'process.scheduler.policy');
  const flags = (s.flags ?? []).reduce((acc, f, i) => acc | known(SCHED_FLAGS, f, `process.scheduler.flags[${i}]`), 0);
  return {
    policy, flags, nice: s.nice ?? 0, priority: s.priority ?? 0,
    runtime: BigInt(s.runtime ?? 0), deadline: BigInt(s.deadline ?? 0), period: BigInt(s.period ?? 0),
  };
}

export function planIoPriority(p: LinuxIOPriority | undefined): number | undefined {
  if (!p) return undefined;
  const cls = known(IOPRIO_CLASSES, p.class, 'process.ioPriority.class');
  return (cls << 13) | (p.priority ?? 0); // runc: Go's zero value when the field is missing; the schema keeps it in 0..7
}

export function planAffinity(a: ExecCPUAffinity | undefined) {
  return {
    cpusInitial: a?.initial ? parseList(a.initial) : undefined,
    cpusFinal: a?.final ? parseList(a.final) : undefined,
  };
}

export function planMemoryPolicy(m: LinuxMemoryPolicy | undefined) {
  if (!m) return undefined;
  const mode = (m.flags ?? []).reduce((acc, f, i) => acc | known(MPOL_FLAGS, f, `linux.memoryPolicy.flags[${i}]`),
    known(MPOL_MODES, m.mode, 'linux.memoryPolicy.mode'));
  return { mode, nodes: m.nodes ? parseList(m.nodes) : [] };
}

/** The text /proc/PID/timens_offsets takes: "monotonic SECS NSECS" per clock. */
export function planTimeOffsets(t: Record<string, LinuxTimeOffset> | undefined): string | undefined {
  if (!t || !Object.keys(t).length) return undefined;
  return Object.entries(t).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join('');
}
