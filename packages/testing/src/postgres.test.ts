/** The embedded PostgreSQL server starts, takes password logins and cleans up after itself. */
import { afterAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { connectPostgres } from './postgres-admin.js';
import { startPostgres } from './postgres.js';
import { existsSync } from 'node:fs';

describe('the shared PostgreSQL server', () => {
  const admin = connectPostgres(inject('postgres'));
  afterAll(() => admin.close());

  it('gives each test its own database and accepts scram-sha-256 logins of new roles', async () => {
    const db = await admin.createDatabase();
    const role = await admin.createRole();
    const client = new pg.Client({
      connectionString: admin.connectionStringFor({ user: role.name, password: role.password, database: db.database }),
    });
    await client.connect();
    const result = await client.query<{ user: string; db: string }>('SELECT current_user AS user, current_database() AS db');
    expect(result.rows[0]).toEqual({ user: role.name, db: db.database });
    expect(await admin.countSessions(role.name)).toBe(1);
    await client.end();
    await db.drop();
    await db.drop();
    const method = await admin.adminQuery<{ m: string }>("SELECT current_setting('password_encryption') AS m");
    expect(method.rows[0]?.m).toBe('scram-sha-256');
  });

  it('rejects a wrong password with 28P01', async () => {
    const role = await admin.createRole();
    const client = new pg.Client({ connectionString: admin.connectionStringFor({ user: role.name, password: 'wrong' }) });
    await expect(client.connect()).rejects.toMatchObject({ code: '28P01' });
    expect(await admin.roleExists(role.name)).toBe(true);
    expect(await admin.roleExists('no_such_role')).toBe(false);
  });

  it('creates distinct databases for concurrent callers', async () => {
    const databases = await Promise.all([admin.createDatabase(), admin.createDatabase(), admin.createDatabase()]);
    expect(new Set(databases.map((db) => db.database)).size).toBe(3);
    await Promise.all(databases.map((db) => db.drop()));
    const left = await admin.adminQuery('SELECT 1 FROM pg_database WHERE datname = ANY($1)', [databases.map((db) => db.database)]);
    expect(left.rowCount).toBe(0);
  });

  it('rejects queries after close', async () => {
    const other = connectPostgres(inject('postgres'));
    await other.adminQuery('SELECT 1');
    await Promise.all([other.close(), other.close()]);
    await expect(other.adminQuery('SELECT 1')).rejects.toMatchObject({ code: 'LEASEHOLD_TESTING_CLOSED' });
  });
});

describe('startPostgres', () => {
  it('starts a second server and removes its data directory when stopped twice', async () => {
    const server = await startPostgres();
    expect(server.port).not.toBe(inject('postgres').port);
    await server.adminQuery('SELECT 1');
    expect(existsSync(server.dataDir)).toBe(true);
    const first = server.stop();
    expect(server.stop()).toBe(first);
    await first;
    expect(existsSync(server.dataDir)).toBe(false);
    const client = new pg.Client({ connectionString: server.connectionString });
    await expect(client.connect()).rejects.toThrow();
  });
});
