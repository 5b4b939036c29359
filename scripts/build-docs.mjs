// Man pages and shell completion from the CLI's command table (src/cli/commands.ts, rendered by
// src/cli/docs.ts): man/tsrun.8, man/tsrun-VERB.8, completion/tsrun.bash, completion/_tsrun.
// `--check` compares instead of writing (exit 1 when a file is stale).
import { build } from 'esbuild';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = await build({ entryPoints: [path.join(root, 'src/cli/docs.ts')], bundle: true, platform: 'node', format: 'cjs', write: false, logLevel: 'warning' });
const mod = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
const { manPage, bashCompletion, zshCompletion, verbs } = mod.exports;
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

const files = new Map([
  ['man/tsrun.8', manPage(undefined, version)],
  ...verbs().map((v) => [`man/tsrun-${v}.8`, manPage(v, version)]),
  ['completion/tsrun.bash', bashCompletion()],
  ['completion/_tsrun', zshCompletion()],
]);

const check = process.argv.includes('--check');
let stale = 0;
for (const dir of ['man', 'completion']) {
  if (check) continue;
  fs.rmSync(path.join(root, dir), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, dir));
}
for (const [rel, text] of files) {
  const file = path.join(root, rel);
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) { console.error(`build-docs: ${rel} is stale (npm run build:docs)`); stale++; }
  } else fs.writeFileSync(file, text);
}
if (!check) console.log(`build-docs: ${files.size} files -> man/ (${files.size - 2} pages), completion/ (bash, zsh)`);
process.exit(stale ? 1 : 0);
