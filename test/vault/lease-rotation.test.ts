import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '@leasehold/core';
import { holdingConsumer, openSession, runFor, SECRET_ID, seededRandom, type VaultWorld } from './helpers.js';

interface DbCreds {
  readonly username: string;
  readonly password: string;
}

async function canLogin(w: VaultWorld, creds: DbCreds): Promise<boolean> {
  const client = new pg.Client({ connectionString: w.admin.connectionStringFor({ user: creds.username, password: creds.password }) });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('a database lease with TTL 10 s and max TTL 40 s', () => {
  it('is renewed, then replaced before its max TTL with a third of its final TTL left, and its role is dropped only after release', async () => {
    const { w, s } = await openSession({ leaseTtl: '10s', leaseMaxTtl: '40s' }, { random: seededRandom(1) });
    const db = s.lease<DbCreds>('database/creds/app', { retireMarginMillis: 500 });
    const first = await db.ready();
    expect(await canLogin(w, first.value)).toBe(true);
    const { held, subscription } = holdingConsumer(db);

    const renewals: { at: number; expiresAt: number }[] = [];
    db.on('renewed', (snapshot) => renewals.push({ at: w.clock.now(), expiresAt: snapshot.expiresAt!.getTime() }));
    let rotation: { at: number; prev: Snapshot<DbCreds> } | undefined;
    db.on('rotated', (_next, prev) => {
      if (prev && !rotation) rotation = { at: w.clock.now(), prev };
    });
    let expired = false;
    db.on('expired', () => (expired = true));

    await runFor(w, 45_000, () => rotation !== undefined && held.length > 0);

    expect(rotation).toBeDefined();
    const { at, prev } = rotation!;
    expect(prev.leaseId).toBe(first.leaseId);
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    const issuedAt = first.fetchedAt.getTime();
    const maxDeadline = issuedAt + 40_000;
    expect(at).toBeLessThan(maxDeadline);
    // The last renewal was the capped one: its grant is the final TTL.
    const last = renewals.at(-1)!;
    const finalTtl = last.expiresAt - last.at;
    expect(finalTtl).toBeLessThan(10_000);
    expect(prev.expiresAt!.getTime() - at).toBeGreaterThanOrEqual(finalTtl / 3);
    expect(expired).toBe(false);

    const next = db.current();
    expect(next.value.username).not.toBe(first.value.username);
    expect(await canLogin(w, next.value)).toBe(true);

    // The holder still uses the old lease: its role must still exist.
    expect(held.map((snapshot) => snapshot.version)).toContain(prev.version);
    expect(await w.admin.roleExists(first.value.username)).toBe(true);

    const retired = new Promise<void>((resolve) => db.once('retired', () => resolve()));
    subscription.release(prev);
    await retired;
    await w.server.reap();
    expect(await w.admin.roleExists(first.value.username)).toBe(false);
    expect(w.server.leases().some((lease) => lease.id === first.leaseId)).toBe(false);
  });

  it('fetches a replacement at once when a renewal finds the lease gone (revoked out of band)', async () => {
    const { w, s } = await openSession({ leaseTtl: '30s', leaseMaxTtl: '10m' }, { random: seededRandom(2) });
    const db = s.lease<DbCreds>('database/creds/app');
    const first = await db.ready();
    await w.server.revokeLease(first.leaseId!);
    let replacedAt: number | undefined;
    db.on('rotated', (_next, prev) => {
      if (prev) replacedAt ??= w.clock.now();
    });
    await runFor(w, 30_000, () => replacedAt !== undefined);
    const refused = w.server.requestLog.find((entry) => entry.path === 'sys/leases/renew');
    expect(refused?.status).toBe(400);
    expect(replacedAt).toBe(refused!.timeMillis);
    expect(db.health().state).toBe('ready');
    expect(await canLogin(w, db.current().value)).toBe(true);
  });

  it('keeps renewing the current lease when a refresh() fails', async () => {
    const { w, s } = await openSession({ leaseTtl: '30s', leaseMaxTtl: '10m' }, { random: seededRandom(11) });
    const db = s.lease<DbCreds>('database/creds/app');
    const first = await db.ready();
    w.server.failNext(1, 500, /^database\/creds\//);
    await expect(db.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_UNAVAILABLE', retryable: true });

    await runFor(w, 30_000, () => (db.current().expiresAt?.getTime() ?? 0) > first.expiresAt!.getTime());
    expect(db.current().leaseId).toBe(first.leaseId);
    expect(db.current().expiresAt!.getTime()).toBeGreaterThan(first.expiresAt!.getTime());
    expect(db.health().state).toBe('ready');
  });

  it('never prints the session token or the database password', async () => {
    const { s } = await openSession();
    const db = s.lease<DbCreds>('database/creds/app');
    const snapshot = await db.ready();
    const { inspect } = await import('node:util');
    const printed = [inspect(s, { depth: 6 }), JSON.stringify(s.health()), inspect(snapshot), JSON.stringify(db.health())].join('\n');
    expect(printed).not.toContain(snapshot.value.password);
    expect(printed).not.toContain(SECRET_ID);
    expect(printed).not.toMatch(/hvs\./);
  });
});
