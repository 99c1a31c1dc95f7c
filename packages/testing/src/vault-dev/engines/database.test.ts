/** The database engine creates, renews and drops real PostgreSQL roles as Vault's does. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { connectPostgres } from '../../postgres-admin.js';
import type { PostgresDatabase } from '../../postgres-admin.js';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

describe('the database engine on real PostgreSQL', () => {
  const admin = connectPostgres(inject('postgres'));
  let db: PostgresDatabase;
  let vault: VaultDevServer;
  let staticUser: string;

  beforeAll(async () => {
    db = await admin.createDatabase();
    staticUser = (await admin.createRole()).name;
    vault = await startVaultDev({
      database: {
        connection: db,
        roles: {
          app: { defaultTtl: '1h', maxTtl: '24h' },
          short: { defaultTtl: 60, maxTtl: 120 },
        },
        staticRoles: { svc: { username: staticUser, rotationPeriod: '1h' } },
      },
    });
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

  it('issues a real role that logs in with its password, with Vault\'s response shape', async () => {
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
    await client.query('CREATE TABLE owned_by_lease (id int)');
    await client.end();
    const valid = await admin.adminQuery<{ v: Date }>('SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [username]);
    expect(Math.abs((valid.rows[0]?.v.getTime() ?? 0) - (Date.now() + 3600_000))).toBeLessThan(10_000);
  });

  it('terminates the sessions and drops the role when the lease is revoked', async () => {
    const res = await creds('app');
    const { username, password } = res.body.data as { username: string; password: string };
    const client = await login(username, password);
    await client.query('CREATE TABLE t_revoke (id int)');
    expect(await admin.countSessions(username)).toBe(1);
    const revoke = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', { token: vault.rootToken, body: { lease_id: res.body.lease_id, sync: true } });
    expect(revoke.status).toBe(204);
    expect(await admin.roleExists(username)).toBe(false);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    expect(await admin.countSessions(username)).toBe(0);
    await expect(login(username, password)).rejects.toMatchObject({ code: '28P01' });
  });

  it('drops the role when the lease expires', async () => {
    const res = await creds('short');
    const { username } = res.body.data as { username: string };
    expect(await admin.roleExists(username)).toBe(true);
    await vault.advanceTime(61_000);
    expect(await admin.roleExists(username)).toBe(false);
  });

  it('drops the roles of a token\'s leases when the token is revoked', async () => {
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
    const renewed = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', { token: vault.rootToken, body: { lease_id: res.body.lease_id, increment: '2h' } });
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

  it('answers an unknown role with 400', async () => {
    expect(await creds('nope')).toEqual({ status: 400, body: { errors: ['unknown role: nope'] } });
  });

  it('serves static credentials that log in and rotates them after the period', async () => {
    const first = await vaultFetch(vault.address, 'GET', 'database/static-creds/svc', { token: vault.rootToken });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0 });
    expect(first.body.data).toMatchObject({ username: staticUser, rotation_period: 3600 });
    expect(first.body.data.ttl).toBeGreaterThan(3500);
    expect(typeof first.body.data.last_vault_rotation).toBe('string');
    const before = await login(staticUser, first.body.data.password as string);
    await vault.advanceTime(3600_000);
    const second = await vaultFetch(vault.address, 'GET', 'database/static-creds/svc', { token: vault.rootToken });
    expect(second.body.data.password).not.toBe(first.body.data.password);
    // ALTER ROLE ... PASSWORD leaves open sessions working; new logins need the new password.
    await expect(before.query('SELECT 1')).resolves.toBeDefined();
    await before.end();
    await expect(login(staticUser, first.body.data.password as string)).rejects.toMatchObject({ code: '28P01' });
    const after = await login(staticUser, second.body.data.password as string);
    await after.end();
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
