/** Kubernetes, AppRole and JWT logins answer as Vault's auth methods do, failures included. */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from './jwt.js';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { signServiceAccountToken } from './service-account-token.js';
import { vaultFetch } from '../http/vault-fetch.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('auth methods', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    vault = await startVaultDev({
      auth: {
        kubernetes: {
          publicKeys: [rsa.publicKey, ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
          roles: {
            payments: {
              boundServiceAccountNames: ['payments'],
              boundServiceAccountNamespaces: ['prod'],
              policies: ['payments'],
              ttl: '1h',
              maxTtl: '2h',
            },
            batchy: { boundServiceAccountNames: ['*'], boundServiceAccountNamespaces: ['*'], tokenType: 'batch', ttl: '10m' },
          },
        },
        approle: { roles: { ci: { roleId: 'role-1', secretIds: ['secret-1'], policies: ['ci'], ttl: '20m' } } },
        jwt: {
          publicKeys: ec.publicKey,
          boundIssuer: 'https://ci.example',
          roles: { deploy: { boundAudiences: ['vault'], boundClaims: { repository: 'org/app' }, policies: ['deploy'], ttl: '5m' } },
        },
      },
    });
  });
  afterAll(() => vault.close());

  const k8sLogin = (body: Record<string, unknown>) => vaultFetch(vault.address, 'POST', 'auth/kubernetes/login', { body });

  it('logs in with a projected RS256 service-account token', async () => {
    const jwt = signServiceAccountToken({ privateKey: rsa.privateKey, namespace: 'prod', serviceAccountName: 'payments' });
    const res = await k8sLogin({ role: 'payments', jwt });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: '', lease_duration: 0, renewable: false, data: null, mount_type: 'kubernetes' });
    expect(res.body.auth).toMatchObject({
      policies: ['default', 'payments'],
      token_policies: ['default', 'payments'],
      lease_duration: 3600,
      renewable: true,
      token_type: 'service',
      orphan: true,
      mfa_requirement: null,
      metadata: { role: 'payments', service_account_name: 'payments', service_account_namespace: 'prod' },
    });
    expect(res.body.auth.client_token).toMatch(/^hvs\./);
    const self = await vaultFetch(vault.address, 'GET', 'auth/token/lookup-self', { token: res.body.auth.client_token });
    expect(self.body.data.display_name).toBe('kubernetes-prod-payments');
  });

  it('logs in with a legacy ES256 token and issues batch tokens for a batch role', async () => {
    const jwt = signServiceAccountToken({ privateKey: ec.privateKey, namespace: 'dev', serviceAccountName: 'any', format: 'legacy' });
    const res = await k8sLogin({ role: 'batchy', jwt });
    expect(res.status).toBe(200);
    expect(res.body.auth).toMatchObject({ token_type: 'batch', renewable: false, lease_duration: 600 });
    expect(res.body.auth.client_token).toMatch(/^hvb\./);
  });

  it('rejects missing fields and unknown roles with 400', async () => {
    const jwt = signServiceAccountToken({ privateKey: rsa.privateKey, namespace: 'prod', serviceAccountName: 'payments' });
    expect(await k8sLogin({ jwt })).toEqual({ status: 400, body: { errors: ['missing role'] } });
    expect(await k8sLogin({ role: 'payments' })).toEqual({ status: 400, body: { errors: ['missing jwt'] } });
    expect(await k8sLogin({ role: 'x', jwt })).toEqual({ status: 400, body: { errors: ['invalid role name "x"'] } });
  });

  it('rejects a token signed by another key, an expired token and unbound accounts with 403', async () => {
    const foreign = signServiceAccountToken({ privateKey: stranger.privateKey, namespace: 'prod', serviceAccountName: 'payments' });
    expect(await k8sLogin({ role: 'payments', jwt: foreign })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    const expired = signServiceAccountToken({
      privateKey: rsa.privateKey,
      namespace: 'prod',
      serviceAccountName: 'payments',
      nowMillis: Date.now() - 7200_000,
    });
    expect(await k8sLogin({ role: 'payments', jwt: expired })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    const wrongName = signServiceAccountToken({ privateKey: rsa.privateKey, namespace: 'prod', serviceAccountName: 'web' });
    expect((await k8sLogin({ role: 'payments', jwt: wrongName })).status).toBe(403);
    const wrongNamespace = signServiceAccountToken({ privateKey: rsa.privateKey, namespace: 'dev', serviceAccountName: 'payments' });
    expect((await k8sLogin({ role: 'payments', jwt: wrongNamespace })).status).toBe(403);
    expect((await k8sLogin({ role: 'payments', jwt: 'not.a.jwt' })).status).toBe(403);
  });

  it('logs in with approle and rejects a wrong secret_id', async () => {
    const ok = await vaultFetch(vault.address, 'POST', 'auth/approle/login', { body: { role_id: 'role-1', secret_id: 'secret-1' } });
    expect(ok.status).toBe(200);
    expect(ok.body.auth).toMatchObject({ policies: ['ci', 'default'], lease_duration: 1200, metadata: { role_name: 'ci' } });
    const bad = await vaultFetch(vault.address, 'POST', 'auth/approle/login', { body: { role_id: 'role-1', secret_id: 'nope' } });
    expect(bad).toEqual({ status: 400, body: { errors: ['invalid role or secret ID'] } });
    const fresh = await vaultFetch(vault.address, 'POST', 'auth/approle/role/ci/secret-id', { token: vault.rootToken });
    const again = await vaultFetch(vault.address, 'POST', 'auth/approle/login', {
      body: { role_id: 'role-1', secret_id: fresh.body.data.secret_id },
    });
    expect(again.status).toBe(200);
  });

  it('logs in with a jwt whose audience and claims are bound, and rejects others with 400', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: 'https://ci.example', sub: 'repo:org/app', aud: 'vault', repository: 'org/app', exp: now + 300, iat: now };
    const login = (jwt: string) => vaultFetch(vault.address, 'POST', 'auth/jwt/login', { body: { role: 'deploy', jwt } });
    const ok = await login(signJwt(claims, ec.privateKey));
    expect(ok.status).toBe(200);
    expect(ok.body.auth).toMatchObject({ policies: ['default', 'deploy'], lease_duration: 300, metadata: { role: 'deploy' } });
    const wrongAudience = await login(signJwt({ ...claims, aud: 'other' }, ec.privateKey));
    expect(wrongAudience.status).toBe(400);
    expect(wrongAudience.body.errors[0]).toMatch(/aud/);
    const wrongClaim = await login(signJwt({ ...claims, repository: 'org/evil' }, ec.privateKey));
    expect(wrongClaim).toEqual({
      status: 400,
      body: { errors: ['error validating claims: claim "repository" does not match any associated bound claim values'] },
    });
    const forged = await login(signJwt(claims, stranger.privateKey));
    expect(forged.status).toBe(400);
    expect(forged.body.errors[0]).toMatch(/^error validating token/);
    const expired = await login(signJwt({ ...claims, exp: now - 3600 }, ec.privateKey));
    expect(expired.status).toBe(400);
    const unknownRole = await vaultFetch(vault.address, 'POST', 'auth/jwt/login', { body: { role: 'x', jwt: 'a.b.c' } });
    expect(unknownRole).toEqual({ status: 400, body: { errors: ['role "x" could not be found'] } });
  });
});
