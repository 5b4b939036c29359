// linux.resources → systemd unit properties, as runc 1.1 (genV2ResourcesProperties,
// genV1ResourcesProperties, the devices' systemdProperties) plus IOWeight. Everything systemd
// knows goes to the unit, so a `systemctl daemon-reload` (which re-applies unit properties)
// keeps the limits; the cgroup files are written afterwards anyway (exact values, and what
// systemd has no property for).
import fs = require('fs');
import { ConfigError } from '../../errors';
import type { LinuxResources } from '../../spec/config-types';
import { convertBlkIOToIOWeightValue } from '../controllers/v2/io-resources';
import { convertCPUSharesToCgroupV2Value } from '../controllers/v2/cpu-resources';
import { convertMemorySwapToCgroupV2Value } from '../controllers/v2/memory-resources';
import { RESOURCES_FIELD, bigOr0, MAX_UINT64 } from '../controllers/v2/resource-util';
import { accessString, emulateDeviceRules } from '../controllers/v2/device-filter';
import { deviceRules } from '../controllers/device-rules';
import { unifiedEntries } from '../controllers/v2/unified-resources';
import { Variant } from './dbus-wire';
import { GVariantError, parseGVariant } from './gvariant';

export type Property = [string, Variant];

/** Default cpu period (kernel and runc's defCPUQuotaPeriod). */
const DEF_PERIOD = 100000n;

const u64 = (v: bigint): Variant => new Variant('t', v < 0n ? MAX_UINT64 : v);

export interface PropertyOptions {
  /** systemd's version (Manager.Version), asked only when a property depends on it. */
  version: () => number;
  warn: (msg: string) => void;
  /** Below warning: what runc warns about but tsrun's own device filter makes harmless. */
  debug?: (msg: string) => void;
  /** linux.devices: runc's default device rules for nodes listed there are dropped. */
  linuxDevices?: readonly { path: string }[];
  /** cgroup v1 (hybrid): runc's legacy property names. */
  v1?: boolean;
  /**
   * No DevicePolicy/DeviceAllow: a user instance cannot enforce them (BPF_CGROUP_DEVICE needs
   * CAP_SYS_ADMIN or CAP_BPF); device rules of a rootless container are not enforced at all.
   */
  noDevices?: boolean;
  /** /proc/devices text (tests); default: read it. */
  procDevices?: () => string;
  /** Whether a /dev/{char,block}/M:m path exists (tests); default: stat it. */
  pathExists?: (p: string) => boolean;
}

/**
 * runc 1.1's findDeviceGroup: the DeviceAllow group for "type major:*" ("char-pts" for c 136),
 * from /proc/devices; undefined when the kernel lists no such major.
 */
export function deviceGroup(type: 'b' | 'c', major: number, procDevices: string): string | undefined {
  let section = '';
  for (const raw of procDevices.split('\n')) {
    const line = raw.trim();
    if (line === 'Character devices:') { section = 'c'; continue; }
    if (line === 'Block devices:') { section = 'b'; continue; }
    if (section !== type) continue;
    const m = /^(\d+)\s+(\S+)$/.exec(line);
    if (m && Number(m[1]) === major) return `${type === 'b' ? 'block' : 'char'}-${m[2]}`;
  }
  return undefined;
}

function readProcDevices(): string {
  try {
    return fs.readFileSync('/proc/devices', 'utf8');
  } catch {
    return '';
  }
}

