/** The AWS engine issues keys the local SigV4 endpoint accepts, with Vault's lease shapes. */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsEndpoint } from '../../aws-endpoint/aws-endpoint.js';
import { startVaultDev } from '../server.js';
import type { VaultDevServer } from '../server.js';
import { vaultFetch } from '../http/vault-fetch.js';

describe('the AWS engine', () => {
  let vault: VaultDevServer;
  beforeAll(async () => {
    const frozen = Date.now();
    vault = await startVaultDev({
      clock: { now: () => frozen },
      aws: {
        roles: {
          user: { credentialType: 'iam_user', defaultTtl: '1h' },
          deploy: { credentialType: 'assumed_role', roleArn: 'arn:aws:iam::123456789012:role/deploy' },
        },
      },
    });
  });
  afterAll(() => vault.close());

  it('issues renewable IAM user keys with a null security_token', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'aws/creds/user', { token: vault.rootToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ renewable: true, lease_duration: 3600, mount_type: 'aws' });
    expect(res.body.lease_id).toMatch(/^aws\/creds\/user\/[0-9A-Za-z]{24}$/);
    expect(res.body.data.security_token).toBeNull();
    expect(res.body.data.access_key).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(vault.aws.lookup(res.body.data.access_key as string)).toMatchObject({ secretAccessKey: res.body.data.secret_key });
  });

  it('issues non-renewable STS keys with a security_token, an arn and the requested ttl', async () => {
    const res = await vaultFetch(vault.address, 'POST', 'aws/sts/deploy', { token: vault.rootToken, body: { ttl: '15m' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ renewable: false, lease_duration: 900 });
    expect(res.body.data.access_key).toMatch(/^ASIA/);
    expect(typeof res.body.data.security_token).toBe('string');
    expect(res.body.data.arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/deploy\//);
    const byGet = await vaultFetch(vault.address, 'GET', 'aws/sts/deploy', { token: vault.rootToken });
    expect(byGet.body.lease_duration).toBe(3600);
    const record = vault.aws.lookupAccessKey(res.body.data.access_key as string);
    expect(record?.state).toBe('valid');
    expect(record?.expiresAt?.getTime()).toBe(vault.now() + 900_000);
  });

  it('removes keys from the valid set when their lease is revoked or expires', async () => {
    const user = await vaultFetch(vault.address, 'GET', 'aws/creds/user', { token: vault.rootToken });
    const sts = await vaultFetch(vault.address, 'POST', 'aws/sts/deploy', { token: vault.rootToken, body: { ttl: 60 } });
    const valid = () => vault.aws.validKeys().map((key) => key.accessKeyId);
    expect(valid()).toEqual(expect.arrayContaining([user.body.data.access_key, sts.body.data.access_key]));
    await vault.revokeLease(user.body.lease_id as string);
    expect(valid()).not.toContain(user.body.data.access_key);
    expect(vault.aws.lookup(user.body.data.access_key as string)).toBeUndefined();
    await vault.advanceTime(61_000);
    expect(valid()).not.toContain(sts.body.data.access_key);
    expect(vault.aws.lookupAccessKey(sts.body.data.access_key as string)?.state).toBe('expired');
    // An expired STS key stays known so an endpoint can answer ExpiredToken.
    expect(vault.aws.lookup(sts.body.data.access_key as string)).toBeDefined();
  });

  it('serves as the key store of the AWS test endpoint: issued keys sign, revoked keys are refused', async () => {
    const endpoint = await startAwsEndpoint({ keys: vault.aws, now: () => vault.now() });
    try {
      const res = await vaultFetch(vault.address, 'POST', 'aws/sts/deploy', { token: vault.rootToken, body: { ttl: '1h' } });
      const credentials = {
        accessKeyId: res.body.data.access_key as string,
        secretAccessKey: res.body.data.secret_key as string,
        sessionToken: res.body.data.security_token as string,
      };
      const sts = new STSClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Arn: res.body.data.arn });
      // Vault's revoke of an STS lease is a no-op: the keys work until AWS expires them.
      await vault.revokeLease(res.body.lease_id as string);
      await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Arn: res.body.data.arn });
      const user = await vaultFetch(vault.address, 'GET', 'aws/creds/user', { token: vault.rootToken });
      const userClient = new STSClient({
        endpoint: endpoint.url,
        region: 'us-east-1',
        credentials: { accessKeyId: user.body.data.access_key as string, secretAccessKey: user.body.data.secret_key as string },
        maxAttempts: 1,
      });
      await expect(userClient.send(new GetCallerIdentityCommand({}))).resolves.toBeDefined();
      await vault.revokeLease(user.body.lease_id as string);
      await expect(userClient.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
      await vault.advanceTime(3601_000);
      await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
    } finally {
      await endpoint.close();
    }
  });

  it('marks IAM user keys expired when their lease runs out', async () => {
    const user = await vaultFetch(vault.address, 'GET', 'aws/creds/user', { token: vault.rootToken });
    await vault.advanceTime(3601_000);
    expect(vault.aws.lookupAccessKey(user.body.data.access_key as string)?.state).toBe('expired');
  });

  it('answers an unknown role with 400', async () => {
    const res = await vaultFetch(vault.address, 'GET', 'aws/creds/none', { token: vault.rootToken });
    expect(res).toEqual({ status: 400, body: { errors: ['Role "none" not found'] } });
  });
});
