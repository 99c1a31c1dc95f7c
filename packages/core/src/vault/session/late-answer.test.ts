import { describe, expect, it } from 'vitest';
import { isLeaseholdError } from '../../errors.js';
import { withDeadline } from './late-answer.js';

const after = <T>(millis: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), millis));

describe('withDeadline', () => {
  it('settles with an answer in time and never calls onLateAnswer', async () => {
    const late: string[] = [];
    await expect(withDeadline(after(5, 'lease'), 1_000, 'GET x', (value) => late.push(value))).resolves.toBe('lease');
    expect(late).toEqual([]);
  });

  it('rejects at the deadline with a retryable LEASEHOLD_VAULT_TIMEOUT, then hands the late answer over', async () => {
    const late: string[] = [];
    const result = await withDeadline(after(60, 'lease'), 10, 'GET database/creds/app', (value) => late.push(value)).catch(
      (error: unknown) => error,
    );
    expect(
      isLeaseholdError(result, 'LEASEHOLD_VAULT_TIMEOUT') && result.retryable && result.message.includes('GET database/creds/app'),
    ).toBe(true);
    expect(late).toEqual([]);
    await after(100, undefined);
    expect(late).toEqual(['lease']);
  });

  it('passes a failure in time through, and drops one that comes after the deadline', async () => {
    const failure = new Error('refused');
    await expect(withDeadline(Promise.reject(failure), 1_000, 'GET x', undefined)).rejects.toBe(failure);
    const late = withDeadline(
      after(30, undefined).then(() => Promise.reject(failure)),
      5,
      'GET x',
      undefined,
    );
    await expect(late).rejects.toSatisfy((error: unknown) => isLeaseholdError(error, 'LEASEHOLD_VAULT_TIMEOUT'));
  });
});
