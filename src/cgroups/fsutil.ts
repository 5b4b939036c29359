// Small synchronous helpers for cgroupfs IO. Everything here is sync on purpose: the
// runtime is a short-lived CLI and cgroupfs files are tiny pseudo-files.

import fs = require('fs');
import os = require('os');
import path = require('path');
import { SyscallError } from '../errors';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

export const EPERM = 1, ENOENT = 2, EBUSY = 16, EACCES = 13, EINVAL = 22;

/** The errno of an error (positive, as in errno.h): a Node fs error's, or a TsrunError's (SyscallError); 0 for anything else. */
export function errnoOf(e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    const n = (os.constants.errno as Record<string, number>)[err.code];
    if (typeof n === 'number') return n;
  }
  if (err && typeof err.errno === 'number') return Math.abs(err.errno);
  return 0;
}

export function codeOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/** Turn a Node fs error into a SyscallError naming the operation and file. */
export function toSyscallError(what: string, e: unknown): Error {
  const n = errnoOf(e);
  return n ? new SyscallError(what, n) : (e as Error);
}

/** Read a cgroup file, trimmed. Throws SyscallError. */
export function readCg(dir: string, file: string): string {
  const p = path.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch (e) {
    throw toSyscallError(`read ${p}`, e);
  }
}

/** Read a cgroup file, trimmed; undefined if it does not exist. */
export function readCgOptional(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return undefined;
    throw toSyscallError(`read ${path.join(dir, file)}`, e);
  }
}

/**
 * The one write of a cgroup interface file (v1, v2, the freezer, cgroup.procs): one write(2)
 * on an O_WRONLY|O_TRUNC open, never O_CREAT, as runc's cgroups.WriteFile. A missing file (a
 * controller not enabled, a page size the kernel lacks, no cpu.idle) is then ENOENT on cgroupfs
 * (an O_CREAT open says EACCES there) and is never created on a test fixture. Throws
 * SyscallError `[field: ]write "DATA" to PATH: <strerror>`.
 */
export function writeCg(dir: string, file: string, data: string, field?: string): void {
  const p = path.join(dir, file);
  try {
    // a flag number, not 'w': no O_CREAT (the data is a few bytes: one write(2))
    fs.writeFileSync(p, data, { flag: (fs.constants.O_WRONLY | fs.constants.O_TRUNC) as unknown as string });
  } catch (e) {
    const n = errnoOf(e);
    throw n ? new SyscallError(`write ${JSON.stringify(data)} to ${p}`, n, field) : e;
  }
}

/** writeCg on the threadpool: a v1 cgroup.procs write waits in the kernel for milliseconds (cgroup migration). */
export async function writeCgAsync(dir: string, file: string, data: string, field?: string): Promise<void> {
  const p = path.join(dir, file);
  try {
    // open and close here (quick); the write, where the kernel waits, on the threadpool
    const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    try {
      await new Promise<void>((resolve, reject) => fs.write(fd, data, (e) => (e ? reject(e) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    const n = errnoOf(e);
    throw n ? new SyscallError(`write ${JSON.stringify(data)} to ${p}`, n, field) : e;
  }
}

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// A clean absolute path: no empty, "." or ".." component, no trailing "/". What state
// validation demands of recorded cgroup paths (state/validate.ts), and what mount points are.
const CLEAN_ABSOLUTE = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

export function isCleanAbsolute(p: string): boolean {
  return CLEAN_ABSOLUTE.test(p);
}

/**
 * Where `dir` is against `root`: path.relative's answer. For clean absolute paths (every path of a
 * state.json read, checked at read) a prefix test: path.relative costs a fresh process ~8 us a
 * call until it is optimised, and the cgroup manager of a delete or kill --all made ~120 of them
 * (every created directory against every mount): ~1 ms of CPU a call. A first component "..." or
 * "..x" is below (a container id may be "...": runc takes it).
 */
export function relation(root: string, dir: string): 'root' | 'below' | 'outside' {
  if (isCleanAbsolute(root) && isCleanAbsolute(dir)) {
    if (dir === root) return 'root';
    return dir.startsWith(`${root}/`) ? 'below' : 'outside';
  }
  const rel = path.relative(root, dir);
  if (rel === '') return 'root';
  return climbsOut(rel) ? 'outside' : 'below';
}

/** A path.relative() result that leaves its base: "..", "../x" or absolute; not "...x", a name below it. */
export function climbsOut(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || path.isAbsolute(rel);
}

/**
 * mkdir -p `dir`, which must be `base` or below it (`base` = the hierarchy's mount point,
 * never created). Returns the directories this call created, outermost first.
 */
export function mkdirUnder(base: string, dir: string): string[] {
  if (relation(base, dir) === 'outside') throw new Error(`internal: ${dir} is not below ${base}`);
  const rel = path.relative(base, dir);
  const created: string[] = [];
  let cur = base;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    try {
      fs.mkdirSync(cur, 0o755);
      created.push(cur);
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw toSyscallError(`mkdir ${cur}`, e);
    }
  }
  return created;
}

/** The chain of directories from the first one below `base` down to `dir`. */
export function chainBelow(base: string, dir: string): string[] {
  const rel = path.relative(base, dir);
  const out: string[] = [];
  let cur = base;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    out.push(cur);
  }
  return out;
}

function parsePids(text: string): number[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Pids listed in `dir`/cgroup.procs, and (recursive) in every child cgroup below it. */
export function readPids(dir: string, recursive = true): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    const text = readCgOptional(d, 'cgroup.procs');
    if (text !== undefined) out.push(...parsePids(text));
    if (!recursive) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return;
      throw toSyscallError(`readdir ${d}`, e);
    }
    for (const ent of entries) if (ent.isDirectory()) walk(path.join(d, ent.name));
  };
  walk(dir);
  return [...new Set(out)];
}

export function isCgroupFs(dir: string): boolean {
  try {
    const t = fs.statfsSync(dir).type;
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * rmdir one cgroup directory. On cgroupfs the interface files vanish with the directory;
 * on anything else (test fixtures on tmpfs/ext4) a ENOTEMPTY caused only by plain files
 * is resolved by unlinking those files first. ENOENT counts as success.
 */
export function rmdirCgroup(dir: string): void {
  try {
    fs.rmdirSync(dir);
    return;
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return;
    if (codeOf(e) !== 'ENOTEMPTY' || isCgroupFs(dir)) throw toSyscallError(`rmdir ${dir}`, e);
  }
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!ent.isDirectory()) fs.unlinkSync(path.join(dir, ent.name));
  }
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    if (codeOf(e) !== 'ENOENT') throw toSyscallError(`rmdir ${dir}`, e);
  }
}

/** Remove `dir` and every child cgroup below it, deepest first. */
export function removeCgroupTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return;
    throw toSyscallError(`readdir ${dir}`, e);
  }
  for (const ent of entries) if (ent.isDirectory()) removeCgroupTree(path.join(dir, ent.name));
  rmdirCgroup(dir);
}

/** True if `dir` has child directories (child cgroups). */
export function hasChildCgroups(dir: string): boolean {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
  } catch {
    return false;
  }
}
