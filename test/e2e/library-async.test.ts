// The library is asynchronous for real (issue 16): create's waits for the child (the sync
// socket), its hooks and the fifo wait are on the event loop, not a blocked JS thread. Before,
// a create with a 1 s prestart hook stopped every timer of the host process for that second,
// and concurrent create() calls ran one after the other.
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { AbortError, create, deleteContainer, exec, kill, start, wait } from '../../src/lib';
import { addon } from '../../src/native/addon';
import { Bundle, describeRoot, stateRoot, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { IN_GUEST } from '../helpers/host-kind';

jest.setTimeout(180_000);

/** The largest gap between ticks of a 1 ms interval while `fn` runs. */
async function maxTimerGap(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let max = 0;
  const iv = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  try {
    await fn();
    const now = performance.now();
    return Math.max(max, now - last);
  } finally {
    clearInterval(iv);
  }
}

/** The realtime (ms since the epoch, sub-ms) of each tick of a 1 ms interval while `fn` runs, and of its start and end. */
async function timerTicks(fn: () => Promise<unknown>): Promise<number[]> {
  // performance.now() is monotonic; its offset to the realtime clock (which the hook's `date` reads) is taken now
  const off = Date.now() - performance.now();
  const ticks = [performance.now() + off];
  const iv = setInterval(() => ticks.push(performance.now() + off), 1);
  try {
    await fn();
    ticks.push(performance.now() + off);
    return ticks;
  } finally {
    clearInterval(iv);
  }
}

/** The largest gap between ticks, or only its part inside `within` ([start, end]). */
function maxGap(ticks: number[], within: [number, number] = [-Infinity, Infinity]): number {
  let max = 0;
  for (let i = 1; i < ticks.length; i++) max = Math.max(max, Math.min(ticks[i], within[1]) - Math.max(ticks[i - 1], within[0]));
  return max;
}

/** The most intervals [start, end] that overlap at one instant. */
function maxOverlap(iv: [number, number][]): number {
  const ev = iv.flatMap(([s, e]) => [[s, 1], [e, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) max = Math.max(max, (cur += d));
  return max;
}

describeRoot('library: create does not block the event loop', () => {
  useLeakChecks();
  const root = () => stateRoot('tsrun');

  test('a 1 ms timer keeps firing during a create whose prestart hook sleeps 1 s (while the hook runs: no gap beyond the host\'s idle noise)', async () => {
    const log = path.join(work(), `hook-window-${process.pid}`);
    // The hook stamps the middle 0.6 s of its second (realtime, ns): there create has nothing to do
    // but wait. Its own work before the hook (the plan, the clone and the hook's spawn, forks of
    // the whole process) is CPU time, which a loaded host stretches past the noise of an idle
    // timer (15-30 ms against 7-10 under 4 CPU hogs, all of it before the hook started).
    const b = new Bundle((c) => {
      c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `sleep 0.2; date +%s%N > ${log}; sleep 0.6; date +%s%N >> ${log}; sleep 0.2`] }] };
    }).args('true');
    const warm = new Bundle().args('true');
    // the first create of a process loads the validators and the addon: not what is measured
    const w = uniqueId('async');
    await create(w, { root: root(), bundle: warm.dir });
    await deleteContainer(w, { root: root(), force: true });
    // the host is shared with other test runs: its own scheduling noise (the largest gap of an
    // idle 1 ms interval over a second) is measured next to each create, and the best of three
    // runs is taken. Blocking for the hook's second (the old code) fails every run: the gap in
    // the hook's window is the whole window, the create's gap the whole second.
    const runs: { gap: number; hook: number; idle: number }[] = [];
    // In the user-mode Linux guest a fork of the Node process alone stops it for 60-90 ms (page
    // tables copied through ptrace): there the bound is a quarter of the hook's second, which a
    // create blocked on its hook still fails.
    const ok = (r: { gap: number; hook: number; idle: number }) => r.gap < 5 || (r.gap < 100 && r.hook <= r.idle + 10) || (IN_GUEST && r.gap < 250);
    for (let i = 0; i < 3 && !runs.some(ok); i++) {
      const id = uniqueId('async');
      const t0 = performance.now();
      const ticks = await timerTicks(() => create(id, { root: root(), bundle: b.dir }));
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1000); // the hook ran, and was waited for
      const [s, e] = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(BigInt(l) / 1000n) / 1000);
      fs.rmSync(log);
      expect(e - s).toBeGreaterThanOrEqual(600);
      const idle = await maxTimerGap(() => new Promise((r) => setTimeout(r, 1000)));
      runs.push({ gap: maxGap(ticks), hook: maxGap(ticks, [s, e]), idle });
      await deleteContainer(id, { root: root(), force: true });
    }
    console.log(`max timer gap during a create with a 1 s hook, in the hook's middle 0.6 s and idle 1 s alongside: ${runs.map((r) => `${r.gap.toFixed(2)}, ${r.hook.toFixed(2)} (${r.idle.toFixed(2)})`).join('; ')} ms`);
    expect({ runs, passed: runs.some(ok) }).toEqual({ runs, passed: true });
  });

  // In the user-mode Linux guest a create costs 400-600 ms of CPU: hooks of 0.1 s could never
  // overlap there, so it runs 10 creates with a 2 s hook (the same proof: concurrent creates
  // reach their hooks while others' hooks run, and the total is well under the sequential one).
  const N = IN_GUEST ? 10 : 50;
  const HOOK_S = IN_GUEST ? 2 : 0.1;
  test(`${N} concurrent creates overlap (their ${HOOK_S} s hooks run at once) and finish sooner than ${N} sequential ones; all deleted`, async () => {
    const log = path.join(work(), `hook-times-${process.pid}`);
    // each hook logs when it ran: "start end" in ns
    const b = new Bundle((c) => {
      c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `s=$(date +%s%N); sleep ${HOOK_S}; echo "$s $(date +%s%N)" >> ${log}`] }] };
    }).args('true');
    const hookIntervals = (): [number, number][] => {
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.trim());
      fs.rmSync(log);
      return lines.map((l) => l.split(' ').map((n) => Number(BigInt(n) / 1000n) / 1000) as [number, number]);
    };
    const ids = (n: number) => Array.from({ length: n }, () => uniqueId('async'));
    const seq = ids(N);
    let t0 = performance.now();
    for (const id of seq) await create(id, { root: root(), bundle: b.dir });
    const sequentialMs = performance.now() - t0;
    const seqOverlap = maxOverlap(hookIntervals());
    const par = ids(N);
    const spans: [number, number][] = [];
    t0 = performance.now();
    await Promise.all(par.map(async (id) => {
      const s = performance.now();
      await create(id, { root: root(), bundle: b.dir });
      spans.push([s, performance.now()]);
    }));
    const concurrentMs = performance.now() - t0;
    const hooks = hookIntervals();
    const parOverlap = maxOverlap(hooks);
    console.log(`${N} creates with a ${HOOK_S} s hook: sequential ${sequentialMs.toFixed(0)} ms (at most ${seqOverlap} hook at once), `
      + `concurrent ${concurrentMs.toFixed(0)} ms (up to ${parOverlap} hooks at once; first create done at ${(Math.min(...spans.map((x) => x[1])) - t0).toFixed(0)} ms)`);
    for (const id of [...seq, ...par]) await deleteContainer(id, { root: root(), force: true });
    expect(hooks).toHaveLength(N);
    expect(seqOverlap).toBe(1);
    expect(parOverlap).toBeGreaterThanOrEqual(3);
    // N hooks of HOOK_S each: the concurrent total under half the sequential one only if they
    // overlapped (and, on the host, under the hooks' sum of 5 s)
    expect(concurrentMs).toBeLessThan(Math.min(IN_GUEST ? Infinity : N * HOOK_S * 1000, sequentialMs / 2));
    for (const id of [...seq, ...par]) expect(fs.existsSync(path.join(root(), id))).toBe(false);
  });

  test('concurrent creates: no fd beyond 0-2 reaches a hook, while the others hold their sockets, fifos and locks', async () => {
    const log = path.join(work(), `hook-fds-${process.pid}`);
    // an fd the host left inheritable, as the CLI test's fd 40: the hooks must not get it either
    const open = fs.openSync('/dev/null', 'r');
    addon().fds.clearCloexec([open]);
    const list = `ls -l /proc/self/fd/ | awk 'NF > 3 && $NF !~ /^\\/proc\\/[0-9]+\\/fd$/ { printf "%s ", $(NF-2) }'`;
    const b = new Bundle((c) => {
      c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `sleep 0.05; echo "$(${list})" >> ${log}`] }], createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo "$(${list})" >> ${log}`] }] };
    }).args('true');
    const ids = Array.from({ length: 8 }, () => uniqueId('async'));
    try {
      await Promise.all(ids.map((id) => create(id, { root: root(), bundle: b.dir })));
    } finally {
      fs.closeSync(open);
      for (const id of ids) await deleteContainer(id, { root: root(), force: true }).catch(() => undefined);
    }
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.trim());
    expect(lines).toEqual(Array(16).fill('0 1 2'));
  });

  test('concurrent starts of processes that exit at once: each start takes the init\'s answer, none says it died before start', async () => {
    // the init answers on exec.fifo, execs `true` and is gone before start looks again: the
    // answer is still in the fifo (bench/bulk.mjs -c 8 hit "exited before start (exit status 0)")
    const b = new Bundle().args('true');
    const ids = Array.from({ length: 24 }, () => uniqueId('async'));
    try {
      for (const id of ids) await create(id, { root: root(), bundle: b.dir });
      const r = await Promise.allSettled(ids.map((id) => start(id, { root: root() })));
      expect(r.filter((x) => x.status === 'rejected').map((x) => String((x as PromiseRejectedResult).reason))).toEqual([]);
    } finally {
      for (const id of ids) await deleteContainer(id, { root: root(), force: true }).catch(() => undefined);
    }
  });

  test('start\'s poststart hook, its wait for READY=1 and delete\'s poststop hook (and its wait for killed processes) keep the event loop running', async () => {
    // each waits about 1 s: a blocked thread misses every tick for that second; the bound is half
    // of it (a guest's fork and scheduling noise stay well below)
    const hook = (kind: string) => ({ [kind]: [{ path: '/bin/sleep', args: ['sleep', '1'] }] });
    const id = uniqueId('async');
    const b = new Bundle((c) => { c.hooks = { ...hook('poststart'), ...hook('poststop') }; }).args('sleep', '100');
    await create(id, { root: root(), bundle: b.dir });
    const gaps: Record<string, number> = {};
    const t0 = performance.now();
    gaps.poststart = await maxTimerGap(() => start(id, { root: root() }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    const t1 = performance.now();
    gaps.poststop = await maxTimerGap(() => deleteContainer(id, { root: root(), force: true }));
    expect(performance.now() - t1).toBeGreaterThanOrEqual(1000);
    // a container that never says READY=1: start waits for it (bounded here to 1 s), then fails
    const sockDir = fs.mkdtempSync(path.join(work(), 'notify-'));
    const sock = path.join(sockDir, 'host.sock');
    const fd = addon().bindUnixDgram(sock);
    const id2 = uniqueId('async');
    process.env.NOTIFY_SOCKET = sock;
    process.env.TSRUN_READY_TIMEOUT_MS = '1000';
    try {
      await create(id2, { root: root(), bundle: new Bundle().args('sleep', '100').dir });
      gaps.ready = await maxTimerGap(() => expect(start(id2, { root: root() })).rejects.toThrow(/timed out after 1s waiting for the container .* to send READY=1/));
    } finally {
      delete process.env.NOTIFY_SOCKET;
      delete process.env.TSRUN_READY_TIMEOUT_MS;
      addon().close(fd);
      await deleteContainer(id2, { root: root(), force: true });
    }
    console.log(`max timer gap during start with a 1 s poststart hook, delete with a 1 s poststop hook, start waiting 1 s for READY=1: ${JSON.stringify(gaps)}`);
    expect(Object.entries(gaps).filter(([, g]) => g >= 500)).toEqual([]);
  });

  test('a call waiting for the lock another operation holds keeps the event loop running; an abort ends an exec\'s wait and leaks no fd', async () => {
    const id = uniqueId('async');
    await create(id, { root: root(), bundle: new Bundle().args('sleep', '100').dir });
    const dir = path.join(root(), id);
    /** Another operation: a process holding the state dir's flock for `s` seconds. */
    const holdLock = async (s: number) => {
      // its own process group: a kill of -pid ends flock and the sleep that inherited the lock's fd
      const p = spawn('flock', [dir, 'sh', '-c', `echo held; exec sleep ${s}`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      await new Promise<void>((resolve, reject) => { p.stdout!.once('data', () => resolve()); p.once('exit', () => reject(new Error('flock exited'))); });
      return p;
    };
    try {
      await start(id, { root: root() });
      const fds = () => fs.readdirSync('/proc/self/fd').length;
      let holder = await holdLock(10);
      const before = fds();
      const ac = new AbortController();
      setTimeout(() => ac.abort('enough'), 300);
      const t0 = performance.now();
      const gapExec = await maxTimerGap(() => expect(exec(id, { root: root(), args: ['true'], signal: ac.signal })).rejects.toBeInstanceOf(AbortError));
      const aborted = performance.now() - t0;
      expect(fds()).toBe(before);
      const gone = new Promise((r) => holder.once('exit', r));
      process.kill(-holder.pid!, 'SIGKILL');
      await gone;
      holder = await holdLock(1);
      const t1 = performance.now();
      const released = new Promise((r) => holder.once('exit', r));
      const gapKill = await maxTimerGap(() => kill(id, 'KILL', { root: root() }));
      const killed = performance.now() - t1;
      await released;
      console.log(`lock waits: exec aborted after ${aborted.toFixed(0)} ms (max timer gap ${gapExec.toFixed(1)} ms), kill waited ${killed.toFixed(0)} ms (gap ${gapKill.toFixed(1)} ms)`);
      // before: both waits blocked the thread (Atomics.wait): the gaps were the waits themselves,
      // and the abort was seen only after the lock wait's 10 s bound
      expect(aborted).toBeLessThan(2000);
      expect(killed).toBeGreaterThanOrEqual(700);
      expect(Math.max(gapExec, gapKill)).toBeLessThan(IN_GUEST ? 250 : 100);
      expect(await wait(id, { root: root() })).toEqual({ code: null, signal: 9 });
    } finally {
      await deleteContainer(id, { root: root(), force: true });
    }
  });
});
