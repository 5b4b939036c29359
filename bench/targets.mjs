#!/usr/bin/env node
// bench/targets.mjs [-n RUNS]: issue 7's targets, measured side by side with runc and crun in
// one run on this machine. Installs nothing; needs root, runc, busybox-static (crun optional,
// run through ../shared/bench/crun-hybrid.sh on cgroup-hybrid hosts). Prints a table and the
// ratios; exits 1 when a target is missed.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { makeBundles, runtimes } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const RUNS = Number(process.argv[process.argv.indexOf('-n') + 1]) || 20;
delete process.env.NODE_EXTRA_CA_CERTS; // adds ~30 ms to every Node start; no runtime user sets it

const TSRUN = path.join(top, 'bin/tsrun');
const { runc: RUNC, crun: CRUN } = runtimes(top);
if (!RUNC) { console.error('runc is required'); process.exit(2); }

const { work, bundle, sleepBundle } = makeBundles(TSRUN, 'tsrun-bench-', 3600);

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };
const rts = { tsrun: TSRUN, runc: RUNC, ...(CRUN ? { crun: CRUN } : {}) };
const root = (rt) => path.join(work, `root-${rt}`);

function timeRun(bin, rt, i) {
  const t0 = process.hrtime.bigint();
  spawnSync(bin, ['--root', root(rt), 'run', `r${i}`], { cwd: bundle, ...quiet });
  const t = ms(t0);
  spawnSync(bin, ['--root', root(rt), 'delete', '-f', `r${i}`], quiet);
  return t;
}
function timeCycle(bin, rt, i) {
  const pidFile = path.join(work, `${rt}.pid`);
  const t0 = process.hrtime.bigint();
  spawnSync(bin, ['--root', root(rt), 'create', '--bundle', bundle, '--pid-file', pidFile, `c${i}`], quiet);
  spawnSync(bin, ['--root', root(rt), 'start', `c${i}`], quiet);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  while (fs.existsSync(`/proc/${pid}/stat`) && !/\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) { /* spin */ }
  spawnSync(bin, ['--root', root(rt), 'delete', `c${i}`], quiet);
  const t = ms(t0);
  spawnSync(bin, ['--root', root(rt), 'delete', '-f', `c${i}`], quiet);
  return t;
}
function timeExec(bin, rt) {
  const t0 = process.hrtime.bigint();
  spawnSync(bin, ['--root', root(rt), 'exec', 'bx', '/bin/true'], quiet);
  return ms(t0);
}
function timeCmd(args) {
  const t0 = process.hrtime.bigint();
  spawnSync(args[0], args.slice(1), quiet);
  return ms(t0);
}

const samples = {};
const add = (k, v) => (samples[k] ??= []).push(v);
for (let i = 0; i < RUNS; i++) for (const [rt, bin] of Object.entries(rts)) { add(`run ${rt}`, timeRun(bin, rt, i)); add(`cycle ${rt}`, timeCycle(bin, rt, i)); }
for (const [rt, bin] of Object.entries(rts)) spawnSync(bin, ['--root', root(rt), 'run', '-d', 'bx'], { cwd: sleepBundle, ...quiet });
for (let i = 0; i < RUNS; i++) for (const [rt, bin] of Object.entries(rts)) add(`exec ${rt}`, timeExec(bin, rt));
for (let i = 0; i < RUNS; i++) { add('node -e 0', timeCmd(['node', '-e', '0'])); add('tsrun state', timeCmd([TSRUN, '--root', root('tsrun'), 'state', 'bx'])); }

// the library API, in this process: create, start, wait, delete of /bin/true
const lib = require(path.join(top, 'dist/lib.js'));
const native = require(path.join(top, 'build/Release/tsrun.node'));
const spec = lib.loadSpec(bundle);
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const c = await lib.create(`l${i}`, { root: root('lib'), bundle, spec });
  const exited = native.waitExit(c.pid);
  await lib.start(`l${i}`, { root: root('lib') });
  await exited;
  await lib.deleteContainer(`l${i}`, { root: root('lib') });
  add('library cycle', ms(t0));
}

// memory: created, not started containers
function pss(pid) { return Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]); }
const memory = {};
for (const [rt, bin] of Object.entries({ tsrun: TSRUN, runc: RUNC })) {
  const pids = [];
  for (let i = 0; i < 10; i++) {
    const pidFile = path.join(work, `m-${rt}-${i}.pid`);
    spawnSync(bin, ['--root', root(rt), 'create', '--bundle', bundle, '--pid-file', pidFile, `m${i}`], quiet);
    pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
  }
  memory[rt] = pids.reduce((s, p) => s + pss(p), 0) / pids.length;
  for (let i = 0; i < 10; i++) spawnSync(bin, ['--root', root(rt), 'delete', '-f', `m${i}`], quiet);
}
for (const [rt, bin] of Object.entries(rts)) spawnSync(bin, ['--root', root(rt), 'delete', '-f', 'bx'], quiet);
fs.rmSync(work, { recursive: true, force: true });

const m = (k) => median(samples[k]);
console.log(`${'measure'.padEnd(24)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)}`);
for (const k of Object.keys(samples)) console.log(`${k.padEnd(24)} ${m(k).toFixed(2).padStart(10)} ${Math.min(...samples[k]).toFixed(2).padStart(8)}`);
console.log(`created container PSS: tsrun ${memory.tsrun.toFixed(0)} kB, runc ${memory.runc.toFixed(0)} kB (mean of 10)`);

const targets = [
  ['run: tsrun/runc <= 1.2', m('run tsrun') / m('run runc'), 1.2],
  ['create+start+delete: tsrun/runc <= 2', m('cycle tsrun') / m('cycle runc'), 2],
  ['exec: tsrun/runc <= 1.2', m('exec tsrun') / m('exec runc'), 1.2],
  ['tsrun state - node -e 0 <= 5 ms', m('tsrun state') - m('node -e 0'), 5],
  ['library cycle: runc run / lib >= 3', m('run runc') / m('library cycle'), 3, true],
  ...(CRUN ? [['library cycle: lib / crun run <= 1', m('library cycle') / m('run crun'), 1]] : []),
  ['created container PSS <= 1024 kB', memory.tsrun, 1024],
];
let missed = 0;
console.log('\ntarget                                      value    limit  result');
for (const [name, v, limit, atLeast] of targets) {
  const ok = atLeast ? v >= limit : v <= limit;
  if (!ok) missed++;
  console.log(`${name.padEnd(42)} ${v.toFixed(2).padStart(7)} ${String(limit).padStart(7)}  ${ok ? 'met' : 'MISSED'}`);
}
const ratio = (k) => Object.keys(rts).filter((r) => r !== 'tsrun').map((r) => `${r}/tsrun=${(m(`${k} ${r}`) / m(`${k} tsrun`)).toFixed(2)}`).join(' ');
console.log(`\nrun ratio ${ratio('run')}; cycle ratio ${ratio('cycle')}; exec ratio ${ratio('exec')}`);
process.exit(missed ? 1 : 0);
