// src/lifecycle/child-error.ts: a failure record from the child (step, errno, index, detail)
// -> one message naming the config field. Rows name the step by its label, so they follow the
// step table (src/native/contract.def.mjs -> STEP / STEP_LABELS) whatever its order.
import { childError } from '../../src/lifecycle/child-error';
import { STEP, STEP_LABELS, STEP_NAMES } from '../../src/native/contract';
import type { SyncMsg } from '../../src/native/addon';

const msg = (step: string, errno: number, index = -1, detail = ''): SyncMsg => {
  const name = STEP_NAMES.find((k) => STEP_LABELS[k] === step);
  if (!name) throw new Error(`no step labelled "${step}" in the contract`);
  return { type: 0, step: STEP[name], errno, pid: 0, index, detail };
};

describe('childError: step -> field', () => {
  // [step, errno, index, detail, field, message after "unable to start container process: "]
  const rows: [string, number, number, string, string | undefined, string][] = [
    ['open namespace', 2, 1, '/proc/9/ns/net', 'linux.namespaces[1].path', 'linux.namespaces[1].path: open namespace /proc/9/ns/net: no such file or directory'],
    ['join namespace', 22, 0, '', 'linux.namespaces[0].path', 'linux.namespaces[0].path: join namespace: invalid argument'],
    ['create mount point', 20, 3, '/x', 'mounts[3].destination', 'mounts[3].destination: create mount point /x: not a directory'],
    ['create mount point', 30, -1, '/dev/console', undefined, 'create mount point /dev/console: read-only file system'],
    ['mount', 19, 2, '', 'mounts[2]', 'mounts[2]: mount: no such device'],
    ['mount', 1, -1, '', undefined, 'mount: operation not permitted'],
    ['remount', 1, 4, '', 'mounts[4].options', 'mounts[4].options: remount: operation not permitted'],
    ['set mount propagation', 22, 5, '', 'mounts[5].options', 'mounts[5].options: set mount propagation: invalid argument'],
    ['create device', 1, 0, '', 'linux.devices[0]', 'linux.devices[0]: create device: operation not permitted'],
    ['create device', 17, -1, '', undefined, 'create device: file exists'],
    ['mask path', 2, 3, '', 'linux.maskedPaths[3]', 'linux.maskedPaths[3]: mask path: no such file or directory'],
    ['make path read-only', 2, 1, '', 'linux.readonlyPaths[1]', 'linux.readonlyPaths[1]: make path read-only: no such file or directory'],
    ['make rootfs read-only', 16, -1, '', 'root.readonly', 'root.readonly: make rootfs read-only: device or resource busy'],
    ['setrlimit', 1, 2, '', 'process.rlimits[2]', 'process.rlimits[2]: setrlimit: operation not permitted'],
    ['chdir', 2, -1, '/nope', 'process.cwd', 'process.cwd: chdir /nope: no such file or directory'],
    ['setgroups', 1, -1, '', 'process.user.additionalGids', 'process.user.additionalGids: setgroups: operation not permitted'],
    ['setgid', 22, -1, '', 'process.user.gid', 'process.user.gid: setgid: invalid argument'],
    ['setuid', 22, -1, '', 'process.user.uid', 'process.user.uid: setuid: invalid argument'],
    ['capabilities', 1, -1, '', 'process.capabilities', 'process.capabilities: capabilities: operation not permitted'],
    ['sethostname', 1, -1, '', 'hostname', 'hostname: sethostname: operation not permitted'],
    ['setdomainname', 1, -1, '', 'domainname', 'domainname: setdomainname: operation not permitted'],
    ['set rootfs propagation', 22, -1, '', 'linux.rootfsPropagation', 'linux.rootfsPropagation: set rootfs propagation: invalid argument'],
    ['bind rootfs', 2, -1, '', 'root.path', 'root.path: bind rootfs: no such file or directory'],
    ['load seccomp filter', 22, -1, '', 'linux.seccomp', 'linux.seccomp: load seccomp filter: invalid argument'],
    ['personality', 22, -1, '', 'linux.personality', 'linux.personality: personality: invalid argument'],
    ['sysctl', 2, -1, 'net.ipv4.x', 'linux.sysctl', 'linux.sysctl: sysctl net.ipv4.x: no such file or directory'],
    ['scheduler', 1, -1, '', 'process.scheduler', 'process.scheduler: scheduler: operation not permitted'],
    ['ioPriority', 1, -1, '', 'process.ioPriority', 'process.ioPriority: ioPriority: operation not permitted'],
    ['execCPUAffinity', 22, -1, '', 'process.execCPUAffinity', 'process.execCPUAffinity: execCPUAffinity: invalid argument'],
    ['memoryPolicy', 22, -1, '', 'linux.memoryPolicy', 'linux.memoryPolicy: memoryPolicy: invalid argument'],
    ['timeOffsets', 1, -1, '', 'linux.timeOffsets', 'linux.timeOffsets: timeOffsets: operation not permitted'],
    // steps without a field of their own: the step and the errno
    ['pivot_root', 22, -1, '', undefined, 'pivot_root: invalid argument'],
    ['console', 2, -1, '', undefined, 'console: no such file or directory'],
    ['clone init', 12, -1, '', undefined, 'clone init: cannot allocate memory'],
    ['sync', 999, -1, '', undefined, 'sync: errno 999'],
  ];
  test.each(rows)('%s (errno %i, index %i %s)', (step, errno, index, detail, field, text) => {
    const e = childError(msg(step, errno, index, detail), ['sh']);
    expect({ message: e.message, field: e.field, errno: e.errno }).toEqual({ message: `unable to start container process: ${text}`, field, errno });
  });

  test('exec: runc\'s words for args[0] (a path: stat; a name: $PATH), the field process.args[0]', () => {
    expect(childError(msg('exec', 2), ['/bin/nope', 'x'])).toMatchObject({
      message: 'unable to start container process: exec: "/bin/nope": stat /bin/nope: no such file or directory', field: 'process.args[0]', errno: 2,
    });
    expect(childError(msg('exec', 2), ['nope']).message).toBe('unable to start container process: exec: "nope": executable file not found in $PATH');
  });

  test('a step number the table does not have is named by its number', () => {
    expect(childError({ type: 0, step: 9999, errno: 1, pid: 0, index: -1, detail: '' }, ['sh']).message)
      .toBe('unable to start container process: step 9999: operation not permitted');
  });
});
