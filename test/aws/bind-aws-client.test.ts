import { inspect } from 'node:util';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsCredentials, bindAwsClient, type AwsIdentity } from '@leasehold/aws';
import { manualSecret, MemoryAwsKeyStore, startAwsEndpoint, type AwsEndpoint } from '@leasehold/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

interface VaultAwsCreds {
  access_key: string;
  secret_key: string;
  security_token: string | null;
}

let counter = 0;
function newKey(): VaultAwsCreds {
  counter++;
  const id = String(counter).padStart(4, '0');
  return { access_key: `AKIATEST${id}XXXXXXXX`, secret_key: `secret-key-${id}-${'s'.repeat(24)}`, security_token: null };
}

describe('bindAwsClient', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup(options: { verify?: boolean } = {}) {
    const keys = new MemoryAwsKeyStore();
    const endpoint: AwsEndpoint = await startAwsEndpoint({ keys });
    cleanup.push(() => endpoint.close());
    const grant = (creds: VaultAwsCreds) => {
      keys.add(creds.access_key, { secretAccessKey: creds.secret_key });
      return creds;
    };
    const first = grant(newKey());
    const manual = manualSecret<VaultAwsCreds>('aws/creds/deploy', first);
    cleanup.push(() => manual.secret.close());
    // Revoke retired keys at the endpoint, as Vault revokes a released lease.
    manual.onRetire((snapshot) => keys.revoke(snapshot.value.access_key));
    const verify = async (identity: AwsIdentity) => {
      const sts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: identity, maxAttempts: 1 });
      await sts.send(new GetCallerIdentityCommand({}));
    };
    const binding = bindAwsClient(
      new S3Client({
        endpoint: endpoint.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: awsCredentials(manual.secret),
        maxAttempts: 1,
      }),
      manual.secret,
      options.verify ? { verify } : {},
    );
    cleanup.push(() => binding.close());
    const s3 = binding.client;
    await manual.secret.ready();
    return { keys, endpoint, manual, s3, binding, grant, first };
  }

  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  it('signs the next request with rotated keys without recreating the client, then revokes the old keys', async () => {
    const { endpoint, manual, s3, grant, first } = await setup();
    await s3.send(new ListBucketsCommand({}));
    const second = grant(newKey());
    manual.set(second);
    await settle();
    await s3.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys).toEqual([first.access_key, second.access_key]);
    expect(manual.retired).toEqual([1]);
    expect(endpoint.tally()).toEqual({ ok: 2 });
  });

  it('serves continuous traffic through five rotations with zero failed requests', async () => {
    const { endpoint, manual, s3, grant } = await setup({ verify: true });
    let failures = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        await s3.send(new ListBucketsCommand({})).catch(() => failures++);
      }
    };
    const workers = Array.from({ length: 8 }, () => worker());
    const adoptedVersion = () => manual.secret.health().consumers?.[0]?.version;
    for (let rotation = 2; rotation <= 6; rotation++) {
      manual.set(grant(newKey()));
      // Traffic keeps flowing while the new key is verified over STS and adopted.
      await vi.waitFor(() => expect(adoptedVersion()).toBe(rotation), { timeout: 5_000 });
      const served = endpoint.acceptedKeys.length;
      await vi.waitFor(() => expect(endpoint.acceptedKeys.length).toBeGreaterThan(served + 8));
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toBe(0);
    await vi.waitFor(() => expect([...manual.retired].sort()).toEqual([1, 2, 3, 4, 5]));
    expect(Object.keys(endpoint.tally())).toEqual(['ok']);
    expect(new Set(endpoint.acceptedKeys).size).toBe(6);
  });

  it('keeps signing with the old keys when the new ones fail verification, and reports degraded', async () => {
    const { endpoint, manual, s3, first } = await setup({ verify: true });
    manual.set(newKey()); // never granted at the endpoint: STS refuses it
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s3.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys.at(-1)).toBe(first.access_key);
    expect(manual.retired).toEqual([]);
    const health = manual.secret.health();
    expect(health.state).toBe('degraded');
    expect(health.consumers?.[0]).toMatchObject({ name: 'aws:S3Client', version: 1, verifyFailing: true });
  });

  it('signs each client with the keys it verified itself, even when another client already moved on', async () => {
    const { endpoint, manual, s3, grant, first } = await setup({ verify: true });
    const cautious = bindAwsClient(
      new S3Client({
        endpoint: endpoint.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: awsCredentials(manual.secret),
        maxAttempts: 1,
      }),
      manual.secret,
      // Accepts only the first keys: it must keep signing with them.
      {
        name: 'aws:cautious',
        verify: (identity) =>
          identity.accessKeyId === first.access_key ? Promise.resolve() : Promise.reject(new Error('not trusted yet')),
      },
    ).client;
    const second = grant(newKey());
    manual.set(second);
    const consumer = (name: string) => manual.secret.health().consumers?.find((entry) => entry.name === name);
    await vi.waitFor(() => expect(consumer('aws:S3Client')?.version).toBe(2));
    await vi.waitFor(() => expect(consumer('aws:cautious')?.verifyFailing).toBe(true));
    await cautious.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys.at(-1)).toBe(first.access_key);
    await s3.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys.at(-1)).toBe(second.access_key);
    expect(manual.retired).toEqual([]); // the cautious client still serves version 1
  });

  it('counts a verify that never answers as failed after verifyTimeoutMillis, and keeps signing with the old keys', async () => {
    const { endpoint, manual, grant, first } = await setup();
    const stuck = bindAwsClient(
      new S3Client({
        endpoint: endpoint.url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: awsCredentials(manual.secret),
        maxAttempts: 1,
      }),
      manual.secret,
      {
        name: 'aws:stuck',
        verifyTimeoutMillis: 100,
        verify: (identity) => (identity.accessKeyId === first.access_key ? Promise.resolve() : new Promise<never>(() => undefined)),
      },
    ).client;
    manual.set(grant(newKey()));
    await vi.waitFor(() =>
      expect(manual.secret.health().consumers?.find((consumer) => consumer.name === 'aws:stuck')).toMatchObject({
        version: 1,
        verifyFailing: true,
      }),
    );
    await stuck.send(new ListBucketsCommand({}));
    expect(endpoint.acceptedKeys.at(-1)).toBe(first.access_key);
  });

  it('recovers a request refused for revoked keys by refreshing the secret once and retrying', async () => {
    const { keys, endpoint, manual, s3, grant, first } = await setup();
    const replacement = newKey();
    let refreshes = 0;
    manual.onRefresh(() => {
      refreshes++;
      manual.set(grant(replacement));
    });
    keys.revoke(first.access_key); // revoked out of band, e.g. `vault lease revoke`
    const results = await Promise.all([1, 2, 3].map(() => s3.send(new ListBucketsCommand({}))));
    expect(results).toHaveLength(3);
    expect(refreshes).toBe(1);
    expect(endpoint.tally()).toEqual({ InvalidAccessKeyId: 3, ok: 3 });
  });

  it('fails a refused request at once with the original error when the source has nothing newer', async () => {
    const { keys, s3, first } = await setup();
    keys.revoke(first.access_key);
    await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
  });

  it('never shows the secret key in the provider result when printed', async () => {
    const { manual } = await setup();
    const identity = await awsCredentials(manual.secret)();
    expect(identity.expiration!.getTime()).toBeGreaterThan(Date.now());
    expect(identity.secretAccessKey).toMatch(/^secret-key-/);
    for (const printed of [JSON.stringify(identity), inspect(identity), JSON.stringify(manual.secret.health())]) {
      expect(printed).not.toContain(identity.secretAccessKey);
    }
  });
});
