// Read a bundle's config.json: int64-exact values, checked by the precompiled validator.
import fs = require('fs');
import path = require('path');
import type { Spec } from './config-types';
import { ConfigError } from '../errors';
import { parseJson } from './json-int64';
import { validateConfig, validateForCreate, type ValidateOptions } from './validate';

/** The most tsrun reads of config.json or a process.json (runc has no cap; a real one is a few KiB). */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

const O_PATH = 0o10000000;

/**
 * The text of a JSON document the caller names (config.json, `exec --process`): symlinks are
 * followed, as runc does, but only a regular file is read, and at most MAX_DOCUMENT_BYTES.
 * Threats: a path to /dev/zero (a read without end), a fifo (an open that blocks), a device
 * whose open has an effect (a watchdog, a tape). The path is opened O_PATH, which runs no
 * driver's open and never blocks; fstat of that fd decides; the file read is that same inode,
 * reopened through /proc/self/fd (a rename of the path in between changes nothing). Throws
 * an Error whose message is the problem, for the caller to prefix with the file's name.
 */
export function readDocument(file: string): string {
  const pathFd = fs.openSync(file, O_PATH); // libuv adds O_CLOEXEC to every open
  try {
    const st = fs.fstatSync(pathFd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_DOCUMENT_BYTES) throw tooLarge(st.size);
    let fd: number;
    try {
      fd = fs.openSync(`/proc/self/fd/${pathFd}`, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
    } catch (e) {
      // no errno code passed on: an ENOENT here (no /proc) must not read as "config.json not found"
      throw new Error(`reopening it through /proc/self/fd: ${(e as Error).message}`);
    }
    try {
      // st.size is a hint only (0 for procfs files; the file may grow): read until EOF or over the cap
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const want = Math.min(MAX_DOCUMENT_BYTES + 1 - total, Math.max(st.size + 1 - total, 64 * 1024));
        const buf = Buffer.allocUnsafe(want);
        const n = fs.readSync(fd, buf, 0, want, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
        if (total > MAX_DOCUMENT_BYTES) throw tooLarge();
      }
      return Buffer.concat(chunks, total).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.closeSync(pathFd);
  }
}

function tooLarge(size?: number): Error {
  return new Error(`larger than 16 MiB${size === undefined ? '' : ` (${size} bytes)`}, the most tsrun reads`);
}

/** <bundle>/config.json, validated for create (`forCreate`: what create needs beyond a valid document too). */
export function loadSpec(bundle: string, opts: ValidateOptions & { forCreate?: boolean } = {}): Spec {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = readDocument(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('', 'JSON specification file config.json not found');
    throw new ConfigError('', code ? `${file}: ${String(e)}` : `config.json: ${(e as Error).message}`);
  }
  return parseSpec(text, file, opts);
}

/** A config.json text, parsed and validated as create validates it (ConfigError naming the field). */
export function parseSpec(text: string, file = 'config.json', opts: ValidateOptions & { forCreate?: boolean } = {}): Spec {
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (e) {
    throw new ConfigError('', `${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (opts.forCreate) validateForCreate(doc, opts);
  else validateConfig(doc, opts);
  return doc as Spec;
}
