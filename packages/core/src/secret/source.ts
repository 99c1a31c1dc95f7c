/**
 * The contract between a {@link Secret} and where its values come from (files, Vault, env).
 * A source reads and schedules; the secret validates, versions, hands over and reports health.
 */
import type { Clock } from '../clock.js';
import type { LeaseholdError, LeaseholdErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Snapshot } from './snapshot.js';

/** A value a source read, before the secret validates and versions it. */
export interface SourceUpdate<T> {
  /** The parsed value. */
  readonly value: T;
  /** Keyed digest of the content (see fingerprintOf); equal fingerprints are the same value. */
  readonly fingerprint: string;
  /** When the value stops working, if known. */
  readonly expiresAt?: Date | undefined;
  /** The lease behind the value, if any. */
  readonly leaseId?: string | undefined;
  /** Whether the lease can be renewed. */
  readonly renewable?: boolean | undefined;
}

/**
 * What the secret made of an offered value. A refusal is already recorded and announced (one
 * `error` event) by the secret: the source only decides what to do next (revoke the lease,
 * schedule another read), it never reports the refusal again.
 */
export type OfferVerdict<T> =
  /** The value is the secret's new current snapshot. */
  | { readonly outcome: 'adopted'; readonly snapshot: Snapshot<T> }
  /** The same content as the current value (a resync, a poll): proof the source works. */
  | { readonly outcome: 'unchanged'; readonly snapshot: Snapshot<T> }
  /** `validate` refused it (or the secret is closed); the last good value stays. */
  | { readonly outcome: 'refused'; readonly error: LeaseholdError };

/** Which step of a source failed, and when it tries again. */
export interface SourceFailure {
  /** `fetch`: reading or issuing a value; `renew`: extending the current lease (emits `renewalFailed`). */
  readonly step: 'fetch' | 'renew';
  /** When the source tries again, if it does. Shown in health as `nextRenewalAttemptAt`. */
  readonly nextAttemptAt?: Date | undefined;
}

/**
 * What a secret gives its source. Facts flow one way: the source reports, the secret records,
 * announces and answers with a verdict; nothing is reported twice.
 */
export interface SourceContext<T> {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The secret's name, for log lines. */
  readonly name: string;
  /** Offers a newly read value and returns the verdict. Never throws. */
  offer(update: SourceUpdate<T>): OfferVerdict<T>;
  /** Records that the current lease was renewed until `expiresAt`. */
  extend(leaseId: string, expiresAt: Date): void;
  /**
   * Records a failure of the source itself (a read, a request, a renewal, a parse): state
   * degraded (or failed before the first value), one `error` event, plus `renewalFailed` for
   * `step: 'renew'`. Cleared by the next adopted or unchanged offer, or extend.
   */
  failed(error: LeaseholdError, failure: SourceFailure): void;
  /**
   * Tells the secret when the source will renew or replace the current value on its normal
   * schedule (not a retry after a failure). `expiring` then means this refresh is late, so a
   * credential on its schedule is never reported degraded. Call it after each `offer` that
   * adopted a value and each `extend`, which forget the previous plan.
   */
  scheduled(refreshAt: Date): void;
  /** Marks work in progress (health state `renewing`) or its end. */
  setRenewing(renewing: boolean): void;
  /** Raises a standing warning shown in health until cleared; raising a raised code again does nothing. */
  warn(warning: LeaseholdError): void;
  /** Clears the standing warning with this code, if raised. */
  clearWarning(code: LeaseholdErrorCode): void;
  /** The snapshot in use, if any. */
  current(): Snapshot<T> | undefined;
}

/** Where values come from. Implementations: file, env, Vault lease, Vault KV. */
export interface Source<T> {
  /** Kind shown in health: `file`, `env`, `vault-lease`, `vault-kv`. */
  readonly kind: string;
  /** What the source reads (a path or Vault path), never a value. */
  readonly name: string;
  /** Begins reading and watching. Called once by the secret. Must not throw. */
  start(context: SourceContext<T>): void;
  /** Reads now. The secret makes concurrent calls share one run. Rejects with a LeaseholdError. */
  refresh(): Promise<void>;
  /**
   * Called once a replaced snapshot is no longer used by any consumer (or its release deadline
   * passed): the place to revoke its lease. Must not throw for an already-gone lease.
   */
  retire?(snapshot: Snapshot<T>): Promise<void>;
  /** Stops watchers and timers. Called once. */
  close(): Promise<void>;
}
