// The systemd cgroup driver's pieces that need no systemd: the D-Bus wire format (round trips,
// and against a real dbus-daemon, which validates every message it routes), GVariant text of
// org.systemd.property.* annotations, unit naming, and linux.resources → unit properties.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { DBusConnection, DBusError, socketFromAddress } from '../../src/cgroups/systemd/dbus-conn';
import { decodeMessage, encodeMessage, parseSignature, Reader, Variant, Writer } from '../../src/cgroups/systemd/dbus-wire';
import { parseGVariant } from '../../src/cgroups/systemd/gvariant';
import { DBUS_DAEMON, startDbusDaemon } from '../helpers/dbus-daemon';
import { annotationProperties, deviceGroup, deviceProperties, rangeToBits, resourceProperties, type PropertyOptions } from '../../src/cgroups/systemd/properties';
import { expandSlice, systemdUnit } from '../../src/cgroups/systemd/unit';

const roundTrip = (sig: string, value: unknown): unknown => {
  const [t] = parseSignature(sig);
  const w = new Writer();
  w.write(t, value);
  return new Reader(Buffer.from(w.result())).read(t);
};

describe('D-Bus wire format', () => {
  it.each([
    ['y', 200], ['b', true], ['n', -5], ['q', 65535], ['i', -2147483648], ['u', 4294967295],
    ['x', -(2n ** 63n)], ['t', 2n ** 64n - 1n], ['d', 1.5], ['s', 'héllo'], ['o', '/org/freedesktop/systemd1'], ['g', 'a(sv)'],
    ['as', ['a', '', 'c']], ['au', [1, 2, 3]], ['ay', [0, 255]], ['a(ss)', [['/dev/char/1:3', 'rwm']]], ['a{su}', [['k', 1]]],
    ['(yt)', [1, 5n]], ['aat', [[1n], [], [2n, 3n]]],
  ])('%s round-trips %p', (sig, value) => {
    expect(roundTrip(sig, value)).toEqual(value);
  });

  it('variants carry their signature; arrays pad to their element alignment', () => {
    const v = roundTrip('a(sv)', [['MemoryMax', new Variant('t', 5n)], ['PIDs', new Variant('au', [42])], ['Delegate', new Variant('b', true)]]) as Array<[string, Variant]>;
    expect(v.map(([n, x]) => [n, x.sig, x.value])).toEqual([['MemoryMax', 't', 5n], ['PIDs', 'au', [42]], ['Delegate', 'b', true]]);
    const w = new Writer();
    w.write(parseSignature('at')[0], []);
    expect(w.len).toBe(8); // length word + padding to 8 even when empty
  });

  it.each([
    ['y', 256], ['u', -1], ['i', 1.5], ['t', -1n], ['s', 'a\0b'], ['o', 'relative/path'], ['o', '/trailing/'], ['b', 1], ['v', 'x'], ['(ss)', ['a']],
  ])('refuses %s %p', (sig, value) => {
    expect(() => roundTrip(sig, value)).toThrow();
  });

  it('refuses bad signatures', () => {
    for (const s of ['a', '(', '()', 'a{vs}', 'a{s}', 'z']) expect(() => parseSignature(s)).toThrow();
  });

  it('encodes and decodes whole messages, incomplete ones wait for more bytes', () => {
    const m = { type: 1, flags: 0, serial: 7, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'StartTransientUnit',
      destination: 'org.freedesktop.systemd1', signature: 'ssa(sv)a(sa(sv))', body: ['x.scope', 'replace', [['Slice', new Variant('s', 'system.slice')]], []] };
    const b = encodeMessage(m);
    expect(b.length % 8).toBe(0);
    expect(decodeMessage(b.subarray(0, b.length - 1))).toBeUndefined();
    const d = decodeMessage(Buffer.concat([b, Buffer.from([0x6c])]))!;
    expect(d.size).toBe(b.length);
    expect(d.msg.member).toBe('StartTransientUnit');
    expect((d.msg.body[2] as Array<[string, Variant]>)[0][1].value).toBe('system.slice');
  });

  it('reads the socket path of a bus address', () => {
    expect(socketFromAddress('unix:path=/run/dbus/system_bus_socket')).toBe('/run/dbus/system_bus_socket');
    expect(socketFromAddress('tcp:host=x;unix:guid=1,path=/a%20b')).toBe('/a b');
    expect(socketFromAddress('unix:abstract=/x')).toBeUndefined();
  });
});

