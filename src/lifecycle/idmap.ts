// The parent's half of the user namespace: write uid_map/gid_map for the child.
import fs = require('fs');
import type { LinuxIdMapping } from '../spec/config-types';
import { TsrunError } from '../errors';

export function formatMap(m: LinuxIdMapping[]): string {
  return m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
}

export function writeIdMaps(pid: number, uid: LinuxIdMapping[], gid: LinuxIdMapping[]): void {
  try {
    if (process.geteuid?.() !== 0) fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    fs.writeFileSync(`/proc/${pid}/uid_map`, formatMap(uid));
  } catch (e) {
    throw new TsrunError(`linux.uidMappings: writing /proc/${pid}/uid_map: ${(e as Error).message}`, { field: 'linux.uidMappings' });
  }
  try {
    fs.writeFileSync(`/proc/${pid}/gid_map`, formatMap(gid));
  } catch (e) {
    throw new TsrunError(`linux.gidMappings: writing /proc/${pid}/gid_map: ${(e as Error).message}`, { field: 'linux.gidMappings' });
  }
}
