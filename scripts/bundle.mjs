// Bundle the CLI and the library into single files (fast start: one file to load).
import { build } from 'esbuild';
import { execFileSync } from 'child_process';

// --version's "commit:" line: the git commit built from (TSRUN_COMMIT for builds outside a checkout)
function gitCommit() {
  if (process.env.TSRUN_COMMIT) return process.env.TSRUN_COMMIT;
  try { return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return ''; }
}
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', minifySyntax: true,
  define: { __TSRUN_COMMIT__: JSON.stringify(gitCommit()) },
};
// The CLI: whitespace-minified (less to read per call: it is ASCII, read as latin1), wrapped in
// the CommonJS function already (bin/tsrun compiles it as is, with the code cache below), and
// without the help texts: --help and usage errors load dist/tsrun-help.js, a bundle of its own.
const helpExternal = {
  name: 'help-external',
  setup(b) { b.onResolve({ filter: /^\.\/help$/ }, () => ({ path: './tsrun-help.js', external: true })); },
};
await build({
  ...common, minifyWhitespace: true, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/tsrun.js', plugins: [helpExternal],
  banner: { js: '(function (exports, require, module, __filename, __dirname) { ' }, footer: { js: '\n});' },
});
await build({ ...common, entryPoints: ['src/cli/help.ts'], outfile: 'dist/tsrun-help.js' });
await build({ ...common, entryPoints: ['src/lib.ts'], outfile: 'dist/lib.js' });

// V8 code cache for the CLI bundle. First the top level compiled here, then (replacing it) the
// cache bin/tsrun writes after running the hidden `__warmup` verb, which runs the hot paths of
// the common verbs on a temporary bundle: their functions are then in the cache, compiled.
import * as fs from 'fs';
import * as vm from 'vm';
const source = fs.readFileSync('dist/tsrun.js', 'latin1');
if (/[^\x00-\x7f]/.test(source)) throw new Error('dist/tsrun.js is not ASCII: bin/tsrun reads it as latin1');
const script = new vm.Script(source, { filename: new URL('../dist/tsrun.js', import.meta.url).pathname });
fs.writeFileSync('dist/tsrun.cache', script.createCachedData());
// Two: tsrun.cache for create/run/exec, tsrun-light.cache (smaller, faster to load) for the rest.
fs.copyFileSync('dist/tsrun.cache', 'dist/tsrun-light.cache');
if (fs.existsSync('build/Release/tsrun.node')) {
  for (const [mode, file] of [['full', 'dist/tsrun.cache'], ['light', 'dist/tsrun-light.cache']]) {
    try {
      const out = `${file}.warm`;
      // stdout: the light warmup's CLI calls print state JSON; stderr only when the warmup fails
      execFileSync(process.execPath, ['bin/tsrun', '__warmup', mode], { env: { ...process.env, TSRUN_CODE_CACHE_OUT: out }, stdio: ['ignore', 'ignore', 'pipe'] });
      fs.renameSync(out, file);
    } catch (e) {
      console.warn(`bundle: warm code cache ${file} not written (${e.message}${e.stderr ? `: ${e.stderr}` : ''}); using the top-level cache`);
    }
  }
}
