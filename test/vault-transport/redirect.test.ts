// Redirects as Vault's client follows them: one hop, method and body kept on 307/308, never from
// https to http, the token sent only to the node the first answer named, the hop in the debug log.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Sensitive, VaultSession, type Logger } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';
import { envelope, startFakeVault, type FakeVault } from './fake-vault.js';
import { createTestPki, type TestPki } from './test-pki.js';

let fakes: FakeVault[] = [];
afterEach(async () => {
  await Promise.all(fakes.map((fake) => fake.close()));
  fakes = [];
});

async function fakeVault(): Promise<FakeVault> {
  const fake = await startFakeVault();
  fakes.push(fake);
  return fake;
}

function recordingLogger(): { logger: Logger; lines: { fields: Record<string, unknown>; message: string }[] } {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log = (fields: Record<string, unknown>, message: string): void => void lines.push({ fields, message });
  return { logger: { debug: log, info: log, warn: log, error: log }, lines };
}

describe('a 307 from a standby', () => {
  it('is followed once to the active node, keeping method, body and token, and logged at debug', async () => {
    const active = await fakeVault();
    const standby = await fakeVault();
    standby.on(/.*/, (request) => ({ status: 307, headers: { location: `${active.address}/v1/${request.path}` } }));
    active.on('sys/leases/renew', (request) => ({
      json: envelope({ lease_id: (JSON.parse(request.body) as { lease_id: string }).lease_id, renewable: true, lease_duration: 60 }),
    }));
    const { logger, lines } = recordingLogger();
    const session = new VaultSession({ address: standby.address, auth: { method: 'token', token: 'hvs.the-token' }, logger, env: {} });
    const renewed = await session.request({
      method: 'PUT',
      path: 'sys/leases/renew',
      body: { lease_id: 'database/creds/app/x', increment: 60 },
    });
    expect(renewed.lease_duration).toBe(60);
    const hop = active.requests.find((request) => request.path === 'sys/leases/renew');
    expect(hop).toMatchObject({ method: 'PUT' });
    expect(JSON.parse(hop!.body)).toEqual({ lease_id: 'database/creds/app/x', increment: 60 });
    expect(hop!.headers['x-vault-token']).toBe('hvs.the-token');
    expect(lines).toContainEqual({
      fields: { path: 'PUT sys/leases/renew', status: 307, from: standby.address, to: active.address },
      message: 'leasehold: vault redirect followed',
    });
    expect(JSON.stringify(lines)).not.toContain('hvs.the-token');
    await session.close();
  });

  it('keeps a POST with its body on 308 as well', async () => {
    const active = await fakeVault();
    const balancer = await fakeVault();
    balancer.on(/.*/, (request) => ({ status: 308, headers: { location: `${active.address}/v1/${request.path}` } }));
    active.on('auth/approle/login', {
      json: envelope({ auth: { client_token: 'hvs.x', accessor: 'a', lease_duration: 60, renewable: true, policies: [] } }),
    });
    const client = new VaultClient({ address: balancer.address });
    await client.request({ method: 'POST', path: 'auth/approle/login', body: { role_id: 'r', secret_id: 's' } });
    expect(active.requests.at(-1)).toMatchObject({ method: 'POST', path: 'auth/approle/login' });
    expect(JSON.parse(active.requests.at(-1)!.body)).toEqual({ role_id: 'r', secret_id: 's' });
    client.close();
  });
});

describe('redirects that are not followed', () => {
  it('stops at the second redirect, so the token never reaches the third server', async () => {
    const third = await fakeVault();
    const second = await fakeVault();
    const first = await fakeVault();
    first.on(/.*/, (request) => ({ status: 307, headers: { location: `${second.address}/v1/${request.path}` } }));
    second.on(/.*/, (request) => ({ status: 302, headers: { location: `${third.address}/v1/${request.path}` } }));
    const client = new VaultClient({ address: first.address });
    await expect(client.request({ method: 'GET', path: 'secret/app', token: new Sensitive('hvs.the-token') })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_REDIRECT_REFUSED',
      retryable: false,
    });
    expect(second.requests).toHaveLength(1);
    expect(third.requests).toHaveLength(0);
    client.close();
  });

  it('is refused when redirects are disabled (VAULT_DISABLE_REDIRECTS)', async () => {
    const active = await fakeVault();
    const standby = await fakeVault();
    standby.on(/.*/, { status: 307, headers: { location: `${active.address}/v1/sys/health` } });
    const session = new VaultSession({
      auth: { method: 'token', token: 't' },
      env: { VAULT_ADDR: standby.address, VAULT_DISABLE_REDIRECTS: 'true' },
    });
    await expect(session.client.request({ method: 'GET', path: 'sys/health' })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_REDIRECT_REFUSED',
    });
    expect(active.requests).toHaveLength(0);
    await session.close();
  });
});

describe('a redirect from https to http', () => {
  let pki: TestPki;
  let https: Server;
  let target: FakeVault;

  beforeAll(async () => {
    pki = createTestPki();
    target = await startFakeVault();
    https = createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      res.statusCode = 307;
      res.setHeader('location', `${target.address}${req.url ?? ''}`);
      res.end();
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    https.closeAllConnections();
    await new Promise<void>((resolve) => https.close(() => resolve()));
    await target.close();
    pki.remove();
  });

  it('is refused: the token never travels in clear', async () => {
    const client = new VaultClient({ address: `https://127.0.0.1:${(https.address() as AddressInfo).port}`, caCert: pki.ca });
    const error = await client
      .request({ method: 'GET', path: 'secret/app', token: new Sensitive('hvs.the-token') })
      .catch((failure: unknown) => failure as Error);
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_REDIRECT_REFUSED', retryable: false });
    expect((error as Error).message).toMatch(/downgrade https to http/);
    expect(target.requests).toHaveLength(0);
    client.close();
  });
});
