// Hostile config.json and process.json input (issue 11): every refusal names the field.
// Documents are given as text and read with parseJson, as config.json is read.
import { ConfigError } from '../../src/errors';
import { parseJson } from '../../src/spec/json-int64';
import { parseSpec } from '../../src/spec/load';
import { validateConfig, validateProcess } from '../../src/spec/validate';

const BASE = {
  ociVersion: '1.2.0',
  process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
  root: { path: 'rootfs' },
  linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'time' }] },
};

/** BASE with `fragment` merged in at `at` (a dotted path), `X` in the fragment replaced by `value` verbatim. */
function configText(at: string, fragment: unknown, value: string): string {
  const doc: any = structuredClone(BASE);
  const keys = at.split('.');
  let o = doc;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = fragment;
  return JSON.stringify(doc).replace('"X"', value);
}

function outcome(text: string): string {
  try {
    parseSpec(text);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message;
  }
}

const I64 = { lo: -(2n ** 63n), hi: 2n ** 63n - 1n, text: 'must be between -9223372036854775808 and 9223372036854775807 (int64)' };
const U64 = { lo: 0n, hi: 2n ** 64n - 1n, text: 'must be between 0 and 18446744073709551615 (uint64)' };
const MEM = { lo: -1n, hi: 2n ** 63n - 1n, text: 'must be between -1 and 9223372036854775807 (bytes, or -1 for unlimited)' };

// Every 64-bit integer field of the schema: [field as reported, where the fragment goes, fragment, range].
const FIELDS: [string, string, unknown, typeof I64][] = [
  ...['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'].map((k): [string, string, unknown, typeof I64] =>
    [`linux.resources.memory.${k}`, 'linux.resources', { memory: { [k]: 'X' } }, MEM]),
  ['linux.resources.memory.swappiness', 'linux.resources', { memory: { swappiness: 'X' } }, U64],
  ...['shares', 'burst', 'period', 'realtimePeriod'].map((k): [string, string, unknown, typeof I64] =>
    [`linux.resources.cpu.${k}`, 'linux.resources', { cpu: { [k]: 'X' } }, U64]),
  ...['quota', 'realtimeRuntime', 'idle'].map((k): [string, string, unknown, typeof I64] =>
    [`linux.resources.cpu.${k}`, 'linux.resources', { cpu: { [k]: 'X' } }, I64]),
  ['linux.resources.pids.limit', 'linux.resources', { pids: { limit: 'X' } }, I64],
  ['linux.resources.hugepageLimits[0].limit', 'linux.resources', { hugepageLimits: [{ pageSize: '2MB', limit: 'X' }] }, U64],
  ['linux.resources.blockIO.throttleReadBpsDevice[0].rate', 'linux.resources', { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 'X' }] } }, U64],
  ['linux.resources.blockIO.weightDevice[0].major', 'linux.resources', { blockIO: { weightDevice: [{ major: 'X', minor: 0 }] } }, I64],
  ['linux.resources.devices[0].minor', 'linux.resources', { devices: [{ allow: true, minor: 'X' }] }, I64],
  ['linux.devices[0].major', 'linux.devices', [{ type: 'c', path: '/dev/x', major: 'X', minor: 1 }], I64],
  ['linux.timeOffsets.monotonic.secs', 'linux.timeOffsets', { monotonic: { secs: 'X' } }, I64],
  ['linux.seccomp.syscalls[0].args[0].value', 'linux.seccomp', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 'X', op: 'SCMP_CMP_EQ' }] }] }, U64],
  ['process.rlimits[0].hard', 'process.rlimits', [{ type: 'RLIMIT_CORE', soft: 0, hard: 'X' }], U64],
  ['process.rlimits[0].soft', 'process.rlimits', [{ type: 'RLIMIT_CORE', soft: 'X', hard: 'X' }], U64],
  ['process.scheduler.runtime', 'process.scheduler', { policy: 'SCHED_DEADLINE', runtime: 'X' }, U64],
];

describe('64-bit integer ranges are checked on the exact value (issue 11 #14)', () => {
  test.each(FIELDS)('%s', (field, at, fragment, range) => {
    const at1 = (v: bigint) => {
      // rlimits soft: hard must not be below soft, so both placeholders get the value
      const text = configText(at, fragment, String(v));
      return outcome(field.endsWith('.soft') ? text.replace('"X"', String(v)) : text);
    };
    expect(at1(range.hi)).toBe('ok');
    expect(at1(range.lo)).toBe('ok');
    expect(at1(range.hi + 1n)).toBe(`${field}: ${range.text}`);
    expect(at1(range.lo - 1n)).toBe(`${field}: ${range.text}`);
    expect(at1(range.hi + 2n ** 70n)).toBe(`${field}: ${range.text}`);
    expect(at1(10n ** 400n)).toBe(`${field}: ${range.text}`);
  });

  test('2^63 as memory.limit, the red team\'s case', () => {
    const text = configText('linux.resources', { memory: { limit: 'X' } }, '9223372036854775808');
    expect(outcome(text)).toBe(`linux.resources.memory.limit: ${MEM.text}`);
  });

  test('process.json (exec --process) too', () => {
    const proc = (hard: string) => parseJson(`{"args": ["sh"], "cwd": "/", "rlimits": [{"type": "RLIMIT_CORE", "soft": 0, "hard": ${hard}}]}`);
    expect(() => validateProcess(proc('18446744073709551615'))).not.toThrow();
    expect(() => validateProcess(proc('18446744073709551616'))).toThrow(`process.rlimits[0].hard: ${U64.text}`);
  });
});

