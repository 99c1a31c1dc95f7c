// Every code the sources can raise is documented in docs/errors.md, in the section of the package
// that declares it, and each package's declared union matches its section exactly. The sources are
// read with the TypeScript parser, so only string and template literals count, never comments.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CODE = /\bLEASEHOLD_[A-Z0-9_]+\b/g;
/** Published packages and the union each declares in its own errors.ts. */
const DECLARING = {
  core: 'LeaseholdErrorCode',
  pg: 'PgErrorCode',
  aws: 'AwsErrorCode',
  cli: 'CliErrorCode',
  testing: 'TestingErrorCode',
} as const;
type PackageName = keyof typeof DECLARING;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(dir, file));
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

const raisedCache = new Map<string, Set<string>>();

/** Codes named in string or template literals of a package's non-test sources. */
function codesRaisedBy(name: string): Set<string> {
  const cached = raisedCache.get(name);
  if (cached !== undefined) return cached;
  const found = new Set<string>();
  raisedCache.set(name, found);
  for (const file of sourceFiles(join(ROOT, 'packages', name, 'src'))) {
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
        for (const match of node.text.matchAll(CODE)) found.add(match[0]);
      }
      node.forEachChild(visit);
    };
    visit(parse(file));
  }
  return found;
}

/** The string literal members of `export type <union> = ...` in packages/<name>/src/errors.ts. */
function declaredCodes(name: PackageName): Set<string> {
  const file = parse(join(ROOT, 'packages', name, 'src', 'errors.ts'));
  const alias = file.statements.find(
    (statement): statement is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(statement) && statement.name.text === DECLARING[name],
  );
  if (alias === undefined) throw new Error(`packages/${name}/src/errors.ts declares no ${DECLARING[name]}`);
  const members = ts.isUnionTypeNode(alias.type) ? alias.type.types : [alias.type];
  const codes = new Set<string>();
  for (const member of members) {
    if (ts.isLiteralTypeNode(member) && ts.isStringLiteral(member.literal)) codes.add(member.literal.text);
    else throw new Error(`${DECLARING[name]} has a member that is not a string literal`);
  }
  return codes;
}

/** The codes in the first column of each `## @leasehold/<name>` section's table. */
function documentedCodes(): Map<string, Set<string>> {
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8').split('\n')) {
    const heading = /^## @leasehold\/([a-z]+)\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      current = new Set();
      sections.set(heading[1], current);
      continue;
    }
    const row = /^\| (LEASEHOLD_[A-Z0-9_]+) \|/.exec(line);
    if (row?.[1] !== undefined) {
      if (current === undefined) throw new Error(`docs/errors.md lists ${row[1]} outside a package section`);
      current.add(row[1]);
    }
  }
  return sections;
}

const documented = documentedCodes();
const allDocumented = new Set([...documented.values()].flatMap((codes) => [...codes]));

describe('docs/errors.md', () => {
  it('has one section per package that declares codes', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(DECLARING).sort());
  });

  for (const name of Object.keys(DECLARING) as PackageName[]) {
    it(`documents exactly the codes @leasehold/${name} declares, in its own section`, () => {
      expect([...(documented.get(name) ?? [])].sort()).toEqual([...declaredCodes(name)].sort());
    });

    it(`documents every code the sources of @leasehold/${name} can raise`, () => {
      const raised = codesRaisedBy(name);
      expect(raised.size).toBeGreaterThan(0);
      expect([...raised].filter((code) => !allDocumented.has(code))).toEqual([]);
    });

    it(`@leasehold/${name} raises only its own codes and core's`, () => {
      const allowed = new Set([...declaredCodes(name), ...declaredCodes('core')]);
      expect([...codesRaisedBy(name)].filter((code) => !allowed.has(code))).toEqual([]);
    });
  }

  it('keeps core free of adapter codes', () => {
    const core = declaredCodes('core');
    for (const name of ['pg', 'aws', 'cli', 'testing'] as const) {
      expect([...declaredCodes(name)].filter((code) => core.has(code))).toEqual([]);
    }
  });
});
