// v1 cpuset: a cpuset cgroup with empty cpuset.cpus or cpuset.mems refuses new tasks (ENOSPC),
// and the kernel does not fill them in for new directories (unless cgroup.clone_children).
// Like runc, copy them from the parent, top-down, for every directory that has them empty.

import path = require('path');
import { readCgOptional, writeCg } from '../../fsutil';
import type { V1Controller } from '../types';

const FILES = ['cpuset.cpus', 'cpuset.mems'];

export function inheritCpuset(chain: string[], mountPoint: string): void {
  let parent = mountPoint;
  for (const dir of chain) {
    for (const f of FILES) {
      const cur = readCgOptional(dir, f) ?? '';
      if (cur !== '') continue;
      const fromParent = readCgOptional(parent, f) ?? '';
      if (fromParent !== '') writeCg(dir, f, fromParent);
    }
    parent = dir;
  }
}

export const cpuset: V1Controller = {
  name: 'cpuset',
  prepare: (chain, mountPoint) => inheritCpuset(chain, path.resolve(mountPoint)),
};
