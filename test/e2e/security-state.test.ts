// Attacks on the runtime's own state and bookkeeping (issue 11, red team; runc 1.1.5 the
// control): the --pid-file temp file in a directory the container can write, exec --cgroup
// climbing out of the container's cgroup, a second container in the same cgroupsPath whose
// delete/kill reaches the first, what the NOTIFY_SOCKET relay passes to the host, and a
// corrupt, truncated or missing state.json that made `delete -f` drop a running container.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../../src/native/addon';
import { alive, Bundle, describeRoot, errMsg, readPid, runDetached, sleepMs, stateRoot, TSRUN, tsrun, uniqueId as uid, useLeakChecks, work } from '../helpers/harness';
import { cgroupDir as hostCgroupDir, PROBE_KEY, skipUnless } from '../helpers/host-kind';
import { makeRootfs } from '../helpers/rootfs';

const sleeper = (mutate?: (c: any) => void) => new Bundle(mutate).args('sleep', '100');
const stateFile = (id: string) => path.join(stateRoot('tsrun'), id, 'state.json');
const stateDir = (id: string) => path.join(stateRoot('tsrun'), id);
function waitDead(pid: number, ms = 5000): boolean {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) sleepMs(10);
  return !alive(pid);
}
/** The container's directory in the v1 hierarchy `ctrl` (from its init's /proc/PID/cgroup). */
function cgroupDir(pid: number, ctrl: string): string {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1].split(',').includes(ctrl))!;
  return path.join('/sys/fs/cgroup', ctrl, line.split(':')[2]);
}
/** The message of the last logrus line (the error; warnings come before it). */
const lastMsg = (stderr: string) => errMsg(stderr.trim().split('\n').pop() ?? '');
const hasV1 = (ctrl: string) => fs.existsSync(`/sys/fs/cgroup/${ctrl}/cgroup.procs`);

// ---- 6: --pid-file ----------------------------------------------------------------------------

describeRoot('--pid-file in a directory the container can write (issue 11 #6)', () => {
  useLeakChecks();

  /** Run tsrun from a shell that first plants `link` -> `target` with its own pid ($$, which tsrun keeps: exec). */
  function tsrunAfterPlanting(linkTemplate: string, target: string, args: string[]) {
    return spawnSync('sh', ['-c', `ln -s "$1" "$(printf "$2" $$)" && shift 2 && exec "$@"`, 'sh', target, linkTemplate, TSRUN, '--root', stateRoot('tsrun'), ...args],
      { stdio: 'ignore', timeout: 30_000 });
  }

  test('a symlink planted at the temp name (.NAME.PID.tmp) never redirects the write: create, run -d and exec', () => {
    const dir = fs.mkdtempSync(path.join(work(), 'pidfiles-'));
    fs.chmodSync(dir, 0o777); // a directory the container's uid could write (a bind of it, say)
    const sentinel = path.join(work(), `${uid('sentinel')}.txt`);
    fs.writeFileSync(sentinel, 'host file\n');
    const b = sleeper();
    const ids = [uid(), uid()];
    for (const [i, verb] of (['create', 'run'] as const).entries()) {
      const pidFile = path.join(dir, `${verb}.pid`);
      const r = tsrunAfterPlanting(`${dir}/.${verb}.pid.%s.tmp`, sentinel, [verb, ...(verb === 'run' ? ['-d'] : []), '--bundle', b.dir, '--pid-file', pidFile, ids[i]]);
      expect(r.status).toBe(0);
      expect(fs.readFileSync(sentinel, 'utf8')).toBe('host file\n');
      expect(fs.lstatSync(pidFile).isFile()).toBe(true);
      expect(alive(readPid(pidFile))).toBe(true);
    }
    const execPid = path.join(dir, 'exec.pid');
    const r = tsrunAfterPlanting(`${dir}/.exec.pid.%s.tmp`, sentinel, ['exec', '-d', '--pid-file', execPid, ids[1], 'sleep', '100']);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(sentinel, 'utf8')).toBe('host file\n');
    expect(fs.lstatSync(execPid).isFile()).toBe(true);
    // the temp files are gone; the planted links stay as they were
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).every((f) => fs.lstatSync(path.join(dir, f)).isSymbolicLink())).toBe(true);
    for (const id of ids) expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('a pid file in a directory that does not exist: one error naming the flag, nothing left running', () => {
    const missing = path.join(work(), uid('missing'));
    const b = sleeper();
    const id = uid();
    const c = tsrun(['create', '--bundle', b.dir, '--pid-file', `${missing}/c.pid`, id]);
    expect(c.code).toBe(1);
    expect(lastMsg(c.stderr)).toBe(`--pid-file ${missing}/c.pid: directory ${missing} does not exist`);
    expect(fs.existsSync(stateDir(id))).toBe(false);
    // exec: the process it started is stopped again (runc's exec does the same)
    const id2 = uid();
    runDetached(b, id2);
    const e = tsrun(['exec', '-d', '--pid-file', `${missing}/e.pid`, id2, 'sleep', '100']);
    expect(e.code).toBe(255);
    expect(lastMsg(e.stderr)).toBe(`exec failed: --pid-file ${missing}/e.pid: directory ${missing} does not exist`);
    sleepMs(100);
    expect(tsrun(['ps', '--format', 'json', id2]).stdout.trim()).toMatch(/^\[\d+\]$/); // only the init
    expect(tsrun(['delete', '-f', id2]).code).toBe(0);
  });
});

