// A model of the v1 devices cgroup, after runc's libcontainer/cgroups/devices emulator: the
// cgroup is either a allow-list ("white-list": default deny + allow exceptions) or a deny-list
// (default allow + deny exceptions). devices.list can only describe allow-lists precisely; a
// deny-list shows up as "a *:* rwm". transition() computes the minimal writes to go from the
// current state to the target, which is what runc writes to devices.allow / devices.deny.

import { TsrunError } from '../../../errors';

export type DeviceRuleType = 'a' | 'b' | 'c';

export interface DeviceRule {
  type: DeviceRuleType;
  /** -1 = wildcard (*) */
  major: number;
  /** -1 = wildcard (*) */
  minor: number;
  /** Subset of "rwm" */
  access: string;
  allow: boolean;
}

const R = 1;
const W = 2;
const M = 4;

export function permBits(access: string): number {
  let bits = 0;
  for (const ch of access) bits |= ch === 'r' ? R : ch === 'w' ? W : ch === 'm' ? M : 0;
  return bits;
}

export function permString(bits: number): string {
  return `${bits & R ? 'r' : ''}${bits & W ? 'w' : ''}${bits & M ? 'm' : ''}`;
}

/** runc devices.Rule.CgroupString: "c 1:3 rwm", "a *:* rwm". */
export function ruleString(rule: DeviceRule): string {
  const n = (v: number): string => (v === -1 ? '*' : String(v));
  return `${rule.type} ${n(rule.major)}:${n(rule.minor)} ${rule.access}`;
}

interface Meta {
  type: 'b' | 'c';
  major: number;
  minor: number;
}

const key = (m: Meta): string => `${m.type} ${m.major} ${m.minor}`;

export class DevicesEmulator {
  /** true: deny-list (default allow); false: allow-list (default deny). */
  defaultAllow = false;
  rules = new Map<string, { meta: Meta; perms: number }>();

  isBlacklist(): boolean {
    return this.defaultAllow;
  }

  /** Rules sorted by (major, minor, type), as runc's orderedEntries. */
  ordered(): { meta: Meta; perms: number }[] {
    return [...this.rules.values()].sort((a, b) =>
      a.meta.major - b.meta.major || a.meta.minor - b.meta.minor || (a.meta.type < b.meta.type ? -1 : a.meta.type > b.meta.type ? 1 : 0));
  }

  private addRule(meta: Meta, perms: number): void {
    const k = key(meta);
    this.rules.set(k, { meta, perms: (this.rules.get(k)?.perms ?? 0) | perms });
  }

  private rmRule(meta: Meta, perms: number): void {
    // cgroup v1 silently ignores removing part of a wildcard exception; refuse instead (runc).
    const partials: Meta[] = [
      { type: meta.type, major: -1, minor: meta.minor },
      { type: meta.type, major: meta.major, minor: -1 },
      { type: meta.type, major: -1, minor: -1 },
    ];
    for (const p of partials) {
      if (key(p) === key(meta)) continue;
      const pp = this.rules.get(key(p))?.perms ?? 0;
      if (pp & perms) {
        throw new TsrunError(
          `requested rule [${ruleString({ ...meta, access: permString(perms), allow: false })}] not supported by devices cgroupv1 ` +
          `(cannot punch hole in existing wildcard rule [${ruleString({ ...p, access: permString(pp), allow: true })}])`);
      }
    }
    const k = key(meta);
    const left = (this.rules.get(k)?.perms ?? 0) & ~perms;
    if (left === 0) this.rules.delete(k);
    else this.rules.set(k, { meta, perms: left });
  }

  allow(meta: Meta | null, perms: number): void {
    if (!meta) { // "a": becomes a deny-list allowing everything
      this.defaultAllow = true;
      this.rules.clear();
      return;
    }
    if (this.defaultAllow) this.rmRule(meta, perms);
    else this.addRule(meta, perms);
  }

  deny(meta: Meta | null, perms: number): void {
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

  static fromRules(rules: readonly DeviceRule[]): DevicesEmulator {
    const e = new DevicesEmulator(); // starts as an empty allow-list
    for (const r of rules) e.apply(r);
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
    let old: Map<string, { meta: Meta; perms: number }> = this.rules;
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
