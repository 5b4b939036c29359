// v1 devices controller, as runc 1.1 (libcontainer/cgroups/devices v1 setter + specconv):
//
// 1. The rules are linux.resources.devices (type unset = "a", major/minor unset = wildcard),
//    followed by runc's default allow list (specconv AllowedDevices), minus any default device
//    whose path is also in linux.devices (the spec entry replaces it; runc drops the default's
//    cgroup rule too, it is not re-added for the spec device).
// 2. Current state: devices.list parsed into the emulator. Target: the rules applied to an
//    empty allow-list. The transition is written rule by rule: "a *:* rwm" to devices.deny when
//    the cgroup is (or must become) a deny-list, then each missing exception to devices.allow.
// 3. On a real cgroupfs, devices.list is read back and must match (runc's final safety check).
//
// Skipped like runc: opts.skipDevices, and inside a user namespace. With opts.rootless errors
// are ignored (runc ignores devices errors for rootless containers).
//
// For `runc spec`'s default config (resources.devices = [{allow:false, access:"rwm"}]) on a
// fresh cgroup (devices.list "a *:* rwm") this writes:
//   devices.deny  "a *:* rwm"
//   devices.allow "b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
//                 "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm"

import fs = require('fs');
import { ConfigError, TsrunError } from '../../../errors';
import type { LinuxDeviceCgroup, LinuxResources } from '../../../spec/config-types';
import { isCgroupFs, readCg } from '../../fsutil';
import { specDeviceAccess } from '../device-access';
import { DevicesEmulator, ruleString, type DeviceRule } from './devices-emulator';
import { RES, big, writeField, type V1ResourceController, type V1SetOptions } from './resource-util';

const F = `${RES}.devices`;

/** runc 1.1 specconv.AllowedDevices, in order (path = the device node runc also creates). */
export const RUNC_DEFAULT_DEVICE_RULES: ReadonlyArray<{ path?: string; rule: DeviceRule }> = [
  // mknod of any device
  { rule: { type: 'c', major: -1, minor: -1, access: 'm', allow: true } },
  { rule: { type: 'b', major: -1, minor: -1, access: 'm', allow: true } },
  { path: '/dev/null', rule: { type: 'c', major: 1, minor: 3, access: 'rwm', allow: true } },
  { path: '/dev/random', rule: { type: 'c', major: 1, minor: 8, access: 'rwm', allow: true } },
  { path: '/dev/full', rule: { type: 'c', major: 1, minor: 7, access: 'rwm', allow: true } },
  { path: '/dev/tty', rule: { type: 'c', major: 5, minor: 0, access: 'rwm', allow: true } },
  { path: '/dev/zero', rule: { type: 'c', major: 1, minor: 5, access: 'rwm', allow: true } },
  { path: '/dev/urandom', rule: { type: 'c', major: 1, minor: 9, access: 'rwm', allow: true } },
  // /dev/pts/*
  { rule: { type: 'c', major: 136, minor: -1, access: 'rwm', allow: true } },
  // /dev/ptmx
  { rule: { type: 'c', major: 5, minor: 2, access: 'rwm', allow: true } },
  // tun/tap (dropped from the defaults in runc 1.2; present in 1.1)
  { rule: { type: 'c', major: 10, minor: 200, access: 'rwm', allow: true } },
];

function devNumber(v: number | bigint | undefined, field: string): number {
  if (v === undefined) return -1;
  const b = big(v, field);
  if (b === -1n) return -1;
  if (b < 0n || b > 0xffffffffn) throw new ConfigError(field, `invalid device number ${b}`);
  return Number(b);
}

/** linux.resources.devices[i] -> a cgroup rule (runc specconv); null for a rule that changes nothing. */
export function ruleFromSpec(d: LinuxDeviceCgroup, i: number): DeviceRule | null {
  const field = `${F}[${i}]`;
  const type = d.type ?? 'a';
  if (type !== 'a' && type !== 'b' && type !== 'c') throw new ConfigError(`${field}.type`, `invalid cgroup device type ${JSON.stringify(type)}`);
  const access = specDeviceAccess(d, field);
  if (access === null) return null;
  return {
    type,
    major: devNumber(d.major, `${field}.major`),
    minor: devNumber(d.minor, `${field}.minor`),
    access,
    allow: !!d.allow,
  };
}

/** The rules runc applies: the config's, then the default allow list (deduplicated by linux.devices path). */
export function effectiveDeviceRules(r: LinuxResources | undefined, linuxDevices: ReadonlyArray<{ path: string }> = []): DeviceRule[] {
  const rules = (r?.devices ?? []).map(ruleFromSpec).filter((x): x is DeviceRule => x !== null);
  const specPaths = new Set(linuxDevices.map((d) => d.path));
  for (const d of RUNC_DEFAULT_DEVICE_RULES) {
    if (d.path && specPaths.has(d.path)) continue;
    rules.push({ ...d.rule });
  }
  return rules;
}

/** The writes that take a cgroup whose devices.list reads `currentList` to `rules`, as [file, line]. */
export function deviceWrites(currentList: string, rules: readonly DeviceRule[]): Array<[string, string]> {
  const current = DevicesEmulator.fromList(currentList);
  const target = DevicesEmulator.fromRules(rules);
  return current.transition(target).map((rule) => [rule.allow ? 'devices.allow' : 'devices.deny', ruleString(rule)]);
}

/** runc's userns.RunningInUserNS: /proc/self/uid_map is not the full identity map. */
export function runningInUserNS(): boolean {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return false;
  }
  const f = text.trim().split(/\s+/);
  return !(f.length === 3 && f[0] === '0' && f[1] === '0' && f[2] === '4294967295');
}

function setDevices(dir: string, rules: DeviceRule[]): void {
  let target: DevicesEmulator;
  try {
    target = DevicesEmulator.fromRules(rules);
  } catch (e) {
    throw new ConfigError(F, (e as Error).message);
  }
  for (const [file, line] of deviceWrites(readCg(dir, 'devices.list'), rules)) writeField(dir, file, line, F);
  // Final safety check (real cgroupfs only: a plain file does not change when written to).
  if (isCgroupFs(dir)) {
    const after = DevicesEmulator.fromList(readCg(dir, 'devices.list'));
    if (!target.isBlacklist() && !after.equals(target)) throw new TsrunError(`${F}: resulting devices cgroup doesn't precisely match target`, { field: F });
    if (target.isBlacklist() !== after.isBlacklist()) throw new TsrunError(`${F}: resulting devices cgroup doesn't match target mode`, { field: F });
  }
}

export function set(dir: string, r: LinuxResources, opts: V1SetOptions = {}): void {
  const rules = effectiveDeviceRules(r, opts.linuxDevices); // config errors are never ignored
  if (opts.skipDevices || runningInUserNS()) return;
  try {
    setDevices(dir, rules);
  } catch (e) {
    if (!opts.rootless) throw e; // runc ignores devices errors for rootless containers
  }
}

export const devices: V1ResourceController = { name: 'devices', set };
