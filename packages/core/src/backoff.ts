/**
 * Retry spacing. Full jitter (a uniform draw between zero and the exponential cap) spreads a
 * fleet's retries after an outage instead of having every client retry in step.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

/** Shape of an exponential backoff. */
export interface BackoffPolicy {
  /** Cap of the first retry's delay. */
  readonly initialMillis: number;
  /** Largest delay ever returned. */
  readonly maxMillis: number;
  /** Smallest delay ever returned: a retry never runs in a tight loop. */
  readonly minMillis: number;
}

/** Vault errors: 1 s doubling to 5 min, never under 250 ms. */
export const VAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMillis: 1_000, maxMillis: 300_000, minMillis: 250 });

/** Consumer verification retries: quick at first, a minute at most, since the old value still works. */
export const CONSUMER_BACKOFF: BackoffPolicy = Object.freeze({ initialMillis: 500, maxMillis: 60_000, minMillis: 100 });

/**
 * Delay before retry number `attempt` (0 for the first retry): uniform in
 * [minMillis, min(maxMillis, initialMillis * 2^attempt)].
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMillis, policy.initialMillis * 2 ** Math.min(attempt, 30));
  return Math.max(policy.minMillis, Math.floor(random() * cap));
}
