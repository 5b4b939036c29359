// An existing container: its state dir, stored state, cgroups and live status.
import { cgroupManager, type CgroupManager } from '../cgroups';
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
      this.cgCache = cgroupManager({
        path: this.state.cgroupsPath, containerId: this.state.id, paths: this.state.cgroupPaths,
        created: this.state.cgroupCreated,
      });
    }
    return this.cgCache;
  }

  status(): Status {
    return liveStatus(this.state, this.sd.dir, () => {
      try { return this.cgroup.isFrozen(); } catch { return false; }
    });
  }
}
