// The deep, targeted check of three scenario families: file secrets (rotation, a refused value, a
// parse failure), Vault leases under a pg pool (issue, renew, replace before max TTL, an outage of
// Vault mid-lease, revoke on close), and a login refused. Every test file of the suite already runs
// captured (suite-capture.ts: the fallback logger, every diagnostics channel, LeaseholdWarnings,
// searched for the secrets @leasehold/testing registered). Here a capturing logger is given to
// every component, every secret value and token the scenario used is read back by a pass-through
// proxy in front of Vault, and the search also covers the errors raised and the health reports.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { fileSecret, healthCheck, VaultSession, type LeaseholdError, type Secret } from '@leasehold/core';
import { atomicWriteDir, connectPostgres, startVaultDev } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { errorEvent, rotation, tempDir } from '../files/helpers.js';
import { capture, expectNoSecret } from './capture.js';
import { startEchoProxy } from './echo-proxy.js';

const ROLE_ID = 'hygiene-role';
const SECRET_ID = 'hygiene-secret-id-0123456789';

function watchErrors<T>(secret: Secret<T>, into: LeaseholdError[]): void {
  secret.on('error', (error) => into.push(error)).on('renewalFailed', (error) => into.push(error));
}

async function until(done: () => boolean | Promise<boolean>, millis: number, what: string): Promise<void> {
  const end = Date.now() + millis;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function vaultWorld() {
  const facts = inject('postgres');
  const admin = connectPostgres(facts);
  onTestFinished(() => admin.close());
  const server = await startVaultDev({
    policies: { app: ['database/creds/app', 'sys/leases/revoke', 'sys/leases/renew'] },
    database: { connection: facts, roles: { app: { defaultTtl: '3s', maxTtl: '7s' } } },
    auth: { approle: { roles: { app: { roleId: ROLE_ID, secretIds: [SECRET_ID], policies: ['app'], ttl: '1h', maxTtl: '24h' } } } },
  });
  onTestFinished(() => server.close());
  const proxy = await startEchoProxy(server.address);
  onTestFinished(() => proxy.close());
  return { facts, server, proxy };
}

describe('a capturing run over the scenario families', () => {
  it('file secrets: rotation, a refused value and a parse failure leave no value in any output', async () => {
    const out = capture();
    onTestFinished(() => out.stop());
    const { dir, remove } = await tempDir('leasehold-hygiene-');
    onTestFinished(remove);
    const secrets = ['file-Pa55word-first', 'file-Pa55word-second', 'short', 'json-Api-K3y-value'];
    const errors: LeaseholdError[] = [];
    const volume = join(dir, 'volume');
    await atomicWriteDir(volume, { username: 'app-user', password: secrets[0]! });
    const db = fileSecret<{ username: string; password: string }>({
      path: volume,
      logger: out.logger,
      validate: (value) => value.password.length >= 8 || 'too short',
    });
    onTestFinished(() => db.close());
    watchErrors(db, errors);
    await db.ready();
    const rotated = rotation(db);
    await atomicWriteDir(volume, { username: 'app-user', password: secrets[1]! });
    await rotated;
    const refused = errorEvent(db, 'LEASEHOLD_VALIDATION_FAILED');
    await atomicWriteDir(volume, { username: 'app-user', password: secrets[2]! });
    await refused;

    const jsonPath = join(dir, 'config.json');
    await writeFile(jsonPath, `{"apiKey": "${secrets[3]!}",, }`);
    const config = fileSecret({ path: jsonPath, logger: out.logger, startTimeoutMillis: 500 });
    onTestFinished(() => config.close());
    watchErrors(config, errors);
    out.add('config ready', await config.ready().catch((error: unknown) => error));

    for (const error of errors) out.add('error', error);
    out.add('report', healthCheck([db, config]).report());
    expect(errors.map((error) => error.code)).toEqual(expect.arrayContaining(['LEASEHOLD_VALIDATION_FAILED', 'LEASEHOLD_PARSE_FAILED']));
    expect(out.diagnostics.length).toBeGreaterThan(0);
    expectNoSecret(
      out.text(),
      secrets.filter((secret) => secret.length >= 8),
    );
  });

  it('Vault leases under a pg pool: issue, renew, replace, an outage mid-lease and revoke on close leave no token or value', async () => {
    const out = capture();
    onTestFinished(() => out.stop());
    const { facts, server, proxy } = await vaultWorld();
    const session = new VaultSession({
      address: proxy.address,
      auth: { method: 'approle', roleId: ROLE_ID, secretId: SECRET_ID },
      logger: out.logger,
    });
    onTestFinished(() => session.close());
    const errors: LeaseholdError[] = [];
    const db = session.lease<{ username: string; password: string }>('database/creds/app', { retireMarginMillis: 500 });
    watchErrors(db, errors);
    const pool = createPool(db, { host: facts.host, port: facts.port, database: facts.database, max: 2, logger: out.logger });
    let ended = false; // pg's pool refuses a second end()
    onTestFinished(() => (ended ? undefined : pool.end()));
    let renewed = 0;
    let retired = 0;
    db.on('renewed', () => renewed++).on('retired', () => retired++);
    await db.ready();
    await pool.query('SELECT 1');
    // The replaced lease retired (drained by the pool, then revoked) too, so its log line is searched.
    await until(() => (pool.version ?? 0) >= 2 && renewed >= 1 && retired >= 1, 30_000, 'a renewal, a replacement and a retirement');
    await pool.query('SELECT 1');

    // Vault unreachable (connections dropped) then answering 503, mid-lease.
    const outage = server.inject({ dropConnection: true, path: /^(database|sys\/leases)/ });
    await until(() => errors.length > 0, 20_000, 'an error during the outage');
    outage.remove();
    const unavailable = server.inject({ status: 503, path: /^(database|sys\/leases)/, times: 3 });
    await until(() => unavailable.hits > 0, 20_000, 'a 503');
    await until(
      async () =>
        (await pool.query('SELECT 1').then(
          () => true,
          () => false,
        )) && db.health().state !== 'expired',
      30_000,
      'recovery',
    );

    out.add('session health', session.health());
    out.add('pool health', pool.health());
    out.add('report', healthCheck([session, db, pool]).report());
    for (const error of errors) out.add('error', error);
    ended = true;
    await pool.end();
    await session.close();

    const secrets = [...proxy.tokens, ...proxy.values, SECRET_ID];
    expect(proxy.tokens.size).toBeGreaterThan(0);
    expect(proxy.values.size).toBeGreaterThanOrEqual(4); // two leases at least: two users, two passwords
    expect(out.lines.some((line) => line.includes('revoked') || line.includes('retired'))).toBe(true);
    expectNoSecret(out.text(), secrets);
  });

  it('a refused login leaves neither the secret id nor anything else in any output', async () => {
    const out = capture();
    onTestFinished(() => out.stop());
    const { proxy } = await vaultWorld();
    const wrong = 'wrong-secret-id-9876543210';
    const session = new VaultSession({
      address: proxy.address,
      auth: { method: 'approle', roleId: ROLE_ID, secretId: wrong },
      logger: out.logger,
    });
    onTestFinished(() => session.close());
    const db = session.lease('database/creds/app', { startTimeoutMillis: 2_000 });
    const errors: LeaseholdError[] = [];
    watchErrors(db, errors);
    const failure = await db.ready().catch((error: unknown) => error);
    expect((failure as LeaseholdError).code).toBeDefined();
    out.add('ready', failure);
    out.add('session ready', await session.ready().catch((error: unknown) => error));
    out.add('report', healthCheck([session, db]).report());
    for (const error of errors) out.add('error', error);
    expect(session.health().lastError?.code).toBe('LEASEHOLD_VAULT_AUTH_FAILED');
    expectNoSecret(out.text(), [wrong, ...proxy.tokens]);
  });
});
