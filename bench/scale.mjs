#!/usr/bin/env node
// bench/scale.mjs [-n COUNT]: issue 7's scale measures, side by side with runc and crun.
//   - COUNT (default 100) created, not started containers: their memory, PSS of the waiting
//     processes plus what their memory cgroups were charged (kernel memory included), and the
//     host's MemAvailable drop; target: tsrun <= 100 MB in total for 100
//   - throughput: COUNT `run` of /bin/true sequentially and 2-way parallel, containers/s and ratios
//   - the tsrun process itself during a foreground `run` (RSS and PSS)
// Installs nothing; needs root, runc, busybox-static (crun optional, through
// ../shared/bench/crun-hybrid.sh on cgroup-hybrid hosts). Exits 1 when the memory target is missed.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { makeBundles, runtimes } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const COUNT = Number(process.argv[process.argv.indexOf('-n') + 1]) || 100;
delete process.env.NODE_EXTRA_CA_CERTS; // adds ~30 ms to every Node start; no runtime user sets it

const TSRUN = path.join(top, 'bin/tsrun');
const { runc: RUNC, crun: CRUN } = runtimes(top);
if (!RUNC) { console.error('runc is required'); process.exit(2); }
const rts = { tsrun: TSRUN, runc: RUNC, ...(CRUN ? { crun: CRUN } : {}) };

const { work, bundle, sleepBundle } = makeBundles(TSRUN, 'tsrun-scale-', 1);

const quiet = { stdio: ['ignore', 'ignore', 'ignore'] };
const root = (rt) => path.join(work, `root-${rt}`);
const kB = (file, key) => { try { return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(file, 'utf8'))[1]); } catch { return 0; } };
const memAvailable = () => kB('/proc/meminfo', 'MemAvailable');
const settle = () => { spawnSync('sync'); spawnSync('sh', ['-c', 'sleep 0.5']); };

// the container's memory cgroup: v1 memory hierarchy or the v2 tree, by the pid's /proc/PID/cgroup
function cgroupCharge(pid) {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const dir = path.join('/sys/fs/cgroup/memory', v1.split(':')[2]);
    for (const f of ['memory.usage_in_bytes']) { try { return Number(fs.readFileSync(path.join(dir, f), 'utf8')) / 1024; } catch { /* next */ } }
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2) { try { return Number(fs.readFileSync(path.join('/sys/fs/cgroup', v2.slice(3), 'memory.current'), 'utf8')) / 1024; } catch { /* none */ } }
  return 0;
}

// 1. COUNT created containers per runtime
const memory = {};
for (const [rt, bin] of Object.entries(rts)) {
  settle();
  const before = memAvailable();
  const pids = [];
  for (let i = 0; i < COUNT; i++) {
    const pidFile = path.join(work, `m-${rt}.pid`);
    spawnSync(bin, ['--root', root(rt), 'create', '--bundle', bundle, '--pid-file', pidFile, `m${i}`], quiet);
    pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
  }
  settle();
  const after = memAvailable();
  const pss = pids.reduce((s, p) => s + kB(`/proc/${p}/smaps_rollup`, 'Pss'), 0);
  const charged = pids.reduce((s, p) => s + cgroupCharge(p), 0);
  memory[rt] = { pss, charged, drop: Math.max(0, before - after) };
  for (let i = 0; i < COUNT; i++) spawnSync(bin, ['--root', root(rt), 'delete', '-f', `m${i}`], quiet);
}

// 2. throughput: COUNT runs of /bin/true, sequentially and 2-way parallel
function runOne(bin, rt, id) {
  return new Promise((resolve) => {
    const p = spawn(bin, ['--root', root(rt), 'run', id], { cwd: bundle, ...quiet });
    p.on('exit', () => resolve());
  });
}
async function throughput(bin, rt, parallel) {
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async (w) => { while (next < COUNT) { const i = next++; await runOne(bin, rt, `t${w}-${i}`); } };
  await Promise.all(Array.from({ length: parallel }, (_, w) => worker(w)));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
const tput = {};
for (const parallel of [1, 2]) for (const [rt, bin] of Object.entries(rts)) tput[`${rt} x${parallel}`] = await throughput(bin, rt, parallel);

// 3. the tsrun process during a foreground `run` of a 1 s container
const fg = spawn(TSRUN, ['--root', root('tsrun'), 'run', 'fg'], { cwd: sleepBundle, ...quiet });
await new Promise((r) => setTimeout(r, 500));
const self = { rss: kB(`/proc/${fg.pid}/status`, 'VmRSS'), pss: kB(`/proc/${fg.pid}/smaps_rollup`, 'Pss') };
await new Promise((r) => fg.on('exit', r));
fs.rmSync(work, { recursive: true, force: true });

const mb = (k) => (k / 1024).toFixed(1);
console.log(`${COUNT} created, not started containers (MB): PSS of the waiting processes + their memory cgroups' charge (kernel memory included); host MemAvailable drop`);
console.log(`${'runtime'.padEnd(8)} ${'PSS'.padStart(8)} ${'cgroup'.padStart(8)} ${'total'.padStart(8)} ${'host drop'.padStart(10)}`);
for (const [rt, v] of Object.entries(memory)) console.log(`${rt.padEnd(8)} ${mb(v.pss).padStart(8)} ${mb(v.charged).padStart(8)} ${mb(v.pss + v.charged).padStart(8)} ${mb(v.drop).padStart(10)}`);
console.log(`\nthroughput: ${COUNT} runs of /bin/true`);
for (const [k, s] of Object.entries(tput)) console.log(`${k.padEnd(12)} ${s.toFixed(2).padStart(7)} s  ${(COUNT / s).toFixed(1).padStart(6)} containers/s`);
const others = Object.keys(rts).filter((r) => r !== 'tsrun');
for (const p of [1, 2]) console.log(`x${p} ratio ${others.map((r) => `tsrun/${r}=${(tput[`tsrun x${p}`] / tput[`${r} x${p}`]).toFixed(2)}`).join(' ')} (time)`);
console.log(`\ntsrun process during a foreground run: RSS ${mb(self.rss)} MB, PSS ${mb(self.pss)} MB`);
// both readings must be within the target: the processes and their charged kernel memory, and
// what the host as a whole lost (namespaces, mounts, cgroups and state dirs included)
const total = Math.max(memory.tsrun.pss + memory.tsrun.charged, memory.tsrun.drop);
const ok = total <= 100 * 1024 * (COUNT / 100);
console.log(`\ntarget: ${COUNT} created containers <= ${100 * COUNT / 100} MB (the larger of PSS + cgroup charge and the host drop): ${mb(total)} MB ${ok ? 'met' : 'MISSED'}`);
process.exit(ok ? 0 : 1);
