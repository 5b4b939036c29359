import type { V1Controller } from '../types';

/** A v1 hierarchy that, for now, only needs the container placed in it. */
export function joinOnly(name: string): V1Controller {
  return { name };
}
