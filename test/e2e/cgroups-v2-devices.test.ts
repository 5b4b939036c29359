// The manager's v2 path on this host's real cgroup2 mount: seen through a mountinfo that
// shows only cgroup2 (as on a pure v2 host), setResources attaches the eBPF device filter
// built from the config (runc's default rules here) and the kernel enforces it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupManager, detectCgroups } from '../../src/cgroups';

const unified = detectCgroups().unified;
const root = process.getuid?.() === 0;

(root && unified ? describe : describe.skip)(`cgroup v2 devices through the manager (${unified ?? 'no cgroup2 mount'})`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-v2dev-'));
  const mountinfo = path.join(tmp, 'mountinfo');
  const procCgroup = path.join(tmp, 'cgroup');
  const name = `tsrun-v2dev-${process.pid}`;
  beforeAll(() => {
    fs.writeFileSync(mountinfo, `99 1 0:99 / ${unified} rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n`);
    fs.writeFileSync(procCgroup, '0::/\n');
  });
  afterAll(() => {
    try { fs.rmdirSync(path.join(unified!, name)); } catch { /* already gone */ }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('default rules: /dev/null and /dev/zero open, /dev/kmsg denied; delete removes the cgroup', () => {
    const m = cgroupManager({ path: `/${name}`, mountinfo, procCgroup });
    expect(m.mode).toBe('v2');
    m.create();
    m.setResources({ devices: [{ allow: false, access: 'rwm' }] });
    const dir = m.paths[''];
    const r = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs; head -c 1 /dev/zero > /dev/null && echo zero-ok; echo x > /dev/null && echo null-ok; ( : < /dev/kmsg ) 2>/dev/null || echo kmsg-denied`], { encoding: 'utf8' });
    expect(r.stdout).toBe('zero-ok\nnull-ok\nkmsg-denied\n');
    expect(opens('/dev/kmsg')).toBe(true); // outside the cgroup nothing changed
    m.destroy();
    expect(fs.existsSync(dir)).toBe(false);
  });
});

function opens(dev: string): boolean {
  return spawnSync('sh', ['-c', `: < ${dev}`], { timeout: 2000 }).status === 0;
}
