/**
 * The options every secret takes and their defaults, each a named constant saying why that value.
 * Kept apart from secret.ts so the Secret reads as its lifecycle; secret.ts re-exports them.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

/** How long `ready()` waits for a first value by default. Long enough for a Vault login and a mount to appear. */
export const DEFAULT_START_TIMEOUT_MILLIS = 30_000;
/**
 * Default warning horizon before expiry, for sources that do not say when they refresh (files,
 * KV). Capped at a fifth of the value's lifetime (see expiry-watch.ts), so for a short lease
 * `expiring` means "a renewal is late", not "a lease is short". Sources with a schedule (Vault
 * leases) warn only once their planned refresh is late.
 */
export const DEFAULT_EXPIRING_THRESHOLD_MILLIS = 300_000;
/** How long consumers may hold a replaced value before it is retired anyway. */
export const DEFAULT_RELEASE_TIMEOUT_MILLIS = 300_000;
/**
 * A replaced lease is retired at the latest this long before it expires, so revocation is ours,
 * not the reaper's. Never more than a quarter of the time the lease has left when it is
 * replaced: a short lease replaced with two seconds left still gets 1.5 s to drain.
 */
export const DEFAULT_RETIRE_MARGIN_MILLIS = 5_000;

/** Options of every secret. */
export interface SecretOptions<T> {
  /** Name in health, metrics and logs. Default: the source's name (its path). */
  readonly name?: string;
  /**
   * Checks a parsed value before it is adopted. Return `false` or a message (or throw) to refuse
   * it: the secret keeps its last good value and reports degraded. A message must not quote the value.
   */
  readonly validate?: (value: T) => boolean | string | undefined | void;
  /** How long `ready()` waits for a first value. Default {@link DEFAULT_START_TIMEOUT_MILLIS}. */
  readonly startTimeoutMillis?: number;
  /**
   * Warn (`expiring`, degraded) this long before expiry when the source does not say when it
   * refreshes. Default {@link DEFAULT_EXPIRING_THRESHOLD_MILLIS}.
   */
  readonly expiringThresholdMillis?: number;
  /** Longest wait for consumers to release a replaced value. Default {@link DEFAULT_RELEASE_TIMEOUT_MILLIS}. */
  readonly releaseTimeoutMillis?: number;
  /** Retire a replaced lease at the latest this long before it expires. Default {@link DEFAULT_RETIRE_MARGIN_MILLIS}. */
  readonly retireMarginMillis?: number;
  /** Whether readiness depends on this secret. Default true. */
  readonly required?: boolean;
  readonly clock?: Clock;
  /** A pino-compatible logger. Silent by default. */
  readonly logger?: Logger;
  /** Uniform [0, 1) random source for jitter; injectable for tests. */
  readonly random?: () => number;
}