describe('uids and gids outside 0..2147483647 are refused (issue 11 #7)', () => {
  const ID = 'uids and gids must be in range 0-2147483647';
  const proc = (user: string) => parseJson(`{"args": ["sh"], "cwd": "/", "user": ${user}}`);

  test.each([
    ['{"uid": 4294967295, "gid": 0}', 'uid'],
    ['{"uid": 2147483648, "gid": 0}', 'uid'],
    ['{"uid": 4294967296, "gid": 0}', 'uid'],
    ['{"uid": 99999999999999999999, "gid": 0}', 'uid'],
    ['{"uid": 0, "gid": 4294967295}', 'gid'],
    ['{"uid": 0, "gid": 0, "additionalGids": [1, 4294967295]}', 'additionalGids[1]'],
    ['{"uid": 0, "gid": 0, "additionalGids": [2147483648]}', 'additionalGids[0]'],
  ])('process.user %s', (user, field) => {
    expect(() => validateProcess(proc(user))).toThrow(`process.user.${field}: ${ID}`);
  });

  test('2147483647 is the largest id', () => {
    expect(() => validateProcess(proc('{"uid": 2147483647, "gid": 2147483647, "additionalGids": [2147483647]}'))).not.toThrow();
  });

  describe('exec flags', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execProcess } = require('../../src/spec/exec-process') as typeof import('../../src/spec/exec-process');
    const base = { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' };
    const exec = (o: object) => execProcess(structuredClone(base), { args: ['id'], ...o });

    test.each(['4294967295', '99999999999999999999', '4294967296', '2147483648', '0:4294967295', '1000:2147483648'])('--user %s', (u) => {
      expect(() => exec({ user: u })).toThrow(`--user ${u}: ${ID}`);
    });
    test.each([[4294967295], [2147483648], [Number('99999999999999999999')], [-1], [1.5]])('--additional-gids %s', (g) => {
      expect(() => exec({ additionalGids: [10, g] })).toThrow(`--additional-gids: ${ID}`);
    });
    test('in range: taken as given', () => {
      expect(exec({ user: '2147483647:1000', additionalGids: [2147483647] }).user).toEqual({ uid: 2147483647, gid: 1000, additionalGids: [2147483647] });
    });
  });
});

