// The plan contract through the built addon: every key of src/native/contract.def.mjs
// round-trips through addon/plan_read.cc (ReadPlan, then the Plan the child would read turned
// back into an object), every wrong type and every missing required key is a TypeError naming
// the key (never 0, never a native abort), and both languages number the records, steps and
// tsrun-init's argv alike. The decode runs as any user; only the library test at the end
// creates a container.
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../../src/native/addon';
import { CONTRACT_VERSION, MSG, PLAN_SHAPE, STEP, STUB_ARG, STUB_FLAG, type KeyShape, type ObjectShape } from '../../src/native/contract';
import { create, parseSpec } from '../../src/lib';
import { Bundle, describeRoot, stateRoot, uniqueId, useLeakChecks } from '../helpers/harness';

type Plan = Record<string, unknown>;

/** A value for every key the addon reads, each distinct, none of them the default an absent key gets. */
function sample(shape: ObjectShape, at: string, counter = { n: 0 }): Plan {
  const out: Plan = {};
  for (const [k, s] of Object.entries(shape.keys)) if (s.type !== 'ts') out[k] = valueOf(s, `${at}.${k}`, counter);
  return out;
}
function valueOf(s: KeyShape, at: string, c: { n: number }): unknown {
  const n = ++c.n;
  switch (s.type) {
    case 'bool': return true;
    case 'string': return `${at}=${n}`;
    case 'u32': case 'i32': case 'i64': return n;
    case 'u64': return 2 ** 40 + n; // beyond 32 bits
    case 'u64n': return 2n ** 63n + BigInt(n); // beyond 2^53 and int64
    case 'buffer': return Buffer.alloc(16, n);
    case 'string[]': return [`${at}[0]`, `${at}[1]`];
    case 'u32[]': return [n, n + 1]; // CPUs and NUMA nodes below 1024, ascending
    case 'object': return sample(s.item, at, c);
    case 'objects': return [sample(s.item, `${at}[0]`, c), sample(s.item, `${at}[1]`, c)];
    default: throw new Error(`no sample for ${s.type}`);
  }
}

/** Every key path the addon reads ("plan.mounts[0].target"), with its shape. */
function keyPaths(shape: ObjectShape, at = 'plan'): { path: string; key: KeyShape }[] {
  const out: { path: string; key: KeyShape }[] = [];
  for (const [k, s] of Object.entries(shape.keys)) {
    if (s.type === 'ts') continue;
    out.push({ path: `${at}.${k}`, key: s });
    if (s.type === 'object') out.push(...keyPaths(s.item, `${at}.${k}`));
    if (s.type === 'objects') out.push(...keyPaths(s.item, `${at}.${k}[0]`));
  }
  return out;
}