// A private dbus-daemon: it checks every message against its signature and drops a client
// that sends a malformed one, so a call that gets the daemon's own error back was well-formed.
(DBUS_DAEMON ? describe : describe.skip)(`against a real dbus-daemon${DBUS_DAEMON ? '' : ' (skipped: dbus-daemon is not installed)'}`, () => {
  let dir: string;
  let daemon: ChildProcess;
  let sock: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-dbus-'));
    ({ daemon, sock } = await startDbusDaemon(dir));
  });
  afterAll(() => {
    daemon.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates, says Hello and gets the NameAcquired signal', () => {
    const c = DBusConnection.open(sock, false, 5000);
    try {
      expect(c.uniqueName).toMatch(/^:1\.\d+$/);
      const sig = c.waitSignal((m) => m.member === 'NameAcquired', 5000, 'NameAcquired');
      expect(sig.body).toEqual([c.uniqueName]);
      const [names] = c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ListNames', '', [], 5000);
      expect(names).toContain('org.freedesktop.DBus');
      const [creds] = c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetConnectionCredentials', 's', [c.uniqueName], 5000) as [Array<[string, Variant]>];
      expect(creds.find(([k]) => k === 'ProcessID')?.[1].value).toBe(process.pid);
    } finally {
      c.close();
    }
  });

  it('a StartTransientUnit-shaped call passes the daemon\'s validation (ServiceUnknown back, connection kept)', () => {
    const c = DBusConnection.open(sock, false, 5000);
    try {
      const props = [['Description', new Variant('s', 'x')], ['PIDs', new Variant('au', [1, 2])], ['Delegate', new Variant('b', true)],
        ['MemoryMax', new Variant('t', 2n ** 64n - 1n)], ['AllowedCPUs', new Variant('ay', [3])], ['DeviceAllow', new Variant('a(ss)', [['char-*', 'm'], ['/dev/char/1:3', 'rwm']])],
        ['CPUQuotaPerSecUSec', new Variant('t', 500000n)], ['Nested', new Variant('v', new Variant('i', -1))]];
      let err: unknown;
      try {
        c.call('org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'StartTransientUnit', 'ssa(sv)a(sa(sv))', ['t.scope', 'replace', props, []], 5000);
      } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DBusError);
      expect((err as DBusError).errorName).toMatch(/^org\.freedesktop\.DBus\.Error\.(ServiceUnknown|NameHasNoOwner)$/);
      const [has] = c.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner', 's', ['org.freedesktop.DBus'], 5000);
      expect(has).toBe(true);
    } finally {
      c.close();
    }
  });

  it('a silent peer is a timeout error, not a hang', () => {
    const srv = path.join(dir, 'silent');
    // a socket that accepts and never answers
    // (ready once listening: the socket file exists from bind on, and a connect before listen is refused)
    const py = spawn('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(${JSON.stringify(srv)})\ns.listen(1)\nopen(${JSON.stringify(srv + '.ready')},'w').close()\nc=s.accept()\ntime.sleep(30)`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 1000 && !fs.existsSync(srv + '.ready'); i++) spawnSync('sleep', ['0.01']);
      const t0 = Date.now();
      expect(() => DBusConnection.open(srv, false, 300)).toThrow(/no answer from .* within the timeout/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      py.kill('SIGKILL');
    }
  });
});

describe('GVariant text (org.systemd.property.* values)', () => {
  it.each([
    ['uint64 123456789', 't', 123456789n], ["'inactive-or-failed'", 's', 'inactive-or-failed'], ['"a\\"b"', 's', 'a"b'],
    ['true', 'b', true], ['2', 'i', 2], ['-7', 'i', -7], ['1.5', 'd', 1.5], ['0x10', 'i', 16], ['uint32 7', 'u', 7],
    ['[1, 2]', 'ai', [1, 2]], ['@as []', 'as', []], ["['a', 'b']", 'as', ['a', 'b']], ['@t 5', 't', 5n], ["('x', uint64 1)", '(st)', ['x', 1n]],
    ['[@t 1, 2]', 'at', [1n, 2n]], ['objectpath "/a/b"', 'o', '/a/b'],
  ])('%s', (text, sig, value) => {
    const v = parseGVariant(text);
    expect([v.sig, v.value]).toEqual([sig, value]);
  });

  it.each(['', 'uint8 1', 'byte 256', '[1, "a"]', '[]', "'open", '1 2', 'int32 1.5', 'uint64 -1'])('refuses %p', (text) => {
    expect(() => parseGVariant(text)).toThrow();
  });
});

