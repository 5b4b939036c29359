// Phase timings for --debug: each phase's duration since the previous mark, logged at debug level.
import { log } from './log';

const start = process.hrtime.bigint();
let last = start;

/** Mark the end of a phase. Cheap when --debug is off (one hrtime read). */
export function phase(name: string): void {
  const now = process.hrtime.bigint();
  log('debug', `phase ${name}: ${(Number(now - last) / 1e6).toFixed(2)} ms (total ${(Number(now - start) / 1e6).toFixed(2)} ms since module load)`);
  last = now;
}
