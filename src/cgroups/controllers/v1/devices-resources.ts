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
import { TsrunError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { isCgroupFs, readCg, writeCg } from '../../fsutil';
import { deviceRules, DevicesEmulator, ruleString, type DeviceRule } from '../device-rules';
import { RES, type V1ResourceController, type V1SetOptions } from './resource-util';

const F = `${RES}.devices`;

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
  const target = DevicesEmulator.fromRules(rules); // a rule v1 cannot express is a ConfigError
  for (const [file, line] of deviceWrites(readCg(dir, 'devices.list'), rules)) writeCg(dir, file, line, F);
  // Final safety check (real cgroupfs only: a plain file does not change when written to).
  if (isCgroupFs(dir)) {
    const after = DevicesEmulator.fromList(readCg(dir, 'devices.list'));
    if (!target.isBlacklist() && !after.equals(target)) throw new TsrunError(`${F}: resulting devices cgroup doesn't precisely match target`, { field: F });
    if (target.isBlacklist() !== after.isBlacklist()) throw new TsrunError(`${F}: resulting devices cgroup doesn't match target mode`, { field: F });
  }
}

export function set(dir: string, r: LinuxResources, opts: V1SetOptions = {}): void {
  const rules = deviceRules(r, opts.linuxDevices); // config errors are never ignored
  if (opts.skipDevices || runningInUserNS()) return;
  try {
    setDevices(dir, rules);
  } catch (e) {
    if (!opts.rootless) throw e; // runc ignores devices errors for rootless containers
  }
}

export const devices: V1ResourceController = { name: 'devices', set };
