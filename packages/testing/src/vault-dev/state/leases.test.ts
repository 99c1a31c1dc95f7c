/** Leases renew, cap at their max TTL with Vault's warning, expire and die with their token. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

describe('sys/leases', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    const frozen = Date.now();
    vault = await startVaultDev({
      clock: { now: () => frozen },
      aws: {
        roles: {
          app: { credentialType: 'iam_user', defaultTtl: '1h', maxTtl: '2h' },
          deploy: { credentialType: 'assumed_role' },
        },
      },
    });
  });
  afterAll(() => vault.close());

  const issue = async (): Promise<string> =>
    (await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token: vault.rootToken })).body.lease_id as string;
  const renew = (body: Record<string, unknown>) => vaultFetch(vault.address, 'PUT', 'sys/leases/renew', { token: vault.rootToken, body });

  it('issues lease ids of the form <path>/<24 base62>', async () => {
    expect(await issue()).toMatch(/^aws\/creds\/app\/[0-9A-Za-z]{24}$/);
  });

  it('renews by "3600", 3600 and "1h" alike, with data null', async () => {
    const leaseId = await issue();
    for (const increment of ['3600', 3600, '1h', '1h0m0s']) {
      const res = await renew({ lease_id: leaseId, increment });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ lease_id: leaseId, renewable: true, lease_duration: 3600, data: null, warnings: null });
    }
  });

  it('renews without increment to the role default TTL', async () => {
    const leaseId = await issue();
    expect((await renew({ lease_id: leaseId, increment: 0 })).body.lease_duration).toBe(3600);
    expect((await renew({ lease_id: leaseId })).body.lease_duration).toBe(3600);
  });

  it("caps a renewal at the max TTL in whole seconds with Vault's exact warning", async () => {
    const leaseId = await issue();
    await vault.advanceTime(3500_000);
    expect((await renew({ lease_id: leaseId, increment: '1h' })).body.warnings).toBeNull();
    await vault.advanceTime(3425_000);
    const res = await renew({ lease_id: leaseId, increment: '1h' });
    expect(res.status).toBe(200);
    expect(res.body.lease_duration).toBe(275);
    expect(res.body.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "4m35s"; TTL value is capped accordingly']);
  });

  it('refuses to renew past the max TTL', async () => {
    const leaseId = await issue();
    await vault.advanceTime(3599_000);
    await renew({ lease_id: leaseId, increment: '1h' });
    await vault.advanceTime(3599_000);
    expect((await renew({ lease_id: leaseId, increment: '1h' })).body.lease_duration).toBeLessThanOrEqual(2);
    await vault.advanceTime(1_500);
    const res = await renew({ lease_id: leaseId, increment: '1h' });
    expect(res).toEqual({ status: 400, body: { errors: ['past the max TTL, cannot renew'] } });
  });

  it('answers lease not found, lease expired, not renewable and a missing id with 400', async () => {
    expect(await renew({ lease_id: 'aws/creds/app/nope' })).toEqual({ status: 400, body: { errors: ['lease not found'] } });
    expect(await renew({})).toEqual({ status: 400, body: { errors: ['lease_id must be specified'] } });
    for (const path of ['sys/leases/revoke', 'sys/leases/lookup']) {
      expect(await vaultFetch(vault.address, 'PUT', path, { token: vault.rootToken, body: {} })).toMatchObject({
        status: 400,
        body: { errors: ['lease_id must be specified'] },
      });
    }
    const sts = await vaultFetch(vault.address, 'GET', 'aws/sts/deploy', { token: vault.rootToken });
    expect(await renew({ lease_id: sts.body.lease_id })).toEqual({ status: 400, body: { errors: ['lease is not renewable'] } });
    // A clock that jumps past the expiry before the reaper runs leaves an expired, unreaped lease.
    let now = Date.now();
    const slow = await startVaultDev({
      clock: { now: () => now },
      reaperIntervalMillis: 3_600_000,
      aws: { roles: { app: { credentialType: 'iam_user', defaultTtl: 60 } } },
    });
    try {
      const leaseId = (await vaultFetch(slow.address, 'GET', 'aws/creds/app', { token: slow.rootToken })).body.lease_id as string;
      now += 61_000;
      const body = { lease_id: leaseId };
      expect(await vaultFetch(slow.address, 'PUT', 'sys/leases/renew', { token: slow.rootToken, body })).toEqual({
        status: 400,
        body: { errors: ['lease expired'] },
      });
      await slow.reap();
      expect(await vaultFetch(slow.address, 'PUT', 'sys/leases/renew', { token: slow.rootToken, body })).toEqual({
        status: 400,
        body: { errors: ['lease not found'] },
      });
    } finally {
      await slow.close();
    }
  });

  // vault/expiration.go Renew: a token lease is refused with ErrPermissionDenied.
  it("refuses to renew a token lease here with 403 and Vault's message", async () => {
    expect(await renew({ lease_id: 'auth/token/create/abc' })).toEqual({
      status: 403,
      body: { errors: ['tokens cannot be renewed through this endpoint'] },
    });
  });

  // vault/logical_system.go handleRevoke: `sync` defaults to true (204, revoked before the
  // answer); sync=false queues the revocation (LazyRevoke) and answers 202 with no body.
  it('revokes synchronously by default (204), with 202 only for sync=false, and succeeds for an unknown lease', async () => {
    const first = await issue();
    const sync = await fetch(`${vault.address}/v1/sys/leases/revoke`, {
      method: 'PUT',
      headers: { 'X-Vault-Token': vault.rootToken },
      body: JSON.stringify({ lease_id: first }),
    });
    expect(sync.status).toBe(204);
    expect(await sync.text()).toBe('');
    expect(vault.leases().some((lease) => lease.id === first)).toBe(false);
    const second = await issue();
    for (const flag of [false, 'false']) {
      const lazy = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
        token: vault.rootToken,
        body: { lease_id: second, sync: flag },
      });
      expect(lazy).toEqual({ status: 202, body: undefined });
    }
    await vault.reap();
    expect(vault.leases().some((lease) => lease.id === second)).toBe(false);
    const unknown = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke', {
      token: vault.rootToken,
      body: { lease_id: 'aws/creds/app/unknown' },
    });
    expect(unknown).toEqual({ status: 204, body: undefined });
    const byUrl = await issue();
    expect((await vaultFetch(vault.address, 'PUT', `sys/leases/revoke/${byUrl}`, { token: vault.rootToken })).status).toBe(204);
    expect(vault.leases().some((lease) => lease.id === byUrl)).toBe(false);
  });

  it('looks a lease up', async () => {
    const leaseId = await issue();
    const res = await vaultFetch(vault.address, 'PUT', 'sys/leases/lookup', { token: vault.rootToken, body: { lease_id: leaseId } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: leaseId, renewable: true, last_renewal: null });
    expect(res.body.data.ttl).toBeGreaterThanOrEqual(3599);
    expect(res.body.id).toBe(leaseId);
    expect(Date.parse(res.body.data.expire_time as string) - Date.parse(res.body.data.issue_time as string)).toBe(3600_000);
    const missing = await vaultFetch(vault.address, 'PUT', 'sys/leases/lookup', {
      token: vault.rootToken,
      body: { lease_id: 'aws/creds/app/x' },
    });
    expect(missing).toEqual({ status: 400, body: { errors: ['invalid lease'] } });
  });

  it('revokes by prefix and lists leases under a prefix', async () => {
    const a = await issue();
    const b = await issue();
    const listed = await vaultFetch(vault.address, 'LIST', 'sys/leases/lookup/aws/creds/app/', { token: vault.rootToken });
    expect(listed.body.data.keys).toEqual(expect.arrayContaining([a.split('/').pop(), b.split('/').pop()]));
    const res = await vaultFetch(vault.address, 'PUT', 'sys/leases/revoke-prefix/aws/creds/app', { token: vault.rootToken });
    expect(res.status).toBe(204);
    expect(vault.leases().filter((lease) => lease.path === 'aws/creds/app')).toEqual([]);
  });

  it('expires leases at their deadline and revokes them', async () => {
    const leaseId = await issue();
    await vault.advanceTime(3601_000);
    expect(vault.leases().some((lease) => lease.id === leaseId)).toBe(false);
  });
});

describe('the reaper', () => {
  it('revokes an expired lease in the background without reap() or a request', async () => {
    const vault = await startVaultDev({ reaperIntervalMillis: 50, aws: { roles: { app: { credentialType: 'iam_user', defaultTtl: 1 } } } });
    try {
      const res = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token: vault.rootToken });
      expect(vault.leases()).toHaveLength(1);
      const started = Date.now();
      while (vault.leases().length > 0 && Date.now() - started < 5_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(vault.leases()).toHaveLength(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(vault.aws.lookupAccessKey(res.body.data.access_key as string)?.state).toBe('expired');
    } finally {
      await vault.close();
    }
  });
});
