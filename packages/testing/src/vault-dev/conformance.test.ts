/**
 * The rows of reference/vault-api.md the dev server changed to match, each against the Vault
 * source that decides it. Rows answered elsewhere: envelope and error bodies
 * (http/envelope.test.ts), tokens (state/tokens.test.ts), leases (state/leases.test.ts), logins
 * (auth/auth.test.ts), KV (engines/kv.test.ts), AWS (engines/aws.test.ts), database revocation
 * and static roles (engines/database/database.test.ts), sys/health (sys/health.test.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres } from '../postgres-admin.js';
import type { PostgresDatabase } from '../postgres-admin.js';
import { startVaultDev } from './server.js';
import type { VaultDevServer } from './server.js';
import { vaultFetch } from './http/vault-fetch.js';
import { DEFAULT_CREATION_STATEMENTS } from './engines/database/database.js';

describe('Vault conformance of the dev server', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev({
      namespaces: ['ns1'],
      aws: { roles: { app: { credentialType: 'iam_user', defaultTtl: '1h' }, deploy: { credentialType: 'assumed_role' } } },
    });
    vault.kv.get('secret')?.write('app', { a: 1 });
  });
  afterAll(() => vault.close());
  const root = (method: string, path: string, body?: unknown) =>
    vaultFetch(vault.address, method, path, { token: vault.rootToken, ...(body === undefined ? {} : { body }) });

  // http/handler.go respondStandby: 307, Location = active node + the request's path and query, no body.
  it('answers an injected standby redirect with 307 to the active node, path and query kept', async () => {
    vault.inject({ redirectTo: 'http://10.0.0.7:8200', times: 1 });
    const res = await fetch(`${vault.address}/v1/secret/data/app?version=1`, {
      headers: { 'X-Vault-Token': vault.rootToken },
      redirect: 'manual',
    });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe('http://10.0.0.7:8200/v1/secret/data/app?version=1');
    expect(await res.text()).toBe('');
    // A load balancer's 301/302/308 the same way; the next request is served again.
    vault.inject({ redirectTo: 'https://vault.example:8200', status: 308, times: 1 });
    const lb = await fetch(`${vault.address}/v1/sys/leases/renew`, { method: 'PUT', redirect: 'manual' });
    expect([lb.status, lb.headers.get('location')]).toEqual([308, 'https://vault.example:8200/v1/sys/leases/renew']);
    expect((await root('GET', 'secret/data/app')).status).toBe(200);
  });

  // api/client.go DefaultRetryPolicy retries 412: an Enterprise performance standby that has not
  // yet seen the client's index ("required index state not present").
  it('answers an injected 412 with the performance-standby message', async () => {
    vault.inject({ status: 412, times: 1 });
    expect(await root('GET', 'secret/data/app')).toEqual({ status: 412, body: { errors: ['required index state not present'] } });
  });

  // Rate-limit quotas send Retry-After with their 429 (enable_rate_limit_response_headers).
  it('sends Retry-After with an injected 429, and with any other injected answer', async () => {
    vault.inject({ status: 429, retryAfterSeconds: 7, times: 1 });
    const limited = await fetch(`${vault.address}/v1/secret/data/app`, { headers: { 'X-Vault-Token': vault.rootToken } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({ errors: ['request path "": rate limit quota exceeded'] });
    vault.inject({ status: 503, errors: ['no active Vault instance found'], retryAfterSeconds: 2, times: 1 });
    const noLeader = await fetch(`${vault.address}/v1/secret/data/app`, { headers: { 'X-Vault-Token': vault.rootToken } });
    expect([noLeader.status, noLeader.headers.get('retry-after')]).toEqual([503, '2']);
    expect(await noLeader.json()).toEqual({ errors: ['no active Vault instance found'] });
  });

  // vault/expiration.go Renew: `ns.ID != le.namespace.ID` -> "cannot renew a lease across namespaces" (400).
  it("refuses to renew a lease from another namespace with Vault's message", async () => {
    const issued = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token: vault.rootToken, namespace: 'ns1' });
    const leaseId = issued.body.lease_id as string;
    expect(leaseId).toMatch(/^aws\/creds\/app\/[0-9A-Za-z]{24}\.[0-9A-Za-z]{5}$/);
    expect(await root('PUT', 'sys/leases/renew', { lease_id: leaseId })).toEqual({
      status: 400,
      body: { errors: ['cannot renew a lease across namespaces'] },
    });
    const same = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', {
      token: vault.rootToken,
      namespace: 'ns1',
      body: { lease_id: leaseId },
    });
    expect(same.status).toBe(200);
    const rootLease = (await root('GET', 'aws/creds/app')).body.lease_id as string;
    const fromNs = await vaultFetch(vault.address, 'PUT', 'ns1/sys/leases/renew', {
      token: vault.rootToken,
      body: { lease_id: rootLease },
    });
    expect(fromNs).toEqual({ status: 400, body: { errors: ['cannot renew a lease across namespaces'] } });
  });

  // vault/logical_system.go mountInfo, handleMountTable, handleReadMount, handleAuthTable, handleTuneReadCommon.
  it("lists mounts with every field of Vault's mountInfo and reads one mount by path", async () => {
    const table = await root('GET', 'sys/mounts');
    expect(table.status).toBe(200);
    const secret = table.body.data['secret/'] as Record<string, unknown>;
    expect(secret).toEqual({
      type: 'kv',
      description: 'key/value secret storage',
      accessor: expect.stringMatching(/^kv_[0-9a-f]{8}$/),
      local: false,
      seal_wrap: false,
      external_entropy_access: false,
      options: { version: '2' },
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      plugin_version: '',
      running_plugin_version: expect.stringMatching(/^v\d+\.\d+\.\d+\+builtin/),
      running_sha256: '',
      deprecation_status: 'supported',
      config: { default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false },
    });
    expect(table.body['secret/']).toEqual(secret); // sys/ answers copy data to the top level
    expect(table.body.data['sys/']).toMatchObject({ type: 'system', options: null, config: { passthrough_request_headers: ['Accept'] } });
    expect(table.body.data['auth/approle/']).toBeUndefined();
    expect((await root('GET', 'sys/mounts/secret')).body.data).toEqual(secret);
    expect((await root('GET', 'sys/mounts/secret/data/app')).body.data).toEqual(secret); // the matching mount
    expect((await root('GET', 'sys/mounts/aws')).body.data).toMatchObject({
      type: 'aws',
      accessor: expect.stringMatching(/^aws_[0-9a-f]{8}$/),
      options: null,
    });
    expect(await root('GET', 'sys/mounts/nope')).toEqual({ status: 400, body: { errors: ['No secret engine mount at nope/'] } });
    const auth = await root('GET', 'sys/auth');
    expect(auth.body.data['approle/']).toMatchObject({
      type: 'approle',
      accessor: expect.stringMatching(/^auth_approle_[0-9a-f]{8}$/),
      config: { token_type: 'default-service' },
    });
    expect((await root('GET', 'sys/auth/approle')).body.data).toEqual(auth.body.data['approle/']);
    expect((await root('GET', 'sys/mounts/secret/tune')).body.data).toEqual({
      description: 'key/value secret storage',
      default_lease_ttl: 2764800,
      max_lease_ttl: 2764800,
      force_no_cache: false,
      options: { version: '2' },
    });
    const ui = await root('GET', 'sys/internal/ui/mounts/secret/data/app');
    expect(ui.body.data).toEqual({ ...secret, path: 'secret/' });
  });

  // builtin/logical/aws secret_access_keys.go secretAccessKeysRevoke: STS cleans up after itself.
  it("leaves STS keys valid when their lease is revoked (Vault's revoke of STS is a no-op)", async () => {
    const sts = await root('POST', 'aws/sts/deploy', { ttl: 60 });
    expect(sts.body.renewable).toBe(false);
    expect((await root('PUT', 'sys/leases/revoke', { lease_id: sts.body.lease_id })).status).toBe(204);
    expect(vault.leases().some((lease) => lease.id === sts.body.lease_id)).toBe(false);
    expect(vault.aws.lookupAccessKey(sts.body.data.access_key as string)?.state).toBe('valid');
    const user = await root('GET', 'aws/creds/app');
    await root('PUT', 'sys/leases/revoke', { lease_id: user.body.lease_id });
    expect(vault.aws.lookupAccessKey(user.body.data.access_key as string)?.state).toBe('revoked');
  });

  // http/sys_health.go (Vault 1.19+): removedcode 530, haunhealthycode 474.
  it('answers 530 for a node removed from its cluster and 474 for a standby that cannot reach the active node', async () => {
    const status = async (query = ''): Promise<number> => (await vaultFetch(vault.address, 'GET', `sys/health${query}`)).status;
    try {
      vault.health.removedFromCluster = true;
      expect(await status()).toBe(530);
      expect(await status('?removedcode=299')).toBe(299);
      vault.health.removedFromCluster = false;
      Object.assign(vault.health, { standby: true, haConnectionUnhealthy: true });
      expect(await status('?standbyok=true')).toBe(474);
      expect(await status('?haunhealthycode=299')).toBe(299);
      expect((await vaultFetch(vault.address, 'GET', 'sys/health?standbyok=true')).body).toMatchObject({
        ha_connection_healthy: false,
        removed_from_cluster: false,
      });
    } finally {
      Object.assign(vault.health, { standby: false, haConnectionUnhealthy: false, removedFromCluster: false });
    }
  });
});

// vault/expiration.go: an expired lease whose revocation fails stays, and the expiration manager
// tries again after revokeRetryBase (10 s) doubling, maxRevokeAttempts (6) times in all.
describe('expiry of a lease whose revocation fails', () => {
  const admin = connectPostgres(inject('postgres'));
  let db: PostgresDatabase;
  let vault: VaultDevServer;
  let now = Math.floor(Date.now() / 1000) * 1000;

  beforeAll(async () => {
    db = await admin.createDatabase();
    vault = await startVaultDev({
      clock: { now: () => now },
      database: {
        connection: db,
        roles: {
          owner: { defaultTtl: 60, creationStatements: [...DEFAULT_CREATION_STATEMENTS, 'GRANT CREATE ON SCHEMA public TO "{{name}}"'] },
        },
      },
      revokeLeasesOnClose: false,
    });
  });
  afterAll(async () => {
    await vault.close();
    await db.drop();
    await admin.close();
  });

  it('keeps the lease, retries it with backoff, and gives up after six attempts', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'database/creds/owner', { token: vault.rootToken });
    const { username, password } = res.body.data as { username: string; password: string };
    await admin.adminQuery(`CREATE TABLE owned (id int)`, [], { database: db.database });
    await admin.adminQuery(`ALTER TABLE owned OWNER TO "${username}"`, [], { database: db.database });
    expect(password).not.toBe('');
    const failures = (): number => vault.errors.length;
    now += 60_000;
    await vault.reap();
    expect(failures()).toBe(1);
    const lease = vault.leases().find((entry) => entry.id === res.body.lease_id);
    expect(lease?.revokeError).toMatch(
      /^failed to revoke entry: resp: \(\*logical\.Response\)\(nil\) err: ERROR: role ".+" cannot be dropped because some objects depend on it \(SQLSTATE 2BP01\)$/,
    );
    await vault.reap();
    expect(failures()).toBe(1); // backing off
    for (const [wait, expected] of [
      [10_000, 2],
      [20_000, 3],
      [40_000, 4],
      [80_000, 5],
      [160_000, 6],
      [1_000_000, 6],
    ] as const) {
      now += wait;
      await vault.reap();
      expect(failures()).toBe(expected);
    }
    expect(await admin.roleExists(username)).toBe(true);
    await admin.adminQuery('DROP TABLE owned', [], { database: db.database });
    now += 1_000;
    await vault.reap();
    expect(vault.leases().some((entry) => entry.id === res.body.lease_id)).toBe(true); // irrevocable now: Vault stops trying
    await admin.adminQuery(`REVOKE ALL ON SCHEMA public FROM "${username}"`, [], { database: db.database });
    await admin.adminQuery(`DROP ROLE "${username}"`);
  });
});
