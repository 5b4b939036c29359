// The prebuilt addon the package ships: prebuilds/linux-<arch>/tsrun.napi.glibc.node (the name
// node-gyp-build matches: N-API, glibc) and tsrun-init beside it, built from binding.gyp and
// addon/ by node-gyp, as a source install would build them.
//
//   node scripts/prebuild.mjs [x64] [arm64]     (npm run prebuilds; prepack runs it)
//
// Each arch builds in its own copy of the sources (build-prebuild/<arch>/, files rewritten only
// when their contents changed, so make rebuilds only what changed) and never touches the
// development build in build/Release. arm64 is cross-compiled (gcc-aarch64-linux-gnu,
// g++-aarch64-linux-gnu, libseccomp-dev:arm64); with no arch named, an arch whose cross
// compiler is missing is skipped with a warning, a named one fails.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_GYP = path.join(ROOT, 'node_modules/node-gyp/bin/node-gyp.js');
// ELF e_machine of each arch: a cross build that silently used the host compiler is refused
const ARCHES = {
  x64: { machine: 62, cross: 'x86_64-linux-gnu-' },
  arm64: { machine: 183, cross: 'aarch64-linux-gnu-' },
};

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Copy file by file, writing only what differs (make decides by mtime); stale files removed. */
function sync(src, dst) {
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    fs.mkdirSync(dst, { recursive: true });
    const names = new Set(fs.readdirSync(src));
    for (const n of names) sync(path.join(src, n), path.join(dst, n));
    for (const n of fs.readdirSync(dst)) if (!names.has(n)) fs.rmSync(path.join(dst, n), { recursive: true, force: true });
    return;
  }
  const data = fs.readFileSync(src);
  let old = null;
  try { old = fs.readFileSync(dst); } catch { /* new file */ }
  if (!old || !old.equals(data)) fs.writeFileSync(dst, data);
}

function elfMachine(file) {
  const b = fs.readFileSync(file);
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  return b.readUInt16LE(18);
}

function build(arch, cross) {
  const { machine } = ARCHES[arch];
  // not below build/: node-gyp rebuild (npm run build:addon) removes build/
  const stage = path.join(ROOT, 'build-prebuild', arch);
  fs.mkdirSync(stage, { recursive: true });
  sync(path.join(ROOT, 'binding.gyp'), path.join(stage, 'binding.gyp'));
  sync(path.join(ROOT, 'addon'), path.join(stage, 'addon'));
  const env = { ...process.env };
  const gypArgs = [];
  // the running Node's own headers when npm gave no nodedir (node-gyp would download them)
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include/node/node_api.h'))) gypArgs.push(`--nodedir=${prefix}`);
  if (cross) {
    Object.assign(env, { CC: `${cross}gcc`, CXX: `${cross}g++`, LINK: `${cross}g++`, AR: `${cross}ar` });
    gypArgs.push('--', `-Dinit_cc=${cross}gcc`);
  }
  const gyp = (...args) => execFileSync(process.execPath, [NODE_GYP, '--loglevel=error', ...args], { cwd: stage, env, stdio: 'inherit' });
  const t0 = Date.now();
  // configure every time (a second): the Makefile then follows binding.gyp and this Node's headers
  gyp('configure', `--arch=${arch}`, ...gypArgs);
  gyp('build', `--jobs=${os.availableParallelism?.() ?? os.cpus().length}`);
  const out = path.join(ROOT, 'prebuilds', `linux-${arch}`);
  fs.mkdirSync(out, { recursive: true });
  for (const [from, to] of [['tsrun.node', 'tsrun.napi.glibc.node'], ['tsrun-init', 'tsrun-init']]) {
    const file = path.join(stage, 'build/Release', from);
    const m = elfMachine(file);
    if (m !== machine) throw new Error(`prebuild ${arch}: ${from} is for ELF machine ${m}, not ${machine}`);
    // a new inode each time: a running tsrun that loaded the old file keeps its mapping
    const tmp = path.join(out, `.${to}.tmp`);
    fs.copyFileSync(file, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, path.join(out, to));
  }
  console.log(`prebuild ${arch}: prebuilds/linux-${arch}/ (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

const named = process.argv.slice(2);
for (const a of named) if (!ARCHES[a]) throw new Error(`prebuild: unknown arch ${a} (one of ${Object.keys(ARCHES).join(', ')})`);
for (const arch of named.length ? named : Object.keys(ARCHES)) {
  // the host's own compiler for the host's arch, the cross compiler otherwise
  const cross = arch === process.arch ? null : ARCHES[arch].cross;
  const missing = (cross ? [`${cross}gcc`, `${cross}g++`] : ['gcc', 'g++']).filter((t) => !has(t));
  if (missing.length) {
    const triple = cross?.slice(0, -1);
    const deb = { x64: 'amd64', arm64: 'arm64' }[arch];
    const msg = `prebuild ${arch}: ${missing.join(', ')} not found${cross ? ` (Debian: dpkg --add-architecture ${deb}; apt-get install gcc-${triple} g++-${triple} libseccomp-dev:${deb})` : ''}`;
    if (named.length) throw new Error(msg);
    console.warn(`${msg}: skipped; on ${arch} the package builds the addon from source at install`);
    continue;
  }
  build(arch, cross);
}