/** A copy of plan with the value at "plan.a[0].b" replaced (or deleted, for undefined). */
function withValue(plan: Plan, at: string, value: unknown): Plan {
  const copy = structuredClone(plan);
  const steps = at.replace(/^plan\./, '').split(/\.|(?=\[)/).map((p) => (p.startsWith('[') ? Number(p.slice(1, -1)) : p));
  let o: any = copy;
  for (const p of steps.slice(0, -1)) o = o[p];
  const last = steps[steps.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy;
}

/** A value of the wrong type for each kind of key, and how the error describes it. */
const WRONG: Record<string, [unknown, string]> = {
  bool: ['yes', 'string'], string: [7, '7'], u32: ['1000', 'string'], i32: ['-1', 'string'], u64: [true, 'boolean'],
  i64: [{}, 'object'], u64n: ['1', 'string'], buffer: ['BPF', 'string'], 'string[]': ['a', 'string'], 'u32[]': [3, '3'],
  object: [[], 'array'], objects: [{}, 'object'],
};
const EXPECTED: Record<string, string> = {
  bool: 'a boolean', string: 'a string', u32: 'a uint32', i32: 'an int32', u64: 'a uint64', i64: 'an int64', u64n: 'a uint64',
  buffer: 'a Buffer', 'string[]': 'an array of strings', 'u32[]': 'an array of uint32', object: 'an object', objects: 'an array of objects',
};

function decodeError(plan: unknown): Error & { key?: string } {
  try {
    addon().decodePlanForTest(plan);
  } catch (e) {
    return e as Error & { key?: string };
  }
  throw new Error('decoded without an error');
}

describe('plan contract through the addon', () => {
  const full = sample(PLAN_SHAPE, 'plan');

  test('the addon was built from this contract: versions, records, steps and argv slots agree by name', () => {
    const c = addon().contract;
    expect(c.version).toBe(CONTRACT_VERSION);
    expect(c.msg).toEqual(MSG);
    expect(c.step).toEqual(STEP);
    expect(c.stubArg).toEqual(STUB_ARG);
    expect(c.stubFlag).toEqual(STUB_FLAG);
  });

  test('every key round-trips: what the child reads is what the plan said', () => {
    const { _stubArgv, ...echo } = addon().decodePlanForTest(full);
    expect(echo).toEqual(full);
    // tsrun-init's argv, slot by slot as init.c reads it (fd slots and PATH are the child's to fill)
    expect(_stubArgv[0]).toBe('tsrun-init');
    expect(_stubArgv[STUB_ARG.FLAGS]).toBe(String((full.seccompFlags as number) | STUB_FLAG.SETSID | STUB_FLAG.CTTY));
    expect(_stubArgv[STUB_ARG.LSM_ATTR]).toBe(full.lsmAttr);
    expect(_stubArgv[STUB_ARG.LSM_VALUE]).toBe(full.lsmValue);
    for (const slot of [STUB_ARG.FIFO_FD, STUB_ARG.SECCOMP_FD, STUB_ARG.PROC_FD, STUB_ARG.SYNC_FD, STUB_ARG.HOOKS_FD]) expect(_stubArgv[slot]).toBe('');
    expect(_stubArgv[STUB_ARG.PATH]).toBeNull();
    expect(_stubArgv.slice(STUB_ARG.ARGV)).toEqual(full.args);
  });

  test('optional keys may be absent (undefined or null): the defaults the child expects', () => {
    const minimal = structuredClone(full);
    for (const { path: at, key } of keyPaths(PLAN_SHAPE)) {
      if (key.optional && !/\[0\]|\.caps\.|\.scheduler\.|\.memoryPolicy\./.test(at)) delete minimal[at.slice('plan.'.length)];
    }
    (minimal.mounts as Plan[])[0].treeFd = null;
    const echo = addon().decodePlanForTest(minimal);
    expect(echo).toMatchObject({ rootPropagationAfter: 0, mountSources: false, hidePaths: [], sysctls: [], mountConsole: false, forkInStub: false });
    for (const absent of ['personality', 'ioprio', 'scheduler', 'cpusInitial', 'cpusFinal', 'memoryPolicy', 'timeOffsets', 'cgroupFd', 'hooksBlob', 'seccompProgram', 'lsmAttr', 'lsmValue']) {
      expect(echo).not.toHaveProperty(absent);
    }
    expect((echo.mounts as Plan[])[0]).not.toHaveProperty('treeFd');
  });

  const paths = keyPaths(PLAN_SHAPE);
  test.each(paths.map((p) => [p.path, p.key]))('%s: a wrong type is a TypeError naming the key', (at, key) => {
    const [value, got] = WRONG[key.type];
    const e = decodeError(withValue(full, at, value));
    expect(e.name).toBe('TypeError'); // the addon's realm: not jest's TypeError
    expect(e.message).toBe(`${at}: expected ${EXPECTED[key.type]}, got ${got}`);
    expect(e.key).toBe(at);
  });

  test.each(paths.filter((p) => !p.key.optional && !p.key.nullable).map((p) => [p.path, p.key]))('%s: missing is a TypeError naming the key', (at, key) => {
    const e = decodeError(withValue(full, at, undefined));
    expect(e.name).toBe('TypeError'); // the addon's realm: not jest's TypeError
    expect(e.message).toBe(`${at}: expected ${EXPECTED[key.type]}, got undefined`);
  });

  test.each([
    ['plan.uid', '1000', 'plan.uid: expected a uint32, got string'], // through the library this ran the container as uid 0
    ['plan.uid', -1, 'plan.uid: expected a uint32, got -1'],
    ['plan.uid', 2 ** 32, 'plan.uid: expected a uint32, got 4294967296'],
    ['plan.gid', 1.5, 'plan.gid: expected a uint32, got 1.5'],
    ['plan.umask', 2 ** 31, 'plan.umask: expected an int32, got 2147483648'],
    ['plan.cloneFlags', -1, 'plan.cloneFlags: expected a uint64, got -1'],
    ['plan.cloneFlags', NaN, 'plan.cloneFlags: expected a uint64, got NaN'],
    ['plan.caps.bounding', -1n, 'plan.caps.bounding: expected a uint64, got -1n'],
    ['plan.rlimits[1].soft', 2n ** 64n, 'plan.rlimits[1].soft: expected a uint64, got 18446744073709551616n'],
    ['plan.personality', 2n ** 63n, 'plan.personality: expected an int64, got 9223372036854775808n'],
    ['plan.groups', [1, '2'], 'plan.groups[1]: expected a uint32, got string'],
    ['plan.args', ['sh', null], 'plan.args[1]: expected a string, got null'],
    ['plan.mounts', [{}], 'plan.mounts[0].target: expected a string, got undefined'],
    ['plan.rootfs', null, 'plan.rootfs: expected a string, got null'],
  ])('%s = %p: %s', (at, value, message) => {
    const e = decodeError(withValue(full, at, value));
    expect(e.name).toBe('TypeError'); // the addon's realm: not jest's TypeError
    expect(e.message).toBe(message);
  });

  test('integers may come as bigints and u64 keys as numbers, where they fit', () => {
    const plan = withValue(withValue(withValue(full, 'plan.uid', 1000n), 'plan.caps.bounding', 5), 'plan.umask', -1n);
    expect(addon().decodePlanForTest(plan)).toMatchObject({ uid: 1000, caps: { bounding: 5n }, umask: -1 });
  });

  test('not an object, or a getter that throws: an error, and nothing spawned', () => {
    expect(decodeError(undefined).message).toBe('plan: expected an object, got undefined');
    expect(decodeError('plan').message).toBe('plan: expected an object, got string');
    const trap = Object.defineProperty(structuredClone(full), 'cwd', { get() { throw new RangeError('from the getter'); } });
    expect(decodeError(trap).message).toBe('from the getter');
    expect(() => addon().spawn(withValue(full, 'plan.uid', '1000') as never)).toThrow('plan.uid: expected a uint32, got string');
  });
});

describeRoot('plan contract: the library path', () => {
  useLeakChecks();

  test('create() with process.user.uid "1000" in opts.spec is refused, naming the uid; it never runs as uid 0', async () => {
    const b = new Bundle().args('sleep', '100');
    const spec = parseSpec(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    (spec.process!.user as { uid: unknown }).uid = '1000';
    const root = stateRoot('tsrun');
    const id = uniqueId('contract');
    await expect(create(id, { root, bundle: b.dir, spec })).rejects.toThrow(/uid/);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });
});
