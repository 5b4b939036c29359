// The hidden `__warmup` verb (only with TSRUN_CODE_CACHE_OUT set, from scripts/bundle.mjs): runs
// the hot paths of the common verbs against a temporary bundle and state root, so the V8 code
// cache written at exit (bin/tsrun) holds them compiled instead of leaving every call to compile
// them lazily (1-5 ms of CPU per light verb, measured: docs/performance.md).
import { spawn } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { cgroupManager, type CgroupManager } from '../cgroups';
import { cgroupMountView } from '../lifecycle/cgroup-view';
import { deleteContainer } from '../lifecycle/delete';
import { kill } from '../lifecycle/kill';
import { list, state } from '../lifecycle/query';
import { start } from '../lifecycle/start';
import { ociTimestamp } from '../lifecycle/create';
import { addon } from '../native/addon';
import { LiveHostFacts } from '../plan/host-facts';
import { buildPlan } from '../plan/plan';
import { checkSpecOnHost } from '../spec/host-rules';
import { defaultSpec, defaultSpecObject } from '../spec/default-spec';
import type { Spec } from '../spec/config-types';
import { startTime } from '../state/status';
import { StateDir } from '../state/store';
import { loadSpec } from '../spec/load';
import { parseArgv } from './argv';
import { COMMANDS } from './commands';

/** full: the create/run/exec paths too; otherwise only what state/kill/start/delete/list/ps run. */
export async function warmup(full: boolean, cli: (argv: string[]) => Promise<number>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-warmup-'));
  try {
    const root = path.join(dir, 'state');
    const bundle = path.join(dir, 'bundle');
    fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
    fs.writeFileSync(path.join(bundle, 'config.json'), defaultSpec().replace('"terminal": true', '"terminal": false'));
    if (full) {
      for (const [cmd, argv] of [['run', ['-d', '--bundle', bundle, '--pid-file', 'p', 'id']], ['exec', ['-e', 'A=1', 'id', 'true']], ['kill', ['id', 'KILL']], ['delete', ['-f', 'id']]] as const) {
        parseArgv([...argv], COMMANDS[cmd].flags, { stopAfterPositionals: COMMANDS[cmd].stopAfterPositionals });
      }
      const spec = loadSpec(bundle, { forCreate: true });
      const cg = cgroupManager({ path: '', containerId: 'tsrun-warmup', systemdCgroup: false });
      const host = new LiveHostFacts();
      checkSpecOnHost(spec, bundle, host, () => {});
      buildPlan(spec, {
        bundle, stubPath: '/nonexistent', fifoFd: -1, preserveFds: 0, noPivot: false, consoleSocketFd: -1,
        noNewKeyring: false, cgroup: cgroupMountView(cg, false),
      }, host);
    }
    for (const f of [() => state('missing', { root }), () => kill('missing', 'KILL', { root }), () => deleteContainer('missing', { root, force: true }), () => list({ root }), () => start('missing', { root })]) {
      try { await f(); } catch { /* missing: the error path is what runs */ }
    }
    if (!full) await lifecycle(root, bundle, path.join(dir, 'log.json'), cli);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The shim's light calls, through the CLI's own dispatch, on a container without namespaces: a
 * shell child of this process that blocks on exec.fifo as tsrun-init does, in cgroups of its own
 * where this process may make them (root), else in none (as a rootless container). Every call
 * carries `--log FILE --log-format json`, as containerd's shim passes them.
 * Threat: a build that dies here leaves the shell (it exits after 60 s) and, as root, the empty
 * cgroup /tsrun-warmup-PID; everything else is in the temporary dir.
 */
async function lifecycle(root: string, bundle: string, log: string, cli: (argv: string[]) => Promise<number>): Promise<void> {
  const id = 'tsrun-warmup';
  const sd = new StateDir(root, id);
  sd.create();
  addon().mkfifo(sd.fifo, 0o622);
  const child = spawn('/bin/sh', ['-c', 'printf 0 > "$1"; exec sleep 60', 'sh', sd.fifo], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.once('error', () => resolve()); });
  let cg: CgroupManager | undefined;
  try {
    const pid = child.pid;
    const started = pid ? startTime(pid) : null;
    if (!pid || !started) throw new Error('warmup: /bin/sh did not start');
    try {
      cg = cgroupManager({ path: `/tsrun-warmup-${process.pid}`, containerId: id, systemdCgroup: false });
      cg.create();
      cg.apply(pid);
    } catch {
      try { cg?.destroy(); } catch { /* as made */ }
      cg = undefined;
    }
    const config = defaultSpecObject() as unknown as Spec;
    sd.write({
      ociVersion: config.ociVersion, id, pid, pidStartTime: started, bundle, rootfs: path.join(bundle, 'rootfs'), created: ociTimestamp(),
      owner: '', cgroupsPath: '', systemdCgroup: false, cgroupPaths: cg ? cg.paths : {}, cgroupCreated: cg ? [...cg.created] : [],
      newNamespaces: [], config, ...(cg ? {} : { rootless: true }),
    });
    sd.unlock();
    const g = ['--root', root, '--log', log, '--log-format', 'json'];
    // each must succeed: a warmup that took error paths would cache the wrong functions
    const run = async (argv: string[]) => {
      const code = await cli([...g, ...argv]);
      if (code !== 0) throw new Error(`tsrun ${argv.join(' ')} exited ${code}: ${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim() : ''}`);
    };
    for (const argv of [['state', id], ['start', id], ['state', id], ['ps', '--format', 'json', id], ['kill', id, 'CONT'], ['kill', '--all', id, 'KILL']]) await run(argv);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    for (const argv of [['state', id], ['delete', id], ['delete', '--force', id], ['list']]) await run(argv);
  } finally {
    child.kill('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    try { cg?.destroy(); } catch { /* delete removed it */ }
    sd.unlock();
  }
}
