// Secret hygiene through a VaultSession: a proxy in front of the dev server echoes the session's
// token, the passwords Vault issued, a KV value and the AppRole secret id in its error texts, on
// every kind of request a session makes (lease read, lease renewal, revoke, token renewal, KV
// read, login). None of them may reach lastError, a health report, a log line, a diagnostics
// message, an error event or a rejected promise. The same holds for login secrets the session reads
// from a file (a service-account token, a JWT, an AppRole secret id, a token): the proxy echoes the
// login body it saw in the errors of later requests.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onTestFinished, describe, expect, it } from 'vitest';
import { healthCheck, VaultSession, type LeaseholdError, type Secret, type VaultSessionOptions } from '@leasehold/core';
import { signJwt, signServiceAccountToken, type VaultDevServer } from '@leasehold/testing';
import { openSessionWorld } from './session-world.js';
import { capture, expectNoSecret } from './capture.js';
import { tempDir } from '../files/helpers.js';
import { runFor, ROLE_ID, SECRET_ID } from '../vault/helpers.js';

interface DbCreds {
  username: string;
  password: string;
}

const KV_VALUE = 'kv-api-key-0f9e8d7c6b5a';

function collectErrors<T>(secret: Secret<T>, into: LeaseholdError[]): void {
  secret.on('error', (error) => into.push(error)).on('renewalFailed', (error) => into.push(error));
}

