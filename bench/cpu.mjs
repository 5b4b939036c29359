#!/usr/bin/env node
// bench/cpu.mjs [-n RUNS] [--no-hog] [--json FILE]: issue 17's table. For each verb a shim calls
// (create, start, state, exec, ps, ps --format json, kill, delete, delete --force of the deleted
// id: the shim's third call of a stop) the wall time and the CPU time (user + sys of
// the runtime's process, all its threads and the children it reaped, from GNU time's rusage)
// of tsrun, runc and crun, interleaved in one run, in four conditions: idle or under a CPU hog
// (one busy loop pinned to each core), with NODE_EXTRA_CA_CERTS set to the system bundle or
// unset. CPU time is the figure that does not depend on the machine's noise: the ratios are of
// CPU time. Targets: per-call CPU at most 3x runc's for every verb; create+start+delete wall at
// most 2x runc's idle and 3x under the hog. Node's floor (`node -e 0`, the same measure, in every
// run) is a row of the table; bench/judge.mjs says how a target below it is judged (exit 1 on a
// miss; --strict: on anything not met).
// Needs root, runc, busybox-static and a C compiler (bench/rusage.c: wait4's rusage at
// microsecond resolution); crun is optional.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { makeBundles, runtimes } from './bundle.mjs';
import { judge, median, report } from './judge.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const RUNS = Number(arg('-n', 10));
const HOG = !process.argv.includes('--no-hog');
const JSON_OUT = arg('--json', undefined);

const TSRUN = path.join(top, 'bin/tsrun');
const { runc: RUNC, crun: CRUN } = runtimes(top);
if (!RUNC) { console.error('runc is required'); process.exit(2); }
const rts = { tsrun: TSRUN, runc: RUNC, ...(CRUN ? { crun: CRUN } : {}) };
const { work, sleepBundle } = makeBundles(TSRUN, 'tsrun-bench-cpu-', 3600);
const CA = '/etc/ssl/certs/ca-certificates.crt';
// `ps` (table) runs the host's `ps -ef` under every runtime: where that fails (a guest whose
// /proc/stat has no btime: "Unable to get system boot time") the verb is left out, said so
const psEf = spawnSync('ps', ['-ef'], { encoding: 'utf8' });
const PS_TABLE = psEf.status === 0;
if (!PS_TABLE) console.log(`ps (table) left out: \`ps -ef\` fails on this host: ${(psEf.stderr || psEf.error?.message || `exit ${psEf.status}`).trim()}`);
const VERBS = ['create', 'start', 'state', 'exec', ...(PS_TABLE ? ['ps'] : []), 'ps-json', 'kill', 'delete', 'delete-gone'];
const LABEL = { 'ps-json': 'ps --format json', 'delete-gone': 'delete --force (gone)', cycle: 'create+start+delete' };

const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;
const root = (rt) => path.join(work, `root-${rt}`);
const out = path.join(work, 'rusage.out');
const RUSAGE = path.join(work, 'rusage');
const cc = spawnSync('cc', ['-O2', '-o', RUSAGE, path.join(here, 'rusage.c')], { encoding: 'utf8' });
if (cc.status !== 0) { console.error(`cc bench/rusage.c: ${cc.stderr}`); process.exit(2); }

/** One call: { wall, cpu } in ms (wait4's rusage), and the exit code. */
function timed(bin, args, env, cwd) {
  spawnSync(RUSAGE, [out, bin, ...args], { env, cwd, stdio: ['ignore', 'ignore', 'ignore'] });
  const [wall, cpu, code] = fs.readFileSync(out, 'utf8').trim().split(' ').map(Number);
  return { wall: wall / 1000, cpu: cpu / 1000, code };
}

function waitStopped(bin, id, env) {
  for (let i = 0; i < 200; i++) {
    const r = spawnSync(bin, ['--root', root(id.rt), 'state', id.id], { env, encoding: 'utf8' });
    if (r.status !== 0 || /"status": *"stopped"/.test(r.stdout)) return;
    spawnSync('sleep', ['0.01']);
  }
}

/** create, state, start, exec, ps, kill, (wait), delete: the shim's sequence for one container. */
function cycle(rt, i, env) {
  const bin = rts[rt];
  const id = `c${i}-${process.pid}`;
  const g = ['--root', root(rt)];
  const t = {};
  t.create = timed(bin, [...g, 'create', '--bundle', sleepBundle, id], env, sleepBundle);
  t.state = timed(bin, [...g, 'state', id], env);
  t.start = timed(bin, [...g, 'start', id], env);
  t.exec = timed(bin, [...g, 'exec', id, '/bin/true'], env);
  if (PS_TABLE) t.ps = timed(bin, [...g, 'ps', id], env);
  t['ps-json'] = timed(bin, [...g, 'ps', '--format', 'json', id], env);
  t.kill = timed(bin, [...g, 'kill', id, 'KILL'], env);
  waitStopped(bin, { rt, id }, env);
  t.delete = timed(bin, [...g, 'delete', id], env);
  if (t.delete.code !== 0) spawnSync(bin, [...g, 'delete', '-f', id], { env, stdio: 'ignore' });
  t['delete-gone'] = timed(bin, [...g, 'delete', '--force', id], env);
  // crun 1.8's delete --force of an id that is gone exits 1; the shim ignores that exit
  for (const v of VERBS) if (t[v].code !== 0 && !(v === 'delete-gone' && rt === 'crun')) throw new Error(`${rt} ${v} ${id}: exit ${t[v].code}`);
  return t;
}


