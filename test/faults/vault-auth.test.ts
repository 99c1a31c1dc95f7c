/**
 * Fault family: Vault refuses the caller. A token revoked out of band (403 invalid token) must
 * lead to a new login and re-issued leases, not a dead service; a policy that denies the lease
 * path (403 permission denied) must keep the credential in hand, say so in health with the code,
 * retry slowly (an operator has to act, a fleet must not hammer Vault) and recover once the policy
 * allows the path again. Nothing is left behind: no lease after close, no unhandled rejection.
 * Single-cause depth: test/vault/token-relogin and test/vault/permission-denied.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../pg/load.js';
import { openSession, runFor, seededRandom } from '../vault/helpers.js';
import { expectNoLeases } from './support/nothing-left.js';
import { guardProcess } from './support/process-guard.js';

guardProcess();

type Creds = { username: string; password: string };

/** Vault's body for a valid token whose policy does not allow the path. */
const PERMISSION_DENIED = ['1 error occurred:\n\t* permission denied\n\n'];

describe('403 invalid token (revoked out of band)', () => {
  it('logs in again, re-issues the lease its token took down with it, and reports ready', async () => {
    const { w, s } = await openSession({ leaseTtl: '30s', leaseMaxTtl: '10m' }, { random: seededRandom(21) });
    const db = s.lease<Creds>('database/creds/app');
    const first = await db.ready();
    const token = w.server.leases().find((lease) => lease.id === first.leaseId)!.token!;
    await w.server.revokeToken(token); // the lease (and its database role) died with the token
    expect(await w.admin.roleExists(first.value.username)).toBe(false);

    await runFor(w, 25_000, () => db.current().version > first.version);
    await until(() => db.current().version > first.version && db.health().state === 'ready', 10_000, 'the lease re-issued');

    expect(s.tokenGeneration).toBe(2);
    expect(w.server.requestLog.filter((entry) => entry.path === 'auth/approle/login')).toHaveLength(2);
    // Vault said so in plain words: a 403 invalid token, answered by one new login, not a loop.
    expect(w.server.requestLog.filter((entry) => entry.status === 403).length).toBeGreaterThan(0);
    expect(w.server.requestLog.filter((entry) => entry.status === 403).length).toBeLessThanOrEqual(2);
    expect(await w.admin.roleExists(db.current().value.username)).toBe(true);

    await s.close();
    expectNoLeases(w.server);
  });
});

describe('a policy that stops allowing the lease path (403 permission denied)', () => {
  it('keeps the credential, reports LEASEHOLD_VAULT_PERMISSION_DENIED, retries slowly and recovers once allowed again', async () => {
    const { w, s } = await openSession({ leaseTtl: '10m', leaseMaxTtl: '1h' }, { random: seededRandom(22) });
    const db = s.lease<Creds>('database/creds/app');
    const first = await db.ready();
    // The policy lost the path: renewals and new credentials are both denied.
    const denial = w.server.inject({ path: /^(sys\/leases\/renew|database\/creds\/app)$/, status: 403, errors: PERMISSION_DENIED });

    await runFor(w, 8 * 60_000, () => db.health().lastError?.code === 'LEASEHOLD_VAULT_PERMISSION_DENIED');
    const deniedAt = w.clock.now();
    expect(db.health().state).toBe('degraded');
    expect(db.health().lastError?.code).toBe('LEASEHOLD_VAULT_PERMISSION_DENIED');
    expect(db.current().leaseId).toBe(first.leaseId);
    const hits = denial.hits;
    await runFor(w, 60_000);
    // Slow: at most one more attempt in the next minute (2.5-5 min apart, or spread over the time left).
    expect(denial.hits - hits).toBeLessThanOrEqual(1);
    expect(db.current().leaseId).toBe(first.leaseId);
    expect(db.health().state).toBe('degraded');

    denial.remove();
    const left = first.expiresAt!.getTime() - w.clock.now();
    const sent = w.server.requestLog.length;
    // Stop fake time once the next attempt is out: its real HTTP and SQL must finish first.
    await runFor(w, left - 1_000, () => w.server.requestLog.length > sent);
    await until(() => db.health().state === 'ready', 10_000, 'recovered once allowed');
    expect(w.clock.now() - deniedAt).toBeLessThan(first.expiresAt!.getTime() - deniedAt);
    expect(db.current().expiresAt!.getTime()).toBeGreaterThan(first.expiresAt!.getTime());

    await s.close();
    expectNoLeases(w.server);
  });
});

describe('a policy that denies the lease path at start', () => {
  it('fails the first fetch with LEASEHOLD_VAULT_PERMISSION_DENIED, retries every few minutes, and is ready once the policy allows it', async () => {
    const { w, s } = await openSession({ leaseTtl: '60s', leaseMaxTtl: '10m' }, { random: seededRandom(23) });
    const denial = w.server.inject({ path: /^database\/creds\/app$/, status: 403, errors: PERMISSION_DENIED });
    const db = s.lease<Creds>('database/creds/app');
    const error = await db.ready().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_PERMISSION_DENIED', retryable: false });
    expect(db.health().state).toBe('failed');

    await runFor(w, 60_000);
    expect(denial.hits).toBe(1); // the next try waits 2.5-5 minutes
    denial.remove();
    // Stop fake time once the next attempt is out: its real HTTP and SQL must finish first.
    await runFor(w, 5 * 60_000, () => w.server.requestLog.filter((entry) => entry.path === 'database/creds/app').length === 2);
    await until(() => db.health().state === 'ready', 10_000, 'ready once allowed');
    expect(db.current().version).toBe(1);
    expect(w.server.requestLog.filter((entry) => entry.path === 'database/creds/app')).toHaveLength(2);

    await s.close();
    expectNoLeases(w.server);
  });
});
