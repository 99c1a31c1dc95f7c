import { describe, expect, it } from 'vitest';
import { LeaseholdError } from '../../errors.js';
import { VAULT_BACKOFF } from '../../backoff.js';
import {
  isOutage,
  MAX_SPREAD_MILLIS,
  MIN_SPREAD_MILLIS,
  planRetry,
  RETRY_AFTER_JITTER_FRACTION,
  RETRY_AFTER_MAX_MILLIS,
  SPREAD_FRACTION,
  URGENT_MILLIS,
} from './retry-plan.js';

const fixed = (value: number) => () => value;
const MINUTE = 60_000;

describe('planRetry', () => {
  it('spreads an outage retry over the time left, never past the expiry', () => {
    for (const u of [0, 0.25, 0.5, 0.999999]) {
      const plan = planRetry({ attempt: 0, millisLeft: 15 * MINUTE, retryable: true }, fixed(u));
      expect(plan.kind).toBe('wait');
      if (plan.kind !== 'wait') return;
      expect(plan.delayMillis).toBeGreaterThanOrEqual(MIN_SPREAD_MILLIS);
      expect(plan.delayMillis).toBeLessThanOrEqual(SPREAD_FRACTION * 15 * MINUTE);
    }
    const low = planRetry({ attempt: 0, millisLeft: 15 * MINUTE, retryable: true }, fixed(0.1));
    const high = planRetry({ attempt: 0, millisLeft: 15 * MINUTE, retryable: true }, fixed(0.9));
    expect(low.kind === 'wait' && high.kind === 'wait' && high.delayMillis - low.delayMillis > 10 * MINUTE).toBe(true);
  });

  it('never spreads a retry over more than an hour, however long the lease', () => {
    const plan = planRetry({ attempt: 0, millisLeft: 768 * 60 * MINUTE, retryable: true }, fixed(0.999999));
    expect(plan.kind === 'wait' && plan.delayMillis <= MAX_SPREAD_MILLIS).toBe(true);
  });

  it('watches Vault instead when the credential is expired, missing, or has less than the urgent margin left', () => {
    expect(planRetry({ attempt: 3, millisLeft: undefined, retryable: true })).toEqual({ kind: 'watch' });
    expect(planRetry({ attempt: 3, millisLeft: -5_000, retryable: true })).toEqual({ kind: 'watch' });
    expect(planRetry({ attempt: 3, millisLeft: URGENT_MILLIS - 1, retryable: true })).toEqual({ kind: 'watch' });
  });

  it('bounds a refusal by the time left: a 60 s lease is retried within its life, not after minutes', () => {
    const plan = planRetry({ attempt: 0, millisLeft: 40_000, retryable: false }, fixed(0.999999));
    expect(plan.kind === 'wait' && plan.delayMillis < 40_000).toBe(true);
  });

  it('retries a refusal of an expired credential on the 1 s..5 min ladder, and a permission denial slowly', () => {
    const first = planRetry({ attempt: 0, millisLeft: 0, retryable: false }, fixed(0.999999));
    expect(first.kind === 'wait' && first.delayMillis <= VAULT_BACKOFF.initialMillis).toBe(true);
    const denied = planRetry({ attempt: 0, millisLeft: 0, retryable: false, denied: true }, fixed(0));
    expect(denied.kind === 'wait' && denied.delayMillis >= VAULT_BACKOFF.maxMillis / 2).toBe(true);
  });

  it('never retries earlier than Retry-After, adds up to a fifth of it at random, and honours at most a minute', () => {
    expect(planRetry({ attempt: 0, millisLeft: undefined, retryable: true, retryAfterMillis: 7_000 }, fixed(0))).toEqual({
      kind: 'wait',
      delayMillis: 7_000,
    });
    const late = planRetry({ attempt: 0, millisLeft: undefined, retryable: true, retryAfterMillis: 7_000 }, fixed(0.999999));
    expect(late.kind === 'wait' && late.delayMillis).toBeGreaterThan(7_000);
    expect(late.kind === 'wait' && late.delayMillis).toBeLessThanOrEqual(7_000 * (1 + RETRY_AFTER_JITTER_FRACTION));
    expect(planRetry({ attempt: 0, millisLeft: undefined, retryable: true, retryAfterMillis: 3_600_000 }, fixed(0))).toEqual({
      kind: 'wait',
      delayMillis: RETRY_AFTER_MAX_MILLIS,
    });
  });

  it('treats Retry-After as a floor: a later retry planned by the ordinary rules stays as late', () => {
    const input = { attempt: 0, millisLeft: 15 * MINUTE, retryable: true };
    const early = planRetry({ ...input, retryAfterMillis: 7_000 }, fixed(0));
    expect(early).toEqual({ kind: 'wait', delayMillis: 7_000 });
    const spread = planRetry(input, fixed(0.9));
    expect(spread.kind === 'wait' && spread.delayMillis).toBeGreaterThan(7_000 * (1 + RETRY_AFTER_JITTER_FRACTION));
    expect(planRetry({ ...input, retryAfterMillis: 7_000 }, fixed(0.9))).toEqual(spread);
    const refused = planRetry({ attempt: 0, millisLeft: 0, retryable: false, retryAfterMillis: 2_000 }, fixed(0.999999));
    expect(refused.kind === 'wait' && refused.delayMillis).toBeGreaterThanOrEqual(2_000);
  });

  it('never waits past the time left, even when Retry-After asks for longer', () => {
    const plan = planRetry({ attempt: 0, millisLeft: 20_000, retryable: true, retryAfterMillis: 50_000 }, fixed(0));
    expect(plan.kind === 'wait' && plan.delayMillis).toBeLessThan(20_000);
  });

  it('ignores a Retry-After that asks for no wait', () => {
    for (const retryAfterMillis of [0, -1, Number.NaN]) {
      expect(planRetry({ attempt: 0, millisLeft: undefined, retryable: true, retryAfterMillis })).toEqual({ kind: 'watch' });
    }
  });

  it('never returns a delay under the backoff minimum', () => {
    for (const millisLeft of [undefined, -1, 0, 1, URGENT_MILLIS, 6_000, 60_000]) {
      for (const retryable of [true, false]) {
        const plan = planRetry({ attempt: 0, millisLeft, retryable }, fixed(0));
        if (plan.kind === 'wait') expect(plan.delayMillis).toBeGreaterThanOrEqual(VAULT_BACKOFF.minMillis);
      }
    }
  });
});

describe('isOutage', () => {
  const error = (
    code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE' | 'LEASEHOLD_VAULT_INVALID_TOKEN' | 'LEASEHOLD_VAULT_NETWORK',
    retryable: boolean,
    status?: number,
  ) => new LeaseholdError(code, 'x', { retryable, details: status === undefined ? {} : { status } });

  it("counts 412 as an outage, as Vault's own client retries it", () => {
    expect(isOutage(error('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', false, 412))).toBe(true);
    expect(isOutage(error('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', false, 307))).toBe(false);
  });

  it('does not count a rejected token, which only a new login fixes', () => {
    expect(isOutage(error('LEASEHOLD_VAULT_INVALID_TOKEN', true))).toBe(false);
    expect(isOutage(error('LEASEHOLD_VAULT_NETWORK', true))).toBe(true);
  });
});
