// Egress proxies: HTTPS_PROXY with NO_PROXY, and VAULT_PROXY_ADDR (which Vault's client applies to
// every request), through a real CONNECT proxy to a real TLS Vault. The TLS session runs end to
// end inside the tunnel: the proxy never sees the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultSession } from '@leasehold/core';
import { startConnectProxy, type ConnectProxy } from './connect-proxy.js';
import { createTestPki, type TestPki } from './test-pki.js';
import { startTlsVault, type TlsVault } from './tls-vault.js';

let pki: TestPki;
let vault: TlsVault;
let proxy: ConnectProxy;

beforeAll(async () => {
  pki = createTestPki();
  vault = await startTlsVault({ cert: pki.serverCert, key: pki.serverKey });
  proxy = await startConnectProxy();
});

afterAll(async () => {
  await proxy.close();
  await vault.close();
  pki.remove();
});

async function readThrough(env: NodeJS.ProcessEnv): Promise<string> {
  const session = new VaultSession({
    env: { VAULT_ADDR: `https://localhost:${vault.port}`, VAULT_TOKEN: 'hvs.proxied', VAULT_CACERT: pki.caPath, ...env },
  });
  try {
    const kv = session.kv<{ password: string }>('kv/app', { kvVersion: 1 });
    return (await kv.ready()).value.password;
  } finally {
    await session.close();
  }
}

describe('HTTPS_PROXY', () => {
  it('tunnels requests to Vault through the proxy with CONNECT, TLS verified end to end', async () => {
    const before = proxy.tunnels.length;
    expect(await readThrough({ HTTPS_PROXY: proxy.address })).toBe('kv-password');
    expect(proxy.tunnels.slice(before)).toContain(`localhost:${vault.port}`);
    expect(vault.seen.at(-1)).toMatchObject({ path: 'kv/app', token: 'hvs.proxied' });
  });

  it('is read in lower case too (https_proxy), as Go reads it', async () => {
    const before = proxy.tunnels.length;
    await readThrough({ https_proxy: proxy.address });
    expect(proxy.tunnels.length).toBeGreaterThan(before);
  });

  it('is bypassed for a host NO_PROXY names', async () => {
    const before = proxy.tunnels.length;
    expect(await readThrough({ HTTPS_PROXY: proxy.address, NO_PROXY: 'example.org,localhost' })).toBe('kv-password');
    expect(proxy.tunnels.length).toBe(before);
  });

  it('fails with a retryable network error when the proxy is down, naming the route but not its credentials', async () => {
    const session = new VaultSession({
      env: {
        VAULT_ADDR: `https://localhost:${vault.port}`,
        VAULT_TOKEN: 't',
        VAULT_CACERT: pki.caPath,
        HTTPS_PROXY: 'http://user:proxy-password@127.0.0.1:1',
      },
    });
    const error = await session.client.request({ method: 'GET', path: 'sys/health' }).catch((failure: unknown) => failure as Error);
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_NETWORK', retryable: true });
    expect((error as Error).message).toContain('environment proxy http://127.0.0.1:1');
    expect((error as Error).message).not.toContain('proxy-password');
    await session.close();
  });
});

describe('VAULT_PROXY_ADDR', () => {
  it('proxies every request, even to a host NO_PROXY names', async () => {
    const before = proxy.tunnels.length;
    expect(await readThrough({ VAULT_PROXY_ADDR: proxy.address, NO_PROXY: 'localhost' })).toBe('kv-password');
    expect(proxy.tunnels.slice(before)).toContain(`localhost:${vault.port}`);
  });

  it('is settable in code as proxyAddress', async () => {
    const before = proxy.tunnels.length;
    const session = new VaultSession({
      address: `https://localhost:${vault.port}`,
      auth: { method: 'token', token: 't' },
      caCertPath: pki.caPath,
      proxyAddress: proxy.address,
      env: {},
    });
    await expect(session.client.request({ method: 'GET', path: 'sys/health' })).resolves.toMatchObject({ initialized: true });
    expect(proxy.tunnels.length).toBeGreaterThan(before);
    expect(session.client.route).toBe(`proxy ${proxy.address}`);
    await session.close();
  });
});
