// The package installed as a user meets it, on a machine without a compiler: `npm install
// ./tsrun-*.tgz` in a chroot holding node, npm, sh, env and the run-time libraries (libseccomp)
// and nothing else, where cc, gcc, g++, make, python3 and node-gyp (npm's own too) are traps
// that record their call and fail, in a network namespace with no network, an empty npm cache
// and --offline. With the prebuilds the install compiles nothing and needs no registry, and
// `npx tsrun --version`, `tsrun check` and a real `tsrun run` work there; the same package
// without its prebuilds springs a trap (so the check can fail).
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { IS_ROOT, which, work, sharedRootfs, useLeakChecks } from '../helpers/harness';
import { packTarball } from '../helpers/package';

const TRAPS = ['cc', 'gcc', 'g++', 'c++', 'cpp', 'clang', 'clang++', 'make', 'gmake', 'python', 'python3', 'ld', 'as', 'node-gyp'];
const PREBUILD = `prebuilds/linux-${process.arch}/tsrun.napi.glibc.node`;

/** The npm package directory the host's `npm` runs from. */
function npmDir(): string | null {
  const npm = which('npm');
  if (!npm) return null;
  const dir = path.resolve(path.dirname(fs.realpathSync(npm)), '..');
  return fs.existsSync(path.join(dir, 'bin/npm-cli.js')) ? dir : null;
}

function missingPrerequisite(): string | null {
  if (!IS_ROOT) return 'needs root (chroot, unshare)';
  for (const t of ['unshare', 'chroot', 'ldd', 'tar', 'env', 'sh']) if (!which(t)) return `${t} not found`;
  if (!npmDir()) return 'the npm package directory (bin/npm-cli.js beside the npm on PATH) not found';
  return null;
}

const reason = missingPrerequisite();
const maybe = reason ? describe.skip : describe;

/** Shared libraries `ldd` lists for a file (absolute paths as the loader opens them). */
function libsOf(file: string): string[] {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${file}: ${r.stderr}`);
  return [...r.stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
}

/** Puts host path p (and every symlink on the way to its file) at the same path under root. */
function put(root: string, p: string): void {
  const dst = path.join(root, p);
  const st = fs.lstatSync(p);
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  if (st.isSymbolicLink()) {
    const target = fs.readlinkSync(p);
    if (!fs.existsSync(dst) && !isLink(dst)) fs.symlinkSync(target, dst);
    put(root, path.resolve(path.dirname(p), target));
    return;
  }
  if (fs.existsSync(dst)) return;
  try { fs.linkSync(p, dst); } catch { fs.copyFileSync(p, dst); fs.chmodSync(dst, st.mode & 0o7777); }
}
const isLink = (p: string): boolean => { try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; } };

const TRAP = (name: string) => `#!/bin/sh
echo "clean-install trap: ${name} $* was run: the install must not compile" >&2
echo "${name} $*" >> /compiler-ran
exit 97
`;

/** A root with node, npm, sh, env, the addon's libraries (libseccomp) and traps where a compiler toolchain would be. */
function makeRoot(dir: string, addonFile: string): string {
  fs.mkdirSync(dir, { recursive: true });
  // the host's merged-/usr links (bin -> usr/bin, ...), so library paths resolve the same way
  for (const top of ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32']) {
    if (!isLink(`/${top}`) || path.isAbsolute(fs.readlinkSync(`/${top}`))) continue;
    fs.symlinkSync(fs.readlinkSync(`/${top}`), path.join(dir, top));
    fs.mkdirSync(path.resolve(dir, fs.readlinkSync(`/${top}`)), { recursive: true });
  }
  for (const d of ['etc', 'root', 'app', 'pkg', 'proc', 'sys', 'dev', 'run', 'usr/bin', 'usr/lib/node_modules']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');
  const sh = fs.realpathSync('/bin/sh');
  const env = fs.realpathSync(which('env')!);
  const files = [process.execPath, sh, '/bin/sh', env];
  const libs = new Set<string>();
  for (const f of [process.execPath, sh, env, addonFile]) if (fs.existsSync(f)) for (const l of libsOf(f)) libs.add(l);
  for (const f of [...files, ...libs]) put(dir, f);
  if (!fs.existsSync(path.join(dir, 'usr/bin/node'))) fs.symlinkSync(process.execPath, path.join(dir, 'usr/bin/node'));
  if (!fs.existsSync(path.join(dir, 'usr/bin/env'))) fs.symlinkSync(env, path.join(dir, 'usr/bin/env'));
  const npm = path.join(dir, 'usr/lib/node_modules/npm');
  fs.cpSync(npmDir()!, npm, { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(dir, 'usr/bin/npm'));
  fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(dir, 'usr/bin/npx'));
  // npm puts its own node-gyp first on a lifecycle script's PATH: trapped as well
  const gypBins = spawnSync('find', [npm, '-path', '*node-gyp-bin/node-gyp'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const t of TRAPS) fs.writeFileSync(path.join(dir, 'usr/bin', t), TRAP(t), { mode: 0o755 });
  for (const g of gypBins) fs.writeFileSync(g, TRAP('node-gyp'), { mode: 0o755 });
  for (const t of ['gcc', 'g++', 'cc', 'make', 'python3']) {
    // a tool in the chroot that is not a trap would make the test meaningless
    if (!fs.readFileSync(path.join(dir, 'usr/bin', t), 'utf8').includes('clean-install trap')) throw new Error(`${t} is not a trap`);
  }
  return dir;
}

/** Runs script with sh inside root, in new mount and network namespaces (no network), env cleared. */
function inRoot(root: string, script: string, timeout = 300_000) {
  const setup = [
    'set -e',
    // a mount of its own, as a real root is (pivot_root and the root propagation need one)
    'mount --bind "$R" "$R"',
    'mount --rbind /proc "$R/proc"', 'mount --rbind /sys "$R/sys"', 'mount --rbind /dev "$R/dev"',
    'mount -t tmpfs tmpfs "$R/run"',
    'exec chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root npm_config_cache=/root/.npm npm_config_update_notifier=false /bin/sh -c "$SCRIPT"',
  ].join('\n');
  const t0 = Date.now();
  const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', setup], {
    env: { PATH: process.env.PATH, R: root, SCRIPT: script }, encoding: 'utf8', timeout,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function unpack(tgz: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  if (spawnSync('tar', ['xzf', tgz, '-C', dir]).status !== 0) throw new Error(`tar xzf ${tgz} failed`);
  return path.join(dir, 'package');
}

/** The same package without prebuilds/ (what a platform without a matching prebuild gets). */
function withoutPrebuilds(tgz: string, dir: string): string {
  const x = path.join(dir, 'unpacked');
  unpack(tgz, x);
  fs.rmSync(path.join(x, 'package/prebuilds'), { recursive: true, force: true });
  const out = path.join(dir, 'noprebuilds');
  fs.mkdirSync(out);
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: path.join(x, 'package'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack: ${r.stderr}`);
  return path.join(out, JSON.parse(r.stdout)[0].filename);
}

