// Test-only fault injection: TSRUN_TEST_CRASH_AT=<phase> makes tsrun SIGKILL itself when it
// reaches that phase (e.g. `create:cloned`), as a shim does to a runtime whose call timed out.
// The fault suite (test/e2e/fault.test.ts) then checks that `delete --force` cleans up. Read
// once; unset (every normal run) it does nothing. The phases are listed in docs/crash-safety.md.
let target: string | undefined | null = null;

export function crashPoint(name: string): void {
  if (target === null) target = process.env.TSRUN_TEST_CRASH_AT || undefined;
  if (target === name) process.kill(process.pid, 'SIGKILL');
}
