// Test-only fault injection: TSRUN_TEST_CRASH_AT=<phase> makes tsrun SIGKILL itself when it
// reaches that phase (e.g. `create:cloned`), as a shim does to a runtime whose call timed out;
// TSRUN_TEST_PAUSE_AT=<phase>:<ms> makes it stop there for ms (a preempted or slow caller, so a
// test can place another command inside the window). The fault suite (test/e2e/fault.test.ts)
// then checks that `delete --force` cleans up and concurrent commands stay consistent. Read
// once; unset (every normal run) they do nothing. The phases are listed in docs/crash-safety.md.
import { sleepMs } from '../waits';

let target: string | undefined | null = null;
let pause: { at: string; ms: number } | undefined | null = null;

export function crashPoint(name: string): void {
  if (target === null) target = process.env.TSRUN_TEST_CRASH_AT || undefined;
  if (pause === null) {
    const m = /^(.+):(\d+)$/.exec(process.env.TSRUN_TEST_PAUSE_AT ?? '');
    pause = m ? { at: m[1], ms: Number(m[2]) } : undefined;
  }
  if (target === name) process.kill(process.pid, 'SIGKILL');
  if (pause?.at === name) sleepMs(pause.ms);
}
