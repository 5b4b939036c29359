// update: change a running container's resources (runc's flags, or a JSON file / stdin),
// apply them to its cgroups and keep them in its state.
import fs = require('fs');
import { StatusError, TsrunError } from '../errors';
import type { LinuxResources } from '../spec/config-types';
import { lossy, parseJson } from '../spec/json-int64';
import { Container } from './container';
import { GlobalOptions } from './options';

export interface UpdateOptions extends GlobalOptions {
  /** --resources FILE ("-": stdin): a linux.resources JSON object. */
  resourcesFile?: string;
  /** Values from the individual flags, already in config.json's shape. */
  resources?: LinuxResources;
}

/** Deep merge: fields of `b` replace those of `a`, objects merge, arrays replace. */
export function mergeResources(a: LinuxResources | undefined, b: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...(a ?? {}) };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? { ...(prev as object), ...(v as object) } : v;
  }
  return out as LinuxResources;
}

export function readResources(file: string): LinuxResources {
  let text: string;
  try { text = fs.readFileSync(file === '-' ? 0 : file, 'utf8'); }
  catch (e) { throw new TsrunError(`--resources ${file}: ${(e as Error).message}`); }
  let doc: unknown;
  try { doc = parseJson(text); } catch (e) { throw new TsrunError(`--resources ${file}: invalid JSON: ${(e as Error).message}`); }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new TsrunError(`--resources ${file}: must be a JSON object (linux.resources)`);
  void lossy;
  return doc as LinuxResources;
}

/** Applies new linux.resources (merged into the recorded ones) to a container's cgroups and keeps them in its state; StatusError once it has stopped. */
export async function update(id: string, opts: UpdateOptions): Promise<void> {
  const c = await Container.open(id, opts);
  try {
    if (c.status() === 'stopped') throw new StatusError('container not running', 'stopped');
    let r: LinuxResources = {};
    if (opts.resourcesFile) r = readResources(opts.resourcesFile);
    if (opts.resources) r = mergeResources(r, opts.resources);
    r = withSwapLifted(r);
    const merged = mergeResources(c.state.config.linux?.resources, r);
    c.cgroup.setResources(merged, c.state.config.linux?.devices);
    c.state.config.linux = { ...(c.state.config.linux ?? {}), resources: merged };
    c.sd.write(c.state);
  } finally {
    c.sd.unlock();
  }
}

/**
 * runc update: a memory limit of -1 with no swap limit given lifts the swap limit too (memsw -1,
 * written first: the kernel keeps limit <= memsw). Without this the container's earlier swap
 * limit would stay, below the new unlimited memory limit, and the kernel refuses that (EINVAL).
 */
export function withSwapLifted(r: LinuxResources): LinuxResources {
  const m = r.memory;
  if (!m || m.limit === undefined || BigInt(m.limit) !== -1n || (m.swap !== undefined && BigInt(m.swap) !== 0n)) return r;
  return { ...r, memory: { ...m, swap: -1 } };
}

/** Sizes as runc's flags take them: 1024, 512k, 64m, 1g (binary units), -1. */
export function parseSize(v: string, flag: string): number | bigint {
  const m = /^(-?\d+)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) throw new TsrunError(`invalid value for --${flag}: ${v}`);
  const mult = 1024n ** BigInt(' kmgtp'.indexOf((m[2] || ' ').toLowerCase()));
  const n = BigInt(m[1]) * mult;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
