import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSecret, isLeaseholdError } from '@leasehold/core';
import { atomicWriteDir } from '@leasehold/testing';
import { runFixture, tempDir } from './helpers.js';

describe('fileSecret close()', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
    await atomicWriteDir(dir, { password: 'first' });
  });
  afterEach(() => remove());

  it('releases every watcher and timer, so a process whose handles all hold it open still exits', async () => {
    const result = await runFixture(['test/files/fixtures/close-releases-everything.ts', dir]);
    expect(result.killed).toBe(false);
    expect(result.stdout).toContain('closed');
    expect(result.code).toBe(0);
  }, 30_000);

  it('returns the same promise when called twice, and use after close rejects with LEASEHOLD_CLOSED', async () => {
    const secret = fileSecret({ path: dir });
    await secret.ready();
    const first = secret.close();
    expect(secret.close()).toBe(first);
    await first;
    await expect(secret.refresh()).rejects.toSatisfy((error) => isLeaseholdError(error, 'LEASEHOLD_CLOSED'));
    expect(secret.health().state).toBe('closed');
  });

  it('closes cleanly while the first read is still in flight', async () => {
    const secret = fileSecret({ path: dir });
    await secret.close();
    await expect(secret.ready()).rejects.toSatisfy((error) => isLeaseholdError(error, 'LEASEHOLD_CLOSED'));
  });
});
