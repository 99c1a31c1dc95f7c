/**
 * Real AWS SDK v3 clients against the local SigV4 endpoint: a key it holds signs in, a revoked or
 * unknown one gets AWS's own error codes, so the AWS tests elsewhere can trust the endpoint.
 */
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { startAwsEndpoint, type AwsEndpoint } from './aws-endpoint.js';
import { MemoryAwsKeyStore } from './aws-key-store.js';

const alice = { accessKeyId: 'AKIAALICE000000000001', secretAccessKey: 'alice-secret-key-0000000000000000000001' };

describe('AWS test endpoint', () => {
  let endpoint: AwsEndpoint | undefined;
  afterEach(async () => endpoint?.close());

  async function setup() {
    const keys = new MemoryAwsKeyStore();
    endpoint = await startAwsEndpoint({ keys });
    return { keys, endpoint };
  }

  function s3(url: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
    return new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  }

  it('accepts an S3 request signed with a valid key and answers ListBuckets', async () => {
    const { keys, endpoint } = await setup();
    keys.add(alice.accessKeyId, { secretAccessKey: alice.secretAccessKey });
    const result = await s3(endpoint.url, alice).send(new ListBucketsCommand({}));
    expect(result.Buckets?.map((bucket) => bucket.Name)).toEqual(['leasehold-test']);
    expect(endpoint.acceptedKeys).toEqual([alice.accessKeyId]);
  });

  it('refuses a wrong secret key with SignatureDoesNotMatch', async () => {
    const { keys, endpoint } = await setup();
    keys.add(alice.accessKeyId, { secretAccessKey: alice.secretAccessKey });
    const wrong = { ...alice, secretAccessKey: 'not-the-right-secret-key-00000000000000' };
    await expect(s3(endpoint.url, wrong).send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses a revoked key with InvalidAccessKeyId (S3) and InvalidClientTokenId (STS)', async () => {
    const { keys, endpoint } = await setup();
    keys.add(alice.accessKeyId, { secretAccessKey: alice.secretAccessKey });
    keys.revoke(alice.accessKeyId);
    await expect(s3(endpoint.url, alice).send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    const sts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: alice, maxAttempts: 1 });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    expect(endpoint.tally()).toEqual({ InvalidAccessKeyId: 1, InvalidClientTokenId: 1 });
  });

  it('checks the session token of STS credentials and refuses them once expired', async () => {
    let now = Date.now();
    const keys = new MemoryAwsKeyStore();
    endpoint = await startAwsEndpoint({ keys, now: () => now });
    const sessionToken = 'FwoGZXIvYXdzEXAMPLE-session-token';
    keys.add(alice.accessKeyId, {
      secretAccessKey: alice.secretAccessKey,
      sessionToken,
      expiresAt: new Date(now + 60_000),
      arn: 'arn:aws:sts::000000000000:assumed-role/deploy/x',
    });
    const sts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: { ...alice, sessionToken }, maxAttempts: 1 });
    await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({
      Arn: 'arn:aws:sts::000000000000:assumed-role/deploy/x',
    });
    const noToken = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: alice, maxAttempts: 1 });
    await expect(noToken.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    now += 60_000;
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
  });
});
