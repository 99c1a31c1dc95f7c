/**
 * `awsCredentials(secret)`: an AWS SDK v3 credential provider that follows a leasehold secret.
 */
import { protectValue, systemClock, type Clock, type Secret } from '@leasehold/core';
import { defaultAwsIdentity, identityOf, type AwsIdentity, type AwsIdentityMapping } from './aws-identity.js';
import { outsideSigningScope, signingSnapshot } from './signing-scope.js';

/**
 * The expiration the provider reports. The SDK re-asks a provider whose credentials expire within
 * five minutes (EXPIRATION_MS = 300000 in @smithy/core) before every request, and never re-asks
 * one without an expiration. Four minutes keeps it asking, so each request is signed with the
 * credential in force at that moment; the answer comes from memory, so asking costs nothing.
 */
export const PROVIDER_EXPIRATION_MILLIS = 240_000;

/**
 * A forced refresh this soon after the last one finished is answered from memory. The SDK's
 * memoizer asks twice per `credentials({ forceRefresh: true })`: once forced, then again with
 * the same options because the answer expires inside its 5-minute window (ours always does).
 * Without this, every forced refresh of a Vault lease would issue two leases.
 */
export const FORCE_REFRESH_COALESCE_MILLIS = 1_000;

/** Options of {@link awsCredentials}. */
export interface AwsCredentialsOptions<T> {
  /** Maps the secret's value to keys. Default {@link defaultAwsIdentity}. */
  readonly mapping?: AwsIdentityMapping<T>;
  /** Clock for the reported expiration. Default the system clock. */
  readonly clock?: Clock;
}

/** What the SDK may pass a provider: `forceRefresh` from `client.config.credentials({ forceRefresh: true })`. */
export interface AwsCredentialProviderProperties {
  readonly forceRefresh?: boolean;
}

/** An AWS SDK v3 credential provider (AwsCredentialIdentityProvider). */
export type AwsCredentialProvider = (properties?: AwsCredentialProviderProperties) => Promise<AwsIdentity>;

/**
 * A credential provider for any AWS SDK v3 client: `new S3Client({ credentials: awsCredentials(secret) })`.
 * Waits for the secret's first value; signs with the newest verified credential when the client
 * is also passed to `bindAwsClient`. `forceRefresh` re-reads the secret's source first (one read
 * shared by concurrent callers); a failed read rejects and the last good value stays in use.
 */
export function awsCredentials<T>(secret: Secret<T>, options: AwsCredentialsOptions<T> = {}): AwsCredentialProvider {
  const mapping = options.mapping ?? defaultAwsIdentity;
  const clock = options.clock ?? systemClock;
  let lastForcedAt: number | undefined;
  return async (properties) => {
    if (properties?.forceRefresh && (lastForcedAt === undefined || clock.now() - lastForcedAt >= FORCE_REFRESH_COALESCE_MILLIS)) {
      // The refresh belongs to the secret, not to the request that asked: run it outside its scope.
      await outsideSigningScope(() => secret.refresh());
      lastForcedAt = clock.now();
    }
    const snapshot = signingSnapshot(secret) ?? (await secret.ready());
    const identity = identityOf(secret.name, snapshot.value, mapping);
    const horizon = clock.now() + PROVIDER_EXPIRATION_MILLIS;
    const expiresAt = snapshot.expiresAt?.getTime();
    const credentials = { ...identity, expiration: new Date(expiresAt === undefined ? horizon : Math.min(expiresAt, horizon)) };
    // The SDK reads the fields; a log line or a debugger print of the object shows no key.
    return protectValue(credentials);
  };
}
