import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { awsCredentials, bindAwsClient, FORCE_REFRESH_COALESCE_MILLIS } from '@leasehold/aws';
import { ManualClock } from '@leasehold/core';
import { manualSecret, MemoryAwsKeyStore, startAwsEndpoint, type AwsEndpoint } from '@leasehold/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** How long close() gets to (wrongly) finish while a request still holds its credentials. */
const CLOSE_WINDOW_MILLIS = 200;

let counter = 0;
function newKeys(): Keys {
  counter++;
  const id = String(counter).padStart(4, '0');
  return { accessKeyId: `AKIABIND${id}XXXXXXXX`, secretAccessKey: `bind-secret-${id}-${'b'.repeat(24)}` };
}

describe('an AWS client binding', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(clock = new ManualClock(Date.now())) {
    const keys = new MemoryAwsKeyStore();
    const endpoint: AwsEndpoint = await startAwsEndpoint({ keys });
    cleanup.push(() => endpoint.close());
    const grant = (value: Keys) => {
      keys.add(value.accessKeyId, { secretAccessKey: value.secretAccessKey });
      return value;
    };
    const first = grant(newKeys());
    const manual = manualSecret<Keys>('aws/creds/binding', first, { clock });
    cleanup.push(() => manual.secret.close());
    manual.onRetire((snapshot) => keys.revoke(snapshot.value.accessKeyId));
    const client = new S3Client({
      endpoint: endpoint.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: awsCredentials(manual.secret, { clock }),
      maxAttempts: 1,
    });
    cleanup.push(() => Promise.resolve(client.destroy()));
    const binding = bindAwsClient(client, manual.secret, { clock });
    cleanup.push(() => binding.close());
    await manual.secret.ready();
    return { clock, keys, endpoint, manual, client, binding, grant, first };
  }

  it('reports its own health: the version it signs with, requests, refusals and recoveries', async () => {
    const { manual, binding, keys, grant, first } = await setup();
    await binding.client.send(new ListBucketsCommand({}));
    expect(binding.health()).toMatchObject({
      name: 'aws:S3Client',
      component: 'aws-client',
      source: 'aws/creds/binding',
      state: 'ready',
      version: 1,
      details: { requests: 1, credentialRefusals: 0, recoveredRequests: 0, inFlight: 0 },
    });
    manual.onRefresh(() => void manual.set(grant(newKeys())));
    keys.revoke(first.accessKeyId);
    await binding.client.send(new ListBucketsCommand({}));
    expect(binding.health()).toMatchObject({
      state: 'ready',
      version: 2,
      details: { requests: 2, credentialRefusals: 1, recoveredRequests: 1, lastRefusal: { code: 'InvalidAccessKeyId', recovered: true } },
    });
    expect(JSON.stringify(binding.health())).not.toContain('bind-secret-');
  });

  it('reports degraded when a refused request found no newer credential', async () => {
    const { binding, keys, first } = await setup();
    keys.revoke(first.accessKeyId);
    await expect(binding.client.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    expect(binding.health()).toMatchObject({
      state: 'degraded',
      lastError: { code: 'LEASEHOLD_AWS_AUTH_FAILED' },
      details: { failedRecoveries: 1 },
    });
  });

  it('times out the wait for a verified credential on its clock, not on a raw timer', async () => {
    const { clock, manual, binding, keys, first, grant } = await setup();
    const never = new Promise<never>(() => undefined);
    // A second binding whose verify hangs: the refreshed value never becomes its serving one.
    const slow = bindAwsClient(binding.client, manual.secret, {
      name: 'aws:slow',
      clock,
      recoverTimeoutMillis: 5_000,
      verifyTimeoutMillis: 60_000,
      verify: (identity) => (identity.accessKeyId === first.accessKeyId ? Promise.resolve() : never),
    });
    cleanup.push(() => slow.close());
    await binding.close();
    manual.onRefresh(() => void manual.set(grant(newKeys())));
    keys.revoke(first.accessKeyId);
    const request = binding.client.send(new ListBucketsCommand({}));
    const outcome = request.then(
      () => 'ok',
      (error: { name?: string }) => error.name,
    );
    await vi.waitFor(() => expect(manual.secret.peek()?.version).toBe(2));
    await clock.advance(4_999);
    expect(slow.health().details).toMatchObject({ inFlight: 1 });
    await clock.advance(1);
    expect(await outcome).toBe('InvalidAccessKeyId');
  });

  it('close() removes its middleware and unsubscribes; called twice, both callers get the same promise', async () => {
    const { manual, binding, client, grant, endpoint } = await setup();
    const before = client.middlewareStack.identify().filter((entry) => entry.startsWith('leaseholdCredentialFollower'));
    expect(before).toHaveLength(1);
    const [a, b] = [binding.close(), binding.close()];
    expect(a).toBe(b);
    await a;
    expect(client.middlewareStack.identify().filter((entry) => entry.startsWith('leaseholdCredentialFollower'))).toEqual([]);
    expect(manual.secret.health().consumers).toEqual([]);
    expect(binding.health().state).toBe('closed');
    // With no consumer holding it, a replaced value is retired at once.
    manual.set(grant(newKeys()));
    await vi.waitFor(() => expect(manual.retired).toEqual([1]));
    // The client still works, signing with the secret's current keys.
    await client.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys.at(-1)).toBe(manual.secret.current().value.accessKeyId);
  });

  it('close() waits for a running request before releasing its credentials', async () => {
    const { manual, binding, grant } = await setup();
    let release: (() => void) | undefined;
    binding.client.middlewareStack.add(
      (next) => async (args) => {
        await new Promise<void>((resolve) => (release = resolve));
        return next(args);
      },
      { step: 'build', name: 'holdRequest' },
    );
    const request = binding.client.send(new ListBucketsCommand({}));
    await vi.waitFor(() => expect(release).toBeDefined());
    manual.set(grant(newKeys()));
    await vi.waitFor(() => expect(manual.secret.health().consumers?.[0]?.version).toBe(2));
    let settled = false;
    const closed = binding.close().finally(() => (settled = true));
    // A bounded window in which close() could finish if it did not wait: it must not.
    await new Promise((resolve) => setTimeout(resolve, CLOSE_WINDOW_MILLIS));
    expect(settled).toBe(false);
    expect(manual.retired).toEqual([]); // version 1 still signs the running request
    release!();
    await request;
    await closed;
    expect(settled).toBe(true);
    await vi.waitFor(() => expect(manual.retired).toEqual([1]));
  });

  it('honours forceRefresh: the credentials call re-reads the source before answering', async () => {
    const { clock, manual, client, grant } = await setup();
    const next = newKeys();
    let refreshes = 0;
    manual.onRefresh(() => {
      refreshes++;
      manual.set(grant(next));
    });
    const plain = await client.config.credentials();
    expect(refreshes).toBe(0);
    expect(plain.accessKeyId).not.toBe(next.accessKeyId);
    const forced = await client.config.credentials({ forceRefresh: true });
    expect(refreshes).toBe(1);
    expect(manual.secret.current().version).toBe(2);
    // An unscoped call answers with the secret's current value.
    expect(forced.accessKeyId).toBe(next.accessKeyId);
    // The SDK's memoizer asked twice for that one forced refresh; the source was read once.
    await clock.advance(FORCE_REFRESH_COALESCE_MILLIS - 1);
    await client.config.credentials({ forceRefresh: true });
    expect(refreshes).toBe(1);
    await clock.advance(1);
    await client.config.credentials({ forceRefresh: true });
    expect(refreshes).toBe(2);
  });

  it('a forced refresh that fails rejects and keeps the last good credentials', async () => {
    const { manual, client, first } = await setup();
    const { LeaseholdError } = await import('@leasehold/core');
    manual.failRefresh(new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'down', { retryable: true }));
    await expect(client.config.credentials({ forceRefresh: true })).rejects.toMatchObject({ code: 'LEASEHOLD_VAULT_UNAVAILABLE' });
    expect((await client.config.credentials()).accessKeyId).toBe(first.accessKeyId);
  });
});
