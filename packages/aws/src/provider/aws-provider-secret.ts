/**
 * `awsProviderSecret(provider)`: any AWS SDK v3 credential provider (`fromNodeProviderChain`,
 * `fromTokenFile`, `fromHttp`, `fromContainerMetadata`, `fromTemporaryCredentials`, `fromIni`,
 * `fromProcess`, ...) as a leasehold Secret, so its credentials get health, metrics, events and
 * the two-phase handover like every other credential.
 */
import {
  fingerprintOf,
  LeaseholdError,
  Secret,
  type Clock,
  type SecretOptions,
  type Source,
  type SourceContext,
  type TimerHandle,
} from '@leasehold/core';
import type { AwsIdentity } from '../aws-identity.js';
import { AwsError } from '../errors.js';
import { failedAttempt } from '../failed-attempt.js';
import { DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS, refreshDelay, retryDelay } from './refresh-schedule.js';

/** What a credential provider returns (structurally `AwsCredentialIdentity` of @smithy/types). */
export interface ProvidedAwsIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
  readonly accountId?: string | undefined;
  readonly credentialScope?: string | undefined;
}

/** An AWS SDK v3 credential provider (structurally `AwsCredentialIdentityProvider`). */
// The parameter is a plain record: the SDK declares its own (AwsIdentityProperties) with no field in common.
export type AwsCredentialProviderLike = (identityProperties?: Record<string, unknown>) => Promise<ProvidedAwsIdentity>;

/** Options of {@link awsProviderSecret}. */
export interface AwsProviderSecretOptions extends SecretOptions<AwsIdentity> {
  /** What the provider reads, for health (e.g. `irsa:payments`). Default `aws-provider`. */
  readonly name?: string;
  /** How often credentials without an expiration are read again. Default {@link DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS}. */
  readonly pollIntervalMillis?: number;
}

class AwsProviderSource implements Source<AwsIdentity> {
  readonly kind = 'aws-provider';
  readonly name: string;
  readonly #provider: AwsCredentialProviderLike;
  readonly #pollIntervalMillis: number;
  readonly #random: () => number;
  #context: SourceContext<AwsIdentity> | undefined;
  #timer: TimerHandle | undefined;
  #fetching: Promise<void> | undefined;
  #attempt = 0;
  #closed = false;

  constructor(name: string, provider: AwsCredentialProviderLike, pollIntervalMillis: number, random: () => number) {
    this.name = name;
    this.#provider = provider;
    this.#pollIntervalMillis = pollIntervalMillis;
    this.#random = random;
  }

  start(context: SourceContext<AwsIdentity>): void {
    this.#context = context;
    void this.#scheduled();
  }

  /**
   * A forced refresh (`secret.refresh()`): asks the provider now, past any cache it keeps. A fetch
   * already running may have asked before whatever made the caller want fresh keys: wait for it,
   * then ask again.
   */
  refresh(): Promise<void> {
    const running = this.#fetching;
    return running ? running.catch(() => undefined).then(() => this.#shared()) : this.#shared();
  }

  #shared(): Promise<void> {
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    return Promise.resolve();
  }

