// The freezer's polling waits are written once (a generator of sleeps, src/waits.ts Waits)
// and driven two ways: blocking (the CLI) and on timers (the library's pause and resume, whose
// caller's event loop must keep running while a freeze stalls; issue 16). Fixture dirs stand in
// for cgroups: cgroup.events that never changes is a freeze that never completes.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freezeV2Waits, thawV2Waits } from '../../src/cgroups/controllers/v2';
import { waitAsync, waitSync } from '../../src/waits';

/** The largest gap between ticks of a 1 ms interval while `fn` runs. */
async function maxTimerGap(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let max = 0;
  const iv = setInterval(() => { const now = performance.now(); max = Math.max(max, now - last); last = now; }, 1);
  try {
    await fn();
  } catch { /* measured either way */ } finally {
    clearInterval(iv);
  }
  return Math.max(max, performance.now() - last);
}

describe('freezer waits', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freezer-'));
    fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '0\n');
    fs.writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('v2, a freeze that never completes: waitAsync keeps the event loop running and times out; waitSync blocks it', async () => {
    const t0 = performance.now();
    const gapAsync = await maxTimerGap(() => expect(waitAsync(freezeV2Waits(dir, 1000))).rejects.toThrow(/timed out after 1000ms waiting for .*cgroup.events to show "frozen 1"/));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    // the failed freeze is undone
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8')).toBe('0');
    // half the timeout: a blocked loop misses it all; a slow guest's jitter (220 ms seen under
    // user-mode Linux) does not
    expect(gapAsync).toBeLessThan(500);
    const gapSync = await maxTimerGap(async () => waitSync(freezeV2Waits(dir, 1000)));
    expect(gapSync).toBeGreaterThanOrEqual(990);
  });

  test('v2, a freeze the kernel reports done: both drivers return, the file written', async () => {
    fs.writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    await waitAsync(freezeV2Waits(dir, 300));
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8')).toBe('1');
    fs.writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    waitSync(thawV2Waits(dir, 300));
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8')).toBe('0');
  });
});
