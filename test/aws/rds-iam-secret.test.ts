import { inspect } from 'node:util';
import {
  DEFAULT_RDS_TOKEN_REFRESH_MILLIS,
  RDS_TOKEN_LIFETIME_MILLIS,
  rdsIamSecret,
  type AwsIdentity,
  type RdsIamSecretOptions,
} from '@leasehold/aws';
import { LeaseholdError } from '@leasehold/core';
import { manualSecret } from '@leasehold/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, SigningClock } from './support/signing-clock.js';

const MINUTE = 60_000;
const keys1 = { accessKeyId: 'AKIARDS0000000000001', secretAccessKey: 'rds-secret-key-1-xxxxxxxxxxxxxxxxxxxxxxx' };
const keys2 = { accessKeyId: 'AKIARDS0000000000002', secretAccessKey: 'rds-secret-key-2-xxxxxxxxxxxxxxxxxxxxxxx' };

/** The query parameters of a token (`host:port/?Action=connect&DBUser=...&X-Amz-...`). */
function tokenParams(token: string): URLSearchParams {
  return new URL(`https://${token}`).searchParams;
}

describe('rdsIamSecret', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function open(options: Partial<RdsIamSecretOptions> = {}) {
    const clock = new SigningClock(Date.UTC(2026, 10, 30, 12, 0, 0));
    cleanup.push(() => clock.restore());
    const secret = rdsIamSecret({
      hostname: 'payments.cluster-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'payments_app',
      region: 'eu-west-1',
      credentials: keys1,
      clock,
      random: () => 0,
      ...options,
    });
    cleanup.push(() => secret.close());
    return { clock, secret };
  }

  it('yields the user and a token signed for it, valid 15 minutes, as the password', async () => {
    const { clock, secret } = open();
    const first = await secret.ready();
    expect(first.value.username).toBe('payments_app');
    const token = first.value.password;
    expect(token.startsWith('payments.cluster-abc.eu-west-1.rds.amazonaws.com:5432/?')).toBe(true);
    const params = tokenParams(token);
    expect(params.get('Action')).toBe('connect');
    expect(params.get('DBUser')).toBe('payments_app');
    expect(params.get('X-Amz-Expires')).toBe('900');
    expect(params.get('X-Amz-Credential')).toMatch(/^AKIARDS0000000000001\/20261130\/eu-west-1\/rds-db\/aws4_request$/);
    expect(params.get('X-Amz-Date')).toBe('20261130T120000Z');
    expect(first.expiresAt?.getTime()).toBe(first.fetchedAt.getTime() + RDS_TOKEN_LIFETIME_MILLIS);
    expect(first.fetchedAt.getTime()).toBe(clock.now());
    expect(secret.health()).toMatchObject({
      kind: 'rds-iam',
      source: 'rds-iam:payments_app@payments.cluster-abc.eu-west-1.rds.amazonaws.com:5432',
      state: 'ready',
    });
    for (const printed of [inspect(first), JSON.stringify(first), JSON.stringify(secret.health())]) expect(printed).not.toContain(token);
  });

  it('signs a new token every 10 minutes, well before the 15-minute limit, 20 times in a row', async () => {
    const { clock, secret } = open();
    const first = await secret.ready();
    const tokens = new Set([first.value.password]);
    for (let rotation = 1; rotation <= 20; rotation++) {
      await clock.advance(DEFAULT_RDS_TOKEN_REFRESH_MILLIS - 1);
      expect(secret.current().version).toBe(rotation);
      await clock.advance(1);
      await eventually(() => expect(secret.current().version).toBe(rotation + 1));
      const current = secret.current();
      tokens.add(current.value.password);
      expect(current.expiresAt!.getTime() - current.fetchedAt.getTime()).toBe(RDS_TOKEN_LIFETIME_MILLIS);
      expect(secret.health().state).toBe('ready');
    }
    expect(tokens.size).toBe(21);
  });

  it('signs with the keys of a credentials secret, and ends a token no later than the STS keys behind it', async () => {
    const clock = new SigningClock(Date.UTC(2026, 10, 30, 12, 0, 0));
    cleanup.push(() => clock.restore());
    const keys = manualSecret<AwsIdentity>('aws-sts', undefined, { clock });
    cleanup.push(() => keys.secret.close());
    keys.set(keys1, { expiresAt: new Date(clock.now() + 60 * MINUTE) });
    const { secret } = open({ credentials: keys.secret, clock });
    const first = await secret.ready();
    expect(tokenParams(first.value.password).get('X-Amz-Credential')).toMatch(/^AKIARDS0000000000001\//);
    const keys2EndAt = clock.now() + 12 * MINUTE;
    keys.set({ ...keys2 }, { expiresAt: new Date(keys2EndAt) });
    await clock.advance(DEFAULT_RDS_TOKEN_REFRESH_MILLIS);
    await eventually(() => expect(secret.current().version).toBe(2));
    const second = secret.current();
    expect(tokenParams(second.value.password).get('X-Amz-Credential')).toMatch(/^AKIARDS0000000000002\//);
    // The keys end in 2 minutes: so does the token, and the next one is signed within two thirds of that.
    expect(second.expiresAt!.getTime()).toBe(keys2EndAt);
    expect(second.expiresAt!.getTime() - second.fetchedAt.getTime()).toBe(2 * MINUTE);
  });

  it('keeps the last token when signing fails, reports degraded and retries before it expires', async () => {
    let failing = false;
    const provider = () =>
      failing ? Promise.reject(new Error('credential_process exited 1: aws_secret_access_key=abc')) : Promise.resolve(keys1);
    const { clock, secret } = open({ credentials: provider });
    const first = await secret.ready();
    failing = true;
    const errors: string[] = [];
    secret.on('error', (error) => errors.push(error.code));
    await clock.advance(DEFAULT_RDS_TOKEN_REFRESH_MILLIS);
    await eventually(() => expect(errors).toContain('LEASEHOLD_AWS_PROVIDER_FAILED'));
    expect(secret.current()).toBe(first);
    const health = secret.health();
    expect(health.state).toBe('degraded');
    expect(JSON.stringify(health)).not.toContain('aws_secret_access_key');
    failing = false;
    await eventually(async () => {
      await clock.advance(10_000);
      expect(secret.current().version).toBe(2);
    });
    expect(secret.current().expiresAt!.getTime()).toBeGreaterThan(first.expiresAt!.getTime());
    expect(secret.health().state).toBe('ready');
  });

  it('refuses options that cannot work, naming them', () => {
    const base = { hostname: 'db', port: 5432, username: 'app', region: 'eu-west-1' };
    expect(() => rdsIamSecret({ ...base, hostname: '' })).toThrow(/hostname/);
    expect(() => rdsIamSecret({ ...base, port: 0 })).toThrow(/port/);
    expect(() => rdsIamSecret({ ...base, refreshIntervalMillis: RDS_TOKEN_LIFETIME_MILLIS })).toThrow(LeaseholdError);
    expect(() => rdsIamSecret({ ...base, refreshIntervalMillis: RDS_TOKEN_LIFETIME_MILLIS })).toThrow(/refreshIntervalMillis/);
  });

  it('stops signing once closed; close twice shares one promise', async () => {
    let signings = 0;
    const { clock, secret } = open({
      credentials: () => {
        signings++;
        return Promise.resolve(keys1);
      },
    });
    await secret.ready();
    const [a, b] = [secret.close(), secret.close()];
    expect(a).toBe(b);
    await a;
    await clock.advance(60 * MINUTE);
    expect(signings).toBe(1);
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });
});
