// The contract's generated halves (addon/contract.h, src/native/contract.ts) are what
// src/native/contract.def.mjs says: a definition edited without `npm run build:contract`
// fails here, before the addon and the TypeScript disagree in a container.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { MSG, STEP, STEP_LABELS, STEP_NAMES, STUB_ARG } from '../../src/native/contract';

const ROOT = path.resolve(__dirname, '../..');

describe('plan contract', () => {
  test('addon/contract.h and src/native/contract.ts are generated from the current definition', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-contract.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('steps: one name per number, a label for each', () => {
    expect(STEP_NAMES.map((n) => STEP[n])).toEqual(STEP_NAMES.map((_, i) => i));
    expect(Object.keys(STEP_LABELS)).toEqual([...STEP_NAMES]);
    expect(new Set(Object.values(STEP_LABELS)).size).toBe(STEP_NAMES.length);
  });

  test('the numbers the child, tsrun-init and the records already use stay as they were', () => {
    // the definition's order is the numbering: a reordering there is caught here, not in a container
    expect(MSG).toMatchObject({ USERNS: 1, PID: 2, HOOKS: 3, ERROR: 4, SECCOMP: 5, MOUNTSOURCES: 6, GO: 100, SOURCE: 101 });
    expect([STEP.CLONE, STEP.LOOKUP, STEP.LSM]).toEqual([8, 25, 45]);
    expect([STUB_ARG.FIFO_FD, STUB_ARG.SYNC_FD, STUB_ARG.PATH, STUB_ARG.ARGV]).toEqual([1, 7, 9, 10]);
  });
});
