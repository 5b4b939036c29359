// Is the container paused? Straight from the cgroup paths stored at create, without building a
// manager (which reads the host's mountinfo): the hot path of `state` and `list`. Same choice
// as the manager's: the v1 freezer where the container has one (v1, hybrid), else cgroup.freeze.
import fs = require('fs');
import { isFrozenV1 } from './controllers/v1/freezer';
import { isFrozenV2 } from './controllers/v2/freezer';

export function frozenFromPaths(paths: Record<string, string> | undefined): boolean | undefined {
  if (!paths) return undefined;
  const dir = paths.freezer ?? paths[''];
  if (dir === undefined) return undefined;
  if (!fs.existsSync(dir)) return false;
  return paths.freezer ? isFrozenV1(dir) : isFrozenV2(dir);
}
