// The default state root (--root not given), as runc 1.1's: /run/tsrun for the real root;
// $XDG_RUNTIME_DIR/tsrun for anyone else (an unprivileged caller cannot write /run), and for
// euid 0 inside a user namespace unless USER is "root" (rootless podman's "root").
//
// Threat: state readable by other users (the config's env, the init's pid, the bundle path):
// the root is made 0700 (and sticky, so that the XDG cleaner of an idle session does not
// remove it: the XDG base directory spec); state dirs are 0711 and their files 0600 (store.ts).
import fs = require('fs');
import path = require('path');
import { runningInUserNs } from '../native/userns';

export const SYSTEM_ROOT = '/run/tsrun';

/** runc's shouldHonorXDGRuntimeDir. */
export function honorXdgRuntimeDir(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): boolean {
  if (!env.XDG_RUNTIME_DIR) return false;
  if (euid !== 0) return true;
  // euid 0 in the initial user namespace: /run/tsrun, whatever XDG_RUNTIME_DIR (/run/user/0) says
  if (!runningInUserNs()) return false;
  return env.USER === undefined || env.USER !== 'root';
}

/** The state root when --root is not given. */
export function defaultStateRoot(env: NodeJS.ProcessEnv = process.env, euid = process.geteuid?.() ?? 0): string {
  return honorXdgRuntimeDir(env, euid) ? path.join(env.XDG_RUNTIME_DIR!, 'tsrun') : SYSTEM_ROOT;
}

/** Whether `root` is the XDG default (what prepareXdgRoot makes). */
export function isXdgDefault(root: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return honorXdgRuntimeDir(env) && root === path.join(env.XDG_RUNTIME_DIR!, 'tsrun');
}

/**
 * runc's treatment of the XDG default root, before any command uses it: made 0700 and sticky.
 * Only our own directory: XDG_RUNTIME_DIR itself is the session's (pam_systemd's, 0700).
 */
export function prepareXdgRoot(root: string): void {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(root);
  // not a symlink planted by someone else, and ours
  if (!st.isDirectory() || st.uid !== process.geteuid?.()) return;
  if ((st.mode & 0o7777) !== 0o1700) fs.chmodSync(root, 0o1700);
}
