// Is the container paused? Straight from the cgroup paths stored at create, without building a
// manager (which reads the host's mountinfo): the hot path of `state` and `list`. Same choice
// as the manager's: the v1 freezer where the container has one (v1, hybrid), else cgroup.freeze.
import fs = require('fs');
import path = require('path');
import { isFrozenV1 } from './controllers/v1/freezer';
import { isFrozenV2 } from './controllers/v2/freezer';
import { readCgOptional } from './fsutil';

export function frozenFromPaths(paths: Record<string, string> | undefined): boolean | undefined {
  if (!paths) return undefined;
  const dir = paths.freezer ?? paths[''];
  if (dir === undefined) return undefined;
  if (!fs.existsSync(dir)) return false;
  return paths.freezer ? isFrozenV1(dir) : isFrozenV2(dir);
}

/**
 * The cgroup that keeps `dir` frozen, or would freeze a cgroup made at `dir`: v1 (`freezer`
 * hierarchy) freezer.state, v2 cgroup.events "frozen 1", both also set below a frozen
 * ancestor. `dir` itself if it exists, else its nearest existing ancestor, is read; the answer
 * is the innermost frozen-by-itself directory at or above it (freezer.self_freezing,
 * cgroup.freeze), or undefined when nothing is frozen. Create refuses either (a process put
 * there never runs: create's wait for the child would only end at its bound).
 */
export function frozenBy(dir: string, v1: boolean): string | undefined {
  const frozen = (d: string) => (v1 ? /^(FROZEN|FREEZING)$/.test(readCgOptional(d, 'freezer.state') ?? '')
    : /^frozen 1$/m.test(readCgOptional(d, 'cgroup.events') ?? ''));
  const bySelf = (d: string) => readCgOptional(d, v1 ? 'freezer.self_freezing' : 'cgroup.freeze') === '1';
  let d = dir;
  while (!fs.existsSync(d)) {
    if (path.dirname(d) === d) return undefined;
    d = path.dirname(d);
  }
  if (!frozen(d)) return undefined;
  for (let c = d; frozen(c); c = path.dirname(c)) if (bySelf(c)) return c;
  return d; // no self_freezing file (an old kernel): the first one found
}
