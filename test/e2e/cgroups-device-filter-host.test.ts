// cgroup v2 device filter on this host: make <cgroup2>/tsrun-devfilter-<pid>, attach programs
// from deviceFilterProgram() with the addon's attachDeviceFilter, run `sh` probes that first
// move themselves into that cgroup, and check which device opens the kernel lets through
// (a denied open fails with EPERM). Needs root and a cgroup2 mount (found in
// /proc/self/mountinfo; on a hybrid host that is /sys/fs/cgroup/unified); skipped otherwise,
// with the reason in the suite name. The cgroup is removed in afterAll, also on failure.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { deviceFilterProgram, encodeInsns, OP } from '../../src/cgroups/controllers/v2/device-filter';
import { deviceRules as v2DeviceRules, type DeviceRule as V2DeviceRule } from '../../src/cgroups/controllers/device-rules';
import { addon } from '../../src/native/addon';

function cgroup2Mount(): string | null {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.split(' ')[0] === 'cgroup2') return pre.split(' ')[4].replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  }
  return null;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const cg2 = cgroup2Mount();
const skipReason = !isRoot ? 'needs root (uid 0) to create cgroups and load BPF programs' : !cg2 ? 'no cgroup2 mount in /proc/self/mountinfo' : '';
const suite = skipReason ? describe.skip : describe;
const title = skipReason ? `cgroup v2 device filter on this host [SKIPPED: ${skipReason}]` : `cgroup v2 device filter on this host (${cg2})`;
if (skipReason) process.stderr.write(`test/e2e/cgroups-device-filter-host.test.ts: SKIPPED, ${skipReason}\n`);

const dir = cg2 ? path.join(cg2, `tsrun-devfilter-${process.pid}`) : '';
let tmp = '';

const allow = (type: 'b' | 'c', major: number, minor: number, access = 'rwm'): V2DeviceRule => ({ allow: true, type, major, minor, access });
const DENY_ALL: V2DeviceRule = { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' };

/** Runs `script` in sh after the shell moved itself into the test cgroup. */
function inCgroup(script: string): { out: string; err: string; status: number | null } {
  const r = spawnSync('sh', ['-c', `echo $$ > "${dir}/cgroup.procs" || exit 99\n${script}`], { encoding: 'utf8', timeout: 20000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

/** Opens each device for reading (and `write` ones for writing): "<dev> <r|w>" -> "ok" | "denied: <sh's message>". */
function probe(devs: string[], write: string[] = []): Record<string, string> {
  const script = `probe() { if m=$( (eval ": <$1") 2>&1 ); then echo "$1 r ok"; else echo "$1 r denied: $m"; fi; }
probew() { if m=$( (eval ": >$1") 2>&1 ); then echo "$1 w ok"; else echo "$1 w denied: $m"; fi; }
grep '^0::' /proc/self/cgroup
${devs.map((d) => `probe ${d}`).join('\n')}
${write.map((d) => `probew ${d}`).join('\n')}`;
  const r = inCgroup(script);
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.err}`);
  const lines = r.out.trim().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^0::(.*/)?${path.basename(dir)}$`)); // the probe really ran in the cgroup
  const res: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const m = /^(\S+) ([rw]) (.*)$/.exec(l)!;
    res[`${m[1]} ${m[2]}`] = m[3];
  }
  return res;
}

