// The differential cases: one bundle, run under runc and tsrun, must look the same from inside.
// Shared by differential.test.ts (the default config) and seccomp-compat.test.ts (the same
// cases under an old seccomp allow-list).

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
export const SECCOMP = {
  defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['mkdir', 'mkdirat', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO' },
    { names: ['chmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    { names: ['sethostname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 3, op: 'SCMP_CMP_EQ' }] },
  ],
};
export const SECCOMP_PROBE = 'grep -E "^(Seccomp|NoNewPrivs)" /proc/self/status; mkdir /dev/shm/d; chmod 600 /dev/shm; touch /dev/shm/f && echo touched; hostname abc; hostname abcd; hostname';

export interface DiffCase { name: string; args: string[]; mutate?: (c: any) => void; norm?: (s: string) => unknown }

export const CASES: DiffCase[] = [
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
