// The real clients' view: the exact argv containerd's runc shim and podman/conmon pass
// (recorded by ../shared/clients), replayed against tsrun; then the real ctr and podman
// flows themselves when the machine has them.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, ROOT_DIR, TSRUN, tsrun, uniqueId, useLeakChecks, which, work } from '../helpers/harness';
import { consoleSocket, readUntil } from '../helpers/console';

const CLIENTS = path.resolve(ROOT_DIR, '../shared/clients');

describeRoot('shim argv, replayed', () => {
  useLeakChecks();

  test('containerd shim: create/start/ps/exec/exec -t/pause/resume/kill 9/delete/delete --force, with --log json', async () => {
    const b = new Bundle().args('sleep', '600');
    const id = uniqueId('shim');
    const log = path.join(b.dir, 'log.json');
    const g = ['--log', log, '--log-format', 'json'];
    expect(tsrun([...g, 'create', '--bundle', b.dir, '--pid-file', path.join(b.dir, 'init.pid'), id])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const init = readPid(path.join(b.dir, 'init.pid'));
    expect(tsrun([...g, 'start', id])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(tsrun([...g, 'ps', '--format', 'json', id]).stdout)).toEqual([init]);
    const proc = path.join(b.dir, 'runc-process1');
    fs.writeFileSync(proc, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['/bin/echo', 'hello-from-exec'], cwd: '/', noNewPrivileges: true }) + '\n');
    expect(tsrun([...g, 'exec', '--process', proc, '--detach', '--pid-file', path.join(b.dir, 'ex1.pid'), id])).toMatchObject({ code: 0, stderr: '' });
    expect(readPid(path.join(b.dir, 'ex1.pid'))).toBeGreaterThan(0);
    const cs = consoleSocket();
    fs.writeFileSync(proc, JSON.stringify({ terminal: true, user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'tty'], cwd: '/' }) + '\n');
    expect(tsrun([...g, 'exec', '--process', proc, '--console-socket', cs.path, '--detach', '--pid-file', path.join(b.dir, 'ex2.pid'), id]).code).toBe(0);
    const master = await cs.master();
    expect(readUntil(master, /pts/)).toMatch(/\/dev\/pts\/\d+/);
    fs.closeSync(master);
    cs.close();
    expect(tsrun([...g, 'pause', id]).code).toBe(0);
    expect(JSON.parse(tsrun([...g, 'state', id]).stdout).status).toBe('paused');
    expect(tsrun([...g, 'resume', id]).code).toBe(0);
    expect(tsrun([...g, 'kill', id, '9']).code).toBe(0);
    for (let i = 0; i < 500 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
    expect(tsrun([...g, 'delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(tsrun([...g, 'delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(log, 'utf8')).toBe(''); // nothing is logged on success
    // what the shim reads back on failure: the last error line of log.json
    expect(tsrun([...g, 'kill', id, '9']).code).toBe(1);
    const last = fs.readFileSync(log, 'utf8').trim().split('\n').pop()!;
    expect(JSON.parse(last)).toMatchObject({ level: 'error', msg: 'container does not exist' });
  });

  test('conmon: exec --pid-file P --process F --detach --tty --console-socket S; stdio stays blocking', async () => {
    const b = new Bundle().args('sleep', '600');
    const id = uniqueId('conmon');
    expect(tsrun(['create', '--bundle', b.dir, '--pid-file', path.join(b.dir, 'pidfile'), id]).code).toBe(0);
    expect(tsrun(['start', id]).code).toBe(0);
    const proc = path.join(b.dir, 'exec-process-1');
    fs.writeFileSync(proc, JSON.stringify({ terminal: true, user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'tty; exit 0'], env: ['PATH=/bin'], cwd: '/' }));
    const cs = consoleSocket();
    expect(tsrun(['exec', '--pid-file', path.join(b.dir, 'exec_pid'), '--process', proc, '--detach', '--tty', '--console-socket', cs.path, id]).code).toBe(0);
    const master = await cs.master();
    expect(readUntil(master, /pts/)).toMatch(/\/dev\/pts\/\d+/);
    fs.closeSync(master);
    cs.close();
    // a runtime that made a shared stdio non-blocking would break the container's writes
    const r = tsrun(['exec', id, 'sh', '-c', 'for i in $(seq 1 2000); do echo line-$i; done | wc -l']);
    expect(r.stdout.trim()).toBe('2000');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(errMsg(tsrun(['state', id]).stderr)).toBe('container does not exist');
  });
});

const haveCtr = !!which('ctr') && !!which('containerd') && fs.existsSync(path.join(CLIENTS, 'ctr-flow.sh'));
const havePodman = !!which('podman') && !!which('conmon') && fs.existsSync(path.join(CLIENTS, 'podman-flow.sh'));

// Each flow's work dir (its containerd or podman state, logs, rootfs) is the test file's, removed
// with it: the flows' default is a new /tmp/*-flow.XXXXXX that nothing removes.
describeRoot('real clients drive tsrun unchanged', () => {
  (haveCtr ? test : test.skip)('containerd 1.6 / ctr flow (skipped only when containerd or ../shared/clients is absent)', () => {
    const r = spawnSync('bash', [path.join(CLIENTS, 'ctr-flow.sh'), TSRUN, path.join(work(), 'ctr-flow')], { encoding: 'utf8', timeout: 240_000 });
    expect(r.stdout).toContain('ctr flow: OK');
    expect(r.status).toBe(0);
  }, 300_000);

  (havePodman ? test : test.skip)('podman 4.3 / conmon flow (skipped only when podman or ../shared/clients is absent)', () => {
    const r = spawnSync('bash', [path.join(CLIENTS, 'podman-flow.sh'), TSRUN, path.join(work(), 'podman-flow')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stdout).toContain('podman flow: OK');
    expect(r.status).toBe(0);
  }, 360_000);
});
