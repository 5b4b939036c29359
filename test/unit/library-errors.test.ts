// The library's one error family at its boundary (src/lib.ts): a raw Node or addon error never
// reaches the caller; each becomes a TsrunError with a code it can switch on, the original as cause.
import * as fs from 'fs';
import { ConfigError, NotExistError, TsrunError, throwsTsrunErrors, toTsrunError } from '../../src/errors';
import * as lib from '../../src/lib';

describe('toTsrunError', () => {
  test('an errno error from fs: SYSCALL with its errno, message kept, the original as cause', () => {
    let raw: unknown;
    try { fs.readFileSync('/nonexistent/x'); } catch (e) { raw = e; }
    const e = toTsrunError(raw);
    expect(e).toBeInstanceOf(TsrunError);
    expect(e).toMatchObject({ code: 'SYSCALL', errno: 2, cause: raw });
    expect(e.message).toMatch(/ENOENT: no such file or directory/);
  });

  test('an addon error with only a code name, a TypeError, a thrown string', () => {
    expect(toTsrunError(Object.assign(new Error('EPERM: mount'), { code: 'EPERM' }))).toMatchObject({ code: 'SYSCALL', errno: 1 });
    expect(toTsrunError(new TypeError('plan.mounts[0].flags: not a number'))).toMatchObject({ code: 'TSRUN', message: 'internal error: plan.mounts[0].flags: not a number' });
    expect(toTsrunError('boom')).toMatchObject({ code: 'TSRUN', message: 'internal error: boom' });
  });

  test('a TsrunError (and its subclasses) is passed through as it is', () => {
    const c = new ConfigError('process.args: must be an array', 'process.args');
    expect(toTsrunError(c)).toBe(c);
    const n = new NotExistError('x');
    expect(toTsrunError(n)).toBe(n);
  });
});

describe('throwsTsrunErrors', () => {
  test('sync throws and async rejections are wrapped; results pass through', async () => {
    const sync = throwsTsrunErrors((x: number) => { if (x) throw new RangeError('bad'); return 7; });
    expect(sync(0)).toBe(7);
    expect(() => sync(1)).toThrow(TsrunError);
    const asy = throwsTsrunErrors(async (p: string) => fs.promises.readFile(p));
    await expect(asy('/nonexistent/y')).rejects.toMatchObject({ code: 'SYSCALL', errno: 2 });
  });

  test('every function the library exports that does work is wrapped: a raw error from its implementation reaches the caller as a TsrunError', async () => {
    const raw = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5 });
    const modules = ['create', 'start', 'kill', 'wait', 'delete', 'query', 'run', 'exec', 'pause', 'update', 'events'].map((m) => `../../src/lifecycle/${m}`);
    let lib!: typeof import('../../src/lib');
    jest.isolateModules(() => {
      for (const m of [...modules, '../../src/spec/load']) {
        const real = jest.requireActual(m);
        // every function of the module fails with a raw errno error, sync or async as the real one
        jest.doMock(m, () => Object.fromEntries(Object.entries(real).map(([k, v]) => [k, typeof v !== 'function' || /^[A-Z]/.test(k) ? v
          : v.constructor.name === 'AsyncFunction' ? async () => { throw raw(); } : () => { throw raw(); }])));
      }
      lib = require('../../src/lib');
    });
    const skip = new Set(['defaultSpec', 'psTable', 'mergeResources', 'parseSize', 'events', 'streamEvents', 'setLogger', 'toTsrunError', 'throwsTsrunErrors', 'strerror', 'errnoText', 'plainMessage']);
    const fns = Object.entries(lib).filter(([k, v]) => typeof v === 'function' && !/^[A-Z]/.test(k) && !skip.has(k));
    expect(fns.map(([k]) => k).sort()).toEqual(['create', 'deleteContainer', 'exec', 'kill', 'list', 'loadSpec', 'parseSpec', 'pause', 'pids', 'resume', 'run', 'start', 'state', 'stats', 'update', 'wait']);
    for (const [name, fn] of fns) {
      const out = await Promise.resolve().then(() => (fn as (...a: unknown[]) => unknown)('x', {})).then(() => 'resolved', (e: unknown) => e);
      expect({ name, out: out instanceof lib.TsrunError ? { code: out.code, errno: out.errno } : out }).toEqual({ name, out: { code: 'SYSCALL', errno: 5 } });
    }
  });
});
