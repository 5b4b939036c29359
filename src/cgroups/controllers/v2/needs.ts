// Which cgroup v2 controller each field of linux.resources writes to (the files the resource
// modules of this directory write), for refusing a limit up front, naming its field, where
// the controller is not available (a systemd user instance that is not delegated it). Fields
// v2 ignores (v2IgnoredResources) and device rules (an eBPF program, no controller) need none.
import type { LinuxResources } from '../../../spec/config-types';
import { RESOURCES_FIELD } from './resource-util';

export interface ControllerNeed {
  field: string;
  controller: string;
}

const given = (v: unknown): boolean => v !== undefined && v !== null && v !== 0 && v !== '' && !(Array.isArray(v) && !v.length);

/** The controllers `r` writes to, each with the first field that asks for it, in runc's fs2 Set order. */
export function controllersNeeded(r: LinuxResources | undefined): ControllerNeed[] {
  if (!r) return [];
  const F = RESOURCES_FIELD;
  const out: ControllerNeed[] = [];
  const need = (controller: string, field: string) => { if (!out.some((n) => n.controller === controller)) out.push({ field, controller }); };
  const first = (obj: Record<string, unknown> | undefined, keys: string[], prefix: string, controller: string) => {
    const k = keys.find((x) => given(obj?.[x]));
    if (k) need(controller, `${F}.${prefix}.${k}`);
  };
  if (given(r.pids?.limit)) need('pids', `${F}.pids.limit`);
  first(r.memory as Record<string, unknown>, ['limit', 'reservation', 'swap'], 'memory', 'memory');
  first(r.blockIO as Record<string, unknown>, ['weight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'], 'blockIO', 'io');
  first(r.cpu as Record<string, unknown>, ['shares', 'quota', 'period', 'burst', 'idle'], 'cpu', 'cpu');
  // cpu.idle 0 and cpu.burst 0 are written too
  if (r.cpu?.idle === 0) need('cpu', `${F}.cpu.idle`);
  if (r.cpu?.burst === 0) need('cpu', `${F}.cpu.burst`);
  first(r.cpu as Record<string, unknown>, ['cpus', 'mems'], 'cpu', 'cpuset');
  if (given(r.hugepageLimits)) need('hugetlb', `${F}.hugepageLimits`);
  if (r.rdma && Object.keys(r.rdma).length) need('rdma', `${F}.rdma`);
  for (const key of Object.keys(r.unified ?? {})) {
    const dot = key.indexOf('.');
    const c = dot > 0 ? key.slice(0, dot) : '';
    // cgroup.* files are the core's (no controller); a malformed key is unified's own error
    if (c && c !== 'cgroup') need(c, `${F}.unified[${JSON.stringify(key)}]`);
  }
  return out;
}
