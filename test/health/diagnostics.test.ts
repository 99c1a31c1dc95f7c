import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, LeaseholdError, ManualClock } from '@leasehold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { contextSecret } from './context-secret.js';

const seen: [string, unknown][] = [];
const listeners = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
  const listener = (message: unknown): void => void seen.push([name, message]);
  return [name, listener] as const;
});

afterEach(() => {
  for (const [name, listener] of listeners) unsubscribe(name, listener);
  seen.length = 0;
});

describe('diagnostics channels', () => {
  it('publish every lifecycle fact with names, versions and codes, and no value', async () => {
    for (const [name, listener] of listeners) subscribe(name, listener);
    const clock = new ManualClock();
    const db = contextSecret<{ password: string }>('database/creds/app', { clock, expiringThresholdMillis: 10_000 });
    db.secret.subscribe({ name: 'users-pool', adopt: () => Promise.resolve() });
    db.offer({ password: 'Diag-Pa55word-1' }, { expiresAt: new Date(clock.now() + 60_000), leaseId: 'lease-1' });
    db.offer({ password: 'Diag-Pa55word-2' }, { expiresAt: new Date(clock.now() + 60_000), leaseId: 'lease-2' });
    await clock.advance(0);
    db.context.extend('lease-2', new Date(clock.now() + 60_000));
    db.context.failed(new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault answered 503'), {
      step: 'renew',
      nextAttemptAt: new Date(clock.now() + 1000),
    });
    await clock.advance(60_000);

    const names = seen.map(([name]) => name);
    expect(new Set(names)).toEqual(new Set(Object.values(DIAGNOSTICS_CHANNELS)));
    expect(seen).toContainEqual([DIAGNOSTICS_CHANNELS.rotated, { secret: 'database/creds/app', version: 2, previousVersion: 1 }]);
    expect(seen).toContainEqual([DIAGNOSTICS_CHANNELS.adopted, { secret: 'database/creds/app', consumer: 'users-pool', version: 2 }]);
    expect(seen).toContainEqual([DIAGNOSTICS_CHANNELS.expiring, { secret: 'database/creds/app', version: 2, millisLeft: 10_000 }]);
    expect(JSON.stringify(seen)).not.toMatch(/Diag-Pa55word/);
    await db.secret.close();
  });
});
