// Signal names and numbers as `kill` accepts them: KILL, SIGKILL, 9.
import os = require('os');
import { TsrunError } from '../errors';

export function parseSignal(sig: string | number | undefined): number {
  if (sig === undefined || sig === '') return os.constants.signals.SIGTERM;
  if (typeof sig === 'number') return sig;
  if (/^\d+$/.test(sig)) {
    return Number(sig);
  } else {
    const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
    const n = (os.constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
    const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
    if (rt) return (rt[1] === 'IN' ? 34 : 64) + Number(rt[2] ?? 0);
  }
  throw new TsrunError(`unknown signal "${sig}"`);
}
