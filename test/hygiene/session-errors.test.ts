// Secret hygiene through a VaultSession: a proxy in front of the dev server echoes the session's
// token, the passwords Vault issued, a KV value and the AppRole secret id in its error texts, on
// every kind of request a session makes (lease read, lease renewal, revoke, token renewal, KV
// read, login). None of them may reach lastError, a health report, a log line, a diagnostics
// message, an error event or a rejected promise.
import { onTestFinished, describe, expect, it } from 'vitest';
import { healthCheck, VaultSession, type LeaseholdError, type Secret } from '@leasehold/core';
import { openSessionWorld } from './session-world.js';
import { capture, expectNoSecret } from './capture.js';
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
