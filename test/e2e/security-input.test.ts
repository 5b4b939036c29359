// Attacks through the runtime's input (issue 11, an outside red team with runc 1.1.5 as the
// control): config.json and exec's --process file and flags. Each case is a hostile input that
// used to be accepted and changed what the container got (root, a capability, a mount target);
// it must now be refused with a message naming the field or flag, or be harmless, and leave
// nothing behind.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  Bundle, describeRoot, errMsg, RUNC, rt, runDetached, runIn, tsrun, uniqueId as uid, useLeakChecks, work,
} from '../helpers/harness';

const maybeRunc = RUNC ? test : test.skip;

/** Writes `text` as the bundle's config.json as is (JSON.stringify cannot write bigints). */
function writeConfigText(b: Bundle, text: string): void {
  fs.writeFileSync(path.join(b.dir, 'config.json'), text);
}

/** Runs fn with the id of a running `sleep 100` container, deleted afterwards whatever happens. */
function withRunning(fn: (id: string) => void): void {
  const id = uid();
  runDetached(new Bundle().args('sleep', '100'), id);
  try {
    fn(id);
  } finally {
    expect(tsrun(['delete', '--force', id]).code).toBe(0);
  }
}

/** The config as text with an extra rlimit whose hard limit has 20 digits: the int64-exact parser path. */
function withBigInteger(c: unknown): string {
  return JSON.stringify(c, null, 2).replace('"rlimits": [', '"rlimits": [\n{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0},');
}

describeRoot('security input: "__proto__" in config.json (issue 11 #10)', () => {
  useLeakChecks();

  // process.capabilities {"__proto__": {...}} set the prototype of the capabilities object on the
  // int64 path: the schema saw no capability, the plan inherited CAP_SYS_ADMIN.
  test.each([['the int64-exact parser', true], ['the JSON.parse path', false]])(
    'process.capabilities.__proto__ never grants a capability (%s)', (_, big) => {
      const b = new Bundle((c) => {
        c.process.capabilities = JSON.parse('{"__proto__": {"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]}}');
      }).args('grep', 'CapEff', '/proc/self/status');
      const text = big ? withBigInteger(b.config) : JSON.stringify(b.config);
      expect(text).toContain('"__proto__"');
      writeConfigText(b, text);
      const r = runIn('tsrun', b);
      expect([r.code, r.stdout]).toEqual([0, 'CapEff:\t0000000000000000\n']);
      if (RUNC) expect(runIn('runc', b).stdout).toBe(r.stdout);
    });
});

describeRoot('security input: 64-bit ranges on the exact value (issue 11 #14)', () => {
  useLeakChecks();

  // 2^63 and 2^63-1 are the same double: the range check on the double let 2^63 through.
  test('linux.resources.memory.limit 9223372036854775808 (2^63) is refused naming the field; 2^63-1 runs', () => {
    const b = new Bundle((c) => { c.linux.resources.memory = { limit: 'LIMIT' }; }).args('true');
    const text = JSON.stringify(b.config);
    writeConfigText(b, text.replace('"LIMIT"', '9223372036854775808'));
    const r = runIn('tsrun', b);
    expect([r.code, errMsg(r.stderr)]).toEqual([1, 'linux.resources.memory.limit: must be between -1 and 9223372036854775807 (bytes, or -1 for unlimited)']);
    if (RUNC) expect(runIn('runc', b).code).not.toBe(0); // Go: cannot unmarshal number 9223372036854775808 into int64
    writeConfigText(b, text.replace('"LIMIT"', '9223372036854775807'));
    expect(runIn('tsrun', b).code).toBe(0);
  });

  test('process.rlimits hard 18446744073709551616 (2^64) is refused', () => {
    const b = new Bundle().args('true');
    writeConfigText(b, JSON.stringify(b.config).replace('"rlimits":[', '"rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551616,"soft":0},'));
    const r = runIn('tsrun', b);
    expect([r.code, errMsg(r.stderr)]).toEqual([1, 'process.rlimits[0].hard: must be between 0 and 18446744073709551615 (uint64)']);
  });
});

