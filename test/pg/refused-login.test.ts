// The window every password rotation has: the job changes the database first (ALTER ROLE ...
// PASSWORD) and the mounted secret later (ESO, Vault Agent, kubelet). A new connection opened
// in between is refused with 28P01. These tests open that window on purpose, with real
// PostgreSQL, and force new connections into it by ending the open ones.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fileSecret } from '@leasehold/core';
import { atomicWriteDir, connectPostgres, manualSecret, quoteIdent, quoteLiteral } from '@leasehold/testing';
import type { PostgresDatabase, PostgresRole } from '@leasehold/testing';
import { createPool, type RotatingPool } from '@leasehold/pg';

/** What these tests read of a pool, whatever its secret's type. */
type Observed = Pick<RotatingPool, 'health' | 'totalCount'>;
import { until } from './load.js';

const admin = connectPostgres(inject('postgres'));
let db: PostgresDatabase;

beforeAll(async () => {
  db = await admin.createDatabase();
});
afterAll(async () => {
  await db.drop();
  await admin.close();
});

const connection = (): { host: string; port: number; database: string } => ({ host: db.host, port: db.port, database: db.database });
const newPassword = (): string => randomBytes(12).toString('base64url');

async function newRole(): Promise<PostgresRole> {
  const role = await admin.createRole();
  await admin.adminQuery(`GRANT ALL ON SCHEMA public TO ${quoteIdent(role.name)}`, [], { database: db.database });
  return role;
}

/** The database's half of a rotation: the new password is live, our copy of the secret still has the old one. */
async function rotateDatabaseOnly(role: string, password: string): Promise<void> {
  await admin.adminQuery(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(password)}`);
}

/** Ends every session of `role`, so the pool's next checkout must log in again. */
async function endSessions(pool: Observed, role: string): Promise<void> {
  await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  await until(() => pool.totalCount === 0, 10_000, 'terminated clients removed');
}

const detail = (pool: Observed, key: string): unknown => pool.health().details?.[key];

/** Tracks how many of `promises` have settled. */
function settledCount(promises: Promise<unknown>[]): () => number {
  let settled = 0;
  for (const promise of promises) {
    promise.then(
      () => settled++,
      () => settled++,
    );
  }
  return () => settled;
}

describe('a login refused between ALTER ROLE and the secret update', () => {
  it('holds the refused checkouts until the mounted secret catches up, then serves them all on the new password', async () => {
    const role = await newRole();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-pg-window-'));
    await atomicWriteDir(dir, { username: role.name, password: role.password });
    const secret = fileSecret<{ username: string; password: string }>({ path: dir, pollIntervalMillis: 0 });
    const pool = createPool(secret, { ...connection(), max: 2 });
    try {
      await pool.query('SELECT 1');
      const password = newPassword();
      await rotateDatabaseOnly(role.name, password);
      await endSessions(pool, role.name);
      const queries = Array.from({ length: 6 }, (_, i) => pool.query<{ n: number }>('SELECT $1::int AS n', [i]));
      const settled = settledCount(queries);
      // The window is open: logins were refused and the checkouts are held, none failed.
      await until(() => Number(detail(pool, 'heldAfterRefusedLogin')) > 0, 10_000, 'a refused checkout held');
      expect(settled()).toBe(0);
      expect(pool.version).toBe(1);
      // The mount catches up.
      await atomicWriteDir(dir, { username: role.name, password });
      const results = await Promise.all(queries);
      expect(results.map((result) => result.rows[0]?.n)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(pool.version).toBe(2);
      expect(detail(pool, 'authFailures')).toBeGreaterThanOrEqual(1);
      expect(detail(pool, 'refusedCheckouts')).toBe(0);
      expect(detail(pool, 'heldAfterRefusedLogin')).toBe(0);
    } finally {
      await pool.end();
      await secret.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves a held checkout with an open connection released meanwhile, before any newer credentials exist', async () => {
    const role = await newRole();
    const source = manualSecret('open-connection', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), max: 2, forcedRefreshIntervalMillis: 60_000 });
    try {
      // A session opened before the rotation: PostgreSQL never asks it for the password again.
      const open = await pool.connect();
      await rotateDatabaseOnly(role.name, newPassword());
      const query = pool.query<{ one: number }>('SELECT 1 AS one');
      const settled = settledCount([query]);
      await until(() => Number(detail(pool, 'heldAfterRefusedLogin')) === 1, 10_000, 'the refused checkout held');
      expect(settled()).toBe(0);
      open.release();
      expect((await query).rows).toEqual([{ one: 1 }]);
      expect(pool.version).toBe(1);
      expect(detail(pool, 'refusedCheckouts')).toBe(0);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('starts a pool created inside the window on the newer value a re-read finds, instead of failing its first queries', async () => {
    const role = await newRole();
    const source = manualSecret('created-in-window', { username: role.name, password: role.password });
    const password = newPassword();
    await rotateDatabaseOnly(role.name, password);
    // The source has the new value by the time it is read again (the mount just caught up).
    source.onRefresh(() => {
      source.set({ username: role.name, password });
    });
    const pool = createPool(source.secret, { ...connection(), max: 2 });
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => pool.query<{ one: number }>('SELECT 1 AS one')));
      expect(results.map((result) => result.rows[0])).toEqual(Array.from({ length: 4 }, () => ({ one: 1 })));
      expect(pool.version).toBe(2);
      expect(pool.health().details).toMatchObject({ lastVerification: { ok: true, version: 2 } });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('fails with LEASEHOLD_PG_LOGIN_REFUSED naming secret and version when nothing newer arrives, asking the secret once', async () => {
    const role = await newRole();
    const source = manualSecret('stays-wrong', { username: role.name, password: role.password });
    const pool = createPool(source.secret, {
      ...connection(),
      max: 4,
      connectionTimeoutMillis: 1_000,
      forcedRefreshIntervalMillis: 60_000,
    });
    let refreshes = 0;
    source.onRefresh(() => {
      refreshes += 1;
    });
    try {
      await pool.query('SELECT 1');
      await rotateDatabaseOnly(role.name, newPassword());
      await endSessions(pool, role.name);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => pool.query('SELECT 1')));
      for (const result of results) {
        expect(result).toMatchObject({
          status: 'rejected',
          reason: { code: 'LEASEHOLD_PG_LOGIN_REFUSED', details: { version: 1, sqlState: '28P01' }, cause: { code: '28P01' } },
        });
        expect((result as PromiseRejectedResult).reason.message).toContain('version 1 of secret "stays-wrong"');
        expect((result as PromiseRejectedResult).reason.message).not.toContain(role.name);
      }
      expect(refreshes).toBe(1);
      // One login per checkout: a held checkout tries again only with newer credentials or an
      // open connection, never the refused password (no retry storm against the role).
      expect(detail(pool, 'authFailures')).toBe(8);
      expect(detail(pool, 'refusedCheckouts')).toBe(8);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });
});
