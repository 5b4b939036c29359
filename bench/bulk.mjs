#!/usr/bin/env node
// bench/bulk.mjs [-n COUNT] [-r ROUNDS] [-c 1,2,8] [--tsrun-cli] [--json FILE]: issue 16's bulk
// table. COUNT (default 100) containers of /bin/true, each created, started, waited for and
// deleted, at concurrency 1, 2 and 8:
//   - through the library (dist/lib.js: create, start, wait, deleteContainer) in one Node
//     process, with a pool of C async workers;
//   - through the runc and crun CLIs (and, with --tsrun-cli, tsrun's): one `run` per container
//     (create, start, wait and delete in one call, the cheapest CLI way), fed by `xargs -P C`.
// Each round runs every concurrency and every runner (rotated order); medians are reported. Each
// batch runs as one process under bench/rusage.c (wait4): its CPU time counts every process of the
// batch that was reaped (runtimes, containers, the library's Node process including its start).
// The library's throughput is timed inside its process (the batch, not Node's start); its process
// wall time is reported as well, and the event loop's longest stall. State roots are on tmpfs.
// Targets (exit 1 on a miss): issue 16: library throughput >= 3x crun's CLI at the same
// concurrency; issue 17: library create+start+wait+delete (concurrency 1) >= 4x faster than runc's
// `run` and faster than crun's. NODE_EXTRA_CA_CERTS is unset for every process.
// Needs root, runc, busybox-static, xargs and a C compiler; crun is optional.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';
import { crunNeedsPrivateNs, crunNsPrefix, makeBundles, runtimes, stateBase } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
delete process.env.NODE_EXTRA_CA_CERTS; // adds ~30 ms to every Node start; tsrun's shebang drops it too

// --lib-child ROOT BUNDLE COUNT CONC PREFIX: the library batch, in its own process; prints JSON
if (process.argv[2] === '--lib-child') {
  const [root, bundle, count, conc, prefix] = process.argv.slice(3);
  const lib = createRequire(import.meta.url)(path.join(top, 'dist/lib.js'));
  const spec = lib.loadSpec(bundle);
  let maxLag = 0;
  let last = performance.now();
  const timer = setInterval(() => { const n = performance.now(); maxLag = Math.max(maxLag, n - last); last = n; }, 1);
  let next = 0;
  let failed = 0;
  const errors = [];
  // one container's failure neither stops the others nor leaves it behind
  const worker = async () => {
    while (next < Number(count)) {
      const id = `${prefix}${next++}`;
      try {
        await lib.create(id, { root, bundle, spec });
        await lib.start(id, { root });
        const st = await lib.wait(id, { root });
        if (st.code !== 0) failed++;
        await lib.deleteContainer(id, { root });
      } catch (e) {
        errors.push(`${id}: ${e.message}`);
        await lib.deleteContainer(id, { root, force: true }).catch((d) => errors.push(`delete -f ${id}: ${d.message}`));
      }
    }
  };
  await new Promise((r) => setTimeout(r, 5)); // the timer's first tick: lag is measured from here
  last = performance.now();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: Number(conc) }, worker));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  console.log(JSON.stringify({ wall, selfUser: cpu.user / 1000, selfSys: cpu.system / 1000, maxLag, failed }));
  if (errors.length) console.error(errors.join('\n'));
  process.exit(failed || errors.length ? 1 : 0);
}

const COUNT = Number(arg('-n', 100));
const ROUNDS = Number(arg('-r', 3));
const CONCS = arg('-c', '1,2,8').split(',').map(Number);
const JSON_OUT = arg('--json', undefined);
const TSRUN = path.join(top, 'bin/tsrun');
const { runc: RUNC } = runtimes(top);
if (!RUNC) { console.error('runc is required'); process.exit(2); }
const CRUN = ['/usr/bin/crun', '/usr/local/bin/crun', '/usr/sbin/crun'].find((p) => fs.existsSync(p));
// crun on a hybrid host: its batches run in one private mount namespace each (bundle.mjs), not
// through a wrapper per call, so crun's numbers carry no extra exec
const crunHybrid = crunNeedsPrivateNs();
if (process.getuid() !== 0) { console.error('bench/bulk.mjs needs root'); process.exit(2); }
const clis = { runc: RUNC, ...(CRUN ? { crun: CRUN } : {}), ...(process.argv.includes('--tsrun-cli') ? { 'tsrun CLI': TSRUN } : {}) };
const runners = ['library', ...Object.keys(clis)];

