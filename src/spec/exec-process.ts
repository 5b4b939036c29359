// The process `exec` runs: a process.json (--process), or the container's own process with
// runc's flag overrides (--cwd, --env, --user, ...). Validated like config.json's process, and
// a flag's value is refused naming the flag, as runc refuses it.
import { TsrunError, errnoText } from '../errors';
import type { LinuxCapabilities, Process } from './config-types';
import { parseJson } from './json-int64';
import { readDocument } from './load';
import { checkRunnable } from './semantic';
import { ID_RANGE_TEXT, validateProcess } from './validate';

/** exec's flags that make the process (lifecycle/exec.ts ExecOptions has them all). */
export interface ExecProcessFlags {
  /** process.json path ("-" is not supported: runc takes a file). */
  process?: string;
  args?: string[];
  tty?: boolean;
  cwd?: string;
  env?: string[];
  user?: string;
  additionalGids?: number[];
  cap?: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
}

/** runc's maxID (libcontainer/user): 4294967295 is (uid_t)-1, "unchanged" to setresuid; larger ones wrap. */
const ID_MAX = 2147483647;

/** The process to exec: process.json, or the container's process with runc's flag overrides. */
export function execProcess(base: Process | undefined, o: ExecProcessFlags, warn?: (m: string) => void): Process {
  if (o.process) {
    let doc: unknown;
    try { doc = parseJson(readDocument(o.process)); } // a regular file, at most 16 MiB
    catch (e) { throw new TsrunError(`--process ${o.process}: ${errnoText(e)}`); }
    validateProcess(doc, 'process', { warn });
    checkRunnable(doc);
    return doc;
  }
  // runc: "process args cannot be empty"
  if (!o.args || o.args.length === 0) throw new TsrunError('process args cannot be empty');
  const p: Process = structuredClone(base ?? { cwd: '/' }); // keeps int64 rlimits as bigint
  p.args = o.args;
  p.terminal = !!o.tty;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env?.length) p.env = [...(p.env ?? []), ...o.env];
  // Ids beyond 2^31-1 (runc's maxID) are refused as runc does: 4294967295 is (uid_t)-1,
  // "unchanged" to setresuid (the process kept root), larger ones wrapped (4294967296 -> 0).
  if (o.user) {
    // runc's exec -u takes uid[:gid], numeric (a name is looked up by nobody)
    const m = /^(\d+)(?::(\d+))?$/.exec(o.user);
    if (!m) throw new TsrunError(`--user ${o.user}: must be uid[:gid] with numeric ids`);
    if (Number(m[1]) > ID_MAX || Number(m[2] ?? 0) > ID_MAX) throw new TsrunError(`--user ${o.user}: ${ID_RANGE_TEXT}`);
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), uid: Number(m[1]), gid: m[2] !== undefined ? Number(m[2]) : (p.user?.gid ?? 0) };
  }
  if (o.additionalGids?.length) {
    const bad = o.additionalGids.find((g) => !Number.isInteger(g) || g < 0 || g > ID_MAX);
    if (bad !== undefined) throw new TsrunError(`--additional-gids: ${ID_RANGE_TEXT}`);
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: o.additionalGids };
  }
  if (o.noNewPrivs) p.noNewPrivileges = true;
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  // The flags' values go through the checks a process.json gets (NUL bytes, KEY=value env,
  // absolute cwd, id ranges), as runc refuses them too. --cap is added after: an unknown
  // capability is a warning (spec/host-rules, as in runc), and its name reaches no syscall.
  validateProcess(p, 'process', { warn });
  checkRunnable(p);
  if (o.cap?.length) {
    const caps: LinuxCapabilities = { ...(p.capabilities ?? {}) };
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...new Set([...(caps[set] ?? []), ...o.cap])];
    p.capabilities = caps;
  }
  return p;
}
