// The container's seccomp filter and the syscalls tsrun itself makes after loading it (issue 12).
//
// - getcwd (the CVE-2024-21626 check of the working directory) is made before the filter: a
//   profile that does not allow getcwd runs and is never reported as an error of process.cwd
//   (it was: "process.cwd: operation not permitted"). runc is no oracle here: since 1.1.12 (and
//   Debian's 1.1.5+ds1, which carries the fix) it checks after loading the filter and fails with
//   "failed to verify if current working directory is safe: operation not permitted"
//   (podman#21546); runc 1.1.5 as released makes no check and runs.
// - A notify listener (linux.seccomp.listenerPath) is never asked about the runtime's own setup:
//   an agent that holds every notification until told (test/helpers/seccomp-agent.c's HOLD)
//   sees nothing during create, and create does not wait on it; the container's own syscalls
//   reach it after start. Without no_new_privs the filter has to be loaded before the
//   capabilities are dropped (the kernel wants CAP_SYS_ADMIN then), as runc does, so only the
//   cwd check is kept from it there.
// - runc's own test of "important syscalls" under SCMP_ACT_NOTIFY (runc #4328: a notified
//   syscall between loading the filter and handing over its fd hangs): the container runs.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, Result, RUNC, rt, Runtime, runIn, sleepMs, uniqueId, useLeakChecks, work } from '../helpers/harness';

const OLD = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/seccomp-old-allowlist.json'), 'utf8'));
const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'];
const maybe = RUNC ? test : test.skip;

/** The old allow-list without `drop`, with close_range (so only getcwd matters to a runtime that closes fds after the filter). */
function allowListWithout(drop: string): unknown {
  const syscalls = OLD.syscalls.map((s: { names: string[] }) => ({ ...s, names: s.names.filter((n) => n !== drop) }));
  return { ...OLD, syscalls: [...syscalls, { names: ['close_range'], action: 'SCMP_ACT_ALLOW' }] };
}

/** runc runs it as tsrun does, or fails with the CVE-2024-21626 check's regression. */
function runcRunsOrMisreports(ts: Result, rc: Result): void {
  if (rc.code === 0) expect(rc).toEqual(ts);
  else expect(errMsg(rc.stderr)).toMatch(/failed to verify if current working directory is safe: operation not permitted/);
}

describeRoot('a profile that denies getcwd: the cwd check is made before the filter', () => {
  useLeakChecks();
  const noGetcwd = (mutate?: (c: any) => void) => new Bundle((c) => {
    c.linux.seccomp = allowListWithout('getcwd');
    c.process.noNewPrivileges = false; // the child loads the filter (runtime-tools' bundles)
    mutate?.(c);
  }).args('/bin/echo', 'ran');

  test('the container runs (cwd "/")', () => {
    const b = noGetcwd();
    const id = uniqueId('gc');
    const ts = runIn('tsrun', b, id);
    expect(ts).toEqual({ code: 0, signal: null, stdout: 'ran\n', stderr: '' }); // before: "process.cwd: operation not permitted"
    if (RUNC) runcRunsOrMisreports(ts, runIn('runc', b, id));
  });

  test('a cwd only the container\'s user may enter (chdir after the credentials, the filter loaded): runs, no chdir error', () => {
    const b = noGetcwd((c) => {
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.cwd = '/work';
      c.mounts.push({ destination: '/work', type: 'tmpfs', source: 'tmpfs', options: ['uid=1000', 'gid=1000', 'mode=700'] });
    });
    const id = uniqueId('gc');
    const ts = runIn('tsrun', b, id);
    expect(ts).toEqual({ code: 0, signal: null, stdout: 'ran\n', stderr: '' });
    if (RUNC) runcRunsOrMisreports(ts, runIn('runc', b, id));
  });
});

interface Agent { sock: string; hold: string; proc: ChildProcess; notified(): { pid: number; nr: number; comm: string }[]; release(): void }