function hogs() {
  const n = os.cpus().length;
  return Array.from({ length: n }, (_, c) => spawn('taskset', ['-c', String(c), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
}

const conditions = [
  { name: 'idle, CA unset', hog: false, ca: false },
  { name: 'idle, CA set', hog: false, ca: true },
  ...(HOG ? [{ name: 'hog, CA unset', hog: true, ca: false }, { name: 'hog, CA set', hog: true, ca: true }] : []),
];
const results = {};
const verdicts = [];
try {
  for (const cond of conditions) {
    const env = cond.ca ? { ...baseEnv, NODE_EXTRA_CA_CERTS: CA } : baseEnv;
    const h = cond.hog ? hogs() : [];
    const samples = Object.fromEntries(Object.keys(rts).map((rt) => [rt, Object.fromEntries([...VERBS, 'cycle'].map((v) => [v, { wall: [], cpu: [] }]))]));
    const floor = { wall: [], cpu: [] };
    try {
      for (let i = 0; i < RUNS; i++) {
        const order = Object.keys(rts);
        for (let k = 0; k < i % order.length; k++) order.push(order.shift()); // rotate: no runtime always first
        // Node's floor: what any Node CLI costs before its first line (NODE_EXTRA_CA_CERTS unset, as bin/tsrun's shebang runs node)
        const f = timed(process.execPath, ['-e', '0'], baseEnv);
        floor.wall.push(f.wall); floor.cpu.push(f.cpu);
        for (const rt of order) {
          const t = cycle(rt, i, env);
          for (const v of VERBS) { samples[rt][v].wall.push(t[v].wall); samples[rt][v].cpu.push(t[v].cpu); }
          samples[rt].cycle.wall.push(t.create.wall + t.start.wall + t.delete.wall);
          samples[rt].cycle.cpu.push(t.create.cpu + t.start.cpu + t.delete.cpu);
        }
      }
    } finally {
      for (const p of h) p.kill('SIGKILL');
    }
    const med = Object.fromEntries(Object.entries(samples).map(([rt, vs]) => [rt, Object.fromEntries(Object.entries(vs).map(([v, s]) => [v, { wall: median(s.wall), cpu: median(s.cpu) }]))]));
    const fl = { wall: median(floor.wall), cpu: median(floor.cpu) };
    results[cond.name] = { ...med, floor: fl, load: os.loadavg() };
    console.log(`\n${cond.name} (median of ${RUNS}; ms wall / ms CPU; ratio = tsrun CPU / runc CPU; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    console.log(['verb'.padEnd(24), ...Object.keys(rts).map((r) => r.padStart(14)), 'CPU ratio'.padStart(10), 'verdict'.padStart(13)].join(''));
    console.log(['node -e 0 (the floor)'.padEnd(24), `${fl.wall.toFixed(1)}/${fl.cpu.toFixed(1)}`.padStart(14)].join(''));
    for (const v of [...VERBS, 'cycle']) {
      const ratio = med.tsrun[v].cpu / Math.max(med.runc[v].cpu, 0.1);
      const j = v === 'cycle'
        ? judge(`${cond.name}: create+start+delete wall`, { tsrun: med.tsrun.cycle.wall, runc: med.runc.cycle.wall, ratio: cond.hog ? 3 : 2, floor: fl.wall, floors: 3 })
        : judge(`${cond.name}: ${LABEL[v] ?? v} CPU`, { tsrun: med.tsrun[v].cpu, runc: med.runc[v].cpu, ratio: 3, floor: fl.cpu });
      verdicts.push(j);
      console.log([(LABEL[v] ?? v).padEnd(24), ...Object.keys(rts).map((r) => `${med[r][v].wall.toFixed(1)}/${med[r][v].cpu.toFixed(1)}`.padStart(14)), ratio.toFixed(2).padStart(10), (v === 'cycle' ? '' : j.verdict).padStart(13)].join(''));
    }
    console.log(verdicts[verdicts.length - 1].text);
  }
} finally {
  for (const rt of Object.keys(rts)) spawnSync(rts[rt], ['--root', root(rt), 'list', '-q'], { encoding: 'utf8', env: baseEnv }).stdout?.split('\n').filter(Boolean)
    .forEach((id) => spawnSync(rts[rt], ['--root', root(rt), 'delete', '-f', id], { stdio: 'ignore', env: baseEnv }));
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ runs: RUNS, cpus: os.cpus().length, results }, null, 2));
  fs.rmSync(work, { recursive: true, force: true });
}
report(verdicts);
