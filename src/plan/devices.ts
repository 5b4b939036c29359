// /dev: runc's default device nodes, linux.devices, and the /dev symlinks.
import type { LinuxDevice, Mount } from '../spec/config-types';
import type { NativeDevice } from '../native/addon';
import { S_IF } from '../native/constants';
import { containerPath, isBindMount } from '../spec/mount-rules';
import { DEFAULT_DEVICES } from '../spec/default-devices';

/** /dev is set up by the runtime unless the config bind-mounts something over /dev itself. */
export function needsDevSetup(mounts: Mount[] | undefined): boolean {
  return !(mounts ?? []).some((m) => containerPath(m.destination) === 'dev' && isBindMount(m));
}

/**
 * linux.devices, then runc's default nodes the config does not name. `bindFromHost` (a user
 * namespace: mknod is refused there) binds the host node of the same absolute path instead.
 */
export function planDevices(devices: LinuxDevice[] | undefined, bindFromHost: boolean): NativeDevice[] {
  const out: NativeDevice[] = [];
  const seen = new Set<string>();
  (devices ?? []).forEach((d, index) => {
    const type = d.type === 'b' ? S_IF.BLK : d.type === 'p' ? S_IF.FIFO : S_IF.CHR;
    // a relative path is taken relative to the container's "/", as runc does (securejoin of the
    // rootfs and the path); src/spec warns about it
    const inRoot = containerPath(d.path);
    seen.add(inRoot);
    out.push({
      path: inRoot, hostPath: bindFromHost ? `/${inRoot}` : null,
      mode: type | ((d.fileMode ?? 0o666) & 0o7777), major: Number(d.major ?? 0), minor: Number(d.minor ?? 0),
      uid: d.uid ?? 0, gid: d.gid ?? 0, index,
    });
  });
  for (const d of DEFAULT_DEVICES) {
    const inRoot = containerPath(d.path);
    if (seen.has(inRoot)) continue;
    out.push({ path: inRoot, hostPath: bindFromHost ? d.path : null, mode: S_IF.CHR | d.fileMode, major: d.major, minor: d.minor, uid: 0, gid: 0, index: -1 });
  }
  return out;
}

/** runc's /dev symlinks; /dev/core only where the host has /proc/kcore. */
export function devSymlinks(kcore: boolean): { target: string; link: string }[] {
  const links = [
    { target: '/proc/self/fd', link: 'dev/fd' }, { target: '/proc/self/fd/0', link: 'dev/stdin' },
    { target: '/proc/self/fd/1', link: 'dev/stdout' }, { target: '/proc/self/fd/2', link: 'dev/stderr' },
    { target: 'pts/ptmx', link: 'dev/ptmx' },
  ];
  if (kcore) links.push({ target: '/proc/kcore', link: 'dev/core' });
  return links;
}
