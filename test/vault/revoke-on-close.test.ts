import { describe, expect, it } from 'vitest';
import { openSession } from './helpers.js';

describe('closing a lease secret', () => {
  it('revokes its lease by default, synchronously: the database user is gone once close() resolves', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' });
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const { value } = await db.ready();
    expect(await w.admin.roleExists(value.username)).toBe(true);

    await db.close();

    expect(await w.admin.roleExists(value.username)).toBe(false);
    expect(w.server.leases()).toHaveLength(0);
  });

  it('revokes every lease of the session when the session closes', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' });
    const a = await s.lease<{ username: string }>('database/creds/app').ready();
    const b = await s.lease<{ username: string }>('database/creds/app').ready();

    await s.close();

    expect(await w.admin.roleExists(a.value.username)).toBe(false);
    expect(await w.admin.roleExists(b.value.username)).toBe(false);
  });

  it('leaves the lease to its TTL with revokeOnClose: false', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' }, { revokeOnClose: false, revokeTokenOnClose: false });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();

    await db.close();
    await s.close();

    expect(await w.admin.roleExists(value.username)).toBe(true);
    expect(w.server.leases()).toHaveLength(1);
  });

  it('tries again when Vault failed the revocation (400 "failed to revoke entry"), within the same bound', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();
    // As Vault words a revocation the database refused under a concurrent change; the lease stays.
    const refused = w.server.inject({
      path: /^sys\/leases\/revoke$/,
      status: 400,
      errors: ['failed to revoke entry: resp: (*logical.Response)(nil) err: ERROR: tuple concurrently updated (SQLSTATE XX000)'],
      times: 2,
    });

    await db.close();

    expect(refused.hits).toBe(2);
    expect(await w.admin.roleExists(value.username)).toBe(false);
    expect(w.server.leases()).toHaveLength(0);
  });

  it('does not try again a revocation Vault refused by policy', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();
    const denied = w.server.inject({ path: /^sys\/leases\/revoke$/, status: 403, errors: ['permission denied'] });

    await db.close();

    expect(denied.hits).toBe(1);
    denied.remove();
    expect(await w.admin.roleExists(value.username)).toBe(true);
  });

  it('is bounded when Vault does not answer: close() resolves within seconds and the user is left to its TTL', async () => {
    const { w, s } = await openSession({ leaseTtl: '1m', leaseMaxTtl: '10m' }, { requestTimeoutMillis: 60_000 });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();
    const blackhole = w.server.inject({ path: /^sys\/leases\/revoke$/, latencyMillis: 30_000 });

    const started = performance.now();
    await db.close();

    // The revocation bound (5 s) ended the wait, not Vault's 30 s nor the 60 s request timeout.
    expect(performance.now() - started).toBeLessThan(20_000);
    blackhole.remove();
    expect(await w.admin.roleExists(value.username)).toBe(true);
  });
});
