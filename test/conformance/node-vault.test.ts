// A real Vault client, node-vault 0.12, against the dev server: every call a Node service makes
// (health, token lookup and renewal, AppRole and Kubernetes login, KV v2, database credentials,
// lease renewal and revocation) must get the answer Vault documents. node-vault treats anything
// but 200/204 as an error, so it also proves revoke answers Vault's 204 (it rejected the old 202).
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import nodeVault from 'node-vault';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  connectPostgres,
  formatVaultDuration,
  signServiceAccountToken,
  startVaultDev,
  type PostgresDatabase,
  type VaultDevServer,
} from '@leasehold/testing';

const ROLE_ID = 'payments-role-id';
const SECRET_ID = 'payments-secret-id-0123456789';
const clusterKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('node-vault 0.12 against the dev server', () => {
  const admin = connectPostgres(inject('postgres'));
  let db: PostgresDatabase;
  let server: VaultDevServer;

  beforeAll(async () => {
    db = await admin.createDatabase();
    await admin.adminQuery('CREATE TABLE orders (id serial PRIMARY KEY, amount int NOT NULL)', [], { database: db.database });
    server = await startVaultDev({
      policies: { payments: ['database/creds/payments', 'secret/', 'sys/leases/revoke'] },
      database: { connection: db, roles: { payments: { defaultTtl: '1h', maxTtl: '2h' } } },
      auth: {
        approle: { roles: { payments: { roleId: ROLE_ID, secretIds: [SECRET_ID], policies: ['payments'], ttl: '1h', maxTtl: '4h' } } },
        kubernetes: {
          publicKeys: clusterKey.publicKey,
          roles: {
            payments: {
              boundServiceAccountNames: ['payments'],
              boundServiceAccountNamespaces: ['prod'],
              policies: ['payments'],
              ttl: '30m',
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
    await admin.close();
  });

  const client = (token?: string) => nodeVault({ endpoint: server.address, ...(token === undefined ? {} : { token }) });

  // https://developer.hashicorp.com/vault/api-docs/system/health
  it('reads sys/health, for an active node and for a standby', async () => {
    const vault = client();
    expect(await vault.health()).toMatchObject({ initialized: true, sealed: false, standby: false, performance_standby: false });
    server.health.standby = true;
    try {
      // 429 for a standby; node-vault hands back the body of sys/health whatever its status.
      expect(await vault.health()).toMatchObject({ standby: true });
    } finally {
      server.health.standby = false;
    }
  });

  // https://developer.hashicorp.com/vault/api-docs/auth/approle#login-with-approle
  it('logs in with AppRole, keeps the token, looks it up and renews it', async () => {
    const vault = client();
    const login = await vault.approleLogin({ role_id: ROLE_ID, secret_id: SECRET_ID });
    expect(login).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, data: null });
    expect(login.auth).toMatchObject({ policies: ['default', 'payments'], lease_duration: 3600, renewable: true, token_type: 'service' });
    expect(login.auth.client_token).toMatch(/^hvs\./);
    expect(vault.token).toBe(login.auth.client_token);

    // https://developer.hashicorp.com/vault/api-docs/auth/token#lookup-a-token-self
    const self = await vault.tokenLookupSelf();
    expect(self.data).toMatchObject({ id: login.auth.client_token, renewable: true, type: 'service', policies: ['default', 'payments'] });
    expect(self.data.ttl).toBeGreaterThan(3590);
    expect(Date.parse(self.data.expire_time as string)).toBeGreaterThan(Date.now());

    // https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self
    const renewed = await vault.tokenRenewSelf({ increment: '2h' });
    expect(renewed.auth).toMatchObject({ client_token: login.auth.client_token, lease_duration: 7200, renewable: true });

    await expect(client().approleLogin({ role_id: ROLE_ID, secret_id: 'wrong' })).rejects.toMatchObject({
      message: 'invalid role or secret ID',
      response: { statusCode: 400 },
    });
  });

  // https://developer.hashicorp.com/vault/api-docs/auth/kubernetes#login
  it('logs in with a Kubernetes service-account token', async () => {
    const vault = client();
    const jwt = signServiceAccountToken({ privateKey: clusterKey.privateKey, namespace: 'prod', serviceAccountName: 'payments' });
    // node-vault 0.12 renders the login path from the call's arguments only (its client-level
    // kubernetesPath never reaches the template), so without a mount it posts to auth//login, which
    // Vault answers like any unknown path without a token: 403.
    await expect(client().kubernetesLogin({ role: 'payments', jwt })).rejects.toMatchObject({ response: { statusCode: 403 } });
    const login = await vault.kubernetesLogin({ role: 'payments', jwt, kubernetesPath: 'kubernetes' });
    expect(login.auth).toMatchObject({
      policies: ['default', 'payments'],
      lease_duration: 1800,
      metadata: { role: 'payments', service_account_name: 'payments', service_account_namespace: 'prod' },
    });
    expect(vault.token).toBe(login.auth.client_token);
    const stranger = signServiceAccountToken({ privateKey: clusterKey.privateKey, namespace: 'dev', serviceAccountName: 'payments' });
    await expect(client().kubernetesLogin({ role: 'payments', jwt: stranger, kubernetesPath: 'kubernetes' })).rejects.toMatchObject({
      response: { statusCode: 403 },
    });
  });

  // https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2
  it('writes and reads KV v2 secrets, and a missing one is a 404', async () => {
    const vault = client();
    await vault.approleLogin({ role_id: ROLE_ID, secret_id: SECRET_ID });
    const written = await vault.write('secret/data/payments/stripe', { data: { api_key: 'sk_test_1' } });
    expect(written.data).toMatchObject({ version: 1, deletion_time: '', destroyed: false });
    const second = await vault.write('secret/data/payments/stripe', { data: { api_key: 'sk_test_2' }, options: { cas: 1 } });
    expect(second.data.version).toBe(2);
    const read = await vault.read('secret/data/payments/stripe');
    expect(read).toMatchObject({ lease_id: '', lease_duration: 0, renewable: false });
    expect(read.data).toMatchObject({ data: { api_key: 'sk_test_2' }, metadata: { version: 2, destroyed: false, deletion_time: '' } });
    await expect(vault.write('secret/data/payments/stripe', { data: { api_key: 'x' }, options: { cas: 1 } })).rejects.toMatchObject({
      message: 'check-and-set parameter did not match the current version',
      response: { statusCode: 400 },
    });
    await expect(vault.read('secret/data/payments/none')).rejects.toMatchObject({ response: { statusCode: 404, body: { errors: [] } } });
  });

  // https://developer.hashicorp.com/vault/api-docs/secret/databases#generate-credentials and
  // https://developer.hashicorp.com/vault/api-docs/system/leases
  it('gets database credentials that log in, renews their lease, and revokes it (204) so the role is dropped', async () => {
    const vault = client();
    await vault.approleLogin({ role_id: ROLE_ID, secret_id: SECRET_ID });
    const creds = await vault.read('database/creds/payments');
    expect(creds).toMatchObject({ renewable: true, lease_duration: 3600 });
    expect(creds.lease_id).toMatch(/^database\/creds\/payments\/[0-9A-Za-z]{24}$/);
    const { username, password } = creds.data as { username: string; password: string };
    expect(username).toMatch(/^v-approle-payments-[0-9A-Za-z]{20}-\d{10}$/);
    const session = new pg.Client({ host: db.host, port: db.port, database: db.database, user: username, password });
    await session.connect();
    await session.query('INSERT INTO orders (amount) VALUES (1)');
    await session.end();

    const renewed = await vault.renew({ lease_id: creds.lease_id, increment: 1800 });
    expect(renewed).toMatchObject({ lease_id: creds.lease_id, renewable: true, lease_duration: 1800, data: null, warnings: null });
    // Past the role's 2 h max TTL the renewal is capped, with Vault's warning.
    const capped = await vault.renew({ lease_id: creds.lease_id, increment: 3 * 3600 });
    expect(capped.lease_duration).toBeLessThanOrEqual(7200);
    expect(capped.lease_duration).toBeGreaterThan(7100);
    expect(capped.warnings).toEqual([
      `TTL of "3h" exceeded the effective max_ttl of "${formatVaultDuration(capped.lease_duration as number)}"; TTL value is capped accordingly`,
    ]);

    await expect(vault.revoke({ lease_id: creds.lease_id })).resolves.toBeDefined();
    expect(await admin.roleExists(username)).toBe(false);
    await expect(vault.renew({ lease_id: creds.lease_id })).rejects.toMatchObject({
      message: 'lease not found',
      response: { statusCode: 400 },
    });
    // Revoking a lease Vault no longer knows succeeds too.
    await expect(vault.revoke({ lease_id: creds.lease_id })).resolves.toBeDefined();
  });
});
