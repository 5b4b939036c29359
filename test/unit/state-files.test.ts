// The state dir's files under attack, without root: pid-file and state.json temp files with
// planted symlinks, state.json validation and salvage, and taking over an aborted create's dir.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../../src/state/atomic';
import { writePidFile } from '../../src/state/pid-file';
import { salvageState } from '../../src/state/salvage';
import { CorruptStateError, StateDir } from '../../src/state/store';
import { checkStoredState } from '../../src/state/validate';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-state-files-')); });
afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function plantedTarget(): string {
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'host file\n');
  return victim;
}

describe('writeFileAtomic / writePidFile', () => {
  test('a symlink planted at the temp name is neither followed nor reused: another name is taken', () => {
    const victim = plantedTarget();
    const names = ['.c.pid.planted.tmp', '.c.pid.second.tmp'];
    fs.symlinkSync(victim, path.join(dir, names[0]));
    writePidFile(path.join(dir, 'c.pid'), 4242, { tempName: () => names.shift()! });
    expect(fs.readFileSync(victim, 'utf8')).toBe('host file\n');
    expect(fs.readFileSync(path.join(dir, 'c.pid'), 'utf8')).toBe('4242');
    expect(fs.lstatSync(path.join(dir, '.c.pid.planted.tmp')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(dir, '.c.pid.second.tmp'))).toBe(false);
  });

  test('every name planted: an error, and the planted file is untouched', () => {
    const victim = plantedTarget();
    fs.symlinkSync(victim, path.join(dir, 'always'));
    expect(() => writeFileAtomic(path.join(dir, 'x'), 'data', { tempName: () => 'always' })).toThrow(/EEXIST/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('host file\n');
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  test('a symlink at the target itself is replaced, not written through', () => {
    const victim = plantedTarget();
    fs.symlinkSync(victim, path.join(dir, 'c.pid'));
    writePidFile(path.join(dir, 'c.pid'), 7);
    expect(fs.readFileSync(victim, 'utf8')).toBe('host file\n');
    expect(fs.lstatSync(path.join(dir, 'c.pid')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'c.pid'), 'utf8')).toBe('7');
  });

  test('the temp name is not the predictable .NAME.PID.tmp and nothing is left beside the target', () => {
    fs.symlinkSync(plantedTarget(), path.join(dir, `.c.pid.${process.pid}.tmp`));
    writePidFile(path.join(dir, 'c.pid'), 1);
    expect(fs.readdirSync(dir).sort()).toEqual([`.c.pid.${process.pid}.tmp`, 'c.pid', 'victim']);
  });

  test('a directory that does not exist: one error naming the flag, and the process is stopped', async () => {
    const child = spawn('sleep', ['100'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.once('exit', (_, sig) => res(sig)));
    const missing = path.join(dir, 'nope');
    expect(() => writePidFile(`${missing}/c.pid`, child.pid!)).toThrow(`--pid-file ${missing}/c.pid: directory ${missing} does not exist`);
    expect(await exited).toBe('SIGKILL');
  });

  test('a pid file path that is a directory, or whose directory is a file', () => {
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'f'), '');
    expect(() => writePidFile(path.join(dir, 'd'), 999999999)).toThrow(`--pid-file ${path.join(dir, 'd')}: is a directory`);
    expect(() => writePidFile(path.join(dir, 'f/x.pid'), 999999999)).toThrow(`--pid-file ${path.join(dir, 'f/x.pid')}: ${path.join(dir, 'f')} is not a directory`);
    expect(fs.readdirSync(dir).sort()).toEqual(['d', 'f']);
  });
});

const good = () => ({
  ociVersion: '1.2.0', id: 'c1', pid: 1234, pidStartTime: '5678', bundle: '/b', rootfs: '/b/rootfs', created: 'x', owner: '',
  cgroupsPath: '', systemdCgroup: false, cgroupPaths: { pids: '/sys/fs/cgroup/pids/c1', '': '/sys/fs/cgroup/unified/c1' },
  cgroupCreated: ['/sys/fs/cgroup/pids/c1'], newNamespaces: ['pid', 'mount'], config: { ociVersion: '1.2.0', process: { args: ['sh'] } },
});

describe('state.json validation', () => {
  test.each([
    ['[1,2,3]', [1, 2, 3], 'the document must be an object'],
    ['null', null, 'the document must be an object'],
    ['no config', (() => { const s: any = good(); delete s.config; return s; })(), 'config: is required'],
    ['pid as a string', { ...good(), pid: '1234' }, 'pid: must be integer'],
    ['pid 0', { ...good(), pid: 0 }, 'pid: must be >= 1'],
    ['start time not a number', { ...good(), pidStartTime: 'x' }, 'pidStartTime: "x" is not a start time (clock ticks)'],
    ['another container\'s state', { ...good(), id: 'c2' }, 'id: is "c2", not "c1"'],
    ['a relative cgroup path', { ...good(), cgroupPaths: { pids: 'pids/c1' } }, 'cgroupPaths.pids: "pids/c1" is not a clean absolute path'],
    ['a cgroup path with ..', { ...good(), cgroupPaths: { pids: '/sys/fs/cgroup/pids/c1/../..' } }, 'cgroupPaths.pids: "/sys/fs/cgroup/pids/c1/../.." is not a clean absolute path'],
    ['no cgroup at all', { ...good(), cgroupPaths: {} }, 'cgroupPaths: must not be empty'],
    ['config not an object', { ...good(), config: [] }, 'config: must be an object'],
  ])('%s is refused', (_, doc, problem) => {
    expect(checkStoredState(doc, 'c1')).toBe(problem);
  });

  test('a valid state passes, extra fields included', () => {
    expect(checkStoredState({ ...good(), somethingNew: 1 }, 'c1')).toBeUndefined();
  });

  test('StateDir.read: not JSON, empty, or wrong: CorruptStateError naming the file and the fix', () => {
    const sd = new StateDir(dir, 'c1');
    fs.mkdirSync(sd.dir);
    for (const [text, problem] of [['', 'the file is empty'], ['{"id":"c1",', 'not JSON (truncated?)'], ['[1,2,3]', 'the document must be an object']]) {
      fs.writeFileSync(sd.stateFile, text);
      let err: unknown;
      try { sd.read(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CorruptStateError);
      expect((err as Error).message).toContain(`state.json of container c1 is corrupt: ${problem}`);
      expect((err as Error).message).toContain(`(${sd.stateFile}; \`delete --force c1\``);
      expect((err as CorruptStateError).text).toBe(text);
    }
    fs.writeFileSync(sd.stateFile, JSON.stringify(good()));
    expect(sd.read().pid).toBe(1234);
  });
});

describe('salvageState', () => {
  test('a truncated state still gives the init and the cgroups', () => {
    const text = JSON.stringify(good());
    expect(salvageState(text.slice(0, text.indexOf('"config"') + 5))).toEqual({
      pid: 1234, pidStartTime: '5678', cgroupPaths: good().cgroupPaths, cgroupCreated: good().cgroupCreated, newNamespaces: ['pid', 'mount'],
    });
  });

  test('nothing usable: nothing salvaged', () => {
    expect(salvageState('[1,2,3]')).toEqual({});
    expect(salvageState('{"pid":"12","cgroupPaths":{"pids":3}')).toEqual({});
    expect(salvageState('{"pid":1,')).toEqual({}); // never the host's init
  });
});

describe('StateDir.create and an aborted create\'s directory', () => {
  const old = new Date(Date.now() - 60_000);

  test('no state.json, unlocked, untouched for a while: taken over, emptied, locked', () => {
    const sd = new StateDir(dir, 'c1');
    fs.mkdirSync(path.join(sd.dir, 'notify'), { recursive: true });
    fs.writeFileSync(path.join(sd.dir, 'exec.fifo'), '');
    fs.utimesSync(sd.dir, old, old);
    sd.create();
    try {
      expect(fs.readdirSync(sd.dir)).toEqual([]);
      expect(fs.statSync(sd.dir).mode & 0o777).toBe(0o711);
    } finally {
      sd.unlock();
    }
  });

  test('with state.json, or just made (a create between mkdir and flock): already exists', () => {
    const a = new StateDir(dir, 'a');
    fs.mkdirSync(a.dir);
    fs.writeFileSync(a.stateFile, '{}');
    fs.utimesSync(a.dir, old, old);
    expect(() => a.create()).toThrow('container with given ID already exists');
    const b = new StateDir(dir, 'b');
    fs.mkdirSync(b.dir);
    expect(() => b.create()).toThrow('container with given ID already exists');
  });

  test('locked by another command at work: already exists, and its files are left alone', () => {
    const holder = new StateDir(dir, 'c1');
    holder.create();
    try {
      fs.writeFileSync(path.join(holder.dir, 'exec.fifo'), '');
      fs.utimesSync(holder.dir, old, old);
      // a second open file description: flock conflicts even within one process
      expect(() => new StateDir(dir, 'c1').create()).toThrow('container with given ID already exists');
      expect(fs.readdirSync(holder.dir)).toEqual(['exec.fifo']);
    } finally {
      holder.unlock();
    }
  });
});
