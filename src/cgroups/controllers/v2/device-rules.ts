// Device rules for cgroup v2. v2 has no devices.allow/deny files: access is enforced by a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup, which a later change builds (in
// the addon) from the list returned here. The list is what runc 1.1's specconv hands its device
// filter: linux.resources.devices normalised (type "a" and major/minor -1 for wildcards), then
// runc's default allow rules appended (AllowedDevices, minus those whose path is also one of
// linux.devices, which then take priority).

import { ConfigError } from '../../../errors';
import type { Int64, LinuxDevice, LinuxResources } from '../../../spec/config-types';
import { RESOURCES_FIELD, big } from './resource-util';
import { specDeviceAccess } from '../device-access';

export interface V2DeviceRule {
  allow: boolean;
  /** 'a' = any type. */
  type: 'a' | 'b' | 'c';
  /** -1 = any. */
  major: number;
  /** -1 = any. */
  minor: number;
  /** Subset of "rwm". */
  access: string;
}

interface DefaultRule extends V2DeviceRule {
  /** The device node runc also creates for this rule. */
  path?: string;
}

/** runc 1.1 specconv.AllowedDevices, in order (tun/tap included: removed in 1.2.0, back in 1.2.4). */
export const RUNC_DEFAULT_DEVICE_RULES: readonly Readonly<DefaultRule>[] = [
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' }, // mknod of any char device
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' }, // mknod of any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm', path: '/dev/null' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm', path: '/dev/random' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm', path: '/dev/full' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm', path: '/dev/tty' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm', path: '/dev/zero' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm', path: '/dev/urandom' },
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun (tuntap)
];

const F = `${RESOURCES_FIELD}.devices`;

function devNum(v: Int64 | undefined, field: string): number {
  if (v === undefined || v === null) return -1;
  const n = big(v, field);
  if (n < -1n || n > 0xffffffffn) throw new ConfigError(field, `invalid device number ${n}`);
  return Number(n);
}

/**
 * linux.resources.devices as normalised rules, followed by runc's default rules. Pass
 * linux.devices to drop the default rules for nodes the config lists itself (as runc does).
 * Throws ConfigError for an empty access string or an unknown type; access letters are read as
 * runc reads them (./device-access.ts).
 */
export function v2DeviceRules(r: LinuxResources | undefined, linuxDevices: readonly Pick<LinuxDevice, 'path'>[] = []): V2DeviceRule[] {
  const out: V2DeviceRule[] = [];
  (r?.devices ?? []).forEach((d, i) => {
    const field = `${F}[${i}]`;
    const type = d.type === undefined || (d.type as string) === '' ? 'a' : d.type;
    if (type !== 'a' && type !== 'b' && type !== 'c') throw new ConfigError(`${field}.type`, `invalid cgroup device type ${JSON.stringify(type)}`);
    const access = specDeviceAccess(d, field);
    if (access === null) return;
    out.push({
      allow: d.allow === true,
      type,
      major: devNum(d.major, `${field}.major`),
      minor: devNum(d.minor, `${field}.minor`),
      access,
    });
  });
  const listed = new Set(linuxDevices.map((d) => d.path));
  for (const { path, ...rule } of RUNC_DEFAULT_DEVICE_RULES) {
    if (path && listed.has(path)) continue;
    out.push({ ...rule });
  }
  return out;
}
