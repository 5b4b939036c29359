// Namespaces: all 8 types created new, joined by path, user namespaces with id maps.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, runDetached, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { testNeedsNewMountApi } from '../helpers/enosys-mode';
import { idmapSupported, skipUnless, TIME_NS } from '../helpers/host-kind';

// time namespaces need CONFIG_TIME_NS (user-mode Linux has none): tested where the kernel has them
const ALL = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', ...(TIME_NS ? ['time'] : []), 'user'];
const PROC: Record<string, string> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', time: 'time', user: 'user' };
const userns = (c: any) => {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
};

function nsLinks(pid: number | 'self'): Record<string, string> {
  return Object.fromEntries(ALL.map((t) => [t, fs.readlinkSync(`/proc/${pid}/ns/${PROC[t]}`)]));
}

describeRoot('namespaces', () => {
  useLeakChecks();

  test(`every namespace type is created new, and differs from the host${TIME_NS ? '' : ' (time: skipped here, this kernel has no time namespaces)'}`, () => {
    const b = new Bundle((c) => {
      c.linux.namespaces.push({ type: 'cgroup' }, ...(TIME_NS ? [{ type: 'time' }] : []));
      userns(c);
    }).args('sleep', '100');
    const id = uniqueId();
    const pid = runDetached(b, id);
    const host = nsLinks('self');
    const inside = nsLinks(pid);
    for (const t of ALL) expect([t, inside[t]]).not.toEqual([t, host[t]]);
    expect(fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    expect(fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)![1]).toBe('100000');
    expect(/^NSpid:\s+\d+\s+(\d+)/m.exec(status)![1]).toBe('1');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  });

  test('inside a user namespace: root maps, devices are bound from the host, cgroup ns root is /', () => {
    const b = new Bundle((c) => { userns(c); c.linux.namespaces.push({ type: 'cgroup' }); })
      .args('sh', '-c', 'id -u; cat /proc/self/uid_map; ls -l /dev/null | cut -c1; cat /dev/zero | head -c 3 | wc -c; cat /proc/self/cgroup | tail -1');
    const r = tsrun(['run', '--bundle', b.dir, uniqueId()]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).toEqual(['0', '0 100000 65536', 'c', '3', expect.stringMatching(/^0::\/$/)]);
    expect(r.code).toBe(0);
  });

  test('namespaces joined by path: net, ipc, uts, pid, mount of another container', () => {
    const a = new Bundle((c) => { c.hostname = 'shared-host'; }).args('sleep', '100');
    const ida = uniqueId();
    const pidA = runDetached(a, ida);
    const joined = ['network', 'ipc', 'uts', 'pid'];
    const b = new Bundle((c) => {
      delete c.hostname; // a joined uts namespace keeps A's
      c.linux.namespaces = c.linux.namespaces.map((n: any) => (joined.includes(n.type) ? { type: n.type, path: `/proc/${pidA}/ns/${PROC[n.type]}` } : n));
    }).args('sleep', '100');
    const idb = uniqueId();
    const pidB = runDetached(b, idb);
    const na = nsLinks(pidA);
    const nb = nsLinks(pidB);
    for (const t of joined) expect([t, nb[t]]).toEqual([t, na[t]]);
    expect(nb.mount).not.toEqual(na.mount);
    // in A's pid namespace, B's process is not pid 1
    const nspid = /^NSpid:\s+\d+\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pidB}/status`, 'utf8'))![1];
    expect(nspid).not.toBe('1');
    expect(tsrun(['delete', '--force', idb]).code).toBe(0);
    expect(tsrun(['delete', '--force', ida]).code).toBe(0);
  });

  test('joining a user namespace by path', () => {
    const a = new Bundle(userns).args('sleep', '100');
    const ida = uniqueId();
    const pidA = runDetached(a, ida);
    const b = new Bundle((c) => {
      c.linux.namespaces.push({ type: 'user', path: `/proc/${pidA}/ns/user` });
    }).args('sleep', '100');
    const idb = uniqueId();
    const pidB = runDetached(b, idb);
    expect(fs.readlinkSync(`/proc/${pidB}/ns/user`)).toBe(fs.readlinkSync(`/proc/${pidA}/ns/user`));
    expect(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pidB}/status`, 'utf8'))![1]).toBe('100000');
    expect(tsrun(['delete', '--force', idb]).code).toBe(0);
    expect(tsrun(['delete', '--force', ida]).code).toBe(0);
  });

  test('a namespace path that does not exist names the field', () => {
    const b = new Bundle((c) => { c.linux.namespaces[0] = { type: c.linux.namespaces[0].type, path: '/proc/999999999/ns/pid' }; }).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/^linux\.namespaces\[0\]\.path: /);
  });

  test('hostname and domainname in a new uts namespace', () => {
    const b = new Bundle((c) => { c.hostname = 'h1'; c.domainname = 'example.org'; })
      .args('sh', '-c', 'hostname; cat /proc/sys/kernel/domainname');
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stdout: 'h1\nexample.org\n' });
  });
});

