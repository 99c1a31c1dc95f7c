/**
 * Turning a secret's value into AWS SDK credentials. Vault's AWS engine, AWS shared-credentials
 * files and environment-style key files all name the same three things differently.
 */
import { AwsError } from './errors.js';

/** AWS credentials as the SDK wants them (structurally AwsCredentialIdentity). */
export interface AwsIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Maps a secret value to AWS credentials; return undefined when the value lacks them. */
export type AwsIdentityMapping<T> = (value: T) => AwsIdentity | undefined;

const ACCESS_KEY_NAMES = ['accessKeyId', 'access_key', 'aws_access_key_id', 'AWS_ACCESS_KEY_ID'] as const;
const SECRET_KEY_NAMES = ['secretAccessKey', 'secret_key', 'aws_secret_access_key', 'AWS_SECRET_ACCESS_KEY'] as const;
const TOKEN_NAMES = ['sessionToken', 'security_token', 'aws_session_token', 'AWS_SESSION_TOKEN'] as const;

/**
 * The default mapping: accepts `accessKeyId/secretAccessKey/sessionToken` (an `aws-ini`
 * fileSecret), Vault's `access_key/secret_key/security_token`, and the `AWS_*` variable names.
 */
export function defaultAwsIdentity(value: unknown): AwsIdentity | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const pick = (names: readonly string[]): string | undefined => {
    for (const name of names) {
      const candidate = record[name];
      if (typeof candidate === 'string' && candidate.length > 0) return candidate;
    }
    return undefined;
  };
  const accessKeyId = pick(ACCESS_KEY_NAMES);
  const secretAccessKey = pick(SECRET_KEY_NAMES);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = pick(TOKEN_NAMES);
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

/** Applies `mapping`, throwing a clear error that names the secret (never its keys' values). */
export function identityOf<T>(secretName: string, value: T, mapping: AwsIdentityMapping<T>): AwsIdentity {
  const identity = mapping(value);
  if (!identity) {
    throw new AwsError(
      'LEASEHOLD_AWS_NO_CREDENTIALS',
      `Secret "${secretName}" holds no AWS access key and secret key (expected accessKeyId/secretAccessKey, access_key/secret_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`,
    );
  }
  return identity;
}
