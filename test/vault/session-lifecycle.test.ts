import { describe, expect, it, vi } from 'vitest';
import type { VaultSessionOptions } from '@leasehold/core';
import { openSession, runFor, seededRandom, type Fixture, type VaultWorld } from './helpers.js';

const open = (options: Partial<VaultSessionOptions> = {}, fixture: Fixture = {}) =>
  openSession(fixture, { random: seededRandom(9), ...options });

/** Real timers keeping the event loop alive (unref()ed ones are not listed). */
const realTimeouts = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

const count = (w: VaultWorld, path: string) => w.server.requestLog.filter((entry) => entry.path === path).length;

describe('VaultSession lifecycle', () => {
  it('shares one login between concurrent ready() calls', async () => {
    const { w, s } = await open();
    await Promise.all([s.ready(), s.ready(), s.ready(), s.lease('database/creds/app').ready()]);
    expect(count(w, 'auth/approle/login')).toBe(1);
  });

  it('shares one fetch between concurrent refresh() calls of a lease', async () => {
    const { w, s } = await open();
    const db = s.lease('database/creds/app');
    await db.ready();
    const [a, b, c] = await Promise.all([db.refresh(), db.refresh(), db.refresh()]);
    expect(a.version).toBe(2);
    expect(b.version).toBe(2);
    expect(c.version).toBe(2);
    expect(count(w, 'database/creds/app')).toBe(2);
  });

  it('returns the same promise from close() called twice, and rejects use after close with LEASEHOLD_CLOSED', async () => {
    const { s } = await open();
    const lease = s.lease('database/creds/app');
    await lease.ready();
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
    expect(s.health().state).toBe('closed');
    expect(() => s.lease('database/creds/app')).toThrow(expect.objectContaining({ code: 'LEASEHOLD_CLOSED' }));
    await expect(s.ready()).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
    await expect(s.request({ method: 'GET', path: 'auth/token/lookup-self' })).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
    expect(lease.health().state).toBe('closed');
  });

  it('revokes its leases on close when revokeOnClose, then the token it logged in with', async () => {
    const { w, s } = await open({ revokeOnClose: true });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();
    await s.close();
    await w.server.reap();
    expect(count(w, 'sys/leases/revoke')).toBe(1);
    expect(count(w, 'auth/token/revoke-self')).toBe(1);
    expect(await w.admin.roleExists(value.username)).toBe(false);
  });

  it('revokes on close, when revokeOnClose, a replaced lease a consumer is still draining', async () => {
    const { w, s } = await open({ revokeOnClose: true, revokeTokenOnClose: false });
    const db = s.lease<{ username: string }>('database/creds/app');
    db.subscribe({ name: 'draining-pool', adopt: () => Promise.resolve() }); // holds every value, never releases
    const first = await db.ready();
    await db.refresh();
    const second = db.current();
    expect(second.version).toBe(2);
    expect(await w.admin.roleExists(first.value.username)).toBe(true);
    await s.close();
    await w.server.reap(); // revoke is synchronous (204), so this only settles any background work
    expect(count(w, 'sys/leases/revoke')).toBe(2);
    expect(await w.admin.roleExists(first.value.username)).toBe(false);
    expect(await w.admin.roleExists(second.value.username)).toBe(false);
  });

  it('revokes a lease whose fetch was still in flight when the session closed', async () => {
    const { w, s } = await open({ revokeOnClose: true, revokeTokenOnClose: false });
    await s.ready();
    w.server.inject({ path: /database\/creds\/app/, latencyMillis: 300, times: 1 });
    const db = s.lease<{ username: string }>('database/creds/app');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the request is at the server now
    await s.close();
    await w.server.reap();
    // The fetch was let finish (Vault made the user) and what it got was revoked at once.
    expect(w.server.requestLog.filter((entry) => entry.path === 'database/creds/app' && entry.status === 200)).toHaveLength(1);
    expect(count(w, 'sys/leases/revoke')).toBe(1);
    expect(w.server.leases().filter((lease) => lease.path.startsWith('database/creds/app'))).toEqual([]);
    expect(db.peek()).toBeUndefined();
  });

  it('warns, without degrading, when its policy does not allow revoking a replaced lease (Vault default policy)', async () => {
    const { w, s } = await open({}, { extra: { policies: { app: ['database/creds/app'] } } });
    const db = s.lease<{ username: string }>('database/creds/app');
    const first = await db.ready();
    await db.refresh();
    await vi.waitFor(() => expect(db.health().warnings?.map((warning) => warning.code)).toContain('LEASEHOLD_VAULT_PERMISSION_DENIED'));
    expect(db.health().state).toBe('ready');
    expect(db.health().warnings?.[0]?.message).toMatch(/sys\/leases\/revoke/);
    expect(w.server.requestLog.filter((entry) => entry.path === 'sys/leases/revoke').map((entry) => entry.status)).toEqual([403]);
    expect(await w.admin.roleExists(first.value.username)).toBe(true); // lives until its TTL
  });

  it('leaves leases and token alone on close when told to', async () => {
    const { w, s } = await open({ revokeOnClose: false, revokeTokenOnClose: false });
    const db = s.lease<{ username: string }>('database/creds/app');
    const { value } = await db.ready();
    await s.close();
    await w.server.reap();
    expect(count(w, 'sys/leases/revoke')).toBe(0);
    expect(count(w, 'auth/token/revoke-self')).toBe(0);
    expect(await w.admin.roleExists(value.username)).toBe(true);
  });

  it('keeps no timer alive after close', async () => {
    const { w, s } = await open();
    // Real timers too, not only the fake clock's: counted before the session's first request, so the
    // dev server's and vitest's own timers are in both counts.
    const before = realTimeouts();
    await s.lease('database/creds/app').ready();
    await s
      .kv('secret/app')
      .ready()
      .catch(() => undefined);
    await s.close();
    expect(w.clock.pendingTimers).toBe(0);
    expect(realTimeouts()).toBeLessThanOrEqual(before);
  });
});

describe('a non-renewable lease (aws/sts)', () => {
  it('is requested with POST and its ttl, and re-fetched between 85 % and 95 % of its duration', async () => {
    const { w, s } = await open(
      {},
      {
        extra: {
          aws: { roles: { deploy: { credentialType: 'assumed_role' } } },
          policies: { app: ['aws/sts/deploy', 'sys/leases/revoke'] },
        },
      },
    );
    const aws = s.lease<{ access_key: string }>('aws/sts/deploy', { body: { ttl: '900s' } });
    const first = await aws.ready();
    expect(first.renewable).toBe(false);
    expect(first.expiresAt!.getTime() - first.fetchedAt.getTime()).toBe(900_000);
    expect(w.server.requestLog.find((entry) => entry.path === 'aws/sts/deploy')?.method).toBe('POST');

    let rotatedAt: number | undefined;
    aws.on('rotated', () => (rotatedAt ??= w.clock.now()));
    await runFor(w, 900_000, () => rotatedAt !== undefined);
    const elapsed = rotatedAt! - first.fetchedAt.getTime();
    expect(elapsed).toBeGreaterThanOrEqual(0.85 * 900_000);
    expect(elapsed).toBeLessThanOrEqual(0.95 * 900_000);
    expect(aws.current().value.access_key).not.toBe(first.value.access_key);
  });
});
