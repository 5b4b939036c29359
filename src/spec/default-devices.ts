// runc's default devices (libcontainer/specconv AllowedDevices, runc 1.1), the one table: the
// cgroup allow rules every container gets after linux.resources.devices (v1 devices.allow and
// the v2 BPF filter), and, for the entries with a path, the device nodes created in /dev
// unless linux.devices names the same path (then the config's node replaces the default node
// and its rule, as in runc).

export interface DefaultDevice {
  type: 'c' | 'b';
  /** -1: any. */
  major: number;
  /** -1: any. */
  minor: number;
  /** Subset of "rwm". */
  access: string;
  /** The node created in /dev (0666, root-owned); none for wildcard rules. */
  path?: string;
}

/** In runc's order (tun/tap included: removed in runc 1.2.0, back in 1.2.4). */
export const RUNC_DEFAULT_DEVICES: readonly Readonly<DefaultDevice>[] = Object.freeze([
  { type: 'c', major: -1, minor: -1, access: 'm' }, // mknod of any char device
  { type: 'b', major: -1, minor: -1, access: 'm' }, // mknod of any block device
  { type: 'c', major: 1, minor: 3, access: 'rwm', path: '/dev/null' },
  { type: 'c', major: 1, minor: 8, access: 'rwm', path: '/dev/random' },
  { type: 'c', major: 1, minor: 7, access: 'rwm', path: '/dev/full' },
  { type: 'c', major: 5, minor: 0, access: 'rwm', path: '/dev/tty' },
  { type: 'c', major: 1, minor: 5, access: 'rwm', path: '/dev/zero' },
  { type: 'c', major: 1, minor: 9, access: 'rwm', path: '/dev/urandom' },
  { type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun (tuntap)
] as DefaultDevice[]);

/** The default nodes: the entries with a path, created with mode 0666. */
export const DEFAULT_DEVICES: readonly { path: string; major: number; minor: number; fileMode: number }[] =
  RUNC_DEFAULT_DEVICES.filter((d) => d.path).map((d) => ({ path: d.path!, major: d.major, minor: d.minor, fileMode: 0o666 }));
