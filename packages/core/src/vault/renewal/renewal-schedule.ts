/**
 * When to renew, replace or retry a Vault lease (or the session's own token). Pure functions of
 * time left and a random draw, shared by the lease source, the session and the fleet benchmark,
 * so what the benchmark measures is what the SDK does.
 *
 * The formulas, with `remaining` the time left on the lease when the schedule is made and `u` a
 * uniform draw in [0, 1):
 *
 * - Renew (renewable lease): `delay = remaining * (RENEW_AT_FRACTION + u * RENEW_GRACE_FRACTION)`,
 *   i.e. between 2/3 and 23/30 (~77 %) of the time left. The random grace spreads a fleet that was
 *   started together; at least 23 % of the lease is left when the renewal runs (14 minutes of a
 *   1-hour lease), which is the room errors get to back off in.
 * - Capped (the renewal granted less than asked, or Vault warned about max_ttl): the lease ends
 *   at `now + granted` whatever we do, so a replacement is fetched with
 *   `delay = max(0, granted - keep) * (1 - u * REPLACE_JITTER_FRACTION)` where
 *   `keep = f * max(granted, asked)`, `f` = replaceAtRemainingFraction (default 1/3): at least `f`
 *   of that final TTL is left for consumers to switch and drain, and at least `f` of a normal
 *   lease when the cap left less than that (a final TTL of 5 minutes on a 1-hour lease is replaced
 *   at once, not with 100 seconds to spare: otherwise a short Vault outage expires it).
 * - Non-renewable lease (aws/sts, pki with generate_lease): re-fetched at
 *   `duration * (0.85 + u * 0.10)`, as Vault Agent does.
 * - Retry after a retryable error (5xx, sealed, 429, network, timeout):
 *   `min(backoffDelay(VAULT_BACKOFF, attempt), max(VAULT_BACKOFF.minMillis, millisLeft / 2))`:
 *   exponential with full jitter, 1 s doubling to 5 min, but never past the expiry (aiming at half
 *   the time left keeps trying up to the deadline) and never under 250 ms (no tight loop).
 * - Retry after 403 permission denied: `VAULT_BACKOFF.maxMillis * (0.5 + u / 2)`: a policy change
 *   is an operator's job, so one slow attempt every 2.5-5 minutes and no storm.
 */
import { backoffDelay, VAULT_BACKOFF, type BackoffPolicy } from '../../backoff.js';

/** Renewals start at two thirds of the time left (Vault's LifetimeWatcher uses the same base). */
export const RENEW_AT_FRACTION = 2 / 3;
/** Random grace added to a renewal, as a fraction of the time left: spreads a fleet over 10 % of the lease. */
export const RENEW_GRACE_FRACTION = 0.1;
/** Default fraction of the final (capped) TTL still left when the replacement is fetched. */
export const DEFAULT_REPLACE_AT_REMAINING_FRACTION = 1 / 3;
/** A replacement is fetched up to 20 % earlier than the latest allowed point, at random. */
export const REPLACE_JITTER_FRACTION = 0.2;
/** Non-renewable leases are re-fetched between 85 % and 95 % of their duration (Vault Agent's rule). */
export const REFETCH_MIN_FRACTION = 0.85;
/** Width of that re-fetch window, so a fleet issued together does not re-fetch in step. */
export const REFETCH_SPREAD_FRACTION = 0.1;
/** A granted TTL this much shorter than asked counts as capped: Vault rounds to whole seconds. */
export const CAP_TOLERANCE_MILLIS = 1_000;

/** Delay before renewing a renewable lease with `remainingMillis` left. */
export function renewalDelay(remainingMillis: number, random: () => number = Math.random): number {
  const remaining = Math.max(0, remainingMillis);
  return remaining * (RENEW_AT_FRACTION + random() * RENEW_GRACE_FRACTION);
}

/**
 * Delay before fetching a replacement for a lease whose final TTL is `remainingMillis`;
 * `leaseTtlMillis` (the increment renewals ask for) sets the least headroom kept when known.
 */
export function replacementDelay(
  remainingMillis: number,
  remainingFraction: number = DEFAULT_REPLACE_AT_REMAINING_FRACTION,
  random: () => number = Math.random,
  leaseTtlMillis = 0,
): number {
  const remaining = Math.max(0, remainingMillis);
  const keep = remainingFraction * Math.max(remaining, leaseTtlMillis);
  return Math.max(0, remaining - keep) * (1 - random() * REPLACE_JITTER_FRACTION);
}

/** Delay before re-fetching a non-renewable lease of `durationMillis`. */
export function refetchDelay(durationMillis: number, random: () => number = Math.random): number {
  return Math.max(0, durationMillis) * (REFETCH_MIN_FRACTION + random() * REFETCH_SPREAD_FRACTION);
}

/**
 * Delay before retry number `attempt` (0-based) after a retryable error, bounded by the time
 * left on the credential in use (`undefined` when there is none or it never expires).
 */
export function retryDelay(
  attempt: number,
  millisLeft: number | undefined,
  random: () => number = Math.random,
  policy: BackoffPolicy = VAULT_BACKOFF,
): number {
  const delay = backoffDelay(policy, attempt, random);
  if (millisLeft === undefined || millisLeft <= 0) return delay;
  return Math.min(delay, Math.max(policy.minMillis, millisLeft / 2));
}

/** Delay before trying again after 403 permission denied: slow, jittered, never a storm. */
export function permissionDeniedDelay(random: () => number = Math.random, policy: BackoffPolicy = VAULT_BACKOFF): number {
  return policy.maxMillis * (0.5 + random() / 2);
}

/** What a renewal response means for the schedule. */
export interface RenewalOutcome {
  /** True when Vault capped the TTL at the lease's max TTL: renewing again cannot extend it. */
  readonly capped: boolean;
  /** `renew` again after `delayMillis`, or fetch a `replace`ment then. */
  readonly next: 'renew' | 'replace';
  readonly delayMillis: number;
}

/**
 * Plans the step after a renewal that asked for `askedMillis` and was granted `grantedMillis`.
 * The cap is detected from a grant shorter than asked or from Vault's max_ttl warning
 * (`cappedByWarning`), whichever shows first.
 */
export function planAfterRenewal(
  askedMillis: number,
  grantedMillis: number,
  cappedByWarning: boolean,
  remainingFraction: number = DEFAULT_REPLACE_AT_REMAINING_FRACTION,
  random: () => number = Math.random,
): RenewalOutcome {
  const capped = cappedByWarning || grantedMillis < askedMillis - CAP_TOLERANCE_MILLIS;
  if (capped) return { capped, next: 'replace', delayMillis: replacementDelay(grantedMillis, remainingFraction, random, askedMillis) };
  return { capped, next: 'renew', delayMillis: renewalDelay(grantedMillis, random) };
}
