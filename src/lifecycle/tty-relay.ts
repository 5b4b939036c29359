// A foreground run/exec with process.terminal and no --console-socket: tsrun holds the pty
// master and relays its own terminal (raw mode, window size changes) to it.
import * as fs from 'fs';
import * as tty from 'tty';
import { addon } from '../native/addon';

export interface Relay { stop(): void }

export function relayTerminal(master: number): Relay {
  const a = addon();
  const inTty = tty.isatty(0);
  const size = a.getWinsize(inTty ? 0 : 1);
  if (size) a.setWinsize(master, size.rows, size.cols);
  let input: NodeJS.ReadableStream | undefined;
  let ttyIn: tty.ReadStream | undefined;
  if (inTty) {
    ttyIn = new tty.ReadStream(0);
    ttyIn.setRawMode(true);
    input = ttyIn;
  } else {
    input = fs.createReadStream('', { fd: 0, autoClose: false });
  }
  input.on('data', (d: Buffer) => { try { fs.writeSync(master, d); } catch { /* closed */ } });
  input.on('error', () => { /* stdin closed */ });
  const output = fs.createReadStream('', { fd: master, autoClose: false, highWaterMark: 16384 });
  output.on('data', (d) => {
    let off = 0;
    const buf = d as Buffer;
    while (off < buf.length) {
      try { off += fs.writeSync(1, buf, off); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; }
    }
  });
  output.on('error', () => { /* EIO: the slave side closed */ });
  const winch = () => {
    const s = a.getWinsize(inTty ? 0 : 1);
    if (s) a.setWinsize(master, s.rows, s.cols);
  };
  process.on('SIGWINCH', winch);
  return {
    stop() {
      process.removeListener('SIGWINCH', winch);
      if (ttyIn) { ttyIn.setRawMode(false); ttyIn.pause(); }
      else (input as fs.ReadStream).destroy();
    },
  };
}

/** Wait until the master has no more output (the container's side closed), then stop. */
export async function drain(master: number, ms = 50): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  void master;
}
