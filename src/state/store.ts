// The state directory: <root>/<id>/{state.json, exec.fifo}. Exclusive create, atomic
// writes (unpredictable O_EXCL temp name + rename), and a per-container flock so concurrent
// commands on one id are serialised.
import fs = require('fs');
import path = require('path');
import { NotExistError, TsrunError } from '../errors';
import { addon, LOCK } from '../native/addon';
import type { Spec } from '../spec/config-types';
import { parseJson, stringifyJson } from '../spec/json-int64';
import { writeFileAtomic } from './atomic';

export { writePidFile } from './pid-file';

export const DEFAULT_ROOT = '/run/tsrun';
export const STATE_FILE = 'state.json';
export const FIFO_FILE = 'exec.fifo';

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
  /** The caller's NOTIFY_SOCKET at create: `start` relays the container's READY=1 there. */
  notifySocket?: string;
}

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

  exists(): boolean { return fs.existsSync(path.join(this.dir, STATE_FILE)); }

  /** Claim the id. Fails if a container with this id exists. */
  create(): void {
    fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(this.dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError('container with given ID already exists');
      throw e;
    }
    this.lock();
  }

  /** Exclusive lock held until unlock() or process exit. */
  lock(): void {
    if (this.lockFd >= 0) return;
    let fd: number;
    try { fd = fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); }
    catch { throw new NotExistError(this.id); }
    addon().flock(fd, LOCK.EX);
    this.lockFd = fd;
  }

  unlock(): void {
    if (this.lockFd < 0) return;
    fs.closeSync(this.lockFd);
    this.lockFd = -1;
  }

  read(): StoredState {
    let text: string;
    try { text = fs.readFileSync(path.join(this.dir, STATE_FILE), 'utf8'); }
    catch { throw new NotExistError(this.id); }
    return parseJson(text) as StoredState;
  }

  write(state: StoredState): void {
    writeFileAtomic(path.join(this.dir, STATE_FILE), stringifyJson(state), { mode: 0o600 });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.unlock();
  }
}

export function listIds(root: string): string[] {
  try {
    return fs.readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, STATE_FILE)))
      .map((d) => d.name).sort();
  } catch {
    return [];
  }
}
