import { describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@leasehold/core';
import { AuthRecovery, isAuthFailure } from './auth-recovery.js';

const refused = Object.assign(new Error('password authentication failed'), { code: '28P01' });

describe('AuthRecovery', () => {
  it('tells refused logins from other errors', () => {
    expect(isAuthFailure(refused)).toBe(true);
    expect(isAuthFailure({ code: '28000' })).toBe(true);
    expect(isAuthFailure({ code: '57P01' })).toBe(false);
    expect(isAuthFailure(new Error('ECONNREFUSED'))).toBe(false);
    expect(isAuthFailure(undefined)).toBe(false);
  });

  it('shares one refresh among concurrent refusals and starts at most one per interval', async () => {
    const clock = new ManualClock();
    let calls = 0;
    let finish!: () => void;
    const recovery = new AuthRecovery(
      'pool',
      () => {
        calls++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      clock,
      silentLogger,
      5_000,
    );
    for (let i = 0; i < 20; i++) recovery.refused(refused);
    expect(calls).toBe(1);
    finish();
    await clock.advance(1_000);
    recovery.refused(refused);
    expect(calls).toBe(1);
    await clock.advance(4_000);
    recovery.refused(refused);
    expect(calls).toBe(2);
    expect(recovery.failures).toBe(22);
    expect(recovery.refreshes).toBe(2);
    expect(recovery.lastFailureCode).toBe('28P01');
  });

  it('never rejects when the refresh fails, and does not cache the failure', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const recovery = new AuthRecovery(
      'pool',
      () => {
        calls++;
        return Promise.reject(new Error('vault down'));
      },
      clock,
      silentLogger,
      0,
    );
    recovery.refused(refused);
    await clock.advance(1);
    recovery.refused(refused);
    await clock.advance(1);
    expect(calls).toBe(2);
  });
});
