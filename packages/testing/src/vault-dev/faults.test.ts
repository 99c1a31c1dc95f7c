/**
 * Fault rules apply to the requests they match, as many times as asked, and the log records them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVaultDev } from './server.js';
import type { VaultDevServer } from './server.js';
import { vaultFetch } from './http/vault-fetch.js';

describe('fault injection and the request log', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev();
    vault.kv.get('secret')?.write('app', { a: 1 });
  });
  afterAll(() => vault.close());
  beforeEach(() => {
    vault.clearFaults();
    vault.clearRequestLog();
  });
  const read = () => vaultFetch(vault.address, 'GET', 'secret/data/app', { token: vault.rootToken });

  it('fails the next n requests with the given status, then recovers', async () => {
    const handle = vault.failNext(2, 500);
    expect((await read()).status).toBe(500);
    expect((await read()).body).toEqual({ errors: ['internal error'] });
    expect((await read()).status).toBe(200);
    expect(handle.hits).toBe(2);
  });

  it('applies a rule only to matching paths and methods', async () => {
    vault.inject({ path: /^sys\/leases\//, method: 'PUT', status: 503, errors: ['Vault is sealed'] });
    expect((await read()).status).toBe(200);
    const res = await vaultFetch(vault.address, 'PUT', 'sys/leases/renew', { token: vault.rootToken, body: { lease_id: 'x' } });
    expect(res).toEqual({ status: 503, body: { errors: ['Vault is sealed'] } });
  });

  it('delays answers by latencyMillis', async () => {
    vault.inject({ latencyMillis: 150, times: 1 });
    const started = Date.now();
    expect((await read()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the connection without an answer', async () => {
    vault.inject({ dropConnection: true, times: 1 });
    await expect(read()).rejects.toThrow();
    expect((await read()).status).toBe(200);
  });

  it('answers a raw body verbatim, with its content type, and leaves the engine untouched', async () => {
    vault.inject({ path: /^secret\//, status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html', times: 1 });
    const response = await fetch(`${vault.address}/v1/secret/data/app`, { headers: { 'X-Vault-Token': vault.rootToken } });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toBe('<html>Bad Gateway</html>');
    vault.inject({ body: '{"data": {', times: 1 });
    const truncated = await fetch(`${vault.address}/v1/secret/data/app`, { headers: { 'X-Vault-Token': vault.rootToken } });
    expect(truncated.status).toBe(200);
    expect(await truncated.text()).toBe('{"data": {');
    expect((await read()).body.data.data).toEqual({ a: 1 });
  });

  it('stops applying a removed rule', async () => {
    const handle = vault.inject({ status: 502 });
    expect((await read()).status).toBe(502);
    handle.remove();
    expect((await read()).status).toBe(200);
  });

  it('logs every request with method, path and status', async () => {
    await read();
    await vaultFetch(vault.address, 'GET', 'nope/x', { token: vault.rootToken });
    vault.inject({ dropConnection: true, times: 1 });
    await read().catch(() => undefined);
    expect(vault.requestLog.map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'GET', path: 'secret/data/app', status: 200 },
      { method: 'GET', path: 'nope/x', status: 404 },
      { method: 'GET', path: 'secret/data/app', status: 0 },
    ]);
    expect(typeof vault.requestLog[0]?.timeMillis).toBe('number');
  });

  it('revokes a token out of band', async () => {
    const token = vault.createToken({ policies: ['root'] });
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token })).status).toBe(200);
    await vault.revokeToken(token);
    expect((await vaultFetch(vault.address, 'GET', 'secret/data/app', { token })).status).toBe(403);
  });
});
