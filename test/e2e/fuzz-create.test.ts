// Fuzzing create itself: mutated copies of a runnable config.json go through the library's
// create (parse, validate, plan, clone, namespaces, mounts, cgroups) and delete. Each ends in a
// created container or a TsrunError, never another exception or a hang, and the leak check
// after the test finds no process, mount, cgroup or state dir left behind by the failures.
// Only fields whose effects stay inside the container are mutated: not the namespaces list (a
// missing mount namespace would mount on the host), cgroupsPath, hooks, sysctl or devices.
import * as fs from 'fs';
import * as path from 'path';
import { TsrunError } from '../../src/errors';
import { create, deleteContainer, parseSpec } from '../../src/lib';
import { defaultConfig, describeRoot, stateRoot, uniqueId, useLeakChecks, work } from '../helpers/harness';
import { mutate, rng } from '../helpers/fuzz';
import { makeRootfs } from '../helpers/rootfs';

const MUTABLE = ['process', 'mounts', 'hostname', 'domainname', 'annotations', 'root.readonly', 'linux.maskedPaths',
  'linux.readonlyPaths', 'linux.resources', 'linux.seccomp', 'linux.rootfsPropagation', 'linux.personality',
  'linux.uidMappings', 'linux.gidMappings'];

describeRoot('fuzz: create with mutated configs', () => {
  useLeakChecks();

  test('120 mutated configs: a created container or a TsrunError, and nothing left behind', async () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(work(), 'fuzz-rootfs-')));
    const bundle = fs.mkdtempSync(path.join(work(), 'fuzz-bundle-'));
    const r = rng(0x5eed);
    const crashes: string[] = [];
    let created = 0, refused = 0;
    for (let i = 0; i < 120; i++) {
      const doc = defaultConfig();
      doc.process.args = ['true'];
      doc.root.path = rootfs;
      // one or two fields mutated, the rest as runc's default config has it
      for (let k = 0; k < 1 + Math.floor(r() * 2); k++) {
        const field = MUTABLE[Math.floor(r() * MUTABLE.length)].split('.');
        const parent = field.length === 2 ? (doc[field[0]] ??= {}) : doc;
        parent[field[field.length - 1]] = mutate(parent[field[field.length - 1]] ?? {}, r);
      }
      const text = JSON.stringify(doc);
      const id = uniqueId('fuzz');
      try {
        const spec = parseSpec(text);
        if (spec.root) spec.root.path = rootfs;
        await create(id, { root: stateRoot('tsrun'), bundle, spec });
        created++;
        await deleteContainer(id, { root: stateRoot('tsrun'), force: true });
      } catch (e) {
        if (e instanceof TsrunError) refused++;
        else crashes.push(`#${i}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')} :: ${text.slice(0, 300)}`);
      }
    }
    expect(crashes.slice(0, 5)).toEqual([]);
    if (process.env.FUZZ_DEBUG) console.log({ created, refused });
    expect(created).toBeGreaterThan(10); // the generator keeps some configs runnable
    expect(refused).toBeGreaterThan(10); // and breaks others
  }, 120_000);
});
