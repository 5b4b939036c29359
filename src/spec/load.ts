// Read a bundle's config.json: int64-exact values, checked by the precompiled validator.
import fs = require('fs');
import path = require('path');
import type { Spec } from './config-types';
import { ConfigError } from '../errors';
import { parseJson } from './json-int64';
import { validateConfig } from './validate';

export function loadSpec(bundle: string): Spec {
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError('', code === 'ENOENT' ? 'JSON specification file config.json not found' : `${file}: ${String(e)}`);
  }
  return parseSpec(text, file);
}

export function parseSpec(text: string, file = 'config.json'): Spec {
  let doc: unknown;
  try {
    doc = parseJson(text);
  } catch (e) {
    throw new ConfigError('', `${file}: invalid JSON: ${(e as Error).message}`);
  }
  validateConfig(doc);
  return doc as Spec;
}
