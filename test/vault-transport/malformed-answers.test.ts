// Answers Vault would never give, or a proxy gives in its place, from a fake Vault: each becomes a
// typed error without the secret in it, the last good value stays in use, nothing crashes, and the
// number of requests stays small.
import { afterEach, describe, expect, it } from 'vitest';
import { isLeaseholdError, ManualClock, VaultSession, type LeaseholdError, type Secret } from '@leasehold/core';
import { dbCreds, envelope, runFor, startFakeVault, type FakeAnswer, type FakeVault } from './fake-vault.js';

let fake: FakeVault | undefined;
let session: VaultSession | undefined;
afterEach(async () => {
  await session?.close();
  await fake?.close();
  session = undefined;
  fake = undefined;
});

async function started(): Promise<{ fake: FakeVault; clock: ManualClock; secret: Secret<{ username: string; password: string }> }> {
  fake = await startFakeVault();
  const clock = new ManualClock(Date.now());
  session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.fake-token' }, clock, random: () => 0.5 });
  let issued = 0;
  fake.on('database/creds/app', () => dbCreds(++issued));
  fake.on('sys/leases/renew', (request) => ({
    json: envelope({ lease_id: (JSON.parse(request.body) as { lease_id: string }).lease_id, renewable: true, lease_duration: 30 }),
  }));
  const secret = session.lease<{ username: string; password: string }>('database/creds/app');
  await secret.ready();
  return { fake, clock, secret };
}

const BAD_FETCHES: readonly (readonly [string, FakeAnswer, string])[] = [
  ['an HTML page from a proxy', { text: '<html><body>502 Bad Gateway, password pw-bad</body></html>' }, 'not-json'],
  ['invalid JSON', { text: '{"data": {"username": "u", "password": "pw-bad"', contentType: 'application/json' }, 'not-json'],
  ['an empty body', { status: 200 }, 'empty'],
  ['{}', { json: {} }, 'no-data'],
  [
    'data without a password',
    {
      json: envelope({
        lease_id: 'database/creds/app/x',
        lease_duration: 30,
        renewable: true,
        data: { username: 'u', pw: 'pw-bad' },
        mount_type: 'database',
      }),
    },
    'schema',
  ],
  [
    'a password that is not a string',
    {
      json: envelope({
        lease_id: 'database/creds/app/x',
        lease_duration: 30,
        renewable: true,
        data: { username: 'pw-bad', password: 42 },
        mount_type: 'database',
      }),
    },
    'schema',
  ],
  ['lease_duration as a string', dbCreds(99, '3600'), 'schema'],
  ['a negative lease_duration', dbCreds(99, -5), 'duration'],
  ['lease_duration 1e18', dbCreds(99, 1e18), 'duration'],
  ['lease_duration 0.001', dbCreds(99, 0.001), 'duration'],
  ['JSON that is a list', { json: ['pw-bad'] }, 'not-an-object'],
];

