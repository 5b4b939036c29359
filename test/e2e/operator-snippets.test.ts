// docs/operators.md's snippets, taken from the file itself: containerd and podman run containers
// with them for real (skipped, saying why, where the engine is not installed); CRI-O, Docker and
// the RuntimeClass are parsed and their settings checked.
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeRoot, ROOT_DIR, sharedRootfs, sleepMs, TSRUN, uniqueId, useLeakChecks, which, work } from '../helpers/harness';
import { SYSTEMD } from '../helpers/host-kind';

const DOC = fs.readFileSync(path.join(ROOT_DIR, 'docs/operators.md'), 'utf8');
const INSTALLED = '/usr/local/bin/tsrun';

/** The fenced block after `<!-- snippet:NAME -->`, with the documented install path replaced by this checkout's. */
function snippet(name: string, tsrunPath = TSRUN): string {
  const m = new RegExp(`<!-- snippet:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`).exec(DOC);
  if (!m) throw new Error(`docs/operators.md has no snippet ${name}`);
  return m[1].split(INSTALLED).join(tsrunPath);
}

/** TOML or YAML through python3 (tomllib: Python 3.11+; PyYAML), as JSON. */
function pyParse(kind: 'toml' | 'yaml', text: string): any {
  const code = kind === 'toml'
    ? 'import sys, json, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'
    : 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))';
  const r = spawnSync('python3', ['-c', code], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${kind} does not parse: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const canParse = (kind: 'toml' | 'yaml') => spawnSync('python3', ['-c', kind === 'toml' ? 'import tomllib' : 'import yaml']).status === 0;

describe('snippets parse, and say what the text says', () => {
  (canParse('toml') ? test : test.skip)('containerd: the runc v2 shim with BinaryName, cgroupfs (skipped without python3 tomllib)', () => {
    const c = pyParse('toml', snippet('containerd-cri', INSTALLED));
    const cri = c.plugins['io.containerd.grpc.v1.cri'].containerd;
    expect(cri.runtimes.tsrun).toEqual({ runtime_type: 'io.containerd.runc.v2', options: { BinaryName: INSTALLED, SystemdCgroup: false } });
    // the CRI plugin does not load when the default runtime is not declared
    expect(Object.keys(cri.runtimes)).toContain(cri.default_runtime_name);
    expect(c.version).toBe(2);
  });

  (canParse('toml') ? test : test.skip)('CRI-O: [crio.runtime.runtimes.tsrun], cgroupfs (skipped without python3 tomllib)', () => {
    const c = pyParse('toml', snippet('crio', INSTALLED));
    expect(c.crio.runtime).toMatchObject({ default_runtime: 'tsrun', cgroup_manager: 'cgroupfs', conmon_cgroup: 'pod' });
    expect(c.crio.runtime.runtimes.tsrun).toEqual({ runtime_path: INSTALLED, runtime_type: 'oci', runtime_root: '/run/tsrun' });
  });

  (canParse('toml') ? test : test.skip)('podman: [engine.runtimes] and runtime_supports_json (skipped without python3 tomllib)', () => {
    const c = pyParse('toml', snippet('podman', INSTALLED));
    expect(c.engine).toMatchObject({ runtime: 'tsrun', cgroup_manager: 'cgroupfs', runtimes: { tsrun: [INSTALLED] } });
    expect(c.engine.runtime_supports_json).toContain('tsrun');
  });

  test('Docker: daemon.json runtimes', () => {
    const c = JSON.parse(snippet('docker', INSTALLED));
    expect(c).toEqual({ runtimes: { tsrun: { path: INSTALLED } }, 'exec-opts': ['native.cgroupdriver=cgroupfs'] });
  });

  (canParse('yaml') ? test : test.skip)('RuntimeClass: its handler is the runtime name containerd and CRI-O are given (skipped without PyYAML)', () => {
    const rc = pyParse('yaml', snippet('runtimeclass'));
    expect(rc).toEqual({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'tsrun' }, handler: 'tsrun' });
    expect(snippet('containerd-cri')).toContain(`containerd.runtimes.${rc.handler}]`);
    expect(snippet('crio')).toContain(`[crio.runtime.runtimes.${rc.handler}]`);
  });
});