const { work, bundle } = makeBundles(TSRUN, 'tsrun-bench-bulk-', 1);
const RUSAGE = path.join(work, 'rusage');
const cc = spawnSync('cc', ['-O2', '-o', RUSAGE, path.join(here, 'rusage.c')], { encoding: 'utf8' });
if (cc.status !== 0) { console.error(`cc bench/rusage.c: ${cc.stderr}`); fs.rmSync(work, { recursive: true, force: true }); process.exit(2); }
const out = path.join(work, 'rusage.out');
// the runtimes' state roots on tmpfs (bundle.mjs), like their default /run/<runtime>
const roots = fs.mkdtempSync(path.join(stateBase(), 'tsrun-bench-roots-'));
const root = (r) => path.join(roots, `root-${r.replace(/\W/g, '')}`);
const ids = Array.from({ length: COUNT }, (_, i) => String(i)).join('\n') + '\n';

const EMPTY = path.join(work, 'empty');
fs.writeFileSync(EMPTY, '');
/** The command prefix that runs a CLI batch: crun's private mount namespace on a hybrid host. */
const inNamespace = (runner) => (runner === 'crun' && crunHybrid ? crunNsPrefix(EMPTY) : []);

/** One batch: { wall, cpu } ms of the whole process (wait4), and for the library its own timing. */
function batch(runner, conc, tag) {
  const prefix = `tsrun-bulk-${process.pid}-${tag}-`;
  let r;
  if (runner === 'library') {
    r = spawnSync(RUSAGE, [out, process.execPath, fileURLToPath(import.meta.url), '--lib-child', root(runner), bundle, String(COUNT), String(conc), prefix], { encoding: 'utf8', cwd: bundle });
  } else {
    r = spawnSync(RUSAGE, [out, ...inNamespace(runner), 'xargs', '-P', String(conc), '-I', '{}', clis[runner], '--root', root(runner), 'run', '--bundle', bundle, `${prefix}{}`],
      { input: ids, encoding: 'utf8', cwd: bundle });
  }
  const [wall, cpu, code] = fs.readFileSync(out, 'utf8').trim().split(' ').map(Number);
  if (code !== 0) throw new Error(`${runner} -c ${conc}: exit ${code}\n${r.stdout}${r.stderr}`);
  const left = fs.existsSync(root(runner)) ? fs.readdirSync(root(runner)) : [];
  if (left.length) throw new Error(`${runner} -c ${conc}: ${left.length} containers left in its root`);
  const res = { procWall: wall / 1000, cpu: cpu / 1000 };
  if (runner === 'library') Object.assign(res, JSON.parse(r.stdout.trim().split('\n').pop()));
  else res.wall = res.procWall;
  return res;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const loadStart = load();
const samples = {};
const starts = {};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const conc of CONCS) {
      const order = [...runners];
      for (let k = 0; k < (round + conc) % order.length; k++) order.push(order.shift());
      for (const runner of order) {
        ((samples[conc] ??= {})[runner] ??= []).push(batch(runner, conc, `${conc}-${round}`));
      }
    }
  }
  // each CLI's own process start (`--version`): what a container costs it beyond the work any
  // runtime makes the kernel do (namespaces, mounts, cgroups, exec, exit)
  for (const [name, bin] of Object.entries(clis)) {
    const t = Array.from({ length: 20 }, () => {
      spawnSync(RUSAGE, [out, bin, '--version'], { stdio: 'ignore' });
      return fs.readFileSync(out, 'utf8').trim().split(' ').map((x) => Number(x) / 1000);
    });
    starts[name] = { wall: median(t.map((x) => x[0])), cpu: median(t.map((x) => x[1])) };
  }
} finally {
  // every container a batch left, by its directory: `list` shows only those with a state.json,
  // not a create that died half-way (its journal names the cgroups that `delete -f` removes)
  const sweep = (cmd, pre, dir) => {
    for (const id of fs.existsSync(dir) ? fs.readdirSync(dir) : []) spawnSync(cmd, [...pre, '--root', dir, 'delete', '-f', id], { stdio: 'ignore' });
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  const left = [...Object.entries(clis).map(([name, bin]) => [name, ...inNamespace(name), bin]), ['library', TSRUN]]
    .flatMap(([name, cmd, ...pre]) => sweep(cmd, pre, root(name)).map((id) => `${name}: ${id}`));
  fs.rmSync(work, { recursive: true, force: true });
  // what delete -f could not remove stays, with its state, for a retry by hand
  if (left.length) console.error(`bench/bulk.mjs: left in ${roots} (delete -f failed): ${left.join(', ')}`);
  else fs.rmSync(roots, { recursive: true, force: true });
}
const loadEnd = load();

const results = {};
console.log(`${COUNT} containers of /bin/true created+started+waited+deleted; median of ${ROUNDS} interleaved rounds`);
console.log(`${os.cpus().length} CPUs, ${new Date().toISOString()}, load average ${loadStart} at start, ${loadEnd} at end; state roots in ${path.dirname(roots)}\n`);
console.log(['concurrency'.padEnd(12), 'runner'.padEnd(11), 'wall s'.padStart(8), 'per s'.padStart(8), 'CPU ms/ctr'.padStart(11), 'proc wall s'.padStart(12), 'max loop stall ms'.padStart(18)].join(''));
for (const conc of CONCS) {
  results[conc] = {};
  for (const runner of runners) {
    const s = samples[conc][runner];
    const m = { wall: median(s.map((x) => x.wall)), procWall: median(s.map((x) => x.procWall)), cpu: median(s.map((x) => x.cpu)), maxLag: s[0].maxLag === undefined ? undefined : Math.max(...s.map((x) => x.maxLag)) };
    if (runner === 'library') Object.assign(m, { selfUser: median(s.map((x) => x.selfUser)), selfSys: median(s.map((x) => x.selfSys)) });
    m.throughput = COUNT / (m.wall / 1000);
    results[conc][runner] = m;
    console.log([String(conc).padEnd(12), runner.padEnd(11), (m.wall / 1000).toFixed(2).padStart(8), m.throughput.toFixed(1).padStart(8), (m.cpu / COUNT).toFixed(1).padStart(11),
      (m.procWall / 1000).toFixed(2).padStart(12), (m.maxLag === undefined ? '' : m.maxLag.toFixed(1)).padStart(18)].join(''));
  }
}

const missed = [];
const ratios = [];
const check = (name, v, limit, atLeast) => {
  const ok = atLeast ? v >= limit : v <= limit;
  ratios.push(`${name.padEnd(58)} ${v.toFixed(2).padStart(6)} ${(atLeast ? '>= ' : '<= ') + limit}  ${ok ? 'met' : 'MISSED'}`);
  if (!ok) missed.push(name);
};
console.log(`\nthe library's own process during the batches (no Node start, no container), CPU ms per container user/sys: ${CONCS.map((c) => `-c ${c} ${(results[c].library.selfUser / COUNT).toFixed(1)}/${(results[c].library.selfSys / COUNT).toFixed(1)}`).join(', ')}`);
console.log(`process start (\`--version\`, median of 20), ms wall / CPU: ${Object.entries(starts).map(([n, t]) => `${n} ${t.wall.toFixed(1)}/${t.cpu.toFixed(1)}`).join(', ')}`);
console.log('\nthroughput ratios (library / CLI, same concurrency)');
for (const conc of CONCS) {
  const lib = results[conc].library.throughput;
  console.log(`  -c ${conc}: ${Object.keys(clis).map((c) => `${c} ${(lib / results[conc][c].throughput).toFixed(2)}x`).join(', ')}`);
  if (CRUN) check(`issue 16: library/crun CLI throughput at -c ${conc}`, lib / results[conc].crun.throughput, 3, true);
}
if (results[1]) {
  const per = (r) => results[1][r].wall / COUNT;
  check('issue 17: runc run / library cycle (concurrency 1)', per('runc') / per('library'), 4, true);
  if (CRUN) check('issue 17: crun run / library cycle (concurrency 1)', per('crun') / per('library'), 1, true);
}
console.log(`\ntarget${' '.repeat(53)}value  limit\n${ratios.join('\n')}`);
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ count: COUNT, rounds: ROUNDS, cpus: os.cpus().length, loadStart, loadEnd, results, starts }, null, 2));
if (missed.length) { console.log(`\nmissed: ${missed.join('; ')}`); process.exit(1); }
console.log('\nall targets met');
