import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const coreDir = fileURLToPath(new URL('../..', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('core without prom-client, express or fastify', () => {
  it('never imports them, and lists prom-client only as an optional peer', async () => {
    const files = await sourceFiles(join(coreDir, 'src'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      expect(await readFile(file, 'utf8'), file).not.toMatch(
        /^\s*(?:import|export)\b[^;]*?from\s*['"](?:prom-client|express|fastify|fastify-plugin)['"]|(?:import|require)\(\s*['"](?:prom-client|express|fastify|fastify-plugin)['"]/m,
      );
    }
    const pkg = JSON.parse(await readFile(join(coreDir, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    expect(pkg['dependencies']?.['prom-client']).toBeUndefined();
    expect(pkg['peerDependencies']?.['prom-client']).toBe('^15.0.0');
    expect(pkg['peerDependenciesMeta']?.['prom-client']).toEqual({ optional: true });
  });
});
