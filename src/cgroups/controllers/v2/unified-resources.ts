// linux.resources.unified: raw cgroup v2 file name → value, written last (after every other
// resource, so they override), as runc 1.1 fs2.go setUnified. Keys must be plain file names
// of the container's cgroup directory.

import { ConfigError } from '../../../errors';
import type { LinuxResources } from '../../../spec/config-types';
import { EACCES, ENOENT, EPERM, errnoOf, writeCg } from '../../fsutil';
import { RESOURCES_FIELD, availableControllers } from './resource-util';

export const name = 'unified';

export function unifiedField(key: string): string {
  return `${RESOURCES_FIELD}.unified[${JSON.stringify(key)}]`;
}

/** Entries of linux.resources.unified, validated without IO. */
export function unifiedEntries(r: LinuxResources): Array<[string, string]> {
  const u = r.unified ?? {};
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(u)) {
    if (key === '' || key === '.' || key === '..' || key.includes('/') || key.includes('\0')) {
      throw new ConfigError(unifiedField(key), 'must be a file name in the container\'s cgroup directory (no "/", not "." or "..")');
    }
    if (typeof value !== 'string') throw new ConfigError(unifiedField(key), `value must be a string, got ${JSON.stringify(value)}`);
    out.push([key, value]);
  }
  return out;
}

export function set(dir: string, r: LinuxResources): void {
  for (const [key, value] of unifiedEntries(r)) {
    try {
      writeCg(dir, key, value, unifiedField(key));
    } catch (e) {
      const code = ({ [ENOENT]: 'ENOENT', [EPERM]: 'EPERM', [EACCES]: 'EACCES' } as Record<number, string>)[errnoOf(e)];
      if (code) {
        // Say which controller is missing rather than "no such file".
        const dot = key.indexOf('.');
        if (dot <= 0 || dot === key.length - 1) {
          throw new ConfigError(unifiedField(key), `cannot set ${key} (${code}): a unified resource must be of the form CONTROLLER.PARAMETER`);
        }
        const controller = key.slice(0, dot);
        const avail = availableControllers(dir);
        if (controller !== 'cgroup' && avail && !avail.includes(controller)) {
          throw new ConfigError(
            unifiedField(key),
            `can't be set: cgroup v2 controller "${controller}" is not available in ${dir} (cgroup.controllers: "${avail.join(' ')}")`,
          );
        }
      }
      throw e;
    }
  }
}
