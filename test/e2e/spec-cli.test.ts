// `tsrun spec` writes what `runc spec` writes, byte for byte (and --rootless too).
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { RUNC, TSRUN, work } from '../helpers/harness';
import { PURE_V2 } from '../helpers/host-kind';

function specIn(bin: string, args: string[]): { code: number | null; text: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(work(), 'spec-'));
  const r = spawnSync(bin, ['spec', ...args], { cwd: dir, encoding: 'utf8' });
  const f = path.join(dir, 'config.json');
  return { code: r.status, text: fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '', stderr: r.stderr };
}

describe('tsrun spec', () => {
  // captured on a host with v1 controllers; on a pure cgroup v2 host runc adds a cgroup namespace
  const golden = fs.readFileSync(path.join(__dirname, '../golden/runc-spec.json'), 'utf8')
    .replace(/(\n\t\t\t\{\n\t\t\t\t"type": "mount"\n\t\t\t\})/, PURE_V2 ? '$1,\n\t\t\t{\n\t\t\t\t"type": "cgroup"\n\t\t\t}' : '$1');

  test(`default config.json is runc's (${PURE_V2 ? 'pure cgroup v2: with a cgroup namespace' : 'cgroup v1 controllers: no cgroup namespace'})`, () => {
    const t = specIn(TSRUN, []);
    expect(t.code).toBe(0);
    expect(t.text).toBe(golden);
    if (RUNC) expect(t.text).toBe(specIn(RUNC, []).text);
  });

  test('--rootless matches runc --rootless', () => {
    const t = specIn(TSRUN, ['--rootless']);
    expect(t.code).toBe(0);
    expect(JSON.parse(t.text).linux.uidMappings).toHaveLength(1);
    if (RUNC) expect(t.text).toBe(specIn(RUNC, ['--rootless']).text);
  });

  test('refuses to overwrite, --bundle writes elsewhere', () => {
    const dir = fs.mkdtempSync(path.join(work(), 'spec-'));
    expect(spawnSync(TSRUN, ['spec', '--bundle', dir]).status).toBe(0);
    const again = spawnSync(TSRUN, ['spec', '--bundle', dir], { encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('File config.json exists. Remove it first');
  });
});
