#!/usr/bin/env node
// bench/shim.mjs [-n RUNS] [--no-hog] [--json FILE]: issue 17's shim measure. A container started
// and stopped through containerd's runc shim (io.containerd.runc.v2), the path Kubernetes' CRI
// calls take, with the shim's runtime binary pointed at tsrun, runc and crun in turn, interleaved
// run by run (rotated order), idle and under a CPU hog (one busy loop pinned to each core).
//   start: `ctr run -d --null-io --rootfs ROOTFS ID /bin/sleep 600` (container + task create +
//          task start: the shim's `create` and `start` calls);
//   stop:  `ctr task delete --force ID` (kill, wait for the exit, delete) + `ctr container delete ID`.
// The wall time of each is what ctr waited for (its own Go start, containerd, the shim and the
// runtime calls). Each runtime call the shim makes goes through a stand-in binary (bench/rusage.c
// built with RUSAGE_LOG) that records the call's wall and CPU time (user + sys of the runtime,
// every thread and every child it reaped): those are summed per phase and per verb.
// Targets, issue 17's, applied to the calls the shim makes: per-call CPU at most 3x runc's for
// every verb; the runtime calls of a start + stop at most 2x runc's wall idle and 3x under the hog.
// Node's floor (`node -e 0` through bench/rusage.c, once per run) is measured alongside; how a
// target below it is judged: bench/judge.mjs (exit 1 on a miss; --strict: on anything not met).
// A private containerd (own root, state, sockets and namespace under a temp dir, CRI plugin
// disabled) is started and stopped by pid; nothing is left behind (its shims, the containers'
// cgroup parents, /run/containerd/{s,fifo} when this run made them). containerd has no CRI client
// here (no crictl), so ctr drives it. Skipped (exit 0) without containerd, ctr or the runc shim.
// NODE_EXTRA_CA_CERTS is unset in containerd's environment (the shim passes it on).
// Needs root, runc, busybox-static and a C compiler; crun is optional.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { crunNeedsPrivateNs, crunNsPrefix, stateBase } from './bundle.mjs';
import { judge, median, report } from './judge.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const RUNS = Number(arg('-n', 10));
const HOG = !process.argv.includes('--no-hog');
const JSON_OUT = arg('--json', undefined);
delete process.env.NODE_EXTRA_CA_CERTS;

const which = (c) => `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`.split(':').map((d) => path.join(d, c)).find((p) => { try { fs.accessSync(p, fs.constants.X_OK); return true; } catch { return false; } });
const skip = (why) => { console.log(`bench/shim.mjs skipped: ${why}`); process.exit(0); };
if (process.getuid() !== 0) { console.error('bench/shim.mjs needs root'); process.exit(2); }
for (const b of ['containerd', 'ctr', 'containerd-shim-runc-v2']) if (!which(b)) skip(`no ${b} on PATH (Debian: apt-get install containerd)`);
const TSRUN = path.join(top, 'bin/tsrun');
const RUNC = which('runc');
if (!RUNC) { console.error('runc is required'); process.exit(2); }
// $BENCH_CRUN: a crun wrapper of the caller's; else crun, on a cgroup-hybrid host through a
// wrapper made below (bundle.mjs: a private mount namespace per call, counted in crun's figures)
const CRUN = process.env.BENCH_CRUN || which('crun');
if (!fs.existsSync('/bin/busybox')) { console.error('busybox-static is required (/bin/busybox)'); process.exit(2); }
const rts = { tsrun: TSRUN, runc: RUNC, ...(CRUN ? { crun: CRUN } : {}) };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-shim-'));
fs.chmodSync(work, 0o755);
const NS = `tsrun-bench-${process.pid}`;
// the runtimes' state roots (--runc-root) on tmpfs (bundle.mjs), like their default /run/<runtime>
const roots = fs.mkdtempSync(path.join(stateBase(), 'tsrun-bench-roots-'));
const SOCK = path.join(work, 'containerd.sock');
const ROOTFS = path.join(work, 'rootfs');
const runDirs = ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd'].filter((d) => !fs.existsSync(d)); // made by this run: removed after
let containerd;
let hogs = [];