// ---- 8: exec --cgroup ---------------------------------------------------------------------------

describeRoot('exec --cgroup may not leave the container\'s cgroup (issue 11 #8)', () => {
  useLeakChecks();

  test.each([
    ['..', '..'], ['../../..', '../../..'], ['pids:..', '..'], ['pids,devices:../..', '../..'], ['/..', '/..'], ['a/../..', 'a/../..'],
  ])('--cgroup %s is refused with runc\'s error and exit 255; nothing runs', (arg, sub) => {
    const id = uid();
    runDetached(sleeper(), id);
    const r = tsrun(['exec', '--cgroup', arg, id, 'cat', '/proc/self/cgroup']);
    expect({ code: r.code, msg: errMsg(r.stderr), out: r.stdout }).toEqual({ code: 255, msg: `exec failed: ${sub} is not a sub cgroup path`, out: '' });
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });
});

// ---- 9: two containers in one cgroup -----------------------------------------------------------

describeRoot('a second container in the same linux.cgroupsPath (issue 11 #9)', () => {
  useLeakChecks();

  const shared = (cgroupsPath: string, pidns = true) => sleeper((c) => {
    c.linux.cgroupsPath = cgroupsPath;
    if (!pidns) c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'pid');
  });

  test.each([['its own pid namespace', true], ['the host\'s pid namespace', false]])(
    'with %s: create warns like runc; kill --all and delete -f of either reach only its own processes', (_, pidns) => {
      const b = shared(`/${uid('shared')}`, pidns as boolean);
      const [a, second] = [uid(), uid()];
      const pa = runDetached(b, a);
      const pidFile = path.join(b.dir, `${second}.pid`);
      const r = tsrun(['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, second]);
      expect(r.code).toBe(0);
      const pb = readPid(pidFile);
      // kill --all of the second: the first keeps running
      expect(tsrun(['kill', '--all', second, 'KILL']).code).toBe(0);
      expect(waitDead(pb)).toBe(true);
      sleepMs(100);
      expect(alive(pa)).toBe(true);
      expect(tsrun(['delete', '-f', second]).code).toBe(0);
      expect(alive(pa)).toBe(true);
      expect(JSON.parse(tsrun(['state', a]).stdout).status).toBe('running');
      // the other way round: the creator's delete leaves a later container alone
      const third = uid();
      const pc = runDetached(b, third);
      expect(tsrun(['delete', '-f', a]).code).toBe(0);
      expect(waitDead(pa)).toBe(true);
      expect(alive(pc)).toBe(true);
      expect(tsrun(['delete', '-f', third]).code).toBe(0);
      expect(waitDead(pc)).toBe(true);
      expect(r.stderr).toContain('container\'s cgroup is not empty: 1 process(es) found');
    });

  test('a container under another --root in the same cgroup (not seen by the creator\'s root): delete -f of the creator leaves it alone', () => {
    const b = shared(`/${uid('shared')}`);
    const otherRoot = fs.mkdtempSync(path.join(work(), 'other-root-'));
    const [a, other] = [uid(), uid()];
    const pa = runDetached(b, a);
    const pidFile = path.join(b.dir, `${other}.pid`);
    const inOther = (args: string[]) => spawnSync(TSRUN, ['--root', otherRoot, ...args], { stdio: 'ignore', timeout: 30_000 }).status;
    try {
      expect(inOther(['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, other])).toBe(0);
      const po = readPid(pidFile);
      expect(tsrun(['delete', '-f', a]).code).toBe(0);
      expect(waitDead(pa)).toBe(true);
      sleepMs(100);
      expect(alive(po)).toBe(true);
    } finally {
      expect(inOther(['delete', '-f', other])).toBe(0);
    }
  });

  test('a frozen cgroup is refused at create (runc\'s error), not waited on', () => {
    const b = shared(`/${uid('shared')}`);
    const [a, second] = [uid(), uid()];
    runDetached(b, a);
    expect(tsrun(['pause', a]).code).toBe(0);
    try {
      const t0 = Date.now();
      const r = tsrun(['create', '--bundle', b.dir, second], { timeout: 20_000 });
      expect({ code: r.code, msg: lastMsg(r.stderr) }).toEqual({ code: 1, msg: 'container\'s cgroup unexpectedly frozen' });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(fs.existsSync(stateDir(second))).toBe(false);
    } finally {
      expect(tsrun(['resume', a]).code).toBe(0);
    }
    expect(tsrun(['delete', '-f', a]).code).toBe(0);
  });
});

// ---- 11: NOTIFY_SOCKET -------------------------------------------------------------------------

describeRoot('NOTIFY_SOCKET relay forwards READY=1 only (issue 11 #11)', () => {
  useLeakChecks();

  test('WATCHDOG_USEC, STOPPING, NOTIFYACCESS, FDSTORE, EXTEND_TIMEOUT_USEC and a forged MAINPID never reach the host socket', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'notify-')));
    const cc = spawnSync('gcc', ['-static', '-O2', '-o', path.join(rootfs, 'bin/sdnotify'), path.join(__dirname, '../helpers/sdnotify.c')], { encoding: 'utf8' });
    expect(cc.status).toBe(0);
    const hostSock = path.join(work(), `${uid()}.sock`);
    const fd = addon().bindUnixDgram(hostSock);
    const id = uid();
    try {
      const b = new Bundle(() => {}, { rootfs }).args('sh', '-c',
        'sdnotify WATCHDOG=1; sdnotify FDSTORE=1; sdnotify "$(printf "STOPPING=1\\nWATCHDOG_USEC=1\\nREADY=1\\nNOTIFYACCESS=all\\nFDSTORE=1\\nEXTEND_TIMEOUT_USEC=1\\nMAINPID=1")"; sdnotify STOPPING=1; sleep 100');
      const pidFile = path.join(b.dir, 'pid');
      const r = spawnSync(TSRUN, ['--root', stateRoot('tsrun'), 'run', '-d', '--pid-file', pidFile, '--bundle', b.dir, id],
        { env: { ...process.env, NOTIFY_SOCKET: hostSock }, stdio: 'ignore', timeout: 30_000 });
      expect(r.status).toBe(0);
      const pid = readPid(pidFile);
      const got: string[] = [];
      for (let m = addon().recvDgram(fd, 3000); m !== null; m = addon().recvDgram(fd, 300)) got.push(m);
      expect(got).toEqual([`READY=1\nMAINPID=${pid}\n`]);
    } finally {
      addon().close(fd);
      tsrun(['delete', '-f', id]);
    }
  });
});

