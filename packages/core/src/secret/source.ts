/**
 * The contract between a {@link Secret} and where its values come from (files, Vault, env).
 * A source reads and schedules; the secret validates, versions, hands over and reports health.
 */
import type { Clock } from '../clock.js';
import type { LeaseholdError } from '../errors.js';
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

/** What a secret gives its source: the way to report values, renewals and trouble. */
export interface SourceContext<T> {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The secret's name, for log lines. */
  readonly name: string;
  /**
   * Offers a newly read value. Returns the adopted snapshot, or `undefined` when the value is
   * unchanged. Throws a LeaseholdError (PARSE/VALIDATION) when `validate` refuses it; the secret
   * has then kept its last good value and recorded the error.
   */
  offer(update: SourceUpdate<T>): Snapshot<T> | undefined;
  /** Records that the current lease was renewed until `expiresAt`. */
  extend(leaseId: string, expiresAt: Date): void;
  /** Records a failure (state degraded, `error` event). Cleared by the next successful offer or extend. */
  fail(error: LeaseholdError): void;
  /** Records a failed renewal attempt and when the next one runs. */
  renewalFailed(error: LeaseholdError, nextAttemptAt: Date | undefined): void;
  /** Marks work in progress (health state `renewing`) or its end. */
  setRenewing(renewing: boolean): void;
  /** Adds (or, with `active: false`, removes) a standing warning shown in health. */
  warn(error: LeaseholdError, active?: boolean): void;
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
