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