describe('NUL bytes are refused in every string and map key, naming the field (issue 11 #12)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('path') as typeof import('path');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fieldPath } = require('../../src/spec/semantic') as typeof import('../../src/spec/semantic');
  const dir = path.join(__dirname, '../../spec-fixtures');
  const valid = fs.readdirSync(dir).filter((f) => /^\d+-.+\.json$/.test(f)).sort()
    .map((f) => [f, (parseJson(fs.readFileSync(path.join(dir, f), 'utf8')) as any)] as const)
    .filter(([, fx]) => fx.expect.valid).map(([f, fx]) => [f, fx.config] as const);

  type Seg = string | number;
  /** Every string value ('value') and map key ('key') of the document, outside annotations. */
  function* strings(v: unknown, at: Seg[] = []): Generator<[Seg[], 'value' | 'key']> {
    if (typeof v === 'string') yield [at, 'value'];
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* strings(v[i], [...at, i]);
    else if (v && typeof v === 'object') {
      const mapKeys = ['sysctl', 'unified', 'rdma', 'netDevices', 'timeOffsets'].includes(String(at[at.length - 1]));
      for (const [k, x] of Object.entries(v)) {
        if (at.length === 0 && k === 'annotations') continue;
        if (mapKeys) yield [[...at, k], 'key'];
        yield* strings(x, [...at, k]);
      }
    }
  }
  function poisoned(doc: any, at: Seg[], kind: 'value' | 'key'): [any, Seg[]] {
    const copy = structuredClone(doc);
    let o = copy;
    for (const s of at.slice(0, -1)) o = o[s];
    const last = at[at.length - 1];
    if (kind === 'value') { o[last] = `${o[last]}\u0000/../x`; return [copy, at]; }
    const key = `${last}\u0000x`;
    o[key] = o[last];
    delete o[last];
    return [copy, [...at.slice(0, -1), key]];
  }

  test('the fixtures have plenty of strings to poison', () => {
    expect(valid.length).toBeGreaterThanOrEqual(20);
    expect(valid.flatMap(([, c]) => [...strings(c)]).length).toBeGreaterThan(300);
  });

  // Fields the runtime must ignore (unknown, or other platforms'): they reach no syscall.
  const IGNORED = new Set(['linux.futureLinuxField', 'linux.resources.memory.futureKnob', 'hooks.futureHookKind[0].path',
    'windows.layerFolders[0]', 'solaris.milestone', 'vm.kernel.path']);

  test.each(valid)('%s: each string, with a NUL inserted, is refused naming it', (_, config) => {
    const wrong: string[] = [];
    for (const [at, kind] of strings(config)) {
      const [doc, field] = poisoned(config, at, kind);
      const name = fieldPath('', ...field);
      let msg = 'accepted';
      try { validateConfig(doc); } catch (e) { msg = (e as Error).message; }
      const nul = kind === 'key' ? `${name}: the key contains a NUL byte` : `${name}: contains a NUL byte`;
      // strings with an enum or a pattern of their own are refused by it
      if (IGNORED.has(name) ? msg !== 'accepted' : msg !== nul && !msg.startsWith(`${name}: must `)) wrong.push(`${name}: ${msg}`);
    }
    expect(wrong).toEqual([]);
  });

  test('the red team\'s cases, and annotations (they reach no syscall) stay free', () => {
    const text = (mut: (c: any) => void) => { const c: any = structuredClone(BASE); mut(c); return JSON.stringify(c); };
    expect(outcome(text((c) => { c.process.env = ['PATH=/bin', 'X=1', 'Y=2', 'A=1\u0000B=2']; }))).toBe('process.env[3]: contains a NUL byte');
    expect(outcome(text((c) => { c.mounts = [{ destination: '/mnt\u0000/../../etc', type: 'tmpfs', source: 'tmpfs' }]; })))
      .toBe('mounts[0].destination: contains a NUL byte');
    expect(outcome(text((c) => { c.linux.sysctl = { 'kernel.shm\u0000max': '1' }; }))).toBe('linux.sysctl["kernel.shm\\u0000max"]: the key contains a NUL byte');
    expect(outcome(text((c) => { c.annotations = { 'a\u0000': 'b\u0000' }; }))).toBe('ok');
  });

  test('exec --process and exec\'s flags go through the same rule', () => {
    expect(() => validateProcess(parseJson('{"args": ["sh", "-c\\u0000x"], "cwd": "/"}'))).toThrow('process.args[1]: contains a NUL byte');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execProcess } = require('../../src/spec/exec-process') as typeof import('../../src/spec/exec-process');
    const base = { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] };
    const exec = (o: object) => () => execProcess(structuredClone(base), { args: ['id'], ...o });
    expect(exec({ env: ['A=1\u0000B=2'] })).toThrow('process.env[1]: contains a NUL byte');
    expect(exec({ cwd: '/tmp\u0000/..' })).toThrow('process.cwd: contains a NUL byte');
    expect(exec({ args: ['sh', '-c', 'id\u0000'] })).toThrow('process.args[2]: contains a NUL byte');
    expect(exec({ apparmor: 'unconfined\u0000x' })).toThrow('process.apparmorProfile: contains a NUL byte');
    expect(exec({ env: ['A=1'], cwd: '/tmp' })().env).toEqual(['PATH=/bin', 'A=1']);
  });
});

describe('readDocument: config.json and --process are regular files of at most 16 MiB (issue 11 #15)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('os') as typeof import('os');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readDocument, MAX_DOCUMENT_BYTES } = require('../../src/spec/load') as typeof import('../../src/spec/load');
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(`${os.tmpdir()}/tsrun-readdoc-`); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a regular file, through a symlink too; a size-0 procfs file is read to its end', () => {
    fs.writeFileSync(`${dir}/a.json`, '{"a": 1}');
    fs.symlinkSync('a.json', `${dir}/link.json`);
    const before = fds();
    expect(readDocument(`${dir}/link.json`)).toBe('{"a": 1}');
    expect(readDocument('/proc/self/status')).toMatch(/^Name:/);
    expect(fds()).toBe(before);
  });

  test('16 MiB exactly is read; one byte more is refused', () => {
    const f = `${dir}/big.json`;
    fs.writeFileSync(f, '1' + ' '.repeat(MAX_DOCUMENT_BYTES - 1));
    expect(readDocument(f).length).toBe(MAX_DOCUMENT_BYTES);
    fs.appendFileSync(f, ' ');
    const before = fds();
    expect(() => readDocument(f)).toThrow(`larger than 16 MiB (${MAX_DOCUMENT_BYTES + 1} bytes), the most tsrun reads`);
    expect(fds()).toBe(before);
  });

  test('devices, fifos and directories are refused; no fd is left open', () => {
    fs.mkdirSync(`${dir}/d`);
    expect(require('child_process').spawnSync('mkfifo', [`${dir}/fifo`]).status).toBe(0);
    const before = fds();
    for (const f of ['/dev/zero', '/dev/null', `${dir}/fifo`, `${dir}/d`]) expect(() => readDocument(f)).toThrow(/^not a regular file$/);
    expect(fds()).toBe(before);
    expect(() => readDocument(`${dir}/missing`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
