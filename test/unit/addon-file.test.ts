// src/native/addon.ts picks the prebuild itself (node-gyp-build's require and scan cost an
// installed tsrun 2.5-4.5 ms per call). Its pick must be node-gyp-build's, for the names this
// package ships, in every case node-gyp-build tells apart: glibc or musl (LIBC), a build/Debug.
import fs = require('fs');
import os = require('os');
import path = require('path');
import { nativeFile } from '../../src/native/addon';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const gypBuild = require('node-gyp-build') as { path(dir: string): string };

function pkg(extra: string[] = []): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-addon-file-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'tsrun', version: '0.0.0' }));
  for (const f of [`prebuilds/${process.platform}-${process.arch}/tsrun.napi.glibc.node`, ...extra]) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), '');
  }
  return root;
}

const pick = (root: string) => { try { return nativeFile(root); } catch (e) { return `error: ${(e as Error).message.includes('no native addon') ? 'none' : (e as Error).message}`; } };
const ngb = (root: string) => { try { return gypBuild.path(root); } catch { return 'error: none'; } };

afterEach(() => { delete process.env.LIBC; });

test.each([
  ['the glibc prebuild', [], undefined],
  ['musl (LIBC): no prebuild matches', [], 'musl'],
  ['glibc named in LIBC', [], 'glibc'],
  ['a build/Debug, which node-gyp-build takes first', ['build/Debug/tsrun.node'], undefined],
  ['build/Release before the prebuild', ['build/Release/tsrun.node'], undefined],
])('%s: the same file as node-gyp-build', (_what, extra, libc) => {
  const root = pkg(extra);
  try {
    if (libc) process.env.LIBC = libc;
    expect(pick(root)).toBe(ngb(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
