// Options shared by every lifecycle call (the CLI's global flags).
import { DEFAULT_ROOT } from '../state/store';

export interface GlobalOptions {
  /** State directory root (--root). */
  root?: string;
  /** --systemd-cgroup */
  systemdCgroup?: boolean;
}

export function rootOf(o: GlobalOptions): string {
  return o.root || DEFAULT_ROOT;
}
