// process.rlimits -> prlimit64 calls in the child.
import type { POSIXRlimit } from '../spec/config-types';
import { ConfigError } from '../errors';
import { RLIMITS } from '../native/constants';

export function planRlimits(rlimits: POSIXRlimit[] | undefined) {
  return (rlimits ?? []).map((r, index) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new ConfigError(`process.rlimits[${index}].type`, `unknown rlimit "${r.type}"`);
    return { resource, soft: BigInt(r.soft), hard: BigInt(r.hard), index };
  });
}
