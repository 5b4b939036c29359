// The package as npm publishes it: prebuilds made by scripts/prebuild.mjs (incremental: a
// second or two when addon/ is unchanged), then `npm pack` without its scripts (prepack would
// print the build onto --json's stdout).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT_DIR } from './harness';

let built: string | undefined;

/** Builds prebuilds/ for every arch this host has a compiler for; throws with the build log. */
export function ensurePrebuilds(): void {
  if (built !== undefined) return;
  const r = spawnSync(process.execPath, [path.join(ROOT_DIR, 'scripts/prebuild.mjs')], { cwd: ROOT_DIR, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`scripts/prebuild.mjs failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  built = r.stdout + r.stderr;
}

/** The files `npm pack` would put in the tarball. */
export function packedFiles(): string[] {
  ensurePrebuilds();
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack --dry-run: ${r.stderr}`);
  return JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
}

/** `npm pack` into dir; returns the tarball's path. */
export function packTarball(dir: string): string {
  ensurePrebuilds();
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm pack: ${r.stderr}`);
  const file = path.join(dir, JSON.parse(r.stdout)[0].filename);
  if (!fs.existsSync(file)) throw new Error(`npm pack wrote no ${file}`);
  return file;
}
