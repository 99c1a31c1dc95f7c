import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { fromHttp, fromTokenFile } from '@aws-sdk/credential-providers';
import { awsCredentials, awsProviderSecret, bindAwsClient, SDK_REFRESH_WINDOW_MILLIS, type AwsIdentity } from '@leasehold/aws';
import { ManualClock, type Secret } from '@leasehold/core';
import { atomicWriteDir, MemoryAwsKeyStore, startAwsEndpoint, startContainerCredentialsEndpoint } from '@leasehold/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('awsProviderSecret with real SDK providers', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function tokenVolume(initial: string) {
    const dir = await mkdtemp(join(tmpdir(), 'leasehold-aws-token-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    // The kubelet projects the service-account token into a volume and swaps `..data` to rotate it.
    await atomicWriteDir(dir, { token: initial });
    return { path: join(dir, 'token'), rotate: (token: string) => atomicWriteDir(dir, { token }) };
  }

  function boundS3(url: string, secret: Secret<AwsIdentity>) {
    const binding = bindAwsClient(
      new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: awsCredentials(secret), maxAttempts: 1 }),
      secret,
    );
    return binding;
  }

  async function irsa() {
    const clock = new ManualClock(Date.now());
    const keys = new MemoryAwsKeyStore();
    let validToken = 'projected-token-1';
    const endpoint = await startAwsEndpoint({
      keys,
      now: () => clock.now(),
      webIdentity: { keys, acceptToken: (token) => token === validToken },
    });
    cleanup.push(() => endpoint.close());
    const volume = await tokenVolume(validToken);
    const provider = fromTokenFile({
      webIdentityTokenFile: volume.path,
      roleArn: 'arn:aws:iam::000000000000:role/payments',
      roleSessionName: 'payments',
      clientConfig: { endpoint: endpoint.url, region: 'us-east-1' },
    });
    const secret = awsProviderSecret(provider, { name: 'irsa:payments', clock });
    cleanup.push(() => secret.close());
    return {
      clock,
      endpoint,
      secret,
      volume,
      rotateToken: async (token: string) => {
        validToken = token;
        await volume.rotate(token);
      },
    };
  }

  it('trades the projected token for role keys, and again with the rotated token before the keys expire', async () => {
    const { clock, endpoint, secret, rotateToken } = await irsa();
    const first = await secret.ready();
    expect(endpoint.issuedKeys).toHaveLength(1);
    expect(first.value.accessKeyId).toBe(endpoint.issuedKeys[0]);
    expect(first.expiresAt?.getTime()).toBe(first.fetchedAt.getTime() + HOUR);
    const s3 = boundS3(endpoint.url, secret);
    cleanup.push(() => s3.close());
    await s3.client.send(new ListBucketsCommand({}));

    await rotateToken('projected-token-2');
    // Nothing is fetched before the SDK's own refresh point (5 minutes before expiry) less a minute of jitter.
    await clock.advance(HOUR - SDK_REFRESH_WINDOW_MILLIS - MINUTE - 1_000);
    expect(endpoint.issuedKeys).toHaveLength(1);
    await clock.advance(MINUTE + 1_000);
    await vi.waitFor(() => expect(secret.peek()?.version).toBe(2));
    expect(endpoint.issuedKeys).toHaveLength(2);
    expect(secret.current().value.accessKeyId).toBe(endpoint.issuedKeys[1]);
    await vi.waitFor(() => expect(secret.health().consumers?.[0]?.version).toBe(2));
    await s3.client.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys).toEqual([endpoint.issuedKeys[0], endpoint.issuedKeys[1]]);
    expect(secret.health()).toMatchObject({ kind: 'aws-provider', source: 'irsa:payments', state: 'ready', version: 2 });
  });

  it('keeps the last good keys when STS refuses the token, reports degraded, and recovers when the token is rotated', async () => {
    const { clock, endpoint, secret, volume, rotateToken } = await irsa();
    const first = await secret.ready();
    const failures: string[] = [];
    secret.on('renewalFailed', (error) => failures.push(error.code));
    // The identity provider stops accepting the token before the kubelet has written the next one.
    await rotateToken('projected-token-2');
    await volume.rotate('projected-token-1');
    await clock.advance(HOUR - SDK_REFRESH_WINDOW_MILLIS);
    await vi.waitFor(() => expect(failures.length).toBeGreaterThan(0));
    expect(new Set(failures)).toEqual(new Set(['LEASEHOLD_AWS_PROVIDER_FAILED']));
    expect(endpoint.tally().InvalidIdentityToken).toBe(failures.length);
    expect(secret.current()).toBe(first);
    const health = secret.health();
    expect(health.state).toBe('degraded');
    expect(health.nextRenewalAttemptAt).toBeDefined();
    expect(JSON.stringify(health)).not.toContain(first.value.secretAccessKey);

    await volume.rotate('projected-token-2');
    // Retries come at most a minute apart (PROVIDER_BACKOFF): the next one picks up the new token.
    await vi.waitFor(async () => {
      await clock.advance(10_000);
      expect(secret.peek()?.version).toBe(2);
    });
    expect(secret.health().state).toBe('ready');
  });

  it('follows a container credentials endpoint (fromHttp with a rotated authorization token file) as it hands out new keys', async () => {
    const clock = new ManualClock(Date.now());
    const keys = new MemoryAwsKeyStore();
    const aws = await startAwsEndpoint({ keys, now: () => clock.now() });
    cleanup.push(() => aws.close());
    let podToken = 'pod-identity-token-1';
    const container = await startContainerCredentialsEndpoint({
      keys,
      authorizationToken: () => podToken,
      keyTtlMillis: HOUR,
      rotateBeforeMillis: 15 * MINUTE,
      now: () => clock.now(),
    });
    cleanup.push(() => container.close());
    const volume = await tokenVolume(podToken);
    const secret = awsProviderSecret(
      fromHttp({ awsContainerCredentialsFullUri: container.url, awsContainerAuthorizationTokenFile: volume.path }),
      { name: 'eks-pod-identity', clock },
    );
    cleanup.push(() => secret.close());
    const s3 = boundS3(aws.url, secret);
    cleanup.push(() => s3.close());
    await secret.ready();
    await s3.client.send(new ListBucketsCommand({}));

    podToken = 'pod-identity-token-2';
    await volume.rotate(podToken);
    await clock.advance(HOUR - SDK_REFRESH_WINDOW_MILLIS);
    await vi.waitFor(() => expect(secret.health().consumers?.[0]?.version).toBe(2));
    expect(container.issuedKeys).toHaveLength(2);
    await s3.client.send(new ListBucketsCommand({}));
    // Past the first keys' expiry: requests still work, signed with the second keys.
    await clock.advance(10 * MINUTE);
    await s3.client.send(new ListBucketsCommand({}));
    expect(aws.acceptedKeys).toEqual([container.issuedKeys[0], container.issuedKeys[1], container.issuedKeys[1]]);
    expect(container.tally()).toEqual({ ok: 2 });
  });

  it('fetches at once on refresh(), past any cache, and adopts the new keys', async () => {
    const clock = new ManualClock(Date.now());
    const keys = new MemoryAwsKeyStore();
    const container = await startContainerCredentialsEndpoint({ keys, now: () => clock.now() });
    cleanup.push(() => container.close());
    const secret = awsProviderSecret(fromHttp({ awsContainerCredentialsFullUri: container.url }), { clock });
    cleanup.push(() => secret.close());
    await secret.ready();
    const rotated = container.rotate();
    const [a, b] = await Promise.all([secret.refresh(), secret.refresh()]);
    expect(a).toBe(b);
    expect(a.version).toBe(2);
    expect(a.value.accessKeyId).toBe(rotated);
    expect(container.tally()).toEqual({ ok: 2 });
    expect(inspect(a)).not.toContain(a.value.secretAccessKey);
  });

  it('re-reads credentials without an expiration every pollIntervalMillis', async () => {
    const clock = new ManualClock();
    let generation = 1;
    const calls: (boolean | undefined)[] = [];
    const provider = (properties?: { forceRefresh?: boolean }) => {
      calls.push(properties?.forceRefresh);
      return Promise.resolve({ accessKeyId: `AKIASTATIC${generation}`, secretAccessKey: `static-secret-${generation}` });
    };
    const secret = awsProviderSecret(provider, { clock, pollIntervalMillis: 10 * MINUTE, random: () => 0.5 });
    cleanup.push(() => secret.close());
    await secret.ready();
    await clock.advance(9 * MINUTE);
    expect(calls).toHaveLength(1);
    generation = 2;
    await clock.advance(MINUTE);
    expect(calls).toEqual([true, true]);
    expect(secret.current()).toMatchObject({ version: 2, value: { accessKeyId: 'AKIASTATIC2' } });
    expect(secret.current().expiresAt).toBeUndefined();
  });

  it('stops fetching once closed, and a refresh after close rejects with LEASEHOLD_CLOSED', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const secret = awsProviderSecret(
      () => {
        calls++;
        return Promise.resolve({ accessKeyId: 'AKIASTATIC', secretAccessKey: 'static-secret' });
      },
      { clock, pollIntervalMillis: MINUTE },
    );
    await secret.ready();
    await Promise.all([secret.close(), secret.close()]);
    await clock.advance(10 * MINUTE);
    expect(calls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    await expect(secret.refresh()).rejects.toMatchObject({ code: 'LEASEHOLD_CLOSED' });
  });
});