function cleanup() {
  for (const h of hogs) h.kill('SIGKILL');
  hogs = [];
  if (containerd && containerd.exitCode === null) {
    const ids = ctr(['task', 'ls', '-q']).stdout.split('\n').concat(ctr(['container', 'ls', '-q']).stdout.split('\n')).filter(Boolean);
    for (const id of new Set(ids)) { ctr(['task', 'delete', '-f', id]); ctr(['container', 'delete', id]); }
    containerd.kill('SIGTERM');
    spawnSync('sh', ['-c', `while kill -0 ${containerd.pid} 2>/dev/null; do sleep 0.05; done`], { timeout: 10_000 });
  }
  // shims started by our containerd name our socket in their command line: ended by pid
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith(which('containerd-shim-runc-v2')) && cmd.includes(SOCK)) process.kill(Number(p), 'SIGKILL');
    } catch { /* gone */ }
  }
  // the containers' cgroups are /NS/ID: the runtimes remove ID, the NS parents are ours (on
  // cgroup2 alone the parent is /sys/fs/cgroup/NS itself; on v1 one per hierarchy)
  try { fs.rmdirSync(path.join('/sys/fs/cgroup', NS)); } catch { /* none */ }
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    for (const d of [path.join('/sys/fs/cgroup', h, NS), path.join('/sys/fs/cgroup', h, 'unified', NS)]) { try { fs.rmdirSync(d); } catch { /* none */ } }
  }
  for (const d of runDirs) { try { fs.rmdirSync(d); } catch { /* not empty: someone else's */ } }
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${work}/`) || l.includes(` ${roots}/`));
  if (mounts.length) console.error(`mounts left under ${work}:\n${mounts.join('\n')}`);
  else for (const d of [work, roots]) fs.rmSync(d, { recursive: true, force: true });
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });

const ctr = (args, opts = {}) => spawnSync('ctr', ['-a', SOCK, '-n', NS, ...args], { encoding: 'utf8', ...opts });
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** The runtime calls logged since byte `from` of rt's log: { wall, cpu, code, verb, argv }. */
function calls(rt, from) {
  const f = path.join(work, `calls-${rt}.log`);
  if (!fs.existsSync(f)) return { calls: [], end: from };
  const text = fs.readFileSync(f, 'utf8');
  const list = text.slice(from).split('\n').filter(Boolean).map((l) => {
    const [wall, cpu, code, , ...argv] = l.split(' ');
    let i = 0;
    while (i < argv.length && argv[i].startsWith('-')) i += ['--root', '--log', '--log-format', '--criu', '--rootless'].includes(argv[i]) ? 2 : 1;
    const verb = argv[i] === 'delete' && argv.includes('--force') ? 'delete --force' : argv[i] === 'kill' && argv.includes('--all') ? 'kill --all' : argv[i];
    return { wall: Number(wall) / 1000, cpu: Number(cpu) / 1000, code: Number(code), verb, argv: argv.join(' ') };
  });
  return { calls: list, end: text.length };
}

let results = {};
const verdicts = [];
try {
  // the rootfs: busybox-static with a few applets, root in passwd and group
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root']) fs.mkdirSync(path.join(ROOTFS, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(ROOTFS, 'bin/busybox'));
  fs.chmodSync(path.join(ROOTFS, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'true']) fs.symlinkSync('busybox', path.join(ROOTFS, 'bin', a));
  fs.writeFileSync(path.join(ROOTFS, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(ROOTFS, 'etc/group'), 'root:x:0:\n');
  if (CRUN && !process.env.BENCH_CRUN && crunNeedsPrivateNs()) {
    fs.writeFileSync(path.join(work, 'empty'), '');
    const q = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
    rts.crun = path.join(work, 'crun-hybrid');
    fs.writeFileSync(rts.crun, `#!/bin/sh\nexec ${crunNsPrefix(path.join(work, 'empty')).map(q).join(' ')} ${q(CRUN)} "$@"\n`, { mode: 0o755 });
  }
  // one stand-in binary per runtime: the shim execs it as the runtime, it logs each call's rusage
  const wrap = {};
  for (const [rt, bin] of Object.entries(rts)) {
    wrap[rt] = path.join(work, `runtime-${rt}`);
    const cc = spawnSync('cc', ['-O2', `-DRUSAGE_LOG="${path.join(work, `calls-${rt}.log`)}"`, `-DRUSAGE_REAL="${bin}"`, '-o', wrap[rt], path.join(here, 'rusage.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc bench/rusage.c: ${cc.stderr}`);
  }
  // Node's floor: `node -e 0` timed as the runtime calls are (wait4), NODE_EXTRA_CA_CERTS unset
  const rusage = path.join(work, 'rusage');
  const cc = spawnSync('cc', ['-O2', '-o', rusage, path.join(here, 'rusage.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc bench/rusage.c: ${cc.stderr}`);
  const nodeFloor = () => {
    const out = path.join(work, 'floor.out');
    spawnSync(rusage, [out, process.execPath, '-e', '0'], { stdio: 'ignore' });
    const [wall, cpu] = fs.readFileSync(out, 'utf8').trim().split(' ').map(Number);
    return { wall: wall / 1000, cpu: cpu / 1000 };
  };
  fs.writeFileSync(path.join(work, 'config.toml'), `version = 2
root = "${work}/root"
state = "${work}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "${SOCK}"
[ttrpc]
  address = "${SOCK}.ttrpc"
[debug]
  address = "${work}/debug.sock"
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${work}/opt"
`);
  const log = fs.openSync(path.join(work, 'containerd.log'), 'w');
  containerd = spawn('containerd', ['--config', path.join(work, 'config.toml')], { stdio: ['ignore', log, log], env: process.env });
  fs.closeSync(log);
  for (let i = 0; i < 100 && ctr(['version']).status !== 0; i++) spawnSync('sleep', ['0.1']);
  if (ctr(['version']).status !== 0) throw new Error(`containerd did not come up:\n${fs.readFileSync(path.join(work, 'containerd.log'), 'utf8').slice(-2000)}`);
  const crunHow = !rts.crun ? '' : rts.crun === CRUN ? `, crun ${CRUN}` : ', crun in a private mount namespace per call (cgroup-hybrid host: unshare + sh + mount counted in its figures)';
  const versions = `containerd ${ctr(['version']).stdout.match(/Server:[\s\S]*?Version:\s*(\S+)/)?.[1]}, ${spawnSync(RUNC, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}${crunHow}`;

  const offsets = Object.fromEntries(Object.keys(rts).map((rt) => [rt, 0]));
  const take = (rt) => { const r = calls(rt, offsets[rt]); offsets[rt] = r.end; return r.calls; };
  const conditions = [{ name: 'idle', hog: false }, ...(HOG ? [{ name: 'hog', hog: true }] : [])];
  const meta = { date: new Date().toISOString(), cpus: os.cpus().length, kernel: os.release(), versions, runs: RUNS, stateRoots: path.dirname(roots) };
  console.log(`containerd's runc shim, ctr; ${meta.cpus} CPUs, kernel ${meta.kernel}, ${versions}, ${meta.date}; runtime state roots in ${meta.stateRoots}`);
  for (const cond of conditions) {
    if (cond.hog) hogs = Array.from({ length: os.cpus().length }, (_, c) => spawn('taskset', ['-c', String(c), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
    const loadStart = load();
    const s = Object.fromEntries(Object.keys(rts).map((rt) => [rt, { start: [], stop: [], startRt: [], stopRt: [], startCpu: [], stopCpu: [], verbs: {}, seq: {}, calls: [] }]));
    const floor = { wall: [], cpu: [] };
    for (let i = 0; i < RUNS; i++) {
      const f = nodeFloor();
      floor.wall.push(f.wall); floor.cpu.push(f.cpu);
      const order = Object.keys(rts);
      for (let k = 0; k < i % order.length; k++) order.push(order.shift());
      for (const rt of order) {
        const id = `${rt}-${cond.name}-${i}`;
        let t0 = process.hrtime.bigint();
        const r1 = ctr(['run', '-d', '--null-io', '--rootfs', '--runc-binary', wrap[rt], '--runc-root', path.join(roots, rt), ROOTFS, id, '/bin/sleep', '600']);
        const start = ms(t0);
        const c1 = take(rt);
        t0 = process.hrtime.bigint();
        const r2 = ctr(['task', 'delete', '--force', id]);
        const r3 = ctr(['container', 'delete', id]);
        const stop = ms(t0);
        const c2 = take(rt);
        for (const [what, r] of [['run -d', r1], ['task delete --force', r2], ['container delete', r3]]) {
          if (r.status !== 0) throw new Error(`${rt}: ctr ${what} ${id}: exit ${r.status}: ${r.stderr}`);
        }
        const bad = [...c1, ...c2].filter((c) => c.code !== 0 && c.verb !== 'delete --force');
        if (bad.length) throw new Error(`${rt}: runtime call failed: ${bad.map((c) => `${c.argv} -> ${c.code}`).join('; ')}`);
        const x = s[rt];
        x.start.push(start); x.stop.push(stop);
        x.startRt.push(c1.reduce((a, c) => a + c.wall, 0)); x.stopRt.push(c2.reduce((a, c) => a + c.wall, 0));
        x.startCpu.push(c1.reduce((a, c) => a + c.cpu, 0)); x.stopCpu.push(c2.reduce((a, c) => a + c.cpu, 0));
        for (const c of [...c1, ...c2]) { (x.verbs[c.verb] ??= { wall: [], cpu: [] }).wall.push(c.wall); x.verbs[c.verb].cpu.push(c.cpu); }
        x.calls.push(c1.length + c2.length);
        x.seq.start = c1.map((c) => c.verb).join(', ');
        x.seq.stop = c2.map((c) => c.verb).join(', ');
      }
    }
    for (const h of hogs) h.kill('SIGKILL');
    hogs = [];
    const loadEnd = load();
    const med = Object.fromEntries(Object.entries(s).map(([rt, x]) => [rt, {
      start: median(x.start), stop: median(x.stop), startRt: median(x.startRt), stopRt: median(x.stopRt), startCpu: median(x.startCpu), stopCpu: median(x.stopCpu),
      verbs: Object.fromEntries(Object.entries(x.verbs).map(([v, t]) => [v, { wall: median(t.wall), cpu: median(t.cpu), n: t.wall.length }])), seq: x.seq, calls: median(x.calls),
    }]));
    const fl = { wall: median(floor.wall), cpu: median(floor.cpu) };
    results[cond.name] = { loadStart, loadEnd, med, floor: fl };
    const names = Object.keys(rts);
    console.log(`\n${cond.name}: median of ${RUNS}, ms; load average ${loadStart} at start, ${loadEnd} at end`);
    console.log(`runtime calls per start: ${med.runc.seq.start}; per stop: ${med.runc.seq.stop}${names.filter((rt) => med[rt].seq.start !== med.runc.seq.start || med[rt].seq.stop !== med.runc.seq.stop).map((rt) => ` (${rt}: ${med[rt].seq.start}; ${med[rt].seq.stop})`).join('')}`);
    console.log(['measure'.padEnd(40), ...names.map((r) => r.padStart(10)), 'tsrun/runc'.padStart(12)].join(''));
    const row = (label, f) => console.log([label.padEnd(40), ...names.map((r) => f(med[r]).toFixed(1).padStart(10)), (f(med.tsrun) / f(med.runc)).toFixed(2).padStart(12)].join(''));
    row('start, ctr wall', (m) => m.start);
    row('stop, ctr wall', (m) => m.stop);
    row('start+stop, ctr wall', (m) => m.start + m.stop);
    row('start, runtime calls wall', (m) => m.startRt);
    row('stop, runtime calls wall', (m) => m.stopRt);
    row('start+stop, runtime calls wall', (m) => m.startRt + m.stopRt);
    row('start, runtime calls CPU', (m) => m.startCpu);
    row('stop, runtime calls CPU', (m) => m.stopCpu);
    row('start+stop, runtime calls CPU', (m) => m.startCpu + m.stopCpu);
    console.log(`${'node -e 0 (the floor): wall / CPU'.padEnd(40)}${fl.wall.toFixed(1).padStart(10)}${fl.cpu.toFixed(1).padStart(10)}`);
    for (const v of Object.keys(med.runc.verbs)) {
      if (!med.tsrun.verbs[v]) continue;
      row(`${v}: wall per call`, (m) => m.verbs[v]?.wall ?? NaN);
      row(`${v}: CPU per call`, (m) => m.verbs[v]?.cpu ?? NaN);
      verdicts.push(judge(`${cond.name}: ${v} CPU per call`, { tsrun: med.tsrun.verbs[v].cpu, runc: med.runc.verbs[v].cpu, ratio: 3, floor: fl.cpu }));
    }
    const wall = judge(`${cond.name}: start+stop runtime calls wall`, {
      tsrun: med.tsrun.startRt + med.tsrun.stopRt, runc: med.runc.startRt + med.runc.stopRt, ratio: cond.hog ? 3 : 2, floor: fl.wall, floors: med.tsrun.calls,
    });
    verdicts.push(wall);
    console.log(`${wall.text}; as ctr sees it: ${((med.tsrun.start + med.tsrun.stop) / (med.runc.start + med.runc.stop)).toFixed(2)}x`);
  }
  results = { ...meta, ...results };
} finally {
  cleanup();
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
}
report(verdicts);
