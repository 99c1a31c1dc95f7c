/**
 * What an AWS-backed source does when its provider or signer throws: wrap the failure in a typed,
 * retryable LEASEHOLD_AWS_PROVIDER_FAILED without copying the thrown message (it may quote a
 * profile's contents or a token), report it to the secret with the next attempt's time, and arm
 * that attempt with the backoff of provider/refresh-schedule.ts. Written once for the provider
 * secret and the RDS IAM secret, which failed the same way in two copies.
 */
import { LeaseholdError, sanitizeCause, type SourceContext } from '@leasehold/core';
import { AwsError } from './errors.js';
import { retryDelay } from './provider/refresh-schedule.js';

/** The failing source's side of a failed attempt. */
export interface FailedAttemptHost {
  /** Whether the source closed meanwhile: then nothing is reported or armed. */
  readonly closed: boolean;
  /** The number of this retry (0 first); the source counts up. */
  nextAttempt(): number;
  readonly random: () => number;
  /** Arms the retry after `delayMillis`. */
  arm(delayMillis: number): void;
}

/**
 * Reports `error` (thrown while `doing`, e.g. `AWS credential provider "x" failed`) to the
 * secret behind `context` and arms the retry. Returns the typed error for the caller to throw.
 */
export function failedAttempt<T>(context: SourceContext<T>, error: unknown, doing: string, host: FailedAttemptHost): LeaseholdError {
  const failure =
    error instanceof LeaseholdError
      ? error
      : new AwsError('LEASEHOLD_AWS_PROVIDER_FAILED', doing, {
          cause: sanitizeCause(error),
          retryable: true,
        });
  if (!host.closed) {
    const now = context.clock.now();
    const delay = retryDelay(host.nextAttempt(), context.current()?.expiresAt?.getTime(), now, host.random);
    // With credentials in hand this is a failed renewal of them (health shows the next attempt).
    context.failed(failure, { step: context.current() ? 'renew' : 'fetch', nextAttemptAt: new Date(now + delay) });
    host.arm(delay);
  }
  return failure;
}