describe('errors that pass through a Vault session', () => {
  it('never carry the token or a secret value, whatever Vault or a proxy echoes', async () => {
    const out = capture();
    onTestFinished(() => out.stop());
    const { w, proxy } = await openSessionWorld({ leaseTtl: '10s', leaseMaxTtl: '10m', tokenTtl: '20s', tokenMaxTtl: '10m' });
    await fetch(`${w.server.address}/v1/secret/data/app`, {
      method: 'PUT',
      headers: { 'x-vault-token': w.server.rootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { apiKey: KV_VALUE } }),
    });
    const s = new VaultSession({
      address: proxy.address,
      auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID },
      clock: w.clock,
      logger: out.logger,
    });
    onTestFinished(() => s.close());
    const errors: LeaseholdError[] = [];
    const db = s.lease<DbCreds>('database/creds/app');
    const kv = s.kv<{ apiKey: string }>('secret/app', { pollIntervalMillis: 5_000 });
    collectErrors(db, errors);
    collectErrors(kv, errors);
    const first = await db.ready();
    await kv.ready();
    expect(proxy.tokens.size).toBe(1);
    expect(proxy.values).toContain(first.value.password);
    expect(proxy.values).toContain(KV_VALUE);

    // Every authenticated request now fails with an error that quotes everything the proxy saw.
    proxy.echo({ path: /^(sys\/leases\/(renew|revoke)|auth\/token\/renew-self|database\/creds\/|secret\/data\/)/, status: 400 });
    await runFor(w, 25_000, () => s.health().lastError !== undefined && errors.length >= 4);
    const refreshed = await db.refresh().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refreshed).toBeDefined();
    out.add('refresh rejection', refreshed);

    // An invalid-token answer makes the session log in again; the login echoes as well.
    proxy.clear();
    proxy.echo({ path: /^database\/creds\//, status: 403, prefix: 'invalid token' });
    proxy.echo({ path: /^auth\/approle\/login/, status: 400 });
    const relogin = await db.refresh().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(relogin).toBeDefined();
    out.add('re-login rejection', relogin);
    const ready = await s.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    out.add('session ready', ready);

    // The proxy did echo on every path the session uses, so the assertions below can fail.
    const echoedPaths = [...proxy.echoed.keys()].join(' ');
    for (const path of ['sys/leases/renew', 'auth/token/renew-self', 'database/creds/app', 'secret/data/app', 'auth/approle/login']) {
      expect(echoedPaths).toContain(path);
    }
    expect(s.health().lastError).toBeDefined();
    expect(db.health().lastError).toBeDefined();
    expect(errors.map((error) => error.code)).toContain('LEASEHOLD_VAULT_BAD_REQUEST');

    const check = healthCheck([s, db, kv]);
    out.add('session health', s.health());
    out.add('lease health', db.health());
    out.add('kv health', kv.health());
    out.add('report', check.report());
    out.add('report json', JSON.stringify(check.report()));
    for (const error of errors) out.add('error event', error);

    // Revoking at close is echoed too; the failure is logged, never with the token or a value.
    proxy.clear();
    proxy.echo({ path: /^(sys\/leases\/revoke|auth\/token\/revoke-self)/, status: 500 });
    await s.close();
    expect(echoedPaths.length).toBeGreaterThan(0);
    expect([...proxy.echoed.keys()].join(' ')).toContain('sys/leases/revoke');

    const secrets = [...proxy.tokens, ...proxy.values, SECRET_ID];
    expect(out.lines.length).toBeGreaterThan(5);
    expect(out.diagnostics.length).toBeGreaterThan(0);
    expectNoSecret(out.lines.join('\n'), secrets, 'log lines');
    expectNoSecret(out.diagnostics.join('\n'), secrets, 'diagnostics messages');
    expectNoSecret(out.text(), secrets);
  });
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const FILE_SECRET_ID = 'file-secret-id-5a4b3c2d1e0f';

/** A login whose secret the session reads from a file, and the path its login request goes to. */
interface FileLogin {
  readonly name: string;
  readonly loginPath: string;
  /** The file's content, made once the server runs (a JWT is signed for its clock). */
  readonly content: (server: VaultDevServer) => string;
  readonly auth: (path: string) => VaultSessionOptions['auth'];
}

const FILE_LOGINS: readonly FileLogin[] = [
  {
    name: 'an AppRole secret id read from secretIdPath',
    loginPath: 'auth/approle/login',
    content: () => FILE_SECRET_ID,
    auth: (secretIdPath) => ({ method: 'approle', roleId: ROLE_ID, secretIdPath }),
  },
  {
    name: 'a Kubernetes service-account token read from its file',
    loginPath: 'auth/kubernetes/login',
    content: (server) =>
      signServiceAccountToken({ privateKey, namespace: 'prod', serviceAccountName: 'payments', nowMillis: server.now() }),
    auth: (tokenPath) => ({ method: 'kubernetes', role: 'payments', tokenPath }),
  },
  {
    name: 'a JWT read from tokenPath',
    loginPath: 'auth/jwt/login',
    content: (server) => {
      const now = Math.floor(server.now() / 1000);
      return signJwt({ sub: 'pipeline-1', aud: ['vault'], iat: now, exp: now + 3600 }, privateKey);
    },
    auth: (tokenPath) => ({ method: 'jwt', role: 'ci', tokenPath }),
  },
];

describe('login secrets read from a file', () => {
  it.each(FILE_LOGINS)('$name never reach an error, lastError, health or a log line when a proxy echoes the login', async (login) => {
    const out = capture();
    onTestFinished(() => out.stop());
    const role = { policies: ['app'], ttl: '1h', maxTtl: '24h' };
    const { w, proxy } = await openSessionWorld({
      extra: {
        auth: {
          approle: { roles: { app: { roleId: ROLE_ID, secretIds: [FILE_SECRET_ID], ...role } } },
          kubernetes: {
            publicKeys: publicKey,
            roles: { payments: { boundServiceAccountNames: ['payments'], boundServiceAccountNamespaces: ['prod'], ...role } },
          },
          jwt: { publicKeys: publicKey, roles: { ci: { boundAudiences: ['vault'], userClaim: 'sub', ...role } } },
        },
      },
    });
    const { dir, remove } = await tempDir('leasehold-hygiene-login-');
    onTestFinished(remove);
    const secret = login.content(w.server);
    await writeFile(join(dir, 'login'), `${secret}\n`);
    const s = new VaultSession({ address: proxy.address, auth: login.auth(join(dir, 'login')), clock: w.clock, logger: out.logger });
    onTestFinished(() => s.close());
    await s.ready();
    // The proxy holds the login secret: every echo below quotes it.
    expect(proxy.values).toContain(secret);

    // A lease read answered with an error quoting the login body.
    proxy.echo({ path: /^database\/creds\//, status: 400 });
    const errors: LeaseholdError[] = [];
    const db = s.lease<DbCreds>('database/creds/app');
    collectErrors(db, errors);
    await runFor(w, 5_000, () => errors.length > 0);
    out.add('read rejection', await s.request({ method: 'GET', path: 'database/creds/app' }).catch((error: unknown) => error));

    // The token declared invalid, and the re-login refused with an echo of its own body.
    proxy.clear();
    proxy.echo({ path: /^database\/creds\//, status: 403, prefix: 'invalid token' });
    proxy.echo({ path: new RegExp(`^${login.loginPath}`), status: 400 });
    out.add('re-login rejection', await s.request({ method: 'GET', path: 'database/creds/app' }).catch((error: unknown) => error));

    expect([...proxy.echoed.keys()]).toEqual(expect.arrayContaining(['database/creds/app', login.loginPath]));
    expect(errors.length).toBeGreaterThan(0);
    expect(db.health().lastError).toBeDefined();
    expect(s.health().lastError).toBeDefined();
    out.add('session health', s.health());
    out.add('lease health', db.health());
    out.add('report', healthCheck([s, db]).report());
    for (const error of errors) out.add('error event', error);
    // Fragments too: an error message cut short may keep the start of a long JWT.
    expectNoSecret(out.text(), [secret, ...fragmentsOf(secret)]);
  });
});

/** Every 16-character piece of `secret`, overlapping by half. */
function fragmentsOf(secret: string): string[] {
  const pieces: string[] = [];
  for (let at = 0; at + 16 <= secret.length; at += 8) pieces.push(secret.slice(at, at + 16));
  return pieces;
}
