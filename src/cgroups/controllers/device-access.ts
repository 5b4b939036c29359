// linux.resources.devices[i].access as runc reads it (specconv, then devices.Permissions.toSet):
// the letters r, w and m count, in any order and number, and any other character is ignored,
// so "rwa" is "rw" and "mwr" is "rwm". Shared by the v1 devices writer and the v2 device filter.
import { ConfigError } from '../../errors';

/**
 * The access of a config rule as a canonical subset of "rwm", or null for a rule that changes
 * nothing (a b/c deny without r, w or m: runc's emulator ignores it). Refused: an empty or missing
 * access (runc: "device access at N field cannot be empty"), and a b/c allow without r, w or m
 * (runc fails on it later with "resulting devices cgroup doesn't precisely match target").
 * A type "a" rule resets the whole cgroup whatever its letters say.
 */
export function specDeviceAccess(d: { access?: string; allow?: boolean; type?: string }, field: string): string | null {
  if (typeof d.access !== 'string' || d.access === '') throw new ConfigError(`${field}.access`, 'device access cannot be empty');
  const canonical = ['r', 'w', 'm'].filter((c) => d.access!.includes(c)).join('');
  if (canonical !== '' || d.type === undefined || (d.type as string) === '' || d.type === 'a') return canonical || 'rwm';
  if (d.allow) throw new ConfigError(`${field}.access`, `${JSON.stringify(d.access)} has none of r, w and m: the rule would allow nothing`);
  return null;
}
