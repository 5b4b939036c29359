// bin/tsrun's shebang: NODE_EXTRA_CA_CERTS never reaches node (node parses the CA bundle at every
// start, ~30 ms idle; tsrun speaks no TLS). A path that does not exist makes node warn on
// stderr when it does read the variable, so a clean stderr proves the variable was dropped.
import { spawnSync } from 'child_process';
import { TSRUN } from '../helpers/harness';

test('NODE_EXTRA_CA_CERTS in the caller\'s environment is not read by tsrun', () => {
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/ca.pem' };
  const r = spawnSync(TSRUN, ['--root', '/nonexistent-root-for-list', 'list'], { env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // the control: node itself does read it (so the assertion above can fail)
  const n = spawnSync(process.execPath, ['-e', '0'], { env, encoding: 'utf8' });
  expect(n.stderr).toMatch(/Ignoring extra certs/);
});
