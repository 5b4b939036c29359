// dist/lib.d.ts: the library's calls are exported as wrapped constants (src/lib.ts, `lib(impl)`:
// only TsrunErrors reach a caller), so the bundled declarations carry no doc comment for them.
// This copies each implementation's doc comment onto its `export declare const` line. The
// comment stays written once, on the implementation; an exported call without one fails the build.
import fs from 'fs';
import path from 'path';
import ts from 'typescript';

const LIB = 'src/lib.ts';
const DTS = process.argv[2] ?? 'dist/lib.d.ts';

const parse = (file) => ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
const lib = parse(LIB);

/** local name -> [module file, exported name] */
const imports = new Map();
/** exported name -> local name of the implementation */
const wrapped = new Map();
for (const st of lib.statements) {
  if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
    const file = path.join(path.dirname(LIB), `${st.moduleSpecifier.text}.ts`);
    for (const el of st.importClause.namedBindings.elements) imports.set(el.name.text, [file, (el.propertyName ?? el.name).text]);
  }
  if (ts.isVariableStatement(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (init && ts.isCallExpression(init) && init.arguments.length === 1 && ts.isIdentifier(init.arguments[0])) {
        wrapped.set(d.name.text, init.arguments[0].text);
      }
    }
  }
}

/** The /** ... *\/ comment just before the exported function `name` of `file`. */
function docOf(file, name) {
  const sf = parse(file);
  for (const st of sf.statements) {
    if (!ts.isFunctionDeclaration(st) || st.name?.text !== name) continue;
    const ranges = ts.getLeadingCommentRanges(sf.text, st.pos) ?? [];
    const last = ranges[ranges.length - 1];
    const text = last && sf.text.slice(last.pos, last.end);
    return text?.startsWith('/**') ? text : undefined;
  }
  return undefined;
}

let dts = fs.readFileSync(DTS, 'utf8');
const missing = [];
for (const [name, local] of wrapped) {
  const [file, impl] = imports.get(local) ?? [];
  const doc = file && docOf(file, impl);
  if (!doc) { missing.push(`${name} (${file ?? '?'}: ${impl ?? local})`); continue; }
  const re = new RegExp(`^export declare const ${name}:`, 'm');
  if (!re.test(dts)) throw new Error(`dts-docs: ${DTS} has no "export declare const ${name}:"`);
  dts = dts.replace(re, `${doc.split('\n').map((l) => l.replace(/^\s+\*/, ' *')).join('\n')}\n$&`);
}
if (missing.length) throw new Error(`dts-docs: library calls without a doc comment on their implementation: ${missing.join(', ')}`);
fs.writeFileSync(DTS, dts);
