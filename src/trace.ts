// --debug: what each step does and how long it took, at debug level in the log format asked
// for (to the --log file when given). The child after clone cannot log (raw syscalls only), so
// what it will do is logged from the plan it is given, before the clone; what the parent does
// (cgroups, id maps, hooks, fds) is logged where it does it. Nothing here runs without --debug
// but one hrtime read per phase.
import { debugEnabled, log, type Fields } from './log';
import type { NativePlan } from './native/addon';
import { CLONE, MS } from './native/constants';
import { rlimitName } from './spec/rlimits';
import { capNames } from './spec/capabilities';

const start = process.hrtime.bigint();
let last = start;

/** One debug line per detail, computed only with --debug. */
export function trace(step: string, details: () => string | string[] | undefined, fields?: Fields): void {
  if (!debugEnabled()) return;
  const d = details();
  for (const line of Array.isArray(d) ? d : d === undefined ? [] : [d]) log('debug', `${step}: ${line}`, fields);
}

/** Mark the end of a phase (its duration since the previous mark) and what it did. */
export function phase(name: string, details?: () => string | string[] | undefined): void {
  const now = process.hrtime.bigint();
  if (debugEnabled()) {
    log('debug', `phase ${name}: ${(Number(now - last) / 1e6).toFixed(2)} ms (total ${(Number(now - start) / 1e6).toFixed(2)} ms since module load)`);
    if (details) trace(name, details);
  }
  last = now;
}

const NS_NAMES: [number, string][] = [[CLONE.NEWUSER, 'user'], [CLONE.NEWNS, 'mount'], [CLONE.NEWPID, 'pid'], [CLONE.NEWNET, 'network'],
  [CLONE.NEWIPC, 'ipc'], [CLONE.NEWUTS, 'uts'], [CLONE.NEWCGROUP, 'cgroup'], [CLONE.NEWTIME, 'time']];
const nsNames = (flags: number) => NS_NAMES.filter(([f]) => flags & f).map(([, n]) => n);

const MS_NAMES: [number, string][] = [[MS.RDONLY, 'ro'], [MS.NOSUID, 'nosuid'], [MS.NODEV, 'nodev'], [MS.NOEXEC, 'noexec'],
  [MS.REC, 'rec'], [MS.NOATIME, 'noatime'], [MS.RELATIME, 'relatime'], [MS.NODIRATIME, 'nodiratime'], [MS.SYNCHRONOUS, 'sync'],
  [MS.NOSYMFOLLOW, 'nosymfollow'], [MS.PRIVATE, 'private'], [MS.SLAVE, 'slave'], [MS.SHARED, 'shared'], [MS.UNBINDABLE, 'unbindable']];
const msNames = (flags: number) => MS_NAMES.filter(([f]) => flags & f).map(([, n]) => n).join(',') || 'none';

/** What the child will do, step by step, in its order (addon/child/steps.cc), for `--debug`. */
export function describeChild(p: NativePlan): string[] {
  const out: string[] = [];
  const made = nsNames(p.cloneFlags | p.unshareFlags);
  out.push(made.length ? `namespaces made: ${made.join(', ')}${p.twoStage ? ' (unshared after joining)' : ' (clone flags)'}` : 'namespaces made: none');
  for (const j of p.joins) out.push(`namespace joined: ${nsNames(j.type).join('') || j.type} ${j.path} (linux.namespaces[${j.index}])`);
  if (p.hostname !== null) out.push(`hostname ${JSON.stringify(p.hostname)}`);
  if (p.domainname !== null) out.push(`domainname ${JSON.stringify(p.domainname)}`);
  if (p.setupRootfs) {
    out.push(`rootfs ${p.rootfs}: propagation ${msNames(p.rootPropagation)}, then ${p.noPivot ? 'chroot (--no-pivot)' : 'pivot_root'}${p.readonlyRoot ? ', read-only' : ''}`);
  }
  for (const m of p.mounts) {
    const where = m.index >= 0 ? `mounts[${m.index}]` : 'runtime mount';
    const what = m.kind === 1 ? `bind ${m.source}` : `${m.fstype} ${m.source ?? ''}`.trim();
    const extra = [m.data ? `data ${m.data}` : '', m.propagation ? `propagation ${msNames(m.propagation)}` : '', m.attrSet || m.attrClr ? 'recursive attributes (mount_setattr)' : '',
      m.idmap ? `idmapped (${m.idmap.recursive ? 'ridmap' : 'idmap'})` : '', m.tmpcopyup ? 'tmpcopyup' : ''].filter(Boolean);
    out.push(`${where}: mount ${what} on /${m.target.replace(/^\//, '')} flags ${msNames(m.flags)}${extra.length ? `, ${extra.join(', ')}` : ''}`);
  }
  for (const d of p.devices) {
    const type = (d.mode & 0o170000) === 0o020000 ? 'c' : (d.mode & 0o170000) === 0o060000 ? 'b' : 'p';
    out.push(`${d.index >= 0 ? `linux.devices[${d.index}]` : 'default device'}: ${d.hostPath ? `bind ${d.hostPath} on` : `mknod ${type} ${d.major}:${d.minor}`} /${d.path} mode ${(d.mode & 0o7777).toString(8)} uid ${d.uid} gid ${d.gid}`);
  }
  for (const s of p.symlinks) out.push(`symlink /${s.link.replace(/^\//, '')} -> ${s.target}`);
  if (p.masked.length) out.push(`masked paths: ${p.masked.join(' ')}`);
  if (p.readonly.length) out.push(`read-only paths: ${p.readonly.join(' ')}`);
  for (const s of p.sysctls ?? []) out.push(`sysctl ${s.key} = ${s.value}`);
  for (const r of p.rlimits) out.push(`rlimit ${rlimitName(r.resource)}: soft ${r.soft} hard ${r.hard} (process.rlimits[${r.index}])`);
  out.push(`credentials: uid ${p.uid} gid ${p.gid} additional gids [${p.groups.join(' ')}]${p.umask >= 0 ? ` umask ${p.umask.toString(8)}` : ''}`);
  if (p.caps) {
    const sets = Object.entries(p.caps).map(([set, mask]) => `${set} [${capNames(mask).join(' ')}]`);
    out.push(`capabilities: ${sets.join(', ')}`);
  }
  out.push(`no_new_privs ${p.noNewPrivs}`);
  if (p.seccompProgram) {
    out.push(`seccomp: ${p.seccompProgram.length / 8} BPF instructions, loaded by ${!p.seccompInChild ? 'tsrun-init right before exec' : p.noNewPrivs ? 'the child after its setup, right before tsrun-init' : 'the child before dropping capabilities'}${p.seccompNotify ? ', with a notify listener' : ''}`);
  }
  if (p.lsmAttr) out.push(`LSM: tsrun-init writes ${JSON.stringify(p.lsmValue)} to /proc/${p.lsmAttr}`);
  const fds = [`stdio 0-2 inherited`, p.preserveFds ? `fds 3-${2 + p.preserveFds} passed (--preserve-fds/LISTEN_FDS)` : 'no other fd',
    p.consoleSocketFd >= 0 ? 'pty master sent over the console socket' : ''].filter(Boolean);
  out.push(`fds: ${fds.join(', ')}`);
  out.push(`exec tsrun-init (sealed memfd)${p.fifoFd >= 0 ? ', which waits on exec.fifo for start' : ''}, then ${p.pathCandidates.length > 1 ? `the first of ${p.pathCandidates.join(' ')}` : p.pathCandidates[0] ?? p.args[0]} with args ${JSON.stringify(p.args)} in ${p.cwd}`);
  return out;
}
