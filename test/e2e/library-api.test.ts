// The library's contract for an embedding program: typed errors with a stable `code` (and
// `field`, `errno`), start() handing back a way to get the exit status, an events() async
// iterator, and AbortSignal on the long calls (create, exec, run, wait, events) with Node's AbortError.
import * as fs from 'fs';
import * as path from 'path';
import {
  AbortError, ConfigError, CorruptStateError, ExistsError, UsageError, LockedError, NotExistError, StatusError, SyscallError, TsrunError,
  create, deleteContainer, events, exec, kill, pause, pids, resume, run, start, state, wait,
  type ContainerEvent, type TsrunErrorCode,
} from '../../src/lib';
import { Bundle, describeRoot, stateRoot, uniqueId, useLeakChecks } from '../helpers/harness';

const MiB = 1024 * 1024;

describeRoot('library API: errors, exit status, events, abort', () => {
  useLeakChecks();
  const root = () => stateRoot('tsrun');
  const o = () => ({ root: root() });

  async function expectCode(p: Promise<unknown>, cls: new (...a: never[]) => TsrunError, code: TsrunErrorCode, more: Record<string, unknown> = {}): Promise<TsrunError> {
    const e = await p.then(() => { throw new Error('resolved'); }, (err: unknown) => err);
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(TsrunError);
    expect(e).toMatchObject({ code, ...more });
    return e as TsrunError;
  }

  test('each error code', async () => {
    await expectCode(state('nope', o()), NotExistError, 'ENOENT_CONTAINER');
    await expectCode(create(uniqueId('api'), { ...o(), bundle: new Bundle((c) => { c.process.args = 'true'; }).dir }), ConfigError, 'CONFIG', { field: 'process.args' });
    const id = uniqueId('api');
    const b = new Bundle().args('sleep', '100');
    await create(id, { ...o(), bundle: b.dir });
    try {
      await expectCode(create(id, { ...o(), bundle: b.dir }), ExistsError, 'EXISTS');
      await start(id, o());
      await expectCode(start(id, o()), StatusError, 'BAD_STATUS', { status: 'running' });
      await expectCode(deleteContainer(id, o()), StatusError, 'BAD_STATUS', { status: 'running' });
      await pause(id, o());
      await expectCode(exec(id, { ...o(), args: ['true'] }), StatusError, 'BAD_STATUS', { status: 'paused' });
      await resume(id, o());
      // the state dir's lock held by another operation (a bounded wait: TSRUN_LOCK_TIMEOUT_MS)
      const { addon, LOCK } = await import('../../src/native/addon');
      const fd = fs.openSync(path.join(root(), id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      const old = process.env.TSRUN_LOCK_TIMEOUT_MS;
      try {
        expect(addon().flock(fd, LOCK.EX | LOCK.NB)).toBe(true);
        process.env.TSRUN_LOCK_TIMEOUT_MS = '100';
        await expectCode(kill(id, 'TERM', o()), LockedError, 'LOCKED');
      } finally {
        if (old === undefined) delete process.env.TSRUN_LOCK_TIMEOUT_MS; else process.env.TSRUN_LOCK_TIMEOUT_MS = old;
        fs.closeSync(fd);
      }
      await kill(id, 'KILL', o());
      expect(await wait(id, o())).toEqual({ code: null, signal: 9 });
      await expectCode(kill(id, 'TERM', o()), StatusError, 'NOT_RUNNING', { status: 'stopped' });
    } finally {
      await deleteContainer(id, { ...o(), force: true });
    }
    const corrupt = uniqueId('api');
    await create(corrupt, { ...o(), bundle: new Bundle().args('true').dir });
    fs.writeFileSync(path.join(root(), corrupt, 'state.json'), '{');
    await expectCode(state(corrupt, o()), CorruptStateError, 'CORRUPT_STATE');
    await deleteContainer(corrupt, { ...o(), force: true });
    expect(new UsageError('flag provided but not defined: -x')).toMatchObject({ code: 'USAGE' }); // the CLI's only
    const e = new SyscallError('open /x', 2, 'mounts[0].source');
    expect(e).toMatchObject({ code: 'SYSCALL', errno: 2, field: 'mounts[0].source', message: 'mounts[0].source: open /x: no such file or directory' });
  }, 60_000);

  test('start() returns the exit status through wait()', async () => {
    const id = uniqueId('api');
    const { pid } = await create(id, { ...o(), bundle: new Bundle().args('sh', '-c', 'exit 4').dir });
    try {
      const started = await start(id, o());
      expect(started.pid).toBe(pid);
      expect(await started.wait()).toEqual({ code: 4, signal: null });
    } finally {
      await deleteContainer(id, { ...o(), force: true });
    }
  });

  test('events() yields stats at the interval and an oom event; aborting ends it with an AbortError', async () => {
    const id = uniqueId('api');
    await run(id, {
      ...o(), detach: true,
      bundle: new Bundle((c) => { c.linux.resources = { ...c.linux.resources, memory: { limit: 32 * MiB, swap: 32 * MiB } }; })
        // An OOM kill every 0.3 s, not one: events() counts kills from its first poll (as runc's
        // eventfd counts from its registration), and under load that poll can come after a first kill.
        // The allocating subshell (and its head and tr) raise their oom_score_adj: a second OOM a few
        // ms after the first (the victim not yet reaped, tr still charging pipe pages) otherwise takes
        // the container's init, the container stops, and events() ends without the abort (1 run in 8 here with a late first poll).
        .args('sh', '-c', 'while :; do sleep 0.3; (echo 1000 >/proc/self/oom_score_adj; x=$(head -c 200000000 /dev/zero | tr "\\0" a)); done').dir,
    });
    const ac = new AbortController();
    const seen: ContainerEvent[] = [];
    const t0 = Date.now();
    let err: unknown;
    try {
      for await (const ev of events(id, { ...o(), interval: 100, signal: ac.signal })) {
        seen.push(ev);
        if (seen.some((e) => e.type === 'oom') && seen.filter((e) => e.type === 'stats').length >= 3) ac.abort('enough');
        if (Date.now() - t0 > 30_000) break;
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: 'enough' });
    expect(seen.find((e) => e.type === 'oom')).toEqual({ type: 'oom', id });
    const stats = seen.filter((e) => e.type === 'stats');
    expect(stats.length).toBeGreaterThan(2);
    expect(stats[0]!.data).toHaveProperty('memory');
    await deleteContainer(id, { ...o(), force: true });
  }, 60_000);

  test('events() ends when the container stops', async () => {
    const id = uniqueId('api');
    await run(id, { ...o(), detach: true, bundle: new Bundle().args('sleep', '0.3').dir });
    const seen: ContainerEvent[] = [];
    for await (const ev of events(id, { ...o(), interval: 50 })) seen.push(ev);
    expect(seen.length).toBeGreaterThan(1);
    await deleteContainer(id, o());
  });

  test('deleteContainer() reaps the init of a container this process created and never waited for; a pending wait() keeps its status', async () => {
    const zombie = (pid: number) => {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        return f[0] === 'Z' && Number(f[1]) === process.pid;
      } catch { return false; }
    };
    // created only, deleted with --force; started, given a detached exec, killed, deleted; run detached, exited, deleted
    const a = uniqueId('api'), b = uniqueId('api'), c = uniqueId('api');
    const pa = (await create(a, { ...o(), bundle: new Bundle().args('sleep', '100').dir })).pid;
    const pb = (await run(b, { ...o(), detach: true, bundle: new Bundle().args('sleep', '100').dir }), (await state(b, o())).pid);
    const pidFile = path.join(root(), `${b}.exec.pid`);
    await exec(b, { ...o(), args: ['sleep', '100'], detach: true, pidFile });
    const pe = Number(fs.readFileSync(pidFile, 'utf8'));
    // a detached exec that exits while the container runs is reaped then, not at delete
    await exec(b, { ...o(), args: ['true'], detach: true, pidFile });
    const pt = Number(fs.readFileSync(pidFile, 'utf8'));
    fs.rmSync(pidFile);
    for (let i = 0; i < 50 && fs.existsSync(`/proc/${pt}`); i++) await new Promise((r) => setTimeout(r, 20));
    expect(fs.existsSync(`/proc/${pt}`)).toBe(false);
    const pc = (await run(c, { ...o(), detach: true, bundle: new Bundle().args('true').dir }), (await state(c, o())).pid);
    await deleteContainer(a, { ...o(), force: true });
    await kill(b, 'KILL', o());
    for (let i = 0; i < 100 && (await state(b, o())).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    await deleteContainer(b, o());
    for (let i = 0; i < 100 && (await state(c, o())).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    await deleteContainer(c, o());
    // before: all four stayed zombie children of this process until it exited
    expect([pa, pb, pe, pc].filter(zombie)).toEqual([]);
    // a wait() pending when delete runs: delete leaves the reaping, and the status, to it
    const d = uniqueId('api');
    const started = (await create(d, { ...o(), bundle: new Bundle().args('sleep', '100').dir }), await start(d, o()));
    const waited = started.wait();
    await deleteContainer(d, { ...o(), force: true });
    expect(await waited).toEqual({ code: null, signal: 9 });
    expect(zombie(started.pid)).toBe(false);
  });

  test('wait(): an abort rejects with AbortError and leaves the container running; an aborted signal rejects at once', async () => {
    const id = uniqueId('api');
    await run(id, { ...o(), detach: true, bundle: new Bundle().args('sleep', '100').dir });
    const ac = new AbortController();
    const waited = wait(id, { ...o(), signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expectCode(waited, AbortError, 'ABORT_ERR');
    expect((await state(id, o())).status).toBe('running');
    await expectCode(wait(id, { ...o(), signal: AbortSignal.abort() }), AbortError, 'ABORT_ERR');
    await kill(id, 'KILL', o());
    expect(await wait(id, o())).toEqual({ code: null, signal: 9 });
    await deleteContainer(id, o());
  });

  test('run(): an abort kills and deletes the container and rejects with AbortError', async () => {
    const id = uniqueId('api');
    const ac = new AbortController();
    const t0 = Date.now();
    const ran = run(id, { ...o(), bundle: new Bundle().args('sleep', '100').dir, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop it')), 300);
    const e = await expectCode(ran, AbortError, 'ABORT_ERR');
    expect((e.cause as Error).message).toBe('stop it');
    expect(Date.now() - t0).toBeLessThan(10_000);
    await expectCode(state(id, o()), NotExistError, 'ENOENT_CONTAINER');
    await expectCode(run(uniqueId('api'), { ...o(), bundle: new Bundle().args('true').dir, signal: AbortSignal.abort() }), AbortError, 'ABORT_ERR');
  });

  test('create(): an abort during a slow prestart hook kills the hook, undoes the create and rejects with AbortError; an aborted signal makes nothing', async () => {
    const id = uniqueId('api');
    const marker = path.join(fs.mkdtempSync(path.join(root(), '..', 'hookpid-')), 'pid');
    const b = new Bundle((c) => { c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ > ${marker}; exec sleep 30`] }] }; }).args('sleep', '100');
    const ac = new AbortController();
    const t0 = Date.now();
    const created = create(id, { ...o(), bundle: b.dir, signal: ac.signal });
    for (let i = 0; i < 200 && !fs.existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
    const hookPid = Number(fs.readFileSync(marker, 'utf8'));
    ac.abort(new Error('enough'));
    const e = await expectCode(created, AbortError, 'ABORT_ERR');
    expect((e.cause as Error).message).toBe('enough');
    expect(Date.now() - t0).toBeLessThan(10_000); // not the hook's 30 s
    expect(fs.existsSync(`/proc/${hookPid}`)).toBe(false);
    expect(fs.existsSync(path.join(root(), id))).toBe(false);
    await expectCode(state(id, o()), NotExistError, 'ENOENT_CONTAINER');
    await expectCode(create(id, { ...o(), bundle: b.dir, signal: AbortSignal.abort() }), AbortError, 'ABORT_ERR');
    expect(fs.existsSync(path.join(root(), id))).toBe(false);
    fs.rmSync(path.dirname(marker), { recursive: true });
  });

  test('exec(): an abort kills the foreground process and rejects with AbortError; the container runs on', async () => {
    const id = uniqueId('api');
    await run(id, { ...o(), detach: true, bundle: new Bundle().args('sleep', '100').dir });
    const ac = new AbortController();
    const t0 = Date.now();
    const ran = exec(id, { ...o(), args: ['sleep', '100'], signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expectCode(ran, AbortError, 'ABORT_ERR');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await state(id, o())).status).toBe('running');
    expect(await pids(id, o())).toEqual([(await state(id, o())).pid]); // the exec'd sleep is gone
    await expectCode(exec(id, { ...o(), args: ['true'], signal: AbortSignal.abort() }), AbortError, 'ABORT_ERR');
    await deleteContainer(id, { ...o(), force: true });
  });
});
