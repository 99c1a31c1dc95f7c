import { describe, expect, it } from 'vitest';
import { LeaseholdError, ManualClock, silentLogger } from '@leasehold/core';
import { isAuthFailure, RefusedLogins } from './refused-logins.js';

const refused = (): Error => Object.assign(new Error('password authentication failed for user "app_7"'), { code: '28P01' });

/** A RefusedLogins whose `recover` calls the test controls. */
function setup(askIntervalMillis = 5_000): {
  clock: ManualClock;
  logins: RefusedLogins;
  asks: { version: number; resolve: () => void; reject: (error: Error) => void }[];
  setActive: (version: number) => void;
} {
  const clock = new ManualClock();
  let active = 1;
  const asks: { version: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  const logins = new RefusedLogins({
    name: 'pool',
    secretName: 'db',
    clock,
    logger: silentLogger,
    askIntervalMillis,
    activeVersion: () => active,
    recover: (version) => new Promise<void>((resolve, reject) => asks.push({ version, resolve, reject })),
  });
  return { clock, logins, asks, setActive: (version) => (active = version) };
}

const noNewer = (): LeaseholdError => new LeaseholdError('LEASEHOLD_NO_NEWER_VALUE', 'nothing newer');

describe('RefusedLogins', () => {
  it('tells refused logins from other errors', () => {
    expect(isAuthFailure(refused())).toBe(true);
    expect(isAuthFailure({ code: '28000' })).toBe(true);
    expect(isAuthFailure({ code: '57P01' })).toBe(false);
    expect(isAuthFailure(new Error('ECONNREFUSED'))).toBe(false);
    expect(isAuthFailure(undefined)).toBe(false);
  });

  it('holds refused checkouts and retries them once newer credentials are adopted, with one request for many refusals', async () => {
    const { clock, logins, asks, setActive } = setup();
    const retried: number[] = [];
    const failed: Error[] = [];
    for (let i = 0; i < 20; i++) {
      logins.hold(
        refused(),
        1,
        clock.now() + 10_000,
        () => retried.push(i),
        (error) => failed.push(error),
      );
    }
    expect(logins.size).toBe(20);
    expect(asks.map((ask) => ask.version)).toEqual([1]);
    setActive(2);
    asks[0]!.resolve();
    await clock.advance(0);
    expect(retried).toHaveLength(20);
    expect(failed).toEqual([]);
    expect(logins.size).toBe(0);
    expect(logins.failures).toBe(20);
    expect(logins.asks).toBe(1);
  });

  it('retries at once a login refused with credentials already replaced', () => {
    const { clock, logins, asks, setActive } = setup();
    setActive(3);
    let retried = 0;
    logins.hold(
      refused(),
      2,
      clock.now() + 10_000,
      () => retried++,
      () => undefined,
    );
    expect(retried).toBe(1);
    expect(logins.size).toBe(0);
    expect(asks).toEqual([]);
  });

  it('asks again at most once per interval while the source has nothing newer, and a late value still serves', async () => {
    const { clock, logins, asks, setActive } = setup(5_000);
    let retried = 0;
    logins.hold(
      refused(),
      1,
      clock.now() + 12_000,
      () => retried++,
      () => undefined,
    );
    asks[0]!.reject(noNewer());
    await clock.advance(4_999);
    expect(asks).toHaveLength(1);
    await clock.advance(1);
    expect(asks).toHaveLength(2);
    asks[1]!.reject(noNewer());
    await clock.advance(3_000);
    // The new value arrives on its own (file watch): the pool's switch calls activated().
    setActive(2);
    logins.activated();
    expect(retried).toBe(1);
    await clock.advance(10_000);
    expect(asks).toHaveLength(2);
  });

  it('gives held checkouts to idle connections, oldest first, without waiting for new credentials', () => {
    const { clock, logins } = setup();
    const retried: number[] = [];
    for (let i = 0; i < 3; i++)
      logins.hold(
        refused(),
        1,
        clock.now() + 10_000,
        () => retried.push(i),
        () => undefined,
      );
    logins.idle(2);
    expect(retried).toEqual([0, 1]);
    expect(logins.size).toBe(1);
  });

  it('fails a checkout nothing served by its deadline with LEASEHOLD_PG_LOGIN_REFUSED naming secret and version, never the user', async () => {
    const { clock, logins, asks } = setup();
    const failed: Error[] = [];
    logins.hold(
      refused(),
      4,
      clock.now() + 1_000,
      () => undefined,
      (error) => failed.push(error),
    );
    asks[0]!.reject(noNewer());
    await clock.advance(1_000);
    expect(failed).toHaveLength(1);
    const error = failed[0] as LeaseholdError;
    expect(error).toMatchObject({ code: 'LEASEHOLD_PG_LOGIN_REFUSED', retryable: true, details: { version: 4, sqlState: '28P01' } });
    expect(error.message).toContain('version 4 of secret "db"');
    expect(error.cause).toMatchObject({ code: '28P01' });
    expect(`${error.message} ${String(error.cause)}`).not.toContain('app_7');
    expect(logins.failedCheckouts).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails at once a refusal that arrives past its deadline, and fails every held checkout when the pool ends', async () => {
    const { clock, logins } = setup();
    const failed: string[] = [];
    logins.hold(
      refused(),
      1,
      clock.now(),
      () => undefined,
      (error) => failed.push((error as LeaseholdError).code),
    );
    logins.hold(
      refused(),
      1,
      clock.now() + 5_000,
      () => undefined,
      (error) => failed.push(error.message),
    );
    logins.failAll(new Error('pool ended'));
    expect(failed).toEqual(['LEASEHOLD_PG_LOGIN_REFUSED', 'pool ended']);
    await clock.advance(10_000);
    expect(failed).toHaveLength(2);
  });
});
