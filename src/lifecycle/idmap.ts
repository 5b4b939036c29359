// The parent's half of the user namespace: write uid_map/gid_map for the child.
//
// As root any mapping is written directly. Unprivileged (rootless), the kernel lets a process
// write only a single mapping of its own effective id (size 1), and for gid_map only once
// setgroups is denied in the namespace (user_namespaces(7): otherwise dropping a group by
// setgroups could gain access a negative ACL denies). Anything else goes through the setuid
// helpers newuidmap/newgidmap (the uidmap package), which check the ranges against
// /etc/subuid and /etc/subgid: what they refuse is an error naming the field. setgroups
// stays allowed then (newgidmap decides), but tsrun never calls it rootless (rootless.ts).
import fs = require('fs');
import path = require('path');
import { TsrunError } from '../errors';
import type { LinuxIdMapping } from '../spec/config-types';
import { onField } from './field-fs';

export function formatMap(m: LinuxIdMapping[]): string {
  return m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
}

/** A single mapping of `own` (size 1): what an unprivileged process may write itself. */
export function ownSingle(m: LinuxIdMapping[], own: number): boolean {
  return m.length === 1 && Number(m[0].size) === 1 && Number(m[0].hostID) === own;
}

export function writeIdMaps(pid: number, uid: LinuxIdMapping[], gid: LinuxIdMapping[]): void {
  const write = (field: string, file: string, text: string) => onField(field, 'write', file, () => fs.writeFileSync(file, text));
  const euid = process.geteuid?.() ?? 0;
  if (euid === 0) {
    write('linux.uidMappings', `/proc/${pid}/uid_map`, formatMap(uid));
    write('linux.gidMappings', `/proc/${pid}/gid_map`, formatMap(gid));
    return;
  }
  if (ownSingle(uid, euid)) write('linux.uidMappings', `/proc/${pid}/uid_map`, formatMap(uid));
  else mapWithHelper('newuidmap', 'linux.uidMappings', pid, uid, euid);
  const egid = process.getegid?.() ?? 0;
  if (ownSingle(gid, egid)) {
    // before gid_map, or the kernel refuses the write (EPERM)
    write('linux.gidMappings', `/proc/${pid}/setgroups`, 'deny');
    write('linux.gidMappings', `/proc/${pid}/gid_map`, formatMap(gid));
  } else mapWithHelper('newgidmap', 'linux.gidMappings', pid, gid, egid);
}

function findHelper(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = path.join(d, name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

function mapWithHelper(tool: 'newuidmap' | 'newgidmap', field: string, pid: number, m: LinuxIdMapping[], own: number): void {
  const kind = tool === 'newuidmap' ? 'uid' : 'gid';
  const sub = tool === 'newuidmap' ? '/etc/subuid' : '/etc/subgid';
  const why = `maps more than this user's own ${kind} ${own} (a rootless container)`;
  const bin = findHelper(tool);
  if (!bin) throw new TsrunError(`${field}: ${why}: that needs ${tool} (apt-get install uidmap) and ranges for the user in ${sub}`, { field });
  const args = [String(pid), ...m.flatMap((e) => [String(e.containerID), String(e.hostID), String(e.size)])];
  // nothing of tsrun's reaches it: no environment beyond PATH, stdin closed
  // child_process is loaded here, not at the top: it costs every create ~3 ms of CPU (net, streams)
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const r = spawnSync(bin, args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return;
  const said = (r.stderr || r.stdout || '').trim().replace(/\s+/g, ' ') || (r.error ? r.error.message : `exit status ${r.status ?? r.signal}`);
  throw new TsrunError(`${field}: ${why}: ${tool} ${args.join(' ')} failed: ${said} (the ranges must be the user's in ${sub})`, { field });
}
