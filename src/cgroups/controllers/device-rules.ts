// The device-rule model shared by cgroup v1 (devices.allow/deny), cgroup v2 (the eBPF filter)
// and the systemd driver (DeviceAllow): runc 1.1's, one of each piece.
//
// 1. deviceRules(): linux.resources.devices normalised as runc's specconv does (type unset or
//    "" = "a", major/minor unset = -1 wildcard, access letters as runc reads them), then runc's
//    default allow rules (src/spec/default-devices.ts) minus those whose path linux.devices
//    names (the config's node replaces the default node and its rule).
// 2. DevicesEmulator: runc's libcontainer/cgroups/devices emulator. The cgroup is an
//    allow-list (default deny + allow exceptions) or a deny-list (default allow + deny
//    exceptions); a type-"a" rule resets it; other rules add an exception to the default or
//    remove (part of) one, merged per (type, major, minor). Removing access that a wildcard
//    exception still grants (punching a hole) is refused, in runc's words, because v1 would
//    silently ignore it. v1 writes transition() into devices.allow/deny; v2 compiles
//    ordered() into its program.
import { ConfigError, TsrunError } from '../../errors';
import type { Int64, LinuxDevice, LinuxDeviceCgroup, LinuxResources } from '../../spec/config-types';
import { RUNC_DEFAULT_DEVICES } from '../../spec/default-devices';
import { big } from '../../spec/int64';

export const DEVICES_FIELD = 'linux.resources.devices';

export interface DeviceRule {
  allow: boolean;
  /** 'a' = any type (a reset of the whole cgroup). */
  type: 'a' | 'b' | 'c';
  /** -1 = any (*). */
  major: number;
  /** -1 = any (*). */
  minor: number;
  /** Subset of "rwm". */
  access: string;
}

// ---------------------------------------------------------------------------------------------
// From the config

/**
 * linux.resources.devices[i].access as runc reads it (specconv, then devices.Permissions.toSet):
 * the letters r, w and m count, in any order and number, and any other character is ignored, so
 * "rwa" is "rw" and "mwr" is "rwm". Returns a canonical subset of "rwm", or null for a rule that
 * changes nothing (a b/c deny without r, w or m: runc's emulator ignores it). Refused: an empty
 * or missing access (runc: "device access at N field cannot be empty"), and a b/c allow without
 * r, w or m (runc fails on it later with "resulting devices cgroup doesn't precisely match
 * target"). A type "a" rule resets the whole cgroup whatever its letters say.
 */
export function specDeviceAccess(d: { access?: string; allow?: boolean; type?: string }, field: string): string | null {
  if (typeof d.access !== 'string' || d.access === '') throw new ConfigError(`${field}.access`, 'device access cannot be empty');
  const canonical = ['r', 'w', 'm'].filter((c) => d.access!.includes(c)).join('');
  if (canonical !== '' || d.type === undefined || (d.type as string) === '' || d.type === 'a') return canonical || 'rwm';
  if (d.allow) throw new ConfigError(`${field}.access`, `${JSON.stringify(d.access)} has none of r, w and m: the rule would allow nothing`);
  return null;
}

function devNumber(v: Int64 | undefined, field: string): number {
  if (v === undefined || v === null) return -1;
  const n = big(v, field);
  if (n < -1n || n > 0xffffffffn) throw new ConfigError(field, `invalid device number ${n}`);
  return Number(n);
}

/** linux.resources.devices[i] as a rule (runc specconv createDevices); null for one that changes nothing. */
export function ruleFromSpec(d: LinuxDeviceCgroup, i: number): DeviceRule | null {
  const field = `${DEVICES_FIELD}[${i}]`;
  // runc: `if d.Type != "" { t = d.Type }`, so an empty type is "a" like a missing one
  const type = d.type === undefined || (d.type as string) === '' ? 'a' : d.type;
  if (type !== 'a' && type !== 'b' && type !== 'c') throw new ConfigError(`${field}.type`, `invalid cgroup device type ${JSON.stringify(type)}`);
  const access = specDeviceAccess(d, field);
  if (access === null) return null;
  return { allow: d.allow === true, type, major: devNumber(d.major, `${field}.major`), minor: devNumber(d.minor, `${field}.minor`), access };
}

