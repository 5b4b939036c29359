// startContainer hooks run by the container's init, as runc's init runs them: a hook is the
// image's binary and gets no more than the user's process (capabilities, no_new_privs, seccomp
// filter, cgroup, credentials); it reads the "created" state on stdin; a failure or a timeout
// fails `start` and the user's process never runs. runc 1.1.5 is the control.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, readPid, rt, RUNC, sleepMs, tsrun, uniqueId, useLeakChecks, work, type Runtime } from '../helpers/harness';
import { SLOW } from '../helpers/host-kind';

// what a process sees of its own confinement; the same probe in the hook and the user's process
const VIEW = 'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):" /proc/self/status; cat /proc/self/cgroup';
const SECCOMP = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['syslog', 'acct'], action: 'SCMP_ACT_ERRNO' }] };

/** A host directory bound at /out in the container: outlives a container that was stopped. */
function outDir(): string {
  const d = fs.mkdtempSync(path.join(work(), 'hooks-out-'));
  fs.chmodSync(d, 0o777);
  return d;
}

function bundle(out: string, mutate: (c: any) => void): Bundle {
  return new Bundle((c) => {
    c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
    mutate(c);
  });
}

const sh = (script: string, extra: object = {}) => ({ path: '/bin/sh', args: ['sh', '-c', script], ...extra });

function waitStopped(runtime: Runtime, id: string): string {
  let status = '';
  for (let i = 0; i < 150; i++) {
    status = JSON.parse(rt(runtime, ['state', id]).stdout || '{}').status;
    if (status === 'stopped') break;
    sleepMs(20);
  }
  return status;
}

/** create + start; returns start's result and the init pid. The container is left for the caller. */
function createStart(runtime: Runtime, b: Bundle, id: string) {
  const pidFile = path.join(b.dir, `${id}.pid`);
  const c = rt(runtime, ['create', '--bundle', b.dir, '--pid-file', pidFile, id]);
  expect(c).toMatchObject({ code: 0, stderr: '' });
  return { start: rt(runtime, ['start', id]), pid: readPid(pidFile) };
}

function readWhenThere(file: string): string {
  for (let i = 0; i < 150 && !fs.existsSync(file); i++) sleepMs(20);
  return fs.readFileSync(file, 'utf8');
}

