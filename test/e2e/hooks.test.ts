// OCI hooks: every kind at its point, in its namespaces, with the state on stdin, args, env,
// timeouts and the spec's failure semantics.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';

function hostHook(log: string): string {
  const p = path.join(work(), `hook-${uniqueId()}.sh`);
  // logs: kind, the state JSON from stdin, the mount namespace it ran in, and an env value
  fs.writeFileSync(p, `#!/bin/sh\nstate=$(cat)\necho "$1|$state|$(readlink /proc/self/ns/mnt)|$HOOK_ENV" >> ${log}\n`, { mode: 0o755 });
  return p;
}

const hook = (p: string, kind: string, extra: object = {}) => ({ path: p, args: [p, kind], env: [`HOOK_ENV=${kind}-env`], ...extra });

describeRoot('hooks', () => {
  useLeakChecks();

  test('all six kinds run in order, with state on stdin, args and env, createContainer/startContainer in the container', () => {
    const log = path.join(work(), `${uniqueId()}.log`);
    const h = hostHook(log);
    // startContainer resolves inside the container: a script in the rootfs, writing to the container's /dev/shm
    const b = new Bundle((c) => {
      c.hooks = {
        prestart: [hook(h, 'prestart')], createRuntime: [hook(h, 'createRuntime')], createContainer: [hook(h, 'createContainer')],
        startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/shm/start-state; readlink /proc/self/ns/mnt > /dev/shm/start-ns'] }],
        poststart: [hook(h, 'poststart')], poststop: [hook(h, 'poststop')],
      };
      c.annotations = { 'org.example/key': 'value' };
    }).args('sleep', '100');
    const id = uniqueId();
    const pidFile = path.join(b.dir, 'pid');
    expect(tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id])).toMatchObject({ code: 0, stderr: '' });
    const pid = readPid(pidFile);
    const containerMnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
    expect(tsrun(['start', id])).toMatchObject({ code: 0, stderr: '' });
    const startState = JSON.parse(fs.readFileSync(`/proc/${pid}/root/dev/shm/start-state`, 'utf8'));
    // run by the init itself: its pid as the container sees it (runtime-spec state.pid, runc)
    expect(startState).toMatchObject({ id, status: 'created', pid: 1, bundle: b.dir, annotations: { 'org.example/key': 'value' } });
    expect(fs.readFileSync(`/proc/${pid}/root/dev/shm/start-ns`, 'utf8').trim()).toBe(containerMnt);
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('|'));
    expect(lines.map((l) => l[0])).toEqual(['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']);
    const byKind = Object.fromEntries(lines.map((l) => [l[0], { state: JSON.parse(l[1]), mnt: l[2], env: l[3] }]));
    expect(byKind.prestart.state).toMatchObject({ id, status: 'creating', pid, bundle: b.dir });
    expect(byKind.createRuntime.mnt).toBe(hostMnt);
    expect(byKind.createContainer.mnt).toBe(containerMnt);
    expect(byKind.poststart.state.status).toBe('running');
    expect(byKind.poststop.state.status).toBe('stopped');
    expect(byKind.createRuntime.env).toBe('createRuntime-env');
  });

  test('a failing createRuntime hook aborts create, names the hook, and leaves nothing behind', () => {
    const b = new Bundle((c) => { c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] }; }).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toBe('hooks.createRuntime[0]: /bin/sh exited with status 3: nope');
  });

  test('a hook past its timeout is killed and create fails; a hook that ignores stdin is fine', () => {
    const b = new Bundle((c) => { c.hooks = { prestart: [{ path: '/bin/true' }, { path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }; }).args('true');
    const t0 = Date.now();
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toBe('hooks.prestart[1]: /bin/sleep did not finish within its timeout of 1s and was killed');
  });

  test('a failing startContainer hook stops the container; a failing poststop hook only warns', () => {
    const b = new Bundle((c) => {
      c.hooks = { startContainer: [{ path: '/bin/false' }], poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }] };
    }).args('sleep', '100');
    const id = uniqueId();
    expect(tsrun(['create', '--bundle', b.dir, id]).code).toBe(0);
    const s = tsrun(['start', id]);
    expect(s.code).toBe(1);
    expect(errMsg(s.stderr)).toBe('hooks.startContainer[0]: /bin/false exited with status 1');
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const d = tsrun(['delete', id]);
    expect(d.code).toBe(0);
    expect(d.stderr).toContain('level=warning');
    expect(d.stderr).toContain('hooks.poststop[0]');
  });
});

import { spawnSync as spawnSyncNotify } from 'child_process';
import { addon } from '../../src/native/addon';
import { makeRootfs } from '../helpers/rootfs';
import { stateRoot, TSRUN } from '../helpers/harness';

describeRoot('NOTIFY_SOCKET', () => {
  useLeakChecks();

  test('the container\'s READY=1 reaches the caller\'s socket with MAINPID; run -d returns after it', () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'notify-')));
    const cc = spawnSyncNotify('gcc', ['-static', '-O2', '-o', path.join(rootfs, 'bin/sdnotify'), path.join(__dirname, '../helpers/sdnotify.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const hostSock = path.join(work(), `${uniqueId()}.sock`);
    const fd = addon().bindUnixDgram(hostSock);
    try {
      const b = new Bundle(() => {}, { rootfs }).args('sh', '-c', 'echo "$NOTIFY_SOCKET" > /dev/shm/env; sleep 0.3; sdnotify "STATUS=warming up"; sdnotify READY=1; sleep 100');
      const id = uniqueId();
      const pidFile = path.join(b.dir, 'pid');
      const t0 = Date.now();
      const r = spawnSyncNotify(TSRUN, ['--root', stateRoot('tsrun'), 'run', '-d', '--pid-file', pidFile, '--bundle', b.dir, id],
        { env: { ...process.env, NOTIFY_SOCKET: hostSock }, stdio: 'ignore' }); // no pipes: the container inherits them
      expect(r.status).toBe(0);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // returned only once the container was ready
      const pid = readPid(pidFile);
      expect(addon().recvDgram(fd, 5000)).toBe(`READY=1\nMAINPID=${pid}\n`);
      expect(fs.readFileSync(`/proc/${pid}/root/dev/shm/env`, 'utf8').trim()).toBe('/run/notify/notify.sock');
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    } finally {
      addon().close(fd);
    }
  });
});
