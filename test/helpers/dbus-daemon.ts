// A private dbus-daemon (session type, EXTERNAL auth, everything allowed) for the D-Bus tests.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const DBUS_DAEMON = ['/usr/bin/dbus-daemon', '/bin/dbus-daemon'].find((p) => fs.existsSync(p));

/** Starts the daemon listening on DIR/bus; resolves once it accepts connections. */
export async function startDbusDaemon(dir: string): Promise<{ daemon: ChildProcess; sock: string }> {
  const sock = path.join(dir, 'bus');
  const conf = path.join(dir, 'bus.conf');
  fs.writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=${sock}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/><allow user="*"/></policy></busconfig>`);
  const daemon = spawn(DBUS_DAEMON!, ['--config-file', conf, '--nofork', '--nopidfile', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Ordering: ready once it prints its address, which it does after listen(). The socket file is
  // there from bind() on, and a connect in between is refused (seen under load).
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('dbus-daemon printed no address within 20 s')), 20_000);
    daemon.stdout!.on('data', (d) => { if (String(d).includes('\n')) { clearTimeout(t); resolve(); } });
    daemon.on('exit', (code, sig) => { clearTimeout(t); reject(new Error(`dbus-daemon exited (${code ?? sig}) before it listened`)); });
  });
  if (!fs.existsSync(sock)) throw new Error(`dbus-daemon printed its address but ${sock} does not exist`);
  return { daemon, sock };
}
