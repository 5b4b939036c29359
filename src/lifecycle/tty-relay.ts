// A foreground run/exec with process.terminal and no --console-socket: tsrun holds the pty
// master and relays its own terminal (raw mode, window size changes) to it.
import fs = require('fs');
import type * as Tty from 'tty';
import { addon } from '../native/addon';

export interface Relay { stop(): void }

/** `winch`: follow this terminal's size changes (a SIGWINCH handler on the process). */
export function relayTerminal(master: number, winch: boolean): Relay {
  // loaded here, not at startup: `tty` pulls in net and stream (~6 ms) and only a relay needs it
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const tty = require('tty') as typeof Tty;
  const a = addon();
  const inTty = tty.isatty(0);
  const size = a.getWinsize(inTty ? 0 : 1);
  if (size) a.setWinsize(master, size.rows, size.cols);
  let input: NodeJS.ReadableStream | undefined;
  let ttyIn: Tty.ReadStream | undefined;
  if (inTty) {
    ttyIn = new tty.ReadStream(0);
    ttyIn.setRawMode(true);
    input = ttyIn;
  } else {
    input = fs.createReadStream('', { fd: 0, autoClose: false });
  }
  input.on('data', (d: Buffer) => { try { fs.writeSync(master, d); } catch { /* closed */ } });
  input.on('error', () => { /* stdin closed */ });
  // master -> stdout on a poll loop in the addon, in slices so signals and stdin still flow
  let stopped = false;
  const pump = () => {
    if (stopped) return;
    a.drainFd(master, 1, 0);
    setTimeout(pump, 10);
  };
  pump();
  const onWinch = () => {
    const s = a.getWinsize(inTty ? 0 : 1);
    if (s) a.setWinsize(master, s.rows, s.cols);
  };
  if (winch) process.on('SIGWINCH', onWinch);
  return {
    stop() {
      stopped = true;
      a.drainFd(master, 1, 100); // what the process wrote just before it exited
      if (winch) process.removeListener('SIGWINCH', onWinch);
      if (ttyIn) { ttyIn.setRawMode(false); ttyIn.pause(); }
      else (input as fs.ReadStream).destroy();
    },
  };
}

