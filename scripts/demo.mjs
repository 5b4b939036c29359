// Demo: a container from an embedded default bundle (busybox-static rootfs + `tsrun spec`),
// taken through the lifecycle with the CLI, printing each step.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsrun = path.join(here, '..', 'bin', 'tsrun');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-demo-'));
const root = path.join(work, 'state');
const bundle = path.join(work, 'bundle');
const rootfs = path.join(bundle, 'rootfs');
const id = `demo-${process.pid}`;

// Output goes to files, not pipes: a created container inherits tsrun's stdio (as with runc),
// so a pipe would only reach EOF when the container exits.
function step(title, args, opts = {}) {
  // create hands its stdout to the container: a file of its own, never truncated by a later step
  const out = opts.stdout ?? path.join(work, 'out'), err = path.join(work, 'err');
  const fds = [fs.openSync(out, 'w'), fs.openSync(err, 'w')];
  const st = spawnSync(tsrun, ['--root', root, ...args], { cwd: bundle, stdio: ['ignore', fds[0], fds[1]] });
  fds.forEach((fd) => fs.closeSync(fd));
  const r = { status: st.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
  process.stdout.write(`$ tsrun ${args.join(' ')}   -> exit ${r.status}\n`);
  if (r.stdout) process.stdout.write(r.stdout.replace(/^/gm, '    ').replace(/([^\n])$/, '$1\n'));
  if (r.stderr) process.stdout.write(r.stderr.replace(/^/gm, '    stderr: '));
  if (r.status !== 0 && !opts.mayFail) throw new Error(`${title} failed`);
  return r;
}

try {
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc', 'root']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'echo', 'sleep', 'hostname', 'id', 'cat', 'ps']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  execFileSync(tsrun, ['spec', '--bundle', bundle]);
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  config.process.terminal = false;
  // runc's spec names the host "runc": a demo of tsrun says what ran it
  config.hostname = 'tsrun-demo';
  config.process.args = ['sh', '-c', 'echo "hello from a tsrun container (hostname $(hostname)): pid $$ as uid $(id -u)"; sleep 30'];
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const version = execFileSync(tsrun, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  console.log(`${version}: ${tsrun}`);
  console.log(`demo bundle: ${bundle} (busybox rootfs, config.json from \`tsrun spec\`, hostname tsrun-demo)\n`);
  const containerOut = path.join(work, 'container.out');
  step('create', ['create', '--bundle', bundle, '--pid-file', path.join(work, 'pid'), id], { stdout: containerOut });
  step('state', ['state', id]);
  step('start', ['start', id]);
  // the greeting, once the container wrote it (a slow host, e.g. a user-mode Linux guest, takes
  // longer than any fixed wait)
  const said = () => fs.readFileSync(containerOut, 'utf8');
  for (const t0 = Date.now(); !said().includes('\n') && Date.now() - t0 < 20_000;) spawnSync('sleep', ['0.05']);
  process.stdout.write(said().replace(/^/gm, '    container: ').replace(/([^\n])$/, '$1\n'));
  step('state', ['state', id]);
  step('list', ['list']);
  step('kill', ['kill', id, 'KILL']);
  spawnSync('sleep', ['0.2']);
  step('state', ['state', id]);
  step('delete', ['delete', id]);
  config.process.args = ['sh', '-c', 'echo "tsrun run: hello from $(hostname), exiting with 3"; exit 3'];
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  const r = step('run', ['run', '--bundle', bundle, `${id}-run`], { mayFail: true });
  if (r.status !== 3) throw new Error(`run returned ${r.status}, expected the container's 3`);
  console.log('\ndemo: OK');
} finally {
  spawnSync(tsrun, ['--root', root, 'delete', '--force', id]);
  spawnSync(tsrun, ['--root', root, 'delete', '--force', `${id}-run`]);
  fs.rmSync(work, { recursive: true, force: true });
}
