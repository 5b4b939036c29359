// create: claim the id, plan, clone the child (run-child.ts), publish the state. One
// transaction: until state.json is written, a journal in the state dir names what exists so
// far (cgroups, the child), and any failure after the claim kills and reaps what was started,
// removes the cgroups and the state dir, and reports one error naming the flag or config
// field. A create killed outright leaves the journal, from which `delete --force` (or the next
// create of the id) cleans up.
import fs = require('fs');
import path = require('path');
import { cgroupManager, checkCgroupBeforeCreate, type CgroupManager } from '../cgroups';
import { cgroupOwner } from '../cgroups/delegate';
import { strerror, TsrunError } from '../errors';
import { log } from '../log';
import { addon, stubPath } from '../native/addon';
import { LiveHostFacts } from '../plan/host-facts';
import { buildPlan, type ContainerPlan } from '../plan/plan';
import { loadSpec } from '../spec/load';
import type { Spec } from '../spec/config-types';
import { checkSpecOnHost } from '../spec/host-rules';
import { validateForCreate } from '../spec/validate';
import { AbortedCreateError, StateDir, writePidFile, type CreateJournal, type StoredState } from '../state/store';
import { OCI_VERSION, startTime } from '../state/status';
import { hasHooks, runHooks } from '../hooks/run-hooks';
import { startHooksBlob } from '../hooks/start-hooks';
import { phase, trace } from '../trace';
import { awaitFifoWait } from './init-exit';
import { cgroupMountView } from './cgroup-view';
import { consoleTarget, receiveMaster } from './console';
import { Container } from './container';
import { crashPoint } from './crash-point';
import { deleteContainer, destroy } from './delete';
import { checkNetDevices, moveNetDevicesIn } from './net-devices';
import { hostNotifySocket, withNotifySocket } from './notify';
import { GlobalOptions, rootOf } from './options';
import { checkPreservedFds } from './preserved-fds';
import { connectPidfdSocket, type PidfdSocket } from './pidfd-socket';
import { killAndReap } from './reap';
import { runChild } from './run-child';
import { yieldToLoop } from './yield';
import { throwIfAborted } from './abort';
import { checkMappedUser, checkRootlessConfig, rootlessCgroups, rootlessProcess } from './rootless';
import { rootlessCgroupManager } from '../cgroups/rootless';
import type { ContainerState } from './seccomp-listener';

export interface CreateOptions extends GlobalOptions {
  bundle?: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /**
   * Already-parsed config (library callers); default: <bundle>/config.json. Validated as
   * config.json is (a copy: the caller's object is left as it is), with the same field-named errors.
   */
  spec?: Spec;
  /** run without --detach: a terminal without --console-socket is relayed by tsrun. */
  foreground?: boolean;
  /** --pidfd-socket: an AF_UNIX socket sent a pidfd of the init (runc 1.2). */
  pidfdSocket?: string;
  /**
   * Aborting stops the create at its next step (a running hook is killed), undoes what it made
   * (as a failed create does) and rejects with an AbortError. After it resolved, it has no effect.
   */
  signal?: AbortSignal;
}

export interface Created {
  id: string; pid: number; bundle: string;
  /** The pty master, when tsrun itself relays the container's terminal (foreground run). */
  consoleMaster?: number;
}

