// One value refused by `validate` is one fact: one `error` event, no `renewalFailed` (no renewal
// ran), and the metrics count it once, whichever source read it.
import { envSecret, fileSecret, registerMetrics, Sensitive, type LeaseholdError, type Secret } from '@leasehold/core';
import { VaultClient } from '@leasehold/core/internal';
import { atomicWriteDir } from '@leasehold/testing';
import promClient from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errorEvent, tempDir } from '../files/helpers.js';
import { openSession } from '../vault/helpers.js';

/** Refuses exactly the second value a secret sees. */
function refuseSecond(): (value: unknown) => string | undefined {
  let seen = 0;
  return () => (++seen === 2 ? 'refused by the test' : undefined);
}

interface Counted {
  readonly errors: LeaseholdError[];
  readonly renewalFailures: LeaseholdError[];
  metrics(): Promise<string>;
}

function count(secret: Secret<unknown>): Counted {
  const errors: LeaseholdError[] = [];
  const renewalFailures: LeaseholdError[] = [];
  secret.on('error', (error) => errors.push(error)).on('renewalFailed', (error) => renewalFailures.push(error));
  const registry = new promClient.Registry();
  const metrics = registerMetrics([secret], { client: promClient, registry });
  onTestFinished(() => metrics.close());
  return { errors, renewalFailures, metrics: () => registry.metrics() };
}

async function expectCountedOnce(secret: Secret<unknown>, counted: Counted): Promise<void> {
  expect(counted.errors.map((error) => error.code)).toEqual(['LEASEHOLD_VALIDATION_FAILED']);
  expect(counted.renewalFailures).toEqual([]);
  expect(secret.current().version).toBe(1);
  expect(secret.health()).toMatchObject({ state: 'degraded', lastError: { code: 'LEASEHOLD_VALIDATION_FAILED' } });
  const text = await counted.metrics();
  expect(text).toContain(`leasehold_source_errors_total{secret="${secret.name}",code="LEASEHOLD_VALIDATION_FAILED"} 1`);
  expect(text).toContain(`leasehold_renewals_total{secret="${secret.name}",result="failure"} 0`);
}

describe('a value refused by validate', () => {
  it('is reported once by a file source, also when refresh() reads it again', async () => {
    const { dir, remove } = await tempDir();
    onTestFinished(remove);
    await atomicWriteDir(dir, { password: 'first-value' });
    const secret = fileSecret({ path: dir, name: 'file-refused', validate: refuseSecond() });
    onTestFinished(() => secret.close());
    await secret.ready();
    const counted = count(secret);
    const refused = errorEvent(secret, 'LEASEHOLD_VALIDATION_FAILED');
    await atomicWriteDir(dir, { password: 'second-value' });
    await refused;
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expectCountedOnce(secret, counted);
  });

  it('is reported once by an env source', async () => {
    const env: NodeJS.ProcessEnv = { APP_TOKEN: 'first-value' };
    const secret = envSecret({ variables: { token: 'APP_TOKEN' }, env, name: 'env-refused', validate: refuseSecond() });
    onTestFinished(() => secret.close());
    await secret.ready();
    const counted = count(secret);
    env['APP_TOKEN'] = 'second-value';
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expectCountedOnce(secret, counted);
  });

  it('is reported once by a Vault KV source', async () => {
    const { w, s } = await openSession();
    const root = new VaultClient({ address: w.server.address });
    onTestFinished(() => root.close());
    const token = new Sensitive(w.server.rootToken);
    await root.request({ method: 'POST', path: 'secret/data/app', token, body: { data: { apiKey: 'key-1' } } });
    const kv = s.kv('secret/app', { name: 'kv-refused', validate: refuseSecond() });
    await kv.ready();
    const counted = count(kv);
    await root.request({ method: 'POST', path: 'secret/data/app', token, body: { data: { apiKey: 'key-2' } } });
    await expect(kv.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expect(kv.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expectCountedOnce(kv, counted);
  });

  it('is reported once by a Vault lease source, and its lease is revoked', async () => {
    const { w, s } = await openSession();
    const db = s.lease('database/creds/app', { name: 'lease-refused', validate: refuseSecond() });
    await db.ready();
    const counted = count(db);
    await expect(db.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_VALIDATION_FAILED' });
    await expectCountedOnce(db, counted);
    // The refused lease was revoked; the adopted one is still live.
    await expect.poll(() => w.server.requestLog.filter((entry) => entry.path === 'sys/leases/revoke').length).toBe(1);
  });
});