// (no coreutils in the root: node does the file work)
const INSTALL = `cd /app && node -e 'for (const f of ["node_modules", "package-lock.json", "/compiler-ran"]) require("fs").rmSync(f, { recursive: true, force: true })'`
  // allowScripts: npm 11 may skip a dependency's install script unless allowed; it must run here
  + ` && echo '{"name":"app","version":"1.0.0","private":true,"allowScripts":{"tsrun":true}}' > package.json`
  + ' && npm install --offline --no-audit --no-fund --foreground-scripts --loglevel=warn /pkg/tsrun.tgz';

maybe('a clean install on a machine without a compiler or network', () => {
  useLeakChecks();
  let root: string;
  let packed: string;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(work(), 'clean-install-'));
    // TSRUN_TARBALL: check a given tarball (the one to publish) instead of packing this tree
    const tgz = process.env.TSRUN_TARBALL ? path.resolve(process.env.TSRUN_TARBALL) : packTarball(dir);
    packed = unpack(tgz, path.join(dir, 'packed'));
    root = makeRoot(path.join(dir, 'root'), path.join(packed, PREBUILD));
    fs.copyFileSync(tgz, path.join(root, 'pkg/tsrun.tgz'));
    fs.writeFileSync(path.join(root, 'pkg/noprebuilds.tgz'), fs.readFileSync(withoutPrebuilds(tgz, dir)));
    // a bundle for `tsrun run`: the e2e busybox rootfs
    fs.cpSync(sharedRootfs(), path.join(root, 'bundle/rootfs'), { recursive: true, verbatimSymlinks: true });
  }, 600_000);

  test('with the prebuilds: installs offline without compiling; npx tsrun --version, check and run work', () => {
    const r = inRoot(root, [
      'set -e', INSTALL,
      'echo "--- version"', 'npx --offline tsrun --version',
      'echo "--- check"', 'npx --offline tsrun check',
      'echo "--- run"', 'cd /bundle && /app/node_modules/.bin/tsrun spec',
      // the spec's process, made to print and exit (no terminal: stdout is a pipe here)
      `node -e 'const f="config.json",c=JSON.parse(require("fs").readFileSync(f));c.process.terminal=false;c.process.args=["echo","hello from a clean install"];require("fs").writeFileSync(f,JSON.stringify(c))'`,
      '/app/node_modules/.bin/tsrun --root /run/tsrun run -b /bundle clean-install-1',
      'if test -e /app/node_modules/tsrun/build; then echo "--- build dir: present"; else echo "--- build dir: none"; fi',
    ].join('\n'));
    const log = `exit ${r.code}\n${r.out}\n${r.err}`;
    expect(fs.existsSync(path.join(root, 'compiler-ran')) ? fs.readFileSync(path.join(root, 'compiler-ran'), 'utf8') : '').toBe('');
    expect(r.err).not.toMatch(/clean-install trap/);
    expect(log).toMatch(/^exit 0\n/);
    expect(r.out).toMatch(/^tsrun version \d+\.\d+\.\d+\ncommit: /m);
    expect(r.out).toContain(`native addon             ok       prebuilt: /app/node_modules/tsrun/${PREBUILD}`);
    expect(r.out).toMatch(/verdict: tsrun can run containers here/);
    expect(r.out).toContain('hello from a clean install\n');
    // no source build happened, and the prebuild is the file packed
    expect(r.out).toContain('--- build dir: none\n');
    expect(sha(path.join(root, 'app/node_modules/tsrun', PREBUILD))).toBe(sha(path.join(packed, PREBUILD)));
    expect(fs.statSync(path.join(root, `app/node_modules/tsrun/prebuilds/linux-${process.arch}/tsrun-init`)).mode & 0o111).toBe(0o111);
  }, 300_000);

  test('without a matching prebuild the install builds from source: here it springs the trap and fails', () => {
    const r = inRoot(root, INSTALL.replace('/pkg/tsrun.tgz', '/pkg/noprebuilds.tgz'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/clean-install trap: (node-gyp|make|g\+\+|cc|gcc|python3?) /);
    expect(fs.readFileSync(path.join(root, 'compiler-ran'), 'utf8')).not.toBe('');
  }, 300_000);
});

