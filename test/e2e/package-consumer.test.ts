// The package as a consumer meets it: the packed file list, and a strict TypeScript program
// compiled against the published types (dist/lib.d.ts, one bundled file) with and without
// @types/node, from a directory outside the project's tsconfig. Needs `npm run build`
// (build:types): skipped with the reason when dist/lib.d.ts is absent.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT_DIR } from '../helpers/harness';
import { packedFiles } from '../helpers/package';

const DTS = path.join(ROOT_DIR, 'dist/lib.d.ts');
const maybe = fs.existsSync(DTS) ? describe : describe.skip;

const PROGRAM = `
import { create, start, run, state, kill, deleteContainer, exec, list, defaultSpec, parseSpec, TsrunError, ConfigError } from 'tsrun';
import type { Spec, Process, Mount, LinuxResources, OciState, CreateOptions } from 'tsrun';

const mount: Mount = { destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] };
const proc: Process = { args: ['/bin/true'], cwd: '/', user: { uid: 0, gid: 0 } };
const resources: LinuxResources = { memory: { limit: 64n * 1024n * 1024n } };
export async function main(bundle: string): Promise<number> {
  const spec: Spec = parseSpec(defaultSpec());
  spec.process = proc;
  spec.mounts = [...(spec.mounts ?? []), mount];
  spec.linux = { ...spec.linux, resources };
  const opts: CreateOptions = { bundle, spec, root: '/run/tsrun-consumer' };
  try {
    const c = await create('consumer', opts);
    const s: OciState = await state('consumer', opts);
    await start('consumer', opts);
    await kill('consumer', 'KILL', opts);
    await deleteContainer('consumer', { ...opts, force: true });
    void exec; void list; void run;
    return c.pid + s.pid;
  } catch (e) {
    if (e instanceof ConfigError) return -2;
    if (e instanceof TsrunError) return -1;
    throw e;
  }
}
`;

/** The README's library example (its one ```ts block), compiled as it stands. */
function readmeExample(): string {
  const m = /\n```ts\n([\s\S]*?)\n```\n/.exec(fs.readFileSync(path.join(ROOT_DIR, 'README.md'), 'utf8'));
  if (!m) throw new Error('README.md has no ```ts block (the library example)');
  return m[1]!;
}

function consumer(withNodeTypes: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-consumer-'));
  const pkg = path.join(dir, 'node_modules/tsrun');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT_DIR, 'package.json'), path.join(pkg, 'package.json'));
  fs.copyFileSync(DTS, path.join(pkg, 'dist/lib.d.ts'));
  if (withNodeTypes) {
    for (const m of ['@types/node', 'undici-types']) fs.cpSync(path.join(ROOT_DIR, 'node_modules', m), path.join(dir, 'node_modules', m), { recursive: true });
  }
  fs.writeFileSync(path.join(dir, 'index.ts'), PROGRAM);
  fs.writeFileSync(path.join(dir, 'readme.ts'), readmeExample());
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: false, noImplicitOverride: true,
      target: 'ES2022', module: 'node16', moduleResolution: 'node16', noEmit: true, skipLibCheck: false,
      types: withNodeTypes ? ['node'] : [],
    },
    files: ['index.ts', 'readme.ts'],
  }));
  return dir;
}

maybe('the package as a consumer installs and compiles it', () => {
  test.each([false, true])('a strict program compiles against dist/lib.d.ts (with @types/node: %s)', (withNode) => {
    const dir = consumer(withNode);
    try {
      const r = spawnSync(process.execPath, [path.join(ROOT_DIR, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('every exported call has its doc comment in dist/lib.d.ts (the wrapped constants of src/lib.ts dropped them)', () => {
    const dts = fs.readFileSync(DTS, 'utf8');
    const calls = [...dts.matchAll(/^export declare const (\w+):/gm)];
    expect(calls.map((m) => m[1])).toEqual(expect.arrayContaining(['create', 'start', 'kill', 'wait', 'deleteContainer', 'exec', 'run']));
    const undocumented = calls.filter((m) => !/\*\/\n$/.test(dts.slice(0, m.index))).map((m) => m[1]);
    expect(undocumented).toEqual([]);
  });

  test('the README example is checked: a wrong use of it fails to compile', () => {
    const dir = consumer(true);
    try {
      // start() gives an object, not the exit status; code is a closed union
      fs.appendFileSync(path.join(dir, 'readme.ts'), `\nexport const bad = async (): Promise<number> => (await start('x')).wait().then((s) => s.code ?? 'x');\nexport const bad2 = (e: TsrunError) => e.code === 'NOT_A_CODE';\n`);
      const r = spawnSync(process.execPath, [path.join(ROOT_DIR, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(/readme\.ts.*error TS2322/);
      expect(r.stdout).toMatch(/readme\.ts.*error TS2367/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a type error in the consumer is caught (the check can fail)', () => {
    const dir = consumer(false);
    try {
      fs.appendFileSync(path.join(dir, 'index.ts'), `\nconst wrong: Process = { args: 'not an array', cwd: '/' };\nvoid wrong;\n`);
      const r = spawnSync(process.execPath, [path.join(ROOT_DIR, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(/index\.ts.*error TS2322/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('npm pack holds the runtime, its types and docs, the prebuilt addon, and no tests or build leftovers', () => {
    const files = packedFiles();
    for (const want of ['bin/tsrun', 'dist/lib.js', 'dist/lib.d.ts', 'dist/tsrun.js', 'LICENSE', 'package.json',
      `prebuilds/linux-${process.arch}/tsrun.napi.glibc.node`, `prebuilds/linux-${process.arch}/tsrun-init`,
      // bundled: an install needs no registry (node-gyp-build picks the prebuild; node-addon-api for a source build)
      'node_modules/node-gyp-build/package.json', 'node_modules/node-addon-api/napi.h']) {
      expect(files).toContain(want);
    }
    // build/ is the development build: a source install makes its own there, never over a prebuild
    expect(files.filter((f) => /^(test|spec-fixtures|bench|build)\/|\.o$|\/obj\.target\/|\.tsbuildinfo$|\.warm$|\.tmp$/.test(f))).toEqual([]);
  }, 300_000);
});
