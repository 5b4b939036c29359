// Validation of config.json, exec process.json and state.json documents.
//
// Runs the ajv validators precompiled by scripts/build-validators.mjs (generated/, nothing is
// compiled at run time), then the semantic checks of ./semantic. Failures throw ConfigError
// naming the field: `linux.namespaces[2].type: must be one of pid, network, ...`.
//
// Callers hand over the document as parseJson (./json-int64) read it, with int64/uint64 values
// beyond 2^53 as bigint. The schema validators see lossy()'s copy, each bigint rounded toward
// -infinity, which keeps the schema's 64-bit range checks exact (see lossy); the semantic checks
// see the exact document.

import { ConfigError } from '../errors';
import type { Process, Spec, State } from './config-types';
import { lossy } from './json-int64';
import { log } from '../log';
import { type CheckOptions, checkCreatable, fieldPath, semanticCheck, semanticCheckProcess } from './semantic';

export type ValidateOptions = CheckOptions;

/**
 * Findings that do not stop a container go to the log like every other warning (runc:
 * logrus.Warn), whoever validates: the CLI, a library caller's opts.spec, exec's process.
 */
function withLogWarnings(opts: ValidateOptions): Required<ValidateOptions> {
  return { ...opts, warn: opts.warn ?? ((m: string) => log('warning', m)) };
}

/** The subset of an ajv error object used here (see generated/validators.d.ts). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
  /** Set when the error is about a key of a map (propertyNames). */
  propertyName?: string;
}

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}

interface Validators {
  validateConfig: ValidateFunction;
  validateState: ValidateFunction;
  validateProcess: ValidateFunction;
}

let validators: Validators | undefined;

function loadValidators(): Validators {
  if (!validators) {
    try {
      // A literal require so esbuild bundles the generated module into the runtime.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      validators = require('../../generated/validators') as Validators;
    } catch (e) {
      throw new Error(`precompiled validators missing (run "npm run build:validators"): ${(e as Error).message}`);
    }
  }
  return validators;
}

/**
 * Removes every object member whose value is null, in place: runc decodes config.json with Go's
 * encoding/json, for which a null leaves the field at its zero value, i.e. as if it were absent
 * (`"timeOffsets": null`, `"seccomp": null`). A required field that is null is then reported
 * missing. Array elements are left alone (a null in a list stays an error).
 */
export function dropNulls(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) dropNulls(x);
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (o[k] === null) delete o[k];
      else dropNulls(o[k]);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Public API

/**
 * Validates a config.json as parseJson read it (64-bit integers exact, as bigint): schema, then
 * semantic checks. Throws ConfigError. A JSON.parse'd document has already lost the difference
 * between 2^63-1 and 2^63: its 9223372036854775807 is refused as out of range.
 */
export function validateConfig(doc: unknown, opts: ValidateOptions = {}): asserts doc is Spec {
  dropNulls(doc);
  const v = loadValidators().validateConfig;
  if (!v(lossy(doc))) throw schemaErrorToConfigError(v.errors ?? [], '');
  semanticCheck(doc as Spec, withLogWarnings(opts));
}

/**
 * validateConfig, then what create needs beyond a valid document (a process, a root, a mount
 * namespace for what mounts): every create, from config.json or a library caller's spec.
 */
export function validateForCreate(doc: unknown, opts: ValidateOptions = {}): asserts doc is Spec {
  validateConfig(doc, opts);
  checkCreatable(doc);
}

/**
 * Validates a process object as parseJson read it, e.g. the `exec --process` process.json, or
 * one built from exec's flags. `base` is the field name errors are reported under
 * (`process.args: must not be empty`).
 */
export function validateProcess(doc: unknown, base = 'process', opts: ValidateOptions = {}): asserts doc is Process {
  dropNulls(doc);
  const v = loadValidators().validateProcess;
  if (!v(lossy(doc))) throw schemaErrorToConfigError(v.errors ?? [], base);
  semanticCheckProcess(doc as Process, base, withLogWarnings(opts));
}

/** Validates a runtime state document (schema only). Throws ConfigError. */
export function validateState(doc: unknown, base = 'state'): asserts doc is State {
  const v = loadValidators().validateState;
  if (!v(lossy(doc))) throw schemaErrorToConfigError(v.errors ?? [], base);
}

// ---------------------------------------------------------------------------------------
// Error rendering

const COMBINATORS = new Set(['anyOf', 'oneOf', 'allOf', 'if', 'not', '$ref']);
const KEYWORD_PRIORITY: Record<string, number> = { required: 0, dependencies: 1, enum: 2, const: 3, type: 4 };

