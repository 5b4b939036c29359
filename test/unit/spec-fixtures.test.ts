// Runs every spec-fixtures/<nn>-<name>.json case through validateConfig and checks the
// outcome; for invalid cases the expected error must equal, or be a prefix of, the message.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../../src/errors';
import { parseJson } from '../../src/spec/json-int64';
import { validateConfig, validateProcess, validateState } from '../../src/spec/validate';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE_DIR = path.join(ROOT, 'spec-fixtures');
const GENERATED = path.join(ROOT, 'generated', 'validators.js');

interface Fixture {
  description: string;
  config: unknown;
  expect: { valid: true } | { valid: false; error: string };
}

const files = fs
  .readdirSync(FIXTURE_DIR)
  .filter((f) => /^\d+-.+\.json$/.test(f))
  .sort();

function load(file: string): Fixture {
  // as config.json is read: 64-bit integers exact
  return parseJson(fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as Fixture;
}

describe('spec-fixtures', () => {
  it('has enough cases, valid and invalid', () => {
    const fixtures = files.map(load);
    expect(fixtures.length).toBeGreaterThanOrEqual(45);
    expect(fixtures.filter((f) => f.expect.valid).length).toBeGreaterThanOrEqual(10);
    expect(fixtures.filter((f) => !f.expect.valid).length).toBeGreaterThanOrEqual(10);
    for (const f of fixtures) {
      expect(typeof f.description).toBe('string');
      if (!f.expect.valid) expect(f.expect.error.length).toBeGreaterThan(0);
    }
  });

  it.each(files)('%s', (file) => {
    const fx = load(file);
    const warnings: string[] = [];
    let thrown: unknown;
    try {
      validateConfig(fx.config, { warn: (m) => warnings.push(m) });
    } catch (e) {
      thrown = e;
    }
    if (fx.expect.valid) {
      if (thrown) throw new Error(`expected valid, got: ${(thrown as Error).message}`);
    } else {
      expect(thrown).toBeInstanceOf(ConfigError);
      const message = (thrown as ConfigError).message;
      if (!message.startsWith(fx.expect.error)) {
        // Shows both strings on failure.
        expect(message).toBe(fx.expect.error);
      }
    }
  });
});

describe('generated/validators.js', () => {
  it('exists and is precompiled (no ajv at run time)', () => {
    expect(fs.existsSync(GENERATED)).toBe(true);
    const code = fs.readFileSync(GENERATED, 'utf8');
    expect(code).not.toMatch(/new\s+Ajv\b/);
    expect(code).not.toMatch(/require\(\s*["']ajv["']\s*\)/);
    // No runtime helpers either: the module is self-contained.
    expect(code).not.toMatch(/require\(/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(GENERATED);
    for (const name of ['validateConfig', 'validateState', 'validateProcess']) {
      expect(typeof mod[name]).toBe('function');
    }
  });
});

describe('validateProcess (exec --process)', () => {
  const proc = { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/true'], cwd: '/', env: ['A=b'] };

  it('accepts a process.json', () => {
    expect(() => validateProcess(proc)).not.toThrow();
  });

  it('names fields under the given base', () => {
    expect(() => validateProcess({ ...proc, user: { uid: 'x', gid: 0 } })).toThrow('process.user.uid: must be integer');
    expect(() => validateProcess({ ...proc, args: [] }, 'process.json')).toThrow('process.json.args: must not be empty');
    expect(() => validateProcess({ args: ['sh'] })).toThrow('process.cwd: is required');
    expect(() => validateProcess({ ...proc, cwd: 'tmp' }, '')).toThrow(/^cwd: must be an absolute path$/);
  });
});

describe('validateState', () => {
  const state = { ociVersion: '1.2.0', id: 'ct1', status: 'running', pid: 42, bundle: '/b', rootfs: '/b/rootfs', created: '2024-01-01T00:00:00Z', owner: '' };

  it('accepts runc-style state', () => {
    expect(() => validateState(state)).not.toThrow();
    expect(() => validateState({ ...state, status: 'stopped', pid: 0 })).not.toThrow();
    expect(() => validateState({ ...state, status: 'paused' })).not.toThrow();
  });

  it('rejects bad state', () => {
    expect(() => validateState({ ...state, status: 'exploded' })).toThrow('state.status: must be one of creating, created, running, stopped, paused');
    const { pid: _pid, ...noPid } = state;
    expect(() => validateState(noPid)).toThrow('state.pid: is required');
    expect(() => validateState({ ...noPid, status: 'stopped' })).not.toThrow();
  });
});

describe('warnings', () => {
  it('reports a relative mount destination without failing', () => {
    const warnings: string[] = [];
    validateConfig({ ociVersion: '1.0.0', mounts: [{ destination: 'data', type: 'tmpfs' }] }, { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['mounts[0].destination: relative destination "data" is deprecated; it is taken relative to "/"']);
  });
});
