// A busybox-static root filesystem for e2e tests, built once per test run.
import * as fs from 'fs';
import * as path from 'path';

const APPLETS = ['sh', 'true', 'false', 'echo', 'cat', 'sleep', 'ls', 'ps', 'id', 'hostname', 'mount', 'env', 'kill',
  'top', 'grep', 'sed', 'stat', 'touch', 'mkdir', 'rm', 'readlink', 'test', 'wc', 'head', 'tail', 'sort', 'cut',
  'domainname', 'umask', 'nproc', 'uname', 'dd', 'ln', 'chmod', 'awk', 'tr', 'printf', 'timeout', 'xargs', 'find'];

export const BUSYBOX = process.env.BUSYBOX ?? '/bin/busybox';

export function makeRootfs(dir: string): string {
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} missing: apt-get install busybox-static`);
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'home/user']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  for (const a of APPLETS) {
    const l = path.join(dir, 'bin', a);
    if (!fs.existsSync(l)) fs.symlinkSync('busybox', l);
  }
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nuser:x:1000:\n');
  return dir;
}
