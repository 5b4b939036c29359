// Pressure stall information of a cgroup (cpu.pressure, memory.pressure, io.pressure; kernel
// 4.20+ with PSI on), as runc 1.2 reports it in `events --stats`: cpu.psi, memory.psi and
// blkio.psi, each {some, full} of {avg10, avg60, avg300, total}. runc 1.1.5 reports none; a
// kernel without PSI (the files missing, or EOPNOTSUPP with psi=0) leaves them out.
import fs = require('fs');
import path = require('path');
import { u64, type U64 } from './resource-util';

export interface PSIData { avg10: number; avg60: number; avg300: number; total: U64 }
export interface PSIStats { some?: PSIData; full?: PSIData }

/** Parse a *.pressure file ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull ..."). */
export function parsePsi(text: string): PSIStats | undefined {
  const out: PSIStats = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)$/.exec(line.trim());
    if (!m) continue;
    out[m[1] as 'some' | 'full'] = { avg10: Number(m[2]), avg60: Number(m[3]), avg300: Number(m[4]), total: u64(BigInt(m[5])) };
  }
  return out.some || out.full ? out : undefined;
}

/** The PSI of `dir`/`file`, or undefined where the kernel has none. */
export function readPsi(dir: string, file: 'cpu.pressure' | 'memory.pressure' | 'io.pressure'): PSIStats | undefined {
  try {
    return parsePsi(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch {
    return undefined;
  }
}
