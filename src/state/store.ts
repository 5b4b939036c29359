// The state directory: <root>/<id>/{state.json, exec.fifo}. Exclusive create, atomic
// writes (unpredictable O_EXCL temp name + rename), a per-container flock so concurrent
// commands on one id are serialised, and state.json checked against its schema whenever it
// is read: a corrupt or truncated file is an error naming it, never a half-read state that
// kill or delete would act on.
import fs = require('fs');
import path = require('path');
import { ExistsError, NotExistError, TsrunError } from '../errors';
import { addon, LOCK } from '../native/addon';
import type { Spec } from '../spec/config-types';
import { parseJson, stringifyJson } from '../spec/json-int64';
import { writeFileAtomic } from './atomic';
import { lockWaits } from './lock';
import { waitAsync, waitSync, type Waits } from '../waits';
import { checkStoredState } from './validate';

export { writePidFile } from './pid-file';

export const DEFAULT_ROOT = '/run/tsrun';
export const STATE_FILE = 'state.json';
export const FIFO_FILE = 'exec.fifo';
/** What a create has made so far, until state.json is published: see writeJournal. */
export const JOURNAL_FILE = 'creating.json';

// Everything tsrun itself puts in a state dir (the notify socket's directory, the atomic
// writer's temp files included). A directory under --root holding anything else is not a
// container's: it is never taken over or removed (`--root / delete -f etc` must not empty /etc).
const OWN_ENTRIES = new Set(['state.json', 'exec.fifo', 'creating.json', 'notify']);
const OWN_TEMP = /^\.[\w.-]+\.[a-z0-9]+\.tmp$/;
export function foreignEntries(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => !OWN_ENTRIES.has(n) && !OWN_TEMP.test(n));
}
/** How long a state dir without state.json must be untouched before a create may take it over. */
const STALE_MS = 2000;

/** What tsrun keeps about a container (not the OCI state: see status.ts for that). */
export interface StoredState {
  ociVersion: string;
  id: string;
  pid: number;
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  cgroupsPath: string;
  systemdCgroup: boolean;
  /** Host-side cgroup directories, per hierarchy, to find and remove it again. */
  cgroupPaths: Record<string, string>;
  /** Directories create made (outermost first): delete removes them too. */
  cgroupCreated: string[];
  newNamespaces: string[];
  /** The validated config.json the container was created from (exec takes its defaults from it). */
  config: Spec;
  /** Rootless cgroups (--rootless): cgroupPaths holds only the hierarchies its user could join, possibly none. */
  rootless?: boolean;
  /** The caller's NOTIFY_SOCKET at create: `start` relays the container's READY=1 there. */
  notifySocket?: string;
}

/**
 * The create journal: the cgroups a create is about to make (then made), and its child's pid
 * once cloned. Written before each step that leaves something a crash would strand, so that
 * `delete --force` (or the next create of the id) finds and removes it although state.json was
 * never written. Compact JSON with state.json's key names: salvageState reads both.
 */
export type CreateJournal = Pick<StoredState, 'id' | 'pid' | 'pidStartTime' | 'cgroupPaths' | 'cgroupCreated' | 'newNamespaces' | 'rootless'>;

const ID = /^[\w+\-.]+$/;

export function checkId(id: string | undefined): string {
  if (!id) throw new TsrunError('container id cannot be empty');
  if (!ID.test(id) || id === '.' || id === '..') throw new TsrunError('invalid container ID format');
  return id;
}

export class StateDir {
  readonly dir: string;
  private lockFd = -1;

  constructor(readonly root: string, readonly id: string) {
    this.dir = path.join(root, checkId(id));
  }

  get fifo(): string { return path.join(this.dir, FIFO_FILE); }

