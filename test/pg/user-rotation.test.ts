import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres, manualSecret, quoteIdent } from '@leasehold/testing';
import type { ManualSecret, PostgresDatabase } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { isPoolEnded, startLoad, until } from './load.js';

const admin = connectPostgres(inject('postgres'));
let db: PostgresDatabase;

beforeAll(async () => {
  db = await admin.createDatabase();
  await admin.adminQuery('CREATE TABLE tx_user (n int)', [], { database: db.database });
});
afterAll(async () => {
  await db.drop();
  await admin.close();
});

type DbCreds = { username: string; password: string };
const connection = (): { host: string; port: number; database: string } => ({ host: db.host, port: db.port, database: db.database });

/**
 * Emulates Vault's database engine on the shared server: each lease is a new role; retiring the
 * lease (revocation) terminates the role's sessions and drops it. Records how many sessions the
 * role still had when it was revoked: the pool must have drained it first.
 */
function dynamicUsers(): { source: ManualSecret<DbCreds>; issue: () => Promise<void>; sessionsAtRevoke: Map<string, number> } {
  const source = manualSecret<DbCreds>('database/creds/app');
  const sessionsAtRevoke = new Map<string, number>();
  source.onRetire(async (snapshot) => {
    const name = snapshot.value.username;
    sessionsAtRevoke.set(name, await admin.countSessions(name));
    await admin.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
    await admin.adminQuery(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${quoteIdent(name)}`, [], { database: db.database });
    await admin.adminQuery(`DROP ROLE ${quoteIdent(name)}`);
  });
  const issue = async (): Promise<void> => {
    const role = await admin.createRole();
    await admin.adminQuery(`GRANT SELECT, INSERT ON tx_user TO ${quoteIdent(role.name)}`, [], { database: db.database });
    source.set(
      { username: role.name, password: role.password },
      { expiresAt: new Date(Date.now() + 120_000), leaseId: `database/creds/app/${role.name}` },
    );
  };
  return { source, issue, sessionsAtRevoke };
}

describe('a dynamic user rotation (new user per lease)', () => {
  it('rotates every few hundred milliseconds under load without a failed query, revoking each user only after it drained', async () => {
    const { source, issue, sessionsAtRevoke } = dynamicUsers();
    await issue();
    const pool = createPool(source.secret, { ...connection(), max: 4 });
    try {
      await pool.query('SELECT 1');
      const load = startLoad(pool, 8, 'SELECT count(*) FROM tx_user');
      for (let rotation = 1; rotation <= 5; rotation++) {
        await issue();
        await until(() => pool.version === rotation + 1, 10_000, `version ${rotation + 1}`);
        const served = load.ok();
        await until(() => load.ok() > served + 30, 10_000, 'queries on the new user');
      }
      const result = await load.stop();
      expect(result.errors).toEqual([]);
      await until(() => sessionsAtRevoke.size === 5, 10_000, 'five leases revoked');
      // Drains end in any order (each waits a random jitter before closing).
      expect([...source.retired].sort()).toEqual([1, 2, 3, 4, 5]);
      expect([...sessionsAtRevoke.values()]).toEqual([0, 0, 0, 0, 0]);
      expect(pool.health().details).toMatchObject({ generations: [{ version: 6, strategy: 'user' }], drainTimeouts: 0 });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('commits a transaction on the old user while new work already runs as the new one', async () => {
    const { source, issue } = dynamicUsers();
    await issue();
    const pool = createPool(source.secret, connection());
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('INSERT INTO tx_user VALUES (1)');
      await issue();
      await until(() => pool.version === 2, 10_000, 'version 2');
      const [oldUser, newUser] = [
        (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u,
        (await pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u,
      ];
      expect(oldUser).not.toBe(newUser);
      await client.query('INSERT INTO tx_user VALUES (2)');
      expect(source.retired).toEqual([]);
      await client.query('COMMIT');
      client.release();
      await until(() => source.retired.includes(1), 10_000, 'old lease revoked');
      expect((await pool.query('SELECT count(*)::int AS n FROM tx_user WHERE n IN (1, 2)')).rows[0]).toEqual({ n: 2 });
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('closes a transaction still open at the drain deadline and releases the lease before it expires', async () => {
    const { source, issue, sessionsAtRevoke } = dynamicUsers();
    await issue();
    const firstUser = source.secret.current().value.username;
    const pool = createPool(source.secret, { ...connection(), drainTimeoutMillis: 200 });
    try {
      const client = await pool.connect();
      client.on('error', () => undefined);
      await client.query('BEGIN');
      await issue();
      await until(() => source.retired.includes(1), 10_000, 'old lease released at the deadline');
      // The pool closed the client itself (pg's own message for a query on an ended client): a
      // server-side termination would read "Connection terminated" or "encountered a connection error".
      await expect(client.query('SELECT 1')).rejects.toThrow(/^Client was closed and is not queryable$/);
      client.release(true);
      // The deadline, not the revocation, ended the transaction's session.
      await until(() => sessionsAtRevoke.has(firstUser), 10_000, 'sessions counted at revoke');
      expect(sessionsAtRevoke.get(firstUser)).toBe(0);
      expect(pool.health().details).toMatchObject({ drainTimeouts: 1 });
      expect(pool.health().warnings).toMatchObject([{ code: 'LEASEHOLD_PG_DRAIN_TIMEOUT' }]);
      await expect(pool.query('SELECT 1')).resolves.toBeDefined();
    } finally {
      await pool.end();
      await source.secret.close();
    }
  });

  it('resolves end() called during a rotation and leaves no connection behind', async () => {
    const { source, issue } = dynamicUsers();
    await issue();
    const pool = createPool(source.secret, { ...connection(), max: 4 });
    const users = [source.secret.current().value.username];
    await pool.query('SELECT 1');
    const load = startLoad(pool, 6);
    await until(() => load.ok() > 20, 10_000, 'load running');
    await issue();
    users.push(source.secret.current().value.username);
    await until(() => pool.health().details?.['verifyingVersion'] === 2 || pool.version === 2, 10_000, 'rotation under way');
    await pool.end();
    const result = await load.stop();
    for (const error of result.errors) expect(isPoolEnded(error)).toBe(true);
    const sessions = await admin.adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = ANY($1)', [
      users,
    ]);
    expect(sessions.rows[0]).toEqual({ n: 0 });
    expect(pool.totalCount).toBe(0);
    await source.secret.close();
  });
});
