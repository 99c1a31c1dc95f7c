/** sys/health answers every status code Vault has, with its query overrides. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

describe('sys/health and seal', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev();
  });
  afterAll(() => vault.close());
  beforeEach(() => {
    Object.assign(vault.health, { initialized: true, sealed: false, standby: false, performanceStandby: false, drSecondary: false });
  });

  const status = async (query = ''): Promise<number> => (await vaultFetch(vault.address, 'GET', `sys/health${query}`)).status;

  it('answers 200 with the health body when active', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'sys/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ initialized: true, sealed: false, standby: false, performance_standby: false });
    expect(res.body.request_id).toBeUndefined();
  });

  it('answers 429 for a standby unless standbyok=true', async () => {
    vault.health.standby = true;
    expect(await status()).toBe(429);
    expect(await status('?standbyok=true')).toBe(200);
  });

  it('answers 473 for a performance standby unless perfstandbyok=true', async () => {
    vault.health.performanceStandby = true;
    expect(await status()).toBe(473);
    expect(await status('?perfstandbyok=true')).toBe(200);
  });

  it('answers 472 for a DR secondary, 501 uninitialised and 503 sealed', async () => {
    vault.health.drSecondary = true;
    expect(await status()).toBe(472);
    vault.health.drSecondary = false;
    vault.seal();
    expect(await status()).toBe(503);
    vault.health.initialized = false;
    expect(await status()).toBe(501);
  });

  it('honours the status code overrides', async () => {
    vault.health.standby = true;
    expect(await status('?standbycode=200')).toBe(200);
    expect(await status('?activecode=204&standbyok=true')).toBe(204);
  });

  it('answers HEAD with the status and no body', async () => {
    vault.seal();
    const response = await fetch(`${vault.address}/v1/sys/health`, { method: 'HEAD' });
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('');
  });

  it('seals through sys/seal and unseals through sys/unseal', async () => {
    expect((await vaultFetch(vault.address, 'PUT', 'sys/seal', { token: vault.rootToken })).status).toBe(204);
    expect(vault.sealed).toBe(true);
    const sealedStatus = await vaultFetch(vault.address, 'GET', 'sys/seal-status');
    expect(sealedStatus.body).toMatchObject({ sealed: true, type: 'shamir' });
    const unsealed = await vaultFetch(vault.address, 'PUT', 'sys/unseal', { body: { key: 'anything' } });
    expect(unsealed.status).toBe(200);
    expect(unsealed.body.sealed).toBe(false);
    expect(vault.sealed).toBe(false);
  });
});