/** runc's RangeToBits: "0-3,8" → the bitmask as little-endian bytes (AllowedCPUs, AllowedMemoryNodes). */
export function rangeToBits(list: string, field: string): number[] {
  const bytes: number[] = [];
  const set = (n: number) => {
    while (bytes.length <= n >> 3) bytes.push(0);
    bytes[n >> 3] |= 1 << (n & 7);
  };
  const text = list.trim();
  if (!text) throw new ConfigError(field, 'empty CPU or node list');
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new ConfigError(field, `invalid range ${JSON.stringify(part)} in ${JSON.stringify(list)}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 8191) throw new ConfigError(field, `invalid range ${JSON.stringify(part)} in ${JSON.stringify(list)}`);
    for (let n = lo; n <= hi; n++) set(n);
  }
  return bytes;
}

/** runc's addCpuQuota: CPUQuotaPeriodUSec (systemd 242+) and CPUQuotaPerSecUSec rounded up to 10 ms. */
function cpuQuota(props: Property[], quota: bigint, period: bigint, o: PropertyOptions): void {
  if (period !== 0n) {
    if (o.version() >= 242) props.push(['CPUQuotaPeriodUSec', new Variant('t', period)]);
  }
  if (quota === 0n && period === 0n) return;
  let perSec = MAX_UINT64;
  if (quota > 0n) {
    const p = period === 0n ? DEF_PERIOD : period;
    perSec = (quota * 1000000n) / p;
    if (perSec % 10000n !== 0n) perSec = (perSec / 10000n + 1n) * 10000n;
  }
  props.push(['CPUQuotaPerSecUSec', new Variant('t', perSec)]);
}

function cpuset(props: Property[], cpus: string | undefined, mems: string | undefined, o: PropertyOptions): void {
  if (!cpus && !mems) return;
  if (o.version() < 244) return; // AllowedCPUs/AllowedMemoryNodes: systemd 244+ (the files still get them)
  if (cpus) props.push(['AllowedCPUs', new Variant('ay', rangeToBits(cpus, `${RESOURCES_FIELD}.cpu.cpus`))]);
  if (mems) props.push(['AllowedMemoryNodes', new Variant('ay', rangeToBits(mems, `${RESOURCES_FIELD}.cpu.mems`))]);
}

/** runc's devices systemdProperties: DevicePolicy + DeviceAllow from the emulated rules. */
export function deviceProperties(r: LinuxResources | undefined, o: PropertyOptions): Property[] {
  const reset: Property[] = [['DevicePolicy', new Variant('s', 'strict')], ['DeviceAllow', new Variant('a(ss)', [])]];
  const emu = emulateDeviceRules(deviceRules(r, o.linuxDevices));
  if (emu.defaultAllow) {
    if (!emu.exceptions.length) return [['DevicePolicy', new Variant('s', 'auto')], ['DeviceAllow', new Variant('a(ss)', [])]];
    o.warn('systemd does not support deny-list device rules: the unit gets a deny-all rule; the device filter tsrun attaches enforces the real rules');
    return reset;
  }
  const allow: Array<[string, string]> = [];
  for (const e of emu.exceptions) {
    const group = e.type === 'b' ? 'block-' : 'char-';
    let path: string;
    if (e.major === -1) {
      if (e.minor !== -1) {
        o.warn(`systemd does not support "*:${e.minor}" device rules: rule "${e.type} *:${e.minor} ${accessString(e.access)}" left to tsrun's device filter`);
        continue;
      }
      path = `${group}*`;
    } else if (e.minor === -1) {
      // runc 1.1: the device group /proc/devices names ("char-pts"); systemd 240+ also takes "char-136"
      const named = deviceGroup(e.type, e.major, (o.procDevices ?? readProcDevices)());
      if (named) path = named;
      else if (o.version() >= 240) path = `${group}${e.major}`;
      else {
        o.warn(`no device group for ${e.type} ${e.major}:* in /proc/devices: rule left to tsrun's device filter`);
        continue;
      }
    } else {
      path = `/dev/${e.type === 'b' ? 'block' : 'char'}/${e.major}:${e.minor}`;
      // runc 1.1: an entry for a device the host does not have (neither /dev/char/M:m, which
      // udev makes, nor /sys/dev/char/M:m) is left out; tsrun's own filter still allows it
      const exists = o.pathExists ?? fs.existsSync;
      if (!exists(path) && !exists(`/sys${path}`)) {
        o.debug?.(`skipping device ${path} for systemd: no such device on this host`);
        continue;
      }
    }
    allow.push([path, accessString(e.access)]);
  }
  return [...reset, ['DeviceAllow', new Variant('a(ss)', allow)]];
}

