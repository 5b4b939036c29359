// exec --cgroup: run the process in an existing sub-cgroup of the container's cgroup.
// "path" applies to every hierarchy; "ctrl[,ctrl]:path" to the named controllers only.
// Threat: a path that climbs out ("..", "a/../..") would put the process in a cgroup above
// the container's (the host's root cgroups: no pids limit, no device rules). Any ".."
// component is refused with runc's error, before anything is joined; "/x" is below the
// container's cgroup as in runc (path.Join), and the joined directory is checked again.
import fs = require('fs');
import path = require('path');
import type { CgroupManager } from '../cgroups';
import { TsrunError } from '../errors';

export function parseSubCgroups(args: string[], paths: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const parts = arg.split(':');
    if (parts.length > 2) throw new TsrunError(`invalid --cgroup argument: ${arg}`);
    const sub = parts[parts.length - 1];
    if (!sub) throw new TsrunError(`invalid --cgroup argument: ${arg}`);
    if (sub.split('/').includes('..')) throw new TsrunError(`${sub} is not a sub cgroup path`);
    if (parts.length === 1) {
      for (const key of Object.keys(paths)) out[key] = sub;
      continue;
    }
    for (const ctrl of parts[0].split(',')) {
      if (!(ctrl in paths)) throw new TsrunError(`unknown controller ${ctrl} in SubCgroupPaths`);
      out[ctrl] = sub;
    }
  }
  return out;
}

/** The container's cgroups with `sub` appended where given: what exec's process joins. */
export function withSubCgroups(cg: CgroupManager, sub: Record<string, string>): Pick<CgroupManager, 'apply' | 'create' | 'setResources'> {
  // (no unifiedDir: exec into a sub-cgroup joins by cgroup.procs only)
  return {
    create() { /* the sub-cgroups must exist already, as with runc */ },
    setResources() { /* exec does not change limits */ },
    apply(pid: number) {
      const dirs = new Set(Object.entries(cg.paths).map(([k, dir]) => {
        if (!sub[k]) return dir;
        const joined = path.join(dir, sub[k]);
        if (joined !== dir && !joined.startsWith(dir + '/')) throw new TsrunError(`${sub[k]} is not a sub cgroup path`);
        return joined;
      }));
      for (const dir of dirs) {
        try {
          fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
        } catch (e) {
          throw new TsrunError(`error adding pid ${pid} to cgroups: ${(e as Error).message}`);
        }
      }
    },
  };
}
