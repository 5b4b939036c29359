// The runc lifecycle through the CLI: create/start/state/kill/delete/run/list, exit codes,
// error texts the shims match, pid files, and nothing left behind.
import * as fs from 'fs';
import * as path from 'path';
import {
  Bundle, describeRoot, errMsg, readPid, sleepMs, tsrun, uniqueId, work, useLeakChecks } from '../helpers/harness';
import { SYSTEMD } from '../helpers/host-kind';

describeRoot('lifecycle', () => {
  useLeakChecks();

  test('create, state created, start, state running, kill, state stopped, delete', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    const pidFile = path.join(b.dir, 'init.pid');
    const c = tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id]);
    expect(c).toMatchObject({ code: 0, stderr: '', stdout: '' });
    const pidText = fs.readFileSync(pidFile, 'utf8');
    expect(pidText).toMatch(/^\d+$/); // no trailing newline
    const pid = Number(pidText);

    let st = JSON.parse(tsrun(['state', id]).stdout);
    expect(st).toMatchObject({ ociVersion: '1.2.0', id, pid, status: 'created', bundle: b.dir });
    expect(Object.keys(st)).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:tsrun-init/);

    expect(tsrun(['start', id])).toMatchObject({ code: 0, stderr: '' });
    st = JSON.parse(tsrun(['state', id]).stdout);
    expect(st.status).toBe('running');
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toContain('busybox');

    expect(tsrun(['start', id]).code).toBe(1);
    expect(tsrun(['delete', id])).toMatchObject({ code: 1 });
    expect(tsrun(['kill', id, 'KILL'])).toMatchObject({ code: 0, stderr: '' });
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(20);
    st = JSON.parse(tsrun(['state', id]).stdout);
    expect(st).toMatchObject({ status: 'stopped', pid: 0 });
    expect(tsrun(['kill', id, 'TERM']).stderr).toContain('container not running');
    expect(tsrun(['delete', id])).toMatchObject({ code: 0, stderr: '', stdout: '' });
    expect(tsrun(['state', id])).toMatchObject({ code: 1 });
    expect(tsrun(['state', id]).stderr).toContain('does not exist');
  });

  test('run returns the exit status, 128+N for a signal', () => {
    const b = new Bundle().args('sh', '-c', 'exit 3');
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()]).code).toBe(3);
    b.args('echo', 'hello', 'world');
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stdout: 'hello world\n', stderr: '' });
  });

  test('run returns 128+9 when the container is killed from outside', async () => {
    const b = new Bundle().args('sh', '-c', 'echo ready; sleep 100');
    const { spawn } = await import('child_process');
    const { TSRUN, stateRoot } = await import('../helpers/harness');
    const id = uniqueId();
    const child = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'run', '--bundle', b.dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); }));
    expect(tsrun(['kill', id, 'KILL']).code).toBe(0);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(137);
  });

  test('run forwards SIGTERM to the container', async () => {
    const b = new Bundle().args('sh', '-c', 'trap "exit 7" TERM; echo ready; while true; do sleep 0.05; done');
    const { spawn } = await import('child_process');
    const { TSRUN, stateRoot } = await import('../helpers/harness');
    const child = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'run', '--bundle', b.dir, uniqueId()], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); }));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(7);
  });

  test('run -d detaches; kill accepts names, SIG names and numbers; kill --all', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    expect(tsrun(['run', '-d', '--bundle', b.dir, id])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('running');
    expect(tsrun(['kill', id, 'SIGCONT']).code).toBe(0);
    expect(tsrun(['kill', id, '18']).code).toBe(0);
    expect(tsrun(['kill', id, 'NOTASIGNAL']).code).toBe(1);
    expect(tsrun(['kill', '--all', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(20);
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('stopped');
    expect(tsrun(['delete', id]).code).toBe(0);
  });

  test('delete --force on running and created containers; delete --force of a missing id exits 0', () => {
    const b = new Bundle().args('sleep', '100');
    const a = uniqueId();
    const c = uniqueId();
    expect(tsrun(['run', '-d', '--bundle', b.dir, a]).code).toBe(0);
    expect(tsrun(['create', '--bundle', b.dir, c]).code).toBe(0);
    expect(tsrun(['delete', '--force', a])).toMatchObject({ code: 0, stderr: '' });
    expect(tsrun(['delete', c])).toMatchObject({ code: 0, stderr: '' });
    expect(tsrun(['delete', '--force', a])).toMatchObject({ code: 0 });
    expect(tsrun(['delete', 'never-existed'])).toMatchObject({ code: 1 });
  });

  test('the id "..." (valid, as for runc: only "." and ".." are not) gets its cgroups and loses them at delete', () => {
    // its cgroup directories are named "...": the recorded-path check took them for outside their
    // hierarchy (a relative path starting with ".."), so every later verb refused the state as corrupt
    const b = new Bundle().args('sleep', '100');
    const id = '...';
    expect(tsrun(['create', '--bundle', b.dir, id])).toMatchObject({ code: 0, stderr: '' });
    expect(tsrun(['start', id])).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(tsrun(['ps', '--format', 'json', id]).stdout)).toHaveLength(1);
    expect(tsrun(['kill', '--all', id, 'KILL'])).toMatchObject({ code: 0, stderr: '' });
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(20);
    expect(tsrun(['delete', id])).toMatchObject({ code: 0, stderr: '', stdout: '' });
  });

  test('Go-style flags: -flag, --flag=v, flags after the id', () => {
    const b = new Bundle().args('true');
    const id = uniqueId();
    expect(tsrun(['create', `-bundle=${b.dir}`, id]).code).toBe(0);
    expect(tsrun(['delete', id, '--force']).code).toBe(0);
    const id2 = uniqueId();
    expect(tsrun(['create', '-b', b.dir, id2]).code).toBe(0);
    expect(tsrun(['delete', '-force', id2]).code).toBe(0);
  });

  test('list: table, json, quiet', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    expect(tsrun(['create', '--bundle', b.dir, id]).code).toBe(0);
    const table = tsrun(['list']).stdout.split('\n');
    expect(table[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    expect(table.some((l) => l.startsWith(id) && l.includes('created'))).toBe(true);
    const json = JSON.parse(tsrun(['list', '--format', 'json']).stdout);
    expect(json.find((s: any) => s.id === id)).toMatchObject({ status: 'created', owner: 'root' });
    expect(tsrun(['list', '-q']).stdout.split('\n')).toContain(id);
    expect(tsrun(['delete', id]).code).toBe(0);
    expect(tsrun(['list', '--format', 'json']).stdout).toBe('null\n');
  });

  test('create refuses an existing id and bad ids; failed creates leave nothing', () => {
    const b = new Bundle().args('true');
    const id = uniqueId();
    expect(tsrun(['create', '--bundle', b.dir, id]).code).toBe(0);
    const again = tsrun(['create', '--bundle', b.dir, id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('container with given ID already exists');
    expect(again.stderr).toMatch(/^time="[^"]+" level=error msg=/);
    expect(tsrun(['create', '--bundle', b.dir, '../x']).stderr).toContain('invalid container ID format');
    const missing = new Bundle().args('/nope');
    const r = tsrun(['create', '--bundle', missing.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stat /nope: no such file or directory');
    const notInPath = new Bundle().args('nope');
    expect(tsrun(['create', '--bundle', notInPath.dir, uniqueId()]).stderr).toContain('executable file not found in $PATH');
    const badMount = new Bundle((c) => c.mounts.push({ destination: '/x', type: 'bind', source: '/definitely/not/here', options: ['bind'] }));
    const m = tsrun(['create', '--bundle', badMount.dir, uniqueId()]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain(`mounts[${badMount.config.mounts.length - 1}].source`);
    expect(tsrun(['delete', id]).code).toBe(0);
  });

  test(`global flags: --debug is accepted, --systemd-cgroup ${SYSTEMD ? 'works (systemd is PID 1 here)' : 'fails clearly without systemd'}, bad --log-format`, () => {
    const b = new Bundle().args('true');
    expect(tsrun(['--debug', 'run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0 });
    const id = uniqueId();
    const sd = tsrun(['--systemd-cgroup', 'create', '--bundle', b.dir, id]);
    if (SYSTEMD) {
      expect(sd).toMatchObject({ code: 0, stderr: '' });
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    } else {
      expect(sd.code).toBe(1);
      expect(errMsg(sd.stderr)).toMatch(/^systemd not running on this host, cannot use the systemd cgroup manager/);
    }
    expect(tsrun(['--log-format', 'xml', 'list']).stderr).toContain('invalid log-format: xml');
    expect(tsrun(['nosuchcommand']).code).toBe(3);
  });

  test('--log --log-format json writes {level,msg,time} lines', () => {
    const log = path.join(work(), `${uniqueId()}.log`);
    const r = tsrun(['--log', log, '--log-format', 'json', 'state', 'not-there']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('container does not exist\n');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(lines[0])).toEqual(['level', 'msg', 'time']);
    expect(lines[lines.length - 1]).toMatchObject({ level: 'error', msg: expect.stringContaining('does not exist') });
    expect(lines[lines.length - 1].time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test('a created container waiting for start costs little memory and is not Node', () => {
    const b = new Bundle().args('true');
    const id = uniqueId();
    const pidFile = path.join(b.dir, `${id}.pid`);
    expect(tsrun(['create', '--bundle', b.dir, '--pid-file', pidFile, id]).code).toBe(0);
    const pid = readPid(pidFile);
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)![1]);
    expect(pss).toBeLessThan(1024);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('tsrun-init');
    expect(tsrun(['delete', id]).code).toBe(0);
  });
});
