// The state dir's files under attack, without root: pid-file and state.json temp files with
// planted symlinks.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../../src/state/atomic';
import { writePidFile } from '../../src/state/pid-file';

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
