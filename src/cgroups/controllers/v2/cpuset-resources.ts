// cpuset controller (kernel 5.0+), as runc 1.1 fs2/cpuset.go: cpuset.cpus and cpuset.mems,
// written verbatim when non-empty (the kernel validates the list syntax). No stats on v2.

import type { LinuxResources } from '../../../spec/config-types';
import { RESOURCES_FIELD, setFile } from './resource-util';

export const name = 'cpuset';

export function set(dir: string, r: LinuxResources): void {
  const cpus = r.cpu?.cpus ?? '';
  const mems = r.cpu?.mems ?? '';
  if (cpus !== '') setFile(dir, 'cpuset.cpus', cpus, `${RESOURCES_FIELD}.cpu.cpus`, name);
  if (mems !== '') setFile(dir, 'cpuset.mems', mems, `${RESOURCES_FIELD}.cpu.mems`, name);
}
