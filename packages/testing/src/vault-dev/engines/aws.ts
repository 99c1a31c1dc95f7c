/**
 * The AWS secrets engine (builtin/logical/aws): IAM users and STS credentials whose keys the local
 * SigV4 endpoint accepts until the lease ends, so AWS clients can be tested through a rotation.
 */
import { randomBytes } from 'node:crypto';
import type { EngineContext } from '../context.js';
import { optionSeconds, parseDurationSeconds } from '../duration.js';
import type { DurationInput } from '../duration.js';
import { secret } from '../http/envelope.js';
import type { VaultReply } from '../http/envelope.js';
import { badRequest, notFound } from '../http/http-error.js';
import { randomFrom } from '../state/ids.js';
import type { AwsKeyRecord, AwsKeyStore } from '../../aws-endpoint/aws-key-store.js';
import type { MountedEngine, VaultRequest } from '../http/request.js';
import { SYSTEM_MAX_TTL_SECONDS } from '../state/tokens.js';
import { registerSecretMaterial } from '../../secret-material.js';

/** Vault AWS engine credential types. */
export type AwsCredentialType = 'iam_user' | 'assumed_role' | 'federation_token' | 'session_token';

/** A role of the AWS engine. */
export interface AwsRole {
  readonly credentialType: AwsCredentialType;
  /** iam_user lease TTL (default 768h); STS default TTL (default 3600 s). */
  readonly defaultTtl?: DurationInput;
  /** Max TTL (iam_user lease max; STS `ttl` cap, default 12 h). */
  readonly maxTtl?: DurationInput;
  /** For assumed_role: the role ARN (default `arn:aws:iam::<account>:role/<name>`). */
  readonly roleArn?: string;
}

/** Options of the AWS engine. */
export interface AwsEngineOptions {
  /** Mount path (default `aws`). */
  readonly mount?: string;
  /** Roles by name (`aws/creds/<name>`, `aws/sts/<name>`). */
  readonly roles?: Readonly<Record<string, AwsRole>>;
  /** Account id in ARNs (default `123456789012`). */
  readonly accountId?: string;
}

/** A key pair issued by the engine, as an AWS test endpoint needs it to check a SigV4 signature. */
export interface AwsIssuedKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
  /** STS expiry; undefined for IAM user keys (valid until their lease is revoked). */
  readonly expiresAt: Date | undefined;
  readonly role: string;
  /** The STS ARN (undefined for IAM user keys). */
  readonly arn: string | undefined;
  /** `valid`, `expired` (STS past expiry or lease expired) or `revoked`. */
  readonly state: 'valid' | 'expired' | 'revoked';
}

/** Default STS `ttl` ("3600s"), and the longest AWS allows for an assumed role (12 h). */
const STS_DEFAULT_TTL_SECONDS = 3600;
const STS_MAX_TTL_SECONDS = 12 * 3600;
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The AWS secrets engine: `aws/creds/:role` and `aws/sts/:role`, keys kept in memory. */
export class AwsEngine implements MountedEngine, AwsKeyStore {
  readonly type = 'aws';
  readonly mount: string;
  readonly #context: EngineContext;
  readonly #roles = new Map<string, AwsRole>();
  readonly #keys = new Map<string, AwsIssuedKey>();
  readonly #accountId: string;

  constructor(context: EngineContext, options: AwsEngineOptions) {
    this.#context = context;
    this.mount = options.mount ?? 'aws';
    this.#accountId = options.accountId ?? '123456789012';
    for (const [name, role] of Object.entries(options.roles ?? {})) this.#roles.set(name, role);
  }

  /** Adds or replaces a role. */
  setRole(name: string, role: AwsRole): void {
    this.#roles.set(name, role);
  }

  /** The record of an access key id issued by this engine (any state), or undefined. */
  lookupAccessKey(accessKeyId: string): AwsIssuedKey | undefined {
    const record = this.#keys.get(accessKeyId);
    if (record?.state === 'valid' && record.expiresAt !== undefined && record.expiresAt.getTime() <= this.#context.clock.now()) {
      return this.#mark(accessKeyId, 'expired');
    }
    return record;
  }

  /**
   * {@link AwsKeyStore} for `startAwsEndpoint({ keys: vault.aws })`: valid and time-expired keys
   * (the endpoint answers ExpiredToken), undefined for unknown or revoked ones.
   */
  lookup(accessKeyId: string): AwsKeyRecord | undefined {
    const record = this.lookupAccessKey(accessKeyId);
    if (record === undefined || record.state === 'revoked') return undefined;
    return { secretAccessKey: record.secretAccessKey, sessionToken: record.sessionToken, expiresAt: record.expiresAt, arn: record.arn };
  }

