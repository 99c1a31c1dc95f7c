import { LeaseholdError, ManualClock, registerMetrics, type HealthReporter, type Snapshot } from '@leasehold/core';
import promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { contextSecret } from './context-secret.js';

interface Credentials {
  username: string;
  password: string;
}

const PASSWORDS = ['first-S3cret-pw', 'second-S3cret-pw'];

function setup() {
  const clock = new ManualClock();
  const registry = new promClient.Registry();
  const db = contextSecret<Credentials>('db-credentials', { clock });
  // A consumer that takes 1.5 s to verify each new value, like a pool opening a test connection.
  const adopted: number[] = [];
  db.secret.subscribe({
    name: 'users-pool',
    adopt: (next: Snapshot<Credentials>) =>
      new Promise<void>((resolve) => {
        clock.setTimeout(() => {
          adopted.push(next.version);
          resolve();
        }, 1500);
      }),
  });
  const pool: HealthReporter = {
    health: () => ({
      name: 'users-pool',
      component: 'pg-pool',
      source: 'db-credentials',
      state: 'ready',
      details: {
        generations: [
          { version: 2, state: 'active' },
          { version: 1, state: 'draining' },
        ],
      },
    }),
  };
  const metrics = registerMetrics([db.secret, pool], { client: promClient, registry, clock });
  return { clock, registry, db, metrics, adopted };
}

describe('registerMetrics', () => {
  it('exposes expiry, state, rotations, renewals, errors, pool generations and rotation duration by name only', async () => {
    const { clock, registry, db, metrics, adopted } = setup();
    db.offer(
      { username: 'app', password: PASSWORDS[0]! },
      { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'database/creds/app/1' },
    );
    await clock.advance(1500);
    db.offer(
      { username: 'app', password: PASSWORDS[1]! },
      { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'database/creds/app/2' },
    );
    await clock.advance(1500);
    expect(adopted).toEqual([1, 2]);
    db.context.extend('database/creds/app/2', new Date(clock.now() + 7_200_000));
    db.context.failed(
      new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault answered 503 for lease database/creds/app/2', { retryable: true }),
      { step: 'renew', nextAttemptAt: new Date(clock.now() + 1000) },
    );

    const text = await registry.metrics();
    expect(text).toContain('leasehold_secret_expiry_seconds{secret="db-credentials"} 7200');
    expect(text).toContain('leasehold_secret_state{secret="db-credentials",state="degraded"} 1');
    expect(text).toContain('leasehold_secret_state{secret="db-credentials",state="ready"} 0');
    expect(text).toContain('leasehold_rotations_total{secret="db-credentials"} 1');
    expect(text).toContain('leasehold_renewals_total{secret="db-credentials",result="success"} 1');
    expect(text).toContain('leasehold_renewals_total{secret="db-credentials",result="failure"} 1');
    expect(text).toContain('leasehold_source_errors_total{secret="db-credentials",code="LEASEHOLD_VAULT_UNAVAILABLE"} 1');
    expect(text).toContain('leasehold_pool_generations{pool="users-pool",secret="db-credentials"} 2');
    expect(text).toContain('leasehold_rotation_duration_seconds_count{secret="db-credentials"} 1');
    expect(text).toContain('leasehold_rotation_duration_seconds_sum{secret="db-credentials"} 1.5');
    expect(text).toContain('leasehold_rotation_duration_seconds_bucket{le="1",secret="db-credentials"} 0');
    expect(text).toContain('leasehold_rotation_duration_seconds_bucket{le="2.5",secret="db-credentials"} 1');
    for (const password of PASSWORDS) expect(text).not.toContain(password);
    await metrics.close();
    await db.secret.close();
  });

  it('does not time a rotation that a newer one overtook', async () => {
    const { clock, registry, db, metrics } = setup();
    db.offer({ username: 'app', password: 'v1-password' });
    await clock.advance(1500);
    db.offer({ username: 'app', password: 'v2-password' });
    await clock.advance(500);
    db.offer({ username: 'app', password: 'v3-password' });
    await clock.advance(5000);
    const text = await registry.metrics();
    // v2 was overtaken by v3 while the consumer verified it; v3 was timed from its own rotation
    // (t = 2 s) to its adoption once the consumer had finished v2 and then v3 (t = 4.5 s).
    expect(text).toContain('leasehold_rotation_duration_seconds_count{secret="db-credentials"} 1');
    expect(text).toContain('leasehold_rotation_duration_seconds_sum{secret="db-credentials"} 2.5');
    expect(db.secret.health().consumers?.[0]?.version).toBe(3);
    await metrics.close();
    await db.secret.close();
  });

  it('refuses a second registration in the same registry and leaves the first one working', async () => {
    const { registry, db, metrics } = setup();
    expect(() => registerMetrics([db.secret], { client: promClient, registry })).toThrow(/already been registered/);
    expect(await registry.metrics()).toContain('leasehold_rotations_total{secret="db-credentials"} 0');
    await metrics.close();
    await db.secret.close();
  });

  it('removes its metrics and listeners on close, once, whoever calls', async () => {
    const { registry, db, metrics } = setup();
    const closing = metrics.close();
    expect(metrics.close()).toBe(closing);
    await closing;
    expect(await registry.metrics()).toBe('\n');
    db.offer({ username: 'app', password: 'after-close' });
    db.offer({ username: 'app', password: 'after-close-2' });
    const again = registerMetrics([db.secret], { client: promClient, registry });
    expect(await registry.metrics()).toContain('leasehold_rotations_total{secret="db-credentials"} 0');
    await again[Symbol.asyncDispose]();
    await db.secret.close();
  });
});