describeRoot('security input: user ids that wrap to root (issue 11 #7)', () => {
  useLeakChecks();
  const ID = 'uids and gids must be in range 0-2147483647';

  // 4294967295 is (uid_t)-1, "unchanged" to setresuid: the process kept root; 4294967296 and
  // 99999999999999999999 wrapped modulo 2^32 to 0; 2147483648 was accepted. runc refuses all but
  // 4294967296 (its uint32() conversion wraps it to 0 too); tsrun refuses them all.
  test('exec --user and --additional-gids outside 0..2147483647 are refused; in range they apply', () => withRunning((id) => {
    for (const u of ['4294967295', '99999999999999999999', '4294967296', '2147483648', '0:4294967295', '1000:4294967296']) {
      const r = tsrun(['exec', '--user', u, id, 'id']);
      expect([u, r.code, r.stdout, errMsg(r.stderr)]).toEqual([u, 255, '', `exec failed: --user ${u}: ${ID}`]);
    }
    for (const g of ['4294967295', '4294967296', '2147483648', '99999999999999999999']) {
      const r = tsrun(['exec', '-g', g, id, 'id']);
      expect([g, r.code, r.stdout, errMsg(r.stderr)]).toEqual([g, 255, '', `exec failed: --additional-gids: ${ID}`]);
    }
    expect(tsrun(['exec', '--user', '2147483647:7', '-g', '2147483647', id, 'sh', '-c', 'id -u; id -g; id -G']).stdout)
      .toBe('2147483647\n7\n7 2147483647\n');
  }));

  test('process.user.uid 4294967295 in exec --process is refused', () => withRunning((id) => {
    const proc = path.join(work(), `${id}-process.json`);
    fs.writeFileSync(proc, JSON.stringify({ args: ['/bin/id', '-u'], cwd: '/', user: { uid: 4294967295, gid: 0 } }));
    const r = tsrun(['exec', '--process', proc, id]);
    expect([r.code, r.stdout, errMsg(r.stderr)]).toEqual([255, '', `exec failed: process.user.uid: ${ID}`]);
  }));

  test.each([
    ['uid', 4294967295], ['uid', 2147483648], ['gid', 4294967295],
  ])('config.json process.user.%s %d is refused, as runc does', (key, v) => {
    const b = new Bundle((c) => { c.process.user[key] = v; }).args('id');
    const r = runIn('tsrun', b);
    expect([r.code, r.stdout, errMsg(r.stderr)]).toEqual([1, '', `process.user.${key}: ${ID}`]);
    if (RUNC) {
      const rc = runIn('runc', b);
      expect([rc.code, rc.stdout]).toEqual([1, '']);
      expect(errMsg(rc.stderr)).toContain(ID);
    }
  });
});

