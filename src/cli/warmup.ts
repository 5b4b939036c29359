// The hidden `__warmup` verb (only with TSRUN_CODE_CACHE_OUT set, from scripts/bundle.mjs): runs
// the hot paths of the common verbs against a temporary bundle and state root, creating no
// container and touching no cgroup, so the V8 code cache written at exit (bin/tsrun) holds them
// compiled instead of leaving every call to compile them lazily.
import fs = require('fs');
import os = require('os');
import path = require('path');
import { cgroupManager } from '../cgroups';
import { cgroupMountView } from '../lifecycle/cgroup-view';
import { deleteContainer } from '../lifecycle/delete';
import { kill } from '../lifecycle/kill';
import { list, state } from '../lifecycle/query';
import { start } from '../lifecycle/start';
import { LiveHostFacts } from '../plan/host-facts';
import { buildPlan } from '../plan/plan';
import { checkSpecOnHost } from '../spec/host-rules';
import { defaultSpec } from '../spec/default-spec';
import { loadSpec } from '../spec/load';
import { parseArgv } from './argv';
import { COMMANDS } from './commands';

/** full: the create/run/exec paths too; otherwise only what state/kill/start/delete/list run. */
export async function warmup(full: boolean): Promise<void> {
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
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
