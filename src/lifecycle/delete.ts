// delete: kill what is left, remove the cgroups and the state dir. Only the container's own
// processes are killed (a cgroup shared with another container keeps the other's: see
// Container.members), and the state is removed only once they are gone: a survivor is an
// error and the state stays for a retry. `--force` also cleans up after a state.json that is
// corrupt, truncated or missing (an aborted create): the container is found through what the
// file still says, the create's journal (creating.json: what a killed create had made), or,
// failing both, the cgroup its id gives by default.
import fs = require('fs');
import { cgroupManager, detectCgroups, parseProcCgroup, type CgroupLayout } from '../cgroups';
import { recordedPathProblem } from '../cgroups/members';
import { waitAsync, type Waits } from '../waits';
import { NotExistError, StatusError, TsrunError } from '../errors';
import { log } from '../log';
import type { Spec } from '../spec/config-types';
import { salvageState, type Salvaged } from '../state/salvage';
import { CorruptStateError, StateDir, type StoredState } from '../state/store';
import { OCI_VERSION, processState, startTime } from '../state/status';
import { runHooksWarnOnly } from '../hooks/run-hooks';
import { moveNetDevicesOut } from './net-devices';
import { Container, type Members } from './container';
import { crashPoint } from './crash-point';
import { reapDeleted } from './wait';
import { GlobalOptions, rootOf } from './options';

/** How long killed processes get to exit before delete reports them and keeps the state. */
const KILL_WAIT_MS = 5000;

/**
 * Removes a created or stopped container (a created one's waiting process is killed): its
 * processes, cgroups and state, then runs the poststop hooks. StatusError for a running or paused
 * one unless `force`, which kills it first and also succeeds for an id that does not exist.
 */
export async function deleteContainer(id: string, opts: GlobalOptions & { force?: boolean } = {}): Promise<void> {
  const sd = new StateDir(rootOf(opts), id);
  try {
    await sd.lockAsync();
  } catch (e) {
    if (e instanceof NotExistError && opts.force) return;
    throw e;
  }
  crashPoint('delete:locked');
  try {
    let c: Container;
    try {
      c = new Container(sd, opts, false);
      void c.cgroup; // the recorded cgroup paths are checked here
    } catch (e) {
      if (!(e instanceof NotExistError || e instanceof CorruptStateError)) throw e;
      if (!opts.force) {
        if (e instanceof NotExistError) throw new TsrunError('container does not exist (its state dir has no state.json: an aborted create; delete --force removes it)');
        throw e;
      }
      const journal = e instanceof NotExistError ? sd.readJournal() : '';
      await destroy(journal ? orphan(sd, opts, journal, true) : orphan(sd, opts, e instanceof CorruptStateError ? e.text : ''));
      return;
    }
    const status = c.status();
    if ((status === 'running' || status === 'paused') && !opts.force) {
      throw new StatusError(`cannot delete container ${id} that is not stopped: ${status}`, status);
    }
    await destroy(c);
  } finally {
    sd.unlock();
  }
}

/**
 * A container whose state.json is unusable, put together from what the text still says. Its
 * cgroups: the salvaged paths if they are cgroups below a hierarchy's root, else the default
 * cgroup for its id; presumed made by it (another container under --root in them still
 * makes them shared, see Container.members), unless the text is the create's journal
 * (`exact`), which lists what the create made. Its init, if the text still names it, tells its
 * pid namespace.
 */
export function orphan(sd: StateDir, opts: GlobalOptions, text: string, exact = false): Container {
  const sv = salvageState(text);
  const layout = detectCgroups();
  const usable = (p: Record<string, string> | undefined) =>
    p && !Object.entries(p).some(([k, d]) => recordedPathProblem(layout, k, d) || !(k === '' ? layout.unifiedMount : layout.v1Mounts.get(k))) ? p : undefined;
  let paths = usable(sv.cgroupPaths);
  // cut before its cgroupPaths: where the init (the text's pid, checked by its start time) is
  paths ??= usable(initCgroupPaths(sv, sd.id, layout));
  if (!paths) {
    paths = cgroupManager({ path: '', containerId: sd.id, layout }).paths;
    // (no text at all: a create killed before its journal, which is written before anything is made)
    if (text.trim() && !Object.values(paths).some((d) => fs.existsSync(d))) {
      log('warning', `state.json of container ${sd.id} is cut short or corrupt before it names its cgroups, and neither its init nor its id's default cgroup was found: `
        + 'if it had its own linux.cgroupsPath, its processes and cgroups are left there');
    }
  }
  const leaves = [...new Set(Object.values(paths))];
  const state: StoredState = {
    ociVersion: OCI_VERSION, id: sd.id, pid: sv.pid ?? 0, pidStartTime: sv.pidStartTime ?? '', bundle: '', rootfs: '', created: '',
    owner: '', cgroupsPath: '', systemdCgroup: false, ...(sv.rootless ? { rootless: true } : {}), cgroupPaths: paths,
    cgroupCreated: sv.cgroupPaths !== paths ? [...new Set([...leaves, ...sv.cgroupCreated ?? []])]
      : exact ? sv.cgroupCreated ?? [] : sv.cgroupCreated ? [...new Set([...sv.cgroupCreated, ...leaves])] : leaves,
    // without its init the pid namespace cannot be told: then the cgroup decides (Container.members)
    newNamespaces: sv.pid && sv.pidStartTime ? sv.newNamespaces ?? [] : [], config: { ociVersion: OCI_VERSION } as Spec,
  };
  return new Container(sd, opts, false, state);
}

