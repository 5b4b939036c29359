// Rendered config field names, as every error names them: `linux.namespaces[2].type`.
const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Appends path segments to an already rendered field name:
 * numbers become `[n]`, identifiers `.name`, anything else `["key"]`.
 * `fieldPath('linux', 'namespaces', 2, 'type')` -> `linux.namespaces[2].type`.
 */
export function fieldPath(base: string, ...segments: (string | number)[]): string {
  let out = base;
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT_RE.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

