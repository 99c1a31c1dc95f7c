import { describe, expect, it } from 'vitest';
import { VAULT_BACKOFF } from '../../backoff.js';
import { ManualClock } from '../../clock.js';
import { permissionDeniedDelay, planAfterRenewal, refetchDelay, renewalDelay, replacementDelay, retryDelay } from './renewal-schedule.js';

const HOUR = 3_600_000;
const fixed = (value: number) => () => value;

describe('renewalDelay', () => {
  it('renews at two thirds of the time left with no grace drawn', () => {
    expect(renewalDelay(HOUR, fixed(0))).toBeCloseTo((2 / 3) * HOUR);
  });

  it('adds at most a tenth of the time left as random grace', () => {
    expect(renewalDelay(HOUR, fixed(0.999999))).toBeCloseTo(HOUR * (2 / 3 + 0.1), -1);
    expect(renewalDelay(HOUR, fixed(0.5))).toBeCloseTo(HOUR * (2 / 3 + 0.05));
  });

  it('always leaves more than a fifth of the lease for errors to back off in', () => {
    for (let u = 0; u < 1; u += 0.01) expect(HOUR - renewalDelay(HOUR, fixed(u))).toBeGreaterThan(HOUR / 5);
  });

  it('spreads a fleet that started together over a tenth of the lease', () => {
    const delays = Array.from({ length: 1000 }, (_, i) => renewalDelay(HOUR, fixed(i / 1000)));
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(0.09 * HOUR);
  });

  it('treats an already expired lease as due now', () => {
    expect(renewalDelay(-5_000, fixed(0.5))).toBe(0);
  });
});

describe('planAfterRenewal', () => {
  it('keeps renewing when Vault granted the increment asked for', () => {
    const plan = planAfterRenewal(10_000, 10_000, false, 1 / 3, fixed(0));
    expect(plan).toMatchObject({ capped: false, next: 'renew' });
    expect(plan.delayMillis).toBeCloseTo(10_000 * (2 / 3));
  });

  it('does not mistake whole-second rounding for a cap', () => {
    expect(planAfterRenewal(10_000, 9_500, false, 1 / 3, fixed(0)).capped).toBe(false);
  });

  it('detects the max-TTL cap from a grant shorter than asked and fetches a replacement with a third left', () => {
    const plan = planAfterRenewal(10_000, 6_000, false, 1 / 3, fixed(0));
    expect(plan).toMatchObject({ capped: true, next: 'replace' });
    expect(6_000 - plan.delayMillis).toBeGreaterThanOrEqual(6_000 / 3 - 1e-6);
  });

  it('detects the cap from the warning alone', () => {
    expect(planAfterRenewal(10_000, 10_000, true, 1 / 3, fixed(0.5))).toMatchObject({ capped: true, next: 'replace' });
  });

  it('fetches the replacement up to a fifth earlier at random, never later than the fraction allows', () => {
    for (let u = 0; u < 1; u += 0.05) {
      const delay = planAfterRenewal(HOUR, 50 * 60_000, false, 1 / 3, fixed(u)).delayMillis;
      expect(delay).toBeLessThanOrEqual(30 * 60_000 + 1e-6);
      expect(delay).toBeGreaterThanOrEqual(30 * 60_000 * 0.8 - 1e-6);
    }
  });

  it('replaces at once when the cap left less than a third of a normal lease', () => {
    expect(planAfterRenewal(HOUR, 5 * 60_000, false, 1 / 3, fixed(0.5)).delayMillis).toBe(0);
  });

  it('keeps a third of a normal lease as headroom when the final TTL allows it', () => {
    const delay = planAfterRenewal(HOUR, 50 * 60_000, false, 1 / 3, fixed(0)).delayMillis;
    expect(50 * 60_000 - delay).toBeCloseTo(20 * 60_000);
  });

  it('honours another replaceAtRemainingFraction', () => {
    expect(replacementDelay(60_000, 0.5, fixed(0))).toBeCloseTo(30_000);
  });
});

describe('refetchDelay', () => {
  it('re-fetches a non-renewable lease between 85 % and 95 % of its duration', () => {
    expect(refetchDelay(HOUR, fixed(0))).toBeCloseTo(0.85 * HOUR);
    expect(refetchDelay(HOUR, fixed(0.999999))).toBeCloseTo(0.95 * HOUR, -1);
  });
});

describe('retryDelay', () => {
  it('backs off exponentially with full jitter from 1 s to 5 min', () => {
    expect(retryDelay(0, undefined, fixed(0.999))).toBeLessThanOrEqual(1_000);
    expect(retryDelay(3, undefined, fixed(0.999))).toBeCloseTo(7_992);
    expect(retryDelay(20, undefined, fixed(0.999))).toBeLessThanOrEqual(VAULT_BACKOFF.maxMillis);
    expect(retryDelay(20, undefined, fixed(0.999))).toBeGreaterThan(0.99 * VAULT_BACKOFF.maxMillis);
  });

  it('never retries in a tight loop, even with the smallest draw', () => {
    expect(retryDelay(0, undefined, fixed(0))).toBe(VAULT_BACKOFF.minMillis);
    expect(retryDelay(10, 1, fixed(0))).toBe(VAULT_BACKOFF.minMillis);
  });

  it('is bounded by half the time left so attempts continue up to the expiry', () => {
    expect(retryDelay(20, 60_000, fixed(0.999))).toBe(30_000);
  });

  it('uses the full backoff once the credential has expired', () => {
    expect(retryDelay(20, -1_000, fixed(0.999))).toBeGreaterThan(0.99 * VAULT_BACKOFF.maxMillis);
  });
});

describe('permissionDeniedDelay', () => {
  it('waits between half the maximum backoff and the maximum', () => {
    expect(permissionDeniedDelay(fixed(0))).toBe(VAULT_BACKOFF.maxMillis / 2);
    expect(permissionDeniedDelay(fixed(0.999999))).toBeCloseTo(VAULT_BACKOFF.maxMillis, -1);
  });
});

describe('a lease with TTL 10 s and max TTL 40 s on a fake clock', () => {
  it('is renewed until capped, then replaced with at least a third of its final TTL left and before the max TTL', async () => {
    const clock = new ManualClock();
    const issued = clock.now();
    const maxDeadline = issued + 40_000;
    let expiresAt = issued + 10_000;
    let renewals = 0;
    let replacedAt: number | undefined;
    let finalTtl = 0;
    const random = (() => {
      let seed = 7;
      return () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    })();
    // A Vault stand-in: grants the increment, capped at the max TTL, and the schedule reacts to it.
    const schedule = (delay: number, action: () => void): void => void clock.setTimeout(action, delay);
    const renew = (): void => {
      renewals++;
      const granted = Math.min(10_000, Math.floor((maxDeadline - clock.now()) / 1000) * 1000);
      expiresAt = clock.now() + granted;
      const plan = planAfterRenewal(10_000, granted, false, 1 / 3, random);
      if (plan.next === 'renew') schedule(plan.delayMillis, renew);
      else {
        finalTtl = granted;
        schedule(plan.delayMillis, () => (replacedAt = clock.now()));
      }
    };
    schedule(renewalDelay(10_000, random), renew);
    await clock.advance(60_000);
    expect(renewals).toBeGreaterThanOrEqual(3);
    expect(replacedAt).toBeDefined();
    expect(replacedAt!).toBeLessThan(maxDeadline);
    expect(expiresAt - replacedAt!).toBeGreaterThanOrEqual(finalTtl / 3);
  });
});