suite(title, () => {
  beforeAll(() => {
    fs.mkdirSync(dir);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-devfilter-'));
  });

  afterAll(() => {
    // Move anything left in the cgroup back to the root, then remove it (that also releases
    // the attached programs).
    if (dir && fs.existsSync(dir)) {
      try {
        for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try { fs.writeFileSync(path.join(cg2!, 'cgroup.procs'), pid); } catch { /* exited */ }
        }
      } catch { /* gone */ }
      for (let i = 0; i < 50; i++) {
        try { fs.rmdirSync(dir); break; } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        }
      }
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('only c 1:3: /dev/null works, /dev/zero and /dev/full are EPERM, outside the cgroup nothing changes', () => {
    addon().attachDeviceFilter(dir, deviceFilterProgram([DENY_ALL, allow('c', 1, 3)]));
    const r = probe(['/dev/null', '/dev/zero', '/dev/full'], ['/dev/null', '/dev/full']);
    expect(r).toEqual({
      '/dev/null r': 'ok',
      '/dev/zero r': expect.stringMatching(/denied: .*Operation not permitted/),
      '/dev/full r': expect.stringMatching(/denied: .*Operation not permitted/),
      '/dev/null w': 'ok',
      '/dev/full w': expect.stringMatching(/denied: .*Operation not permitted/),
    });
    // The brief's probe, verbatim in spirit: head on /dev/null succeeds, on /dev/zero fails.
    const h = inCgroup('head -c 1 /dev/null && echo null-ok; head -c 1 /dev/zero >/dev/null 2>&1 || echo zero-denied');
    expect(h.out).toBe('null-ok\nzero-denied\n');
    // This process (not in the cgroup) still reads /dev/zero.
    const fd = fs.openSync('/dev/zero', 'r');
    try { expect(fs.readSync(fd, Buffer.alloc(1))).toBe(1); } finally { fs.closeSync(fd); }
  });

  test('attaching again replaces the old program (else both would run and /dev/zero stay denied)', () => {
    addon().attachDeviceFilter(dir, deviceFilterProgram([DENY_ALL, allow('c', 1, 3), allow('c', 1, 5, 'r')]));
    expect(probe(['/dev/zero', '/dev/full'], ['/dev/zero'])).toEqual({
      '/dev/zero r': 'ok',
      '/dev/full r': expect.stringMatching(/denied: .*Operation not permitted/),
      '/dev/zero w': expect.stringMatching(/denied: .*Operation not permitted/),
    });
  });

  test("runc's default rules (v2DeviceRules): the standard nodes work, /dev/kmsg does not, mknod is allowed", () => {
    addon().attachDeviceFilter(dir, deviceFilterProgram(v2DeviceRules({ devices: [{ allow: false, access: 'rwm' }] })));
    const r = probe(['/dev/null', '/dev/zero', '/dev/full', '/dev/urandom', '/dev/random', '/dev/kmsg'], ['/dev/null', '/dev/kmsg']);
    expect(r).toEqual({
      '/dev/null r': 'ok', '/dev/zero r': 'ok', '/dev/full r': 'ok', '/dev/urandom r': 'ok', '/dev/random r': 'ok',
      '/dev/kmsg r': expect.stringMatching(/denied: .*Operation not permitted/),
      '/dev/null w': 'ok',
      '/dev/kmsg w': expect.stringMatching(/denied: .*Operation not permitted/),
    });
    // "c *:* m" / "b *:* m": creating nodes is allowed, opening the new kmsg node is not.
    const node = path.join(tmp, 'kmsg');
    const m = inCgroup(`mknod ${node} c 1 11 && mknod ${node}-blk b 7 0 && echo made; if (eval ": <${node}") 2>/dev/null; then echo opened; else echo open-denied; fi`);
    expect(m.out).toBe('made\nopen-denied\n');
    expect(fs.statSync(node).isCharacterDevice()).toBe(true);
  });

  test('allow-all program lifts the restrictions', () => {
    addon().attachDeviceFilter(dir, deviceFilterProgram([{ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }]));
    expect(probe(['/dev/kmsg', '/dev/zero'])).toEqual({ '/dev/kmsg r': 'ok', '/dev/zero r': 'ok' });
  });

  test('errors carry errno and the verifier log', () => {
    let err: NodeJS.ErrnoException & { verifierLog?: string } = new Error('none');
    try { addon().attachDeviceFilter(path.join(dir, 'missing'), deviceFilterProgram([])); } catch (e) { err = e as typeof err; }
    expect(err.errno).toBe(os.constants.errno.ENOENT);
    expect(err.message).toMatch(/^open .*missing: No such file or directory/);

    // Returns 2: outside the [0, 1] range the verifier demands of device programs.
    const bad = encodeInsns([{ code: OP.MOV32_IMM, dst: 0, src: 0, off: 0, imm: 2 }, { code: OP.EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
    err = new Error('none');
    try { addon().attachDeviceFilter(dir, bad); } catch (e) { err = e as typeof err; }
    expect(err.errno).toBe(os.constants.errno.EINVAL);
    expect(err.message).toMatch(/BPF_PROG_LOAD.*Invalid argument\nverifier log:\n/);
    expect(err.verifierLog).toMatch(/R0 has .*should have been in/);
    process.stderr.write(`verifier rejection, as reported:\n${err.message}\n`);

    expect(() => addon().attachDeviceFilter(dir, Buffer.alloc(12))).toThrow(/8-byte bpf_insn/);
    // The failed load left the previous (allow-all) program in place.
    expect(probe(['/dev/kmsg'])).toEqual({ '/dev/kmsg r': 'ok' });
  });
});