describeRoot('security input: NUL bytes (issue 11 #12)', () => {
  useLeakChecks();

  // A C string ends at the first NUL: "A=1\0B=2" reached execve as A=1, a destination
  // "/mnt\0/../../etc" was looked up as /mnt, a sysctl key lost its tail.
  test.each([
    ['process.env[1]', (c: any) => { c.process.env = ['PATH=/bin', 'A=1\u0000B=2']; }],
    ['process.args[1]', (c: any) => { c.process.args = ['echo', 'ok\u0000x']; }],
    ['process.cwd', (c: any) => { c.process.cwd = '/tmp\u0000/..'; }],
    ['hostname', (c: any) => { c.hostname = 'a\u0000b'; }],
    ['mounts[0].destination', (c: any) => { c.mounts.unshift({ destination: '/mnt\u0000/../../etc', type: 'tmpfs', source: 'tmpfs' }); }],
    ['mounts[0].options[0]', (c: any) => { c.mounts.unshift({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m\u0000,exec'] }); }],
    ['root.path', (c: any) => { c.root.path += '\u0000/..'; }],
    ['linux.maskedPaths[0]', (c: any) => { c.linux.maskedPaths[0] = '/proc/kcore\u0000x'; }],
    ['hooks.createRuntime[0].path', (c: any) => { c.hooks = { createRuntime: [{ path: '/bin/true\u0000x' }] }; }],
  ])('%s with a NUL byte is refused naming it', (field, mutate) => {
    const b = new Bundle((c) => { c.process.args = ['sh', '-c', 'env; pwd; hostname; cat /proc/mounts']; mutate(c); });
    const r = runIn('tsrun', b);
    expect([r.code, r.stdout, errMsg(r.stderr)]).toEqual([1, '', `${field}: contains a NUL byte`]);
  });

  test('linux.sysctl: a key with a NUL byte is refused naming it', () => {
    const b = new Bundle((c) => { c.linux.sysctl = { 'kernel.shmmax\u0000/../../kernel/core_pattern': '1' }; }).args('true');
    const r = runIn('tsrun', b);
    expect([r.code, errMsg(r.stderr)]).toEqual([1, 'linux.sysctl["kernel.shmmax\\u0000/../../kernel/core_pattern"]: the key contains a NUL byte']);
  });

  test('exec --process with a NUL byte in env is refused naming it', () => withRunning((id) => {
    const proc = path.join(work(), `${id}-process.json`);
    fs.writeFileSync(proc, JSON.stringify({ args: ['/bin/env'], cwd: '/', env: ['PATH=/bin', 'A=1\u0000B=2'] }));
    const r = tsrun(['exec', '--process', proc, id]);
    expect([r.code, r.stdout, errMsg(r.stderr)]).toEqual([255, '', 'exec failed: process.env[1]: contains a NUL byte']);
  }));

  test('annotations may hold a NUL byte: they reach no syscall', () => {
    const b = new Bundle((c) => { c.annotations = { 'a\u0000': 'b\u0000c' }; }).args('true');
    expect(runIn('tsrun', b).code).toBe(0);
  });
});

describeRoot('security input: config.json and --process files that are not bounded regular files (issue 11 #15)', () => {
  useLeakChecks();
  const MiB = 1024 * 1024;

  /** Replaces the bundle's config.json with what `make` puts at its path. */
  function hostileConfig(make: (file: string) => void): Bundle {
    const b = new Bundle().args('true');
    const file = path.join(b.dir, 'config.json');
    fs.rmSync(file);
    make(file);
    return b;
  }
  /** A valid document padded with spaces to `bytes`. */
  const padded = (doc: unknown, bytes: number) => { const t = JSON.stringify(doc); return t + ' '.repeat(bytes - t.length); };
  const mkfifo = (file: string) => { expect(spawnSync('mkfifo', [file]).status).toBe(0); };
  const quick = { timeout: 15_000 };

  // /dev/zero was read until memory ran out; a fifo blocked create forever; a directory gave EISDIR.
  test.each([
    ['a symlink to /dev/zero', (f: string) => fs.symlinkSync('/dev/zero', f), 'config.json: not a regular file'],
    ['a fifo', mkfifo, 'config.json: not a regular file'],
    ['a directory', (f: string) => fs.mkdirSync(f), 'config.json: not a regular file'],
    ['a 17 MiB file', (f: string) => fs.writeFileSync(f, padded(new Bundle().config, 17 * MiB)),
      `config.json: larger than 16 MiB (${17 * MiB} bytes), the most tsrun reads`],
  ])('config.json as %s is refused at once', (_, make, message) => {
    const b = hostileConfig(make);
    const r = rt('tsrun', ['run', '--bundle', b.dir, uid()], quick);
    expect([r.code, r.signal, errMsg(r.stderr)]).toEqual([1, null, message]);
  });

  test('config.json as a symlink to a regular file is followed, as runc does; 16 MiB is read', () => {
    const b = hostileConfig((f) => {
      fs.writeFileSync(`${f}.real`, padded(new Bundle().args('echo', 'ok').config, 16 * MiB));
      fs.symlinkSync('config.json.real', f);
    });
    const r = rt('tsrun', ['run', '--bundle', b.dir, uid()], quick);
    expect([r.code, r.stdout]).toEqual([0, 'ok\n']);
  });

  test('exec --process /dev/zero, a fifo, a directory or a 17 MiB file is refused at once', () => withRunning((id) => {
    const fifo = path.join(work(), `${id}.fifo`);
    mkfifo(fifo);
    const big = path.join(work(), `${id}-big.json`);
    fs.writeFileSync(big, padded({ args: ['true'], cwd: '/' }, 17 * MiB));
    for (const [file, problem] of [
      ['/dev/zero', 'not a regular file'], [fifo, 'not a regular file'], [work(), 'not a regular file'],
      [big, `larger than 16 MiB (${17 * MiB} bytes), the most tsrun reads`],
    ]) {
      const r = rt('tsrun', ['exec', '--process', file, id], quick);
      expect([file, r.code, r.signal, errMsg(r.stderr)]).toEqual([file, 255, null, `exec failed: --process ${file}: ${problem}`]);
    }
  }));
});
