// The plan translates what src/spec has validated: a value the spec layer should have refused
// reaching it is a bug of tsrun's (a rule missing from src/spec), never a config error.

/** `table[key]`, or an internal error naming the field. */
export function known<T>(table: Readonly<Record<string, T>>, key: string, field: string): T {
  const v = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
  if (v === undefined) throw new Error(`internal: ${field}: ${JSON.stringify(key)} reached the plan unvalidated (a rule missing from src/spec)`);
  return v;
}

/** An internal error unless `ok`: what src/spec guarantees. */
export function invariant(ok: unknown, field: string, what: string): asserts ok {
  if (!ok) throw new Error(`internal: ${field}: ${what} (a rule missing from src/spec)`);
}
