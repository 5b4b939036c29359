// --log / --log-format: one line per event, text (logrus style) or JSON {level,msg,time}.
// Everything is written with fs.writeSync: stdio stays untouched (libuv would make it
// non-blocking, and the container shares those file descriptions).
import fs = require('fs');

export type Level = 'debug' | 'info' | 'warning' | 'error';
/** Extra key=value pairs of a line (logrus fields): sorted after msg (text) or into the object (json). */
export type Fields = Record<string, string | number | boolean>;

let logFd = -1;
let format: 'text' | 'json' = 'text';
let debugOn = false;

/** Where a library caller's log lines go: one call per line, unformatted. */
export type Logger = (level: Level, msg: string, fields?: Fields) => void;
// The library writes nothing to its host's stderr: lines go to the logger set by setLogger(),
// or nowhere (errors are thrown). The CLI (configureLog) writes them to stderr or --log.
let sink: Logger | 'stderr' | null = null;

/** The library's logger (null: silent, the default). `debug` also passes debug lines (and enables the tracing that makes them). */
export function setLogger(fn: Logger | null, opts: { debug?: boolean } = {}): void {
  sink = fn;
  debugOn = !!fn && !!opts.debug;
}

/** Sets the format first: an error opening the log file is then reported in the format asked for. */
export function setLogFormat(f: string | undefined): void {
  format = f === 'json' ? 'json' : 'text';
}

export function configureLog(opts: { log?: string; logFormat?: string; debug?: boolean }): void {
  sink = 'stderr';
  setLogFormat(opts.logFormat);
  debugOn = !!opts.debug;
  if (opts.log) {
    logFd = fs.openSync(opts.log, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_SYNC, 0o644);
  }
}

export function debugEnabled(): boolean { return debugOn; }

function rfc3339(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const tz = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const local = new Date(d.getTime() + off * 60000);
  return local.toISOString().slice(0, 19) + tz;
}

// Go's encoding/json also escapes these (HTML-safe output, and U+2028/9 for JavaScript)
const JSON_EXTRA = /[<>&\u2028\u2029]/g;
const hex = (c: string, w: number) => c.codePointAt(0)!.toString(16).padStart(w, '0');
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const GO_ESC: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** Go's strconv.Quote (what logrus' %q puts in a text line): control characters escaped, never a raw newline. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    if (GO_ESC[c]) out += GO_ESC[c];
    else if (PRINTABLE.test(c)) out += c;
    else if (c.codePointAt(0)! < 0x80) out += `\\x${hex(c, 2)}`;
    else if (c.codePointAt(0)! < 0x10000) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return out + '"';
}

/** logrus' TextFormatter: a value is quoted unless it is only [A-Za-z0-9-._/@^+]. */
function textValue(v: string | number | boolean): string {
  const s = String(v);
  return /^[A-Za-z0-9\-._/@^+]+$/.test(s) ? s : goQuote(s);
}

/** logrus' text and JSON formatters, as runc configures them. One line, always. */
export function formatLine(level: Level, msg: string, time = new Date(), fields: Fields = {}): string {
  const keys = Object.keys(fields).filter((k) => !['time', 'level', 'msg'].includes(k)).sort();
  if (format === 'json') {
    const obj: Record<string, unknown> = { level, msg, time: rfc3339(time) };
    for (const k of keys) obj[k] = fields[k];
    const sorted = Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
    return JSON.stringify(sorted).replace(JSON_EXTRA, (c) => `\\u${hex(c, 4)}`) + '\n';
  }
  return `time="${rfc3339(time)}" level=${level} msg=${textValue(msg)}${keys.map((k) => ` ${k}=${textValue(fields[k])}`).join('')}\n`;
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

export function log(level: Level, msg: string, fields?: Fields): void {
  if (level === 'debug' && !debugOn) return;
  if (sink === null) return;
  if (typeof sink === 'function') {
    try { sink(level, msg, fields); } catch { /* a throwing logger must not fail the operation */ }
    return;
  }
  if (logFd >= 0) {
    try { fs.writeSync(logFd, formatLine(level, msg, undefined, fields)); } catch { /* the log is best effort */ }
  } else {
    writeErr(formatLine(level, msg, undefined, fields));
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
