import { describe, expect, it } from 'vitest';
import type { HealthState } from '@leasehold/core';
import { openSession, runFor } from './helpers.js';

const TTL = 10_000;

/** Waits, in real time (bounded), for work already started to finish. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}
const OUTAGE = 2 * TTL;

describe('Vault unreachable for twice the lease TTL', () => {
  it('keeps the credential until it expires, then only probes sys/health, and is replaced within seconds of Vault returning', async () => {
    const { w, s } = await openSession({ leaseTtl: '10s', leaseMaxTtl: '10m' }, { random: () => 0.5 });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    const states: HealthState[] = [];
    db.on('health', (health) => states.push(health.state));

    w.server.clearRequestLog();
    const outage = w.server.inject({ dropConnection: true });
    const expiresAt = first.expiresAt!.getTime();
    let degradedWithValidCredential = false;
    await runFor(w, OUTAGE, () => {
      if (db.health().state === 'degraded' && w.clock.now() < expiresAt) degradedWithValidCredential = true;
      return false;
    });

    expect(degradedWithValidCredential).toBe(true);
    expect(db.current().version).toBe(1); // the credential in hand was used until the end
    expect(states).toContain('degraded');
    expect(db.health().state).toBe('expired');
    expect(db.health().lastError?.code).toBe('LEASEHOLD_VAULT_NETWORK');
    const log = w.server.requestLog;
    const authenticated = log.filter((entry) => entry.path !== 'sys/health');
    const probes = log.filter((entry) => entry.path === 'sys/health');
    // Before expiry: retries spread over the time left (each waits at least a second and at most
    // 90 % of what is left, so a handful); after it, nothing but the expiring request that found
    // the credential gone: the expired credential waits on sys/health probes.
    const afterExpiry = authenticated.filter((entry) => entry.timeMillis > expiresAt);
    expect(authenticated.length).toBeLessThanOrEqual(8);
    expect(afterExpiry.length).toBeLessThanOrEqual(1);
    // About one probe a second (0.5-1.5 s apart) while expired, never a tight loop.
    const expiredSeconds = (w.clock.now() - expiresAt) / 1000;
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.length).toBeLessThanOrEqual(Math.ceil(expiredSeconds / 0.5) + 2);

    outage.remove();
    const back = w.clock.now();
    await runFor(w, 3_000, () => db.current().version === 2);
    // The HTTP and SQL behind the replacement run in real time: let them finish (on a loaded
    // machine creating the Postgres role can outlast runFor's quiet period).
    await until(() => db.current().version === 2);
    expect(db.current().version).toBe(2);
    expect(db.health().state).toBe('ready');
    // The replacement was asked for within 3 s of Vault's return (fake time, so no machine noise).
    const replaced = w.server.requestLog.find(
      (entry) => entry.path === 'database/creds/app' && entry.status === 200 && entry.timeMillis >= back,
    );
    expect(replaced).toBeDefined();
    expect(replaced!.timeMillis - back).toBeLessThanOrEqual(3_000);
  });
});
