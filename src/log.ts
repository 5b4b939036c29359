// --log / --log-format: one line per event, text (logrus style) or JSON {level,msg,time}.
// Everything is written with fs.writeSync: stdio stays untouched (libuv would make it
// non-blocking, and the container shares those file descriptions).
import * as fs from 'fs';

export type Level = 'debug' | 'info' | 'warning' | 'error';

let logFd = -1;
let format: 'text' | 'json' = 'text';
let debugOn = false;

export function configureLog(opts: { log?: string; logFormat?: string; debug?: boolean }): void {
  format = opts.logFormat === 'json' ? 'json' : 'text';
  debugOn = !!opts.debug;
  if (opts.log) {
    try { logFd = fs.openSync(opts.log, 'a', 0o644); } catch { logFd = -1; }
  }
}

function rfc3339(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const local = new Date(d.getTime() + off * 60000);
  return local.toISOString().slice(0, 19) + tz;
}

export function formatLine(level: Level, msg: string, time = new Date()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time: rfc3339(time) }) + '\n';
  return `time="${rfc3339(time)}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export function log(level: Level, msg: string): void {
  if (level === 'debug' && !debugOn) return;
  if (logFd >= 0) {
    try { fs.writeSync(logFd, formatLine(level, msg)); } catch { /* the log is best effort */ }
  } else if (level !== 'error') {
    writeErr(formatLine(level, msg));
  }
}

export function writeOut(s: string): void { writeAll(1, s); }
export function writeErr(s: string): void { writeAll(2, s); }

function writeAll(fd: number, s: string): void {
  const buf = Buffer.from(s);
  let off = 0;
  while (off < buf.length) {
    try { off += fs.writeSync(fd, buf, off); }
    catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; }
  }
}
