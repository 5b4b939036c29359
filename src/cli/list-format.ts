// `list` output: runc's tabwriter table, JSON, or ids only.
import type { OciState } from '../state/status';

export function formatList(states: OciState[], format: string, quiet: boolean): string {
  if (quiet) return states.map((s) => s.id + '\n').join('');
  if (format === 'json') return JSON.stringify(states) + '\n';
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 1))).join('') + '\n').join('');
}