// ---- 13: corrupt, truncated or missing state.json ----------------------------------------------

describeRoot('a corrupt, truncated or missing state.json (issue 11 #13)', () => {
  useLeakChecks();

  // the last one is well-formed JSON: found when a command is about to act on the cgroups (all of
  // the host's processes are in a hierarchy's root)
  const corruptions: [string, (text: string) => string, string[]][] = [
    ['[1,2,3]', () => '[1,2,3]', ['state', 'kill']],
    ['truncated', (t) => t.slice(0, Math.floor(t.length / 2)), ['state', 'kill']],
    ['empty', () => '', ['state', 'kill']],
    ['pid of the wrong type', (t) => t.replace(/"pid":(\d+)/, '"pid":"$1"'), ['state', 'kill']],
    ['cgroupPaths that point at a hierarchy root', (t) => t.replace(/"cgroupPaths":\{[^}]*\}/, `"cgroupPaths":{${JSON.stringify(PROBE_KEY)}:${JSON.stringify(hostCgroupDir(PROBE_KEY, '/'))}}`), ['pause']],
    // a v1 hierarchy on a pure v2 host (or one this host does not mount): not a cgroup to act on
    ['cgroupPaths of a hierarchy the host does not have', (t) => t.replace(/"cgroupPaths":\{[^}]*\}/, '"cgroupPaths":{"nonexistent":"/sys/fs/cgroup/nonexistent/x"}'), ['pause']],
  ];

  test.each(corruptions)('%s: a clear error naming the file; delete -f still kills the container and removes everything', (_, corrupt, verbs) => {
    const id = uid();
    const pid = runDetached(sleeper(), id);
    fs.writeFileSync(stateFile(id), corrupt(fs.readFileSync(stateFile(id), 'utf8')));
    for (const args of [...verbs.map((v) => [v, id]), ['delete', id], ['kill', '--all', id, 'KILL']]) {
      const r = tsrun(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(errMsg(r.stderr)).toMatch(new RegExp(`^state\\.json of container ${id} is corrupt: .+`));
      expect(errMsg(r.stderr)).toContain(stateFile(id));
    }
    expect(alive(pid)).toBe(true);
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(waitDead(pid, 1000)).toBe(true);
    expect(fs.existsSync(stateDir(id))).toBe(false);
  });

  test('a running container whose state.json is gone: delete -f finds it by its cgroup, kills it and removes the dir', () => {
    const id = uid();
    const pid = runDetached(sleeper(), id);
    fs.rmSync(stateFile(id));
    expect(tsrun(['state', id]).code).toBe(1);
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(waitDead(pid, 1000)).toBe(true);
    expect(fs.existsSync(stateDir(id))).toBe(false);
  });

  test('an aborted create (a state dir without state.json): delete removes it as runc does, and it does not block a new create', () => {
    const [a, second] = [uid(), uid()];
    for (const id of [a, second]) {
      fs.mkdirSync(stateDir(id), { recursive: true });
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(stateDir(id), old, old);
    }
    expect(tsrun(['delete', '--force', a]).code).toBe(0);
    expect(fs.existsSync(stateDir(a))).toBe(false);
    const b = sleeper();
    const c = tsrun(['create', '--bundle', b.dir, second]);
    expect({ code: c.code, err: c.stderr }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(tsrun(['state', second]).stdout).status).toBe('created');
    expect(tsrun(['delete', '--force', second]).code).toBe(0);
  });

  // v1 freezer only: a frozen child cgroup stays frozen when the parent thaws, and its tasks
  // ignore SIGKILL; the v2 freezer lets SIGKILL through, so nothing can survive there
  const frozenSurvivor = skipUnless(hasV1('freezer'), 'no v1 freezer: under cgroup v2 a frozen process still dies of SIGKILL');
  frozenSurvivor.test.each([['a corrupt', true], ['a valid', false]])(frozenSurvivor.name('%s state.json and a process that survives SIGKILL (frozen child cgroup): delete -f fails and keeps the state; a retry cleans up'), (_, corruptIt) => {
    const id = uid();
    const pid = runDetached(new Bundle().args('sh', '-c', 'sleep 100 & exec sleep 100'), id);
    const freezer = cgroupDir(pid, 'freezer');
    let child = 0;
    for (let i = 0; i < 100 && !child; i++) {
      child = fs.readFileSync(path.join(freezer, 'cgroup.procs'), 'utf8').split('\n').map(Number).find((p) => p && p !== pid) ?? 0;
      if (!child) sleepMs(20);
    }
    expect(child).toBeGreaterThan(0);
    const sub = path.join(freezer, 'stuck');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'cgroup.procs'), String(child));
    fs.writeFileSync(path.join(sub, 'freezer.state'), 'FROZEN');
    try {
      if (corruptIt) fs.writeFileSync(stateFile(id), '[1,2,3]');
      const r = tsrun(['delete', '--force', id], { timeout: 40_000 });
      expect(r.code).toBe(1);
      expect(errMsg(r.stderr)).toMatch(new RegExp(`^container ${id}: process(?:es)? [\\d, ]*\\b${child}\\b[\\d, ]* still running after SIGKILL; state kept, run delete --force again$`));
      expect(fs.existsSync(stateDir(id))).toBe(true);
      expect(alive(child)).toBe(true);
    } finally {
      fs.writeFileSync(path.join(sub, 'freezer.state'), 'THAWED'); // a failed assertion must not leave a frozen process behind
    }
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(waitDead(child, 1000)).toBe(true);
    expect(fs.existsSync(stateDir(id))).toBe(false);
  });
});
