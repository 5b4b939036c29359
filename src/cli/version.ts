// --version: runc's first three lines (go-runc parses "X version V", "commit: H", "spec: S"),
// then what tsrun runs on. The commit is put in by the build (scripts/bundle.mjs).
import { version } from '../../package.json';
import { SPEC_VERSION } from '../state/status';

/** package.json's version, the one place it is written (esbuild inlines the field). */
export const VERSION: string = version;
declare const __TSRUN_COMMIT__: string | undefined;

export function commit(): string {
  return typeof __TSRUN_COMMIT__ === 'string' && __TSRUN_COMMIT__ ? __TSRUN_COMMIT__ : 'unknown';
}

export function versionText(): string {
  return `tsrun version ${VERSION}\ncommit: ${commit()}\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`;
}
