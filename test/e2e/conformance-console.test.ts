// Conformance (issue 12): the terminal tsrun relays itself (foreground run -t, exec -t without
// --console-socket) does not turn the container's "\n" into "\r\n": ONLCR is cleared on the pty,
// as runc's console.ClearONLCR does. Only the caller's own terminal, if any, translates.
import { spawnSync } from 'child_process';
import { binary, Bundle, describeRoot, RUNC, rt, Runtime, stateRoot, uniqueId, useLeakChecks, which } from '../helpers/harness';

const SCRIPT = which('script');

describeRoot('conformance: a relayed terminal keeps "\\n"', () => {
  useLeakChecks();

  test('run -t in the foreground, output to a file: "\\n" as the process wrote it', () => {
    const b = new Bundle((c) => { c.process.terminal = true; }).args('sh', '-c', 'printf "a\\nb\\n"');
    const r = rt('tsrun', ['run', '--bundle', b.dir, uniqueId()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a\nb\n');
  });

  test('exec -t in the foreground', () => {
    const b = new Bundle().args('sleep', '100');
    const id = uniqueId();
    expect(rt('tsrun', ['run', '-d', '--bundle', b.dir, id]).code).toBe(0);
    try {
      // the master is received once the process runs (as in runc): it waits a little first
      const r = rt('tsrun', ['exec', '-t', id, 'sh', '-c', 'sleep 0.5; printf "a\\nb\\n"']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('a\nb\n');
    } finally {
      rt('tsrun', ['delete', '-f', id]);
    }
  });

  (SCRIPT && RUNC ? test : test.skip)('run -t on the caller\'s own terminal (script(1)): the same bytes as runc', () => {
    const b = new Bundle((c) => { c.process.terminal = true; }).args('sh', '-c', 'printf "a\\nb\\n"');
    const out = (r: Runtime) => {
      const cmd = `${binary(r)} --root ${stateRoot(r)} run --bundle ${b.dir} ${uniqueId(r)}`;
      const res = spawnSync(SCRIPT!, ['-qec', cmd, '/dev/null'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
      return res.stdout.replace(/^\^@/, ''); // runc's NUL to the terminal, echoed by it as ^@
    };
    const runc = out('runc');
    expect(runc).toBe('a\r\nb\r\n'); // one translation: the outer terminal's
    expect(out('tsrun')).toBe(runc);
  });
});
