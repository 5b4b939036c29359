// Conformance (issue 12), the rules without a container: capability names, device cgroup
// access letters, null members, sysctl key forms.
import { ConfigError } from '../../src/errors';
import { ignoredCapabilitiesWarning, resolveCapabilities } from '../../src/spec/capabilities';
import { sysctlDotted, sysctlPath } from '../../src/spec/semantic';
import { dropNulls, validateConfig, validateProcess } from '../../src/spec/validate';
import { deviceRules, specDeviceAccess } from '../../src/cgroups/controllers/device-rules';

describe('capability names (one rule for config.json, exec --process and exec --cap)', () => {
  test('unknown names and names beyond cap_last_cap are ignored, listed once, sorted', () => {
    const r = resolveCapabilities({
      bounding: ['CAP_CHOWN', 'CAP_FOO', 'CAP_BPF'],
      effective: ['CAP_FOO', 'cap_kill', 'CAP_CHECKPOINT_RESTORE'],
      ambient: ['CAP_AAA'],
    }, 38); // a kernel up to CAP_PERFMON: CAP_BPF (39) and CAP_CHECKPOINT_RESTORE (40) are unavailable
    expect(r.ignored).toEqual(['CAP_AAA', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE', 'CAP_FOO', 'cap_kill']);
    expect(r.masks.bounding).toBe(1n);
    expect(r.masks.effective).toBe(0n);
    expect(r.masks.permitted).toBe(0n);
    expect(ignoredCapabilitiesWarning(r.ignored)).toBe('ignoring unknown or unavailable capabilities: [CAP_AAA CAP_BPF CAP_CHECKPOINT_RESTORE CAP_FOO cap_kill]');
  });

  test('config.json and a process.json with unknown names are valid', () => {
    const warnings: string[] = [];
    const proc = { cwd: '/', args: ['sh'], capabilities: { bounding: ['CAP_X', 'not-a-cap'] } };
    expect(() => validateProcess(structuredClone(proc), 'process', { warn: (m) => warnings.push(m) })).not.toThrow();
    expect(() => validateConfig({ ociVersion: '1.0.2', process: proc, root: { path: 'r' } })).not.toThrow();
  });
});

describe('device cgroup access, as runc reads it', () => {
  test.each([['rwm', 'rwm'], ['mwr', 'rwm'], ['rwa', 'rw'], ['rrx', 'r'], ['wwm', 'wm']])('%s is %s', (access, want) => {
    expect(specDeviceAccess({ allow: true, type: 'c', access }, 'f')).toBe(want);
  });

  test('empty or missing is refused; a b/c allow with no letter is refused; a b/c deny with none changes nothing', () => {
    for (const d of [{ allow: true, access: '' }, { allow: false }]) {
      expect(() => specDeviceAccess(d, 'linux.resources.devices[0]')).toThrow(new ConfigError('linux.resources.devices[0].access', 'device access cannot be empty'));
    }
    expect(() => specDeviceAccess({ allow: true, type: 'b', access: 'x' }, 'f')).toThrow(ConfigError);
    expect(specDeviceAccess({ allow: false, type: 'c', access: 'x' }, 'f')).toBeNull();
    expect(specDeviceAccess({ allow: false, access: 'x' }, 'f')).toBe('rwm'); // type a: a reset whatever the letters
  });

  test('v1, v2 and systemd get one rule list from a config (deviceRules); an empty type is "a", as runc reads it', () => {
    const devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c' as const, major: 9, minor: 1, access: 'mwra' }, { allow: false, type: 'c' as const, major: 9, minor: 2, access: 'q' }];
    const v1 = deviceRules({ devices });
    expect(deviceRules({ devices: [{ allow: false, type: '' as 'a', access: 'rwm' }] })[0]).toEqual(v1[0]);
    expect(v1.slice(0, 2)).toEqual([
      { type: 'a', major: -1, minor: -1, access: 'rwm', allow: false },
      { type: 'c', major: 9, minor: 1, access: 'rwm', allow: true },
    ]);
  });
});

describe('null members (Go encoding/json: the zero value)', () => {
  test('are removed at every depth; null list elements stay', () => {
    const doc: any = { a: null, b: { c: null, d: [null, { e: null, f: 1 }] }, g: 0n };
    dropNulls(doc);
    expect(doc).toEqual({ b: { d: [null, { f: 1 }] }, g: 0n });
  });

  test('a required member that is null is reported missing', () => {
    expect(() => validateConfig({ ociVersion: '1.0.2', process: { cwd: null, args: ['sh'] } })).toThrow(new ConfigError('process.cwd', 'is required'));
  });
});

describe('sysctl keys (sysctl(8), sysctl.d(5))', () => {
  test.each([
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward', 'net/ipv4/ip_forward'],
    ['net/ipv4/ip_forward', 'net.ipv4.ip_forward', 'net/ipv4/ip_forward'],
    ['net.ipv4.conf.eno2/100.rp_filter', 'net.ipv4.conf.eno2/100.rp_filter', 'net/ipv4/conf/eno2.100/rp_filter'],
    ['net/ipv4/conf/eno2.100/rp_filter', 'net.ipv4.conf.eno2/100.rp_filter', 'net/ipv4/conf/eno2.100/rp_filter'],
    ['kernel', 'kernel', 'kernel'],
  ])('%s', (key, dotted, file) => {
    expect(sysctlDotted(key)).toBe(dotted);
    expect(sysctlPath(key)).toBe(file);
  });
});
