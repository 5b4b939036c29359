// `tsrun features` claims only what works: every listed mount option, namespace and seccomp
// action/flag is used in a real container here.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { create, deleteContainer, parseSpec } from '../../src/lib';
import { Bundle, describeRoot, stateRoot, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { ENOSYS_MODE } from '../helpers/enosys-mode';
import { idmapSupported } from '../helpers/host-kind';

describeRoot('features', () => {
  useLeakChecks();
  const root = () => stateRoot('tsrun');
  const features = () => JSON.parse(tsrun(['features']).stdout);

  async function creates(mutate: (c: any) => void): Promise<string | null> {
    const b = new Bundle(mutate).args('true');
    const spec = parseSpec(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8'));
    const id = uniqueId('feat');
    try {
      await create(id, { root: root(), bundle: b.dir, spec });
      await deleteContainer(id, { root: root(), force: true });
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  test('shape: versions, all six hooks, the mount extensions containerd reads', () => {
    const f = features();
    expect(f).toMatchObject({ ociVersionMin: '1.0.0', ociVersionMax: '1.2.0' });
    expect(f.hooks).toHaveLength(6);
    // under test:enosys the kernel "has" no mount_setattr: neither is claimed (kernel-compat.test.ts)
    expect(f.linux.mountExtensions.idmap.enabled).toBe(!ENOSYS_MODE);
    if (ENOSYS_MODE) expect(f.mountOptions).not.toContain('rro');
    else expect(f.mountOptions).toContain('rro');
  });

  test('every listed mount option works on a bind mount and (but remount) on a tmpfs', async () => {
    const src = fs.mkdtempSync(path.join(work(), 'feat-src-'));
    const failures: string[] = [];
    for (const opt of features().mountOptions as string[]) {
      if (opt === 'idmap' || opt === 'ridmap') {
        if (!idmapSupported(work())) continue; // the test directory's filesystem has none (tmpfs before 6.3): tested in namespaces.test.ts where it has
        const m = [{ containerID: 0, hostID: 100000, size: 65536 }];
        fs.chmodSync(src, 0o755);
        const err = await creates((c) => {
          c.linux.namespaces.push({ type: 'user' });
          c.linux.uidMappings = m;
          c.linux.gidMappings = m;
          c.mounts.push({ destination: '/tmp/mnt', type: 'bind', source: src, options: ['rbind', opt] });
        });
        if (err) failures.push(`bind ${opt}: ${err}`);
        continue;
      }
      if (opt === 'tmpcopyup') {
        const err = await creates((c) => c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: [opt] }));
        if (err) failures.push(`tmpfs ${opt}: ${err}`);
        continue;
      }
      const bind = await creates((c) => c.mounts.push({ destination: '/mnt', type: 'bind', source: src, options: ['rbind', opt] }));
      if (bind) failures.push(`bind ${opt}: ${bind}`);
      if (opt === 'remount' || opt === 'bind' || opt === 'rbind') continue;
      const tmpfs = await creates((c) => c.mounts.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: [opt] }));
      if (tmpfs) failures.push(`tmpfs ${opt}: ${tmpfs}`);
    }
    expect(failures).toEqual([]);
  });

  test('every listed namespace can be created', async () => {
    const failures: string[] = [];
    for (const ns of features().linux.namespaces as string[]) {
      const err = await creates((c) => {
        if (!c.linux.namespaces.some((n: any) => n.type === ns)) c.linux.namespaces.push({ type: ns });
        if (ns === 'user') {
          c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
          c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        }
      });
      if (err) failures.push(`${ns}: ${err}`);
    }
    expect(failures).toEqual([]);
  });

  test('every listed seccomp action, operator and flag is accepted', async () => {
    const s = features().linux.seccomp;
    const failures: string[] = [];
    // SCMP_ACT_NOTIFY needs a listener: a listening socket takes the fd (the kernel queues the connection)
    const listenerPath = path.join(work(), 'features-listener.sock');
    const server = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => server.listen(listenerPath, resolve));
    try {
      for (const action of s.actions as string[]) {
        const err = await creates((c) => {
          c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['acct'], action }] };
          if (action === 'SCMP_ACT_NOTIFY') c.linux.seccomp.listenerPath = listenerPath;
        });
        if (err) failures.push(`${action}: ${err}`);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    for (const op of s.operators as string[]) {
      const err = await creates((c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, valueTwo: 1, op }] }] }; });
      if (err) failures.push(`${op}: ${err}`);
    }
    for (const flag of s.supportedFlags as string[]) {
      const err = await creates((c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: [flag], syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO' }] }; });
      if (err) failures.push(`${flag}: ${err}`);
    }
    expect(failures).toEqual([]);
  });
});

describeRoot('not yet supported: refused, never silently ignored', () => {
  useLeakChecks();
  const refused = (mutate: (c: any) => void) => {
    const b = new Bundle(mutate).args('true');
    const r = tsrun(['create', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(1);
    return JSON.parse(`"${/msg="((?:[^"\\]|\\.)*)"/.exec(r.stderr)![1]}"`) as string;
  };

  test.each([
    ['idmap mount option', (c: any) => c.mounts.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['rbind', 'idmap'] }), /^mounts\[\d+\]\.options/],
    ['tmpcopyup on a bind mount', (c: any) => c.mounts.push({ destination: '/m', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] }), /^mounts\[\d+\]\.options: tmpcopyup is only for tmpfs/],
    ['idmapped tmpfs', (c: any) => c.mounts.push({ destination: '/m', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }), /^mounts\[\d+\]/],
    ['linux.netDevices naming a device the host does not have', (c: any) => { c.linux.netDevices = { 'tsrun-none0': {} }; }, /^linux\.netDevices\["tsrun-none0"\]: no such network device/],
    ['apparmorProfile in config.json', (c: any) => { c.process.apparmorProfile = 'docker-default'; }, /^process\.apparmorProfile: /],
    ['selinuxLabel in config.json', (c: any) => { c.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }, /^process\.selinuxLabel: /],
  ])('%s', (_name, mutate, message) => {
    expect(refused(mutate)).toMatch(message);
  });
});
