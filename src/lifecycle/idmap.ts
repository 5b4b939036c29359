// The parent's half of the user namespace: write uid_map/gid_map for the child.
import fs = require('fs');
import type { LinuxIdMapping } from '../spec/config-types';
import { onField } from './field-fs';

export function formatMap(m: LinuxIdMapping[]): string {
  return m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
}

export function writeIdMaps(pid: number, uid: LinuxIdMapping[], gid: LinuxIdMapping[]): void {
  const write = (field: string, file: string, text: string) => onField(field, 'write', file, () => fs.writeFileSync(file, text));
  if (process.geteuid?.() !== 0) write('linux.uidMappings', `/proc/${pid}/setgroups`, 'deny');
  write('linux.uidMappings', `/proc/${pid}/uid_map`, formatMap(uid));
  write('linux.gidMappings', `/proc/${pid}/gid_map`, formatMap(gid));
}