/** systemd socket activation: how many fds (3..) were passed to this process. */
export function listenFds(): number {
  if (Number(process.env.LISTEN_PID) !== process.pid) return 0;
  const n = Number(process.env.LISTEN_FDS);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** runc's socket activation: LISTEN_FDS and LISTEN_PID=1 appended (the plan keeps one entry per name, the last value). */
function withListenEnv(spec: Spec, n: number): Spec {
  return { ...spec, process: { ...spec.process!, env: [...(spec.process?.env ?? []), `LISTEN_FDS=${n}`, 'LISTEN_PID=1'] } };
}

/** A library caller's spec, checked as config.json is: a copy (the caller's object is not changed, nulls and all). */
function callersSpec(spec: Spec): Spec {
  const doc = structuredClone(spec) as unknown;
  validateForCreate(doc);
  return doc;
}

export function ociTimestamp(d = new Date()): string {
  const frac = String(d.getMilliseconds() * 1e6 + Number(process.hrtime.bigint() % 1000000n)).padStart(9, '0').replace(/0+$/, '');
  return d.toISOString().slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/**
 * Creates container `id` from `opts.bundle` (config.json): namespaces, mounts, cgroups and the
 * prestart, createRuntime and createContainer hooks; the process then waits for start(). On any
 * failure, and on an abort of `opts.signal`, what was made is removed before the promise rejects.
 */
export async function create(id: string, opts: CreateOptions = {}): Promise<Created> {
  throwIfAborted(opts.signal);
  const bundle = path.resolve(opts.bundle ?? process.cwd());
  phase('startup');
  const warn = (m: string) => log('warning', m);
  let spec = opts.spec ? callersSpec(opts.spec) : loadSpec(bundle, { forCreate: true });
  checkRootlessConfig(spec);
  checkMappedUser(spec.process?.user, spec.linux);
  const rootlessCg = rootlessCgroups(opts);
  // what the config asks of this host (rootfs, kernel, LSMs, paths): before anything is made
  const host = new LiveHostFacts();
  checkSpecOnHost(spec, bundle, host, warn);
  phase('load and validate config.json');
  await yieldToLoop(opts.signal);
  // before anything of ours is opened: no fd of tsrun's may sit in the range
  checkPreservedFds(listenFds(), opts.preserveFds ?? 0);
  const root = rootOf(opts);
  const sd = new StateDir(root, id);
  const consoleT = consoleTarget(!!spec.process?.terminal, opts.consoleSocket, !!opts.foreground);
  try {
    await claim(sd, opts);
  } catch (e) {
    consoleT.close();
    if (consoleT.relayFd >= 0) addon().close(consoleT.relayFd);
    throw e;
  }
  crashPoint('create:claimed');
  let cg: CgroupManager | undefined;
  let fifoFd = -1;
  // what exists so far: the journal's content, and what a rollback undoes
  const journal: CreateJournal = { id, pid: 0, pidStartTime: '', cgroupPaths: {}, cgroupCreated: [], newNamespaces: [], ...(rootlessCg ? { rootless: true } : {}) };
  let netDevicesMoved = false;
  let pidFileWritten = false;
  let pidfdSock: PidfdSocket | undefined;
  try {
    pidfdSock = connectPidfdSocket(opts.pidfdSocket, 'standard');
    const notify = hostNotifySocket();
    if (notify) spec = inRoot(root, id, 'create the notify socket directory', () => withNotifySocket(spec, sd.dir));
    const cgOpts = { path: spec.linux?.cgroupsPath ?? '', containerId: id, systemdCgroup: opts.systemdCgroup, annotations: spec.annotations, ownerUid: cgroupOwner(spec) };
    cg = checkCgroupBeforeCreate(rootlessCg ? rootlessCgroupManager(cgOpts) : cgroupManager(cgOpts));
    journal.cgroupPaths = cg.paths;
    inRoot(root, id, 'write the create journal', () => sd.writeJournal(journal));
    inRoot(root, id, 'create exec.fifo', () => addon().mkfifo(sd.fifo, 0o622));
    fifoFd = addon().openPath(sd.fifo);
    await yieldToLoop(opts.signal);
    const cgroupns = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
    // socket activation like runc: fds 3.. named by LISTEN_FDS (when LISTEN_PID is us) go to
    // the container ahead of --preserve-fds, and it is told how many
    const listen = listenFds();
    const plan: ContainerPlan = buildPlan(listen ? withListenEnv(spec, listen) : spec, {
      bundle, stubPath: stubPath(), fifoFd, preserveFds: listen + (opts.preserveFds ?? 0), noPivot: !!opts.noPivot,
      consoleSocketFd: consoleT.childFd, noNewKeyring: !!opts.noNewKeyring,
      cgroup: cgroupMountView(cg, cgroupns),
    }, host);
    plan.native.mountConsole = true;
    rootlessProcess(plan.native, 'process.user.additionalGids', plan.newNamespaces.has('user'));
    plan.native.hooksBlob = startHooksBlob(spec.hooks?.startContainer, { id, bundle, annotations: spec.annotations });
    // prestart and createRuntime (runtime namespace), then createContainer (the container's
    // namespaces): after the namespaces exist, before pivot_root, while the child waits
    plan.native.hooksSync = hasHooks(spec.hooks, 'prestart', 'createRuntime', 'createContainer');
    // what hooks (stdin) and a seccomp listener are told while the container is being created
    const creatingState = (initPid: number): ContainerState =>
      ({ ociVersion: OCI_VERSION, id, status: 'creating', pid: initPid, bundle, annotations: spec.annotations });
    const onHooks = async (initPid: number) => {
      const st = creatingState(initPid);
      // cwd and environment as runc's: the bundle (runc chdirs there); createContainer in the
      // rootfs with the container process's environment (runc runs it from its init)
      await runHooks('prestart', spec.hooks, st, { cwd: bundle }, opts.signal);
      await runHooks('createRuntime', spec.hooks, st, { cwd: bundle }, opts.signal);
      await runHooks('createContainer', spec.hooks, st, { inNamespacesOf: initPid, cwd: plan.rootfs, defaultEnv: spec.process?.env ?? [] }, opts.signal);
    };
    phase('plan');
    await yieldToLoop(opts.signal);
    checkNetDevices(spec);
    journal.newNamespaces = [...plan.newNamespaces];
    // written before each step that makes something: a create killed in between leaves nothing the journal does not name
    const onProgress = (p: { created?: readonly string[]; pid?: number }) => {
      if (p.created) journal.cgroupCreated = [...p.created];
      if (p.pid) Object.assign(journal, { pid: p.pid, pidStartTime: startTime(p.pid) ?? '' });
      inRoot(root, id, 'write the create journal', () => sd.writeJournal(journal));
    };
    const pid = await runChild({
      ...plan, setResources: true, resources: spec.linux?.resources, devices: spec.linux?.devices, onHooks, seccompState: creatingState,
      onProgress, verb: 'create', signal: opts.signal,
    }, cg);
    crashPoint('create:init-execd');
    netDevicesMoved = true;
    moveNetDevicesIn(spec, pid);
    pidfdSock?.send(pid);
    consoleT.close();
    // tsrun-init fails before it blocks on exec.fifo (no procfs handle, a bad fd): create says so
    await awaitFifoWait(pid);
    phase('init waits on exec.fifo');
    throwIfAborted(opts.signal); // the last point before the container is published
    const consoleMaster = consoleT.relayFd >= 0 ? receiveMaster(consoleT.relayFd) : undefined;
    // what delete --force needs first: a state.json cut short still names the init and its cgroups (state/salvage.ts)
    const state: StoredState = {
      ociVersion: spec.ociVersion, id, pid, pidStartTime: startTime(pid) ?? '', cgroupCreated: [...cg.created], cgroupPaths: cg.paths,
      newNamespaces: [...plan.newNamespaces], bundle, rootfs: plan.rootfs, created: ociTimestamp(), owner: '', annotations: spec.annotations,
      cgroupsPath: spec.linux?.cgroupsPath ?? '', systemdCgroup: !!opts.systemdCgroup, ...(rootlessCg ? { rootless: true } : {}), config: spec, notifySocket: notify,
    };
    if (!state.pidStartTime || state.pidStartTime !== journal.pidStartTime) throw new TsrunError('container init exited before it could be started');
    // the pid file before the state: a caller that sees the container (state, list) can manage it
    if (opts.pidFile) {
      writePidFile(opts.pidFile, pid);
      pidFileWritten = true;
    }
    crashPoint('create:pid-file');
    inRoot(root, id, 'write state.json', () => sd.write(state));
    crashPoint('create:published');
    sd.dropJournal();
    trace('create', () => `container ${id} created: init pid ${pid} waits on ${sd.fifo}`);
    return { id, pid, bundle, consoleMaster };
  } catch (e) {
    consoleT.close();
    if (consoleT.relayFd >= 0) addon().close(consoleT.relayFd);
    await rollback(sd, opts, journal, spec, netDevicesMoved);
    if (pidFileWritten) removePidFile(opts.pidFile!, journal.pid);
    // an abort that made a step fail (a killed hook, a child gone) is reported as the abort
    throwIfAborted(opts.signal);
    throw e;
  } finally {
    pidfdSock?.close();
    if (fifoFd >= 0) addon().close(fifoFd);
    sd.unlock();
  }
}

/**
 * Claim the state dir. A dir left by a create that was killed after it made something
 * (AbortedCreateError) is cleaned up as `delete --force` would, then claimed again.
 * Errors of the state root name --root.
 */
async function claim(sd: StateDir, opts: GlobalOptions): Promise<void> {
  try {
    inRoot(sd.root, sd.id, 'create the state directory', () => sd.create());
  } catch (e) {
    if (!(e instanceof AbortedCreateError)) throw e;
    await deleteContainer(sd.id, { ...opts, force: true });
    inRoot(sd.root, sd.id, 'create the state directory', () => sd.create());
  }
}

/** `fn`, with a file system error in the state root turned into one naming --root (never a temp file's name). */
function inRoot<T>(root: string, id: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof TsrunError || (typeof err.errno !== 'number' && !err.code)) throw e;
    const errno = typeof err.errno === 'number' ? Math.abs(err.errno) : undefined;
    const why = errno ? strerror(errno) : err.code;
    const hint = errno === 28 ? ': the file system of --root is full' : errno === 30 || errno === 13 ? ': --root must be a writable directory' : '';
    throw new TsrunError(`--root ${root}: cannot ${what} for container ${id}: ${why}${hint}`, { errno });
  }
}