/** Start `cmd`, wait until `ready()`; the caller stops it by pid. */
function startDaemon(cmd: string, args: string[], log: string, ready: () => boolean): ChildProcess {
  const out = fs.openSync(log, 'w');
  const p = spawn(cmd, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  for (let i = 0; i < 100 && !ready(); i++) sleepMs(100);
  if (!ready()) {
    p.kill('SIGKILL');
    throw new Error(`${cmd} did not come up: ${fs.readFileSync(log, 'utf8').slice(-2000)}`);
  }
  return p;
}

const haveContainerd = !!which('containerd') && !!which('ctr') && !!which('containerd-shim-runc-v2');
describeRoot('containerd with the documented config (skipped without containerd, ctr and containerd-shim-runc-v2)', () => {
  useLeakChecks();
  let dir: string;
  let daemon: ChildProcess | undefined;
  let ctr: (args: string[]) => SpawnSyncReturns<string>;

  beforeAll(() => {
    if (!haveContainerd) return;
    dir = fs.mkdtempSync(path.join(work(), 'containerd-'));
    // this test's own daemon (own root, state and sockets; CNI dirs too), then the snippet as written
    const prelude = `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/c.sock"
[ttrpc]
  address = "${dir}/c.sock.ttrpc"
[debug]
  address = "${dir}/debug.sock"
  level = "debug"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri".cni]
  conf_dir = "${dir}/cni/net.d"
  bin_dir = "${dir}/cni/bin"
`;
    fs.writeFileSync(path.join(dir, 'config.toml'), prelude + snippet('containerd-cri').replace(/^version = 2\n/, ''));
    daemon = startDaemon('containerd', ['--config', path.join(dir, 'config.toml')], path.join(dir, 'containerd.log'),
      () => spawnSync('ctr', ['-a', `${dir}/c.sock`, 'version']).status === 0);
    ctr = (args) => spawnSync('ctr', ['-a', `${dir}/c.sock`, '-n', 'tsrun-test', ...args], { encoding: 'utf8', timeout: 60_000 });
  }, 30_000);

  afterAll(() => {
    if (!daemon) return;
    daemon.kill('SIGTERM');
    for (let i = 0; i < 50 && daemon.exitCode === null && daemon.signalCode === null; i++) sleepMs(100);
    // shims this daemon started (their command line names its socket), by pid
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/c.sock`)) process.kill(Number(pid), 'SIGKILL');
      } catch { /* gone */ }
    }
    for (const d of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd']) { try { fs.rmdirSync(d); } catch { /* in use or absent */ } }
  });

  (haveContainerd ? test : test.skip)('the CRI plugin loads it, and a container runs through io.containerd.runc.v2 with BinaryName = tsrun', () => {
    expect(ctr(['plugins', 'ls']).stdout).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/);
    const dump = spawnSync('containerd', ['--config', path.join(dir, 'config.toml'), 'config', 'dump'], { encoding: 'utf8' }).stdout;
    expect(dump).toContain(`BinaryName = "${TSRUN}"`);
    // the ctr snippet, with this checkout's tsrun, the test rootfs and a unique id
    const cmd = snippet('ctr').replace(/\\\n\s*/g, '').trim().split(/\s+/);
    expect(cmd.slice(0, 7)).toEqual(['ctr', 'run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-binary', TSRUN]);
    const id = uniqueId('ctr');
    const r = ctr([...cmd.slice(1, 7), '--rootfs', sharedRootfs(), id, '/bin/echo', 'hello']);
    expect({ stderr: r.stderr, stdout: r.stdout, status: r.status }).toEqual({ stderr: '', stdout: 'hello\n', status: 0 });
  }, 60_000);

  (haveContainerd ? test : test.skip)('the --debug wrapper as BinaryName: the trace is in the bundle\'s log.json', () => {
    const wrapper = path.join(dir, 'tsrun-debug');
    fs.writeFileSync(wrapper, snippet('debug-wrapper'), { mode: 0o755 });
    const id = uniqueId('ctrd');
    expect(ctr(['run', '-d', '--runtime', 'io.containerd.runc.v2', '--runc-binary', wrapper, '--rootfs', sharedRootfs(), id, '/bin/sleep', '600']).status).toBe(0);
    try {
      const log = path.join(dir, 'state/io.containerd.runtime.v2.task/tsrun-test', id, 'log.json');
      const msgs = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.level === 'debug').map((l) => l.msg);
      expect(msgs).toEqual(expect.arrayContaining([expect.stringMatching(/^child: namespaces made: /), expect.stringMatching(/^start: exec.fifo opened/)]));
    } finally {
      ctr(['task', 'kill', '-s', 'SIGKILL', id]);
      for (let i = 0; i < 50 && !/STOPPED/.test(ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(id)) ?? 'STOPPED'); i++) sleepMs(100);
      ctr(['task', 'delete', id]);
      ctr(['container', 'delete', id]);
    }
  }, 60_000);

  (haveContainerd ? test : test.skip)(`SystemdCgroup = true (the documented ctr-systemd line): ${SYSTEMD ? 'runs through the systemd driver' : 'refused where systemd is not running'}, nothing left`, () => {
    const id = uniqueId('ctrs');
    const cmd = snippet('ctr-systemd').replace(/\\\n\s*/g, '').trim().split(/\s+/).slice(1)
      .map((a) => (a === 'demo' ? id : a === 'system.slice:tsrun:demo' ? `system.slice:tsrun:${id}` : a === '/path/to/rootfs' ? sharedRootfs() : a));
    expect(cmd).toContain('--runc-systemd-cgroup');
    const r = ctr(cmd);
    try {
      if (SYSTEMD) {
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      } else {
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/systemd not running on this host, cannot use the systemd cgroup manager/);
      }
    } finally {
      ctr(['container', 'delete', id]);
    }
  }, 60_000);
});

const havePodman = !!which('podman') && !!which('conmon');
describeRoot('podman with the documented containers.conf (skipped without podman and conmon)', () => {
  useLeakChecks();
  let dir: string;
  let podman: (args: string[], extra?: string[]) => SpawnSyncReturns<string>;
  const argvLog = () => fs.readFileSync(path.join(dir, 'argv.log'), 'utf8');

  beforeAll(() => {
    if (!havePodman) return;
    dir = fs.mkdtempSync(path.join(work(), 'podman-'));
    // the runtime path is a wrapper that records each call's argv, then runs this checkout's tsrun
    const wrapper = path.join(dir, 'tsrun');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${dir}/argv.log\nexec ${TSRUN} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'containers.conf'), snippet('podman', wrapper));
    fs.writeFileSync(path.join(dir, 'argv.log'), '');
    podman = (args, extra = []) => spawnSync('podman', [
      '--root', `${dir}/storage`, '--runroot', `${dir}/runroot`, '--tmpdir', `${dir}/tmp`, '--storage-driver', 'vfs', '--events-backend', 'file', ...extra, ...args,
    ], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') } });
  });

  afterAll(() => {
    if (!dir) return;
    podman(['rm', '-af', '-t', '0']);
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'conmon' && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
      } catch { /* gone */ }
    }
  });

  // hosts whose bounding set lacks CAP_SYS_RESOURCE cannot give podman's default nofile limit
  const run = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];

  (havePodman ? test : test.skip)('podman uses tsrun; conmon passes the JSON log flags', () => {
    expect(podman(['info', '--format', '{{.Host.OCIRuntime.Name}}']).stdout.trim()).toBe('tsrun');
    const r = podman([...run, '--rootfs', sharedRootfs(), '/bin/sh', '-c', 'echo hello from $(hostname)']);
    expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: expect.stringMatching(/^hello from \w+\n$/), status: 0 });
    expect(argvLog()).toMatch(/^--log-format=json --log \S+\/oci-log create --bundle /m);
  }, 120_000);

  (havePodman ? test : test.skip)('a failure shows tsrun\'s message; --runtime-flag debug reaches tsrun', () => {
    const r = podman([...run, '--rootfs', sharedRootfs(), '/nonexistent']);
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('tsrun: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory');
    const d = podman([...run, '--rootfs', sharedRootfs(), '/bin/true'], ['--runtime-flag', 'debug']);
    expect(d.status).toBe(0);
    expect(argvLog()).toMatch(/^--debug --log-format=json --log \S+ create /m);
  }, 120_000);
});
