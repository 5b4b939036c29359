// bench/judge.mjs: how issue 17's targets are judged with Node's floor (an ES module: run in a
// node of its own). Met at the ratio; floor-bound when only Node's own start puts tsrun over it;
// missed otherwise. The benches exit 1 on a miss, and with --strict on anything not met.
import { spawnSync } from 'child_process';
import path = require('path');

const JUDGE = path.resolve(__dirname, '../../bench/judge.mjs');

function run(code: string, args: string[] = []) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as j from ${JSON.stringify(JUDGE)};\n${code}`, ...(args.length ? ['--', ...args] : [])], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('verdicts: met, floor-bound, missed', () => {
  const r = run(`console.log(JSON.stringify([
    j.judge('a', { tsrun: 60, runc: 20, ratio: 3, floor: 25 }),
    j.judge('b', { tsrun: 40, runc: 6, ratio: 3, floor: 25 }),
    j.judge('c', { tsrun: 50, runc: 6, ratio: 3, floor: 25 }),
    j.judge('d', { tsrun: 150, runc: 30, ratio: 2, floor: 20, floors: 3 }),
    j.judge('e', { tsrun: 130, runc: 30, ratio: 2, floor: 20, floors: 3 }),
  ].map((v) => v.verdict)))`);
  expect(r.stderr).toBe('');
  // a: 60 <= 3 x 20. b: 40 - 25 = 15 <= 18. c: 50 - 25 = 25 > 18. d: 150 - 60 = 90 > 60. e: 130 - 60 = 70 > 60: missed too
  expect(JSON.parse(r.stdout)).toEqual(['met', 'floor-bound', 'missed', 'missed', 'missed']);
  const t = run(`console.log(j.judge('kill CPU', { tsrun: 40, runc: 6, ratio: 3, floor: 25 }).text)`);
  expect(t.stdout.trim()).toBe("kill CPU: 6.67x runc (target 3x: 18.0 ms): floor-bound (tsrun above Node's start 25.0 ms: 15.0 ms = 2.50x runc)");
});

test('report exits 1 on a miss; a floor-bound figure fails only --strict', () => {
  const floorBound = `j.report([j.judge('b', { tsrun: 40, runc: 6, ratio: 3, floor: 25 })])`;
  expect(run(floorBound).status).toBe(0);
  expect(run(floorBound).stdout).toMatch(/targets: 0 met, 1 floor-bound, 0 missed/);
  expect(run(floorBound, ['--strict']).status).toBe(1);
  const missed = run(`j.report([j.judge('a', { tsrun: 60, runc: 20, ratio: 3, floor: 25 }), j.judge('c', { tsrun: 50, runc: 6, ratio: 3, floor: 25 })])`);
  expect(missed.status).toBe(1);
  expect(missed.stdout).toMatch(/targets: 1 met, 0 floor-bound, 1 missed\n {2}c: 8.33x runc .*: MISSED/);
});
