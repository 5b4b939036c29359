// create waits until the container's init blocks on exec.fifo (its earlier failures fail create);
// an init that died is described by its wait status.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { awaitFifoWait, describeWaitStatus } from '../../src/lifecycle/init-exit';

const addonBuilt = fs.existsSync(path.join(__dirname, '../../build/Release/tsrun.node'));

describe('wait statuses', () => {
  test('exit codes and signals, as waitpid reports them', () => {
    expect(describeWaitStatus(126 << 8)).toBe('exit status 126');
    expect(describeWaitStatus(9)).toBe('killed by signal SIGKILL');
    expect(describeWaitStatus(31)).toBe('killed by signal SIGSYS');
    expect(describeWaitStatus(0)).toBe('exit status 0');
  });
});

(addonBuilt ? describe : describe.skip)('awaitFifoWait (skipped before the addon is built)', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-fifo-wait-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('returns as soon as the process blocks opening a fifo, as tsrun-init does on exec.fifo', async () => {
    const fifo = path.join(dir, 'f');
    spawnSync('mkfifo', [fifo]);
    const p = spawn('sh', ['-c', `exec 3>${fifo}`], { stdio: 'ignore' });
    p.unref();
    const t0 = Date.now();
    await awaitFifoWait(p.pid!, 5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    // a kernel without /proc/PID/syscall (user-mode Linux) names no fifo symbol in wchan either
    if (fs.existsSync('/proc/self/syscall')) expect(fs.readFileSync(`/proc/${p.pid}/wchan`, 'utf8')).toMatch(/^(wait_for_partner|fifo_open)$/);
    else expect(fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8')).toMatch(/\) S /);
    p.kill('SIGKILL');
  });

  test('a process that died on the way is a create error, with its status when it can still be read', async () => {
    // awaitFifoWait reaps it (as create reaps the init): libuv must not wait for it too
    const p = spawn('sh', ['-c', 'exit 7'], { stdio: 'ignore' });
    p.unref();
    await expect(awaitFifoWait(p.pid!, 5000)).rejects.toThrow(/^the container's init exited during create( \(exit status 7\))?; tsrun-init's message is on the container's stderr$/);
  });

  test('a process blocked elsewhere only costs the bound', async () => {
    const p = spawn('sleep', ['5'], { stdio: 'ignore' });
    p.unref();
    const t0 = Date.now();
    await awaitFifoWait(p.pid!, 300);
    expect(Date.now() - t0).toBeLessThan(1500);
    p.kill('SIGKILL');
  });
});