describe('a secret read that Vault (or a proxy) answers with 200 and garbage', () => {
  for (const [what, answer, reason] of BAD_FETCHES) {
    it(`refuses ${what} with a retryable typed error and keeps the last good credentials`, async () => {
      const { fake, secret } = await started();
      fake.on('database/creds/app', answer);
      const error = await secret.refresh().then(
        () => undefined,
        (failure: unknown) => failure as LeaseholdError,
      );
      expect(isLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE')).toBe(true);
      expect(error).toMatchObject({ retryable: true, details: { reason } });
      expect(error!.message).not.toContain('pw-bad');
      expect(JSON.stringify(error)).not.toContain('pw-bad');
      expect(secret.current().value.password).toBe('pw-1');
      expect(() => secret.health()).not.toThrow();
    });
  }

  it('refuses a response-wrapped answer unless unwrap is set, without a retry storm', async () => {
    const { fake, clock, secret } = await started();
    fake.on('database/creds/app', {
      json: envelope({ wrap_info: { token: 'hvs.wrapping-token', ttl: 300, creation_path: 'database/creds/app' } }),
    });
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_WRAPPED_RESPONSE', retryable: false });
    expect(secret.current().value.password).toBe('pw-1');
    expect(fake.count('sys/wrapping/unwrap')).toBe(0);
    const before = fake.count('database/creds/app');
    await runFor(clock, 10_000);
    expect(fake.count('database/creds/app') - before).toBeLessThanOrEqual(1);
  });
});

describe('unwrap: true', () => {
  it('unwraps a wrapped secret with sys/wrapping/unwrap, sending the wrapping token there only', async () => {
    fake = await startFakeVault();
    const clock = new ManualClock(Date.now());
    session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.fake-token' }, clock, unwrap: true });
    fake.on('database/creds/app', {
      json: envelope({ wrap_info: { token: 'hvs.wrapping-token', ttl: 300, creation_path: 'database/creds/app' } }),
    });
    fake.on('sys/wrapping/unwrap', (request) =>
      request.headers['x-vault-token'] === 'hvs.wrapping-token' ? dbCreds(7) : { status: 403, json: { errors: ['permission denied'] } },
    );
    const secret = session.lease<{ password: string }>('database/creds/app');
    const first = await secret.ready();
    expect(first.value.password).toBe('pw-7');
    expect(first.leaseId).toBe('database/creds/app/lease7');
    expect(fake.requests.find((request) => request.path === 'database/creds/app')?.headers['x-vault-token']).toBe('hvs.fake-token');
  });

  it('refuses a wrapped answer created for another path', async () => {
    fake = await startFakeVault();
    session = new VaultSession({
      address: fake.address,
      auth: { method: 'token', token: 'hvs.fake-token' },
      clock: new ManualClock(Date.now()),
      unwrap: true,
    });
    fake.on('database/creds/app', {
      json: envelope({ wrap_info: { token: 'hvs.wrapping-token', ttl: 300, creation_path: 'database/creds/admin' } }),
    });
    await expect(session.request({ method: 'GET', path: 'database/creds/app' })).rejects.toMatchObject({
      code: 'LEASEHOLD_VAULT_WRAPPED_RESPONSE',
    });
    expect(fake.count('sys/wrapping/unwrap')).toBe(0);
  });
});

describe('a renewal answer Vault would never give', () => {
  it('reads warnings that are not a list and keeps renewing', async () => {
    const { fake, clock, secret } = await started();
    fake.on('sys/leases/renew', (request) => ({
      json: envelope({
        lease_id: (JSON.parse(request.body) as { lease_id: string }).lease_id,
        renewable: true,
        lease_duration: 30,
        warnings: 'a lone warning',
      }),
    }));
    const before = secret.current().expiresAt!.getTime();
    await runFor(clock, 25_000);
    expect(fake.count('sys/leases/renew')).toBeGreaterThanOrEqual(1);
    expect(secret.current().expiresAt!.getTime()).toBeGreaterThan(before);
    expect(secret.current().value.password).toBe('pw-1');
    fake.on('sys/leases/renew', (request) => ({
      json: envelope({
        lease_id: (JSON.parse(request.body) as { lease_id: string }).lease_id,
        renewable: true,
        lease_duration: 30,
        warnings: { not: 'a list' },
      }),
    }));
    const renewals = fake.count('sys/leases/renew');
    await runFor(clock, 25_000);
    expect(fake.count('sys/leases/renew')).toBeGreaterThan(renewals);
    expect(secret.health().state).toBe('ready');
  });

  it('treats lease_duration 1e18 as a failed renewal: typed error, last value kept, health() still answers', async () => {
    const { fake, clock, secret } = await started();
    fake.on('sys/leases/renew', { json: envelope({ lease_id: 'database/creds/app/lease1', renewable: true, lease_duration: 1e18 }) });
    const failures: LeaseholdError[] = [];
    secret.on('renewalFailed', (error) => failures.push(error));
    await runFor(clock, 25_000);
    expect(failures[0]).toMatchObject({ code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', retryable: true, details: { reason: 'duration' } });
    expect(secret.current().value.password).toBe('pw-1');
    const health = secret.health();
    expect(health.lastError?.code).toBe('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE');
    expect(() => JSON.stringify(health)).not.toThrow();
    // Backoff, not a loop: a handful of attempts in 25 s of a 30 s lease.
    expect(fake.count('sys/leases/renew')).toBeLessThanOrEqual(8);
  });
});

describe('durations that would schedule a request storm', () => {
  it('makes a handful of requests, not thousands, when every answer says lease_duration 0.001', async () => {
    fake = await startFakeVault();
    const clock = new ManualClock(Date.now());
    session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.fake-token' }, clock, random: () => 0.5 });
    fake.on('database/creds/app', dbCreds(1, 0.001));
    const secret = session.lease('database/creds/app', { startTimeoutMillis: 60_000 });
    const outcome = secret.ready().catch((error: unknown) => error);
    await runFor(clock, 3_000);
    const requests = fake.count('database/creds/app');
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(requests).toBeLessThanOrEqual(5);
    expect(secret.health().lastError?.code).toBe('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE');
    await secret.close();
    await outcome;
  });

  it('schedules nothing for a lease Vault grants 0 seconds', async () => {
    fake = await startFakeVault();
    const clock = new ManualClock(Date.now());
    session = new VaultSession({ address: fake.address, auth: { method: 'token', token: 'hvs.fake-token' }, clock, random: () => 0.5 });
    fake.on('database/creds/app', dbCreds(1, 0));
    const secret = session.lease<{ password: string }>('database/creds/app');
    expect((await secret.ready()).value.password).toBe('pw-1');
    await runFor(clock, 60_000);
    expect(fake.count('database/creds/app')).toBe(1);
    expect(fake.count('sys/leases/renew')).toBe(0);
  });
});

describe('a login answer Vault would never give', () => {
  it('refuses an auth block with a string lease_duration as a retryable typed error', async () => {
    fake = await startFakeVault();
    fake.on('auth/approle/login', {
      json: envelope({ auth: { client_token: 'hvs.new-token', accessor: 'a', lease_duration: '3600', renewable: true, policies: [] } }),
    });
    session = new VaultSession({
      address: fake.address,
      auth: { method: 'approle', roleId: 'r', secretId: 'secret-id-value' },
      clock: new ManualClock(Date.now()),
    });
    const error = await session.ready().then(
      () => undefined,
      (failure: unknown) => failure as LeaseholdError,
    );
    expect(error).toMatchObject({ code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', retryable: true });
    expect(JSON.stringify(error) + error!.message).not.toContain('hvs.new-token');
  });

  it('refuses a 200 login answer without an auth block', async () => {
    fake = await startFakeVault();
    fake.on('auth/approle/login', { json: {} });
    session = new VaultSession({
      address: fake.address,
      auth: { method: 'approle', roleId: 'r', secretId: 'secret-id-value' },
      clock: new ManualClock(Date.now()),
    });
    await expect(session.ready()).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', retryable: true });
  });
});
