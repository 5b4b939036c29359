// The cgroup v2 device filter generator (src/cgroups/controllers/v2/device-filter.ts): the
// exact encoding of a tiny program, runc 1.1's golden listings (libcontainer/cgroups/ebpf/
// devicefilter tests, with 1.1's tun/tap default rule), runc's emulator semantics, and the
// generated program (run in the module's BPF interpreter) agreeing with the reference
// evaluator on randomised rule lists (fixed seed) and on runc's default rule list. No root.

import {
  accessType, decodeInsns, deviceFilterProgram, disassemble, emulateDeviceRules, encodeInsns, evaluate, OP, runDeviceFilter,
  type DeviceRequest,
} from '../../src/cgroups/controllers/v2/device-filter';
import { deviceRules as v2DeviceRules, type DeviceRule as V2DeviceRule } from '../../src/cgroups/controllers/device-rules';
import { RUNC_DEFAULT_DEVICES } from '../../src/spec/default-devices';
import { ConfigError } from '../../src/errors';

const rule = (allow: boolean, type: 'a' | 'b' | 'c', major: number, minor: number, access = 'rwm'): V2DeviceRule => ({ allow, type, major, minor, access });
const req = (type: 'b' | 'c', major: number, minor: number, access: string): DeviceRequest => ({ type, major, minor, access });
const ACCESSES = ['', 'r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];

// Compare with a runc listing: jump offsets become runc's symbolic "off: -1 ... <block-N>".
function symbolic(program: Buffer): string {
  const lines = disassemble(program);
  const targets = new Set<number>();
  for (const l of lines) { const m = / <(\d+)>$/.exec(l); if (m) targets.add(Number(m[1])); }
  const starts = [6, ...[...targets].sort((a, b) => a - b)];
  return lines.map((l) => l.replace(/off: \d+ (imm: -?\d+|src: r\d+) <(\d+)>$/, (_, x, t) => `off: -1 ${x} <block-${starts.indexOf(Number(t))}>`)).join('\n');
}
function runcListing(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//') && !/^block-\d+:$/.test(l)).join('\n');
}

const PROLOGUE = `
  0: LdXMemW dst: r2 src: r1 off: 0 imm: 0
  1: AndImm32 dst: r2 imm: 65535
  2: LdXMemW dst: r3 src: r1 off: 0 imm: 0
  3: RShImm32 dst: r3 imm: 16
  4: LdXMemW dst: r4 src: r1 off: 4 imm: 0
  5: LdXMemW dst: r5 src: r1 off: 8 imm: 0`;

describe('instruction encoding', () => {
  test('deny all + allow c 1:3 rwm, byte for byte', () => {
    const p = deviceFilterProgram([rule(false, 'a', -1, -1), rule(true, 'c', 1, 3)]);
    const expected = [
      '61 12 0000 00000000', // r2 = *(u32 *)(r1 + 0)
      '54 02 0000 ffff0000', // w2 &= 0xffff
      '61 13 0000 00000000', // r3 = *(u32 *)(r1 + 0)
      '74 03 0000 10000000', // w3 >>= 16
      '61 14 0400 00000000', // r4 = *(u32 *)(r1 + 4)
      '61 15 0800 00000000', // r5 = *(u32 *)(r1 + 8)
      '55 02 0400 02000000', // if r2 != 2 (char) goto +4
      '55 04 0300 01000000', // if r4 != 1 goto +3
      '55 05 0200 03000000', // if r5 != 3 goto +2
      'b4 00 0000 01000000', // w0 = 1
      '95 00 0000 00000000', // exit
      'b4 00 0000 00000000', // w0 = 0
      '95 00 0000 00000000', // exit
    ].join('').replace(/ /g, '');
    expect(p.toString('hex')).toBe(expected);
    expect(runDeviceFilter(p, req('c', 1, 3, 'rw'))).toBe(1);
    expect(runDeviceFilter(p, req('c', 1, 5, 'r'))).toBe(0);
    expect(runDeviceFilter(p, req('b', 1, 3, 'r'))).toBe(0);
  });

  test('encode/decode round trip, negative offsets and immediates', () => {
    const insns = [
      { code: OP.JNE_IMM, dst: 4, src: 0, off: -3, imm: -1 },
      { code: OP.MOV32_REG, dst: 1, src: 3, off: 0, imm: 0 },
      { code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const buf = encodeInsns(insns);
    expect(buf.toString('hex')).toBe('5504fdffffffffff' + 'bc31000000000000' + '9500000000000000');
    expect(decodeInsns(buf)).toEqual(insns);
  });

  test('access_type layout: type in the low 16 bits, access bits above', () => {
    expect(accessType(req('c', 1, 3, 'rw'))).toBe((6 << 16) | 2);
    expect(accessType(req('b', 8, 0, 'm'))).toBe((1 << 16) | 1);
  });

  test('major/minor >= 2^31 are compared as u32 (not through a sign-extended immediate)', () => {
    const p = deviceFilterProgram([rule(true, 'c', 0x80000000, 0xffffffff, 'r')]);
    expect(disassemble(p).some((l) => l.includes('JNEReg dst: r4'))).toBe(true);
    expect(runDeviceFilter(p, req('c', 0x80000000, 0xffffffff, 'r'))).toBe(1);
    expect(runDeviceFilter(p, req('c', 0x80000000, 0x7fffffff, 'r'))).toBe(0);
    expect(runDeviceFilter(p, req('c', 0, 0xffffffff, 'r'))).toBe(0);
  });
});

describe("runc 1.1's listings", () => {
  test('no rules: deny everything', () => {
    expect(symbolic(deviceFilterProgram([]))).toBe(runcListing(`${PROLOGUE}
      6: MovImm32 dst: r0 imm: 0
      7: Exit`));
  });

  test('the default allow list (specconv.AllowedDevices, with tun/tap)', () => {
    const rules = RUNC_DEFAULT_DEVICES.map(({ path: _p, ...r }) => ({ allow: true, ...r }));
    expect(symbolic(deviceFilterProgram(rules))).toBe(runcListing(`${PROLOGUE}
      block-0:
      // (b, wildcard, wildcard, m, true)
      6: JNEImm dst: r2 off: -1 imm: 1 <block-1>
      7: MovReg32 dst: r1 src: r3
      8: AndImm32 dst: r1 imm: 1
      9: JNEReg dst: r1 off: -1 src: r3 <block-1>
      10: MovImm32 dst: r0 imm: 1
      11: Exit
      block-1:
      // (c, wildcard, wildcard, m, true)
      12: JNEImm dst: r2 off: -1 imm: 2 <block-2>
      13: MovReg32 dst: r1 src: r3
      14: AndImm32 dst: r1 imm: 1
      15: JNEReg dst: r1 off: -1 src: r3 <block-2>
      16: MovImm32 dst: r0 imm: 1
      17: Exit
      block-2:
      18: JNEImm dst: r2 off: -1 imm: 2 <block-3>
      19: JNEImm dst: r4 off: -1 imm: 1 <block-3>
      20: JNEImm dst: r5 off: -1 imm: 3 <block-3>
      21: MovImm32 dst: r0 imm: 1
      22: Exit
      block-3:
      23: JNEImm dst: r2 off: -1 imm: 2 <block-4>
      24: JNEImm dst: r4 off: -1 imm: 1 <block-4>
      25: JNEImm dst: r5 off: -1 imm: 5 <block-4>
      26: MovImm32 dst: r0 imm: 1
      27: Exit
      block-4:
      28: JNEImm dst: r2 off: -1 imm: 2 <block-5>
      29: JNEImm dst: r4 off: -1 imm: 1 <block-5>
      30: JNEImm dst: r5 off: -1 imm: 7 <block-5>
      31: MovImm32 dst: r0 imm: 1
      32: Exit
      block-5:
      33: JNEImm dst: r2 off: -1 imm: 2 <block-6>
      34: JNEImm dst: r4 off: -1 imm: 1 <block-6>
      35: JNEImm dst: r5 off: -1 imm: 8 <block-6>
      36: MovImm32 dst: r0 imm: 1
      37: Exit
      block-6:
      38: JNEImm dst: r2 off: -1 imm: 2 <block-7>
      39: JNEImm dst: r4 off: -1 imm: 1 <block-7>
      40: JNEImm dst: r5 off: -1 imm: 9 <block-7>
      41: MovImm32 dst: r0 imm: 1
      42: Exit
      block-7:
      43: JNEImm dst: r2 off: -1 imm: 2 <block-8>
      44: JNEImm dst: r4 off: -1 imm: 5 <block-8>
      45: JNEImm dst: r5 off: -1 imm: 0 <block-8>
      46: MovImm32 dst: r0 imm: 1
      47: Exit
      block-8:
      48: JNEImm dst: r2 off: -1 imm: 2 <block-9>
      49: JNEImm dst: r4 off: -1 imm: 5 <block-9>
      50: JNEImm dst: r5 off: -1 imm: 2 <block-9>
      51: MovImm32 dst: r0 imm: 1
      52: Exit
      block-9:
      // tuntap (c, 10, 200, rwm, true)
      53: JNEImm dst: r2 off: -1 imm: 2 <block-10>
      54: JNEImm dst: r4 off: -1 imm: 10 <block-10>
      55: JNEImm dst: r5 off: -1 imm: 200 <block-10>
      56: MovImm32 dst: r0 imm: 1
      57: Exit
      block-10:
      // /dev/pts (c, 136, wildcard, rwm, true)
      58: JNEImm dst: r2 off: -1 imm: 2 <block-11>
      59: JNEImm dst: r4 off: -1 imm: 136 <block-11>
      60: MovImm32 dst: r0 imm: 1
      61: Exit
      block-11:
      62: MovImm32 dst: r0 imm: 0
      63: Exit`));
  });

  test('privileged: allow everything', () => {
    expect(symbolic(deviceFilterProgram([rule(true, 'a', -1, -1)]))).toBe(runcListing(`${PROLOGUE}
      6: MovImm32 dst: r0 imm: 1
      7: Exit`));
  });

  test('privileged except one block device', () => {
    expect(symbolic(deviceFilterProgram([rule(true, 'a', -1, -1), rule(false, 'b', 8, 0)]))).toBe(runcListing(`${PROLOGUE}
      6: JNEImm dst: r2 off: -1 imm: 1 <block-1>
      7: JNEImm dst: r4 off: -1 imm: 8 <block-1>
      8: JNEImm dst: r5 off: -1 imm: 0 <block-1>
      9: MovImm32 dst: r0 imm: 0
      10: Exit
      11: MovImm32 dst: r0 imm: 1
      12: Exit`));
  });

  test('"weird": a rule before an "a" reset is forgotten (8:1 allowed, 8:2 denied)', () => {
    const rules = [rule(false, 'b', 8, 1), rule(true, 'a', -1, -1), rule(false, 'b', 8, 2)];
    expect(symbolic(deviceFilterProgram(rules))).toBe(runcListing(`${PROLOGUE}
      6: JNEImm dst: r2 off: -1 imm: 1 <block-1>
      7: JNEImm dst: r4 off: -1 imm: 8 <block-1>
      8: JNEImm dst: r5 off: -1 imm: 2 <block-1>
      9: MovImm32 dst: r0 imm: 0
      10: Exit
      11: MovImm32 dst: r0 imm: 1
      12: Exit`));
    expect(evaluate(rules, req('b', 8, 1, 'rwm'))).toBe(true);
    expect(evaluate(rules, req('b', 8, 2, 'r'))).toBe(false);
  });
});

describe('emulator semantics (runc devices.Emulator)', () => {
  test('exceptions on the same node merge; every requested bit must be covered by one exception', () => {
    const merged = [rule(false, 'a', -1, -1), rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 3, 'w')];
    expect(emulateDeviceRules(merged).exceptions).toEqual([{ type: 'c', major: 1, minor: 3, access: 6 }]);
    expect(evaluate(merged, req('c', 1, 3, 'rw'))).toBe(true);
    expect(evaluate(merged, req('c', 1, 3, 'm'))).toBe(false);
    const split = [rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, -1, 'w')];
    expect(evaluate(split, req('c', 1, 3, 'r'))).toBe(true);
    expect(evaluate(split, req('c', 1, 3, 'w'))).toBe(true);
    expect(evaluate(split, req('c', 1, 3, 'rw'))).toBe(false);
  });

  test('later rules remove access (last match wins)', () => {
    const rules = [rule(true, 'c', 1, 3), rule(false, 'c', 1, 3, 'w')];
    expect(evaluate(rules, req('c', 1, 3, 'r'))).toBe(true);
    expect(evaluate(rules, req('c', 1, 3, 'w'))).toBe(false);
    expect(emulateDeviceRules([...rules, rule(false, 'c', 1, 3, 'rm')]).exceptions).toEqual([]);
    const deny = [rule(true, 'a', -1, -1), rule(false, 'c', 1, 3, 'rw'), rule(true, 'c', 1, 3, 'w')];
    expect(evaluate(deny, req('c', 1, 3, 'r'))).toBe(false);
    expect(evaluate(deny, req('c', 1, 3, 'w'))).toBe(true);
    expect(evaluate(deny, req('c', 1, 4, 'r'))).toBe(true);
  });

  test('punching a hole in a wildcard exception is refused, like runc', () => {
    const holes = [
      [rule(true, 'c', -1, -1, 'm'), rule(false, 'c', 1, 3, 'rwm')],
      [rule(true, 'c', 1, -1, 'rw'), rule(false, 'c', 1, 3, 'r')],
      [rule(true, 'b', -1, 0, 'r'), rule(false, 'b', 8, 0, 'r')],
      [rule(true, 'a', -1, -1), rule(false, 'c', 1, -1, 'w'), rule(true, 'c', 1, 3, 'rw')],
    ];
    for (const rules of holes) {
      expect(() => deviceFilterProgram(rules)).toThrow(ConfigError);
      // runc's words (its emulator serves v1 and v2 alike), as for v1
      expect(() => evaluate(rules, req('c', 1, 3, 'r'))).toThrow(/^linux\.resources\.devices: requested rule \[[bc] [\d*]+:[\d*]+ [rwm]+\] not supported by devices cgroupv1 \(cannot punch hole in existing wildcard rule \[[bc] [\d*]+:[\d*]+ [rwm]+\]\)$/);
    }
    // Removing access the wildcard does not grant, or on another type, is fine.
    expect(() => deviceFilterProgram([rule(true, 'c', -1, -1, 'm'), rule(false, 'c', 1, 3, 'rw')])).not.toThrow();
    expect(() => deviceFilterProgram([rule(true, 'c', -1, -1, 'm'), rule(false, 'b', 1, 3, 'm')])).not.toThrow();
  });

  test('invalid rules are ConfigErrors naming the rule', () => {
    expect(() => deviceFilterProgram([rule(true, 'c', 1, 3, '')])).toThrow('linux.resources.devices[0].access');
    expect(() => deviceFilterProgram([rule(true, 'c', 1, 3), rule(true, 'c', 1, 3, 'x')])).toThrow('linux.resources.devices[1].access');
    expect(() => deviceFilterProgram([{ ...rule(true, 'c', 1, 3), type: 'u' as 'c' }])).toThrow(ConfigError);
    expect(() => deviceFilterProgram([rule(true, 'c', -2, 3)])).toThrow('linux.resources.devices[0].major');
    expect(() => deviceFilterProgram([rule(true, 'c', 1, 2 ** 32)])).toThrow('linux.resources.devices[0].minor');
  });
});

// mulberry32: small, seeded, deterministic.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('generated program == evaluator', () => {
  const NUMS = [0, 1, 3, 5, 8, 10, 136, 200, 0x7fffffff, 0x80000000, 0xffffffff];

  function agree(rules: V2DeviceRule[], requests: DeviceRequest[]): void {
    const p = deviceFilterProgram(rules);
    for (const r of requests) {
      const want = evaluate(rules, r) ? 1 : 0;
      const got = runDeviceFilter(p, r);
      if (got !== want) throw new Error(`mismatch for ${JSON.stringify(r)} with rules ${JSON.stringify(rules)}: program ${got}, evaluator ${want}`);
    }
  }

  test('randomised rule lists (seed 0x5eed), every access combination', () => {
    const rnd = prng(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    let accepted = 0, rejected = 0, checks = 0;
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(rnd() * 9);
      const rules: V2DeviceRule[] = [];
      for (let i = 0; i < len; i++) {
        const type = rnd() < 0.15 ? 'a' : pick(['b', 'c'] as const);
        const wild = (): number => (rnd() < 0.3 ? -1 : pick(NUMS.slice(0, 5)));
        rules.push(rule(rnd() < 0.6, type, wild(), wild(), pick(ACCESSES.slice(1))));
      }
      let threw: unknown;
      try { deviceFilterProgram(rules); } catch (e) { threw = e; }
      if (threw) {
        expect(threw).toBeInstanceOf(ConfigError);
        expect(() => evaluate(rules, req('c', 1, 1, 'r'))).toThrow(ConfigError);
        rejected++;
        continue;
      }
      accepted++;
      const requests: DeviceRequest[] = [];
      for (const type of ['b', 'c'] as const) {
        for (const major of [0, 1, 3, 5]) {
          for (const minor of [0, 1, 3]) for (const access of ACCESSES) requests.push(req(type, major, minor, access));
        }
      }
      checks += requests.length;
      agree(rules, requests);
    }
    // The generator must have seen both kinds of list plenty of times.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(100);
    expect(checks).toBeGreaterThan(100000);
  });

  test('large device numbers', () => {
    const rnd = prng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    for (let n = 0; n < 300; n++) {
      const rules = [rule(rnd() < 0.5, 'a', -1, -1)];
      for (let i = 0; i < 4; i++) rules.push(rule(!rules[0].allow, pick(['b', 'c'] as const), pick([-1, ...NUMS]), pick([-1, ...NUMS]), pick(ACCESSES.slice(1))));
      const requests: DeviceRequest[] = [];
      for (const major of NUMS) for (const minor of NUMS) requests.push(req(pick(['b', 'c'] as const), major, minor, pick(ACCESSES)));
      agree(rules, requests);
    }
  });

  test("runc's default rule list from v2DeviceRules", () => {
    const configs = [
      v2DeviceRules(undefined),
      v2DeviceRules({ devices: [{ allow: false, access: 'rwm' }] }),
      v2DeviceRules({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'r' }] }),
      v2DeviceRules({ devices: [{ allow: true, access: 'rwm' }] }, [{ path: '/dev/null' }]),
    ];
    const majors = [0, 1, 4, 5, 8, 10, 136, 226];
    const minors = [0, 1, 2, 3, 5, 7, 8, 9, 11, 200, 229];
    for (const rules of configs) {
      const requests: DeviceRequest[] = [];
      for (const type of ['b', 'c'] as const) for (const major of majors) for (const minor of minors) for (const access of ACCESSES) requests.push(req(type, major, minor, access));
      agree(rules, requests);
    }
    const [, def, extra, priv] = configs;
    const p = deviceFilterProgram(def);
    expect(runDeviceFilter(p, req('c', 1, 3, 'rw'))).toBe(1); // /dev/null
    expect(runDeviceFilter(p, req('c', 1, 5, 'r'))).toBe(1); // /dev/zero
    expect(runDeviceFilter(p, req('c', 136, 7, 'rw'))).toBe(1); // /dev/pts/7
    expect(runDeviceFilter(p, req('c', 1, 11, 'r'))).toBe(0); // /dev/kmsg
    expect(runDeviceFilter(p, req('c', 1, 11, 'm'))).toBe(1); // mknod of any char device
    expect(runDeviceFilter(p, req('c', 1, 11, 'rm'))).toBe(0);
    expect(runDeviceFilter(p, req('b', 8, 0, 'r'))).toBe(0);
    expect(runDeviceFilter(p, req('b', 8, 0, 'm'))).toBe(1);
    const q = deviceFilterProgram(extra);
    expect(runDeviceFilter(q, req('c', 10, 229, 'rw'))).toBe(1);
    expect(runDeviceFilter(q, req('b', 8, 17, 'r'))).toBe(1);
    expect(runDeviceFilter(q, req('b', 8, 17, 'w'))).toBe(0);
    expect(runDeviceFilter(deviceFilterProgram(priv), req('b', 259, 0, 'rw'))).toBe(1);
  });
});

describe('interpreter strictness', () => {
  const ctxLoad = encodeInsns([{ code: OP.LDX_MEM_W, dst: 2, src: 1, off: 0, imm: 0 }]);
  const exit = encodeInsns([{ code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
  const r = req('c', 1, 3, 'r');

  test('rejects what the generator never emits', () => {
    expect(() => runDeviceFilter(exit, r)).toThrow(/r0 is uninitialised/);
    expect(() => runDeviceFilter(ctxLoad, r)).toThrow(/outside the program/);
    expect(() => runDeviceFilter(encodeInsns([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 }]), r)).toThrow(/unsupported opcode 0xb7/);
    expect(() => runDeviceFilter(encodeInsns([{ code: OP.LDX_MEM_W, dst: 2, src: 1, off: 12, imm: 0 }]), r)).toThrow(/context offset/);
    expect(() => runDeviceFilter(encodeInsns([{ code: OP.JNE_IMM, dst: 1, src: 0, off: 0, imm: 0 }]), r)).toThrow(/context pointer/);
    expect(() => runDeviceFilter(Buffer.alloc(7), r)).toThrow(/multiple of 8/);
  });
});
