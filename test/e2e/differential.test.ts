// Differential: the same bundle under runc and tsrun must look the same from inside.
import { Bundle, describeRoot, RUNC, Runtime, runIn, uniqueId, useLeakChecks } from '../helpers/harness';

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

  maybe('exit code when the binary does not exist', () => {
    const b = new Bundle().args('/does/not/exist');
    expect(runIn('tsrun', b).code).toBe(runIn('runc', b).code);
    b.args('not-in-path');
    expect(runIn('tsrun', b).code).toBe(runIn('runc', b).code);
  });
});
