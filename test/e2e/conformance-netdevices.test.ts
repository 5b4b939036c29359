// Conformance (issue 12): linux.netDevices as runc 1.2+ moves them (runc 1.1.5 has no
// netDevices): addresses go with the device, a namespace joined by path keeps what was moved
// into it, and the device is looked up in tsrun's own network namespace, not in a sysfs.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import { Bundle, describeRoot, readPid, rt, sleepMs, stateRoot, TSRUN, uniqueId, useLeakChecks } from '../helpers/harness';

const tag = process.pid % 100000;

/** `ip -j addr show dev` in tsrun's namespace or that of a pid: the global addresses and whether it is up. */
function linkInfo(name: string, netnsOf?: number): { up: boolean; addrs: string[] } | null {
  const argv = netnsOf === undefined ? ['ip', '-j', 'addr', 'show', 'dev', name] : ['nsenter', `--net=/proc/${netnsOf}/ns/net`, '--', 'ip', '-j', 'addr', 'show', 'dev', name];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [l] = JSON.parse(r.stdout);
  return {
    up: (l.flags as string[]).includes('UP'),
    addrs: (l.addr_info as { local: string; prefixlen: number; scope: string }[]).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort(),
  };
}

describeRoot('conformance: linux.netDevices', () => {
  useLeakChecks();
  const a = `tsn${tag}a`;
  const b = `tsn${tag}b`;
  const v4 = `10.${(tag >> 8) & 255}.${tag & 255}.1/24`;
  const v6 = `fd00:${tag.toString(16)}::1/64`;
  beforeEach(() => {
    spawnSync('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    spawnSync('ip', ['addr', 'add', v4, 'dev', a]);
    spawnSync('ip', ['addr', 'add', v6, 'dev', a, 'nodad']);
    spawnSync('ip', ['link', 'set', a, 'up']);
  });
  afterEach(() => { spawnSync('ip', ['link', 'del', a]); spawnSync('ip', ['link', 'del', b]); });

  test('the device\'s addresses move with it, it is up inside, and they come back with it on delete', () => {
    expect(linkInfo(a)?.addrs).toEqual([v4, v6].sort());
    const bundle = new Bundle((c) => { c.linux.netDevices = { [a]: { name: 'eth7' } }; }).args('sleep', '100');
    const id = uniqueId();
    const pidFile = `${bundle.dir}/pid`;
    expect(rt('tsrun', ['run', '-d', '--pid-file', pidFile, '--bundle', bundle.dir, id]).stderr).toBe('');
    const pid = readPid(pidFile);
    expect(linkInfo(a)).toBeNull();
    expect(linkInfo('eth7', pid)).toEqual({ up: true, addrs: [v4, v6].sort() });
    expect(rt('tsrun', ['delete', '--force', id]).code).toBe(0);
    expect(linkInfo(a)?.addrs).toEqual([v4, v6].sort());
  });

  test('a device moved into a network namespace joined by path stays there on delete', () => {
    // a namespace someone else made and holds (here: a process of the test)
    const holder: ChildProcess = spawn('unshare', ['--net', 'sleep', '100'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && fs.readlinkSync(`/proc/${holder.pid}/ns/net`) === fs.readlinkSync('/proc/self/ns/net'); i++) sleepMs(10);
      const bundle = new Bundle((c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
        c.linux.namespaces.push({ type: 'network', path: `/proc/${holder.pid}/ns/net` });
        c.linux.netDevices = { [a]: { name: 'eth8' } };
      }).args('sleep', '100');
      const id = uniqueId();
      expect(rt('tsrun', ['run', '-d', '--bundle', bundle.dir, id]).stderr).toBe('');
      expect(linkInfo('eth8', holder.pid)?.addrs).toEqual([v4, v6].sort());
      const r = rt('tsrun', ['delete', '--force', id]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(linkInfo(a)).toBeNull(); // not taken back from the namespace's owner
      expect(linkInfo('eth8', holder.pid)?.addrs).toEqual([v4, v6].sort());
    } finally {
      holder.kill('SIGKILL'); // the namespace goes, and the veth pair with it
      spawnSync('sleep', ['0.1']);
    }
  });

  test('the device is looked up in tsrun\'s own network namespace, not in /sys/class/net of another', () => {
    // tsrun in a network namespace of its own, with the host's /sys still mounted: the device
    // exists only in tsrun's namespace
    const c = `tsn${tag}c`;
    const bundle = new Bundle((cfg) => { cfg.linux.netDevices = { [c]: { name: 'eth9' } }; }).args('cat', '/sys/class/net/eth9/operstate');
    const script = `ip link add ${c} type veth peer name ${c}p && exec "$0" --root "$1" run --bundle "$2" "$3"`;
    const r = spawnSync('unshare', ['--net', 'sh', '-c', script, TSRUN, stateRoot('tsrun'), bundle.dir, uniqueId()], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^(up|lowerlayerdown)\n$/);
  });
});
