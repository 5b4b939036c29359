// Bundle the CLI and the library into single files (fast start: one file to load).
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', minifySyntax: true };
await build({ ...common, entryPoints: ['src/cli/entry.ts'], outfile: 'dist/tsrun.js' });
await build({ ...common, entryPoints: ['src/lib.ts'], outfile: 'dist/lib.js' });
