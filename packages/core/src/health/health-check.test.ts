import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { ComponentHealth, HealthReporter } from '../component-health.js';
import { healthCheck } from './health-check.js';

/** A component whose health the test sets directly. */
function fake(initial: Partial<ComponentHealth> & { name: string }): HealthReporter & { set(next: Partial<ComponentHealth>): void } {
  let health: ComponentHealth = { component: 'secret', state: 'ready', ...initial };
  return {
    health: () => health,
    set(next) {
      health = { ...health, ...next };
    },
  };
}

const MINUTE = 60_000;

describe('healthCheck', () => {
  it('is ok, ready and live when every component serves', () => {
    const check = healthCheck([fake({ name: 'db', version: 3 }), fake({ name: 'pool', component: 'pg-pool', state: 'renewing' })]);
    const report = check.report();
    expect(report).toMatchObject({ status: 'ok', ready: true, live: true });
    expect(report.components.map((component) => [component.name, component.ready, component.live, component.reason])).toEqual([
      ['db', true, true, undefined],
      ['pool', true, true, undefined],
    ]);
    expect(check.readiness()).toMatchObject({ ok: true, failing: [] });
    expect(check.liveness()).toMatchObject({ ok: true, failing: [] });
  });

  it('stays ready while a credential is degraded, and says why', () => {
    const check = healthCheck([
      fake({
        name: 'db',
        state: 'degraded',
        consumers: [{ name: 'pg-pool', version: 1, holding: [1], verifyFailing: true }],
      }),
    ]);
    const report = check.report();
    expect(report).toMatchObject({ status: 'degraded', ready: true, live: true });
    expect(report.components[0]?.reason).toContain('pg-pool could not verify');
  });

  it('is not ready but still live once a required credential expired', () => {
    const clock = new ManualClock();
    const db = fake({ name: 'db', expiresAt: new Date(clock.now() + MINUTE).toISOString() });
    const check = healthCheck([db], { clock });
    expect(check.readiness().ok).toBe(true);
    db.set({ state: 'expired' });
    const readiness = check.readiness();
    expect(readiness).toMatchObject({ ok: false, status: 'failing' });
    expect(readiness.failing[0]?.reason).toMatch(/^credential expired at 2026-01-01T00:01:00/);
    expect(check.liveness().ok).toBe(true);
  });

  it('treats a value past its expiresAt as expired even if the state lags', async () => {
    const clock = new ManualClock();
    const check = healthCheck([fake({ name: 'db', expiresAt: new Date(clock.now() + MINUTE).toISOString() })], { clock });
    await clock.advance(MINUTE);
    expect(check.readiness().ok).toBe(false);
  });

  it('is not ready while starting or failed, and names the last error code', () => {
    const check = healthCheck([
      fake({ name: 'a', state: 'starting' }),
      fake({ name: 'b', state: 'failed', lastError: { code: 'LEASEHOLD_FILE_NOT_FOUND', message: 'x', at: '2026-01-01T00:00:00.000Z' } }),
    ]);
    const readiness = check.readiness();
    expect(readiness.failing.map((failure) => failure.reason)).toEqual([
      'no credential yet',
      'failed with no usable credential (last error LEASEHOLD_FILE_NOT_FOUND)',
    ]);
    expect(check.liveness().ok).toBe(true);
  });

  it('ignores optional components for readiness but reports them as degraded', () => {
    const check = healthCheck([fake({ name: 'db' }), fake({ name: 'cache', state: 'failed', required: false })]);
    const report = check.report();
    expect(report).toMatchObject({ status: 'degraded', ready: true });
    expect(report.components[1]).toMatchObject({ ready: true, reason: 'optional: failed with no usable credential' });
  });

  it('is not ready but live when a required component was closed (the process is shutting down)', () => {
    const check = healthCheck([fake({ name: 'db', state: 'closed' })]);
    expect(check.readiness()).toMatchObject({ ok: false, failing: [{ reason: 'closed' }] });
    expect(check.liveness().ok).toBe(true);
  });

  it('fails liveness when a component stays renewing with no recorded attempt for the stall window', async () => {
    const clock = new ManualClock();
    const vault = fake({ name: 'vault-lease', state: 'renewing' });
    const check = healthCheck([vault], { clock, stalledAfterMillis: 10 * MINUTE });
    for (let minute = 0; minute < 10; minute++) {
      expect(check.liveness().ok).toBe(true);
      await clock.advance(MINUTE);
    }
    const liveness = check.liveness();
    expect(liveness.ok).toBe(false);
    expect(liveness.failing[0]?.reason).toBe('renewing for 600 s with no attempt recorded');
    expect(check.readiness().ok).toBe(true);
  });

  it('keeps liveness while a retry loop records attempts, however long it fails', async () => {
    const clock = new ManualClock();
    const vault = fake({ name: 'vault-lease', state: 'renewing' });
    const check = healthCheck([vault], { clock, stalledAfterMillis: 10 * MINUTE });
    for (let minute = 0; minute < 60; minute++) {
      if (minute % 5 === 0) {
        vault.set({ lastError: { code: 'LEASEHOLD_VAULT_UNAVAILABLE', message: 'm', at: new Date(clock.now()).toISOString() } });
      }
      expect(check.liveness().ok).toBe(true);
      await clock.advance(MINUTE);
    }
  });

  it('does not call a component stalled across a gap in observations', async () => {
    const clock = new ManualClock();
    const check = healthCheck([fake({ name: 'kv', state: 'renewing' })], { clock, stalledAfterMillis: 10 * MINUTE });
    expect(check.liveness().ok).toBe(true);
    await clock.advance(30 * MINUTE);
    expect(check.liveness().ok).toBe(true);
  });

  it('fails liveness when a scheduled retry is long overdue and nothing moved', async () => {
    const clock = new ManualClock();
    const vault = fake({
      name: 'vault-lease',
      state: 'degraded',
      nextRenewalAttemptAt: new Date(clock.now() + MINUTE).toISOString(),
      lastError: { code: 'LEASEHOLD_VAULT_UNAVAILABLE', message: 'm', at: new Date(clock.now()).toISOString() },
    });
    const check = healthCheck([vault], { clock, stalledAfterMillis: 10 * MINUTE });
    for (let minute = 0; minute <= 10; minute++) {
      expect(check.liveness().ok).toBe(true);
      await clock.advance(MINUTE);
    }
    expect(check.liveness().failing[0]?.reason).toMatch(/^a retry due at 2026-01-01T00:01:00.000Z has not run/);
  });

  it('keeps liveness when a retry succeeded with an unchanged value and left its time behind', async () => {
    const clock = new ManualClock();
    // Secret clears lastError on an unchanged value but keeps nextRenewalAttemptAt.
    const kv = fake({ name: 'static-creds', state: 'ready', nextRenewalAttemptAt: new Date(clock.now() + MINUTE).toISOString() });
    const check = healthCheck([kv], { clock, stalledAfterMillis: 10 * MINUTE });
    for (let minute = 0; minute < 40; minute++) {
      expect(check.liveness().ok).toBe(true);
      await clock.advance(MINUTE);
    }
  });

  it('never fails liveness for an expired credential, however long it stays expired', async () => {
    const clock = new ManualClock();
    const check = healthCheck([fake({ name: 'db', state: 'expired' })], { clock, stalledAfterMillis: MINUTE });
    for (let i = 0; i < 30; i++) {
      expect(check.liveness().ok).toBe(true);
      await clock.advance(10_000);
    }
  });

  it('fails liveness for a component that reports itself wedged', () => {
    const check = healthCheck([fake({ name: 'pool', component: 'pg-pool', live: false })]);
    expect(check.liveness()).toMatchObject({ ok: false, failing: [{ name: 'pool', reason: 'the component reports itself wedged' }] });
  });

  it('reports a component whose health() throws as failed instead of throwing', () => {
    const broken: HealthReporter & { name: string } = {
      name: 'broken-pool',
      health() {
        throw Object.assign(new Error('password=hunter2'), { code: 'EBROKEN' });
      },
    };
    const report = healthCheck([broken]).report();
    expect(report.components[0]).toMatchObject({
      name: 'broken-pool',
      state: 'failed',
      ready: false,
      live: true,
      reason: 'health() threw (EBROKEN)',
    });
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  it('refuses components without health() and a non-positive stall window', () => {
    expect(() => healthCheck([{} as HealthReporter])).toThrow(expect.objectContaining({ code: 'LEASEHOLD_INVALID_OPTION' }));
    expect(() => healthCheck('db' as never)).toThrow(expect.objectContaining({ code: 'LEASEHOLD_INVALID_OPTION' }));
    expect(() => healthCheck([], { stalledAfterMillis: 0 })).toThrow(/stalledAfterMillis/);
  });
});
