// Options shared by every lifecycle call (the CLI's global flags).
import { defaultStateRoot } from '../state/root-dir';

export interface GlobalOptions {
  /** State directory root (--root). Default: /run/tsrun, or $XDG_RUNTIME_DIR/tsrun when not root (state/root-dir.ts). */
  root?: string;
  /** --systemd-cgroup */
  systemdCgroup?: boolean;
  /** --rootless: true, false or "auto" (the default: rootless cgroups when not root, as runc). */
  rootless?: boolean | 'auto' | string;
}

export function rootOf(o: GlobalOptions): string {
  return o.root || defaultStateRoot();
}
