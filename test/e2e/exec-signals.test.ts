// A foreground exec is signalled by its caller at any moment, also before tsrun knows the pid
// of the process it starts (a shim's timeout, ^C at once): the signal reaches the process and
// tsrun exits with the process's status, never killed by the signal itself while its process
// runs on unwatched.
import { spawn } from 'child_process';
import { Bundle, describeRoot, runDetached, sleepMs, stateRoot, TSRUN, tsrun, uniqueId, useLeakChecks } from '../helpers/harness';

describeRoot('exec: signals that arrive while the process is being started', () => {
  useLeakChecks();

  test.each([10, 20, 30, 40, 60, 80])('SIGTERM %i ms after exec starts: forwarded, or tsrun died before the process existed', async (delayMs) => {
    const id = uniqueId();
    runDetached(new Bundle().args('sleep', '30'), id);
    try {
      const child = spawn(TSRUN, ['--root', stateRoot('tsrun'), 'exec', id, 'sleep', '10'], { stdio: 'ignore' });
      sleepMs(delayMs);
      child.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.on('exit', (c, s) => res([c, s])));
      // killed by it: only while Node was still loading, before any process was started (the
      // container holds nothing but its init); else the process got it and its status is ours
      if (signal !== 'SIGTERM') expect(code).toBe(128 + 15);
      sleepMs(100);
      const ps = JSON.parse(tsrun(['ps', '--format', 'json', id]).stdout) as number[];
      expect(ps.length).toBe(1);
    } finally {
      expect(tsrun(['delete', '-f', id]).code).toBe(0);
    }
  });
});
