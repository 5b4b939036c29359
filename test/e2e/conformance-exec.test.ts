// Conformance (issue 12): the process environment as runc's init leaves it (exec -e, duplicate
// keys, socket activation), and --pidfd-socket (runc 1.2) on create, run and exec.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { binary, Bundle, describeRoot, errMsg, readPid, RUNC, rt, Runtime, sleepMs, stateRoot, uniqueId, useLeakChecks, which, work } from '../helpers/harness';

const maybe = RUNC ? test : test.skip;
const PY = which('python3');

describeRoot('conformance: the environment, one entry per name, the last value', () => {
  useLeakChecks();

  maybe('duplicate keys in process.env: the last value, in the place of the first (runc\'s init)', () => {
    const b = new Bundle((c) => { c.process.env = ['A=1', 'PATH=/bin', 'B=2', 'A=3', 'TERM=x', 'B=', 'C=4']; }).args('env');
    const id = uniqueId('env');
    const r = { runc: rt('runc', ['run', '--bundle', b.dir, id]), tsrun: rt('tsrun', ['run', '--bundle', b.dir, id]) };
    expect(r.tsrun).toEqual(r.runc);
    expect(r.tsrun.stdout).toBe('A=3\nPATH=/bin\nB=\nTERM=x\nC=4\nHOME=/root\n');
  });

  maybe('exec -e overrides a variable of the config, last -e wins, no duplicates', () => {
    const b = new Bundle((c) => { c.process.env.push('A=1'); }).args('sleep', '100');
    const out: Partial<Record<Runtime, string>> = {};
    for (const r of ['runc', 'tsrun'] as Runtime[]) {
      const id = uniqueId(r);
      expect(rt(r, ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
      try {
        const e = rt(r, ['exec', '-e', 'A=2', '-e', 'PATH=/bin', '-e', 'B=1', '-e', 'B=2', id, 'env']);
        expect(e.code).toBe(0);
        out[r] = e.stdout;
      } finally {
        rt(r, ['delete', '-f', id]);
      }
    }
    expect(out.tsrun).toBe(out.runc);
    expect(out.tsrun).toBe('PATH=/bin\nTERM=xterm\nA=2\nB=2\nHOME=/root\n');
  });

  maybe('socket activation: LISTEN_FDS and LISTEN_PID=1, as runc', () => {
    const b = new Bundle((c) => { c.process.env.push('LISTEN_PID=77'); }).args('sh', '-c', 'env | grep ^LISTEN_');
    const out: Partial<Record<Runtime, string>> = {};
    for (const r of ['runc', 'tsrun'] as Runtime[]) {
      const extra = fs.openSync(path.join(work(), 'listen'), 'w');
      const file = path.join(work(), `${uniqueId()}.out`);
      const o = fs.openSync(file, 'w');
      // LISTEN_PID must be the runtime's own pid: a shell sets it and execs the runtime in place
      const res = spawnSync('sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', binary(r), '--root', stateRoot(r), 'run', '--bundle', b.dir, uniqueId(r)],
        { stdio: ['ignore', o, 'inherit', extra] });
      fs.closeSync(o);
      fs.closeSync(extra);
      expect(res.status).toBe(0);
      out[r] = fs.readFileSync(file, 'utf8');
    }
    expect(out.tsrun).toBe(out.runc);
    expect(out.tsrun).toBe('LISTEN_PID=1\nLISTEN_FDS=1\n');
  });
});

/**
 * A listener on `sock` that takes one connection and writes what it received: the message,
 * the number of fds, what the fd is and the pid its fdinfo names.
 */
function pidfdReceiver(sock: string): { proc: ChildProcess; result: () => string } {
  const out = `${sock}.out`;
  const script = [
    'import os, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)',
    'open(sys.argv[2] + ".ready", "w").close()',
    'c, _ = s.accept()',
    'msg, fds, _, _ = socket.recv_fds(c, 64, 4)',
    'pid = [l.split()[1] for l in open("/proc/self/fdinfo/%d" % fds[0]) if l.startswith("Pid:")][0]',
    'open(sys.argv[2], "w").write("%s %d %s %s" % (msg.decode(), len(fds), os.readlink("/proc/self/fd/%d" % fds[0]), pid))',
  ].join('\n');
  const proc = spawn(PY!, ['-c', script, sock, out], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !fs.existsSync(`${out}.ready`); i++) sleepMs(10);
  return {
    proc,
    result: () => {
      for (let i = 0; i < 200 && !fs.existsSync(out); i++) sleepMs(10);
      return fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '(nothing received)';
    },
  };
}

describeRoot('conformance: --pidfd-socket (runc 1.2)', () => {
  useLeakChecks();
  const py = PY ? test : test.skip;

  py('create sends a pidfd of the init ("standard"), run -d too', () => {
    for (const verb of ['create', 'run']) {
      const sock = path.join(work(), `${uniqueId('pidfd')}.sock`);
      const recv = pidfdReceiver(sock);
      const b = new Bundle().args('sleep', '100');
      const id = uniqueId();
      const pidFile = path.join(b.dir, 'pid');
      try {
        const r = rt('tsrun', [verb, ...(verb === 'run' ? ['-d'] : []), '--pidfd-socket', sock, '--pid-file', pidFile, '--bundle', b.dir, id]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(recv.result()).toBe(`standard 1 anon_inode:[pidfd] ${readPid(pidFile)}`);
      } finally {
        recv.proc.kill('SIGKILL');
        rt('tsrun', ['delete', '-f', id]);
      }
    }
  });

  py('exec sends a pidfd of the exec\'d process ("setns")', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    expect(rt('tsrun', ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    const sock = path.join(work(), `${uniqueId('pidfd')}.sock`);
    const recv = pidfdReceiver(sock);
    try {
      const pidFile = path.join(b.dir, 'exec.pid');
      const r = rt('tsrun', ['exec', '-d', '--pidfd-socket', sock, '--pid-file', pidFile, id, 'sleep', '100']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(recv.result()).toBe(`setns 1 anon_inode:[pidfd] ${readPid(pidFile)}`);
    } finally {
      recv.proc.kill('SIGKILL');
      rt('tsrun', ['delete', '-f', id]);
    }
  });

  test('a socket nobody listens on: an error naming the flag, nothing created', () => {
    const b = new Bundle().args('true');
    const id = uniqueId();
    const r = rt('tsrun', ['create', '--pidfd-socket', path.join(work(), 'nobody.sock'), '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^--pidfd-socket \S+nobody\.sock: connect \S+: No such file or directory$/);
    expect(fs.existsSync(path.join(stateRoot('tsrun'), id))).toBe(false);
  });
});
