// Old seccomp profiles on a new kernel: the -ENOSYS stub (runc's patchbpf, addon/seccomp.cc).
//
// A profile older than the kernel (test/fixtures/seccomp-old-allowlist.json: an allow-list in
// the style of the OCI runtime-tools generator's default, Linux 4.14 names, default ERRNO)
// must answer ENOSYS for syscalls newer than it, so libc falls back (clone3 -> clone,
// close_range, openat2, faccessat2, fchmodat2), and keep its own errno for what it names or
// what is older. A static probe in the container makes the raw syscalls; runc 1.1.5 runs the
// same bundle and must answer the same.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CASES } from '../helpers/differential-cases';
import { Bundle, describeRoot, RUNC, Runtime, runIn, sleepMs, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { makeRootfs } from '../helpers/rootfs';

const OLD = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/seccomp-old-allowlist.json'), 'utf8'));

// x86_64 numbers. The probe calls each with all-ones arguments: a call that reaches the kernel
// fails there (EINVAL, E2BIG, ESRCH, EFAULT) without side effects.
const NR = { getpid: 39, kcmp: 312, userfaultfd: 323, io_pgetevents: 333, rseq: 334, clone3: 435, close_range: 436, openat2: 437, faccessat2: 439, fchmodat2: 452, unknown: 1000 };
const NEW = [NR.io_pgetevents, NR.rseq, NR.clone3, NR.close_range, NR.openat2, NR.faccessat2, NR.fchmodat2, NR.unknown];
const PROBE = [NR.getpid, NR.kcmp, NR.userfaultfd, ...NEW];
const lines = (o: Record<number, string>) => Object.entries(o).map(([k, v]) => `${k}=${v}\n`).join('');
const each = (nrs: number[], v: string) => Object.fromEntries(nrs.map((n) => [n, v]));

let rootfs = '';
function probeRootfs(): string {
  if (rootfs) return rootfs;
  const dir = makeRootfs(path.join(work(), 'rootfs-probe'));
  const bin = path.join(dir, 'bin/syscall-probe');
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', bin, path.join(__dirname, '../helpers/syscall-probe.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`building syscall-probe: ${cc.stderr}`);
  rootfs = dir;
  return dir;
}

/**
 * What the kernel itself answers (the probe run on the host, no filter): a syscall a profile
 * lets through gets this, which depends on the kernel (user-mode Linux has no kcmp and no rseq,
 * Linux before 6.6 no fchmodat2: ENOSYS there, EINVAL/ESRCH elsewhere).
 */
let kernel: Record<number, string> | undefined;
function kernelAnswer(nr: number): string {
  if (!kernel) {
    const out = spawnSync(path.join(probeRootfs(), 'bin/syscall-probe'), PROBE.map(String), { encoding: 'utf8' }).stdout;
    kernel = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=')).map(([k, v]) => [Number(k), v]));
  }
  return kernel[nr];
}

function probeBundle(seccomp: unknown, nrs: number[], mutate?: (c: any) => void): Bundle {
  return new Bundle((c) => { c.linux.seccomp = seccomp; mutate?.(c); }, { rootfs: probeRootfs() })
    .args('/bin/syscall-probe', ...nrs.map(String));
}

function both(b: Bundle, norm: (s: string) => unknown = (s) => s) {
  const id = uniqueId('compat'); // the same id for both: it names the cgroup seen in mountinfo
  const out = (r: Runtime) => { const res = runIn(r, b, id); return { code: res.code, stdout: norm(res.stdout), stderr: res.stderr }; };
  return { tsrun: out('tsrun'), runc: RUNC ? out('runc') : undefined };
}

/** Placeholder in `want`: whatever the kernel answers for that syscall (kernelAnswer). */
const KERNEL = 'kernel';
const withKernel = (want: Record<number, string>) => Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v === KERNEL ? kernelAnswer(Number(k)) : v]));

const withRules = (extra: unknown[], more: object = {}) => ({ ...OLD, ...more, syscalls: [...OLD.syscalls, ...extra] });

