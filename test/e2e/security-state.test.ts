// Attacks on the runtime's own state and bookkeeping (issue 11, red team; runc 1.1.5 the
// control): the --pid-file temp file in a directory the container can write, exec --cgroup
// climbing out of the container's cgroup, a second container in the same cgroupsPath whose
// delete/kill reaches the first, what the NOTIFY_SOCKET relay passes to the host, and a
// corrupt, truncated or missing state.json that made `delete -f` drop a running container.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addon } from '../../src/native/addon';
import {
  Bundle, describeRoot, errMsg, readPid, runDetached, sleepMs, stateRoot, TSRUN, tsrun, uniqueId as uid, useLeakChecks, work,
} from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';

const sleeper = (mutate?: (c: any) => void) => new Bundle(mutate).args('sleep', '100');
const stateFile = (id: string) => path.join(stateRoot('tsrun'), id, 'state.json');
const stateDir = (id: string) => path.join(stateRoot('tsrun'), id);

/** Alive and not a zombie (what `kill -0` cannot tell). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}
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