const TYPE_TEXT: Record<string, string> = {
  string: 'a string',
  integer: 'integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** schemas/defs-types.json#/definitions/ociVersion pattern. */
const SEMVER_PATTERN =
  '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

/** Integer types of schemas/defs-types.json with their exact bounds (for messages). */
const INT_TYPES: Record<string, [string, string]> = {
  int32: ['-2147483648', '2147483647'],
  int64: ['-9223372036854775808', '9223372036854775807'],
  uint8: ['0', '255'],
  uint16: ['0', '65535'],
  uint32: ['0', '4294967295'],
  uint64: ['0', '18446744073709551615'],
  memoryLimit: ['-1', '9223372036854775807'],
  id: ['0', '2147483647'],
};

/** runc's words for a uid or gid out of range (libcontainer/user ErrRange). */
export const ID_RANGE_TEXT = 'uids and gids must be in range 0-2147483647';

/** scripts/build-validators.mjs adds it to every string and map key (issue 11 #12). */
const NUL_FREE_PATTERN = '^[^\\u0000]*$';

const PATTERN_TEXT: Record<string, string> = {
  [NUL_FREE_PATTERN]: 'contains a NUL byte',
  [SEMVER_PATTERN]: 'must be a SemVer 2.0.0 version such as 1.0.2',
  '^CAP_[A-Z_]+$': 'must be a capability name like CAP_CHOWN',
  '^RLIMIT_[A-Z]+$': 'must be an rlimit name like RLIMIT_NOFILE',
  '^[rwm]*$': 'must be a combination of r, w and m',
  '^[1-9][0-9]*[KMGTPE]?B$': 'must be a page size like 64KB, 2MB or 1GB',
  '^[A-Za-z0-9_+.-]+$': 'must contain only letters, digits, _, +, . and -',
};

/** Decodes an ajv instancePath ("/linux/namespaces/2/type") into segments. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Field segments an error is about (the missing property for required/dependencies). */
function errorSegments(e: SchemaError): (string | number)[] {
  const segs = pointerSegments(e.instancePath);
  if ((e.keyword === 'required' || e.keyword === 'dependencies') && typeof e.params.missingProperty === 'string') {
    segs.push(e.params.missingProperty);
  }
  if (typeof e.propertyName === 'string') segs.push(e.propertyName);
  return segs;
}

/** Picks the single most useful error out of what ajv reported. */
export function pickSchemaError(errors: SchemaError[]): { error: SchemaError; types?: string[] } {
  if (errors.length === 0) {
    return { error: { instancePath: '', schemaPath: '', keyword: 'unknown', params: {}, message: 'is invalid' } };
  }
  const concrete = errors.filter((e) => !COMBINATORS.has(e.keyword));
  if (concrete.length === 0) return { error: errors[0] };
  const depth = (e: SchemaError) => errorSegments(e).length;
  const maxDepth = Math.max(...concrete.map(depth));
  const deepest = concrete.filter((e) => depth(e) === maxDepth);
  // anyOf over several types at one place: "must be a string or an array".
  if (deepest.length > 1 && deepest.every((e) => e.keyword === 'type' && e.instancePath === deepest[0].instancePath)) {
    const types = [...new Set(deepest.flatMap((e) => String(e.params.type).split(',')))];
    return { error: deepest[0], types };
  }
  const prio = (e: SchemaError) => KEYWORD_PRIORITY[e.keyword] ?? 10;
  const best = deepest.reduce((a, b) => (prio(b) < prio(a) ? b : a));
  return { error: best };
}

function typeText(types: string[]): string {
  return 'must be ' + types.map((t) => TYPE_TEXT[t] ?? t).join(' or ');
}

function intTypeOf(e: SchemaError): string | undefined {
  const m = /\/definitions\/([A-Za-z0-9]+)\/(minimum|maximum|exclusiveMinimum|exclusiveMaximum)$/.exec(e.schemaPath);
  return m && m[1] in INT_TYPES ? m[1] : undefined;
}

function formatLimit(n: number): string {
  // Doubles beyond 2^53 are integers: print them exactly (2^63 as 9223372036854775808).
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}

/** Renders one schema error as `problem` text (without the field). */
export function schemaErrorText(e: SchemaError, types?: string[]): string {
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'dependencies':
      return `is required when ${p.property} is set`;
    case 'type':
      return typeText(types ?? String(p.type).split(','));
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const t = intTypeOf(e);
      if (t) {
        const [lo, hi] = INT_TYPES[t];
        if (t === 'id') return ID_RANGE_TEXT;
        return t === 'memoryLimit'
          ? `must be between ${lo} and ${hi} (bytes, or -1 for unlimited)`
          : `must be between ${lo} and ${hi} (${t})`;
      }
      return `must be ${p.comparison} ${formatLimit(p.limit)}`;
    }
    case 'minItems':
      return p.limit === 1 ? 'must not be empty' : `must have at least ${p.limit} items`;
    case 'maxItems':
      return `must have at most ${p.limit} items`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters`;
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'pattern': {
      const text = PATTERN_TEXT[p.pattern] ?? `must match ${p.pattern}`;
      return typeof e.propertyName === 'string' ? `the key ${text}` : text;
    }
    default:
      return e.message ?? 'is invalid';
  }
}

/** Converts ajv's errors into the ConfigError for the most useful one. */
export function schemaErrorToConfigError(errors: SchemaError[], base: string): ConfigError {
  const { error, types } = pickSchemaError(errors);
  const field = fieldPath(base, ...errorSegments(error));
  const problem = schemaErrorText(error, types);
  if (field === '') return new ConfigError('', `config.json ${problem}`);
  return new ConfigError(field, problem);
}
