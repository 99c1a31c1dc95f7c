/** KV v1 and v2 answer as vault-plugin-secrets-kv does, deleted and destroyed versions included. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

describe('KV v2', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev({ kv: { secret: { version: 2 }, legacy: { version: 1 } }, policies: { app: ['secret/'] } });
  });
  afterAll(() => vault.close());
  const call = (method: string, path: string, body?: unknown) =>
    vaultFetch(vault.address, method, path, { token: vault.rootToken, ...(body === undefined ? {} : { body }) });

  it('writes versions and reads the latest or ?version=N', async () => {
    const v1 = await call('POST', 'secret/data/app/db', { data: { password: 'one' } });
    expect(v1.status).toBe(200);
    expect(v1.body.data).toMatchObject({ version: 1, deletion_time: '', destroyed: false, custom_metadata: null });
    await call('POST', 'secret/data/app/db', { data: { password: 'two' } });
    const latest = await call('GET', 'secret/data/app/db');
    expect(latest.body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0 });
    expect(latest.body.data).toMatchObject({ data: { password: 'two' }, metadata: { version: 2, deletion_time: '', destroyed: false } });
    expect(typeof latest.body.data.metadata.created_time).toBe('string');
    const old = await call('GET', 'secret/data/app/db?version=1');
    expect(old.body.data.data).toEqual({ password: 'one' });
    expect(await call('GET', 'secret/data/app/db?version=9')).toEqual({ status: 404, body: { errors: [] } });
  });

  it('answers a soft-deleted version with 404 and the full body, and undeletes it', async () => {
    await call('POST', 'secret/data/soft', { data: { a: 1 } });
    expect((await call('DELETE', 'secret/data/soft')).status).toBe(204);
    const deleted = await call('GET', 'secret/data/soft');
    expect(deleted.status).toBe(404);
    expect(deleted.body.data.data).toBeNull();
    expect(deleted.body.data.metadata).toMatchObject({ version: 1, destroyed: false });
    expect(deleted.body.data.metadata.deletion_time).not.toBe('');
    expect(deleted.body.request_id).toBeDefined();
    expect((await call('POST', 'secret/undelete/soft', { versions: [1] })).status).toBe(204);
    expect((await call('GET', 'secret/data/soft')).body.data.data).toEqual({ a: 1 });
    await call('POST', 'secret/delete/soft', { versions: [1] });
    expect((await call('GET', 'secret/data/soft')).status).toBe(404);
  });

  it('answers a destroyed version with 404, destroyed true, and cannot undelete it', async () => {
    await call('POST', 'secret/data/gone', { data: { a: 1 } });
    expect((await call('POST', 'secret/destroy/gone', { versions: [1] })).status).toBe(204);
    const res = await call('GET', 'secret/data/gone');
    expect(res.status).toBe(404);
    expect(res.body.data).toMatchObject({ data: null, metadata: { destroyed: true } });
    await call('POST', 'secret/undelete/gone', { versions: [1] });
    expect((await call('GET', 'secret/data/gone')).status).toBe(404);
  });

  it('enforces check-and-set', async () => {
    expect((await call('POST', 'secret/data/cas', { data: { a: 1 }, options: { cas: 0 } })).status).toBe(200);
    const mismatch = await call('POST', 'secret/data/cas', { data: { a: 2 }, options: { cas: 0 } });
    expect(mismatch).toEqual({ status: 400, body: { errors: ['check-and-set parameter did not match the current version'] } });
    expect((await call('POST', 'secret/data/cas', { data: { a: 2 }, options: { cas: 1 } })).body.data.version).toBe(2);
    await call('POST', 'secret/metadata/cas', { cas_required: true });
    const required = await call('POST', 'secret/data/cas', { data: { a: 3 } });
    expect(required).toEqual({ status: 400, body: { errors: ['check-and-set parameter required for this call'] } });
  });

  it('reports metadata with every version', async () => {
    await call('POST', 'secret/data/meta', { data: { a: 1 } });
    await call('POST', 'secret/data/meta', { data: { a: 2 } });
    await call('DELETE', 'secret/data/meta');
    const res = await call('GET', 'secret/metadata/meta');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ current_version: 2, oldest_version: 1, max_versions: 0, cas_required: false });
    expect(Object.keys(res.body.data.versions as object)).toEqual(['1', '2']);
    expect(res.body.data.versions['2'].deletion_time).not.toBe('');
    expect(await call('GET', 'secret/metadata/none')).toEqual({ status: 404, body: { errors: [] } });
  });

  it('lists keys and folders', async () => {
    await call('POST', 'secret/data/list/a', { data: { x: 1 } });
    await call('POST', 'secret/data/list/sub/b', { data: { x: 1 } });
    const res = await call('LIST', 'secret/metadata/list');
    expect(res.body.data.keys).toEqual(['a', 'sub/']);
    expect(await call('LIST', 'secret/metadata/empty')).toEqual({ status: 404, body: { errors: [] } });
  });

  it('reports the KV version through sys/internal/ui/mounts and hides unknown mounts behind 403', async () => {
    const v2 = await call('GET', 'sys/internal/ui/mounts/secret/data/app/db');
    expect(v2.body.data).toMatchObject({ path: 'secret/', type: 'kv', options: { version: '2' } });
    const v1 = await call('GET', 'sys/internal/ui/mounts/legacy/x');
    expect(v1.body.data).toMatchObject({ path: 'legacy/', type: 'kv', options: { version: '1' } });
    expect((await call('GET', 'sys/internal/ui/mounts/unknown/x')).status).toBe(403);
    const token = vault.createToken({ policies: ['app'] });
    const limited = await vaultFetch(vault.address, 'GET', 'sys/internal/ui/mounts/secret/x', { token });
    expect(limited.status).toBe(200);
    const other = await vaultFetch(vault.address, 'GET', 'sys/internal/ui/mounts/legacy/x', { token });
    expect(other.status).toBe(403);
  });
});

describe('KV v1', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev({ kv: { kv: { version: 1 } } });
  });
  afterAll(() => vault.close());
  const call = (method: string, path: string, body?: unknown) =>
    vaultFetch(vault.address, method, path, { token: vault.rootToken, ...(body === undefined ? {} : { body }) });

  it('reads the stored data with the mount default lease duration and no lease', async () => {
    expect((await call('PUT', 'kv/app', { password: 'p' })).status).toBe(204);
    const res = await call('GET', 'kv/app');
    expect(res.body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 2764800, data: { password: 'p' } });
    expect(vault.leases()).toEqual([]);
  });

  it('uses a stored ttl key as the lease duration', async () => {
    await call('PUT', 'kv/short', { password: 'p', ttl: '30m' });
    expect((await call('GET', 'kv/short')).body.lease_duration).toBe(1800);
  });

  it('deletes, lists and answers missing keys with 404', async () => {
    await call('PUT', 'kv/dir/a', { x: 1 });
    expect((await call('LIST', 'kv/dir')).body.data.keys).toEqual(['a']);
    expect((await call('DELETE', 'kv/dir/a')).status).toBe(204);
    expect(await call('GET', 'kv/dir/a')).toEqual({ status: 404, body: { errors: [] } });
  });
});