describeRoot('startContainer hooks: run by the container\'s init, confined like the process', () => {
  useLeakChecks();

  test('(attack) a hook with the default capabilities cannot mount a fresh procfs and open the host\'s core_pattern for write', () => {
    const out = outDir();
    const pattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    // before: nsenter ran it with every capability: "mounted" then "opened" (no write is attempted)
    const attack = 'mkdir -p /dev/shm/p; if mount -t proc proc /dev/shm/p 2>/dev/null; then echo mounted; '
      + 'if (exec 3>>/dev/shm/p/sys/kernel/core_pattern) 2>/dev/null; then echo opened; fi; umount /dev/shm/p; '
      + 'else echo refused; fi > /out/attack; '
      + 'if (exec 3>>/proc/sys/kernel/core_pattern) 2>/dev/null; then echo opened; else echo refused; fi > /out/direct';
    const b = bundle(out, (c) => { c.hooks = { startContainer: [sh(attack)] }; }).args('true');
    const id = uniqueId();
    const { start } = createStart('tsrun', b, id);
    expect(start).toMatchObject({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(out, 'attack'), 'utf8').trim()).toBe('refused');
    expect(fs.readFileSync(path.join(out, 'direct'), 'utf8').trim()).toBe('refused');
    expect(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(pattern);
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test.each([
    ['root, noNewPrivileges, seccomp loaded by tsrun-init', (c: any) => { c.process.noNewPrivileges = true; }],
    ['uid 1000, no noNewPrivileges, seccomp loaded before the credentials change', (c: any) => {
      c.process.noNewPrivileges = false;
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [1000] };
    }],
  ])('%s: the hook\'s capabilities, no_new_privs, seccomp, ids and cgroup are the process\'s', (_, mutate) => {
    const out = outDir();
    const b = bundle(out, (c) => {
      c.linux.seccomp = SECCOMP;
      mutate(c);
      c.hooks = { startContainer: [sh(`{ ${VIEW}; } > /out/hook`)] };
    }).args('sh', '-c', `{ ${VIEW}; } > /out/process.tmp && mv /out/process.tmp /out/process; sleep 100`);
    const id = uniqueId();
    const { start, pid } = createStart('tsrun', b, id);
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const proc = readWhenThere(path.join(out, 'process'));
    const hook = fs.readFileSync(path.join(out, 'hook'), 'utf8');
    expect(hook).toBe(proc);
    expect(hook).toMatch(/^Seccomp:\s+2$/m);
    expect(hook).not.toMatch(/^CapEff:\s+000001ffffffffff$/m);
    // the container's cgroup (the init's, now the process), not the runtime's
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim()).toBe(hook.split('\n').filter((l) => /^\d+:/.test(l)).join('\n'));
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('the hook reads the created state on stdin (runc\'s fields and order, its own pid), with its args, env and the process\'s cwd', () => {
    const out = outDir();
    const b = bundle(out, (c) => {
      c.annotations = { 'z.example/b': '2', 'a.example/a': '1' };
      c.process.cwd = '/tmp';
      c.hooks = { startContainer: [sh('cat > /out/state; echo "$0 $HOOK_VAR $(pwd)" > /out/args', { args: ['sh', '-c', 'cat > /out/state; echo "$0 $HOOK_VAR $(pwd)" > /out/args', 'argzero'], env: ['HOOK_VAR=v'] })] };
    }).args('true');
    const id = uniqueId();
    const { start } = createStart('tsrun', b, id);
    expect(start).toMatchObject({ code: 0, stderr: '' });
    const raw = fs.readFileSync(path.join(out, 'state'), 'utf8');
    const st = JSON.parse(raw);
    expect(Object.keys(st)).toEqual(['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations']);
    expect(st).toMatchObject({ id, status: 'created', pid: 1, bundle: b.dir });
    expect(Object.keys(st.annotations)).toEqual(['a.example/a', 'z.example/b']);
    expect(fs.readFileSync(path.join(out, 'args'), 'utf8').trim()).toBe('argzero v /tmp');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('a failing hook fails start with its index, status and output; later hooks and the process never run', () => {
    const out = outDir();
    const b = bundle(out, (c) => {
      c.hooks = { startContainer: [sh('echo first > /out/first'), sh('echo nope >&2; exit 3'), sh('echo third > /out/third')] };
    }).args('sh', '-c', 'echo ran > /out/process');
    const id = uniqueId();
    const { start } = createStart('tsrun', b, id);
    expect(start.code).toBe(1);
    expect(errMsg(start.stderr)).toBe('hooks.startContainer[1]: /bin/sh exited with status 3: nope');
    expect(waitStopped('tsrun', id)).toBe('stopped');
    expect(fs.readdirSync(out)).toEqual(['first']);
    expect(tsrun(['delete', id]).code).toBe(0);
  });

  test('a hook that cannot be executed, or is killed by the seccomp filter, fails start with the reason', () => {
    const out = outDir();
    for (const [hook, msg] of [
      [{ path: '/no/such/hook' }, 'hooks.startContainer[0]: /no/such/hook: exec failed: ENOENT (errno 2)'],
      [sh('echo x > /out/process', { path: '/etc/passwd' }), 'hooks.startContainer[0]: /etc/passwd: exec failed: EACCES (errno 13)'],
    ] as const) {
      const b = bundle(out, (c) => { c.hooks = { startContainer: [hook] }; }).args('sh', '-c', 'echo ran > /out/process');
      const id = uniqueId();
      const { start } = createStart('tsrun', b, id);
      expect({ code: start.code, msg: errMsg(start.stderr) }).toEqual({ code: 1, msg });
      expect(waitStopped('tsrun', id)).toBe('stopped');
      expect(tsrun(['delete', id]).code).toBe(0);
    }
    // the filter the process gets applies to the hook: a syscall it kills, kills the hook
    const b = bundle(out, (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }] };
      c.hooks = { startContainer: [sh('uname')] };
    }).args('sh', '-c', 'echo ran > /out/process');
    const id = uniqueId();
    const { start } = createStart('tsrun', b, id);
    expect({ code: start.code, msg: errMsg(start.stderr) }).toEqual({ code: 1, msg: 'hooks.startContainer[0]: /bin/sh was killed by SIGSYS' });
    expect(waitStopped('tsrun', id)).toBe('stopped');
    expect(tsrun(['delete', id]).code).toBe(0);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test('a hook past its timeout is killed and start fails; the process never runs', () => {
    const out = outDir();
    const b = bundle(out, (c) => {
      c.hooks = { startContainer: [sh('echo $$ > /out/hookpid; exec sleep 30', { timeout: 1 })] };
    }).args('sh', '-c', 'echo ran > /out/process');
    const id = uniqueId();
    const t0 = Date.now();
    const { start } = createStart('tsrun', b, id);
    const took = Date.now() - t0;
    expect(start.code).toBe(1);
    expect(errMsg(start.stderr)).toBe('hooks.startContainer[0]: /bin/sh did not finish within its timeout of 1s and was killed');
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(5000);
    expect(waitStopped('tsrun', id)).toBe('stopped');
    expect(fs.readdirSync(out)).toEqual(['hookpid']);
    expect(tsrun(['delete', id]).code).toBe(0);
    // a hook that writes without pause is killed at its timeout all the same
    const flood = bundle(out, (c) => { c.hooks = { startContainer: [{ path: '/bin/cat', args: ['cat', '/dev/zero'], timeout: 1 }] }; }).args('true');
    const id2 = uniqueId();
    const t1 = Date.now();
    const r2 = createStart('tsrun', flood, id2).start;
    expect({ code: r2.code, msg: errMsg(r2.stderr) }).toEqual({ code: 1, msg: 'hooks.startContainer[0]: /bin/cat did not finish within its timeout of 1s and was killed' });
    expect(Date.now() - t1).toBeLessThan(5000 * SLOW);
    expect(waitStopped('tsrun', id2)).toBe('stopped');
    expect(tsrun(['delete', id2]).code).toBe(0);
  });

  test('a NUL byte in a hook\'s args is refused at create, naming the field (tsrun-init reads NUL-terminated strings)', () => {
    const b = new Bundle((c) => { c.hooks = { startContainer: [sh('true'), { path: '/bin/sh', args: ['sh', 'a\u0000b'] }] }; }).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect({ code: r.code, msg: errMsg(r.stderr) }).toEqual({ code: 1, msg: 'hooks.startContainer[1].args[1]: contains a NUL byte' });
  });

  (RUNC ? test : test.skip)('differential against runc: the hook\'s capabilities, no_new_privs, seccomp, cgroup, env and stdin state', () => {
    const views: Record<string, { hook: string; process: string; state: any; env: string; cgroup: string }> = {};
    for (const runtime of ['runc', 'tsrun'] as Runtime[]) {
      const out = outDir();
      const b = bundle(out, (c) => {
        c.linux.seccomp = SECCOMP;
        c.process.env.push('FROM_PROCESS=1');
        c.annotations = { 'org.example/k': 'v' };
        // no env in the hook: both give it the process's environment
        c.hooks = { startContainer: [sh(`cat > /out/state; { ${VIEW}; } > /out/hook; env | sort > /out/env`)] };
      }).args('sh', '-c', `{ ${VIEW}; } > /out/process.tmp && mv /out/process.tmp /out/process; sleep 100`);
      const id = uniqueId(runtime);
      const { start, pid } = createStart(runtime, b, id);
      expect({ runtime, ...start }).toMatchObject({ runtime, code: 0, stderr: '' });
      const process = readWhenThere(path.join(out, 'process'));
      const norm = (s: string) => s.split(id).join('ID');
      views[runtime] = {
        hook: norm(fs.readFileSync(path.join(out, 'hook'), 'utf8')), process: norm(process),
        state: JSON.parse(norm(fs.readFileSync(path.join(out, 'state'), 'utf8'))), env: fs.readFileSync(path.join(out, 'env'), 'utf8'),
        cgroup: norm(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')),
      };
      expect(rt(runtime, ['delete', '--force', id]).code).toBe(0);
    }
    const { runc, tsrun: ts } = views;
    expect(runc.hook).toBe(runc.process);  // the control: runc's hook is confined like its process
    expect(ts.hook).toBe(runc.hook);
    expect(ts.process).toBe(runc.process);
    expect(ts.env).toBe(runc.env);
    const { ociVersion: _r, ...runcState } = runc.state;
    const { ociVersion: _t, ...tsState } = ts.state;
    expect(Object.keys(ts.state)).toEqual(Object.keys(runc.state));
    expect({ ...tsState, bundle: 'B' }).toEqual({ ...runcState, bundle: 'B' });
  });
});