describeRoot('linux.netDevices', () => {
  useLeakChecks();
  const { spawnSync } = require('child_process') as typeof import('child_process');
  const a = `tsv${process.pid % 100000}a`;
  const b = `tsv${process.pid % 100000}b`;
  beforeAll(() => { spawnSync('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]); });
  afterAll(() => { spawnSync('ip', ['link', 'del', a]); spawnSync('ip', ['link', 'del', b]); });

  test('a host interface moves into the container under its new name, and back on delete', () => {
    expect(fs.existsSync(`/sys/class/net/${a}`)).toBe(true);
    const bundle = new Bundle((c) => { c.linux.netDevices = { [a]: { name: 'eth7' } }; }).args('sleep', '100');
    const id = uniqueId();
    runDetached(bundle, id);
    expect(fs.existsSync(`/sys/class/net/${a}`)).toBe(false); // gone from the host
    expect(tsrun(['exec', id, 'ls', '/sys/class/net']).stdout.split('\n')).toContain('eth7');
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
    expect(fs.existsSync(`/sys/class/net/${a}`)).toBe(true); // back, under its host name
  });
});

const IDMAP = skipUnless(idmapSupported(work()), 'the filesystem of the test directory has no idmapped mounts (tmpfs: Linux 6.3+)');
(IDMAP.test === test ? describeRoot : describe.skip)(IDMAP.name('idmapped mounts'), () => {
  useLeakChecks();
  // mount points under /tmp (1777): inside the user namespace the child cannot create them in
  // directories owned by the host's (unmapped) root, as with runc
  const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const src = () => {
    const d = fs.mkdtempSync(path.join(work(), 'idmap-'));
    fs.chmodSync(d, 0o755);
    fs.writeFileSync(path.join(d, 'root-owned'), 'x');
    fs.writeFileSync(path.join(d, 'one-owned'), 'x');
    fs.chownSync(path.join(d, 'one-owned'), 1, 1);
    return d;
  };
  const probe = 'stat -c "%n %u:%g" /tmp/idm/root-owned /tmp/idm/one-owned';

  testNeedsNewMountApi('mount uidMappings/gidMappings: host-owned files show as the container\'s ids inside a user namespace', 'idmapped mounts are open_tree + mount_setattr', () => {
    const d = src();
    const b = new Bundle((c) => {
      userns(c);
      c.mounts.push({ destination: '/tmp/idm', type: 'bind', source: d, options: ['bind'], uidMappings: mapping, gidMappings: mapping });
    }).args('sh', '-c', probe);
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stdout: '/tmp/idm/root-owned 0:0\n/tmp/idm/one-owned 1:1\n' });
    // without the idmap the same files are the overflow ids
    const plain = new Bundle((c) => { userns(c); c.mounts.push({ destination: '/tmp/idm', type: 'bind', source: d, options: ['bind'] }); }).args('sh', '-c', probe);
    expect(tsrun(['run', '--bundle', plain.dir, uniqueId()]).stdout).toBe('/tmp/idm/root-owned 65534:65534\n/tmp/idm/one-owned 65534:65534\n');
  });

  testNeedsNewMountApi('the idmap option alone takes the container\'s user namespace mappings; files created inside land as host ids', 'idmapped mounts are open_tree + mount_setattr', () => {
    const d = src();
    const b = new Bundle((c) => {
      userns(c);
      c.mounts.push({ destination: '/tmp/idm', type: 'bind', source: d, options: ['bind', 'idmap'] });
    }).args('sh', '-c', `${probe}; touch /tmp/idm/made-inside`);
    expect(tsrun(['run', '--bundle', b.dir, uniqueId()])).toMatchObject({ code: 0, stdout: '/tmp/idm/root-owned 0:0\n/tmp/idm/one-owned 1:1\n' });
    const st = fs.statSync(path.join(d, 'made-inside'));
    expect([st.uid, st.gid]).toEqual([0, 0]); // container root through the idmapped mount = host 0 on disk
  });
});
