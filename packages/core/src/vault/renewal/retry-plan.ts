/**
 * Retries by urgency: what to do after any failed Vault request made for a credential (a fetch, a
 * renewal, a login), given how much time the credential in hand has left. Shared by the renewer,
 * the lease source, the token keeper and the fleet benchmark, so what the benchmark measures is
 * what the SDK does.
 *
 * - Plenty of time left (at least {@link URGENT_MILLIS}): the retry is drawn uniformly over the
 *   time left, `[MIN_SPREAD_MILLIS, SPREAD_FRACTION * left]` (capped at {@link MAX_SPREAD_MILLIS}).
 *   A fleet that failed together during an outage then comes back spread over the time each
 *   credential still has, instead of on a shared 1 s..5 min ladder whose retries, summed over the
 *   fleet, arrive at about 2·ln(300) ≈ 11 times the steady rate right after Vault returns
 *   (bench/fleet.ts). A uniform draw over a shrinking window never lands past the expiry.
 * - Urgent (expired, no credential yet, or less than {@link URGENT_MILLIS} left, so the next spread
 *   attempt could come after the expiry): an outage error (network, timeout, 5xx, sealed, 429, 412)
 *   means `watch`: probe Vault's unauthenticated `sys/health` about once a second with jitter
 *   (vault-watch.ts) and retry the real request as soon as Vault answers. Authenticated traffic
 *   stays at zero while Vault is down and the credential is back within seconds of its return.
 * - A refusal (400, 403 permission denied, 404, 307, anything else not retryable) comes from a
 *   Vault that is up, so probing is pointless: wait {@link refusalDelay} (a slow 2.5-5 minutes,
 *   an operator has to act) but never longer than the spread over the time left. With no time
 *   left, a refusal climbs the 1 s..5 min ladder (a mount that appears, a role created late are
 *   seen within seconds); a 403 permission denied stays at one slow attempt every 2.5-5 minutes,
 *   since only a policy change helps and a fleet must not hammer Vault with denied requests.
 * - `Retry-After` (429, 503; the client puts it in `details.retryAfterMillis`) is a floor: the
 *   next attempt never comes earlier than it asks (up to {@link RETRY_AFTER_MAX_MILLIS}), plus up
 *   to {@link RETRY_AFTER_JITTER_FRACTION} more at random, and the rules above still apply when
 *   they wait longer. One rule outranks it: no retry waits past the time left, so a credential
 *   with less time than the wait asked is retried before it expires, as the spread would.
 *
 * Every delay is at least {@link VAULT_BACKOFF}.minMillis: no retry loop without a delay.
 */
import { backoffDelay, VAULT_BACKOFF } from '../../backoff.js';
import { isLeaseholdError } from '../../errors.js';

/** Under this much time left a credential is urgent: spreading would risk trying after its expiry. */
export const URGENT_MILLIS = 5_000;
/** A spread retry waits at least this long: the outage that just failed a request rarely ends sooner. */
export const MIN_SPREAD_MILLIS = 1_000;
/**
 * Fraction of the time left over which a retry is spread. Close to 1 because the lower the
 * fraction the more a fleet's retries bunch up right after recovery (the fleet bench measures
 * it); the rest is the margin in which an urgent credential still gets probe-paced retries.
 */
export const SPREAD_FRACTION = 0.9;
/** A retry is never spread over more than an hour, however long the lease. */
export const MAX_SPREAD_MILLIS = 3_600_000;
/** Largest `Retry-After` honoured: a proxy asking for an hour must not park an expiring credential. */
export const RETRY_AFTER_MAX_MILLIS = 60_000;
/**
 * Up to this fraction of a `Retry-After` is added at random: a quota that refused a fleet at once
 * tells every client the same wait, and without jitter they would all come back in one burst.
 */
export const RETRY_AFTER_JITTER_FRACTION = 0.2;

/** The next step after a failure. */
export type RetryPlan =
  /** Try the request again after `delayMillis`. */
  | { readonly kind: 'wait'; readonly delayMillis: number }
  /** Probe `sys/health` until Vault answers, then try the request at once. */
  | { readonly kind: 'watch' };

/** What a retry decision needs to know. */
export interface RetryInput {
  /** 0 for the first retry after a success; climbs the ladder of expired refusals. */
  readonly attempt: number;
  /** Time left on the credential in hand; undefined when there is none (first fetch) or it never expires. */
  readonly millisLeft: number | undefined;
  /** True for outage errors (network, timeout, 5xx, sealed, 429, 412), false for refusals. */
  readonly retryable: boolean;
  /** True for a 403 permission denied (a policy matter): always slow. */
  readonly denied?: boolean | undefined;
  /** Vault's or a proxy's `Retry-After`, if it sent one. */
  readonly retryAfterMillis?: number | undefined;
}

