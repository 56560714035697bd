// Writes src/wire.ts: the wire types that src/wire.from-schema.ts derives from the protocol's JSON
// Schemas with json-schema-to-ts, resolved into plain TypeScript. The SDK ships them and the
// service compiles against them without json-schema-to-ts (a dependency the package would
// otherwise need at install time) and without its deep type instantiations (which made tsc give up
// on unions of events). `node scripts/gen-wire-types.mjs` rewrites the file; `--check` fails when
// it is out of date (the tests run that check). Hand-written because no tool prints the types a
// type-level library computes; it is a printer over the TypeScript checker, nothing more.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = `${root}src/wire.from-schema.ts`;
const TARGET = `${root}src/wire.ts`;
/** Stamped onto every event frame; a frame is printed as `<Event> & EventStamp`. */
const STAMP = ['timestamp', 'seq'];

/** The text of src/wire.ts as derived from the schemas now. */
export function generateWireTypes() {
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const program = ts.createProgram([SOURCE], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(SOURCE);
  const diagnostics = ts.getPreEmitDiagnostics(program, file);
  if (diagnostics.length > 0) throw new Error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));

  const aliases = file.statements
    .filter((s) => ts.isTypeAliasDeclaration(s) && !s.typeParameters && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword))
    .map((s) => ({ node: s, name: s.name.text, type: checker.getTypeAtLocation(s.name) }));

  const same = (a, b) => checker.isTypeAssignableTo(a, b) && checker.isTypeAssignableTo(b, a);
  const isObject = (t) => (t.flags & ts.TypeFlags.Object) !== 0 || t.isIntersection();
  const props = (t) => new Map(checker.getPropertiesOfType(t).map((p) => [p.name, p]));
  /** `a` is `b` plus `timestamp` and `seq`. */
  function stampedOf(a, b) {
    if (!isObject(a) || !isObject(b)) return false;
    const pa = props(a);
    const pb = props(b);
    if (!STAMP.every((k) => pa.has(k)) || pa.size !== pb.size + STAMP.length) return false;
    for (const [name, p] of pb) {
      const q = pa.get(name);
      if (q === undefined || (q.flags & ts.SymbolFlags.Optional) !== (p.flags & ts.SymbolFlags.Optional)) return false;
      if (!same(checker.getTypeOfSymbol(q), checker.getTypeOfSymbol(p))) return false;
    }
    return true;
  }
  /** An alias (other than `self`) that names `type`. */
  function named(type, self) {
    for (const alias of aliases) if (alias.name !== self && same(type, alias.type)) return alias.name;
    for (const alias of aliases) if (alias.name !== self && alias.name.endsWith('Event') && stampedOf(type, alias.type)) return `(${alias.name} & EventStamp)`;
    return undefined;
  }
  const key = (name) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

  function print(type, self, top, depth = 0) {
    if (depth > 20) throw new Error('wire types nest deeper than expected');
    if (!top) {
      const name = named(type, self);
      if (name !== undefined) return name;
    }
    if (type.isUnion()) {
      const parts = type.types.map((t) => print(t, self, false, depth + 1));
      const bools = parts.filter((p) => p === 'true' || p === 'false');
      const rest = parts.filter((p) => p !== 'true' && p !== 'false');
      return [...new Set([...rest, ...(bools.length === 2 ? ['boolean'] : bools)])].join(' | ');
    }
    if (type.isStringLiteral()) return `'${type.value.replace(/'/g, "\\'")}'`;
    if (type.isNumberLiteral()) return String(type.value);
    const flags = type.flags;
    if (flags & ts.TypeFlags.String) return 'string';
    if (flags & ts.TypeFlags.Number) return 'number';
    if (flags & ts.TypeFlags.Boolean) return 'boolean';
    if (flags & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
    if (flags & ts.TypeFlags.Null) return 'null';
    if (flags & ts.TypeFlags.Unknown) return 'unknown';
    if (flags & ts.TypeFlags.Any) throw new Error(`${self}: a wire type resolved to any`);
    if (checker.isArrayType(type)) {
      const inner = print(checker.getTypeArguments(type)[0], self, false, depth + 1);
      // Frames are data to read: arrays are readonly (a sender may pass a mutable one).
      return /[|&\s]/.test(inner) && !inner.startsWith('(') ? `readonly (${inner})[]` : `readonly ${inner}[]`;
    }
    if (isObject(type)) {
      const indent = '  '.repeat(depth + 1);
      const members = [];
      for (const info of checker.getIndexInfosOfType(type)) members.push(`[key: ${checker.typeToString(info.keyType)}]: ${print(info.type, self, false, depth + 1)};`);
      for (const property of checker.getPropertiesOfType(type)) {
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
        let propertyType = checker.getTypeOfSymbol(property);
        if (optional) propertyType = checker.getNonNullableType(propertyType);
        members.push(`${key(property.name)}${optional ? '?' : ''}: ${print(propertyType, self, false, depth + 1)};`);
      }
      return `{\n${members.map((m) => `${indent}${m}`).join('\n')}\n${'  '.repeat(depth)}}`;
    }
    throw new Error(`${self}: unexpected type ${checker.typeToString(type)}`);
  }

  const out = [
    '// GENERATED by scripts/gen-wire-types.mjs from src/wire.from-schema.ts: do not edit. The types',
    "// are derived from the protocol's JSON Schemas (src/schema.ts, their one source) with",
    '// json-schema-to-ts, and printed here as plain TypeScript. Types only; nothing here exists at run time.',
    '',
  ];
  for (const alias of aliases) {
    const docs = ts.getJSDocCommentsAndTags(alias.node).map((d) => d.getText(file));
    out.push(...docs, `export type ${alias.name} = ${print(alias.type, alias.name, true)};`, '');
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generateWireTypes();
  if (process.argv.includes('--check')) {
    if (readFileSync(TARGET, 'utf8') !== text) {
      console.error('src/wire.ts is out of date: run `node packages/client/scripts/gen-wire-types.mjs`');
      process.exit(1);
    }
  } else {
    writeFileSync(TARGET, text);
  }
}
