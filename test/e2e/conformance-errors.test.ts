// Conformance (issue 12): a file operation of the runtime that fails names the field, the
// operation and the file, as runc does (`write /proc/N/oom_score_adj: permission denied`),
// never Node's bare `EACCES: permission denied, write`.
import { spawnSync } from 'child_process';
import { Bundle, describeRoot, errMsg, rt, stateRoot, TSRUN, uniqueId, useLeakChecks, which } from '../helpers/harness';

const SETPRIV = which('setpriv');

describeRoot('conformance: errors of the runtime\'s own file writes name the field and the file', () => {
  useLeakChecks();

  (SETPRIV ? test : test.skip)('process.oomScoreAdj refused by the kernel (no CAP_SYS_RESOURCE to lower it)', () => {
    const b = new Bundle((c) => { c.process.oomScoreAdj = -500; }).args('true');
    const r = spawnSync(SETPRIV!, ['--inh-caps=-sys_resource', '--bounding-set=-sys_resource', TSRUN, '--root', stateRoot('tsrun'), 'run', '--bundle', b.dir, uniqueId()],
      { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^process\.oomScoreAdj: write \/proc\/\d+\/oom_score_adj: permission denied$/);
  });

  test('linux.uidMappings the kernel refuses', () => {
    const b = new Bundle((c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 4294967295, size: 2 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
    }).args('true');
    const r = rt('tsrun', ['run', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^linux\.uidMappings: write \/proc\/\d+\/uid_map: invalid argument$/);
  });
});