describe('annotations → properties (runc initSystemdProps)', () => {
  it('takes org.systemd.property.* only, converts ...Sec to ...USec in microseconds', () => {
    const p = annotationProperties({
      'org.systemd.property.RuntimeMaxSec': '2', 'org.systemd.property.TimeoutStopSec': 'uint64 123',
      'org.systemd.property.CollectMode': "'inactive-or-failed'", 'org.systemd.property.TimeoutStopUSec': 'uint64 5', other: 'x',
      'org.systemd.property.AccuracySec': '0.5',
    });
    expect(p.map(([n, v]) => [n, v.sig, v.value])).toEqual([
      ['RuntimeMaxUSec', 't', 2000000n], ['TimeoutStopUSec', 't', 123000000n], ['CollectMode', 's', 'inactive-or-failed'],
      ['TimeoutStopUSec', 't', 5n], ['AccuracyUSec', 't', 500000n],
    ]);
  });

  it.each([
    ['org.systemd.property.X', '1', /3 or more ASCII letters/], ['org.systemd.property.Foo1', '1', /ASCII letters/],
    ['org.systemd.property.TimeoutStopSec', "'x'", /takes a number of seconds/], ['org.systemd.property.Foo', 'nope', /not GVariant text/],
    ['org.systemd.property.PIDs', '[uint32 1]', /set by tsrun itself/], ['org.systemd.property.Slice', "'init.scope'", /set by tsrun itself/],
  ])('%s=%s is refused naming the annotation', (k, v, re) => {
    expect(() => annotationProperties({ [k]: v })).toThrow(re);
    expect(() => annotationProperties({ [k]: v })).toThrow(/^annotations\["org\.systemd\.property\./);
  });
});

describe('unit naming (runc ExpandSlice, getUnitName)', () => {
  it('expands slices', () => {
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('/');
    for (const bad of ['.slice', 'a', 'a/b.slice', '-a.slice', 'a-.slice', 'a--b.slice']) expect(() => expandSlice(bad)).toThrow(/invalid slice name/);
  });
  it('names the scope <prefix>-<name>.scope in the slice (system.slice when empty)', () => {
    expect(systemdUnit('', 'ctr')).toEqual({ slice: 'system.slice', unit: 'runc-ctr.scope', cgroup: '/system.slice/runc-ctr.scope', name: 'ctr' });
    expect(systemdUnit('kubepods-besteffort.slice:cri-containerd:abc', 'x').cgroup).toBe('/kubepods.slice/kubepods-besteffort.slice/cri-containerd-abc.scope');
    expect(systemdUnit(':libpod:abc', 'x').unit).toBe('libpod-abc.scope');
  });
});

describe('linux.resources → unit properties', () => {
  const warnings: string[] = [];
  const o = (version = 252): PropertyOptions => ({ version: () => version, warn: (m) => warnings.push(m), procDevices: () => 'Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  8 sd\n', pathExists: () => true });
  const show = (props: ReturnType<typeof resourceProperties>) => props.map(([n, v]) => `${n}=${v.sig}:${JSON.stringify(v.value, (_k, x) => (typeof x === 'bigint' ? `${x}` : x))}`);

  it('runc defaults give DevicePolicy=strict and the default allow list', () => {
    expect(show(deviceProperties(undefined, o()))).toEqual([
      'DevicePolicy=s:"strict"', 'DeviceAllow=a(ss):[]',
      'DeviceAllow=a(ss):[["block-*","m"],["char-*","m"],["/dev/char/1:3","rwm"],["/dev/char/1:5","rwm"],["/dev/char/1:7","rwm"],["/dev/char/1:8","rwm"],["/dev/char/1:9","rwm"],["/dev/char/5:0","rwm"],["/dev/char/5:2","rwm"],["/dev/char/10:200","rwm"],["char-pts","rwm"]]',
    ]);
  });

  it('device nodes the host does not have are left out, as runc 1.1 leaves them out', () => {
    const p = deviceProperties(undefined, { ...o(), pathExists: (x) => !x.endsWith('/char/10:200') })[2][1].value as string[][];
    expect(p).not.toContainEqual(['/dev/char/10:200', 'rwm']);
    expect(p).toContainEqual(['/dev/char/1:3', 'rwm']);
  });

  it('allow-all is DevicePolicy=auto; a deny-list and "*:n" rules warn (the device filter enforces them)', () => {
    expect(show(deviceProperties({ devices: [{ allow: true, access: 'rwm' }] }, o()))).toEqual(['DevicePolicy=s:"auto"', 'DeviceAllow=a(ss):[]']);
    warnings.length = 0;
    expect(show(deviceProperties({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 1, access: 'w' }] }, o())))
      .toEqual(['DevicePolicy=s:"strict"', 'DeviceAllow=a(ss):[]']);
    expect(warnings.join()).toMatch(/deny-list/);
    warnings.length = 0;
    const p = show(deviceProperties({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', minor: 3, access: 'r' }] }, o()));
    expect(p[2]).not.toMatch(/\*:3/);
    expect(warnings.join()).toMatch(/"\*:3"/);
  });

  it('memory, swap, cpu, pids, cpuset, io and unified (runc genV2ResourcesProperties, plus IOWeight)', () => {
    const props = resourceProperties({
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 }, cpu: { shares: 512, quota: 33333, period: 100000, cpus: '0-2,9', mems: '0' },
      pids: { limit: 64 }, blockIO: { weight: 300 }, unified: { 'memory.high': '50000000', 'pids.max': 'max', 'io.weight': 'default 50' },
    }, o()).filter(([n]) => !n.startsWith('Device'));
    expect(show(props)).toEqual([
      'MemoryMax=t:"67108864"', 'MemoryLow=t:"33554432"', 'MemorySwapMax=t:"33554432"', 'CPUWeight=t:"20"', 'CPUQuotaPeriodUSec=t:"100000"',
      'CPUQuotaPerSecUSec=t:"340000"', 'TasksMax=t:"64"', 'AllowedCPUs=ay:[7,2]', 'AllowedMemoryNodes=ay:[1]', 'IOWeight=t:"2930"',
      'MemoryHigh=t:"50000000"', 'TasksMax=t:"18446744073709551615"',
    ]);
  });

  it('-1 is infinity; quota -1 with a period is CPUQuotaPerSecUSec=infinity; old systemd gets no period or cpuset', () => {
    expect(show(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { quota: -1, period: 50000, cpus: '1' } }, o(239)).filter(([n]) => !n.startsWith('Device'))))
      .toEqual(['MemoryMax=t:"18446744073709551615"', 'MemorySwapMax=t:"18446744073709551615"', 'CPUQuotaPerSecUSec=t:"18446744073709551615"', 'TasksMax=t:"18446744073709551615"']);
  });

  it('cgroup v1 uses runc\'s legacy names', () => {
    expect(show(resourceProperties({ memory: { limit: 1000 }, cpu: { shares: 100 }, blockIO: { weight: 500 } }, { ...o(), v1: true }).filter(([n]) => !n.startsWith('Device'))))
      .toEqual(['MemoryLimit=t:"1000"', 'CPUShares=t:"100"', 'BlockIOWeight=t:"500"']);
  });

  it('rangeToBits', () => {
    expect(rangeToBits('0', 'f')).toEqual([1]);
    expect(rangeToBits('8-9', 'f')).toEqual([0, 3]);
    expect(() => rangeToBits('3-1', 'f')).toThrow(/invalid range/);
    expect(() => rangeToBits('x', 'f')).toThrow(/^f: /);
  });
});

describe('device groups (runc 1.1 findDeviceGroup)', () => {
  const text = 'Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  8 sd\n259 blkext\n';
  it('names a whole major after /proc/devices; systemd 240+ takes char-N when it lists none', () => {
    expect(deviceGroup('c', 136, text)).toBe('char-pts');
    expect(deviceGroup('b', 8, text)).toBe('block-sd');
    expect(deviceGroup('c', 8, text)).toBeUndefined();
    const warn: string[] = [];
    const rules = { devices: [{ allow: true, type: 'c' as const, major: 200, access: 'r' }] };
    const allow = (v: number) => deviceProperties(rules, { version: () => v, warn: (m) => warn.push(m), procDevices: () => text, pathExists: () => true })[2][1].value as string[][];
    expect(allow(252)).toContainEqual(['char-200', 'r']);
    expect(allow(239)).not.toContainEqual(['char-200', 'r']);
    expect(warn.join()).toMatch(/no device group for c 200/);
  });
});
