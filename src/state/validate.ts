// state.json against schemas/state-stored.schema.json (precompiled into
// generated/state-validator.js by scripts/build-validators.mjs), plus what the schema does not
// say readably: the start time's digits, clean absolute cgroup paths, and that it is this
// container's.
import type { ValidateFunction } from '../../generated/state-validator';
import { isCleanAbsolute } from '../cgroups/fsutil';

let validator: ValidateFunction | undefined;

/** The config validation's message helpers: loaded only when something is wrong. */
function messages() {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { pickSchemaError, pointerSegments, schemaErrorText } = require('../spec/validate') as typeof import('../spec/validate');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { fieldPath } = require('../spec/semantic') as typeof import('../spec/semantic');
  return { pickSchemaError, pointerSegments, schemaErrorText, fieldPath };
}

function load(): ValidateFunction {
  // a literal require: esbuild bundles the generated module (small: not the config validators)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  validator ??= (require('../../generated/state-validator') as { validateStoredState: ValidateFunction }).validateStoredState;
  return validator;
}

/** What is wrong with `doc` as the stored state of container `id` (`field: problem`), or undefined. */
export function checkStoredState(doc: unknown, id: string): string | undefined {
  const v = load();
  if (!v(doc)) {
    const { pickSchemaError, pointerSegments, schemaErrorText, fieldPath } = messages();
    const { error, types } = pickSchemaError(v.errors ?? []);
    const segs = pointerSegments(error.instancePath);
    if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') segs.push(error.params.missingProperty);
    const field = fieldPath('', ...segs);
    const problem = schemaErrorText(error, types);
    return field ? `${field}: ${problem}` : `the document ${problem}`;
  }
  const s = doc as { id: string; pidStartTime: string; cgroupPaths: Record<string, string>; cgroupCreated: string[]; rootless?: boolean };
  if (s.id !== id) return `id: is ${JSON.stringify(s.id)}, not ${JSON.stringify(id)}`;
  if (!/^\d+$/.test(s.pidStartTime)) return `pidStartTime: ${JSON.stringify(s.pidStartTime)} is not a start time (clock ticks)`;
  // empty only for a rootless container whose user could join no cgroup (cgroups/rootless.ts)
  if (!Object.keys(s.cgroupPaths).length && s.rootless !== true) return 'cgroupPaths: must not be empty';
  for (const [key, dir] of Object.entries(s.cgroupPaths)) {
    if (!isCleanAbsolute(dir)) return `${messages().fieldPath('cgroupPaths', key)}: ${JSON.stringify(dir)} is not a clean absolute path`;
  }
  for (const [i, dir] of s.cgroupCreated.entries()) {
    if (!isCleanAbsolute(dir)) return `cgroupCreated[${i}]: ${JSON.stringify(dir)} is not a clean absolute path`;
  }
  return undefined;
}