  /** A timer-driven refresh. Never rejects: a failure was reported and a retry armed. */
  async #scheduled(): Promise<void> {
    await this.#shared().catch(() => undefined);
  }

  async #fetch(): Promise<void> {
    const context = this.#context;
    if (!context || this.#closed) return;
    let identity: ProvidedAwsIdentity;
    try {
      // forceRefresh: memoizing providers (fromNodeProviderChain) would otherwise answer from
      // their cache until the SDK's own window, defeating an earlier, jittered refresh.
      identity = await this.#provider({ forceRefresh: true });
      checkIdentity(this.name, identity);
    } catch (error) {
      throw failedAttempt(context, error, `AWS credential provider "${this.name}" failed`, {
        closed: this.#closed,
        nextAttempt: () => this.#attempt++,
        random: this.#random,
        arm: (delay) => this.#arm(context.clock, delay),
      });
    }
    if (this.#closed) return;
    const value: AwsIdentity = {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      ...(identity.sessionToken === undefined ? {} : { sessionToken: identity.sessionToken }),
    };
    const fingerprint = fingerprintOf(`${value.accessKeyId}\n${value.secretAccessKey}\n${value.sessionToken ?? ''}`);
    // A keyed digest, not the access key id: enough to tell one set of keys from the next.
    const leaseId = `aws-provider:${fingerprint.slice(0, 16)}`;
    const expiresAt = identity.expiration;
    const verdict = context.offer({ value, fingerprint, expiresAt, leaseId, renewable: false });
    if (verdict.outcome === 'refused') {
      // `validate` refused the keys; the secret recorded it. Ask again later: the next keys may pass.
      this.#arm(context.clock, retryDelay(this.#attempt++, context.current()?.expiresAt?.getTime(), context.clock.now(), this.#random));
      throw verdict.error;
    }
    // The same keys with a later expiration (a container agent extending a session) is a renewal.
    if (verdict.outcome === 'unchanged' && expiresAt && verdict.snapshot.expiresAt?.getTime() !== expiresAt.getTime())
      context.extend(leaseId, expiresAt);
    this.#attempt = 0;
    const now = context.clock.now();
    const delay = refreshDelay(expiresAt?.getTime(), now, this.#pollIntervalMillis, this.#random);
    this.#arm(context.clock, delay);
    // The routine plan: health calls the credentials expiring only if this refresh is late.
    context.scheduled(new Date(now + delay));
  }

  #arm(clock: Clock, delayMillis: number): void {
    this.#clearTimer();
    if (this.#closed) return;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#scheduled();
    }, delayMillis);
    this.#timer.unref?.();
  }

  #clearTimer(): void {
    if (this.#timer && this.#context) this.#context.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function checkIdentity(name: string, identity: ProvidedAwsIdentity | undefined): void {
  if (
    !identity ||
    typeof identity.accessKeyId !== 'string' ||
    typeof identity.secretAccessKey !== 'string' ||
    !identity.accessKeyId ||
    !identity.secretAccessKey
  ) {
    throw new AwsError(
      'LEASEHOLD_AWS_NO_CREDENTIALS',
      `AWS credential provider "${name}" returned no access key id and secret access key`,
      { retryable: true },
    );
  }
}

/**
 * Wraps an AWS SDK v3 credential provider as a Secret. Credentials with an expiration are
 * fetched again before it, at the point the SDK would (5 minutes ahead) less a random share of up
 * to a minute; ones without are read again every `pollIntervalMillis`. `secret.refresh()` forces
 * a fetch. A failed fetch keeps the last good credentials, reports degraded and is retried with
 * backoff bounded by the time they have left.
 *
 * ```ts
 * const aws = awsProviderSecret(fromTokenFile(), { name: 'irsa' });
 * const s3 = bindAwsClient(new S3Client({ credentials: awsCredentials(aws) }), aws);
 * ```
 */
export function awsProviderSecret(provider: AwsCredentialProviderLike, options: AwsProviderSecretOptions = {}): Secret<AwsIdentity> {
  if (typeof provider !== 'function') {
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      'awsProviderSecret needs a credential provider function (e.g. fromNodeProviderChain())',
    );
  }
  const pollIntervalMillis = options.pollIntervalMillis ?? DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS;
  if (!Number.isFinite(pollIntervalMillis) || pollIntervalMillis <= 0) {
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      `Option pollIntervalMillis must be a finite number > 0 (got ${String(pollIntervalMillis)})`,
    );
  }
  const name = options.name ?? 'aws-provider';
  return new Secret<AwsIdentity>(new AwsProviderSource(name, provider, pollIntervalMillis, options.random ?? Math.random), {
    ...options,
    name,
  });
}