/**
 * Undo a create that failed after its claim: kill and reap the child (or init) and everything
 * in its cgroups that is its own, hand moved network devices back, remove the cgroups and the
 * state dir. What cannot be undone (a process that survives SIGKILL) keeps the state dir and
 * its journal for `delete --force`, and is a warning: the create's own error is the one reported.
 */
async function rollback(sd: StateDir, opts: GlobalOptions, journal: CreateJournal, spec: Spec, netDevicesMoved: boolean): Promise<void> {
  const made = journal.pid > 0 || Object.keys(journal.cgroupPaths).length > 0 || journal.cgroupCreated.length > 0;
  // the state destroy() needs: what the journal says, plus the devices to hand back
  const config = { ociVersion: spec.ociVersion, linux: netDevicesMoved ? { netDevices: spec.linux?.netDevices } : {} } as Spec;
  try {
    if (!made) sd.remove();
    else {
      await destroy(new Container(sd, opts, false, {
        ...journal, ociVersion: spec.ociVersion, bundle: '', rootfs: '', created: '', owner: '', cgroupsPath: '', systemdCgroup: false, config,
      }), { hooks: false });
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = e instanceof TsrunError || typeof err.errno !== 'number' ? err.message : `its state dir ${sd.dir} could not be removed: ${strerror(Math.abs(err.errno))}`;
    log('warning', `cleaning up after the failed create: ${why}; \`delete --force ${sd.id}\` retries`);
  } finally {
    // ours: a zombie must not stay in a library process
    if (journal.pid > 0) killAndReap([journal.pid], 100);
  }
}

function removePidFile(file: string, pid: number): void {
  try {
    if (fs.readFileSync(file, 'utf8') === String(pid)) fs.rmSync(file, { force: true });
  } catch { /* gone */ }
}

export { runChild } from './run-child';
