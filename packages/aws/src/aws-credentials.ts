/**
 * `awsCredentials(secret)`: an AWS SDK v3 credential provider that follows a leasehold secret.
 */
import { protectValue, type Secret } from '@leasehold/core';
import { defaultAwsIdentity, identityOf, type AwsIdentity, type AwsIdentityMapping } from './aws-identity.js';
import { signingSnapshot } from './signing-scope.js';

/**
 * The expiration the provider reports. The SDK re-asks a provider whose credentials expire within
 * five minutes (EXPIRATION_MS = 300000 in @smithy/core) before every request, and never re-asks
 * one without an expiration. Four minutes keeps it asking, so each request is signed with the
 * credential in force at that moment; the answer comes from memory, so asking costs nothing.
 */
export const PROVIDER_EXPIRATION_MILLIS = 240_000;

/** Options of {@link awsCredentials}. */
export interface AwsCredentialsOptions<T> {
  /** Maps the secret's value to keys. Default {@link defaultAwsIdentity}. */
  readonly mapping?: AwsIdentityMapping<T>;
  /** Clock for the reported expiration. Default Date.now. */
  readonly now?: () => number;
}

/** An AWS SDK v3 credential provider (AwsCredentialIdentityProvider). */
export type AwsCredentialProvider = () => Promise<AwsIdentity>;

/**
 * A credential provider for any AWS SDK v3 client: `new S3Client({ credentials: awsCredentials(secret) })`.
 * Waits for the secret's first value; signs with the newest verified credential when the client
 * is also passed to `bindAwsClient`.
 */
export function awsCredentials<T>(secret: Secret<T>, options: AwsCredentialsOptions<T> = {}): AwsCredentialProvider {
  const mapping = options.mapping ?? (defaultAwsIdentity);
  const now = options.now ?? Date.now;
  return async () => {
    const snapshot = signingSnapshot(secret) ?? (await secret.ready());
    const identity = identityOf(secret.name, snapshot.value, mapping);
    const horizon = now() + PROVIDER_EXPIRATION_MILLIS;
    const expiresAt = snapshot.expiresAt?.getTime();
    const credentials = { ...identity, expiration: new Date(expiresAt === undefined ? horizon : Math.min(expiresAt, horizon)) };
    // The SDK reads the fields; a log line or a debugger print of the object shows no key.
    return protectValue(credentials);
  };
}
