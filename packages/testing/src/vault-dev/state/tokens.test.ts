/** Tokens renew, cap, expire and take their children and leases with them, as Vault's do. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';

describe('the token store', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    const frozen = Date.now();
    vault = await startVaultDev({
      clock: { now: () => frozen },
      policies: { app: ['aws/creds/app'], creator: ['auth/token/create'] },
      aws: { roles: { app: { credentialType: 'iam_user', defaultTtl: '1h' } } },
    });
  });
  afterAll(() => vault.close());

  const create = async (body: Record<string, unknown>) =>
    vaultFetch(vault.address, 'POST', 'auth/token/create', { token: vault.rootToken, body });

  it('creates service tokens with hvs. and the auth block', async () => {
    const res = await create({ policies: ['app'], ttl: '1h' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: '', lease_duration: 0, renewable: false, data: null, mount_type: 'token' });
    expect(res.body.auth).toMatchObject({
      policies: ['app', 'default'],
      token_policies: ['app', 'default'],
      lease_duration: 3600,
      renewable: true,
      token_type: 'service',
      orphan: false,
      mfa_requirement: null,
      num_uses: 0,
    });
    expect(res.body.auth.client_token).toMatch(/^hvs\./);
    expect(typeof res.body.auth.accessor).toBe('string');
  });

  it('creates batch tokens with hvb. that cannot be renewed', async () => {
    const res = await create({ policies: ['app'], type: 'batch', ttl: '10m' });
    expect(res.body.auth.client_token).toMatch(/^hvb\./);
    expect(res.body.auth).toMatchObject({ token_type: 'batch', renewable: false });
    const renew = await vaultFetch(vault.address, 'POST', 'auth/token/renew-self', { token: res.body.auth.client_token, body: {} });
    expect(renew).toEqual({ status: 400, body: { errors: ['batch tokens cannot be renewed'] } });
  });

  it('looks up itself with RFC3339 expire_time', async () => {
    const token = (await create({ policies: ['app'], ttl: '30m', explicit_max_ttl: '1h' })).body.auth.client_token as string;
    const res = await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', { token });
    expect(res.status).toBe(200);
    expect(res.body.data.ttl).toBeGreaterThanOrEqual(1799);
    expect(res.body.data).toMatchObject({
      id: token,
      policies: ['app', 'default'],
      renewable: true,
      creation_ttl: 1800,
      explicit_max_ttl: 3600,
      type: 'service',
    });
    expect(new Date(res.body.data.expire_time as string).getTime()).toBeGreaterThan(Date.now());
  });

  it("renews itself and caps at the explicit max TTL with Vault's warning", async () => {
    const token = (await create({ policies: ['app'], ttl: '10m', explicit_max_ttl: '15m' })).body.auth.client_token as string;
    const ok = await vaultFetch(vault.address, 'POST', 'auth/token/renew-self', { token, body: { increment: '5m' } });
    expect(ok.status).toBe(200);
    expect(ok.body.auth.lease_duration).toBe(300);
    expect(ok.body.warnings).toBeNull();
    await vault.advanceTime(60_000);
    const capped = await vaultFetch(vault.address, 'POST', 'auth/token/renew-self', { token, body: { increment: '1h' } });
    expect(capped.status).toBe(200);
    expect(capped.body.auth.lease_duration).toBe(840);
    expect(capped.body.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "14m"; TTL value is capped accordingly']);
  });

  it('refuses to renew a non-renewable token', async () => {
    const token = (await create({ policies: ['app'], ttl: '10m', renewable: false })).body.auth.client_token as string;
    const res = await vaultFetch(vault.address, 'POST', 'auth/token/renew-self', { token, body: {} });
    expect(res).toEqual({ status: 400, body: { errors: ['lease is not renewable'] } });
  });

  it('treats an expired token as invalid', async () => {
    const token = (await create({ policies: ['app'], ttl: '1m' })).body.auth.client_token as string;
    await vault.advanceTime(61_000);
    const res = await vaultFetch(vault.address, 'POST', 'auth/token/renew-self', { token, body: {} });
    expect(res).toEqual({ status: 403, body: { errors: [INVALID_TOKEN] } });
  });

  it('revokes itself with 204', async () => {
    const token = (await create({ policies: ['app'] })).body.auth.client_token as string;
    expect((await vaultFetch(vault.address, 'POST', 'auth/token/revoke-self', { token })).status).toBe(204);
    expect((await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', { token })).status).toBe(403);
  });

  it('revokes the leases a token created when the token is revoked, even with time left', async () => {
    const token = (await create({ policies: ['app'], ttl: '1h' })).body.auth.client_token as string;
    const creds = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token });
    expect(creds.status).toBe(200);
    const leaseId = creds.body.lease_id as string;
    expect(vault.leases().map((lease) => lease.id)).toContain(leaseId);
    expect(vault.aws.lookupAccessKey(creds.body.data.access_key as string)?.state).toBe('valid');
    await vaultFetch(vault.address, 'POST', 'auth/token/revoke-self', { token });
    expect(vault.leases().map((lease) => lease.id)).not.toContain(leaseId);
    expect(vault.aws.lookupAccessKey(creds.body.data.access_key as string)?.state).toBe('revoked');
  });

  it('revokes the leases of a token when the token expires', async () => {
    const token = (await create({ policies: ['app'], ttl: '2m' })).body.auth.client_token as string;
    const creds = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token });
    const leaseId = creds.body.lease_id as string;
    await vault.advanceTime(121_000);
    expect(vault.leases().map((lease) => lease.id)).not.toContain(leaseId);
    const renew = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', { token: vault.rootToken, body: { lease_id: leaseId } });
    expect(renew).toEqual({ status: 400, body: { errors: ['lease not found'] } });
  });

  it('revokes child tokens with their parent', async () => {
    const parent = (await create({ policies: ['creator'] })).body.auth.client_token as string;
    const child = (await vaultFetch(vault.address, 'POST', 'auth/token/create', { token: parent, body: { policies: ['app'] } })).body.auth
      .client_token as string;
    await vault.revokeToken(parent);
    expect((await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', { token: child })).status).toBe(403);
  });
});
