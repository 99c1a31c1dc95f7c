/**
 * Every `LEASEHOLD_*` name a reader finds in the documentation must exist: an error code named in a
 * doc but raised by nothing sends operators looking for a warning that never comes. A name counts
 * as existing when a package's non-test source names it (error codes), or when some script or test
 * reads it as an environment variable (`process.env.NAME`, `process.env['NAME']`, or `NAME=` in a
 * package.json script). A name written as a prefix (`LEASEHOLD_TESTING_*`) must start at least one
 * name a package's source holds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const NAME = /\bLEASEHOLD_[A-Z0-9_]*[A-Z0-9](_\*)?/g;

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => !file.split(/[\\/]/).includes('node_modules') && keep(file))
    .map((file) => join(dir, file));
}

function packageNames(): string[] {
  return readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

function namesIn(text: string): Set<string> {
  return new Set([...text.matchAll(NAME)].map((match) => match[0]));
}

/** Documents a reader sees: docs/*.md, the root README and each package's README. */
function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join(ROOT, 'docs', file));
  const readmes = packageNames()
    .map((name) => join(ROOT, 'packages', name, 'README.md'))
    .filter((file) => existsSync(file));
  return [join(ROOT, 'README.md'), ...docs, ...readmes];
}

/** Names the packages' non-test sources hold. */
function sourceNames(): Set<string> {
  const found = new Set<string>();
  for (const name of packageNames()) {
    const files = filesUnder(join(ROOT, 'packages', name, 'src'), (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    for (const file of files) for (const code of namesIn(readFileSync(file, 'utf8'))) found.add(code);
  }
  return found;
}

/** Environment variables some script, benchmark or test reads. */
function environmentNames(): Set<string> {
  const found = new Set<string>();
  const ts = (file: string): boolean => file.endsWith('.ts');
  const files = [
    ...filesUnder(join(ROOT, 'test'), ts),
    ...filesUnder(join(ROOT, 'bench'), ts),
    ...filesUnder(join(ROOT, 'scripts'), ts),
    ...packageNames().flatMap((name) => filesUnder(join(ROOT, 'packages', name, 'src'), ts)),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/process\.env(?:\.(LEASEHOLD_[A-Z0-9_]+)|\[\s*['"](LEASEHOLD_[A-Z0-9_]+)['"]\s*\])/g)) {
      found.add(match[1] ?? match[2] ?? '');
    }
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  for (const script of Object.values(manifest.scripts ?? {})) {
    for (const match of script.matchAll(/\b(LEASEHOLD_[A-Z0-9_]+)=/g)) found.add(match[1] ?? '');
  }
  return found;
}

describe('LEASEHOLD_* names in the documentation', () => {
  const sources = sourceNames();
  const known = new Set([...sources, ...environmentNames()]);

  it.each(documents().map((file) => [relative(ROOT, file), file]))('%s names only codes and variables that exist', (_, file) => {
    const unknown = [...namesIn(readFileSync(file, 'utf8'))].filter((name) =>
      name.endsWith('_*') ? ![...sources].some((code) => code.startsWith(name.slice(0, -1))) : !known.has(name),
    );
    expect(unknown).toEqual([]);
  });
});