/** Whether a credential with `millisLeft` left must be replaced by watching Vault rather than spreading retries. */
export function isUrgent(millisLeft: number | undefined): boolean {
  return millisLeft === undefined || millisLeft < URGENT_MILLIS;
}

/** A retry drawn uniformly over the time left (see the file header). */
export function spreadDelay(millisLeft: number, random: () => number = Math.random): number {
  const upper = Math.min(MAX_SPREAD_MILLIS, SPREAD_FRACTION * millisLeft);
  if (upper <= MIN_SPREAD_MILLIS) return Math.max(VAULT_BACKOFF.minMillis, upper);
  return MIN_SPREAD_MILLIS + random() * (upper - MIN_SPREAD_MILLIS);
}

/** Delay before asking again after a refusal from a Vault that is up: 2.5 to 5 minutes. */
export function refusalDelay(random: () => number = Math.random): number {
  return VAULT_BACKOFF.maxMillis * (0.5 + random() / 2);
}

/** Plans the next attempt after a failure (see the file header for the rules). */
export function planRetry(input: RetryInput, random: () => number = Math.random): RetryPlan {
  const plan = plainPlan(input, random);
  const floor = retryAfterFloor(input.retryAfterMillis, random);
  if (floor === undefined) return plan;
  // Watching would retry as soon as sys/health answers, which may be before the wait asked.
  const delayMillis = plan.kind === 'wait' ? Math.max(plan.delayMillis, floor) : floor;
  if (isUrgent(input.millisLeft)) return { kind: 'wait', delayMillis };
  return { kind: 'wait', delayMillis: Math.max(VAULT_BACKOFF.minMillis, Math.min(delayMillis, SPREAD_FRACTION * input.millisLeft!)) };
}

/** The earliest retry a `Retry-After` allows, jittered; undefined when there is none (or it asks for no wait). */
function retryAfterFloor(retryAfterMillis: number | undefined, random: () => number): number | undefined {
  if (retryAfterMillis === undefined || !(retryAfterMillis > 0)) return undefined;
  const asked = Math.min(RETRY_AFTER_MAX_MILLIS, retryAfterMillis);
  return asked * (1 + random() * RETRY_AFTER_JITTER_FRACTION);
}

/** The plan by urgency and kind of failure alone, before any `Retry-After`. */
function plainPlan(input: RetryInput, random: () => number): RetryPlan {
  const { millisLeft } = input;
  const urgent = isUrgent(millisLeft);
  if (input.retryable) return urgent ? { kind: 'watch' } : { kind: 'wait', delayMillis: spreadDelay(millisLeft!, random) };
  if (urgent)
    return { kind: 'wait', delayMillis: input.denied === true ? refusalDelay(random) : backoffDelay(VAULT_BACKOFF, input.attempt, random) };
  return { kind: 'wait', delayMillis: Math.max(VAULT_BACKOFF.minMillis, Math.min(refusalDelay(random), spreadDelay(millisLeft!, random))) };
}

/**
 * Whether a failure is an outage worth retrying soon. Vault's own client (api.DefaultRetryPolicy)
 * retries 412 too: an Enterprise performance standby answers it until it has caught up with a
 * write, which takes moments. A rejected token is not an outage: only a new login helps, and the
 * session has already tried one.
 */
export function isOutage(error: unknown): boolean {
  if (!isLeaseholdError(error) || error.code === 'LEASEHOLD_VAULT_INVALID_TOKEN') return false;
  return error.retryable || error.details.status === 412;
}

/** Whether a failure is a 403 permission denied: a policy matter, retried slowly. */
export function isDenied(error: unknown): boolean {
  return isLeaseholdError(error, 'LEASEHOLD_VAULT_PERMISSION_DENIED');
}

/** The `Retry-After` a Vault error carried, in milliseconds, if the client recorded one. */
export function retryAfterOf(error: unknown): number | undefined {
  if (!isLeaseholdError(error)) return undefined;
  const value = error.details.retryAfterMillis;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Plans the retry after `failure`, reading its decision flags (outage, denied, Retry-After) the
 * same way for every caller.
 */
export function planRetryAfterFailure(
  failure: unknown,
  attempt: number,
  millisLeft: number | undefined,
  random: () => number = Math.random,
): RetryPlan {
  return planRetry(
    { attempt, millisLeft, retryable: isOutage(failure), denied: isDenied(failure), retryAfterMillis: retryAfterOf(failure) },
    random,
  );
}
