// The starter config.json written by `tsrun spec` — byte-for-byte what runc 1.1.5
// (`runc spec`, `runc spec --rootless`) writes.
//
// Format (captured from runc 1.1.5, see docs/runc-behaviour.md and test/golden/):
//   * Go's json.MarshalIndent(spec, "", "\t"): TAB indentation, `"key": value`,
//     which is exactly JSON.stringify(obj, null, "\t") for this data;
//   * NO trailing newline;
//   * key order = field order of the Go runtime-spec structs (reproduced below by the
//     insertion order of the object literals — do not reorder keys).
//
// Rootless variant = runc's specconv.ToRootless() applied to the default spec:
//   * the "network" (and any "user") namespace removed, "user" appended last;
//   * linux.uidMappings / linux.gidMappings = [{containerID: 0, hostID: euid|egid, size: 1}]
//     (placed first in "linux", the Go struct order);
//   * the /sys sysfs mount replaced by {"destination":"/sys","type":"none","source":"/sys",
//     "options":["rbind","nosuid","noexec","nodev","ro"]};
//   * "gid=" / "uid=" options dropped from every other mount (devpts loses "gid=5");
//   * linux.resources removed. (The /sys/fs/cgroup mount is kept in runc 1.1.5.)
//
// Data only: no runtime dependency on runc.

import fs = require('fs');

export interface DefaultSpecOptions {
  /** Generate the rootless variant (`runc spec --rootless`). */
  rootless?: boolean;
  /** hostID of the single uid mapping in the rootless variant. Default: process.geteuid(). */
  uid?: number;
  /** hostID of the single gid mapping in the rootless variant. Default: process.getegid(). */
  gid?: number;
  /** Add a cgroup namespace, as runc does on a pure cgroup v2 host. Default: /sys/fs/cgroup is cgroup2. */
  cgroupns?: boolean;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** runc's cgroups.IsCgroup2UnifiedMode: statfs("/sys/fs/cgroup") is cgroup2. */
function unifiedMode(): boolean {
  try {
    return fs.statfsSync('/sys/fs/cgroup').type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

function caps(): string[] {
  return [...DEFAULT_CAPS];
}

function processSection(): Record<string, unknown> {
  return {
    terminal: true,
    user: {
      uid: 0,
      gid: 0,
    },
    args: ['sh'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    cwd: '/',
    capabilities: {
      bounding: caps(),
      effective: caps(),
      permitted: caps(),
      ambient: caps(),
    },
    rlimits: [
      {
        type: 'RLIMIT_NOFILE',
        hard: 1024,
        soft: 1024,
      },
    ],
    noNewPrivileges: true,
  };
}

interface MountEntry {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

function mounts(rootless: boolean): MountEntry[] {
  const sysMount: MountEntry = rootless
    ? {
        destination: '/sys',
        type: 'none',
        source: '/sys',
        options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
      }
    : {
        destination: '/sys',
        type: 'sysfs',
        source: 'sysfs',
        options: ['nosuid', 'noexec', 'nodev', 'ro'],
      };
  const devptsOptions = ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'];
  if (!rootless) devptsOptions.push('gid=5');
  return [
    {
      destination: '/proc',
      type: 'proc',
      source: 'proc',
    },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: devptsOptions,
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    sysMount,
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
}

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function linuxSection(rootless: boolean, uid: number, gid: number, cgroupns: boolean): Record<string, unknown> {
  const maskedPaths = [...MASKED_PATHS];
  const readonlyPaths = [...READONLY_PATHS];
  // runc spec: a cgroup namespace on pure cgroup v2 hosts (kept before "user" by ToRootless)
  const cg = cgroupns ? [{ type: 'cgroup' }] : [];
  if (rootless) {
    return {
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...cg, { type: 'user' }],
      maskedPaths,
      readonlyPaths,
    };
  }
  return {
    resources: {
      devices: [
        {
          allow: false,
          access: 'rwm',
        },
      ],
    },
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...cg],
    maskedPaths,
    readonlyPaths,
  };
}

function currentId(get: (() => number) | undefined): number {
  return typeof get === 'function' ? get() : 0;
}

/** The default spec as a plain object (fresh copy on every call; key order matters). */
export function defaultSpecObject(opts: DefaultSpecOptions = {}): Record<string, unknown> {
  const rootless = opts.rootless === true;
  const uid = opts.uid ?? currentId(process.geteuid);
  const gid = opts.gid ?? currentId(process.getegid);
  return {
    ociVersion: '1.0.2-dev',
    process: processSection(),
    root: {
      path: 'rootfs',
      readonly: true,
    },
    hostname: 'runc',
    mounts: mounts(rootless),
    linux: linuxSection(rootless, uid, gid, opts.cgroupns ?? unifiedMode()),
  };
}

/**
 * Exactly the bytes `runc spec` (or `runc spec --rootless`) writes to config.json:
 * TAB-indented, runc's key order, no trailing newline.
 */
export function defaultSpec(opts: DefaultSpecOptions = {}): string {
  return JSON.stringify(defaultSpecObject(opts), null, '\t');
}
