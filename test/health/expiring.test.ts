import { healthCheck, ManualClock, registerMetrics } from '@leasehold/core';
import promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { contextSecret } from './context-secret.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function setup(expiringThresholdMillis?: number) {
  const clock = new ManualClock();
  const db = contextSecret<{ password: string }>('database/creds/app', {
    clock,
    ...(expiringThresholdMillis === undefined ? {} : { expiringThresholdMillis }),
  });
  const expiring: number[] = [];
  db.secret.on('expiring', (_snapshot, millisLeft) => expiring.push(millisLeft));
  return { clock, db, expiring, check: healthCheck([db.secret], { clock }) };
}

describe('the expiring alert', () => {
  it('fires at the configured threshold when no replacement is in hand; degraded but still ready', async () => {
    const { clock, db, expiring, check } = setup(2 * MINUTE);
    const registry = new promClient.Registry();
    const metrics = registerMetrics([db.secret], { client: promClient, registry, clock });
    db.offer({ password: 'p1' }, { expiresAt: new Date(clock.now() + HOUR), leaseId: 'lease-1' });

    await clock.advance(58 * MINUTE - 1);
    expect(expiring).toEqual([]);
    expect(check.report().status).toBe('ok');
    await clock.advance(1);
    expect(expiring).toEqual([2 * MINUTE]);
    expect(check.report()).toMatchObject({ status: 'degraded', ready: true, live: true });
    expect(check.report().components[0]?.reason).toBe('still serving; expires at 2026-01-01T01:00:00.000Z with no replacement yet');
    const text = await registry.metrics();
    expect(text).toContain('leasehold_secret_expiry_seconds{secret="database/creds/app"} 120');
    expect(text).toContain('leasehold_secret_state{secret="database/creds/app",state="degraded"} 1');
    await metrics.close();
    await db.secret.close();
  });

  it('caps the threshold at a fifth of the lifetime, so a short lease does not warn before its on-time renewal', async () => {
    const { clock, db, expiring } = setup();
    db.offer({ password: 'p1' }, { expiresAt: new Date(clock.now() + 90_000) });
    await clock.advance(71_999);
    expect(expiring).toEqual([]);
    await clock.advance(1);
    expect(expiring).toEqual([18_000]);
    await db.secret.close();
  });

  it('does not fire when a replacement arrived before the threshold', async () => {
    const { clock, db, expiring, check } = setup(2 * MINUTE);
    db.offer({ password: 'p1' }, { expiresAt: new Date(clock.now() + HOUR) });
    await clock.advance(40 * MINUTE);
    db.offer({ password: 'p2' }, { expiresAt: new Date(clock.now() + HOUR) });
    await clock.advance(30 * MINUTE);
    expect(expiring).toEqual([]);
    expect(check.report()).toMatchObject({ status: 'ok', components: [{ version: 2, state: 'ready' }] });
    await db.secret.close();
  });

  it('clears once a renewal extends the lease, and fires again before the new expiry', async () => {
    const { clock, db, expiring, check } = setup(2 * MINUTE);
    db.offer({ password: 'p1' }, { expiresAt: new Date(clock.now() + HOUR), leaseId: 'lease-1' });
    await clock.advance(59 * MINUTE);
    expect(check.report().status).toBe('degraded');
    db.context.extend('lease-1', new Date(clock.now() + HOUR));
    expect(check.report().status).toBe('ok');
    await clock.advance(58 * MINUTE);
    expect(expiring).toEqual([2 * MINUTE, 2 * MINUTE]);
    await db.secret.close();
  });
});
