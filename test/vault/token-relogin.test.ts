import { describe, expect, it } from 'vitest';
import { holdingConsumer, openSession, runFor, seededRandom } from './helpers.js';

describe('a session whose token reaches its max TTL', () => {
  it('logs in again before the token dies and re-issues its leases before the old ones die with it', async () => {
    const { w, s } = await openSession(
      { tokenTtl: '15s', tokenMaxTtl: '45s', leaseTtl: '30s', leaseMaxTtl: '10m' },
      { random: seededRandom(3) },
    );
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    const loginAt = w.clock.now();
    const oldToken = w.server.leases().find((lease) => lease.id === first.leaseId)?.token;
    expect(oldToken).toBeDefined();
    const { held, subscription } = holdingConsumer(db);
    let reissuedAt: number | undefined;
    db.on('rotated', (_next, prev) => {
      if (prev) reissuedAt ??= w.clock.now();
    });
    let expired = false;
    db.on('expired', () => (expired = true));

    await runFor(w, 44_000, () => reissuedAt !== undefined);

    expect(s.tokenGeneration).toBe(2);
    // Renewed at ~2/3 of its TTL until Vault capped it, then replaced by a login.
    const renewals = w.server.requestLog.filter((entry) => entry.path === 'auth/token/renew-self' && entry.timeMillis < reissuedAt!);
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals[0]!.timeMillis - loginAt).toBeGreaterThanOrEqual((2 / 3) * 15_000);
    expect(renewals[0]!.timeMillis - loginAt).toBeLessThan(15_000);
    expect(reissuedAt).toBeDefined();
    expect(reissuedAt!).toBeLessThan(loginAt + 45_000);
    const next = db.current();
    const leases = w.server.leases();
    const newToken = leases.find((lease) => lease.id === next.leaseId)?.token;
    expect(newToken).toBeDefined();
    expect(newToken).not.toBe(oldToken);
    // The old lease is alive while the holder drains it.
    expect(leases.some((lease) => lease.id === first.leaseId)).toBe(true);
    expect(await w.admin.roleExists(first.value.username)).toBe(true);

    subscription.release(held[0]!);
    await runFor(w, 10_000);
    expect(expired).toBe(false);
    expect(await w.admin.roleExists(first.value.username)).toBe(false);
    expect(await w.admin.roleExists(next.value.username)).toBe(true);
    expect(db.health().state).toBe('ready');
  });

  it('logs in again at once when Vault says the token is invalid, and re-issues the lease', async () => {
    const { w, s } = await openSession({ leaseTtl: '30s', leaseMaxTtl: '10m' }, { random: seededRandom(4) });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const first = await db.ready();
    const token = w.server.leases().find((lease) => lease.id === first.leaseId)!.token!;
    await w.server.revokeToken(token); // an operator revoked it: its leases are gone too

    await runFor(w, 25_000, () => db.current().version > 1);

    expect(s.tokenGeneration).toBe(2);
    expect(db.current().version).toBe(2);
    expect(await w.admin.roleExists(db.current().value.username)).toBe(true);
  });
});
