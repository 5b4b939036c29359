// Rootless --systemd-cgroup's pieces that need no systemd: where the user's instance is looked
// for (and that a bus whose systemd is someone else's is passed over, against a real
// dbus-daemon), the uid claimed from a user namespace, the unit's cgroup in the instance's tree,
// a recorded unit's instance, and which limits need which controllers (refused, naming the
// field, where the instance is not delegated the controller).
import { type ChildProcess } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { DBusConnection } from '../../src/cgroups/systemd/dbus-conn';
import { controllersNeeded } from '../../src/cgroups/controllers/v2/needs';
import { refuseUndelegated } from '../../src/cgroups/systemd/delegation';
import { userInstanceOf } from '../../src/cgroups/systemd/instance';
import { resourceProperties } from '../../src/cgroups/systemd/properties';
import { systemdUnit, USER_DEFAULT_SLICE } from '../../src/cgroups/systemd/unit';
import { connectUser, hostUid, NoUserManagerError, userEndpoints } from '../../src/cgroups/systemd/user-bus';
import { DBUS_DAEMON, startDbusDaemon } from '../helpers/dbus-daemon';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sduser-'));

describe('where the user\'s systemd instance is looked for (runc: DBUS_SESSION_BUS_ADDRESS, $XDG_RUNTIME_DIR/bus)', () => {
  it('the session bus address first, then $XDG_RUNTIME_DIR and /run/user/UID: their buses, then their private sockets', () => {
    expect(userEndpoints({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x/bus,guid=1', XDG_RUNTIME_DIR: '/xdg' }, 1000)).toEqual([
      { socket: '/x/bus', direct: false, from: 'DBUS_SESSION_BUS_ADDRESS' },
      { socket: '/xdg/bus', direct: false, from: '$XDG_RUNTIME_DIR/bus' },
      { socket: '/run/user/1000/bus', direct: false, from: '/run/user/1000/bus' },
      { socket: '/xdg/systemd/private', direct: true, from: '$XDG_RUNTIME_DIR/systemd/private' },
      { socket: '/run/user/1000/systemd/private', direct: true, from: '/run/user/1000/systemd/private' },
    ]);
  });

  it('no duplicates; an abstract address (dbus-launch) is the addon\'s "@name"; a relative XDG_RUNTIME_DIR is ignored', () => {
    expect(userEndpoints({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/7/bus', XDG_RUNTIME_DIR: '/run/user/7' }, 7).map((e) => e.socket))
      .toEqual(['/run/user/7/bus', '/run/user/7/systemd/private']);
    expect(userEndpoints({ DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-x', XDG_RUNTIME_DIR: 'rel' }, 7).map((e) => e.socket))
      .toEqual(['@/tmp/dbus-x', '/run/user/7/bus', '/run/user/7/systemd/private']);
  });

  it('nothing there: an error listing each place and why it was passed over', () => {
    const d = tmp();
    try {
      let err: unknown;
      try { connectUser({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=x', XDG_RUNTIME_DIR: d }, 4242424, 1000); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(NoUserManagerError);
      expect((err as NoUserManagerError).tried).toEqual([
        'DBUS_SESSION_BUS_ADDRESS=tcp:host=x: not a unix socket address',
        `$XDG_RUNTIME_DIR/bus (${d}/bus): no such socket`,
        '/run/user/4242424/bus (/run/user/4242424/bus): no such socket',
        `$XDG_RUNTIME_DIR/systemd/private (${d}/systemd/private): no such socket`,
        '/run/user/4242424/systemd/private (/run/user/4242424/systemd/private): no such socket',
      ]);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('the uid claimed in EXTERNAL: the effective uid, through uid_map in a user namespace (rootless podman: 0 inside is the user)', () => {
    const d = tmp();
    try {
      const euid = process.geteuid!();
      fs.writeFileSync(path.join(d, 'map'), `${euid} 1000 1\n1 100000 65536\n`);
      expect(hostUid(path.join(d, 'map'))).toBe(1000);
      fs.writeFileSync(path.join(d, 'id'), '0 0 4294967295\n');
      expect(hostUid(path.join(d, 'id'))).toBe(euid);
      expect(hostUid(path.join(d, 'missing'))).toBe(euid);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

// A private dbus-daemon with a stand-in org.freedesktop.systemd1 (a second connection owning
// the name): the instance found on a bus must run as the caller's own uid.
(DBUS_DAEMON ? describe : describe.skip)(`a session bus${DBUS_DAEMON ? '' : ' (skipped: dbus-daemon is not installed)'}`, () => {
  let dir: string;
  let daemon: ChildProcess;
  let owner: DBusConnection | undefined;
  let addr: string;
  beforeAll(async () => {
    dir = tmp();
    let sock: string;
    ({ daemon, sock } = await startDbusDaemon(dir));
    addr = `unix:path=${sock}`;
  });
  afterAll(() => {
    owner?.close();
    daemon.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a bus without systemd on it is passed over, saying so', () => {
    let err: unknown;
    try { connectUser({ DBUS_SESSION_BUS_ADDRESS: addr }, process.geteuid!(), 2000); } catch (e) { err = e; }
    expect((err as NoUserManagerError).tried[0]).toBe(`DBUS_SESSION_BUS_ADDRESS (${path.join(dir, 'bus')}): a bus without systemd on it`);
  });

  it('systemd1 on the bus: its uid is told; one run by another uid than required is passed over', () => {
    owner = DBusConnection.open(path.join(dir, 'bus'), false, 2000);
    const [got] = owner.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', 'su', ['org.freedesktop.systemd1', 0], 2000);
    expect(got).toBe(1); // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
    const me = process.geteuid!();
    const c = connectUser({ DBUS_SESSION_BUS_ADDRESS: addr }, me, 2000);
    expect(c.ownerUid).toBe(me);
    expect(c.endpoint.from).toBe('DBUS_SESSION_BUS_ADDRESS');
    c.conn.close();
    let err: unknown;
    try { connectUser({ DBUS_SESSION_BUS_ADDRESS: addr }, me, 2000, (o) => (o === me ? `systemd there runs as uid ${o}, not as this user` : undefined)); } catch (e) { err = e; }
    expect((err as NoUserManagerError).tried[0]).toBe(`DBUS_SESSION_BUS_ADDRESS (${path.join(dir, 'bus')}): systemd there runs as uid ${me}, not as this user`);
  });
});

describe('the unit in a user instance (runc: user.slice, below the instance\'s ControlGroup)', () => {
  const base = '/user.slice/user-1000.slice/user@1000.service';
  it('an empty cgroupsPath or slice: user.slice in the instance\'s tree; a slice given is expanded there', () => {
    expect(systemdUnit('', 'ctr', { defaultSlice: USER_DEFAULT_SLICE, base }))
      .toEqual({ slice: 'user.slice', unit: 'runc-ctr.scope', cgroup: `${base}/user.slice/runc-ctr.scope`, name: 'ctr' });
    expect(systemdUnit(':libpod:abc', 'x', { defaultSlice: USER_DEFAULT_SLICE, base }).cgroup).toBe(`${base}/user.slice/libpod-abc.scope`);
    expect(systemdUnit('app-x.slice:p:n', 'x', { defaultSlice: USER_DEFAULT_SLICE, base: `${base}/` }).cgroup).toBe(`${base}/app.slice/app-x.slice/p-n.scope`);
    expect(systemdUnit('-.slice:p:n', 'x', { base }).cgroup).toBe(`${base}/p-n.scope`);
  });

  it('a recorded unit\'s instance is told by its path', () => {
    expect(userInstanceOf(`/sys/fs/cgroup${base}/user.slice/runc-c.scope`, '/sys/fs/cgroup')).toEqual({ user: true, uid: 1000, cgroup: base });
    expect(userInstanceOf('/sys/fs/cgroup/system.slice/runc-c.scope', '/sys/fs/cgroup')).toBeUndefined();
    expect(userInstanceOf(undefined, '/sys/fs/cgroup')).toBeUndefined();
  });

  it('no device properties for a user instance (it cannot enforce them)', () => {
    const names = (noDevices: boolean) => resourceProperties({ memory: { limit: 1 } }, { version: () => 252, warn: () => undefined, noDevices }).map(([n]) => n);
    expect(names(false)).toEqual(['DevicePolicy', 'DeviceAllow', 'DeviceAllow', 'MemoryMax']);
    expect(names(true)).toEqual(['MemoryMax']);
  });
});

describe('limits and the controllers they need (a user instance is delegated only some)', () => {
  it('each controller with the first field that asks for it, in runc\'s fs2 order; ignored v2 fields and devices need none', () => {
    expect(controllersNeeded({
      devices: [{ allow: false, access: 'rwm' }], memory: { swappiness: 10, limit: 5 }, pids: { limit: 3 }, cpu: { quota: 1000, mems: '0' },
      blockIO: { weight: 100 }, hugepageLimits: [{ pageSize: '2MB', limit: 1 }], unified: { 'cgroup.max.depth': '3', 'misc.max': 'x 1' },
    })).toEqual([
      { controller: 'pids', field: 'linux.resources.pids.limit' },
      { controller: 'memory', field: 'linux.resources.memory.limit' },
      { controller: 'io', field: 'linux.resources.blockIO.weight' },
      { controller: 'cpu', field: 'linux.resources.cpu.quota' },
      { controller: 'cpuset', field: 'linux.resources.cpu.mems' },
      { controller: 'hugetlb', field: 'linux.resources.hugepageLimits' },
      { controller: 'misc', field: 'linux.resources.unified["misc.max"]' },
    ]);
    expect(controllersNeeded({ memory: { kernel: 5, disableOOMKiller: true }, pids: { limit: 0 }, cpu: { realtimeRuntime: 5 } })).toEqual([]);
    expect(controllersNeeded(undefined)).toEqual([]);
  });

  it('a field whose controller the instance lacks is refused, naming it and the drop-in; unreadable controllers: no check', () => {
    const dir = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service';
    expect(() => refuseUndelegated({ memory: { limit: 5 }, pids: { limit: 2 } }, dir, 1000, ['cpu', 'memory', 'pids'])).not.toThrow();
    expect(() => refuseUndelegated({ memory: { limit: 5 }, blockIO: { weight: 10 } }, dir, 1000, ['cpu', 'memory', 'pids'])).toThrow(
      'linux.resources.blockIO.weight: cannot set the io limit: the user\'s systemd instance (user@1000.service, '
      + '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service) is not delegated the io controller (it has: cpu memory pids), so systemd would '
      + 'accept the limit and not apply it. As root, delegate it with a drop-in /etc/systemd/system/user@.service.d/delegate.conf of "[Service]" and '
      + '"Delegate=cpu cpuset io memory pids", then `systemctl daemon-reload` and restart user@1000.service (or log in again); or drop the field',
    );
    expect(() => refuseUndelegated({ cpu: { cpus: '0' } }, dir, 1000, [])).toThrow(/^linux\.resources\.cpu\.cpus: cannot set the cpuset limit: .*\(it has: none\)/);
    expect(() => refuseUndelegated({ blockIO: { weight: 10 } }, '/nonexistent', 1000)).not.toThrow();
  });
});
