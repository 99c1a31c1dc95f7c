/** The database engine creates, renews and drops real PostgreSQL roles as Vault's does. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { connectPostgres } from '../../../postgres-admin.js';
import type { PostgresDatabase } from '../../../postgres-admin.js';
import { startVaultDev } from '../../server.js';
import { DEFAULT_CREATION_STATEMENTS } from './database.js';
import type { VaultDevServer } from '../../server.js';
import { vaultFetch } from '../../http/vault-fetch.js';

describe('the database engine on real PostgreSQL', () => {
  const admin = connectPostgres(inject('postgres'));
  let db: PostgresDatabase;
  let vault: VaultDevServer;

  beforeAll(async () => {
    db = await admin.createDatabase();
    vault = await startVaultDev({
      database: {
        connection: db,
        roles: {
          app: { defaultTtl: '1h', maxTtl: '24h' },
          short: { defaultTtl: 60, maxTtl: 120 },
          owner: { creationStatements: [...DEFAULT_CREATION_STATEMENTS, 'GRANT CREATE ON SCHEMA public TO "{{name}}"'] },
          terminating: {
            creationStatements: [...DEFAULT_CREATION_STATEMENTS, 'GRANT CREATE ON SCHEMA public TO "{{name}}"'],
            revocationStatements: [
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'`,
              `REASSIGN OWNED BY "{{name}}" TO "${db.user}"`,
              'DROP OWNED BY "{{name}}"',
              'DROP ROLE IF EXISTS "{{name}}"',
            ],
          },
          kill: { terminateSessionsOnRevoke: true },
        },
      },
    });
    await admin.adminQuery('CREATE TABLE orders (id serial PRIMARY KEY, amount int NOT NULL)', [], { database: db.database });
  });
  afterAll(async () => {
    await vault.close();
    await db.drop();
    await admin.close();
  });

  const creds = (role: string, token = vault.rootToken) => vaultFetch(vault.address, 'GET', `database/creds/${role}`, { token });
  const login = async (username: string, password: string): Promise<pg.Client> => {
    const client = new pg.Client({ host: db.host, port: db.port, database: db.database, user: username, password });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  it("issues a real role that logs in with its password, with Vault's response shape", async () => {
    const res = await creds('app');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ renewable: true, lease_duration: 3600, mount_type: 'database' });
    expect(res.body.lease_id).toMatch(/^database\/creds\/app\/[0-9A-Za-z]{24}$/);
    const { username, password } = res.body.data as { username: string; password: string };
    expect(username).toMatch(/^v-root-app-[0-9A-Za-z]{20}-\d{10}$/);
    expect(username.length).toBeLessThanOrEqual(63);
    const client = await login(username, password);
    const who = await client.query<{ u: string }>('SELECT current_user AS u');
    expect(who.rows[0]?.u).toBe(username);
    await client.end();
    const valid = await admin.adminQuery<{ v: Date }>('SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [username]);
    expect(Math.abs((valid.rows[0]?.v.getTime() ?? 0) - (Date.now() + 3600_000))).toBeLessThan(10_000);
  });

  it('lets the default creation statements insert into a table with a serial key', async () => {
    const res = await creds('app');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    const inserted = await client.query<{ id: number }>('INSERT INTO orders (amount) VALUES (42) RETURNING id');
    expect(inserted.rows[0]?.id).toBeGreaterThan(0);
    await client.end();
    // ...and Vault's default revocation undoes every grant they made, so the role drops.
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id },
    });
    expect(revoke.status).toBe(204);
    expect(await admin.roleExists(username)).toBe(false);
  });

  // postgresql.go defaultDeleteUser: REVOKE ..., DROP ROLE; no pg_terminate_backend.
  it("revokes with Vault's default statements: the role is dropped and its open session keeps running", async () => {
    const res = await creds('app');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    expect(await admin.countSessions(username)).toBe(1);
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id },
    });
    expect(revoke).toEqual({ status: 204, body: undefined });
    expect(await admin.roleExists(username)).toBe(false);
    // pg_stat_activity no longer names a dropped role, but its session still answers.
    await expect(client.query('SELECT 1')).resolves.toBeDefined();
    await client.end();
    await expect(login(username, password)).rejects.toMatchObject({ code: '28P01' });
  });

  // vault/expiration.go revokeEntry + logical_system.go handleRevoke: the plugin's error, wrapped,
  // as a 400; revokeCommon returns before deleteEntry, so the lease stays.
  it('fails a revocation as Vault does while the role owns objects, and keeps the lease', async () => {
    const res = await creds('owner');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    await client.query('CREATE TABLE owned_by_lease (id int)');
    await client.end();
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id },
    });
    expect(revoke.status).toBe(400);
    expect(revoke.body.errors).toEqual([
      `failed to revoke entry: resp: (*logical.Response)(nil) err: ERROR: role "${username}" cannot be dropped because some objects depend on it (SQLSTATE 2BP01)`,
    ]);
    expect(await admin.roleExists(username)).toBe(true);
    expect(vault.leases().find((lease) => lease.id === res.body.lease_id)?.revokeError).toBe(revoke.body.errors[0]);
    // sync=false hides the failure from the caller; it goes to the server's errors instead.
    const errorsBefore = vault.errors.length;
    const lazy = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id, sync: false },
    });
    expect(lazy.status).toBe(202);
    await vault.reap();
    expect(vault.errors.length).toBe(errorsBefore + 1);
    // revoke-force forgets it (expiration.go RevokeForce); the role is the operator's problem.
    const force = await vaultFetch(vault.address, 'PUT', `sys/leases/revoke-force/database/creds/owner`, { token: vault.rootToken });
    expect(force.status).toBe(204);
    expect(vault.leases().some((lease) => lease.id === res.body.lease_id)).toBe(false);
    await admin.adminQuery('DROP TABLE owned_by_lease', [], { database: db.database });
    await admin.adminQuery(`REVOKE ALL ON SCHEMA public FROM "${username}"`, [], { database: db.database });
    await admin.adminQuery(`DROP ROLE "${username}"`);
  });

  it('ends sessions and reassigns objects only when the revocation statements say so', async () => {
    const res = await creds('terminating');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    await client.query('CREATE TABLE t_revoke (id int)');
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id },
    });
    expect(revoke.status).toBe(204);
    expect(await admin.roleExists(username)).toBe(false);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    expect(await admin.countSessions(username)).toBe(0);
    const owner = await admin.adminQuery<{ o: string }>("SELECT tableowner AS o FROM pg_tables WHERE tablename = 't_revoke'", [], {
      database: db.database,
    });
    expect(owner.rows[0]?.o).toBe(db.user);
  });

  it('ends sessions before the default revocation with terminateSessionsOnRevoke', async () => {
    const res = await creds('kill');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id },
    });
    expect(revoke.status).toBe(204);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    expect(await admin.roleExists(username)).toBe(false);
  });

  it('drops the role when the lease expires', async () => {
    const res = await creds('short');
    const { username } = res.body.data as { username: string };
    expect(await admin.roleExists(username)).toBe(true);
    await vault.advanceTime(61_000);
    expect(await admin.roleExists(username)).toBe(false);
  });

  it("drops the roles of a token's leases when the token is revoked", async () => {
    const token = vault.createToken({ policies: ['root'] });
    const res = await creds('app', token);
    const { username } = res.body.data as { username: string };
    expect(username).toMatch(/^v-token-app-/);
    await vault.revokeToken(token);
    expect(await admin.roleExists(username)).toBe(false);
  });

  it('moves VALID UNTIL when the lease is renewed', async () => {
    const res = await creds('app');
    const { username } = res.body.data as { username: string };
    const renewed = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', {
      token: vault.rootToken,
      body: { lease_id: res.body.lease_id, increment: '2h' },
    });
    expect(renewed.body.lease_duration).toBe(7200);
    const valid = await admin.adminQuery<{ v: Date }>('SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [username]);
    expect(Math.abs((valid.rows[0]?.v.getTime() ?? 0) - (Date.now() + 7200_000))).toBeLessThan(10_000);
  });

  it('runs the revocation once when the same lease is revoked concurrently', async () => {
    const res = await creds('app');
    const { username } = res.body.data as { username: string };
    const leaseId = res.body.lease_id as string;
    const errorsBefore = vault.errors.length;
    await Promise.all([
      vault.revokeLease(leaseId),
      vault.revokeLease(leaseId),
      vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', { token: vault.rootToken, body: { lease_id: leaseId, sync: true } }),
    ]);
    await vault.reap();
    expect(await admin.roleExists(username)).toBe(false);
    expect(vault.errors.length).toBe(errorsBefore);
  });

  it('lists a lease as revoking while its revocation statements run, and not at all once they are done', async () => {
    const res = await creds('app');
    const leaseId = res.body.lease_id as string;
    const listed = () => vault.leases().find((lease) => lease.id === leaseId);
    expect(listed()?.revoking).toBe(false);
    const revocation = vault.revokeLease(leaseId);
    expect(listed()?.revoking).toBe(true);
    await revocation;
    expect(listed()).toBeUndefined();
  });

  it('answers an unknown role with 400', async () => {
    expect(await creds('nope')).toEqual({ status: 400, body: { errors: ['unknown role: nope'] } });
  });

  it('revokes outstanding leases and drops their roles on close', async () => {
    const own = await startVaultDev({ database: { connection: db, roles: { app: { defaultTtl: '1h' } } } });
    const res = await vaultFetch(own.address, 'GET', 'database/creds/app', { token: own.rootToken });
    const { username } = res.body.data as { username: string };
    const closing = own.close();
    expect(own.close()).toBe(closing);
    await closing;
    expect(await admin.roleExists(username)).toBe(false);
    await expect(fetch(`${own.address}/v1/sys/health`)).rejects.toThrow();
  });
});

// builtin/logical/database/rotation.go (runTicker every 5 s, rotateCredential) and
// path_roles.go (CredentialTTL): a static role rotates at the queue's first tick after its
// period ends; until then it is read with the old password and ttl 0.
describe('static roles on the rotation queue', () => {
  const admin = connectPostgres(inject('postgres'));
  let db: PostgresDatabase;
  let vault: VaultDevServer;
  let user: string;
  // A whole second, so every time below is exact; the queue ticks at start + 5 s, + 10 s, ...
  const start = Math.floor(Date.now() / 1000) * 1000;
  let now = start;

  beforeAll(async () => {
    db = await admin.createDatabase();
    user = (await admin.createRole()).name;
    vault = await startVaultDev({ clock: { now: () => now }, database: { connection: db } });
  });
  afterAll(async () => {
    await vault.close();
    await db.drop();
    await admin.close();
  });

  const read = async (): Promise<{ password: string; ttl: number; last_vault_rotation: string; rotation_period: number }> => {
    const res = await vaultFetch(vault.address, 'GET', 'database/static-creds/svc', { token: vault.rootToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0 });
    return res.body.data as { password: string; ttl: number; last_vault_rotation: string; rotation_period: number };
  };
  const login = async (password: string): Promise<pg.Client> => {
    const client = new pg.Client({ host: db.host, port: db.port, database: db.database, user, password });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  it('serves the old password with ttl 0 between the end of the period and the next queue tick, then the new one', async () => {
    // Created 2 s after the mount: its period ends 2 s after a tick, 3 s before the next.
    now = start + 2_000;
    await vault.database?.setStaticRole('svc', { username: user, rotationPeriod: '1h' });
    const first = await read();
    expect(first).toMatchObject({ rotation_period: 3600, ttl: 3600, last_vault_rotation: new Date(start + 2_000).toISOString() });
    (await login(first.password)).end().catch(() => undefined);

    now = start + 2_000 + 3600_000 - 400; // rounded like CredentialTTL: 0.4 s is 0
    expect(await read()).toMatchObject({ password: first.password, ttl: 0 });
    now = start + 2_000 + 3601_000; // the ttl + 1 s re-read of a careful client
    await vault.reap();
    const overdue = await read();
    expect(overdue).toMatchObject({ password: first.password, ttl: 0 });
    const stillValid = await login(first.password);
    await stillValid.end();

    now = start + 3605_000; // the queue's next tick
    const rotated = await read();
    expect(rotated.password).not.toBe(first.password);
    expect(rotated).toMatchObject({ ttl: 3600, last_vault_rotation: new Date(start + 3605_000).toISOString() });
    await expect(login(first.password)).rejects.toMatchObject({ code: '28P01' });
    await (await login(rotated.password)).end();
  });

  it("rotates in the background on the queue's tick, without a read", async () => {
    const before = await read();
    now = start + 3605_000 + 3600_000;
    await vault.reap();
    await expect(login(before.password)).rejects.toMatchObject({ code: '28P01' });
    const after = await read();
    expect(after.password).not.toBe(before.password);
    await (await login(after.password)).end();
  });

  it('rotates at once on rotate-role and restarts the period', async () => {
    const before = await read();
    now += 1_000;
    const res = await vaultFetch(vault.address, 'PUT', 'database/rotate-role/svc', { token: vault.rootToken });
    expect(res.status).toBe(204);
    const after = await read();
    expect(after.password).not.toBe(before.password);
    expect(after).toMatchObject({ ttl: 3600, last_vault_rotation: new Date(now).toISOString() });
  });
});
