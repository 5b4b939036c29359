// An existing container: its state dir, stored state, cgroups, live status, and which of the
// processes in its cgroup are its own.
import fs = require('fs');
import path = require('path');
import type { CgroupManager } from '../cgroups';
import { frozenFromPaths } from '../cgroups/frozen';
import { createdPathProblem, pidNamespace, recordedPathProblem, selfOrAncestor } from '../cgroups/members';
import { CorruptStateError, JOURNAL_FILE, STATE_FILE, StateDir, type StoredState } from '../state/store';
import { liveStatus, startTime, type Status } from '../state/status';
import { GlobalOptions, rootOf } from './options';
import { processesWithoutCgroup } from './rootless';

/** The processes of a container found in its cgroup. */
export interface Members {
  /** The cgroup is the container's alone: everything in it is the container's (cgroup.kill may be used). */
  exclusive: boolean;
  pids: number[];
}

export class Container {
  readonly sd: StateDir;
  readonly state: StoredState;
  private cgCache?: CgroupManager;

  /** `state` given: a state put together by the caller (delete --force of a corrupt one), `id` a StateDir it holds. */
  constructor(id: string | StateDir, opts: GlobalOptions, lock = true, state?: StoredState) {
    this.sd = typeof id === 'string' ? new StateDir(rootOf(opts), id) : id;
    if (lock) this.sd.lock();
    try {
      this.state = state ?? this.sd.read();
    } catch (e) {
      if (lock) this.sd.unlock();
      throw e;
    }
  }

  /** A locked Container, the lock waited for on timers (the library's verbs: the event loop runs while another operation holds it). */
  static async open(id: string, opts: GlobalOptions & { signal?: AbortSignal }): Promise<Container> {
    const sd = new StateDir(rootOf(opts), id);
    await sd.lockAsync(opts.signal);
    return new Container(sd, opts); // holds the lock already: the constructor's lock() returns at once
  }

  /** The cgroup manager for the recorded paths; CorruptStateError if they are not cgroups tsrun may act on. */
  get cgroup(): CgroupManager {
    if (!this.cgCache) {
      // loaded on first use: `state` and `list` never need the manager (see status())
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { cgroupManager, detectCgroups } = require('../cgroups') as typeof import('../cgroups');
      const layout = detectCgroups();
      const s = this.state;
      for (const [key, dir] of Object.entries(s.cgroupPaths)) {
        const problem = recordedPathProblem(layout, key, dir);
        if (problem) throw new CorruptStateError(this.sd, `cgroupPaths[${JSON.stringify(key)}]: ${problem}`);
      }
      for (const [i, dir] of s.cgroupCreated.entries()) {
        const problem = createdPathProblem(layout, dir);
        if (problem) throw new CorruptStateError(this.sd, `cgroupCreated[${i}]: ${problem}`);
      }
      this.cgCache = this.inNoCgroup()
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        ? (require('../cgroups/rootless') as typeof import('../cgroups/rootless')).noCgroups(layout, [...layout.v1Mounts.keys(), ''], s.cgroupCreated)
        : cgroupManager({
          path: s.cgroupsPath, containerId: s.id, paths: s.cgroupPaths, created: s.cgroupCreated, layout, systemdCgroup: s.systemdCgroup, rootless: s.rootless,
        });
    }
    return this.cgCache;
  }

  status(): Status {
    return liveStatus(this.state, this.sd.dir, () => {
      try { return frozenFromPaths(this.state.cgroupPaths) ?? this.cgroup.isFrozen(); } catch { return false; }
    });
  }

  /**
   * The container's processes in its cgroup. With its own pid namespace: the processes in that
   * namespace or one nested in it (by ancestry); they all die with its init, so once the init is
   * gone none are left. Sharing a pid namespace: everything in the cgroup when the cgroup is the
   * container's alone (see exclusiveCgroup), else its init and the init's descendants. Threat: a
   * cgroup shared with another container (the same cgroupsPath) or a process put into it from
   * outside; kill --all and delete must not reach them. Call before the init is killed.
   */
  /** A rootless container whose user could create no cgroup: it is in its caller's. */
  inNoCgroup(): boolean {
    return !!this.state.rootless && !Object.keys(this.state.cgroupPaths).length;
  }

  members(): Members {
    if (this.inNoCgroup()) {
      const s = this.state;
      const alive = s.pid > 0 && startTime(s.pid) === s.pidStartTime;
      return { exclusive: false, pids: alive ? processesWithoutCgroup(s.pid, s.newNamespaces.includes('pid')) : [] };
    }
    const cg = this.cgroup;
    const pids = cg.exists() ? cg.pids() : [];
    const s = this.state;
    const initAlive = s.pid > 0 && startTime(s.pid) === s.pidStartTime;
    const ns = initAlive ? pidNamespace(s.pid) : undefined;
    if (s.newNamespaces.includes('pid')) {
      const own = ns ? pids.filter((p) => selfOrAncestor(p, (q) => pidNamespace(q) === ns)) : [];
      // exclusive (cgroup.kill and the freezer may be used): nothing else in it, and nothing else may join it
      return { exclusive: own.length > 0 && own.length === pids.length && this.exclusiveCgroup(), pids: own };
    }
    if (this.exclusiveCgroup()) return { exclusive: true, pids };
    const own = ns ? pids.filter((p) => pidNamespace(p) === ns && selfOrAncestor(p, (q) => q === s.pid)) : [];
    return { exclusive: false, pids: own };
  }

  /** Signal what members() found: the whole cgroup when it is the container's alone (cgroup.kill, or each under the freezer), else each of its processes. */
  signalMembers(members: Members, signal: NodeJS.Signals | number): void {
    if (members.exclusive) {
      this.cgroup.killAll(signal);
      return;
    }
    for (const pid of members.pids) {
      try { process.kill(pid, signal); } catch { /* gone */ }
    }
  }

  /**
   * Whether the container's cgroup directories are its own: it made them, and no other
   * container under --root, nor a create still at work (by its journal), records a cgroup at
   * or below them. The others' files are only searched as text (a delete among 100 containers
   * must not parse 100 states); a false match (the path in a config) makes the cgroup count as
   * shared, the safe side.
   */
  private exclusiveCgroup(): boolean {
    const mine = [...new Set(Object.values(this.state.cgroupPaths))];
    if (!mine.every((d) => this.state.cgroupCreated.includes(d))) return false;
    const needles = mine.flatMap((d) => [`"${d}"`, `"${d}/`]);
    // every other state dir: its state.json, or the journal of a create still at work
    let ids: string[];
    try { ids = fs.readdirSync(this.sd.root); } catch { ids = []; }
    for (const id of ids) {
      if (id === this.state.id) continue;
      let text = '';
      for (const file of [STATE_FILE, JOURNAL_FILE]) {
        try { text = fs.readFileSync(path.join(this.sd.root, id, file), 'utf8'); break; } catch { /* not there */ }
      }
      if (needles.some((n) => text.includes(n))) return false;
    }
    return true;
  }
}