if (reason) test.skip(`clean install (skipped: ${reason})`, () => {});

// The arm64 prebuild, on this x86_64 host: the packed package run by an arm64 Node under
// qemu-user (scripts/arm64-node-sysroot.sh makes one from Debian's arm64 packages). It loads,
// probes the kernel and reports itself; tsrun-init for arm64 runs and execs. A container is not
// run: the child would execveat an arm64 tsrun-init, which needs binfmt_misc registered for qemu.
const QEMU = which('qemu-aarch64-static') ?? which('qemu-aarch64');
const SYSROOT = path.resolve(process.env.TSRUN_ARM64_SYSROOT ?? path.join(__dirname, '../../build-prebuild/arm64-node'));
const armReason = process.arch !== 'x64' ? `the host is ${process.arch}, not x64`
  : !QEMU ? 'qemu-aarch64-static not found (apt-get install qemu-user-static)'
    : !fs.existsSync(path.join(SYSROOT, 'usr/bin/node')) ? `no arm64 Node at ${SYSROOT}/usr/bin/node (scripts/arm64-node-sysroot.sh)`
      : !fs.existsSync(path.join(__dirname, '../../prebuilds/linux-arm64/tsrun.napi.glibc.node')) && !process.env.TSRUN_TARBALL
        ? 'no arm64 prebuild (npm run prebuilds needs gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu, libseccomp-dev:arm64)' : null;

(armReason ? describe.skip : describe)('the arm64 prebuild under qemu-user', () => {
  let pkg: string;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(work(), 'arm64-'));
    const tgz = process.env.TSRUN_TARBALL ? path.resolve(process.env.TSRUN_TARBALL) : packTarball(dir);
    pkg = unpack(tgz, path.join(dir, 'packed'));
  }, 600_000);
  const arm = (args: string[]) => spawnSync(QEMU!, ['-L', SYSROOT, ...args], { encoding: 'utf8', timeout: 120_000 });

  test('an arm64 Node loads the arm64 addon from the package: --version, check', () => {
    const v = arm([path.join(SYSROOT, 'usr/bin/node'), path.join(pkg, 'bin/tsrun'), '--version']);
    expect(v.stderr).toBe('');
    expect(v.stdout).toMatch(/^tsrun version \d+\.\d+\.\d+\n/);
    const c = arm([path.join(SYSROOT, 'usr/bin/node'), path.join(pkg, 'bin/tsrun'), 'check', '--format', 'json']);
    const j = JSON.parse(c.stdout);
    expect(j.arch).toBe('arm64');
    expect(j.items.find((i: { feature: string }) => i.feature === 'native addon'))
      .toMatchObject({ verdict: 'ok', detail: `prebuilt: ${path.join(pkg, 'prebuilds/linux-arm64/tsrun.napi.glibc.node')}` });
    // the addon's syscall probes ran (qemu answers ENOSYS for the ones it does not emulate)
    expect(Object.keys(j.probes.syscalls).length).toBeGreaterThan(0);
  }, 180_000);

  test('tsrun-init for arm64 execs the process, and reports a failed exec with its strerror text', () => {
    const init = path.join(pkg, 'prebuilds/linux-arm64/tsrun-init');
    const ok = arm([init, '-1', '-1', '0', '-1', '', '', '-1', '-1', '/bin/echo', 'echo', 'hello from arm64 tsrun-init']);
    expect({ code: ok.status, out: ok.stdout, err: ok.stderr }).toEqual({ code: 0, out: 'hello from arm64 tsrun-init\n', err: '' });
    const bad = arm([init, '-1', '-1', '0', '-1', '', '', '-1', '-1', '/nonexistent', 'x']);
    expect({ code: bad.status, err: bad.stderr }).toEqual({ code: 127, err: 'tsrun-init: exec /nonexistent: no such file or directory\n' });
  }, 60_000);
});
if (armReason) test.skip(`arm64 prebuild under qemu-user (skipped: ${armReason})`, () => {});
