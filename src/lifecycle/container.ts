// An existing container: its state dir, stored state, cgroups and live status.
import type { CgroupManager } from '../cgroups';
import { frozenFromPaths } from '../cgroups/frozen';
import { StateDir, type StoredState } from '../state/store';
import { liveStatus, type Status } from '../state/status';
import { GlobalOptions, rootOf } from './options';

export class Container {
  readonly sd: StateDir;
  readonly state: StoredState;
  private cgCache?: CgroupManager;

  constructor(id: string, opts: GlobalOptions, lock = true) {
    this.sd = new StateDir(rootOf(opts), id);
    if (lock) this.sd.lock();
    this.state = this.sd.read();
  }

  get cgroup(): CgroupManager {
    if (!this.cgCache) {
      // loaded on first use: `state` and `list` never need the manager (see status())
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { cgroupManager } = require('../cgroups') as typeof import('../cgroups');
      this.cgCache = cgroupManager({
        path: this.state.cgroupsPath, containerId: this.state.id, paths: this.state.cgroupPaths,
        created: this.state.cgroupCreated,
      });
    }
    return this.cgCache;
  }

  status(): Status {
    return liveStatus(this.state, this.sd.dir, () => {
      try { return frozenFromPaths(this.state.cgroupPaths) ?? this.cgroup.isFrozen(); } catch { return false; }
    });
  }
}
