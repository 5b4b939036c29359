// A console socket like containerd's and conmon's: accepts one connection and receives the
// pty master sent with SCM_RIGHTS.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { addon } from '../../src/native/addon';
import { uniqueId, work } from './harness';

export interface ConsoleSocket { path: string; master(): Promise<number>; close(): void }

export function consoleSocket(): ConsoleSocket {
  const p = path.join(work(), `${uniqueId('cs')}.sock`);
  let resolveFd: (fd: number) => void;
  let rejectFd: (e: Error) => void;
  const got = new Promise<number>((res, rej) => { resolveFd = res; rejectFd = rej; });
  const server = net.createServer({ pauseOnConnect: true }, (conn) => {
    const fd = (conn as unknown as { _handle: { fd: number } })._handle.fd;
    try { resolveFd(addon().recvFd(fd, 10_000)); } catch (e) { rejectFd(e as Error); }
    conn.destroy();
  });
  server.listen(p);
  return {
    path: p,
    master: () => got,
    close: () => { server.close(); fs.rmSync(p, { force: true }); },
  };
}

/** Read from a pty master until `pattern` shows up (or the timeout). */
export function readUntil(master: number, pattern: RegExp, timeoutMs = 5000): string {
  const deadline = Date.now() + timeoutMs;
  let out = '';
  const buf = Buffer.alloc(4096);
  while (Date.now() < deadline && !pattern.test(out)) {
    try {
      const n = fs.readSync(master, buf, 0, buf.length, null);
      if (n === 0) break;
      out += buf.subarray(0, n).toString();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); continue; }
      break; // EIO: the other side closed
    }
  }
  return out;
}
