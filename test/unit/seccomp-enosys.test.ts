// The -ENOSYS stub in front of libseccomp's program (runc's patchbpf): what the built filter
// answers, per architecture, evaluated with a BPF interpreter (no kernel, no root).
import * as fs from 'fs';
import * as path from 'path';
import { planSeccomp as planWith } from '../../src/plan/seccomp';
import { addon } from '../../src/native/addon';
import type { LinuxSeccomp, LinuxSyscall } from '../../src/spec/config-types';
import { AUDIT_ARCH, describeRet, runSeccomp, X32_BIT } from '../helpers/seccomp-bpf';

/** libseccomp in the addon, as host-facts gives it to the plan. */
const planSeccomp = (s: LinuxSeccomp) => planWith(s, (d) => addon().buildSeccomp(d));

const OLD: LinuxSeccomp = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/seccomp-old-allowlist.json'), 'utf8'));
const withRules = (s: LinuxSeccomp, extra: LinuxSeccomp['syscalls'], more: Partial<LinuxSeccomp> = {}): LinuxSeccomp =>
  ({ ...s, ...more, syscalls: [...(s.syscalls ?? []), ...(extra ?? [])] });

// x86_64 numbers
const NR = { getpid: 39, kcmp: 312, userfaultfd: 323, statx: 332, io_pgetevents: 333, rseq: 334, clone3: 435, close_range: 436, openat2: 437, faccessat2: 439, fchmodat2: 452 };
const NEW = [NR.io_pgetevents, NR.rseq, NR.clone3, NR.close_range, NR.openat2, NR.faccessat2, NR.fchmodat2, 1000, 0x3fffffff];

function answers(s: LinuxSeccomp, arch: number, nrs: number[]): Record<number, string> {
  const program = planSeccomp(s)!.program;
  return Object.fromEntries(nrs.map((nr) => [nr, describeRet(runSeccomp(program, { nr, arch }))]));
}
const all = (nrs: number[], v: string) => Object.fromEntries(nrs.map((n) => [n, v]));

