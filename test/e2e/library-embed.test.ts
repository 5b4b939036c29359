// The library embedded in a host program: a call changes nothing process-wide. No signal
// handler unless asked (forwardSignals), no umask flip, no raised limit, nothing written to the
// host's stderr (log lines go to setLogger's function, or nowhere).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { create, deleteContainer, exec, run, setLogger, start, wait } from '../../src/lib';
import { Bundle, ROOT_DIR, describeRoot, stateRoot, uniqueId, useLeakChecks, work } from '../helpers/harness';

const SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM', 'SIGPIPE', 'SIGWINCH'];
const listeners = () => Object.fromEntries(SIGNALS.map((s) => [s, process.listenerCount(s)]));
const limits = () => fs.readFileSync('/proc/self/limits', 'utf8');
const umaskNow = () => /^Umask:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];

/** A config with a deprecated relative mount destination: validation warns about it. */
const warningBundle = (...args: string[]) => new Bundle((c) => {
  c.mounts.push({ destination: 'tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
}).args(...args);

describeRoot('library: no process-wide side effects', () => {
  useLeakChecks();
  const root = () => stateRoot('tsrun');

  test('create/start/wait/run/exec/delete leave signal handlers, umask, limits and stderr alone', async () => {
    const before = { listeners: listeners(), limits: limits(), umask: umaskNow() };
    const during: Array<Record<string, number>> = [];
    const umasks = new Set<string>();
    const sampler = setInterval(() => { during.push(listeners()); umasks.add(umaskNow()); }, 5);
    // (fs.writeSync(2, ...) cannot be spied on: the strace test below sees those writes)
    const written: string[] = [];
    const es = jest.spyOn(process.stderr, 'write').mockImplementation(((s: string) => { written.push(String(s)); return true; }) as typeof process.stderr.write);
    try {
      const id = uniqueId('embed');
      // The init lives until the exec says it is done (at most 10 s), not a fixed 0.3 s: in the
      // user-mode Linux guest start + exec took longer, the init's exit killed the exec'd process
      // with its pid namespace, and exec returned 137 (seen in the guest stage of .ci/run)
      await create(id, { root: root(), bundle: warningBundle('sh', '-c', 'i=0; while [ ! -e /tmp/done ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e /tmp/done ]').dir });
      await start(id, { root: root() });
      expect(await exec(id, { root: root(), args: ['sh', '-c', 'sleep 0.1; touch /tmp/done; exit 3'] })).toBe(3);
      expect(await wait(id, { root: root() })).toEqual({ code: 0, signal: null });
      await deleteContainer(id, { root: root() });
      expect(await run(uniqueId('embed'), { root: root(), bundle: warningBundle('sleep', '0.2').dir })).toBe(0);
    } finally {
      clearInterval(sampler);
      es.mockRestore();
    }
    expect(during.length).toBeGreaterThan(10);
    expect(during.filter((d) => JSON.stringify(d) !== JSON.stringify(before.listeners))).toEqual([]);
    expect(listeners()).toEqual(before.listeners);
    expect([...umasks]).toEqual([before.umask]);
    expect(limits()).toBe(before.limits);
    expect(written).toEqual([]);
  }, 30_000);

  test('forwardSignals: true forwards as the CLI does, and removes its handlers after', async () => {
    const before = listeners();
    const id = uniqueId('embed');
    const out = fs.mkdtempSync(path.join(work(), 'embed-out-'));
    const b = new Bundle((c) => { c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] }); })
      .args('sh', '-c', 'trap "exit 7" TERM; touch /out/trapped; sleep 5 & wait');
    const ran = run(id, { root: root(), bundle: b.dir, forwardSignals: true });
    // run installs its handler before start; the container says when its trap is set (a SIGTERM
    // before it is dropped: the init of a pid namespace ignores a signal it has no handler for;
    // a fixed 200 ms wait lost that race under load)
    for (let i = 0; i < 750 && !fs.existsSync(path.join(out, 'trapped')); i++) await new Promise((r) => setTimeout(r, 20));
    const seen = listeners();
    process.emit('SIGTERM', 'SIGTERM');
    expect(await ran).toBe(7);
    expect(seen.SIGTERM).toBe(before.SIGTERM! + 1);
    expect(listeners()).toEqual(before);
  }, 30_000);

  test('setLogger receives the warnings; setLogger(null) is silent again', async () => {
    const lines: string[] = [];
    setLogger((level, msg) => lines.push(`${level}: ${msg}`));
    try {
      expect(await run(uniqueId('embed'), { root: root(), bundle: warningBundle('true').dir })).toBe(0);
    } finally {
      setLogger(null);
    }
    expect(lines).toEqual([expect.stringMatching(/^warning: mounts\[\d+\]\.destination: relative destination "tmp" is deprecated/)]);
  }, 30_000);

  // The umask flip lasted one mkfifo: sampling cannot see it reliably, a trace of the host's main
  // thread (the container's child is not traced: no -f) can. Also no setrlimit/prlimit64 and no
  // rt_sigaction for the forwarded signals between the markers.
  test('strace of a host program: no umask, setrlimit or signal-handler syscall on its thread', () => {
    const script = path.join(work(), 'embed-host.js');
    const rootDir = root();
    const bundle = warningBundle('true').dir;
    fs.writeFileSync(script, `
const fs = require('fs');
const lib = require(${JSON.stringify(path.join(ROOT_DIR, 'dist/lib.js'))});
(async () => {
  fs.writeSync(1, 'BEGIN\\n');
  const id = ${JSON.stringify(uniqueId('embed'))};
  await lib.create(id, { root: ${JSON.stringify(rootDir)}, bundle: ${JSON.stringify(bundle)} });
  await lib.start(id, { root: ${JSON.stringify(rootDir)} });
  await lib.wait(id, { root: ${JSON.stringify(rootDir)} });
  await lib.deleteContainer(id, { root: ${JSON.stringify(rootDir)} });
  await lib.run(id, { root: ${JSON.stringify(rootDir)}, bundle: ${JSON.stringify(bundle)} });
  fs.writeSync(1, 'END\\n');
})().catch((e) => { console.error(e); process.exit(1); });
`);
    const r = spawnSync('strace', ['-qq', '-e', 'trace=umask,setrlimit,prlimit64,rt_sigaction,write', '-e', 'signal=none', process.execPath, script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const trace = r.stderr.split('\n');
    const from = trace.findIndex((l) => l.includes('"BEGIN\\n"'));
    const to = trace.findIndex((l) => l.includes('"END\\n"'));
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const effects = trace.slice(from + 1, to).filter((l) => /^(umask|setrlimit|prlimit64\(0, [^,]+, \{|rt_sigaction\(SIG(HUP|INT|QUIT|TERM|USR1|USR2|CONT|ALRM|PIPE|WINCH),)|^write\(2,/.test(l));
    expect(effects).toEqual([]);
  }, 60_000);
});
