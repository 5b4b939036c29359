// exec, ps, pause/resume, kill --all, terminals: every flag shims use.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, runDetached, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { cgroupDir, cgroupOf, HOST_PS, PROBE_KEY, PURE_V2 } from '../helpers/host-kind';
import { consoleSocket, readUntil } from '../helpers/console';

const sleeper = () => new Bundle((c) => { c.process.env.push('FROM_CONFIG=1'); }).args('sleep', '100');

describeRoot('exec', () => {
  useLeakChecks();

  test('joins every namespace and the cgroup of the init; exit status passes through', () => {
    const id = uniqueId();
    const pid = runDetached(sleeper(), id);
    const r = tsrun(['exec', id, 'sh', '-c', 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup; exit 7']);
    expect(r.code).toBe(7);
    const expected = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(expected);
    // every hierarchy's line is the init's (v1/hybrid: pids:/<id> among them; v2: 0::/.../<id>)
    expect(lines.slice(6)).toEqual(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n'));
    expect(cgroupOf(pid)).toMatch(new RegExp(`/${id}$`));
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('defaults from config.json; --env, --cwd, --user, --additional-gids, --cap, --no-new-privs', () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    expect(tsrun(['exec', id, 'sh', '-c', 'echo $FROM_CONFIG $HOME; pwd; id -u']).stdout).toBe('1 /root\n/\n0\n');
    const r = tsrun(['exec', '--env', 'A=b', '-e', 'FROM_CONFIG=2', '--cwd', '/tmp', '--user', '1000:1000', '-g', '10', '-g', '20',
      '--cap', 'CAP_SYS_ADMIN', '--no-new-privs', id, 'sh', '-c', 'echo $A $FROM_CONFIG; pwd; id; grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
    expect(lines[0]).toBe('b 2');
    expect(lines[1]).toBe('/tmp');
    expect(lines[2]).toMatch(/^uid=1000\(user\) gid=1000\(user\) groups=10,20/);
    expect(BigInt(`0x${lines[3].split(' ')[1]}`) & (1n << 21n)).toBe(1n << 21n);
    expect(lines[4]).toBe('NoNewPrivs: 1');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('--process process.json as containerd writes it; --detach --pid-file', () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const proc = path.join(work(), `${id}-process.json`);
    fs.writeFileSync(proc, JSON.stringify({ user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'echo $X > /dev/shm/out; sleep 1'], env: ['X=from-process-json'], cwd: '/',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true }) + '\n');
    const pidFile = path.join(work(), `${id}-exec.pid`);
    const r = tsrun(['exec', '--process', proc, '--detach', '--pid-file', pidFile, id]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const pid = readPid(pidFile);
    expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(fs.readFileSync(`/proc/${pid}/limits`, 'utf8')).toMatch(/Max open files\s+1024\s+1024/);
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); i++) spawnSync('sleep', ['0.05']);
    expect(tsrun(['exec', id, 'cat', '/dev/shm/out']).stdout).toBe('from-process-json\n');
    fs.writeFileSync(proc, JSON.stringify({ args: 'not-an-array', cwd: '/' }));
    const bad = tsrun(['exec', '--process', proc, id]);
    expect(bad.code).toBe(255);
    expect(errMsg(bad.stderr)).toMatch(/^exec failed: process\.args: /);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('failures exit 255 with runc\'s messages: missing binary, stopped, paused (and --ignore-paused), missing container', async () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const nope = tsrun(['exec', id, 'nope']);
    expect(nope.code).toBe(255);
    expect(errMsg(nope.stderr)).toBe('exec failed: unable to start container process: exec: "nope": executable file not found in $PATH');
    expect(tsrun(['pause', id]).code).toBe(0);
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('paused');
    const paused = tsrun(['exec', id, 'true']);
    expect([paused.code, errMsg(paused.stderr)]).toEqual([255, 'exec failed: cannot exec in a paused container (use --ignore-paused to override)']);
    // like runc, an exec into a frozen container blocks until it is resumed
    const { spawn } = await import('child_process');
    const ignoring = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'exec', '-d', '--ignore-paused', id, 'true'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => ignoring.on('exit', (c) => resolve(c)));
    spawnSync('sleep', ['0.3']);
    expect(tsrun(['pause', id]).stderr).toContain('container not running');
    expect(tsrun(['resume', id]).code).toBe(0);
    expect(await exited).toBe(0);
    expect(errMsg(tsrun(['resume', id]).stderr)).toBe('container not paused');
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('running');
    expect(tsrun(['kill', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
    expect(errMsg(tsrun(['exec', id, 'true']).stderr)).toBe('exec failed: cannot exec in a stopped container');
    expect(tsrun(['delete', id]).code).toBe(0);
    expect([tsrun(['exec', id, 'true']).code, errMsg(tsrun(['exec', id, 'true']).stderr)]).toEqual([255, 'exec failed: container does not exist']);
  });

  test('the exec\'d process sees only its stdio, never a host fd or the host binary', () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const r = tsrun(['exec', id, 'sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; readlink /proc/self/exe']);
    expect(r.stdout).toBe('0 1 2 3 /bin/busybox\n');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('ps: table from host ps filtered to the container, json pids; kill --all reaches every process', () => {
    const id = uniqueId();
    const pid = runDetached(sleeper(), id);
    expect(tsrun(['exec', '-d', id, 'sleep', '50']).code).toBe(0);
    const pids = JSON.parse(tsrun(['ps', '--format', 'json', id]).stdout) as number[];
    expect(pids).toHaveLength(2);
    expect(pids).toContain(pid);
    // the table comes from the host's ps, which fails under user-mode Linux (no boot time)
    if (HOST_PS) {
      const table = tsrun(['ps', id]).stdout.trim().split('\n');
      expect(table[0]).toMatch(/^UID\s+PID\s+PPID/);
      expect(table.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort()).toEqual([...pids].sort());
      expect(tsrun(['ps', id, '-o', 'pid,comm']).stdout.split('\n')[0].trim()).toBe('PID COMMAND');
    } else {
      expect(errMsg(tsrun(['ps', id]).stderr)).toMatch(/^ps: /); // ps's own failure, reported
    }
    expect(tsrun(['kill', '--all', id, 'KILL']).code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(tsrun(['ps', '--format', 'json', id]).stdout) !== null; i++) spawnSync('sleep', ['0.02']);
    expect(tsrun(['ps', '--format', 'json', id]).stdout).toBe('null\n');
    // The init of a pid namespace is gone only once its exec'd (now zombie) sibling is reaped
    // by whoever adopted it; this host's pid 1 reaps lazily.
    for (let i = 0; i < 500 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.02']);
    expect(tsrun(['delete', id]).code).toBe(0);
  });

  test('pause and resume a created container; delete --force of a paused one', () => {
    const b = sleeper();
    const id = uniqueId();
    expect(tsrun(['create', '--bundle', b.dir, id]).code).toBe(0);
    expect(tsrun(['pause', id]).code).toBe(0);
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('paused');
    expect(tsrun(['resume', id]).code).toBe(0);
    expect(JSON.parse(tsrun(['state', id]).stdout).status).toBe('created');
    expect(tsrun(['start', id]).code).toBe(0);
    expect(tsrun(['pause', id]).code).toBe(0);
    expect(tsrun(['delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
  });
});

describeRoot('terminals', () => {
  useLeakChecks();

  test('create with --console-socket: the pty master arrives, the init has the slave as stdio, ctty and /dev/console', async () => {
    const cs = consoleSocket();
    const b = new Bundle((c) => { c.process.terminal = true; c.process.consoleSize = { height: 33, width: 111 }; })
      .args('sh', '-c', 'tty; stty size; ls -l /proc/self/fd/0 | sed "s/.*-> //"; grep " /dev/console " /proc/self/mountinfo | cut -d" " -f5; read x; echo got:$x; exit 3');
    const id = uniqueId();
    try {
      const r = tsrun(['create', '--bundle', b.dir, '--console-socket', cs.path, id]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const master = await cs.master();
      expect(master).toBeGreaterThan(0);
      expect(tsrun(['start', id]).code).toBe(0);
      const out = readUntil(master, /\/dev\/console\r?\n/);
      expect(out.replace(/\r/g, '')).toBe('/dev/pts/0\n33 111\n/dev/pts/0\n/dev/console\n');
      fs.writeSync(master, 'hello\n');
      expect(readUntil(master, /got:hello/)).toContain('got:hello');
      fs.closeSync(master);
    } finally {
      cs.close();
      tsrun(['delete', '--force', id]);
    }
  });

  test('exec -t with --console-socket gets its own pty and session', async () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const cs = consoleSocket();
    try {
      const r = tsrun(['exec', '-t', '--console-socket', cs.path, '-d', id, 'sh', '-c', 'tty; ps -o pid,sid | tail -n +2 | wc -l; sleep 1']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const master = await cs.master();
      expect(readUntil(master, /\/dev\/pts\/\d+\r?\n/)).toMatch(/^\/dev\/pts\/\d+/);
      fs.closeSync(master);
    } finally {
      cs.close();
      tsrun(['delete', '-f', id]);
    }
  });

  test('terminal without --console-socket: detached create refuses, foreground run relays our terminal', () => {
    const b = new Bundle((c) => { c.process.terminal = true; }).args('sh', '-c', 'tty; echo relayed; exit 4');
    const det = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(errMsg(det.stderr)).toBe('cannot allocate tty if tsrun will detach without setting console socket');
    const id = uniqueId();
    const cmd = [TSRUN, '--root', stateRoot('tsrun'), 'run', '--bundle', b.dir, id].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    expect(r.stdout.replace(/\r|\^@|\0/g, '')).toContain('/dev/pts/0\nrelayed\n');
    expect(r.status).toBe(4);
  });
});

describeRoot('exec: more flags', () => {
  useLeakChecks();

  test('--cgroup joins an existing sub-cgroup; bad forms are refused', () => {
    const id = uniqueId();
    const pid = runDetached(sleeper(), id);
    const own = cgroupOf(pid);
    fs.mkdirSync(`${cgroupDir(PROBE_KEY, own)}/sub`);
    if (PURE_V2) {
      // one hierarchy: "--cgroup sub" (a controller prefix names no hierarchy, as with runc)
      expect(tsrun(['exec', '--cgroup', 'sub', id, 'cat', '/proc/self/cgroup']).stdout).toBe(`0::${own}/sub\n`);
      expect(errMsg(tsrun(['exec', '--cgroup', 'pids:sub', id, 'true']).stderr)).toBe('exec failed: unknown controller pids in SubCgroupPaths');
    } else {
      const r = tsrun(['exec', '--cgroup', 'pids:sub', id, 'sh', '-c', 'grep -E ":pids:|:memory:" /proc/self/cgroup']);
      expect(r.stdout).toContain(`:pids:${own}/sub`);
      expect(r.stdout.split('\n').find((l) => l.includes(':memory:'))).not.toMatch(/\/sub$/);
    }
    expect(errMsg(tsrun(['exec', '--cgroup', 'a:b:c', id, 'true']).stderr)).toBe('exec failed: invalid --cgroup argument: a:b:c');
    expect(errMsg(tsrun(['exec', '--cgroup', 'bogus:x', id, 'true']).stderr)).toBe('exec failed: unknown controller bogus in SubCgroupPaths');
    expect(errMsg(tsrun(['exec', '--cgroup', 'missing', id, 'true']).stderr)).toMatch(/^exec failed: error adding pid \d+ to cgroups: /);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('--apparmor and --process-label fail clearly on a host without the LSM', () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const aa = tsrun(['exec', '--apparmor', 'docker-default', id, 'true']);
    expect(aa.code).toBe(255);
    expect(errMsg(aa.stderr)).toMatch(/^exec failed: process\.apparmorProfile: /);
    const se = tsrun(['exec', '--process-label', 'system_u:system_r:container_t:s0', id, 'true']);
    expect(errMsg(se.stderr)).toMatch(/^exec failed: process\.selinuxLabel: /);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('--preserve-fds passes extra fds to the exec\'d process', () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const extra = fs.openSync(path.join(work(), 'extra-exec'), 'w');
    const out = path.join(work(), `${id}.out`);
    const o = fs.openSync(out, 'w');
    const r = spawnSync(TSRUN, ['--root', stateRoot('tsrun'), 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "'],
      { stdio: ['ignore', o, 'inherit', extra] });
    fs.closeSync(o);
    fs.closeSync(extra);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('0 1 2 3 4 ');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('foreground exec forwards signals and exits with the process\'s status; exec -t relays our terminal', async () => {
    const id = uniqueId();
    runDetached(sleeper(), id);
    const { spawn } = await import('child_process');
    const child = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'exec', id, 'sh', '-c', 'trap "exit 9" TERM; echo ready; while true; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); }));
    child.kill('SIGTERM');
    expect(await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))).toBe(9);
    const cmd = [TSRUN, '--root', stateRoot('tsrun'), 'exec', '-t', id, 'sh', '-c', 'tty; exit 6'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    expect(r.stdout.replace(/\r|\^@|\0/g, '')).toMatch(/\/dev\/pts\/\d+\n/);
    expect(r.status).toBe(6);
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });
});
