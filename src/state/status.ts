// Live status: computed from the process, never stored. pid reuse is caught by comparing
// the process start time recorded at create.
import fs = require('fs');
import path = require('path');
import { FIFO_FILE, StoredState } from './store';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/**
 * /proc/PID/stat after the comm field (which may hold spaces and parentheses), or null if gone:
 * [0] state (field 3), [1] ppid (4), [6] flags (9), [19] start time (22), [49] exit code (52).
 */
export function statFields(pid: number): string[] | null {
  let stat: string;
  try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or null if the process is gone or a zombie. */
export function startTime(pid: number): string | null {
  const rest = statFields(pid);
  if (!rest || rest[0] === 'Z' || rest[0] === 'X') return null;
  return rest[19] ?? null;
}

const PF_EXITING = 0x4;

/**
 * 'alive'; 'exiting' (PF_EXITING in field 9 of /proc/PID/stat: killed, on its way out); or
 * 'gone' (no such process, a zombie, or another process than the one started at `started`).
 * A killed pid namespace init stays 'exiting', out of its cgroups already, until every process
 * of its namespace has been reaped, also one whose parent is outside it (an exec'd process
 * whose tsrun was killed: reaped by the host's init, whenever that gets to it).
 */
export function processState(pid: number, started?: string): 'alive' | 'exiting' | 'gone' {
  const rest = statFields(pid);
  if (!rest) return 'gone';
  if (rest[0] === 'Z' || rest[0] === 'X' || (started !== undefined && rest[19] !== started)) return 'gone';
  return (Number(rest[6]) & PF_EXITING) !== 0 ? 'exiting' : 'alive';
}

export function initAlive(s: StoredState): boolean {
  return s.pid > 0 && startTime(s.pid) === s.pidStartTime;
}

export function liveStatus(s: StoredState, stateDir: string, isFrozen: () => boolean = () => false): Status {
  if (!initAlive(s)) return 'stopped';
  if (isFrozen()) return 'paused';
  return fs.existsSync(path.join(stateDir, FIFO_FILE)) ? 'created' : 'running';
}

/** The OCI state as runc prints it (`runc state`). */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

/** The runtime-spec version tsrun implements: what `state` reports as ociVersion. */
export const OCI_VERSION = '1.2.0';
export const SPEC_VERSION = OCI_VERSION;

export function ociState(s: StoredState, status: Status, owner = ''): OciState {
  const out = {
    ociVersion: OCI_VERSION, id: s.id, pid: status === 'stopped' ? 0 : s.pid, status,
    bundle: s.bundle, rootfs: s.rootfs, created: s.created,
  } as OciState;
  if (s.annotations && Object.keys(s.annotations).length) {
    out.annotations = Object.fromEntries(Object.entries(s.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  out.owner = owner;
  return out;
}
