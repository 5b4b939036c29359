// Fuzzing config.json parsing, validation and planning with a seeded generator over the
// spec-fixtures: whatever the input, the outcome is a plan or a TsrunError (a message naming
// the field), never another exception. No container is started.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrunError } from '../../src/errors';
import { buildPlan } from '../../src/plan/plan';
import { parseSpec } from '../../src/spec/load';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

const WEIRD: unknown[] = [null, true, false, 0, -1, 1.5, 9223372036854775807, -9223372036854775808, 18446744073709551615, '', '/', '..', '../../etc',
  'a'.repeat(5000), '\u0000', 'ro', 'CAP_SYS_ADMIN', 'RLIMIT_NOFILE', 'SCMP_ACT_ERRNO', [], {}, [1, 2], { a: 1 }, '/proc/self/fd/3'];

function mutate(v: unknown, r: () => number, depth = 0): unknown {
  if (r() < 0.08 || depth > 6) return WEIRD[Math.floor(r() * WEIRD.length)];
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.3 ? mutate(x, r, depth + 1) : x)).filter(() => r() > 0.05);
    if (r() < 0.1) out.push(mutate(v[0] ?? {}, r, depth + 1));
    return out;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (r() < 0.05) continue;
      out[k] = r() < 0.35 ? mutate(x, r, depth + 1) : x;
    }
    if (r() < 0.05) out[`extra${Math.floor(r() * 100)}`] = mutate({}, r, depth + 1);
    return out;
  }
  return r() < 0.5 ? WEIRD[Math.floor(r() * WEIRD.length)] : v;
}

describe('fuzz: config.json parsing and planning', () => {
  const fixtures = fs.readdirSync(path.join(__dirname, '../../spec-fixtures')).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../spec-fixtures', f), 'utf8')).config);
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fuzz-'));
  fs.mkdirSync(path.join(bundle, 'rootfs'));
  afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));

  test('3000 mutated configs: a plan or a TsrunError, nothing else', () => {
    const r = rng(0x75f0);
    const crashes: string[] = [];
    let planned = 0;
    for (let i = 0; i < 3000; i++) {
      const base = fixtures[Math.floor(r() * fixtures.length)];
      const doc = mutate(base, r);
      const text = JSON.stringify(doc) ?? 'null';
      try {
        const spec = parseSpec(text);
        if (spec.root) spec.root.path = 'rootfs';
        buildPlan(spec, { bundle, stubPath: '/nonexistent', fifoFd: -1, preserveFds: 0, noPivot: false, consoleFd: -1,
          cgroup: { v1: [], cgroupns: false }, warn: () => {} });
        planned++;
      } catch (e) {
        if (!(e instanceof TsrunError)) crashes.push(`#${i}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')} :: ${text.slice(0, 300)}`);
      }
    }
    if (process.env.FUZZ_DEBUG) console.log({ planned, crashes: crashes.length });
    expect(crashes.slice(0, 5)).toEqual([]);
    expect(planned).toBeGreaterThan(10); // the generator also produces valid configs
  });
});
