// Keeps the hand-written src/spec/config-types.ts in step with schemas/*.json: every property
// a schema declares must appear as a property of some interface in the types file, and every
// pattern in the schemas has a readable error message.
import * as fs from 'fs';
import * as path from 'path';
import { schemaErrorText } from '../../src/spec/validate';

const ROOT = path.join(__dirname, '..', '..');
const SCHEMA_DIR = path.join(ROOT, 'schemas');
const TYPES_FILE = path.join(ROOT, 'src', 'spec', 'config-types.ts');
/** Schemas with types in another file too: tsrun's own state.json (StoredState, whose config is a Spec). */
const TYPES_FILE_OF: Record<string, string> = { 'state-stored.schema.json': path.join(ROOT, 'src', 'state', 'store.ts') };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function walk(node: Json, visit: (obj: { [k: string]: Json }, where: string) => void, where: string): void {
  if (Array.isArray(node)) node.forEach((n, i) => walk(n, visit, `${where}/${i}`));
  else if (node && typeof node === 'object') {
    visit(node, where);
    for (const [k, v] of Object.entries(node)) walk(v, visit, `${where}/${k}`);
  }
}

const schemas = fs
  .readdirSync(SCHEMA_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Json }));

describe('config-types.ts vs schemas', () => {
  const typesSrc = (file: string) => [TYPES_FILE, TYPES_FILE_OF[file]].filter(Boolean).map((f) => fs.readFileSync(f, 'utf8')).join('\n');

  const properties: { name: string; where: string; file: string }[] = [];
  const patterns: string[] = [];
  for (const { file, json } of schemas) {
    walk(
      json,
      (obj, where) => {
        const props = obj.properties;
        if (props && typeof props === 'object' && !Array.isArray(props) && obj.type === 'object') {
          for (const name of Object.keys(props)) properties.push({ name, where: `${file}#${where}`, file });
        }
        if (typeof obj.pattern === 'string') patterns.push(obj.pattern);
      },
      '',
    );
  }

  it('finds the schema properties', () => {
    expect(properties.length).toBeGreaterThan(150);
  });

  it.each(properties.map((p) => [p.name, p.where, p.file]))('declares %s (%s)', (name, _, file) => {
    const re = new RegExp(`^\\s+${name.replace(/[$]/g, '\\$')}\\??:`, 'm');
    expect(typesSrc(file)).toMatch(re);
  });

  it('has a readable message for every schema pattern', () => {
    for (const pattern of new Set(patterns)) {
      const text = schemaErrorText({ instancePath: '', schemaPath: '', keyword: 'pattern', params: { pattern } });
      expect(text).not.toMatch(/^must match /);
    }
  });
});