  /** Every key pair currently valid. */
  validKeys(): AwsIssuedKey[] {
    return [...this.#keys.keys()]
      .map((id) => this.lookupAccessKey(id))
      .filter((record): record is AwsIssuedKey => record?.state === 'valid');
  }

  handle(request: VaultRequest): Promise<VaultReply> {
    const [area = '', name = ''] = request.subpath.split('/', 2);
    if ((area === 'creds' || area === 'sts') && name !== '' && (request.operation === 'read' || request.operation === 'update')) {
      const role = this.#roles.get(name);
      if (role === undefined) throw badRequest(`Role "${name}" not found`);
      if (role.credentialType === 'iam_user') {
        if (area === 'sts') throw badRequest(`Can't generate STS credentials for a role of type iam_user`);
        return Promise.resolve(this.#issueIamUser(request, name, role));
      }
      return Promise.resolve(this.#issueSts(request, name, role));
    }
    throw notFound();
  }

  #issueIamUser(request: VaultRequest, name: string, role: AwsRole): VaultReply {
    const accessKeyId = `AKIA${randomFrom(UPPER_ALNUM, 16)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    registerSecretMaterial('aws secret access key', secretAccessKey);
    this.#keys.set(accessKeyId, {
      accessKeyId,
      secretAccessKey,
      sessionToken: undefined,
      expiresAt: undefined,
      role: name,
      arn: undefined,
      state: 'valid',
    });
    const lease = this.#context.leases.register({
      path: `${this.mount}/creds/${name}`,
      ttlSeconds: optionSeconds(role.defaultTtl, 0) || SYSTEM_MAX_TTL_SECONDS,
      maxTtlSeconds: optionSeconds(role.maxTtl, 0),
      renewable: true,
      tokenId: request.token?.id,
      ...this.#namespace(request),
      hooks: { revoke: (reason) => this.#revokeKey(accessKeyId, reason) },
    });
    return secret({
      leaseId: lease.id,
      renewable: true,
      leaseDuration: lease.issuedTtlSeconds,
      data: { access_key: accessKeyId, secret_key: secretAccessKey, security_token: null },
    });
  }

  #issueSts(request: VaultRequest, name: string, role: AwsRole): VaultReply {
    const requested = parseDurationSeconds(request.body['ttl'] ?? request.query.get('ttl') ?? undefined, 'ttl');
    const max = optionSeconds(role.maxTtl, 0) || STS_MAX_TTL_SECONDS;
    const ttl = Math.min(requested > 0 ? requested : optionSeconds(role.defaultTtl, 0) || STS_DEFAULT_TTL_SECONDS, max);
    const accessKeyId = `ASIA${randomFrom(UPPER_ALNUM, 16)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = `FwoGZXIvYXdzE${randomBytes(180).toString('base64')}`;
    registerSecretMaterial('aws secret access key', secretAccessKey);
    registerSecretMaterial('aws session token', sessionToken);
    const expiresAt = new Date(this.#context.clock.now() + ttl * 1000);
    const arn =
      role.credentialType === 'assumed_role'
        ? `arn:aws:sts::${this.#accountId}:assumed-role/${(role.roleArn ?? `role/${name}`).split('/').pop() ?? name}/vault-token-${name}-${Math.floor(this.#context.clock.now() / 1000)}`
        : role.credentialType === 'federation_token'
          ? `arn:aws:sts::${this.#accountId}:federated-user/vault-${name}`
          : `arn:aws:iam::${this.#accountId}:user/vault-${name}`;
    this.#keys.set(accessKeyId, { accessKeyId, secretAccessKey, sessionToken, expiresAt, role: name, arn, state: 'valid' });
    const lease = this.#context.leases.register({
      path: `${this.mount}/${request.subpath.startsWith('sts/') ? 'sts' : 'creds'}/${name}`,
      ttlSeconds: ttl,
      maxTtlSeconds: ttl,
      renewable: false,
      tokenId: request.token?.id,
      ...this.#namespace(request),
      hooks: { revoke: (reason) => this.#revokeKey(accessKeyId, reason) },
    });
    return secret({
      leaseId: lease.id,
      renewable: false,
      leaseDuration: lease.issuedTtlSeconds,
      data: { access_key: accessKeyId, secret_key: secretAccessKey, security_token: sessionToken, arn },
    });
  }

  #namespace(request: VaultRequest): { namespace: string; namespaceId?: string } {
    const namespaceId = this.#context.namespaceId(request.namespace);
    return namespaceId === undefined ? { namespace: request.namespace } : { namespace: request.namespace, namespaceId };
  }

  #mark(accessKeyId: string, state: 'expired' | 'revoked'): AwsIssuedKey | undefined {
    const record = this.#keys.get(accessKeyId);
    if (record === undefined) return undefined;
    const next = { ...record, state };
    this.#keys.set(accessKeyId, next);
    return next;
  }

  /**
   * Revocation removes the key from the valid set. (Real STS keys cannot be revoked and stay
   * valid until they expire; the dev server invalidates them so tests see revocation.)
   */
  #revokeKey(accessKeyId: string, reason: 'revoked' | 'expired'): Promise<void> {
    const record = this.#keys.get(accessKeyId);
    // secret_access_keys.go secretAccessKeysRevoke: "STS cleans up after itself", so revoking an
    // STS lease is a no-op and its keys keep working at AWS until they expire.
    if (record?.sessionToken !== undefined && reason === 'revoked') return Promise.resolve();
    if (record?.state === 'valid') {
      const expired = reason === 'expired' || (record.expiresAt !== undefined && record.expiresAt.getTime() <= this.#context.clock.now());
      this.#mark(accessKeyId, expired ? 'expired' : 'revoked');
    }
    return Promise.resolve();
  }
}
