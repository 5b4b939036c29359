// process.scheduler, process.ioPriority, process.execCPUAffinity, linux.memoryPolicy,
// linux.timeOffsets, and process.user.username refused: read back from the host.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { Bundle, describeRoot, errMsg, runDetached, tsrun, uniqueId, useLeakChecks } from '../helpers/harness';
import { NUMA, skipUnless, TIME_NS } from '../helpers/host-kind';

function ioprio(pid: number): number {
  // ioprio_get(IOPRIO_WHO_PROCESS, pid): 252 on x86_64, 31 on aarch64
  const nr = process.arch === 'arm64' ? 31 : 252;
  const r = spawnSync('python3', ['-c', `import ctypes; print(ctypes.CDLL(None).syscall(${nr}, 1, ${pid}))`], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

describeRoot('process attributes', () => {
  useLeakChecks();

  test('scheduler, I/O priority and CPU affinity reach the process', () => {
    const b = new Bundle((c) => {
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
      c.process.execCPUAffinity = { final: '0' };
    }).args('sleep', '100');
    const id = uniqueId();
    const pid = runDetached(b, id);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect({ nice: f[16], policy: f[38] }).toEqual({ nice: '5', policy: '3' });
    expect(ioprio(pid)).toBe((2 << 13) | 6);
    expect(/^Cpus_allowed_list:\s+(\S+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]).toBe('0');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  const numa = skipUnless(NUMA, 'this kernel has no NUMA (set_mempolicy: ENOSYS)');
  numa.test(numa.name('memory policy reaches the process'), () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle((c) => { c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }; }).args('sleep', '100'), id);
    expect(fs.readFileSync(`/proc/${pid}/numa_maps`, 'utf8').split('\n')[0]).toContain('bind:0');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  const time = skipUnless(TIME_NS, 'this kernel has no time namespaces');
  time.test(time.name('time offsets reach the process\'s time namespace'), () => {
    const id = uniqueId();
    const pid = runDetached(new Bundle((c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 7200 } };
    }).args('sleep', '100'), id);
    expect(fs.readFileSync(`/proc/${pid}/timens_offsets`, 'utf8').replace(/\s+/g, ' ').trim()).toBe('monotonic 86400 0 boottime 7200 0');
    expect(tsrun(['delete', '-f', id]).code).toBe(0);
  });

  test('user names are refused; bad lists and policies name the field', () => {
    const named = new Bundle((c) => { c.process.user = { uid: 0, gid: 0, username: 'root' }; }).args('true');
    expect(errMsg(tsrun(['create', '--bundle', named.dir, uniqueId()]).stderr)).toMatch(/^process\.user\.username: /);
    const cpus = new Bundle((c) => { c.process.execCPUAffinity = { final: '3-1' }; }).args('true');
    expect(errMsg(tsrun(['create', '--bundle', cpus.dir, uniqueId()]).stderr)).toMatch(/^process\.execCPUAffinity\.final: /);
  });
});
