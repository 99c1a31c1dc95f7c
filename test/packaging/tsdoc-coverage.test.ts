/**
 * Every public export of every published package carries a doc comment: the API reference
 * (`npm run docs`) is generated from them, and an undocumented export is a page with nothing on it.
 * Read with the TypeScript compiler, following each export to its declaration.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY_POINTS = ['core', 'pg', 'aws', 'testing', 'cli'].map((name) => `${ROOT}packages/${name}/src/index.ts`);

function program(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${ROOT}tsconfig.json`,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  return ts.createProgram({ rootNames: ENTRY_POINTS, options: { ...config.options, noEmit: true } });
}

/** Exports of `entry` that have no doc comment on any of their declarations. */
function undocumented(checker: ts.TypeChecker, source: ts.SourceFile): string[] {
  const module = checker.getSymbolAtLocation(source);
  if (!module) return [];
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented =
      symbol.getDocumentationComment(checker).some((part) => part.text.trim() !== '') ||
      (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
    if (!documented) missing.push(exported.name);
  }
  return missing;
}

describe('TSDoc coverage', () => {
  const built = program();
  const checker = built.getTypeChecker();

  for (const entry of ENTRY_POINTS) {
    const name = entry.slice(ROOT.length);
    it(`documents every export of ${name}`, () => {
      const source = built.getSourceFile(entry);
      expect(source, name).toBeDefined();
      const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source!)!);
      expect(exports.length).toBeGreaterThan(0);
      expect(undocumented(checker, source!)).toEqual([]);
    });
  }
});
