// bin/tsrun's shebang: NODE_EXTRA_CA_CERTS never reaches node (node parses the CA bundle at every
// start, ~30 ms idle; tsrun speaks no TLS). A path that does not exist makes node warn on
// stderr when it does read the variable, so a clean stderr proves the variable was dropped.
import { spawnSync } from 'child_process';
import fs = require('fs');
import os = require('os');
import path = require('path');
import { Bundle, cleanupWork, describeRoot, ROOT_DIR, sleepMs, TSRUN, tsrun, uniqueId } from '../helpers/harness';

test('NODE_EXTRA_CA_CERTS in the caller\'s environment is not read by tsrun', () => {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' };
  const r = spawnSync(TSRUN, ['--root', '/nonexistent-root-for-list', 'list'], { env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // the control: node itself does read it (so the assertion above can fail)
  const n = spawnSync(process.execPath, ['-e', '0'], { env, encoding: 'utf8' });
  expect(n.stderr).toMatch(/Ignoring extra certs/);
});

// The V8 code caches beside the bundle (scripts/bundle.mjs). A rejected cache is silent: every
// call would compile the whole bundle from source (~20 ms more per call).
test('both code caches the build wrote are accepted for dist/tsrun.js; a cache for another source is not', () => {
  const probe = `const fs = require('fs'), vm = require('vm'); const [file, cache, extra] = process.argv.slice(1);
    const s = new vm.Script(fs.readFileSync(file, 'latin1') + extra, { filename: file, cachedData: fs.readFileSync(cache) });
    process.stdout.write(String(s.cachedDataRejected));`;
  const js = path.join(ROOT_DIR, 'dist/tsrun.js');
  for (const cache of ['dist/tsrun.cache', 'dist/tsrun-light.cache']) {
    const ok = spawnSync(process.execPath, ['-e', probe, js, path.join(ROOT_DIR, cache), ''], { encoding: 'utf8' });
    expect(`${cache}: ${ok.stdout}${ok.stderr}`).toBe(`${cache}: false`);
    // the control: one byte more of source and V8 refuses the cache
    const other = spawnSync(process.execPath, ['-e', probe, js, path.join(ROOT_DIR, cache), ' '], { encoding: 'utf8' });
    expect(`${cache}: ${other.stdout}${other.stderr}`).toBe(`${cache}: true`);
  }
});

// `__warmup light` is what fills tsrun-light.cache: the shim's light calls on a container of its
// own (a shell child waiting on exec.fifo; in cgroups as root, in none otherwise). It runs at
// every build, as whoever builds: it must succeed and leave nothing, for root and for a user.
describe('__warmup light', () => {
  const warmupAs = (user: string[]) => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-warmup-test-'));
    fs.chmodSync(tmp, 0o777);
    try {
      const env = { ...process.env, TMPDIR: tmp, TSRUN_CODE_CACHE_OUT: path.join(tmp, 'out.cache') };
      const r = spawnSync(user[0] ?? TSRUN, [...user.slice(1), ...(user.length ? [process.execPath, TSRUN] : []), '__warmup', 'light'], { env, encoding: 'utf8', timeout: 30_000 });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      // it went through the lifecycle, each call through the CLI's dispatch
      const statuses = [...r.stdout.matchAll(/"status": "(\w+)"/g)].map((m) => m[1]);
      expect(statuses).toEqual(['created', 'running', 'stopped']);
      expect(r.stdout).toMatch(/\}\[\d+\]\n/); // ps --format json after a state (which prints no newline): the shell's pid
      expect(fs.readdirSync(tmp)).toEqual(['out.cache']);
      const left = spawnSync('pgrep', ['-f', tmp], { encoding: 'utf8' });
      expect(left.stdout).toBe('');
      const cg = spawnSync('sh', ['-c', 'ls -d /sys/fs/cgroup/tsrun-warmup-* /sys/fs/cgroup/*/tsrun-warmup-* 2>/dev/null'], { encoding: 'utf8' });
      expect(cg.stdout).toBe('');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
  (process.getuid?.() === 0 ? test : test.skip)('as root: in cgroups of its own, removed after', () => warmupAs([]));
  (process.getuid?.() === 0 ? test : test.skip)('as a user (nobody): in no cgroup', () => warmupAs(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']));
});

// Every call pays for what it loads: the shim's verbs load none of Node's modules they do not use
// (child_process pulls in net, streams and more: create loaded it for newuidmap, which only a
// rootless create with ranges runs) and not node-gyp-build (an installed tsrun required it at
// every call to find its prebuild), and the addon not through require(). A --require probe
// records, at exit, what each call loaded.
describeRoot('what the shim\'s calls load', () => {
  afterAll(() => cleanupWork());
  test('create, state, start, ps --format json, kill --all, delete, delete --force: no child_process, no node-gyp-build', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-load-probe-'));
    try {
      const log = path.join(dir, 'loaded.jsonl');
      const probe = path.join(dir, 'probe.js');
      fs.writeFileSync(probe, `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({
        verb: process.argv.slice(2).find((a) => !a.startsWith('-') && !a.startsWith('/')),
        cp: process.moduleLoadList.includes('NativeModule child_process'),
        ngb: Object.keys(require.cache).some((k) => k.includes('node-gyp-build')),
        viaRequire: Object.keys(require.cache).some((k) => k.endsWith('.node')),
      }) + '\\n'));\n`);
      const env = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
      const b = new Bundle().args('sleep', '100');
      const id = uniqueId();
      const calls = [['create', '--bundle', b.dir, id], ['state', id], ['start', id], ['ps', '--format', 'json', id], ['kill', '--all', id, 'KILL']];
      for (const args of calls) expect(tsrun(args, { env, cwd: b.dir })).toMatchObject({ code: 0, stderr: '' });
      for (let i = 0; i < 100 && JSON.parse(tsrun(['state', id]).stdout).status !== 'stopped'; i++) sleepMs(20);
      for (const args of [['delete', id], ['delete', '--force', id]]) expect(tsrun(args, { env })).toMatchObject({ code: 0, stderr: '' });
      const loaded = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(loaded.map((l) => l.verb)).toEqual(['create', 'state', 'start', 'ps', 'kill', 'delete', 'delete']);
      expect(loaded.filter((l) => l.cp || l.ngb)).toEqual([]);
      // the addon by process.dlopen: require()'s path to a .node file cost each call ~0.8 ms more
      expect(loaded.filter((l) => l.viaRequire)).toEqual([]);
      // the control: a call that does use child_process (ps's table runs the host's ps) is seen
      fs.writeFileSync(log, '');
      const b2 = new Bundle().args('sleep', '100');
      const id2 = uniqueId();
      tsrun(['run', '-d', '--bundle', b2.dir, id2], { cwd: b2.dir });
      tsrun(['ps', id2], { env });
      tsrun(['delete', '--force', id2]);
      expect(JSON.parse(fs.readFileSync(log, 'utf8').trim())).toMatchObject({ verb: 'ps', cp: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
