import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fileSecret } from '@leasehold/core';
import { atomicWriteDir, connectPostgres, manualSecret, quoteIdent, quoteLiteral } from '@leasehold/testing';
import type { PostgresDatabase, PostgresRole } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { startLoad, until } from './load.js';

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

async function alterPassword(role: string, password: string): Promise<void> {
  await admin.adminQuery(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(password)}`);
}

async function newRole(): Promise<PostgresRole> {
  const role = await admin.createRole();
  await admin.adminQuery(`GRANT ALL ON SCHEMA public TO ${quoteIdent(role.name)}`, [], { database: db.database });
  return role;
}

describe('a password rotation (same user)', () => {
  it('follows ALTER ROLE plus a kubelet-style swap of the mounted directory under load without a failed query', async () => {
    const role = await newRole();
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-pg-mount-'));
    await atomicWriteDir(dir, { username: role.name, password: role.password });
    const secret = fileSecret<{ username: string; password: string }>({ path: dir, pollIntervalMillis: 0 });
    const pool = createPool(secret, { ...connection(), max: 4 });
    try {
      await pool.query('SELECT 1');
      const load = startLoad(pool, 8);
      for (let rotation = 1; rotation <= 3; rotation++) {
        const password = newPassword();
        // The order of a real rotation job: the database first, then the mounted secret.
        await alterPassword(role.name, password);
        await atomicWriteDir(dir, { username: role.name, password });
        await until(() => pool.version === rotation + 1, 10_000, `version ${rotation + 1}`);
        const served = load.ok();
        await until(() => load.ok() > served + 50, 10_000, 'queries on the new generation');
      }
      const result = await load.stop();
      expect(result.errors).toEqual([]);
      expect(result.ok).toBeGreaterThan(150);
      await until(() => (pool.health().details?.['generations'] as unknown[]).length === 1, 10_000, 'old generations ended');
      expect(pool.health().details).toMatchObject({ generations: [{ version: 4, strategy: 'password', state: 'active' }] });
    } finally {
      await pool.end();
      await secret.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('re-reads the secret once when the database refuses a new connection, then retries on the new credentials', async () => {
    const role = await newRole();
    const source = manualSecret('refused', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), max: 1 });
    try {
      await pool.query('SELECT 1');
      const password = newPassword();
      await alterPassword(role.name, password);
      // The mount has not caught up yet; a forced refresh finds the new value.
      source.onRefresh(() => {
        source.set({ username: role.name, password });
      });
      await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role.name]);
      await until(() => pool.totalCount === 0, 5_000, 'killed client removed');
      const results = await Promise.all(Array.from({ length: 10 }, () => pool.query<{ one: number }>('SELECT 1 AS one')));
      expect(results.map((result) => result.rows[0])).toEqual(Array.from({ length: 10 }, () => ({ one: 1 })));
      expect(pool.version).toBe(2);
      expect(pool.health().details).toMatchObject({ forcedRefreshes: 1 });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('commits a transaction that spans the rotation on the connection it started on', async () => {
    const role = await newRole();
    const source = manualSecret('tx', { username: role.name, password: role.password });
    const pool = createPool(source.secret, connection());
    try {
      await pool.query('CREATE TABLE IF NOT EXISTS tx_password (n int)');
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('INSERT INTO tx_password VALUES (1)');
      const password = newPassword();
      await alterPassword(role.name, password);
      source.set({ username: role.name, password });
      await until(() => pool.version === 2, 10_000, 'version 2');
      // The old password is needed by no open session (PostgreSQL checks it only at login), so it
      // is released at once, while the transaction goes on on the connection it started on.
      await until(() => source.retired.includes(1), 10_000, 'version 1 released');
      await client.query('INSERT INTO tx_password VALUES (2)');
      await client.query('COMMIT');
      client.release();
      expect((await pool.query('SELECT count(*)::int AS n FROM tx_password')).rows[0]).toEqual({ n: 2 });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('keeps serving on the old generation and reports degraded when the new password is wrong', async () => {
    const role = await newRole();
    const source = manualSecret('wrong', { username: role.name, password: role.password });
    const pool = createPool(source.secret, { ...connection(), max: 3 });
    try {
      await pool.query('SELECT 1');
      const load = startLoad(pool, 4);
      source.set({ username: role.name, password: 'not-the-password' });
      await until(() => pool.health().state === 'degraded', 10_000, 'degraded');
      const served = load.ok();
      await until(() => load.ok() > served + 50, 10_000, 'queries on the old generation');
      expect(pool.version).toBe(1);
      expect(pool.health().lastError).toMatchObject({ code: 'LEASEHOLD_PG_AUTH_FAILED' });
      expect(pool.health().details).toMatchObject({ lastVerification: { ok: false, version: 2, sqlState: '28P01' } });
      expect(source.secret.health().consumers).toMatchObject([{ version: 1, verifyFailing: true }]);
      expect(JSON.stringify(pool.health())).not.toContain('not-the-password');
      // The operator fixes it: the next value is verified and adopted.
      const password = newPassword();
      await alterPassword(role.name, password);
      source.set({ username: role.name, password });
      await until(() => pool.version === 3, 10_000, 'version 3');
      expect(pool.health().state).not.toBe('degraded');
      const result = await load.stop();
      expect(result.errors).toEqual([]);
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });
});
