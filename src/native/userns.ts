// Which user namespace this process runs in (runc's userns.RunningInUserNS).
import fs = require('fs');

let cached: boolean | undefined;

/** /proc/self/uid_map is not the full identity map "0 0 4294967295". */
export function runningInUserNs(): boolean {
  if (cached !== undefined) return cached;
  let text = '';
  try { text = fs.readFileSync('/proc/self/uid_map', 'utf8'); } catch { return (cached = false); }
  const f = text.trim().split(/\s+/);
  cached = !(f.length === 3 && f[0] === '0' && f[1] === '0' && f[2] === '4294967295');
  return cached;
}
