/**
 * `bindAwsClient(client, secret)`: makes an AWS SDK v3 client a consumer of a leasehold secret.
 * New credentials are verified before any request signs with them, requests signed with the old
 * ones finish before the old lease is released, and a request refused for its credentials
 * (the SDK does not retry those) forces one refresh and is retried once.
 */
import { type Secret, type Snapshot, type Subscription } from '@leasehold/core';
import { AwsError } from './errors.js';
import { defaultAwsIdentity, identityOf, type AwsIdentity, type AwsIdentityMapping } from './aws-identity.js';
import { outsideSigningScope, withSigningScope } from './signing-scope.js';

/**
 * Error names AWS answers when the signing credential is wrong, expired or revoked. The SDK
 * treats all of them as final, so without help a rotation the SDK missed fails the request.
 */
export const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
]);

/** How long a refused request waits for a refreshed credential to be verified before failing. */
export const DEFAULT_RECOVER_TIMEOUT_MILLIS = 10_000;
/**
 * How long a `verify` call may take. A hung verification (an STS call with no request timeout)
 * would otherwise hold the client on its old keys forever: the secret retries only after a refusal.
 */
export const DEFAULT_VERIFY_TIMEOUT_MILLIS = 10_000;

/** The part of an AWS SDK v3 client this module uses. */
export interface AwsClientLike {
  readonly middlewareStack: {
    add(middleware: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void;
    remove(name: string): boolean;
  };
}

/** Options of {@link bindAwsClient}. */
export interface BindAwsClientOptions<T> {
  /** Name in health. Default `aws:<ClientClass>`. */
  readonly name?: string;
  /**
   * Proves new credentials work before requests use them, e.g. an STS GetCallerIdentity call with
   * them. Reject to keep signing with the previous credentials. Default: no check.
   */
  readonly verify?: (identity: AwsIdentity) => Promise<unknown>;
  /** Maps the secret's value to keys. Default: the same mapping `awsCredentials` uses. */
  readonly mapping?: AwsIdentityMapping<T>;
  /** How long a refused request waits for new verified credentials. Default {@link DEFAULT_RECOVER_TIMEOUT_MILLIS}. */
  readonly recoverTimeoutMillis?: number;
  /** How long `verify` may take before the new credentials count as unverified. Default {@link DEFAULT_VERIFY_TIMEOUT_MILLIS}. */
  readonly verifyTimeoutMillis?: number;
}

const MIDDLEWARE_NAME = 'leaseholdCredentialFollower';

type Handler = (args: unknown) => Promise<unknown>;

/**
 * Binds `client` to `secret` and returns the client. Construct the client with
 * `credentials: awsCredentials(secret)` so it signs with what this binding verified.
 */
export function bindAwsClient<C extends AwsClientLike, T>(client: C, secret: Secret<T>, options: BindAwsClientOptions<T> = {}): C {
  const name = options.name ?? `aws:${client.constructor.name}`;
  const mapping = options.mapping ?? (defaultAwsIdentity);
  const recoverTimeoutMillis = options.recoverTimeoutMillis ?? DEFAULT_RECOVER_TIMEOUT_MILLIS;
  const verifyTimeoutMillis = options.verifyTimeoutMillis ?? DEFAULT_VERIFY_TIMEOUT_MILLIS;
  const inFlight = new Map<number, number>();
  const draining = new Map<number, Snapshot<T>>();
  let serving: Snapshot<T> | undefined;
  let recovering: Promise<void> | undefined;

  const subscription: Subscription<T> = secret.subscribe({
    name,
    async adopt(next, prev) {
      const identity = identityOf(secret.name, next.value, mapping);
      if (options.verify) await withTimeout(options.verify(identity), verifyTimeoutMillis, name);
      serving = next;
      if (prev) {
        draining.set(prev.version, prev);
        releaseIfIdle(prev.version);
      }
    },
  });

  function releaseIfIdle(version: number): void {
    const snapshot = draining.get(version);
    if (snapshot && (inFlight.get(version) ?? 0) === 0) {
      draining.delete(version);
      subscription.release(snapshot);
    }
  }

  /** Refreshes the secret once for everyone refused with `version`, and waits for a newer verified one. */
  function recover(version: number): Promise<void> {
    if ((serving?.version ?? 0) > version) return Promise.resolve();
    recovering ??= (async () => {
      try {
        const fresh = await outsideSigningScope(() => secret.refresh());
        // The source has nothing newer (a file not yet rotated): fail now rather than wait.
        if (fresh.version <= version) throw new Error('no newer credential');
        if ((serving?.version ?? 0) > version) return;
        await waitForVersionAbove(secret, () => serving?.version ?? 0, version, recoverTimeoutMillis);
      } finally {
        recovering = undefined;
      }
    })();
    return recovering;
  }

  const middleware = (next: Handler): Handler => (args) => {
    // Every version this request may be signed with holds its lease: the one served when it
    // starts, and each one the provider actually signed with (a retry signs again).
    const held = new Set<number>();
    let done = false;
    const hold = (version: number): void => {
      // A provider call after the request ended (from work that inherited its scope) holds nothing.
      if (done || held.has(version)) return;
      held.add(version);
      inFlight.set(version, (inFlight.get(version) ?? 0) + 1);
    };
    if (serving) hold(serving.version);
    const scope = { secret, serving: () => serving, signed: (snapshot: Snapshot<T>) => hold(snapshot.version) };
    return withSigningScope(scope, async () => {
      const version = serving?.version ?? 0;
      try {
        return await next(args);
      } catch (error) {
        if (!isCredentialError(error)) throw error;
        try {
          await recover(Math.max(version, ...held));
        } catch {
          throw error; // no better credential to retry with: the original refusal is the truth
        }
        return await next(args);
      } finally {
        done = true;
        for (const heldVersion of held) {
          const left = (inFlight.get(heldVersion) ?? 1) - 1;
          if (left === 0) inFlight.delete(heldVersion);
          else inFlight.set(heldVersion, left);
          releaseIfIdle(heldVersion);
        }
      }
    });
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: MIDDLEWARE_NAME, override: true });
  return client;
}

function isCredentialError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && CREDENTIAL_ERROR_NAMES.has(name);
}

function waitForVersionAbove<T>(secret: Secret<T>, servingVersion: () => number, version: number, timeoutMillis: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // This binding's own serving version decides: two clients of one class share a default name.
    const onAdopted = (): void => {
      if (servingVersion() > version) finish();
    };
    const timer = setTimeout(() => {
      secret.off('adopted', onAdopted);
      reject(
        new AwsError(
          'LEASEHOLD_AWS_AUTH_FAILED',
          `AWS refused the credentials of secret "${secret.name}" (version ${version}) and no newer verified credential arrived within ${timeoutMillis} ms`,
          { retryable: true },
        ),
      );
    }, timeoutMillis);
    timer.unref();
    function finish(): void {
      clearTimeout(timer);
      secret.off('adopted', onAdopted);
      resolve();
    }
    secret.on('adopted', onAdopted);
  });
}

function withTimeout<R>(work: Promise<R>, timeoutMillis: number, name: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AwsError('LEASEHOLD_AWS_AUTH_FAILED', `${name}: verify did not finish within ${timeoutMillis} ms`, { retryable: true })),
      timeoutMillis,
    );
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
