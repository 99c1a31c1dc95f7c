/**
 * The contract of `bindAwsClient`: the part of an AWS SDK v3 client it needs, its options with
 * their defaults, and the binding it returns. Kept apart from bind-aws-client.ts so the
 * middleware there reads as the request path alone.
 */
import {
  DEFAULT_RECOVER_TIMEOUT_MILLIS as CORE_RECOVER_TIMEOUT_MILLIS,
  type Clock,
  type ComponentHealth,
  type HealthReporter,
} from '@leasehold/core';
import type { AwsIdentity, AwsIdentityMapping } from './aws-identity.js';

/**
 * How long a refused request waits for a refreshed credential to be verified before failing:
 * core's consumer default (an STS verification with room for one retry).
 */
export const DEFAULT_RECOVER_TIMEOUT_MILLIS = CORE_RECOVER_TIMEOUT_MILLIS;
/**
 * How long a `verify` call may take. A hung verification (an STS call with no request timeout)
 * would otherwise hold the client on its old keys forever: the secret retries only after a refusal.
 */
export const DEFAULT_VERIFY_TIMEOUT_MILLIS = 10_000;
/** How long `close()` lets requests already running finish before it releases their credentials anyway. */
export const DEFAULT_CLOSE_DRAIN_MILLIS = 10_000;

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
  /** How long `close()` waits for running requests. Default {@link DEFAULT_CLOSE_DRAIN_MILLIS}. */
  readonly closeDrainMillis?: number;
  /** Clock for every deadline. Default the system clock. */
  readonly clock?: Clock;
}

/** A client bound to a secret. Close it before the client is destroyed or the secret closed. */
export interface AwsClientBinding<C> extends HealthReporter, AsyncDisposable {
  /** The bound client; send requests with it as usual. */
  readonly client: C;
  /** Name in health. */
  readonly name: string;
  /** The binding's own health: the version it signs with, refusals and recoveries. */
  health(): ComponentHealth;
  /**
   * Removes the binding's middleware, lets running requests finish (at most `closeDrainMillis`)
   * and unsubscribes from the secret. Idempotent: every caller gets the same promise. The client
   * itself stays usable, signing with the secret's current credentials unverified.
   */
  close(): Promise<void>;
}