describe('seccomp -ENOSYS stub', () => {
  test('old allow-list: newer syscalls and unknown numbers get ENOSYS, older unnamed ones the default errno', () => {
    expect(answers(OLD, AUDIT_ARCH.X86_64, [NR.getpid, NR.statx, NR.kcmp, NR.userfaultfd, ...NEW])).toEqual({
      [NR.getpid]: 'ALLOW', [NR.statx]: 'ALLOW', [NR.kcmp]: 'errno 1', [NR.userfaultfd]: 'errno 1', ...all(NEW, 'errno 38'),
    });
  });

  test('a named syscall keeps its own action however new; an unnamed one below it gets the default (runc\'s hole)', () => {
    const s = withRules(OLD, [{ names: ['openat2'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { names: ['kcmp'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]);
    expect(answers(s, AUDIT_ARCH.X86_64, [NR.kcmp, NR.userfaultfd, NR.clone3, NR.close_range, NR.openat2, NR.faccessat2, NR.fchmodat2, 1000])).toEqual({
      [NR.kcmp]: 'errno 13', [NR.userfaultfd]: 'errno 1', [NR.clone3]: 'errno 1', [NR.close_range]: 'errno 1', [NR.openat2]: 'errno 1',
      [NR.faccessat2]: 'errno 38', [NR.fchmodat2]: 'errno 38', 1000: 'errno 38',
    });
  });

  test('a name denied with the default action still counts as named', () => {
    const s = withRules(OLD, [{ names: ['close_range'], action: 'SCMP_ACT_ERRNO' }]);
    expect(answers(s, AUDIT_ARCH.X86_64, [NR.close_range, NR.openat2])).toEqual({ [NR.close_range]: 'errno 1', [NR.openat2]: 'errno 38' });
  });

  test('per architecture: i386 and x32 have their own newest syscall; an architecture not in the profile is left to libseccomp', () => {
    // i386: the newest named is arch_prctl (384); statx is 383, clone3 435
    expect(answers(OLD, AUDIT_ARCH.I386, [20 /* getpid */, 383, 385, 435, 1000])).toEqual({ 20: 'ALLOW', 383: 'ALLOW', 385: 'errno 38', 435: 'errno 38', 1000: 'errno 38' });
    // x32 (X32_SYSCALL_BIT): the newest named is pwritev2 (x32 547)
    expect(answers(OLD, AUDIT_ARCH.X86_64, [X32_BIT + 39, X32_BIT + 547, X32_BIT + 548, X32_BIT + 1000])).toEqual({
      [X32_BIT + 39]: 'ALLOW', [X32_BIT + 547]: 'ALLOW', [X32_BIT + 548]: 'errno 38', [X32_BIT + 1000]: 'errno 38',
    });
    // x86_64 alone: x32 numbers are not the stub's, libseccomp's bad-architecture action applies
    const only64: LinuxSeccomp = { ...OLD, architectures: ['SCMP_ARCH_X86_64'] };
    expect(answers(only64, AUDIT_ARCH.X86_64, [X32_BIT + 39, X32_BIT + 1000, 1000])).toEqual({ [X32_BIT + 39]: 'KILL', [X32_BIT + 1000]: 'KILL', 1000: 'errno 38' });
    expect(answers(only64, AUDIT_ARCH.AARCH64, [1000])).toEqual({ 1000: 'KILL' });
    // aarch64 in the profile: its own numbering (getpid 172, close_range 436)
    const arm: LinuxSeccomp = { ...OLD, architectures: ['SCMP_ARCH_AARCH64'] };
    expect(answers(arm, AUDIT_ARCH.AARCH64, [172, 291 /* statx */, 436, 1000])).toEqual({ 172: 'ALLOW', 291: 'ALLOW', 436: 'errno 38', 1000: 'errno 38' });
  });

  test('the native architecture gets the stub even when the profile does not list it', () => {
    expect(answers({ ...OLD, architectures: [] }, AUDIT_ARCH.X86_64, [NR.getpid, NR.kcmp, NR.close_range, 1000]))
      .toEqual({ [NR.getpid]: 'ALLOW', [NR.kcmp]: 'errno 1', [NR.close_range]: 'errno 38', 1000: 'errno 38' });
  });

  test('KILL, TRAP and NOTIFY defaults get the stub; ALLOW, LOG, TRACE and an ENOSYS default do not', () => {
    const getpid: LinuxSyscall = { names: ['getpid'], action: 'SCMP_ACT_ALLOW' };
    const write = 1;  // older than getpid, not named
    const kill = answers({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [getpid] }, AUDIT_ARCH.X86_64, [write, NR.kcmp, 1000]);
    expect(kill).toEqual({ [write]: 'KILL_PROCESS', [NR.kcmp]: 'errno 38', 1000: 'errno 38' });
    expect(answers({ defaultAction: 'SCMP_ACT_TRAP', syscalls: [getpid] }, AUDIT_ARCH.X86_64, [write, 1000])).toEqual({ [write]: 'TRAP', 1000: 'errno 38' });
    const notify: LinuxSeccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x', syscalls: [getpid] };
    expect(answers(notify, AUDIT_ARCH.X86_64, [write, 1000])).toEqual({ [write]: 'NOTIFY', 1000: 'errno 38' });
    expect(planSeccomp(notify)!.notify).toBe(true);

    const deny: LinuxSyscall = { names: ['close_range'], action: 'SCMP_ACT_ERRNO' };
    expect(answers({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny] }, AUDIT_ARCH.X86_64, [NR.close_range, 1000])).toEqual({ [NR.close_range]: 'errno 1', 1000: 'ALLOW' });
    expect(answers({ defaultAction: 'SCMP_ACT_LOG', syscalls: [deny] }, AUDIT_ARCH.X86_64, [1000])).toEqual({ 1000: 'LOG' });
    expect(answers({ defaultAction: 'SCMP_ACT_TRACE', syscalls: [deny] }, AUDIT_ARCH.X86_64, [1000])).toEqual({ 1000: 'TRACE' });
    const enosys: LinuxSeccomp = { ...OLD, defaultErrnoRet: 38 };
    expect(planSeccomp(enosys)!.program.length).toBeLessThan(planSeccomp(OLD)!.program.length);
    expect(answers(enosys, AUDIT_ARCH.X86_64, [NR.kcmp, 1000])).toEqual({ [NR.kcmp]: 'errno 38', 1000: 'errno 38' });
  });

  test('notify rules and flags are as before: NEW_LISTENER with a notify rule, TSYNC/LOG/SPEC_ALLOW passed on', () => {
    const s = withRules(OLD, [{ names: ['kcmp'], action: 'SCMP_ACT_NOTIFY' }], {
      listenerPath: '/x', flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    });
    const plan = planSeccomp(s)!;
    expect(plan).toMatchObject({ notify: true, flags: 1 | 2 | 4 | 8 | 16 });
    expect(answers(s, AUDIT_ARCH.X86_64, [NR.kcmp, NR.getpid, NR.close_range])).toEqual({ [NR.kcmp]: 'NOTIFY', [NR.getpid]: 'ALLOW', [NR.close_range]: 'errno 38' });
  });

  test('argument rules: a named syscall with a comparison falls to the default when it does not match, not to ENOSYS', () => {
    const s: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['close_range'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 4, op: 'SCMP_CMP_EQ' }] }] };
    const program = planSeccomp(s)!.program;
    const run = (flags: bigint) => describeRet(runSeccomp(program, { nr: NR.close_range, arch: AUDIT_ARCH.X86_64, args: [3n, 10n, flags] }));
    expect([run(4n), run(0n)]).toEqual(['ALLOW', 'errno 1']);
    expect(describeRet(runSeccomp(program, { nr: NR.openat2, arch: AUDIT_ARCH.X86_64 }))).toBe('errno 38');
  });
});
