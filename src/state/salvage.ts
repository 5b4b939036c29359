// What a corrupt or truncated state.json still says about the container, field by field from
// the text: enough for `delete --force` to find its init and cgroups. Everything salvaged is
// checked again before it is used (cgroup paths against the mounted hierarchies).
export interface Salvaged {
  pid?: number;
  pidStartTime?: string;
  cgroupPaths?: Record<string, string>;
  cgroupCreated?: string[];
  newNamespaces?: string[];
  /** A rootless container (its cgroupPaths may be empty: in no cgroup of its own). */
  rootless?: boolean;
}

function field(text: string, key: string, value: RegExp): unknown {
  const m = new RegExp(`"${key}":(${value.source})`).exec(text);
  if (!m) return undefined;
  try { return JSON.parse(m[1]); } catch { return undefined; }
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function salvageState(text: string): Salvaged {
  const out: Salvaged = {};
  // state.json is written compactly (no spaces), pid, pidStartTime, cgroupCreated, cgroupPaths and
  // newNamespaces first (create.ts): a text cut short keeps them as long as possible
  const pid = field(text, 'pid', /\d{1,7}/);
  if (typeof pid === 'number' && pid > 1) out.pid = pid;
  const started = field(text, 'pidStartTime', /"\d+"/);
  if (typeof started === 'string') out.pidStartTime = started;
  if (field(text, 'rootless', /true/) === true) out.rootless = true;
  const paths = field(text, 'cgroupPaths', /\{[^{}]*\}/);
  if (paths && typeof paths === 'object' && Object.values(paths).every((v) => typeof v === 'string') && (Object.keys(paths).length || out.rootless)) {
    out.cgroupPaths = paths as Record<string, string>;
  }
  const created = field(text, 'cgroupCreated', /\[[^[\]]*\]/);
  if (strings(created)) out.cgroupCreated = created;
  const ns = field(text, 'newNamespaces', /\[[^[\]]*\]/);
  if (strings(ns)) out.newNamespaces = ns;
  return out;
}
