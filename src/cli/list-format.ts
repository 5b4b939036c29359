// `list` output: runc's tabwriter table, JSON, or ids only.
import type { OciState } from '../state/status';

export function formatList(states: OciState[], format: string, quiet: boolean): string {
  if (quiet) return states.map((s) => s.id + '\n').join('');
  if (format === 'json') return JSON.stringify(states.length ? states : null) + '\n';
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
  // Go's tabwriter as runc sets it up: minwidth 12, padding 3; the last column is not padded.
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('') + '\n').join('');
}
