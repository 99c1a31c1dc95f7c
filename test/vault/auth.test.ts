import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signJwt, signServiceAccountToken, startVaultDev, type VaultDevServer } from '@leasehold/testing';
import { ManualClock, VaultSession } from '@leasehold/core';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
let server: VaultDevServer | undefined;
let session: VaultSession | undefined;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'leasehold-auth-'));
});

afterEach(async () => {
  await session?.close();
  await server?.close();
  session = undefined;
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const logins = (path: string) => server!.requestLog.filter((entry) => entry.path === path && entry.status === 200).length;

describe('kubernetes auth', () => {
  it('logs in with the service-account token file and re-reads it at every login', async () => {
    server = await startVaultDev({
      auth: {
        kubernetes: {
          publicKeys: publicKey,
          roles: {
            payments: { boundServiceAccountNames: ['payments'], boundServiceAccountNamespaces: ['prod'], ttl: '10s', maxTtl: '10s' },
          },
        },
      },
    });
    const tokenPath = join(dir, 'token');
    const mint = () => signServiceAccountToken({ privateKey, namespace: 'prod', serviceAccountName: 'payments', nowMillis: server!.now() });
    writeFileSync(tokenPath, mint());
    // The session's clock stands still; only Vault's moves, so the token dies without the session's timers running.
    session = new VaultSession({
      address: server.address,
      auth: { method: 'kubernetes', role: 'payments', tokenPath },
      clock: new ManualClock(Date.now()),
    });
    await session.ready();
    expect(session.health()).toMatchObject({ state: 'ready', kind: 'kubernetes' });

    // The kubelet rewrote the file and Vault expired the token: the next login must read the file again.
    writeFileSync(tokenPath, 'not-a-jwt');
    await server.advanceTime(11_000);
    await expect(session.request({ method: 'GET', path: 'auth/token/lookup-self' })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_AUTH_FAILED',
    });
    writeFileSync(tokenPath, mint());
    await expect(session.request({ method: 'GET', path: 'auth/token/lookup-self' })).resolves.toBeDefined();
    expect(logins('auth/kubernetes/login')).toBe(2);
  });
});

describe('jwt auth', () => {
  it('logs in with a JWT from an environment variable', async () => {
    server = await startVaultDev({
      auth: { jwt: { publicKeys: publicKey, roles: { ci: { boundAudiences: ['vault'], userClaim: 'sub' } } } },
    });
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt({ sub: 'pipeline-1', aud: ['vault'], iat: now, exp: now + 600 }, privateKey);
    session = new VaultSession({
      address: server.address,
      auth: { method: 'jwt', role: 'ci', tokenEnv: 'CI_JOB_JWT' },
      env: { CI_JOB_JWT: jwt },
    });
    await session.ready();
    expect(logins('auth/jwt/login')).toBe(1);
  });
});

describe('approle auth', () => {
  it('reads the secret id from a file', async () => {
    server = await startVaultDev({ auth: { approle: { roles: { app: { roleId: 'rid', secretIds: ['sid-from-file'] } } } } });
    writeFileSync(join(dir, 'secret-id'), 'sid-from-file\n');
    session = new VaultSession({
      address: server.address,
      auth: { method: 'approle', roleId: 'rid', secretIdPath: join(dir, 'secret-id') },
    });
    await session.ready();
    expect(logins('auth/approle/login')).toBe(1);
  });

  it('refuses wrong credentials with a non-retryable LEASEHOLD_VAULT_AUTH_FAILED', async () => {
    server = await startVaultDev({ auth: { approle: { roles: { app: { roleId: 'rid', secretIds: ['right'] } } } } });
    session = new VaultSession({ address: server.address, auth: { method: 'approle', roleId: 'rid', secretId: 'wrong-secret-id' } });
    const error = (await session.ready().catch((failure: unknown) => failure)) as Error;
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_AUTH_FAILED', retryable: false });
    expect(error.message).not.toContain('wrong-secret-id');
    expect(session.health().state).toBe('failed');
  });
});

describe('token auth', () => {
  it('takes VAULT_TOKEN by default and never revokes a token it was given', async () => {
    server = await startVaultDev();
    const token = server.createToken({ policies: ['default'], ttl: '1h' });
    session = new VaultSession({ env: { VAULT_ADDR: server.address, VAULT_TOKEN: token } });
    await session.ready();
    expect(session.health().secondsLeft).toBeGreaterThan(3500);
    await session.close();
    expect(server.requestLog.some((entry) => entry.path === 'auth/token/revoke-self')).toBe(false);
  });

  it('re-reads a token file when Vault rejects the token (an agent wrote a new one)', async () => {
    server = await startVaultDev();
    const first = server.createToken({ policies: ['default'] });
    const tokenPath = join(dir, 'vault-token');
    writeFileSync(tokenPath, first);
    session = new VaultSession({ address: server.address, auth: { method: 'token', tokenPath } });
    await session.ready();
    await server.revokeToken(first);
    writeFileSync(tokenPath, server.createToken({ policies: ['default'] }));
    await expect(session.request({ method: 'GET', path: 'auth/token/lookup-self' })).resolves.toBeDefined();
    expect(session.tokenGeneration).toBe(2);
  });

  it('does not take a token file read back unchanged for a new token, so its leases are not re-issued', async () => {
    const clock = new ManualClock(Date.now());
    server = await startVaultDev({ clock: { now: () => clock.now() } });
    const tokenPath = join(dir, 'vault-token');
    writeFileSync(tokenPath, server.createToken({ policies: ['default'], ttl: '30s', explicitMaxTtl: '30s' }));
    session = new VaultSession({ address: server.address, auth: { method: 'token', tokenPath }, clock });
    await session.ready();
    const newTokens: number[] = [];
    session.onNewToken((state) => newTokens.push(state.generation));
    const lookups = () => server!.requestLog.filter((entry) => entry.path.endsWith('auth/token/lookup-self')).length;
    const before = lookups();
    // Renewals are capped at the 30 s max TTL, then the session re-reads the file ahead of expiry.
    for (let step = 0; step < 28 && lookups() === before; step++) {
      await clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the HTTP round trips are real
    }
    expect(lookups()).toBeGreaterThan(before);
    expect(session.tokenGeneration).toBe(1);
    expect(newTokens).toEqual([]);
  });

  it('fails clearly when a fixed token value is revoked', async () => {
    server = await startVaultDev();
    const token = server.createToken({ policies: ['default'] });
    session = new VaultSession({ address: server.address, auth: { method: 'token', token } });
    await session.ready();
    await server.revokeToken(token);
    await expect(session.request({ method: 'GET', path: 'auth/token/lookup-self' })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_INVALID_TOKEN',
      retryable: false,
    });
  });
});
