// seccomp SCMP_ACT_NOTIFY with linux.seccomp.listenerPath, and the LSM write path.
//
// A real listener (test/helpers/seccomp-agent.c) receives the container process state and the
// notify fd, and answers mkdir/mkdirat with ENOMSG: the container sees the listener's answer.
// The same bundle runs under runc for comparison (same output, same message shape).
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, RUNC, describeRoot, errMsg, rt, runDetached, sleepMs, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';

interface Agent { sock: string; log: string; proc: ChildProcess; lines(): string[]; states(): any[]; stop(): void }

let agentBin = '';
function startAgent(): Agent {
  if (!agentBin) {
    agentBin = path.join(work(), 'seccomp-agent');
    const cc = spawnSync('gcc', ['-O2', '-o', agentBin, path.join(__dirname, '../helpers/seccomp-agent.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`building seccomp-agent: ${cc.stderr}`);
  }
  const dir = fs.mkdtempSync(path.join(work(), 'agent-'));
  const sock = path.join(dir, 'agent.sock');
  const log = path.join(dir, 'agent.log');
  const proc = spawn(agentBin, [sock, log], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !fs.existsSync(log); i++) sleepMs(10);
  const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  return {
    sock, log, proc, lines,
    states: () => lines().filter((l) => l.startsWith('state ')).map((l) => JSON.parse(l.slice(6))),
    stop: () => {
      proc.kill('SIGTERM');
      // the per-connection children exit when their filter's last user is gone
      spawnSync('pkill', ['-TERM', '-f', `${agentBin} ${sock}`]);
    },
  };
}

function notifyBundle(agent: Agent, mutate?: (c: any) => void): Bundle {
  return new Bundle((c) => {
    c.root.readonly = false;
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: agent.sock,
      listenerMetadata: 'tsrun-test-metadata',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
    mutate?.(c);
  }).args('sh', '-c', 'mkdir /tmp/notified; echo rc=$?; test -d /tmp/notified && echo exists || echo absent');
}

const MKDIR_OUT = 'rc=1\nabsent\n';

describeRoot('seccomp notify (linux.seccomp.listenerPath)', () => {
  useLeakChecks();
  let agent: Agent;
  beforeEach(() => { agent = startAgent(); });
  afterEach(() => agent.stop());

  test('the listener gets the container process state and the fd, and its answers reach the container', () => {
    const b = notifyBundle(agent);
    const id = uniqueId();
    const r = tsrun(['run', '--bundle', b.dir, id]);
    expect(r.stdout).toBe(MKDIR_OUT);
    expect(r.stderr).toContain('No message of desired type'); // ENOMSG: the listener's answer
    expect(agent.lines()).toContain('fds 1');
    const [st] = agent.states();
    expect(st).toEqual({
      ociVersion: expect.any(String), fds: ['seccompFd'], pid: expect.any(Number), metadata: 'tsrun-test-metadata',
      state: { ociVersion: expect.any(String), id, status: 'creating', pid: st.pid, bundle: b.dir },
    });
    expect(agent.lines().some((l) => /^notify \d+ \d+$/.test(l))).toBe(true);
  });

  test('the same bundle under runc: same output, same message shape', () => {
    if (!RUNC) return;
    const b = notifyBundle(agent);
    const ours = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    const theirs = rt('runc', ['run', '--bundle', b.dir, uniqueId('runc')], { cwd: b.dir });
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.code).toBe(theirs.code);
    const [a, c] = agent.states();
    const shape = (s: any) => ({ keys: Object.keys(s).sort(), stateKeys: Object.keys(s.state).sort(), fds: s.fds, metadata: s.metadata, status: s.state.status });
    expect(shape(a)).toEqual(shape(c));
  });

  test('with noNewPrivileges, exec\'d processes get notified too, with the container\'s state', () => {
    const b = notifyBundle(agent, (c) => { c.process.noNewPrivileges = true; }).args('sleep', '100');
    const id = uniqueId();
    const pid = runDetached(b, id);
    try {
      const r = tsrun(['exec', id, 'sh', '-c', 'mkdir /tmp/e; echo rc=$?']);
      expect(r.stdout).toBe('rc=1\n');
      expect(r.stderr).toContain('No message of desired type');
      const states = agent.states();
      expect(states).toHaveLength(2);
      expect(states[1].state).toMatchObject({ id, status: 'running', pid });
      expect(states[1].pid).not.toBe(pid); // the exec'd process
    } finally {
      tsrun(['delete', '--force', id]);
    }
  });

  test('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and TSYNC load with a listener', () => {
    const b = notifyBundle(agent, (c) => { c.linux.seccomp.flags = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC']; });
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.stdout).toBe(MKDIR_OUT);
    expect(r.code).toBe(0);
  });

  test('no listener at listenerPath: create fails naming the field and leaves nothing', () => {
    const b = notifyBundle(agent, (c) => { c.linux.seccomp.listenerPath = path.join(work(), 'nobody.sock'); });
    const id = uniqueId();
    const r = tsrun(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^linux\.seccomp\.listenerPath: connect .*nobody\.sock: (No such file|Connection refused)/);
    expect(tsrun(['state', id]).code).toBe(1);
  });

  test('SCMP_ACT_NOTIFY on sendmsg (how the notify fd is handed over) is refused, naming the rule', () => {
    const b = notifyBundle(agent, (c) => { c.linux.seccomp.syscalls = [{ names: ['getpid', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }]; });
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^linux\.seccomp\.syscalls\[0\]\.names: SCMP_ACT_NOTIFY cannot be used for the sendmsg syscall/);
  });
});

// Hosts without AppArmor/SELinux cannot apply a label; TSRUN_ASSUME_LSM makes tsrun go through
// the whole write path anyway, so the kernel's refusal (EINVAL: no LSM takes the value) proves
// the label reached the process's own attr file, written by tsrun-init right before execve.
describeRoot('LSM labels: the write path', () => {
  useLeakChecks();
  const hasLsm = fs.existsSync('/sys/module/apparmor/parameters/enabled') || fs.existsSync('/sys/fs/selinux/enforce');
  const env = (lsm: string) => ({ env: { ...process.env, TSRUN_ASSUME_LSM: lsm } });

  test('apparmorProfile: tsrun-init writes "exec PROFILE" to its own attr file through the verified /proc', () => {
    if (hasLsm) return;
    const b = new Bundle((c) => { c.process.apparmorProfile = 'tsrun-test-profile'; }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()], env('apparmor'));
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/tsrun-init: write LSM label to thread-self\/attr\/(apparmor\/)?exec: invalid argument/);
    // without the override the host's lack of AppArmor is reported at create, naming the field
    const plain = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(errMsg(plain.stderr)).toMatch(/^process\.apparmorProfile: apparmor is not enabled/);
  });

  test('selinuxLabel goes the same way; exec --process-label too', () => {
    if (hasLsm) return;
    const b = new Bundle((c) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()], env('selinux'));
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/tsrun-init: write LSM label to thread-self\/attr\/exec: invalid argument/);
    const c = new Bundle().args('sleep', '100');
    const id = uniqueId();
    runDetached(c, id);
    try {
      const e = tsrun(['exec', '--process-label', 'system_u:system_r:container_t:s0', id, 'true'], env('selinux'));
      expect(e.code).toBe(126);
      expect(e.stderr).toMatch(/tsrun-init: write LSM label to thread-self\/attr\/exec: invalid argument/);
    } finally {
      tsrun(['delete', '--force', id]);
    }
  });

  test('linux.mountLabel: context= reaches the tmpfs mounts (refused by a kernel without SELinux), and is refused without the LSM', () => {
    if (hasLsm) return;
    const b = new Bundle((c) => { c.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; }).args('true');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()], env('selinux'));
    expect(r.code).toBe(1);
    const devIndex = b.config.mounts.findIndex((m: any) => m.destination === '/dev');
    expect(errMsg(r.stderr)).toMatch(new RegExp(`mounts\\[${devIndex}\\]: mount dev: invalid argument`));
    const plain = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(errMsg(plain.stderr)).toMatch(/^linux\.mountLabel: selinux is disabled/);
  });
});
