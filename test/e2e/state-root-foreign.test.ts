// A directory under --root that tsrun did not make (a wrong --root such as `/`, or files put
// there by hand) is never emptied or removed: `delete --force` of an aborted create and the
// next create's take-over touch only what tsrun itself leaves in a state dir.
import * as fs from 'fs';
import * as path from 'path';
import { Bundle, describeRoot, errMsg, tsrun, uniqueId, useLeakChecks, work } from '../helpers/harness';

describeRoot('state root: directories tsrun did not make', () => {
  useLeakChecks();

  function foreignDir(): { root: string; id: string; dir: string } {
    const root = fs.mkdtempSync(path.join(work(), 'foreign-root-'));
    const id = uniqueId('foreign');
    const dir = path.join(root, id);
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'precious'), 'keep me\n');
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(dir, old, old);
    return { root, id, dir };
  }

  test('delete --force of a directory holding foreign files refuses and removes nothing', () => {
    const { root, id, dir } = foreignDir();
    const r = tsrun(['--root', root, 'delete', '--force', id]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toMatch(/which tsrun did not put there: not a container's state dir, not removed/);
    expect(fs.readFileSync(path.join(dir, 'precious'), 'utf8')).toBe('keep me\n');
  });

  test('create over such a directory says the id exists and empties nothing', () => {
    const { root, id, dir } = foreignDir();
    const b = new Bundle().args('true');
    const r = tsrun(['--root', root, 'create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(errMsg(r.stderr)).toBe('container with given ID already exists');
    expect(fs.readFileSync(path.join(dir, 'precious'), 'utf8')).toBe('keep me\n');
    expect(fs.existsSync(path.join(dir, 'sub'))).toBe(true);
  });

  test('an aborted create\'s leftovers (exec.fifo only) are still taken over, as before', () => {
    const root = fs.mkdtempSync(path.join(work(), 'aborted-root-'));
    const id = uniqueId('aborted');
    fs.mkdirSync(path.join(root, id));
    fs.writeFileSync(path.join(root, id, 'exec.fifo'), '');
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(path.join(root, id), old, old);
    const r = tsrun(['--root', root, 'delete', '--force', id]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });
});
