import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { fileSecret } from './file-secret.js';

const invalid = (action: () => unknown, option: string): void => {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(isLeaseholdError(caught, 'LEASEHOLD_INVALID_OPTION')).toBe(true);
  expect((caught as Error).message).toContain(option);
};

describe('fileSecret options', () => {
  it('refuses bad options at construction, naming the option', () => {
    invalid(() => fileSecret({ path: '' }), 'path');
    invalid(() => fileSecret({ path: '/x', format: 'yaml' as never }), 'format');
    invalid(() => fileSecret({ path: '/x', debounceMillis: -1 }), 'debounceMillis');
    invalid(() => fileSecret({ path: '/x', pollIntervalMillis: Number.NaN }), 'pollIntervalMillis');
    invalid(() => fileSecret({ path: '/x', maxFileBytes: 0 }), 'maxFileBytes');
    invalid(() => fileSecret({ path: '/x', keys: [] }), 'keys');
    invalid(() => fileSecret({ path: '/x', keys: ['../etc/passwd'] }), 'keys[0]');
    invalid(() => fileSecret({ path: '/x', keys: ['..data'] }), 'keys[0]');
    invalid(() => fileSecret({ path: '/x', keys: ['password'], format: 'json' }), 'keys');
    invalid(() => fileSecret({ path: '/x', format: 'aws-ini', profile: '' }), 'profile');
  });

  it('names the secret after its absolute path', async () => {
    const secret = fileSecret({ path: 'relative/dir', startTimeoutMillis: 0 });
    expect(secret.name).toBe(`${process.cwd()}/relative/dir`);
    expect(secret.health().kind).toBe('file');
    await secret.close();
  });
});