const PROFILES: { name: string; seccomp: unknown; nrs: number[]; want: Record<number, string>; mutate?: (c: any) => void; notRunc?: true }[] = [
  {
    name: 'old allow-list: newer syscalls and unknown numbers get ENOSYS, older unnamed ones the default EPERM',
    seccomp: OLD, nrs: PROBE,
    want: { [NR.getpid]: '1', [NR.kcmp]: 'EPERM', [NR.userfaultfd]: 'EPERM', ...each(NEW, 'ENOSYS') },
  },
  {
    name: 'named and denied keeps its errno however new (openat2 EPERM, kcmp EACCES); unnamed below the newest named: the default',
    seccomp: withRules([{ names: ['openat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { names: ['kcmp'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]),
    nrs: PROBE,
    want: {
      [NR.getpid]: '1', [NR.kcmp]: 'EACCES', [NR.userfaultfd]: 'EPERM', [NR.io_pgetevents]: 'EPERM', [NR.rseq]: 'EPERM', [NR.clone3]: 'EPERM',
      [NR.close_range]: 'EPERM', [NR.openat2]: 'EPERM', [NR.faccessat2]: 'ENOSYS', [NR.fchmodat2]: 'ENOSYS', [NR.unknown]: 'ENOSYS',
    },
  },
  {
    name: 'default errno ENOSYS: everything not allowed says ENOSYS',
    seccomp: { ...OLD, defaultErrnoRet: 38 }, nrs: PROBE,
    want: { [NR.getpid]: '1', ...each([NR.kcmp, NR.userfaultfd, ...NEW], 'ENOSYS') },
  },
  {
    name: 'default KILL_PROCESS: newer syscalls get ENOSYS instead of the kill',
    seccomp: { ...OLD, defaultAction: 'SCMP_ACT_KILL_PROCESS' }, nrs: [NR.getpid, ...NEW],
    want: { [NR.getpid]: '1', ...each(NEW, 'ENOSYS') },
  },
  {
    // runc 1.1.5 builds no stub without architectures (EPERM even for 1000); 1.1.15 and 1.2 add the native one, as tsrun does
    name: 'no architectures listed: the native one gets the stub (runc >= 1.1.15; 1.1.5 answers EPERM)',
    seccomp: { ...OLD, architectures: [] }, nrs: PROBE, notRunc: true,
    want: { [NR.getpid]: '1', [NR.kcmp]: 'EPERM', [NR.userfaultfd]: 'EPERM', ...each(NEW, 'ENOSYS') },
  },
  {
    name: 'default ALLOW with a deny-list: no stub, new syscalls reach the kernel',
    seccomp: { defaultAction: 'SCMP_ACT_ALLOW', architectures: OLD.architectures, syscalls: [{ names: ['kcmp'], action: 'SCMP_ACT_ERRNO' }] },
    nrs: PROBE,
    // the kernel's own answers (on this host: userfaultfd EINVAL, io_pgetevents EFAULT, rseq EINVAL, clone3 E2BIG, ...)
    want: { [NR.getpid]: '1', [NR.kcmp]: 'EPERM', ...Object.fromEntries([NR.userfaultfd, ...NEW].map((n) => [n, KERNEL])) },
  },
];

describeRoot('seccomp -ENOSYS stub: old profiles, tsrun and runc', () => {
  useLeakChecks();

  for (const p of PROFILES) {
    test(p.name, () => {
      const r = both(probeBundle(p.seccomp, p.nrs, p.mutate));
      expect(r.tsrun).toEqual({ code: 0, stdout: lines(withKernel(p.want)), stderr: '' });
      if (r.runc && !p.notRunc) expect(r.tsrun).toEqual(r.runc);
    });
  }

  test('SCMP_ACT_NOTIFY in an old allow-list: the listener gets its syscall, the stub answers the newer ones', () => {
    const agentBin = path.join(work(), 'seccomp-agent');
    const cc = spawnSync('gcc', ['-O2', '-o', agentBin, path.join(__dirname, '../helpers/seccomp-agent.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`building seccomp-agent: ${cc.stderr}`);
    const dir = fs.mkdtempSync(path.join(work(), 'agent-'));
    const sock = path.join(dir, 'agent.sock'), log = path.join(dir, 'agent.log');
    const agent = spawn(agentBin, [sock, log], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !fs.existsSync(log); i++) sleepMs(10);
      // close_range allowed: the filter is loaded in the child (NEW_LISTENER), which closes fds after it
      const seccomp = withRules([{ names: ['close_range'], action: 'SCMP_ACT_ALLOW' }, { names: ['kcmp'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: sock });
      const nrs = [NR.kcmp, NR.userfaultfd, NR.close_range, NR.openat2, NR.unknown];
      const r = both(probeBundle(seccomp, nrs));
      // kcmp: the agent lets it continue, the kernel answers (ESRCH here; ENOSYS without kcmp);
      // close_range is allowed: the kernel's answer (ENOSYS under test:enosys's own filter)
      const want = { code: 0, stdout: lines({ [NR.kcmp]: kernelAnswer(NR.kcmp), [NR.userfaultfd]: 'EPERM', [NR.close_range]: kernelAnswer(NR.close_range), [NR.openat2]: 'ENOSYS', [NR.unknown]: 'ENOSYS' }), stderr: '' };
      expect(r.tsrun).toEqual(want);
      if (r.runc) expect(r.tsrun).toEqual(r.runc);
      // the flags load with the stub too (runc 1.1.5 refuses linux.seccomp.flags: tsrun only)
      const flags = ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'];
      expect(runIn('tsrun', probeBundle({ ...seccomp, flags }, nrs))).toEqual({ ...want, signal: null });
      const notified = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('notify ') && l.endsWith(` ${NR.kcmp}`));
      expect(notified).toHaveLength(r.runc ? 3 : 2);
    } finally {
      agent.kill('SIGTERM'); // its per-connection children exit with the containers' filters
    }
  });
});

// The differential cases (differential.test.ts) with the old allow-list instead of runc's
// default config's none: what busybox does under it must look the same under both runtimes.
// The cases that bring their own linux.seccomp are left out (they replace the profile).
const UNDER_OLD = CASES.filter((c) => !c.name.startsWith('seccomp'));

describeRoot('differential cases under the old allow-list (noNewPrivileges: tsrun-init loads the filter)', () => {
  useLeakChecks();
  for (const c of UNDER_OLD) {
    (RUNC ? test : test.skip)(c.name, () => {
      const b = new Bundle((cfg) => { cfg.linux.seccomp = OLD; c.mutate?.(cfg); }).args(...c.args);
      const r = both(b, c.norm);
      expect(r.tsrun).toEqual(r.runc);
    });
  }
});

// NEEDS THE LEAD'S close_range FIX (addon/child/fds.cc, prepare_fds): without noNewPrivileges, as
// in the bundles runtime-tools' validation programs generate, the child loads the filter
// itself and then calls close_range, which this profile does not name: ENOSYS from the stub
// (EPERM before it), and tsrun fails with "file descriptors close_range: function not
// implemented" until the child falls back. runc 1.1.5 runs all of these.
describeRoot('old allow-list without noNewPrivileges (runtime-tools bundles; needs the child\'s close_range fallback)', () => {
  useLeakChecks();
  const noNnp = (c: any) => { c.process.noNewPrivileges = false; };

  test('the probe: newer syscalls ENOSYS, older unnamed EPERM', () => {
    const r = both(probeBundle(OLD, PROBE, noNnp));
    expect(r.tsrun).toEqual({ code: 0, stdout: lines(PROFILES[0].want), stderr: '' });
    if (r.runc) expect(r.tsrun).toEqual(r.runc);
  });

  for (const c of UNDER_OLD) {
    (RUNC ? test : test.skip)(c.name, () => {
      const b = new Bundle((cfg) => { cfg.linux.seccomp = OLD; noNnp(cfg); c.mutate?.(cfg); }).args(...c.args);
      const r = both(b, c.norm);
      expect(r.tsrun).toEqual(r.runc);
    });
  }
});