  /**
   * Claim the id. Fails if a container with this id exists. A directory left by an aborted
   * create (no state.json, nobody holding its lock) is AbortedCreateError when it has a
   * journal (the create may have left cgroups or a process: the caller cleans up as delete
   * --force does and claims again), and is taken over when it has none and was untouched for
   * STALE_MS (a create between its mkdir and its flock is not aborted).
   */
  create(): void {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    for (let tries = 0; ; tries++) {
      try {
        fs.mkdirSync(this.dir, { mode: 0o711 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const took = this.takeOverStale();
        if (took === 'journal') throw new AbortedCreateError(this.id);
        if (!took) throw new ExistsError();
        return;
      }
      try {
        this.lock();
      } catch (e) {
        // a `delete --force` locked the new, empty dir between our mkdir and flock and removed
        // it (it cannot tell it from a create killed there): claim again
        if (e instanceof NotExistError && tries < 10) continue;
        throw e;
      }
      // a create that stalled between mkdir and flock for STALE_MS may have been taken over
      if (this.hasStateFile()) {
        this.unlock();
        throw new ExistsError();
      }
      return;
    }
  }

  /** A state dir without state.json whose lock is free: an aborted create (or a delete that lost the file). */
  private takeOverStale(): boolean | 'journal' {
    if (this.hasStateFile()) return false;
    let fd: number;
    try { fd = fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); } catch { return false; }
    let claimed = false;
    try {
      // locked: a create or delete at work
      if (!addon().flock(fd, LOCK.EX | LOCK.NB) || !this.isCurrent(fd) || this.hasStateFile()) return false;
      // a journal is only written under the lock: with the lock free, its create is gone
      if (fs.existsSync(this.journalFile)) return 'journal';
      // fresh: a create between its mkdir and its flock
      if (Date.now() - fs.fstatSync(fd).mtimeMs < STALE_MS) return false;
      if (foreignEntries(this.dir).length) return false;
      for (const name of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
      fs.fchmodSync(fd, 0o711);
      this.lockFd = fd;
      claimed = true;
      return true;
    } finally {
      if (!claimed) fs.closeSync(fd);
    }
  }

  hasStateFile(): boolean { return fs.existsSync(this.stateFile); }

  /** Exclusive lock held until unlock() or process exit; waited for at most lockWaitMs() (then an error naming the id). */
  lock(): void {
    waitSync(this.lockSteps());
  }

  /** lock() with its waits on timers: another operation holding the lock does not stall a library caller's event loop. */
  lockAsync(signal?: AbortSignal): Promise<void> {
    return waitAsync(this.lockSteps(), signal);
  }

  private *lockSteps(): Waits<void> {
    if (this.lockFd >= 0) return;
    // Threat: the dir is removed (a failed create's rollback, a delete) while we wait for its
    // lock, and made again by the next create. A lock on the removed inode guards nothing: we
    // would read, and remove, the new create's dir while it works. So the lock is kept only on
    // the inode the path names once it is held; otherwise the path is opened again.
    for (let tries = 0; ; tries++) {
      let fd: number;
      try { fd = fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); }
      catch (e) { throw this.notAccessible(e) ?? new NotExistError(this.id); }
      try {
        yield* lockWaits(fd, this.id);
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
      // flock is per open file: two library calls on one id in one process each open their own
      // fd here, and exclude each other as two processes do.
      if (this.isCurrent(fd)) {
        this.lockFd = fd;
        return;
      }
      fs.closeSync(fd);
      // each retry follows a removal by a lock holder: bounded by how often the id is recreated
      if (tries >= 100) throw new TsrunError(`container ${this.id}: its state dir was removed and made again 100 times while waiting for its lock; retry`);
    }
  }

  /** Whether the locked dir fd is still the dir at this.dir (not removed, nor replaced by a newer one). */
  private isCurrent(fd: number): boolean {
    try {
      const held = fs.fstatSync(fd), now = fs.lstatSync(this.dir);
      return held.ino === now.ino && held.dev === now.dev;
    } catch {
      return false;
    }
  }

  /**
   * EACCES/EPERM on the state: another user's (a rootless user's root is 0700, root's too).
   * Said as such, never as "does not exist" (which `delete --force` would take for success).
   */
  private notAccessible(e: unknown): TsrunError | undefined {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') return undefined;
    return new TsrunError(`--root ${this.root}: container ${this.id}: open ${this.dir}: permission denied: its state belongs to another user (only its owner, or root, may use it)`);
  }

  unlock(): void {
    if (this.lockFd < 0) return;
    fs.closeSync(this.lockFd);
    this.lockFd = -1;
  }

  get stateFile(): string { return path.join(this.dir, STATE_FILE); }

  /** The stored state, checked. NotExistError without state.json; CorruptStateError when it is not a valid state. */
  read(): StoredState {
    let text: string;
    try { text = fs.readFileSync(this.stateFile, 'utf8'); }
    catch (e) { throw this.notAccessible(e) ?? new NotExistError(this.id); }
    let doc: unknown;
    try {
      doc = parseJson(text);
    } catch (e) {
      throw new CorruptStateError(this, text.length ? `not JSON (truncated?): ${(e as Error).message}` : 'the file is empty', text);
    }
    const problem = checkStoredState(doc, this.id);
    if (problem) throw new CorruptStateError(this, problem, text);
    return doc as StoredState;
  }

  write(state: StoredState): void {
    writeFileAtomic(this.stateFile, stringifyJson(state), { mode: 0o600 });
  }

  get journalFile(): string { return path.join(this.dir, JOURNAL_FILE); }

  writeJournal(j: CreateJournal): void {
    writeFileAtomic(this.journalFile, JSON.stringify(j), { mode: 0o600 });
  }

  /** The journal's text ('' when there is none). */
  readJournal(): string {
    try { return fs.readFileSync(this.journalFile, 'utf8'); } catch { return ''; }
  }

  dropJournal(): void {
    fs.rmSync(this.journalFile, { force: true });
  }

  remove(): void {
    let foreign: string[] = [];
    try { foreign = foreignEntries(this.dir); } catch { /* gone already */ }
    if (foreign.length) {
      this.unlock();
      throw new TsrunError(`${this.dir} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}, which tsrun did not put there: not a container's state dir, not removed (is --root right?)`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.unlock();
  }
}

/** state.json exists but is not a state tsrun wrote: `text` is what could be read (delete --force salvages from it). */
export class CorruptStateError extends TsrunError {
  constructor(sd: StateDir, problem: string, readonly text = '') {
    super(`state.json of container ${sd.id} is corrupt: ${problem} (${sd.stateFile}; \`delete --force ${sd.id}\` kills what is left of it and removes it)`, { code: 'CORRUPT_STATE' });
    this.name = 'CorruptStateError';
  }
}

/** The id's state dir was left by a create that was killed after it made cgroups or a process. */
export class AbortedCreateError extends ExistsError {
  constructor(readonly id: string) {
    super(`container with given ID already exists (left by an aborted create: \`delete --force ${id}\` removes what it made)`);
    this.name = 'AbortedCreateError';
  }
}

export function listIds(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, STATE_FILE)))
      .map((d) => d.name).sort();
  } catch (e) {
    // another user's root is refused (runc: "open ROOT: permission denied"), not listed as empty
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new TsrunError(`--root ${root}: open ${root}: permission denied: another user's state root (only its owner, or root, may list it)`);
    return [];
  }
}
