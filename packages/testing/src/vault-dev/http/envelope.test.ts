/** Every answer wears Vault's envelope and error bodies, down to the empty-array 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from './vault-fetch.js';

const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';

describe('the Vault dev server envelope and errors', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev({ namespaces: ['ns1'], policies: { reader: ['secret/data/app'] } });
    vault.kv.get('secret')?.write('app', { password: 'p1' });
  });
  afterAll(() => vault.close());

  it('wraps a read in the full envelope', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      ['auth', 'data', 'lease_duration', 'lease_id', 'mount_type', 'renewable', 'request_id', 'warnings', 'wrap_info'].sort(),
    );
    expect(res.body).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      wrap_info: null,
      warnings: null,
      auth: null,
      mount_type: 'kv',
    });
    expect(res.body.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.data.data).toEqual({ password: 'p1' });
  });

  it('copies the data keys of sys paths to the top level', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'sys/internal/ui/mounts/secret', { token: vault.rootToken });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ path: 'secret/', type: 'kv', options: { version: '2' } });
    expect(res.body.type).toBe('kv');
    expect(res.body.path).toBe('secret/');
  });

  it('answers a missing path with 404 and an empty errors array', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'secret/data/nothing-here', { token: vault.rootToken });
    expect(res).toEqual({ status: 404, body: { errors: [] } });
  });

  it("answers an unknown mount with Vault's no-handler message", async () => {
    const res = await vaultFetch(vault.address, 'GET', 'nosuchmount/foo', { token: vault.rootToken });
    expect(res).toEqual({ status: 404, body: { errors: ['no handler for route "nosuchmount/foo". route entry not found.'] } });
  });

  it('answers an invalid request with 400 and a message', async () => {
    const res = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', { token: vault.rootToken, body: {} });
    expect(res).toEqual({ status: 400, body: { errors: ['lease_id must be specified'] } });
  });

  it('answers an unknown or revoked token with the two-error 403', async () => {
    const bogus = await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: 'hvs.nope' });
    expect(bogus).toEqual({ status: 403, body: { errors: [INVALID_TOKEN] } });
    const token = vault.createToken({ policies: ['reader'] });
    await vault.revokeToken(token);
    const revoked = await vaultFetch(vault.address, 'GET', 'secret/data/app', { token });
    expect(revoked).toEqual({ status: 403, body: { errors: [INVALID_TOKEN] } });
  });

  it('answers a policy denial with the one-error 403', async () => {
    const token = vault.createToken({ policies: ['reader'] });
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token })).status).toBe(200);
    const denied = await vaultFetch(vault.address, 'GET', 'secret/data/other', { token });
    expect(denied).toEqual({ status: 403, body: { errors: [PERMISSION_DENIED] } });
    const none = await vaultFetch(vault.address, 'GET', 'secret/data/app');
    expect(none).toEqual({ status: 403, body: { errors: [PERMISSION_DENIED] } });
  });

  it('treats a policy name containing a slash as an inline path prefix', async () => {
    const token = vault.createToken({ policies: ['secret/data/app'] });
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token })).status).toBe(200);
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/other', { token })).status).toBe(403);
  });

  it('accepts the token as Authorization: Bearer', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'secret/data/app', { headers: { Authorization: `Bearer ${vault.rootToken}` } });
    expect(res.status).toBe(200);
  });

  it('treats X-Vault-Namespace like a path prefix', async () => {
    const write = await vaultFetch(vault.address, 'POST', 'secret/data/ns-key', {
      token: vault.rootToken,
      namespace: 'ns1/',
      body: { data: { a: 1 } },
    });
    expect(write.status).toBe(200);
    const viaPath = await vaultFetch(vault.address, 'GET', 'ns1/secret/data/ns-key', { token: vault.rootToken });
    expect(viaPath.status).toBe(200);
    expect(viaPath.body.data.data).toEqual({ a: 1 });
    const unknown = await vaultFetch(vault.address, 'GET', 'secret/data/ns-key', { token: vault.rootToken, namespace: 'nope' });
    expect(unknown.status).toBe(404);
  });

  it('treats PUT and POST alike and LIST like GET ?list=true', async () => {
    await vaultFetch(vault.address, 'PUT', 'secret/data/dir/a', { token: vault.rootToken, body: { data: { x: 1 } } });
    await vaultFetch(vault.address, 'POST', 'secret/data/dir/b', { token: vault.rootToken, body: { data: { x: 2 } } });
    const viaQuery = await vaultFetch(vault.address, 'GET', 'secret/metadata/dir?list=true', { token: vault.rootToken });
    const viaMethod = await vaultFetch(vault.address, 'LIST', 'secret/metadata/dir', { token: vault.rootToken });
    expect(viaQuery.body.data.keys).toEqual(['a', 'b']);
    expect(viaMethod.body.data.keys).toEqual(['a', 'b']);
  });

  it('answers 503 Vault is sealed while sealed, except sys/health', async () => {
    vault.seal();
    try {
      expect(await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken })).toEqual({
        status: 503,
        body: { errors: ['Vault is sealed'] },
      });
      expect((await vaultFetch(vault.address, 'GET', 'sys/health')).status).toBe(503);
    } finally {
      vault.unseal();
    }
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken })).status).toBe(200);
  });

  it('answers 429 for an injected rate limit', async () => {
    vault.failNext(1, 429, /^secret\//);
    const limited = await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken });
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0]).toMatch(/rate limit quota exceeded/);
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken })).status).toBe(200);
  });

  it('rejects invalid JSON with 400', async () => {
    const response = await fetch(`${vault.address}/v1/secret/data/app`, {
      method: 'POST',
      headers: { 'X-Vault-Token': vault.rootToken },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: string[] };
    expect(body.errors[0]).toMatch(/^failed to parse JSON input/);
  });
});

describe('Vault dev server options', () => {
  it('appends the namespace id to lease ids issued inside a namespace', async () => {
    const vault = await startVaultDev({ namespaces: ['team-a'], aws: { roles: { app: { credentialType: 'iam_user' } } } });
    try {
      const root = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token: vault.rootToken });
      expect(root.body.lease_id).toMatch(/^aws\/creds\/app\/[0-9A-Za-z]{24}$/);
      const scoped = await vaultFetch(vault.address, 'GET', 'aws/creds/app', { token: vault.rootToken, namespace: 'team-a/' });
      expect(scoped.body.lease_id).toMatch(/^aws\/creds\/app\/[0-9A-Za-z]{24}\.[0-9A-Za-z]{5}$/);
      const renewed = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', {
        token: vault.rootToken,
        namespace: 'team-a',
        body: { lease_id: scoped.body.lease_id },
      });
      expect(renewed.status).toBe(200);
    } finally {
      await vault.close();
    }
  });

  it('requires X-Vault-Request when asked to, like Vault Agent', async () => {
    const vault = await startVaultDev({ requireRequestHeader: true });
    try {
      const bare = await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', { token: vault.rootToken });
      expect(bare).toEqual({ status: 412, body: { errors: ['missing "X-Vault-Request" header'] } });
      const ok = await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', {
        token: vault.rootToken,
        headers: { 'X-Vault-Request': 'true' },
      });
      expect(ok.status).toBe(200);
    } finally {
      await vault.close();
    }
  });

  it('closes once for concurrent callers and refuses connections and controls afterwards', async () => {
    const vault = await startVaultDev();
    const first = vault.close();
    const second = vault.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await expect(fetch(`${vault.address}/v1/sys/health`)).rejects.toThrow();
    await expect(vault.reap()).resolves.toBeUndefined();
    await expect(vault.advanceTime(1000)).rejects.toMatchObject({ code: 'LEASEHOLD_TESTING_CLOSED' });
    expect(() => vault.createToken()).toThrow(expect.objectContaining({ code: 'LEASEHOLD_TESTING_CLOSED' }) as unknown);
  });

  it('rejects a non-positive reaper interval naming the option', async () => {
    await expect(startVaultDev({ reaperIntervalMillis: 0 })).rejects.toMatchObject({
      code: 'LEASEHOLD_TESTING_INVALID_OPTION',
      message: expect.stringContaining('reaperIntervalMillis') as unknown,
    });
  });
});