let agentBin = '';
function startAgent(hold: boolean): Agent {
  if (!agentBin) {
    agentBin = path.join(work(), 'seccomp-agent');
    const cc = spawnSync('gcc', ['-O2', '-o', agentBin, path.join(__dirname, '../helpers/seccomp-agent.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`building seccomp-agent: ${cc.stderr}`);
  }
  const dir = fs.mkdtempSync(path.join(work(), 'agent-'));
  const sock = path.join(dir, 'agent.sock'), log = path.join(dir, 'agent.log'), holdFile = path.join(dir, 'release');
  const proc = spawn(agentBin, [sock, log, ...(hold ? [holdFile] : [])], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !fs.existsSync(log); i++) sleepMs(10);
  const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n') : []);
  return {
    sock, hold: holdFile, proc,
    notified: () => {
      const ls = lines();
      const comm = new Map(ls.filter((l) => l.startsWith('comm ')).map((l) => [Number(l.split(' ')[1]), l.split(' ').slice(2).join(' ')]));
      return ls.filter((l) => l.startsWith('notify ')).map((l) => {
        const [, pid, nr] = l.split(' ').map(Number);
        return { pid, nr, comm: comm.get(pid) ?? '?' };
      });
    },
    release: () => fs.writeFileSync(holdFile, ''),
  };
}

// x86_64 numbers of what the runtime's child does to set up the process: credentials (setgroups,
// setresgid, setresuid, capset, prctl), the cwd (chdir, getcwd), umask, fds (fcntl), its parent
// check (getppid), the executable's lookup (newfstatat)
const NR: Record<string, number> = { fcntl: 72, getcwd: 79, chdir: 80, umask: 95, getppid: 110, setgroups: 116, setresuid: 117, setresgid: 119, capset: 126, prctl: 157, newfstatat: 262 };
const SETUP = Object.keys(NR);

describeRoot('a seccomp notify listener never sees the runtime\'s own setup syscalls', () => {
  useLeakChecks();

  const cases: [string, boolean, string[]][] = [
    // no_new_privs (runc's default config): the filter goes in last, nothing of the setup is notified
    ['with noNewPrivileges: credentials, cwd, umask, fds, lookup', true, SETUP],
    // without: the filter is loaded before the capabilities are dropped (as runc), the cwd check before it
    ['without noNewPrivileges: the cwd check (chdir, getcwd)', false, ['chdir', 'getcwd']],
  ];
  for (const [name, nnp, names] of cases) {
    test(`${name}: create does not wait on a listener holding every notification`, () => {
      const agent = startAgent(true);
      const id = uniqueId('nt');
      try {
        const b = new Bundle((c) => {
          c.process.noNewPrivileges = nnp;
          c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: agent.sock, architectures: ARCHES, syscalls: [{ names, action: 'SCMP_ACT_NOTIFY' }] };
        }).args('sh', '-c', 'cd /tmp && pwd >/dev/null');
        const created = rt('tsrun', ['create', '--bundle', b.dir, id], { timeout: 20_000 });
        // before: create hung in the child's getcwd (and, with no_new_privs, its setresuid...)
        expect({ code: created.code, stderr: created.stderr, notified: agent.notified() }).toEqual({ code: 0, stderr: '', notified: [] });
        agent.release();
        expect(rt('tsrun', ['start', id]).code).toBe(0);
        for (let i = 0; i < 500 && JSON.parse(rt('tsrun', ['state', id]).stdout || '{}').status !== 'stopped'; i++) sleepMs(20);
        // the container's own cd reached the listener
        expect(agent.notified()).toContainEqual({ pid: expect.any(Number), nr: NR.chdir, comm: 'sh' });
      } finally {
        agent.release();
        rt('tsrun', ['delete', '-f', id]);
        agent.proc.kill('SIGTERM'); // its per-connection children end with the container's filter
      }
    });
  }

  // runc's tests/integration/seccomp-notify.bats, "important syscalls" (some runc's own), both ways
  for (const nnp of [true, false]) {
    maybe(`runc's important syscalls notified (execve, openat, open, read, close, fcntl), noNewPrivileges ${nnp}: the container runs, as under runc`, () => {
      const agent = startAgent(false);
      try {
        const b = new Bundle((c) => {
          c.process.noNewPrivileges = nnp;
          c.linux.seccomp = {
            defaultAction: 'SCMP_ACT_ALLOW', listenerPath: agent.sock, architectures: ARCHES,
            syscalls: [{ names: ['execve', 'openat', 'open', 'read', 'close', 'fcntl'], action: 'SCMP_ACT_NOTIFY' }],
          };
        }).args('/bin/true');
        const out = (r: Runtime) => { const res = rt(r, ['run', '--bundle', b.dir, uniqueId(r)], { cwd: b.dir, timeout: 30_000 }); return { code: res.code, stderr: res.stderr }; };
        const ts = out('tsrun');
        expect(ts).toEqual({ code: 0, stderr: '' });
        expect(out('runc')).toEqual(ts);
      } finally {
        agent.proc.kill('SIGTERM');
      }
    });
  }
});
