// TLS the way Vault's CLI configures it, against a real TLS listener and certificates made in the
// test: mutual TLS from options and from VAULT_CLIENT_CERT/VAULT_CLIENT_KEY, a CA directory
// (VAULT_CAPATH), a server name (VAULT_TLS_SERVER_NAME), and OpenBao's BAO_* names.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultSession } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';
import { createTestPki, type TestPki } from './test-pki.js';
import { startTlsVault, type TlsVault } from './tls-vault.js';

let pki: TestPki;
let mtlsVault: TlsVault;
let internalVault: TlsVault;

beforeAll(async () => {
  pki = createTestPki();
  mtlsVault = await startTlsVault({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.clientCa });
  internalVault = await startTlsVault({ cert: pki.internalCert, key: pki.internalKey });
});

afterAll(async () => {
  await mtlsVault.close();
  await internalVault.close();
  pki.remove();
});

const health = { method: 'GET', path: 'sys/health' } as const;

describe('mutual TLS', () => {
  it('presents the client certificate given in options', async () => {
    const client = new VaultClient({
      address: `https://127.0.0.1:${mtlsVault.port}`,
      caCert: pki.ca,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
    });
    await expect(client.request(health)).resolves.toMatchObject({ initialized: true });
    expect(mtlsVault.seen.at(-1)?.clientCn).toBe('app');
    client.close();
  });

  it('is refused by a Vault that requires a client certificate when none is configured', async () => {
    const client = new VaultClient({ address: `https://127.0.0.1:${mtlsVault.port}`, caCert: pki.ca });
    await expect(client.request(health)).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_NETWORK', retryable: true });
    client.close();
  });

  it('reads VAULT_CLIENT_CERT and VAULT_CLIENT_KEY (paths) with VAULT_CACERT, like the Vault CLI', async () => {
    const session = new VaultSession({
      env: {
        VAULT_ADDR: `https://127.0.0.1:${mtlsVault.port}`,
        VAULT_TOKEN: 'hvs.env-token',
        VAULT_CACERT: pki.caPath,
        VAULT_CLIENT_CERT: pki.clientCertPath,
        VAULT_CLIENT_KEY: pki.clientKeyPath,
      },
    });
    const kv = session.kv<{ password: string }>('kv/app', { kvVersion: 1 });
    expect((await kv.ready()).value.password).toBe('kv-password');
    const last = mtlsVault.seen.at(-1);
    expect(last).toMatchObject({ path: 'kv/app', clientCn: 'app', token: 'hvs.env-token' });
    await session.close();
  });

  it('refuses a client certificate without its key, naming both variables', () => {
    expect(
      () => new VaultSession({ env: { VAULT_ADDR: 'https://127.0.0.1:1', VAULT_TOKEN: 't', VAULT_CLIENT_CERT: pki.clientCertPath } }),
    ).toThrow(/VAULT_CLIENT_CERT and VAULT_CLIENT_KEY/);
  });
});

describe('VAULT_CAPATH', () => {
  it('trusts the CA certificates found in the directory', async () => {
    const dir = join(pki.dir, 'capath');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README'), 'not a certificate');
    writeFileSync(join(dir, 'other-ca.pem'), pki.clientCa);
    writeFileSync(join(dir, 'vault-ca.pem'), pki.ca);
    const session = new VaultSession({
      env: {
        VAULT_ADDR: `https://127.0.0.1:${internalVault.port}`,
        VAULT_TOKEN: 't',
        VAULT_CAPATH: dir,
        VAULT_TLS_SERVER_NAME: 'vault.internal',
      },
    });
    await expect(session.client.request(health)).resolves.toMatchObject({ sealed: false });
    await session.close();
  });

  it('fails at construction on a directory without certificates', () => {
    const dir = join(pki.dir, 'empty-capath');
    mkdirSync(dir);
    expect(() => new VaultSession({ env: { VAULT_ADDR: 'https://127.0.0.1:1', VAULT_TOKEN: 't', VAULT_CAPATH: dir } })).toThrow(
      /holds no PEM certificate/,
    );
  });
});

describe('VAULT_TLS_SERVER_NAME', () => {
  it('checks the certificate against the configured name and sends it as SNI', async () => {
    const address = `https://127.0.0.1:${internalVault.port}`;
    const plain = new VaultClient({ address, caCert: pki.ca });
    await expect(plain.request(health)).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_NETWORK',
      details: { errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    });
    plain.close();
    const session = new VaultSession({
      env: { VAULT_ADDR: address, VAULT_TOKEN: 't', VAULT_CACERT: pki.caPath, VAULT_TLS_SERVER_NAME: 'vault.internal' },
    });
    await expect(session.client.request(health)).resolves.toMatchObject({ initialized: true });
    expect(internalVault.seen.at(-1)?.servername).toBe('vault.internal');
    await session.close();
  });
});

describe("OpenBao's BAO_* variables", () => {
  it('are read where the VAULT_* ones are unset', async () => {
    const session = new VaultSession({
      env: {
        BAO_ADDR: `https://127.0.0.1:${mtlsVault.port}`,
        BAO_TOKEN: 'bao-token',
        BAO_CACERT: pki.caPath,
        BAO_CLIENT_CERT: pki.clientCertPath,
        BAO_CLIENT_KEY: pki.clientKeyPath,
        BAO_NAMESPACE: 'team-a/',
      },
    });
    expect(session.client.namespace).toBe('team-a/');
    const kv = session.kv<{ password: string }>('kv/app', { kvVersion: 1 });
    await kv.ready();
    expect(mtlsVault.seen.at(-1)).toMatchObject({ token: 'bao-token', clientCn: 'app' });
    await session.close();
  });

  it('lose to the VAULT_* ones when both are set', () => {
    const session = new VaultSession({
      env: {
        VAULT_ADDR: 'http://vault.example:8200',
        BAO_ADDR: 'http://bao.example:8200',
        VAULT_TOKEN: 'v',
        BAO_NAMESPACE: 'bao/',
        VAULT_NAMESPACE: 'vault/',
      },
    });
    expect(session.client.address).toBe('http://vault.example:8200');
    expect(session.client.namespace).toBe('vault/');
    void session.close();
  });
});
