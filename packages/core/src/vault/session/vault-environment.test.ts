import { describe, expect, it } from 'vitest';
import { readVaultEnvironment, vaultVariable } from './vault-environment.js';

describe('readVaultEnvironment', () => {
  it('reads VAULT_* first, BAO_* where VAULT_* is unset or empty', () => {
    expect(vaultVariable({ VAULT_ADDR: '', BAO_ADDR: 'https://bao:8200' }, 'ADDR')).toBe('https://bao:8200');
    expect(vaultVariable({ VAULT_ADDR: 'https://vault:8200', BAO_ADDR: 'https://bao:8200' }, 'ADDR')).toBe('https://vault:8200');
    expect(readVaultEnvironment({ BAO_TOKEN: 't', BAO_NAMESPACE: 'ns/', BAO_PROXY_ADDR: 'http://p:3128' })).toMatchObject({
      token: 't',
      namespace: 'ns/',
      proxyAddress: 'http://p:3128',
    });
  });

  it('parses booleans and timeouts as Vault does, naming the variable it cannot parse', () => {
    expect(readVaultEnvironment({ VAULT_SKIP_VERIFY: 'T', VAULT_DISABLE_REDIRECTS: '0', VAULT_CLIENT_TIMEOUT: '30' })).toMatchObject({
      tlsSkipVerify: true,
      disableRedirects: false,
      requestTimeoutMillis: 30_000,
    });
    expect(readVaultEnvironment({ VAULT_CLIENT_TIMEOUT: '1m' }).requestTimeoutMillis).toBe(60_000);
    expect(() => readVaultEnvironment({ VAULT_SKIP_VERIFY: 'maybe' })).toThrow(/VAULT_SKIP_VERIFY/);
    expect(() => readVaultEnvironment({ VAULT_CLIENT_TIMEOUT: 'soon' })).toThrow(/VAULT_CLIENT_TIMEOUT/);
  });

  it('reads proxies in either case, VAULT_PROXY_ADDR before the older VAULT_HTTP_PROXY', () => {
    expect(readVaultEnvironment({ https_proxy: 'http://a:1', no_proxy: 'x' })).toMatchObject({ httpsProxy: 'http://a:1', noProxy: 'x' });
    expect(readVaultEnvironment({ VAULT_HTTP_PROXY: 'http://old:1', VAULT_PROXY_ADDR: 'http://new:1' }).proxyAddress).toBe('http://new:1');
  });
});
