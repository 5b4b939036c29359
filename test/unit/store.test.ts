// src/state/store.ts beyond what state-files.test.ts covers (state.json validation, the
// take-over of an aborted create): ids, the write/read round trip, the journal, listing, and
// removal that refuses a directory tsrun did not make. Temp dirs only.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AbortedCreateError, checkId, foreignEntries, listIds, StateDir, type StoredState } from '../../src/state/store';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-store-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const state = (id: string): StoredState => ({
  ociVersion: '1.2.0', id, pid: 1234, pidStartTime: '5678', bundle: '/b', rootfs: '/b/rootfs', created: '2026-01-01T00:00:00Z', owner: '',
  cgroupsPath: '', systemdCgroup: false, cgroupPaths: { pids: `/sys/fs/cgroup/pids/${id}` }, cgroupCreated: [], newNamespaces: ['pid'],
  config: { ociVersion: '1.2.0', process: { cwd: '/', args: ['sh'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 18446744073709551615n }] } },
});

describe('checkId: runc\'s id rule', () => {
  test.each([
    ['c1', null], ['a.b-c_d+e', null], ['', 'container id cannot be empty'], [undefined, 'container id cannot be empty'],
    ['.', 'invalid container ID format'], ['..', 'invalid container ID format'], ['a/b', 'invalid container ID format'],
    ['a b', 'invalid container ID format'], ['a\nb', 'invalid container ID format'], ['é', 'invalid container ID format'],
  ] as [string | undefined, string | null][])('%p', (id, err) => {
    if (err === null) expect(checkId(id)).toBe(id);
    else expect(() => checkId(id)).toThrow(err);
    if (err !== null) expect(() => new StateDir(dir, id as string)).toThrow(err);
  });
});

describe('StateDir', () => {
  test('create, write, read: the state round-trips (uint64 exact), 0600, the dir 0711 under a 0700 root', () => {
    const root = path.join(dir, 'root');
    const sd = new StateDir(root, 'c1');
    sd.create();
    try {
      sd.write(state('c1'));
      const back = sd.read();
      expect(back).toEqual(state('c1'));
      expect(back.config.process!.rlimits![0].hard).toBe(18446744073709551615n);
      expect([fs.statSync(root).mode & 0o777, fs.statSync(sd.dir).mode & 0o777, fs.statSync(sd.stateFile).mode & 0o777]).toEqual([0o700, 0o711, 0o600]);
      expect(sd.fifo).toBe(path.join(root, 'c1', 'exec.fifo'));
      expect(() => new StateDir(root, 'c1').create()).toThrow('container with given ID already exists');
    } finally {
      sd.unlock();
    }
  });

  test('read and lock of an id that does not exist: NotExistError ("container does not exist")', () => {
    const sd = new StateDir(dir, 'nope');
    expect(() => sd.read()).toThrow(expect.objectContaining({ name: 'NotExistError', message: 'container does not exist' }));
    expect(() => sd.lock()).toThrow(expect.objectContaining({ name: 'NotExistError' }));
  });

  test('the journal: written, read back, dropped; an unlocked dir with one is an aborted create', () => {
    const sd = new StateDir(dir, 'j1');
    sd.create();
    const journal = { id: 'j1', pid: 42, pidStartTime: '7', cgroupPaths: { pids: '/x' }, cgroupCreated: ['/x'], newNamespaces: ['pid'] };
    sd.writeJournal(journal);
    expect(JSON.parse(sd.readJournal())).toEqual(journal);
    expect((fs.statSync(sd.journalFile).mode & 0o777)).toBe(0o600);
    sd.unlock();
    expect(() => new StateDir(dir, 'j1').create()).toThrow(AbortedCreateError);
    sd.dropJournal();
    expect(sd.readJournal()).toBe('');
    sd.dropJournal(); // twice: nothing to do
  });

  test('remove: only what tsrun puts in a state dir; anything else is refused, naming it and --root', () => {
    const sd = new StateDir(dir, 'r1');
    sd.create();
    sd.write(state('r1'));
    fs.writeFileSync(path.join(sd.dir, '.state.json.abc123.tmp'), '');
    fs.mkdirSync(path.join(sd.dir, 'notify'));
    sd.remove();
    expect(fs.existsSync(sd.dir)).toBe(false);

    const foreign = new StateDir(dir, 'etc');
    fs.mkdirSync(foreign.dir);
    for (const f of ['passwd', 'shadow', 'hosts', 'group']) fs.writeFileSync(path.join(foreign.dir, f), '');
    expect(foreignEntries(foreign.dir).sort()).toEqual(['group', 'hosts', 'passwd', 'shadow']);
    expect(() => foreign.remove()).toThrow(/holds .*, \.\.\., which tsrun did not put there: not a container's state dir, not removed \(is --root right\?\)/);
    expect(fs.readdirSync(foreign.dir)).toHaveLength(4);
  });

  test('listIds: directories with a state.json, sorted; a missing root lists nothing', () => {
    for (const id of ['b', 'a', 'c']) {
      const sd = new StateDir(dir, id);
      sd.create();
      if (id !== 'c') sd.write(state(id));
      sd.unlock();
    }
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(listIds(dir)).toEqual(['a', 'b']);
    expect(listIds(path.join(dir, 'missing'))).toEqual([]);
  });
});