/** The cgroups of the init a salvaged text names, if that process still runs (its start time matches): undefined otherwise, or in a hierarchy's root. */
function initCgroupPaths(sv: Salvaged, id: string, layout: CgroupLayout): Record<string, string> | undefined {
  if (!sv.pid || !sv.pidStartTime || startTime(sv.pid) !== sv.pidStartTime) return undefined;
  let own: Map<string, string>;
  try { own = parseProcCgroup(fs.readFileSync(`/proc/${sv.pid}/cgroup`, 'utf8')); } catch { return undefined; }
  // the hierarchy whose cgroup.procs lists a container (v1ProcsDir), or cgroup2's
  const rel = layout.mode === 'v2' ? own.get('') : own.get('devices') ?? own.get('');
  if (!rel || rel === '/' || startTime(sv.pid) !== sv.pidStartTime) return undefined;
  return cgroupManager({ path: rel, containerId: id, layout }).paths;
}

/**
 * Kill the container's processes, wait for them to go, remove cgroups and state, run the
 * poststop hooks (unless `hooks` is false: a create rolled back). A survivor is an error and
 * the state dir stays (locked by the caller until it unlocks).
 */
export async function destroy(c: Container, opts: { hooks?: boolean } = {}): Promise<void> {
  const members = c.members(); // while the init lives: its pid namespace tells its processes
  if (c.status() !== 'stopped') {
    // while its network namespace still exists: hand the moved devices back
    for (const err of moveNetDevicesOut(c.state.config, c.state.pid)) log('warning', err);
    try { await c.cgroup.thawAsync(); } catch { /* no freezer */ }
    try { process.kill(c.state.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  try { c.signalMembers(members, 'SIGKILL'); } catch { /* empty or gone */ }
  const left = await waitAsync(waitGone(c, members));
  if (left.length) {
    throw new TsrunError(`container ${c.state.id}: process${left.length > 1 ? 'es' : ''} ${left.join(', ')} still running after SIGKILL; state kept, run delete --force again`);
  }
  reapDeleted(c.state.pid, c.state.pidStartTime, members.pids);
  crashPoint('delete:killed');
  const others = !members.exclusive && c.cgroup.exists() ? c.cgroup.pids() : [];
  if (others.length) {
    log('warning', `cgroup of ${c.state.id} still has ${others.length} process(es) of another container: left in place`);
  } else {
    try {
      c.cgroup.destroy();
    } catch (e) {
      // the state stays: it is what finds the cgroup again
      throw new TsrunError(`container ${c.state.id}: ${(e as Error).message}; state kept, run delete --force again`);
    }
  }
  crashPoint('delete:cgroups-removed');
  c.sd.remove();
  if (opts.hooks === false) return;
  // poststop: after the container is gone; each failure is a warning, the rest still run and
  // delete still succeeds (runtime-spec lifecycle step 13)
  await runHooksWarnOnly('poststop', c.state.config.hooks, {
    ociVersion: OCI_VERSION, id: c.state.id, status: 'stopped', bundle: c.state.bundle, annotations: c.state.config.annotations,
  });
}


/**
 * Wait until the init, `members` and (exclusive) everything in the cgroup are gone; returns
 * what is left. A process that is exiting counts as gone once it has left the cgroup (the
 * kernel takes it out before a pid namespace's init waits for its namespace to be reaped):
 * what is still listed in the cgroup is waited for, or `others` below would take it for
 * another container's.
 */
function* waitGone(c: Container, members: Members): Waits<number[]> {
  const deadline = Date.now() + KILL_WAIT_MS;
  const { pid, pidStartTime } = c.state;
  for (let round = 0; ; round++) {
    let inCgroup: number[] = [];
    try { inCgroup = c.cgroup.exists() ? c.cgroup.pids() : []; } catch { /* gone */ }
    const here = (p: number, started?: string) => {
      const st = processState(p, started);
      return st === 'alive' || (st === 'exiting' && inCgroup.includes(p));
    };
    const left = new Set(members.pids.filter((p) => here(p)));
    if (pid > 0 && here(pid, pidStartTime)) left.add(pid);
    if (members.exclusive) for (const p of inCgroup) left.add(p);
    if (!left.size) return [];
    if (Date.now() >= deadline) return [...left].sort((a, b) => a - b);
    // new arrivals in the cgroup (a fork racing the kill) get theirs too
    if (members.exclusive && round % 50 === 49) { try { c.signalMembers(members, 'SIGKILL'); } catch { /* gone */ } }
    yield round < 50 ? 2 : 10;
  }
}
