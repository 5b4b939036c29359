// Differential: the same bundle under runc and tsrun must look the same from inside.
import { Bundle, describeRoot, errMsg, RUNC, rt, Runtime, runIn, uniqueId, useLeakChecks } from '../helpers/harness';

/** mountinfo without what differs run to run: mount ids, device numbers, peer group ids. */
export function normMountinfo(text: string): string[] {
  return text.trim().split('\n').map((line) => {
    const [pre, post] = line.split(' - ');
    const f = pre.split(' ');
    const optional = f.slice(6).map((o) => o.replace(/:\d+$/, '')).join(' ');
    const [fstype, source, superOpts] = post.split(' ');
    return `${f[3]} ${f[4]} ${f[5]} [${optional}] ${fstype} ${source} ${superOpts}`;
  });
}

/** `ls -l` without the timestamps. */
export function normLs(text: string): string[] {
  return text.trim().split('\n').map((l) => l.replace(/\s+[A-Z][a-z]{2}\s+\d+\s+(\d\d:\d\d|\d{4})\s+/, ' ').replace(/\s+/g, ' '));
}

// mkdir denied with EPERM, chmod with EACCES, umask only for one argument value; a name this
// kernel or libseccomp does not know is ignored (runc does the same).
const SECCOMP = {
  defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['mkdir', 'mkdirat', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO' },
    { names: ['chmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 3, op: 'SCMP_CMP_EQ' }] },
  ],
};
const SECCOMP_PROBE = 'grep -E "^(Seccomp|NoNewPrivs)" /proc/self/status; mkdir /dev/shm/d; chmod 600 /dev/shm; touch /dev/shm/f && echo touched; hostname abc; hostname abcd; hostname';
// enough for busybox sh, echo and grep (x86_64 names; unknown ones are ignored)
const ALLOW = ['read', 'write', 'openat', 'open', 'close', 'execve', 'execveat', 'exit', 'exit_group', 'brk', 'mmap', 'munmap', 'mprotect',
  'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'fstat', 'newfstatat', 'stat', 'lstat', 'getpid', 'getppid', 'getuid', 'geteuid',
  'getgid', 'getegid', 'fcntl', 'dup2', 'dup3', 'vfork', 'fork', 'clone', 'clone3', 'wait4', 'ioctl', 'arch_prctl', 'set_tid_address',
  'prctl', 'getcwd', 'chdir', 'uname', 'capget', 'capset', 'setgroups', 'setresuid', 'setresgid', 'close_range', 'seccomp', 'lseek',
  'readlink', 'getdents64', 'sysinfo', 'poll', 'ppoll', 'pipe', 'pipe2', 'umask', 'futex', 'access', 'faccessat', 'faccessat2', 'readv', 'writev'];

const CASES: { name: string; args: string[]; mutate?: (c: any) => void; norm?: (s: string) => unknown }[] = [
  { name: 'id', args: ['id'] },
  { name: 'hostname', args: ['hostname'] },
  { name: 'env', args: ['sh', '-c', 'env | sort'] },
  { name: 'capabilities, no_new_privs, seccomp', args: ['sh', '-c', "grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status"] },
  { name: 'mountinfo', args: ['cat', '/proc/self/mountinfo'], norm: normMountinfo },
  { name: 'ls -l /dev', args: ['ls', '-l', '/dev'], norm: normLs },
  { name: 'ls -l /dev/pts /dev/shm /dev/mqueue', args: ['ls', '-la', '/dev/pts', '/dev/shm', '/dev/mqueue'], norm: normLs },
  { name: 'ulimit -a', args: ['sh', '-c', 'ulimit -a'] },
  { name: 'cwd and umask', args: ['sh', '-c', 'pwd; umask'] },
  { name: 'non-root user with groups and umask', args: ['sh', '-c', 'id; umask; grep -E "^(Cap|NoNewPrivs)" /proc/self/status'],
    mutate: (c) => { c.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 63 }; c.process.cwd = '/tmp'; } },
  { name: 'all capabilities, inheritable and ambient', args: ['sh', '-c', 'grep -E "^Cap" /proc/self/status'],
    mutate: (c) => { const all = ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_KILL']; c.process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: all.slice(0, 2), ambient: all.slice(0, 2) }; } },
  { name: 'rlimits', args: ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c'],
    mutate: (c) => { c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }]; } },
  { name: 'hostname', args: ['sh', '-c', 'hostname; cat /proc/sys/kernel/hostname'],
    mutate: (c) => { c.hostname = 'diff-host'; } },
  { name: 'readonly root off, tmpfs with options', args: ['sh', '-c', 'touch /x && echo writable; grep " /scratch " /proc/self/mountinfo | cut -d" " -f5-6'],
    mutate: (c) => { c.root.readonly = false; c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'size=1m', 'mode=700'] }); } },
  { name: 'masked and readonly paths', args: ['sh', '-c', 'cat /proc/kcore 2>&1 | head -c 20; echo; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; ls /proc/acpi 2>&1 | head -3'] },
  { name: 'exit code of a failing process', args: ['sh', '-c', 'exit 42'] },
  { name: 'seccomp deny-list with errnoRet, argument filter, unknown syscall name; no_new_privs', args: ['sh', '-c', SECCOMP_PROBE], mutate: (c) => { c.linux.seccomp = SECCOMP; } },
  { name: 'seccomp without no_new_privs (loaded before capabilities drop)', args: ['sh', '-c', SECCOMP_PROBE],
    mutate: (c) => { c.linux.seccomp = SECCOMP; c.process.noNewPrivileges = false; } },

];

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

  test('linux.personality LINUX32: uname -m reports a 32-bit machine; a host sysctl is refused naming the field', () => {
    const b = new Bundle((c) => { c.linux.personality = { domain: 'LINUX32' }; }).args('uname', '-m');
    expect(runIn('tsrun', b).stdout.trim()).toMatch(/^(i686|armv8l|i386)$/);
    const bad = new Bundle((c) => { c.linux.sysctl = { 'vm.swappiness': '10' }; }).args('true');
    expect(errMsg(rt('tsrun', ['create', '--bundle', bad.dir, uniqueId()]).stderr)).toMatch(/^linux\.sysctl/);
  });
});
