// Differential: the same bundle under runc and tsrun must look the same from inside.
import { CASES, SECCOMP } from '../helpers/differential-cases';
import { Bundle, describeRoot, errMsg, RUNC, rt, Runtime, runIn, uniqueId, useLeakChecks } from '../helpers/harness';
import { LINUX32_UNAME } from '../helpers/host-kind';

// enough for busybox sh, echo and grep (x86_64 names; unknown ones are ignored)
const ALLOW = ['read', 'write', 'openat', 'open', 'close', 'execve', 'execveat', 'exit', 'exit_group', 'brk', 'mmap', 'munmap', 'mprotect',
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'fstat', 'newfstatat', 'stat', 'lstat', 'getpid', 'getppid', 'getuid', 'geteuid',
  'getgid', 'getegid', 'fcntl', 'dup2', 'dup3', 'vfork', 'fork', 'clone', 'clone3', 'wait4', 'ioctl', 'arch_prctl', 'set_tid_address',
  'prctl', 'getcwd', 'chdir', 'uname', 'capget', 'capset', 'setgroups', 'setresuid', 'setresgid', 'close_range', 'seccomp', 'lseek',
  'readlink', 'getdents64', 'sysinfo', 'poll', 'ppoll', 'pipe', 'pipe2', 'umask', 'futex', 'access', 'faccessat', 'faccessat2', 'readv', 'writev'];

describeRoot('differential: runc vs tsrun', () => {
  useLeakChecks();
  const maybe = RUNC ? test : test.skip;

  for (const c of CASES) {
    maybe(c.name, () => {
      const b = new Bundle(c.mutate).args(...c.args);
      const id = uniqueId('diff'); // the same id for both: it names the cgroup seen in mountinfo
      const out = (r: Runtime) => {
        const res = runIn(r, b, id);
        return { code: res.code, stdout: c.norm ? c.norm(res.stdout) : res.stdout, stderr: res.stderr };
      };
      const runc = out('runc');
      const ts = out('tsrun');
      expect(ts).toEqual(runc);
    });
  }

  test('seccomp default ERRNO with an allow-list (runc 1.1 cannot run this one: its init needs fstatfs after loading)', () => {
    const b = new Bundle((c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, syscalls: [{ names: ALLOW, action: 'SCMP_ACT_ALLOW' }] }; })
      .args('sh', '-c', 'echo hi; grep -E "^Seccomp:" /proc/self/status; mkdir /dev/shm/x');
    const r = runIn('tsrun', b);
    expect(r.stdout).toBe('hi\nSeccomp:\t2\n');
    expect(r.stderr).toContain('Function not implemented');
  });

  test('exec\'d processes get the container\'s seccomp filter', () => {
    const b = new Bundle((c) => { c.linux.seccomp = SECCOMP; }).args('sleep', '100');
    const id = uniqueId();
    expect(rt('tsrun', ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    const r = rt('tsrun', ['exec', id, 'sh', '-c', 'grep -E "^Seccomp:" /proc/self/status; mkdir /dev/shm/x']);
    expect(r.stdout).toBe('Seccomp:\t2\n');
    expect(r.stderr).toContain('Operation not permitted');
    expect(rt('tsrun', ['delete', '-f', id]).code).toBe(0);
  });

  test('seccomp errors name the field: notify listeners and unknown architectures', () => {
    const notify = new Bundle((c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/x.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }; }).args('true');
    expect(errMsg(rt('tsrun', ['create', '--bundle', notify.dir, uniqueId()]).stderr)).toMatch(/^linux\.seccomp/);
  });

  maybe('exit code when the binary does not exist', () => {
    const b = new Bundle().args('/does/not/exist');
    expect(runIn('tsrun', b).code).toBe(runIn('runc', b).code);
    b.args('not-in-path');
    expect(runIn('tsrun', b).code).toBe(runIn('runc', b).code);
  });
});

describeRoot('differential: sysctl', () => {
  useLeakChecks();
  (RUNC ? test : test.skip)('linux.sysctl in the container\'s network and ipc namespaces', () => {
    const b = new Bundle((c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '65536', 'net.ipv4.ping_group_range': '0 0' }; })
      .args('sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ping_group_range');
    const id = uniqueId('diff');
    const runc = runIn('runc', b, id);
    expect(runc).toMatchObject({ code: 0, stdout: '1\n65536\n0\t0\n' });
    expect(runIn('tsrun', b, id)).toEqual(runc);
  });

  test(`linux.personality LINUX32: uname -m reports a 32-bit machine${LINUX32_UNAME ? '' : ' (skipped here: this kernel ignores PER_LINUX32 in uname, setarch linux32 too)'}; a host sysctl is refused naming the field`, () => {
    const b = new Bundle((c) => { c.linux.personality = { domain: 'LINUX32' }; }).args('uname', '-m');
    if (LINUX32_UNAME) expect(runIn('tsrun', b).stdout.trim()).toMatch(/^(i686|armv8l|i386)$/);
    const bad = new Bundle((c) => { c.linux.sysctl = { 'vm.swappiness': '10' }; }).args('true');
    expect(errMsg(rt('tsrun', ['create', '--bundle', bad.dir, uniqueId()]).stderr)).toMatch(/^linux\.sysctl/);
  });
});
