// Conformance (issue 12): cgroup v1 files as runc 1.1.5 leaves them after `update` and create.
import * as fs from 'fs';
import * as path from 'path';
import { detectCgroups } from '../../src/cgroups';
import { Bundle, describeRoot, readPid, RUNC, rt, Runtime, uniqueId, useLeakChecks } from '../helpers/harness';

const layout = detectCgroups();
const memoryV1 = layout.v1.get('memory');
const devicesV1 = layout.v1.get('devices');
const MIB = 1024 * 1024;

/** The v1 cgroup directory of `ctrl` that `pid` is in. */
function cgroupDir(mount: string, ctrl: string, pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(ctrl))!;
  return path.join(mount, line.split(':')[2]);
}

/** run -d under `r`, call `fn` with the init's pid, delete. */
function withContainer<T>(r: Runtime, b: Bundle, fn: (id: string, pid: number) => T): T {
  const id = uniqueId('cg');
  const pidFile = path.join(b.dir, `${id}.pid`);
  const res = rt(r, ['run', '-d', '--bundle', b.dir, '--pid-file', pidFile, id]);
  if (res.code !== 0) throw new Error(`${r}: ${res.stderr}`);
  try {
    return fn(id, readPid(pidFile));
  } finally {
    rt(r, ['delete', '-f', id]);
  }
}

describeRoot('conformance: cgroup v1 after update and create, as runc', () => {
  useLeakChecks();
  const memsw = memoryV1 && fs.existsSync(path.join(memoryV1, 'memory.memsw.limit_in_bytes'));

  (RUNC && memsw ? test : test.skip)('update --memory -1 with a swap limit set lifts both (memsw first)', () => {
    const b = new Bundle((c) => { c.linux.resources.memory = { limit: 128 * MIB, swap: 256 * MIB }; }).args('sleep', '100');
    const seen = (r: Runtime) => withContainer(r, b, (id, pid) => {
      const dir = cgroupDir(memoryV1!, 'memory', pid);
      const u = rt(r, ['update', '--memory', '-1', id]);
      const files = ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim());
      return { code: u.code, stderr: u.stderr, files };
    });
    const runc = seen('runc');
    const ts = seen('tsrun');
    expect(ts).toEqual(runc);
    expect(ts.code).toBe(0);
    expect(ts.files[0]).toBe(ts.files[1]);
    expect(BigInt(ts.files[0])).toBeGreaterThan(1n << 62n); // unlimited (rounded to the page)
  });

  (RUNC && devicesV1 ? test : test.skip)('linux.resources.devices given out of order: devices.list as runc leaves it', () => {
    // runc 1.1.5 writes the exceptions in its emulator's order (major, minor, type), not the
    // config's: the kernel keeps the write order, so this is what devices.list shows
    const b = new Bundle((c) => {
      c.linux.resources.devices.push(
        { allow: true, type: 'c', major: 44, minor: 5, access: 'r' },
        { allow: true, type: 'b', major: 8, minor: 0, access: 'rw' },
        { allow: true, type: 'c', major: 42, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 42, minor: -1, access: 'w' },
      );
    }).args('sleep', '100');
    const list = (r: Runtime) => withContainer(r, b, (_id, pid) => fs.readFileSync(path.join(cgroupDir(devicesV1!, 'devices', pid), 'devices.list'), 'utf8'));
    const runc = list('runc');
    expect(list('tsrun')).toBe(runc);
    expect(runc).toContain('b 8:0 rw\nc 10:200 rwm\nc 42:* w\nc 42:3 rwm\nc 44:5 r\n');
  });
});
