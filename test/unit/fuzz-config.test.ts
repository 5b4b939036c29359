// Fuzzing config.json parsing, validation and planning with a seeded generator over the
// spec-fixtures: whatever the input, the outcome is a plan or a TsrunError (a message naming
// the field), never another exception. The pipeline is create's: validateForCreate, the host
// rules, then the plan, whose internal assertions (a value src/spec should have refused) would
// show here as crashes. No container is started.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrunError } from '../../src/errors';
import { LiveHostFacts } from '../../src/plan/host-facts';
import { buildPlan } from '../../src/plan/plan';
import { checkSpecOnHost } from '../../src/spec/host-rules';
import { parseSpec } from '../../src/spec/load';
import { mutate, rng } from '../helpers/fuzz';

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
        const spec = parseSpec(text, 'config.json', { forCreate: true, warn: () => {} });
        if (spec.root) spec.root.path = 'rootfs';
        const host = new LiveHostFacts();
        checkSpecOnHost(spec, bundle, host, () => {});
        buildPlan(spec, { bundle, stubPath: '/nonexistent', fifoFd: -1, preserveFds: 0, noPivot: false,
          cgroup: { v1: [], cgroupns: false } }, host);
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
