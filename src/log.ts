// --log / --log-format: one line per event, text (logrus style) or JSON {level,msg,time}.
// Everything is written with fs.writeSync: stdio stays untouched (libuv would make it
// non-blocking, and the container shares those file descriptions).
import fs = require('fs');

export type Level = 'debug' | 'info' | 'warning' | 'error';

let logFd = -1;
let format: 'text' | 'json' = 'text';
let debugOn = false;

export function configureLog(opts: { log?: string; logFormat?: string; debug?: boolean }): void {
  format = opts.logFormat === 'json' ? 'json' : 'text';
  debugOn = !!opts.debug;
  if (opts.log) {
    logFd = fs.openSync(opts.log, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_SYNC, 0o644);
  }
}

function rfc3339(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const local = new Date(d.getTime() + off * 60000);
  return local.toISOString().slice(0, 19) + tz;
}

const HTML = /[<>&]/g;
const HTML_ESC: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/** logrus' text and JSON formatters, as runc configures them. */
export function formatLine(level: Level, msg: string, time = new Date()): string {
  if (format === 'json') return JSON.stringify({ level, msg, time: rfc3339(time) }).replace(HTML, (c) => HTML_ESC[c]) + '\n';
  const value = /^[A-Za-z0-9\-._/@^+]+$/.test(msg) ? msg : JSON.stringify(msg);
  return `time="${rfc3339(time)}" level=${level} msg=${value}\n`;
}

/** runc's fatal(): the log line goes to the log (stderr without --log); with --log the bare message also goes to stderr. */
export function fatal(msg: string): void {
  if (logFd >= 0) {
    try { fs.writeSync(logFd, formatLine('error', msg)); } catch { /* best effort */ }
    writeErr(msg + '\n');
  } else {
    writeErr(formatLine('error', msg));
  }
}

export function log(level: Level, msg: string): void {
  if (level === 'debug' && !debugOn) return;
  if (logFd >= 0) {
    try { fs.writeSync(logFd, formatLine(level, msg)); } catch { /* the log is best effort */ }
  } else {
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
