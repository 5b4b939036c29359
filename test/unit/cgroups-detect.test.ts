import { layoutFrom, parseMountinfo, parseProcCgroup, unescapeMountinfo } from '../../src/cgroups/detect';
import { detectCgroups } from '../../src/cgroups';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// Captured from a Debian 12 hybrid host (one v1 controller per mount, name=systemd, unified).
const HYBRID_MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/2afec271
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`;

// A typical systemd v1 host: co-mounted controllers, mount options mixed in.
const V1_MOUNTINFO = `25 1 8:1 / / rw - ext4 /dev/sda1 rw
30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd
34 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
35 30 0:31 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
36 30 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,memory
37 30 0:33 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset,clone_children
38 30 0:34 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,devices
`;

const V2_MOUNTINFO = `25 1 8:1 / / rw - ext4 /dev/sda1 rw
30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe('parseProcCgroup', () => {
  it('maps each controller, names, and the v2 line under ""', () => {
    const m = parseProcCgroup('4:cpu,cpuacct:/a\n1:name=systemd:/user.slice\n0::/init.scope\n');
    expect(m.get('cpu')).toBe('/a');
    expect(m.get('cpuacct')).toBe('/a');
    expect(m.get('name=systemd')).toBe('/user.slice');
    expect(m.get('')).toBe('/init.scope');
  });
  it('keeps colons inside the path', () => {
    expect(parseProcCgroup('0::/a:b\n').get('')).toBe('/a:b');
  });
  it('rejects malformed lines', () => {
    expect(() => parseProcCgroup('garbage\n')).toThrow(/invalid \/proc\/self\/cgroup line/);
  });
});

describe('parseMountinfo', () => {
  it('finds separate v1 mounts, name=systemd and the unified mount (hybrid)', () => {
    const l = layoutFrom(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    expect(l.mode).toBe('hybrid');
    expect(l.unified).toBe('/sys/fs/cgroup/unified');
    expect(l.v1.get('cpu')).toBe('/sys/fs/cgroup/cpu');
    expect(l.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpuacct');
    expect(l.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd');
    expect([...l.v1.keys()].sort()).toEqual(['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'name=systemd', 'pids']);
    expect(l.own.get('memory')).toBe('/process_api/2afec271');
  });

  it('splits co-mounted controllers and ignores mount options (v1)', () => {
    const l = layoutFrom(V1_MOUNTINFO, '');
    expect(l.mode).toBe('v1');
    expect(l.unified).toBeUndefined();
    expect(l.v1.get('cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(l.v1.get('net_prio')).toBe('/sys/fs/cgroup/net_cls,net_prio');
    expect(l.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd');
    expect(l.v1.has('xattr')).toBe(false);
    expect(l.v1.has('clone_children')).toBe(false);
    expect(l.v1.has('rw')).toBe(false);
  });

  it('detects pure v2', () => {
    const l = layoutFrom(V2_MOUNTINFO, '0::/user.slice/user-0.slice/session-1.scope\n');
    expect(l.mode).toBe('v2');
    expect(l.unified).toBe('/sys/fs/cgroup');
    expect(l.v1.size).toBe(0);
  });

  it('treats v2 plus only a named v1 hierarchy as v2', () => {
    const text = V2_MOUNTINFO + '40 30 0:40 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n';
    const l = layoutFrom(text, '');
    expect(l.mode).toBe('v2');
    expect(l.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd');
  });

  it('decodes octal escapes and keeps the mount root', () => {
    expect(unescapeMountinfo('/a\\040b')).toBe('/a b');
    const ms = parseMountinfo('50 1 0:5 /docker/abc /my\\040cg/memory rw - cgroup cgroup rw,memory\n');
    expect(ms).toEqual([{ mountPoint: '/my cg/memory', root: '/docker/abc', fsType: 'cgroup', controllers: ['memory'] }]);
  });

  it('hides mounts that were over-mounted, and what was mounted on them', () => {
    const text = V2_MOUNTINFO + '60 30 0:60 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n61 60 0:61 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n62 60 0:62 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n';
    const l = layoutFrom(text, '');
    expect(l.mode).toBe('v1');
    expect(l.unified).toBeUndefined();
    expect(l.v1.get('memory')).toBe('/sys/fs/cgroup/memory');
  });

  it('recognises controllers listed in /proc/self/cgroup that it does not know', () => {
    const l = layoutFrom('50 1 0:5 / /cg/newctl rw - cgroup cgroup rw,newctl\n', '3:newctl:/\n');
    expect(l.v1.get('newctl')).toBe('/cg/newctl');
  });

  it('fails clearly without any cgroup mount', () => {
    expect(() => layoutFrom('25 1 8:1 / / rw - ext4 /dev/sda1 rw\n', '')).toThrow(/no cgroup filesystem is mounted/);
  });
});

describe('detectCgroups', () => {
  it('reads the files it is pointed at', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-detect-'));
    try {
      fs.writeFileSync(path.join(dir, 'mountinfo'), HYBRID_MOUNTINFO);
      fs.writeFileSync(path.join(dir, 'cgroup'), HYBRID_CGROUP);
      const l = detectCgroups(path.join(dir, 'mountinfo'), path.join(dir, 'cgroup'));
      expect(l.mode).toBe('hybrid');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works on this machine', () => {
    const l = detectCgroups();
    expect(['v1', 'v2', 'hybrid']).toContain(l.mode);
    if (l.mode !== 'v1') expect(l.unified).toBeTruthy();
  });

  it('reports unreadable files', () => {
    expect(() => detectCgroups('/nonexistent/mountinfo')).toThrow(/cannot read \/nonexistent\/mountinfo/);
  });
});
