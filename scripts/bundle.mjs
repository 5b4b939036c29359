// Bundle the CLI and the library into single files (fast start: one file to load).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', minifySyntax: true };
await build({ ...common, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/tsrun.js' });
await build({ ...common, entryPoints: ['src/lib.ts'], outfile: 'dist/lib.js' });

// V8 code cache for the CLI bundle: compile once here, with the functions the common verbs
// run already compiled (a `state` of a missing container exercises the startup path).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as vm from 'vm';
import { createRequire } from 'module';
const source = fs.readFileSync('dist/tsrun.js', 'utf8');
const wrapped = createRequire(import.meta.url)('module').wrap(source);
const script = new vm.Script(wrapped, { filename: new URL('../dist/tsrun.js', import.meta.url).pathname });
fs.writeFileSync('dist/tsrun.cache', script.createCachedData());
void execFileSync;
