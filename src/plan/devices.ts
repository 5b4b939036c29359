// /dev: runc's default device nodes, linux.devices, and the /dev symlinks.
import fs = require('fs');
import type { LinuxDevice, Mount } from '../spec/config-types';
import type { NativeDevice } from '../native/addon';
import { ConfigError } from '../errors';
import { S_IF } from '../native/constants';
import { rel } from './mounts';

const DEFAULTS: { path: string; major: number; minor: number }[] = [
  { path: '/dev/null', major: 1, minor: 3 }, { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 }, { path: '/dev/tty', major: 5, minor: 0 },
  { path: '/dev/urandom', major: 1, minor: 9 }, { path: '/dev/random', major: 1, minor: 8 },
];

/** /dev is set up by the runtime unless the config bind-mounts something over /dev itself. */
export function needsDevSetup(mounts: Mount[] | undefined): boolean {
  return !(mounts ?? []).some((m) => rel(m.destination) === 'dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')));
}

export function planDevices(devices: LinuxDevice[] | undefined, bindFromHost: boolean): NativeDevice[] {
  const out: NativeDevice[] = [];
  const seen = new Set<string>();
  (devices ?? []).forEach((d, index) => {
    const field = `linux.devices[${index}]`;
    const type = d.type === 'b' ? S_IF.BLK : d.type === 'p' ? S_IF.FIFO : S_IF.CHR;
    if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) {
      throw new ConfigError(`${field}`, `major and minor are required for a device of type "${d.type}"`);
    }
    // a relative path is taken relative to the container's "/", as runc does (securejoin of the
    // rootfs and the path); semanticCheck warns about it. The host node bound in a user namespace
    // is the same absolute path on the host.
    const inRoot = rel(d.path);
    seen.add(inRoot);
    out.push({
      path: inRoot, hostPath: bindFromHost ? `/${inRoot}` : null,
      mode: type | ((d.fileMode ?? 0o666) & 0o7777), major: Number(d.major ?? 0), minor: Number(d.minor ?? 0),
      uid: d.uid ?? 0, gid: d.gid ?? 0, index,
    });
  });
  for (const d of DEFAULTS) {
    if (seen.has(rel(d.path))) continue;
    out.push({ path: rel(d.path), hostPath: bindFromHost ? d.path : null, mode: S_IF.CHR | 0o666, major: d.major, minor: d.minor, uid: 0, gid: 0, index: -1 });
  }
  return out;
}

export function devSymlinks(): { target: string; link: string }[] {
  const links = [
    { target: '/proc/self/fd', link: 'dev/fd' }, { target: '/proc/self/fd/0', link: 'dev/stdin' },
    { target: '/proc/self/fd/1', link: 'dev/stdout' }, { target: '/proc/self/fd/2', link: 'dev/stderr' },
    { target: 'pts/ptmx', link: 'dev/ptmx' },
  ];
  if (fs.existsSync('/proc/kcore')) links.push({ target: '/proc/kcore', link: 'dev/core' });
  return links;
}