/** linux.resources.unified keys systemd has a property for (runc's unifiedResToSystemdProps). */
function unifiedProperties(r: LinuxResources, o: PropertyOptions): Property[] {
  const props: Property[] = [];
  for (const [key, raw] of unifiedEntries(r)) {
    const v = raw.trim();
    const field = `${RESOURCES_FIELD}.unified[${JSON.stringify(key)}]`;
    const num = (s: string): bigint => {
      if (!/^\d+$/.test(s)) throw new ConfigError(field, `${JSON.stringify(raw)} is not a number`);
      return BigInt(s);
    };
    const maxOrNum = (s: string): bigint => (s === 'max' ? MAX_UINT64 : num(s));
    switch (key) {
      case 'cpu.max': {
        const f = v.split(/\s+/);
        if (f.length < 1 || f.length > 2 || !f[0]) throw new ConfigError(field, `${JSON.stringify(raw)} is not "QUOTA [PERIOD]"`);
        cpuQuota(props, f[0] === 'max' ? 0n : num(f[0]), f.length === 2 ? num(f[1]) : DEF_PERIOD, o);
        break;
      }
      case 'cpu.weight': props.push(['CPUWeight', new Variant('t', num(v))]); break;
      case 'cpuset.cpus': case 'cpuset.mems':
        if (o.version() >= 244) props.push([key === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', new Variant('ay', rangeToBits(v, field))]);
        break;
      case 'memory.high': case 'memory.low': case 'memory.min': case 'memory.max': case 'memory.swap.max': {
        const name = { 'memory.high': 'MemoryHigh', 'memory.low': 'MemoryLow', 'memory.min': 'MemoryMin', 'memory.max': 'MemoryMax', 'memory.swap.max': 'MemorySwapMax' }[key];
        props.push([name, new Variant('t', maxOrNum(v))]);
        break;
      }
      case 'pids.max': props.push(['TasksMax', new Variant('t', maxOrNum(v))]); break;
      default: break; // written to the cgroup file only
    }
  }
  return props;
}

/** The unit properties for linux.resources (runc's order: devices, memory, cpu, pids, cpuset, unified). */
export function resourceProperties(r: LinuxResources | undefined, o: PropertyOptions): Property[] {
  const props = o.noDevices ? [] : deviceProperties(r, o);
  if (!r) return props;
  const F = RESOURCES_FIELD;
  const limit = bigOr0(r.memory?.limit, `${F}.memory.limit`);
  const shares = bigOr0(r.cpu?.shares, `${F}.cpu.shares`);
  const quota = bigOr0(r.cpu?.quota, `${F}.cpu.quota`);
  const period = bigOr0(r.cpu?.period, `${F}.cpu.period`);
  const pids = bigOr0(r.pids?.limit, `${F}.pids.limit`);
  const weight = bigOr0(r.blockIO?.weight, `${F}.blockIO.weight`);
  if (o.v1) {
    if (limit !== 0n) props.push(['MemoryLimit', u64(limit)]);
    if (shares !== 0n) props.push(['CPUShares', u64(shares)]);
    cpuQuota(props, quota, period, o);
    if (weight !== 0n) props.push(['BlockIOWeight', u64(weight)]);
    if (pids > 0n || pids === -1n) props.push(['TasksMax', u64(pids)]);
    cpuset(props, r.cpu?.cpus, r.cpu?.mems, o);
    return props;
  }
  if (limit !== 0n) props.push(['MemoryMax', u64(limit)]);
  const reservation = bigOr0(r.memory?.reservation, `${F}.memory.reservation`);
  if (reservation !== 0n) props.push(['MemoryLow', u64(reservation)]);
  const swap = convertMemorySwapToCgroupV2Value(bigOr0(r.memory?.swap, `${F}.memory.swap`), limit);
  if (swap !== 0n) props.push(['MemorySwapMax', u64(swap)]);
  let cpuWeight: bigint;
  try {
    cpuWeight = convertCPUSharesToCgroupV2Value(shares);
  } catch {
    throw new ConfigError(`${F}.cpu.shares`, `${shares} is out of range [2, 262144] (cgroup v2 cpu.weight is 1..10000)`);
  }
  if (cpuWeight !== 0n) props.push(['CPUWeight', new Variant('t', cpuWeight)]);
  cpuQuota(props, quota, period, o);
  if (pids > 0n || pids === -1n) props.push(['TasksMax', u64(pids)]);
  cpuset(props, r.cpu?.cpus, r.cpu?.mems, o);
  if (weight !== 0n) {
    let w: bigint;
    try {
      w = convertBlkIOToIOWeightValue(weight);
    } catch {
      throw new ConfigError(`${F}.blockIO.weight`, `${weight} is out of range [10, 1000]`);
    }
    props.push(['IOWeight', new Variant('t', w)]);
  }
  props.push(...unifiedProperties(r, o));
  return props;
}

export const PROPERTY_ANNOTATION = 'org.systemd.property.';

/**
 * Properties tsrun sets from its own state, which an annotation may not replace. PIDs: other
 * processes would be put under the container's limits and killed with it; Slice: the unit's
 * cgroup would not be where tsrun (and its state) expects it.
 */
const RESERVED = new Set(['PIDs', 'Slice']);

/**
 * runc's initSystemdProps: annotations "org.systemd.property.<Name>" with a GVariant text value
 * become unit properties; <Name> is 3+ ASCII letters, and "...Sec" (after a lowercase letter)
 * is converted to "...USec" with the number of seconds turned into microseconds.
 */
export function annotationProperties(annotations: Record<string, string> | undefined): Property[] {
  const out: Property[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(PROPERTY_ANNOTATION)) continue;
    const field = `annotations[${JSON.stringify(key)}]`;
    let name = key.slice(PROPERTY_ANNOTATION.length);
    if (!/^[A-Za-z]{3,}$/.test(name)) throw new ConfigError(field, `systemd property name ${JSON.stringify(name)} must be 3 or more ASCII letters`);
    if (RESERVED.has(name)) throw new ConfigError(field, `systemd property ${name} is set by tsrun itself and cannot be given as an annotation`);
    let value: Variant;
    try {
      value = parseGVariant(text);
    } catch (e) {
      if (e instanceof GVariantError) throw new ConfigError(field, `value is not GVariant text: ${e.message}`);
      throw e;
    }
    if (/[a-z]Sec$/.test(name)) {
      name = `${name.slice(0, -3)}USec`;
      value = secToUSec(value, field);
    }
    out.push([name, value]);
  }
  return out;
}

function secToUSec(v: Variant, field: string): Variant {
  const M = 1000000n;
  switch (v.sig) {
    case 'y': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': {
      const n = BigInt(v.value as number | bigint);
      if (n < 0n) throw new ConfigError(field, 'a time span cannot be negative');
      return new Variant('t', n * M);
    }
    case 'd': {
      const d = v.value as number;
      if (!(d >= 0) || !Number.isFinite(d)) throw new ConfigError(field, 'a time span must be a finite number >= 0');
      return new Variant('t', BigInt(Math.floor(d * 1e6)));
    }
    default:
      throw new ConfigError(field, `a "...Sec" property takes a number of seconds, got a value of type ${v.sig}`);
  }
}