/**
 * The rules runc applies, v1 and v2 alike: the config's, then runc's default allow rules but
 * those for a node linux.devices lists itself (runc drops the default's rule too).
 */
export function deviceRules(r: LinuxResources | undefined, linuxDevices: readonly Pick<LinuxDevice, 'path'>[] = []): DeviceRule[] {
  const rules = (r?.devices ?? []).map(ruleFromSpec).filter((x): x is DeviceRule => x !== null);
  const listed = new Set(linuxDevices.map((d) => d.path));
  for (const { path, type, major, minor, access } of RUNC_DEFAULT_DEVICES) {
    if (path && listed.has(path)) continue;
    rules.push({ allow: true, type, major, minor, access });
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Rules

/** runc devices.Rule.CgroupString: "c 1:3 rwm", "a *:* rwm". */
export function ruleString(rule: Pick<DeviceRule, 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number): string => (v === -1 ? '*' : String(v));
  return `${rule.type} ${n(rule.major)}:${n(rule.minor)} ${rule.access}`;
}

const R = 1, W = 2, M = 4;

export function permBits(access: string): number {
  let bits = 0;
  for (const ch of access) bits |= ch === 'r' ? R : ch === 'w' ? W : ch === 'm' ? M : 0;
  return bits;
}

export function permString(bits: number): string {
  return `${bits & R ? 'r' : ''}${bits & W ? 'w' : ''}${bits & M ? 'm' : ''}`;
}

/** A rule given directly (not through deviceRules): what the emulator takes, or a ConfigError naming the field. */
function checkRule(rule: DeviceRule, field: string): void {
  if (rule.type !== 'a' && rule.type !== 'b' && rule.type !== 'c') {
    throw new ConfigError(`${field}.type`, `invalid cgroup device type ${JSON.stringify(rule.type)}`);
  }
  if (typeof rule.access !== 'string' || rule.access === '') throw new ConfigError(`${field}.access`, 'device access cannot be empty');
  if (!/^[rwm]+$/.test(rule.access)) {
    throw new ConfigError(`${field}.access`, `invalid device access ${JSON.stringify(rule.access)} (a combination of "r", "w", "m")`);
  }
  for (const what of ['major', 'minor'] as const) {
    const n = rule[what];
    if (!Number.isInteger(n) || n < -1 || n > 0xffffffff) throw new ConfigError(`${field}.${what}`, `invalid device ${what} ${n}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The emulator

interface Node { type: 'b' | 'c'; major: number; minor: number }
const key = (m: Node): string => `${m.type} ${m.major} ${m.minor}`;

export class DevicesEmulator {
  /** true: deny-list (default allow); false: allow-list (default deny). */
  defaultAllow = false;
  rules = new Map<string, { meta: Node; perms: number }>();

  isBlacklist(): boolean {
    return this.defaultAllow;
  }

  /** The exceptions sorted by (major, minor, type), wildcards first: runc's orderedEntries, the v2 program's check order. */
  ordered(): { meta: Node; perms: number }[] {
    return [...this.rules.values()].sort((a, b) =>
      a.meta.major - b.meta.major || a.meta.minor - b.meta.minor || (a.meta.type < b.meta.type ? -1 : a.meta.type > b.meta.type ? 1 : 0));
  }

  private addRule(meta: Node, perms: number): void {
    const k = key(meta);
    this.rules.set(k, { meta, perms: (this.rules.get(k)?.perms ?? 0) | perms });
  }

  private rmRule(meta: Node, perms: number): void {
    // cgroup v1 silently ignores removing part of a wildcard exception: refused, in runc's words
    const partials: Node[] = [
      { type: meta.type, major: -1, minor: meta.minor },
      { type: meta.type, major: meta.major, minor: -1 },
      { type: meta.type, major: -1, minor: -1 },
    ];
    for (const p of partials) {
      if (key(p) === key(meta)) continue;
      const pp = this.rules.get(key(p))?.perms ?? 0;
      if (pp & perms) {
        throw new ConfigError(DEVICES_FIELD,
          `requested rule [${ruleString({ ...meta, access: permString(perms) })}] not supported by devices cgroupv1 ` +
          `(cannot punch hole in existing wildcard rule [${ruleString({ ...p, access: permString(pp) })}])`);
      }
    }
    const k = key(meta);
    const left = (this.rules.get(k)?.perms ?? 0) & ~perms;
    if (left === 0) this.rules.delete(k);
    else this.rules.set(k, { meta, perms: left });
  }

  allow(meta: Node | null, perms: number): void {
    if (!meta) { // "a": becomes a deny-list allowing everything
      this.defaultAllow = true;
      this.rules.clear();
      return;
    }
    if (this.defaultAllow) this.rmRule(meta, perms);
    else this.addRule(meta, perms);
  }

  deny(meta: Node | null, perms: number): void {
    if (!meta) { // "a": becomes an allow-list allowing nothing
      this.defaultAllow = false;
      this.rules.clear();
      return;
    }
    if (this.defaultAllow) this.addRule(meta, perms);
    else this.rmRule(meta, perms);
  }

  apply(rule: DeviceRule): void {
    const meta = rule.type === 'a' ? null : { type: rule.type, major: rule.major, minor: rule.minor };
    const perms = permBits(rule.access);
    if (rule.allow) this.allow(meta, perms);
    else this.deny(meta, perms);
  }

  /** `rules` replayed in order from an empty allow-list; a rule that is not valid is a ConfigError naming its index. */
  static fromRules(rules: readonly DeviceRule[]): DevicesEmulator {
    const e = new DevicesEmulator();
    rules.forEach((r, i) => {
      checkRule(r, `${DEVICES_FIELD}[${i}]`);
      e.apply(r);
    });
    return e;
  }

  /** Parse devices.list (an allow list; "a *:* rwm" marks a deny-list cgroup). */
  static fromList(text: string): DevicesEmulator {
    const e = new DevicesEmulator();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const f = line.split(/[ :]+/).filter(Boolean);
      if (f.length !== 4) throw new TsrunError(`malformed devices.list rule ${line}`);
      const [node, maj, min, perms] = f;
      if (node === 'a') {
        e.allow(null, R | W | M);
        continue;
      }
      if (node !== 'b' && node !== 'c') throw new TsrunError(`unknown device type "${node}" in devices.list`);
      const num = (s: string): number => {
        if (s === '*') return -1;
        if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) throw new TsrunError(`invalid device number "${s}" in devices.list`);
        return Number(s);
      };
      if (!/^[rwm]+$/.test(perms)) throw new TsrunError(`parse access mode: contained unknown modes or is empty: "${perms}"`);
      e.allow({ type: node, major: num(maj), minor: num(min) }, permBits(perms));
    }
    return e;
  }

  /** Same state as `other` (for deny-lists only the mode is knowable). */
  equals(other: DevicesEmulator): boolean {
    if (this.defaultAllow !== other.defaultAllow || this.rules.size !== other.rules.size) return false;
    for (const [k, v] of this.rules) if (other.rules.get(k)?.perms !== v.perms) return false;
    return true;
  }

  /** runc Emulator.Transition: the rules to write, in order. */
  transition(target: DevicesEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old: Map<string, { meta: Node; perms: number }> = this.rules;
    let oldOrdered = this.ordered();
    // A deny-list's exceptions are invisible in devices.list, so always start over from one.
    if (this.isBlacklist() || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: target.defaultAllow });
      old = new Map();
      oldOrdered = [];
    }
    for (const { meta, perms } of oldOrdered) {
      const dropped = perms & ~(target.rules.get(key(meta))?.perms ?? 0);
      if (dropped) out.push({ ...meta, access: permString(dropped), allow: target.defaultAllow });
    }
    for (const { meta, perms } of target.ordered()) {
      const gained = perms & ~(old.get(key(meta))?.perms ?? 0);
      if (gained) out.push({ ...meta, access: permString(gained), allow: !target.defaultAllow });
    }
    return out;
  }
}
