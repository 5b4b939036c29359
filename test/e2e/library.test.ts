// The library API: a Node program creates, starts, waits for and deletes containers in-process.
import * as fs from 'fs';
import * as path from 'path';
import { create, deleteContainer, kill, list, parseSpec, run, setLogger, start, state, wait } from '../../src/lib';
import { Bundle, describeRoot, errMsg, stateRoot, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { addon } from '../../src/native/addon';

describeRoot('library API', () => {
  useLeakChecks();
  const root = () => stateRoot('tsrun');

  test('create, state, start, wait, delete without spawning tsrun', async () => {
    const b = new Bundle().args('sh', '-c', 'exit 5');
    const id = uniqueId('lib');
    const c = await create(id, { root: root(), bundle: b.dir });
    expect((await state(id, { root: root() })).status).toBe('created');
    const exited = addon().waitExit(c.pid);
    await start(id, { root: root() });
    expect(await exited).toMatchObject({ code: 5, signal: null });
    expect((await state(id, { root: root() })).status).toBe('stopped');
    await deleteContainer(id, { root: root() });
    await expect(state(id, { root: root() })).rejects.toThrow('container does not exist');
  });

  test('wait() polls again within a millisecond of a miss (a 5 ms first poll cost a bulk cycle ~4 ms: bench/bulk.mjs)', async () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId('lib');
    await create(id, { root: root(), bundle: b.dir });
    await start(id, { root: root() });
    const realTimeout = global.setTimeout;
    const delays: number[] = [];
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realTimeout(fn, ms);
    }) as unknown as typeof setTimeout);
    let st;
    try {
      const waited = wait(id, { root: root() });
      await new Promise((r) => realTimeout(r, 30));
      await kill(id, 'KILL', { root: root() });
      st = await waited;
    } finally {
      spy.mockRestore();
    }
    expect(st).toEqual({ code: null, signal: 9 });
    expect(delays[0]).toBeLessThanOrEqual(1);
    expect(delays.every((d) => d <= 100)).toBe(true);
    await deleteContainer(id, { root: root() });
  });

  test('run in-process returns the exit status; spec objects can be passed directly', async () => {
    const b = new Bundle().args('true');
    const spec = parseSpec(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    spec.process!.args = ['sh', '-c', 'exit 9'];
    expect(await run(uniqueId('lib'), { root: root(), bundle: b.dir, spec })).toBe(9);
  });

  test('opts.spec is validated as config.json is: the CLI\'s field-named errors, the caller\'s object untouched (issue 14)', async () => {
    const cases: [string, (c: any) => void][] = [
      // the schema: before, a string uid ran the container as uid 0
      ['a string uid', (c) => { c.process.user.uid = '1000'; }],
      // a semantic rule (runc's words)
      ['hostname without a uts namespace', (c) => { c.hostname = 'h'; c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts'); }],
      // create's rules
      ['no process', (c) => { delete c.process; }],
      ['masked paths without a mount namespace', (c) => { c.mounts = []; c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'mount'); }],
      // a rule moved from the plan
      ['tmpfs on /proc', (c) => { c.mounts.find((m: any) => m.destination === '/proc').type = 'tmpfs'; }],
    ];
    for (const [what, mutate] of cases) {
      const b = new Bundle((c) => { c.process.args = ['true']; mutate(c); });
      const cli = errMsg(tsrun(['create', '--bundle', b.dir, uniqueId('cli')]).stderr);
      expect([what, cli]).toEqual([what, expect.stringMatching(/^[a-zA-Z.[\]0-9]+: /)]);
      const spec = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
      const before = structuredClone(spec);
      await expect(create(uniqueId('lib'), { root: root(), bundle: b.dir, spec })).rejects.toMatchObject({ name: 'ConfigError', message: cli });
      expect(spec).toEqual(before);
    }
    // a null member is dropped from the copy (as from config.json), not from the caller's object
    const b = new Bundle().args('true');
    const spec = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    spec.linux.seccomp = null;
    expect(await run(uniqueId('lib'), { root: root(), bundle: b.dir, spec })).toBe(0);
    expect(spec.linux.seccomp).toBeNull();
  });

  test('opts.spec: the validation warnings reach the library\'s logger, as config.json\'s reach the CLI\'s log (issue 14)', async () => {
    const b = new Bundle((c) => { c.process.args = ['true']; c.mounts.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs' }); });
    const spec = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    const lines: string[] = [];
    setLogger((level, msg) => { if (level === 'warning') lines.push(msg); });
    try {
      expect(await run(uniqueId('lib'), { root: root(), bundle: b.dir, spec })).toBe(0);
    } finally {
      setLogger(null);
    }
    expect(lines).toEqual(['mounts[7].destination: relative destination "mnt" is deprecated; it is taken relative to "/"']);
  });

  test('kill and list through the API; errors are typed', async () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId('lib');
    await run(id, { root: root(), bundle: b.dir, detach: true });
    expect((await list({ root: root() })).map((s) => s.id)).toContain(id);
    await kill(id, 'KILL', { root: root() });
    await expect(deleteContainer('nope', { root: root() })).rejects.toMatchObject({ name: 'NotExistError', exitCode: 1 });
    await deleteContainer(id, { root: root(), force: true });
  });

  test('concurrent creates of one id: exactly one wins, and nothing leaks', async () => {
    const b = new Bundle().args('true');
    const id = uniqueId('race');
    const { spawn } = await import('child_process');
    const { TSRUN } = await import('../helpers/harness');
    const codes = await Promise.all([0, 1, 2, 3].map(() => new Promise<number | null>((resolve) => {
      const p = spawn(TSRUN, ['--root', root(), 'create', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', 'ignore'] });
      p.on('exit', (code) => resolve(code));
    })));
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 1)).toHaveLength(3);
    await deleteContainer(id, { root: root() });
    expect(fs.readdirSync(root())).toEqual([]);
    void work;
  });
});
