// The example in packages/testing/README.md runs as written: the first ```ts block under
// "## Example" is copied into a file beside the repository's sources and run in its own process.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function exampleBlock(): string {
  const readme = readFileSync(join(ROOT, 'packages', 'testing', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error('packages/testing/README.md has no ```ts block under "## Example"');
  return match[1];
}

describe('the @leasehold/testing README example', () => {
  it('connects through a dynamic user of the dev server and cleans up', () => {
    const file = join(ROOT, 'test', 'packaging', `.readme-example-${process.pid}.ts`);
    writeFileSync(file, exampleBlock());
    onTestFinished(() => rmSync(file, { force: true }));
    const run = spawnSync(process.execPath, ['--conditions=@leasehold/source', '--import', 'tsx', file], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^connected as v-[a-z]+-app-/m);
  });
});
