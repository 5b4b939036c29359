// Rootless containers: tsrun run by an unprivileged user (runc's RootlessEUID), and rootless
// cgroups (--rootless, runc's RootlessCgroups). What an unprivileged user cannot do is refused
// up front naming the field, or done the way a user namespace allows (runc's rules):
//   - a user namespace is required, with uid and gid mappings (idmap.ts writes a single
//     mapping of the caller's own ids itself, anything else through newuidmap/newgidmap);
//   - no supplementary groups: setgroups(2) is denied in the namespace (process.user.additionalGids refused);
//   - uid=/gid= mount options must name mapped ids;
//   - cgroups: those the user may create and join (cgroups/rootless.ts).
import fs = require('fs');
import { ConfigError, TsrunError } from '../errors';
import { parentPid, pidNamespace } from '../cgroups/members';
import { runningInUserNs } from '../native/userns';
import type { Spec } from '../spec/config-types';
import type { GlobalOptions } from './options';

/** --rootless: true, false, or undefined for "auto" (Go's strconv.ParseBool spellings, as runc). */
export function parseRootlessFlag(v: GlobalOptions['rootless']): boolean | undefined {
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if (typeof v === 'boolean') return v;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new TsrunError(`--rootless ${v}: invalid value: must be true, false or auto`);
}

/** runc's shouldUseRootlessCgroupManager: the flag, else not root, else root in a user namespace. */
export function rootlessCgroups(opts: GlobalOptions): boolean {
  const flag = parseRootlessFlag(opts.rootless);
  if (flag !== undefined) return flag;
  if (process.geteuid?.() !== 0) return true;
  return runningInUserNs();
}

/** runc's RootlessEUID: tsrun runs as a user other than root. */
export function rootlessEuid(): boolean {
  return process.geteuid?.() !== 0;
}

function mapped(maps: { containerID: number; hostID: number; size: number }[] | undefined, id: number): boolean {
  return (maps ?? []).some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/**
 * What an unprivileged caller cannot set up, refused before anything is made (runc's
 * rootlessEUID validation, and its init's refusal of supplementary groups).
 */
export function checkRootlessConfig(spec: Spec): void {
  if (!rootlessEuid()) return;
  const linux = spec.linux ?? {};
  const userns = (linux.namespaces ?? []).findIndex((n) => n.type === 'user');
  const who = `tsrun runs as uid ${process.geteuid?.()}, not root`;
  if (userns < 0) throw new ConfigError('linux.namespaces', `a rootless container requires a user namespace (${who}): add {"type": "user"} with linux.uidMappings and linux.gidMappings (tsrun spec --rootless writes them)`);
  if (!linux.namespaces![userns].path) {
    if (!linux.uidMappings?.length) throw new ConfigError('linux.uidMappings', `a rootless container requires at least one uid mapping (${who})`);
    if (!linux.gidMappings?.length) throw new ConfigError('linux.gidMappings', `a rootless container requires at least one gid mapping (${who})`);
  }
  if (spec.process?.user?.additionalGids?.length) {
    throw new ConfigError('process.user.additionalGids', `cannot set any additional groups in a rootless container (${who}: setgroups(2) is denied in its user namespace)`);
  }
  if (linux.namespaces![userns].path) return;
  (spec.mounts ?? []).forEach((m, i) => {
    for (const o of m.options ?? []) {
      const k = /^(uid|gid)=(\d+)$/.exec(o);
      if (!k) continue;
      const maps = k[1] === 'uid' ? linux.uidMappings : linux.gidMappings;
      if (!mapped(maps, Number(k[2]))) {
        throw new ConfigError(`mounts[${i}].options`, `cannot specify ${o} mount option for rootless container: ${k[1]} ${k[2]} is not mapped in linux.${k[1]}Mappings`);
      }
    }
  });
}

/**
 * A container in no cgroup of its own (rootless, nothing delegated): its processes, found
 * without a cgroup. With its own pid namespace: every process in it or in one nested in it
 * (exec'd processes join it); else its init and the init's descendants (an exec'd process,
 * a child of `tsrun exec`, is not found). Threat: the caller's other processes (its shell,
 * other containers sharing its cgroup) must never be taken for the container's.
 */
export function processesWithoutCgroup(initPid: number, ownPidNs: boolean): number[] {
  const ns = pidNamespace(initPid);
  if (!ns) return [];
  const all = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);
  const out: number[] = [];
  for (const p of all) {
    if (ownPidNs) {
      // in the namespace, or a descendant of a process in it (a nested namespace)
      for (let q = p, depth = 0; q > 1 && depth < 128; q = parentPid(q), depth++) {
        if (pidNamespace(q) === ns) { out.push(p); break; }
      }
      continue;
    }
    if (pidNamespace(p) !== ns) continue;
    for (let q = p, depth = 0; q > 1 && depth < 128; q = parentPid(q), depth++) {
      if (q === initPid) { out.push(p); break; }
    }
  }
  return out.sort((a, b) => a - b);
}

/** /proc/self/setgroups says "deny": tsrun runs in a user namespace whose gid map was written unprivileged (unshare -r, rootlesskit). */
function setgroupsDenied(): boolean {
  try { return fs.readFileSync('/proc/self/setgroups', 'utf8').trim() === 'deny'; } catch { return false; }
}

/**
 * The process of a rootless container (create) or of an exec into one: no setgroups(2), as
 * runc: not when tsrun is not root (it is denied where tsrun mapped the gids itself, and runc
 * never calls it rootless), nor where tsrun's own user namespace denies it (inherited by the
 * container's). The caller's groups stay, unmapped ones shown as the overflow gid; asking for
 * supplementary groups is refused naming the field (runc ignores them in the second case).
 */
export function rootlessProcess(
  native: { setGroups: boolean; groups: number[]; mapsUnprivileged?: boolean }, field = 'process.user.additionalGids', newUserns = false,
): void {
  const euid = rootlessEuid();
  if (!euid && !setgroupsDenied()) return;
  // the child stays dumpable until its maps are written (addon/child/namespaces.cc)
  if (euid && newUserns) native.mapsUnprivileged = true;
  if (native.groups.length) {
    const why = euid ? `tsrun runs as uid ${process.geteuid?.()}` : 'tsrun runs in a user namespace that denies it (/proc/self/setgroups)';
    throw new TsrunError(`${field}: cannot set any additional groups in a rootless container (${why}: setgroups(2) is denied in its user namespace)`, { field });
  }
  native.setGroups = false;
}

/**
 * runc's check before setuid: the process's uid and gid must be mapped in the container's new
 * user namespace (else setresuid fails with a bare EINVAL). `linux` is the container's.
 */
export function checkMappedUser(user: { uid?: number; gid?: number } | undefined, linux: Spec['linux'], field = 'process.user'): void {
  const ns = (linux?.namespaces ?? []).find((n) => n.type === 'user');
  if (!ns || ns.path || !linux?.uidMappings?.length) return;
  const uid = user?.uid ?? 0;
  const gid = user?.gid ?? 0;
  const f = (k: string) => (field.startsWith('--') ? field : `${field}.${k}`);
  if (!mapped(linux.uidMappings, uid)) throw new ConfigError(f('uid'), `cannot set uid to unmapped user in user namespace (uid ${uid} is not in linux.uidMappings)`);
  if (!mapped(linux.gidMappings, gid)) throw new ConfigError(f('gid'), `cannot set gid to unmapped user in user namespace (gid ${gid} is not in linux.gidMappings)`);
}
