// process.rlimits -> prlimit64 calls in the child.
import type { POSIXRlimit } from '../spec/config-types';
import { LINUX_RLIMITS } from '../spec/rlimits';
import { known } from './assert';

export function planRlimits(rlimits: POSIXRlimit[] | undefined) {
  return (rlimits ?? []).map((r, index) => ({
    resource: known(LINUX_RLIMITS, r.type, `process.rlimits[${index}].type`), soft: BigInt(r.soft), hard: BigInt(r.hard), index,
  }));
}
