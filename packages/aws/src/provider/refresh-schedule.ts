/**
 * When to ask a credential provider again. The point is the one the SDK itself would choose
 * (its memoizer re-fetches once `expiration - now < EXPIRATION_MS`, 5 minutes, in
 * @smithy/core's memoizeIdentityProvider), moved earlier by a random share so a fleet whose
 * credentials were issued together does not call STS in step.
 */

/** Shape of an exponential backoff with full jitter. */
export interface ProviderBackoff {
  /** Cap of the first retry's delay. */
  readonly initialMillis: number;
  /** Largest delay ever returned. */
  readonly maxMillis: number;
  /** Smallest delay ever returned: a retry never runs in a tight loop. */
  readonly minMillis: number;
}

/** The SDK's refresh window: EXPIRATION_MS in @smithy/core and credential-provider-node. */
export const SDK_REFRESH_WINDOW_MILLIS = 300_000;
/**
 * At most this much earlier than the SDK's point, at random. Capped at a tenth of the time the
 * credentials have left, so short sessions are not refreshed at birth.
 */
export const REFRESH_JITTER_MILLIS = 60_000;
/**
 * How often credentials without an expiration are read again. The SDK never re-reads them (a
 * memoized constant); a rotated `~/.aws/credentials` or credential_process output would be missed.
 */
export const DEFAULT_PROVIDER_POLL_INTERVAL_MILLIS = 300_000;
/** No refresh runs sooner than this after the last: a provider handing out nearly expired keys must not make a tight loop. */
export const MIN_REFRESH_DELAY_MILLIS = 1_000;
/** Polls without an expiration are spread +/- 10 %. */
const POLL_JITTER_FRACTION = 0.1;

/**
 * Retries of a failed fetch: quick at first (an STS blip), at most a minute apart, and never
 * later than a third of the time the credentials in hand have left (see {@link retryDelay}).
 */
export const PROVIDER_BACKOFF: ProviderBackoff = Object.freeze({ initialMillis: 1_000, maxMillis: 60_000, minMillis: 250 });

/** Delay until the next refresh of credentials fetched at `now` that expire at `expiresAt` (epoch ms), if they do. */
export function refreshDelay(expiresAt: number | undefined, now: number, pollIntervalMillis: number, random: () => number): number {
  if (expiresAt === undefined) {
    return Math.max(MIN_REFRESH_DELAY_MILLIS, pollIntervalMillis * (1 - POLL_JITTER_FRACTION + 2 * POLL_JITTER_FRACTION * random()));
  }
  const left = expiresAt - now;
  const jitter = random() * Math.min(REFRESH_JITTER_MILLIS, left / 10);
  const atSdkPoint = left - SDK_REFRESH_WINDOW_MILLIS - jitter;
  // Credentials issued for less than the window (a 5-minute session) are inside it from birth:
  // the SDK would re-fetch before every request; halfway through their life is early enough.
  return Math.max(MIN_REFRESH_DELAY_MILLIS, atSdkPoint > 0 ? atSdkPoint : left / 2);
}

/** Delay before retry `attempt` (0 first) of a failed fetch, bounded by the time the credentials in hand have left. */
export function retryDelay(attempt: number, expiresAt: number | undefined, now: number, random: () => number): number {
  // Full jitter: uniform up to the exponential cap, so a fleet's retries spread out.
  const cap = Math.min(PROVIDER_BACKOFF.maxMillis, PROVIDER_BACKOFF.initialMillis * 2 ** Math.min(attempt, 30));
  const backoff = Math.max(PROVIDER_BACKOFF.minMillis, Math.floor(random() * cap));
  if (expiresAt === undefined) return backoff;
  const left = expiresAt - now;
  // Spread what is left over a few tries; once expired, the backoff alone paces the retries.
  return left > 0 ? Math.max(PROVIDER_BACKOFF.minMillis, Math.min(backoff, left / 3)) : backoff;
}
