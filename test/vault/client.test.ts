import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startVaultDev, type VaultDevServer } from '@leasehold/testing';
import { Sensitive, VaultSession } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';

let server: VaultDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the Vault client', () => {
  it('sends X-Vault-Request: true, which a Vault Agent in front of Vault requires', async () => {
    server = await startVaultDev({ requireRequestHeader: true });
    const client = new VaultClient({ address: server.address });
    const envelope = await client.request<{ policies: string[] }>({
      method: 'GET',
      path: 'auth/token/lookup-self',
      token: new Sensitive(server.rootToken),
    });
    expect(envelope.data?.policies).toContain('root');
    client.close();
  });

  it('sends the namespace as X-Vault-Namespace', async () => {
    server = await startVaultDev({ namespaces: ['team-a'] });
    await using session = new VaultSession({
      address: server.address,
      namespace: 'team-a/',
      auth: { method: 'token', token: server.rootToken },
    });
    await session.request({ method: 'POST', path: 'secret/data/app', body: { data: { k: 'v' } } });
    expect(server.requestLog.at(-1)?.namespace).toMatch(/^team-a\/?$/);
  });

  it('gives up on a slow answer after requestTimeoutMillis with a retryable LEASEHOLD_VAULT_TIMEOUT', async () => {
    server = await startVaultDev();
    server.inject({ path: /^auth\/token\/lookup-self/, latencyMillis: 2_000 });
    const client = new VaultClient({ address: server.address, requestTimeoutMillis: 100 });
    await expect(
      client.request({ method: 'GET', path: 'auth/token/lookup-self', token: new Sensitive(server.rootToken) }),
    ).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_TIMEOUT',
      retryable: true,
    });
    client.close();
  });

  it('reports a refused connection as a retryable LEASEHOLD_VAULT_NETWORK', async () => {
    const port = await findFreePort();
    const client = new VaultClient({ address: `http://127.0.0.1:${port}` });
    await expect(client.request({ method: 'GET', path: 'sys/health' })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_NETWORK',
      retryable: true,
    });
    client.close();
  });

  it('never quotes the token, even when Vault echoes it', async () => {
    server = await startVaultDev();
    const token = server.rootToken;
    server.inject({ status: 400, errors: [`malformed request from ${token}`] });
    const client = new VaultClient({ address: server.address });
    const error = await client
      .request({ method: 'GET', path: 'secret/data/x', token: new Sensitive(token) })
      .catch((failure: unknown) => failure as Error);
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_BAD_REQUEST' });
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).message).toContain('[redacted]');
    client.close();
  });
});

describe('TLS', () => {
  let dir: string;
  let https: Server;
  let address: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'ca.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    https = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"initialized":true,"sealed":false}');
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    address = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => https.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server certificate by default', async () => {
    const client = new VaultClient({ address });
    await expect(client.request({ method: 'GET', path: 'sys/health' })).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_NETWORK' });
    client.close();
  });

  it('trusts a CA given as caCert', async () => {
    const client = new VaultClient({ address, caCert: readFileSync(join(dir, 'ca.pem')) });
    await expect(client.request({ method: 'GET', path: 'sys/health' })).resolves.toMatchObject({ initialized: true });
    client.close();
  });

  it('reads the CA file named by VAULT_CACERT, like the Vault CLI', async () => {
    const session = new VaultSession({
      auth: { method: 'token', token: 'hvs.unused' },
      env: { VAULT_ADDR: address, VAULT_CACERT: join(dir, 'ca.pem') },
    });
    expect(session.client.address).toBe(address);
    await expect(session.client.request({ method: 'GET', path: 'sys/health' })).resolves.toMatchObject({ sealed: false });
    await session.close();
  });
});
