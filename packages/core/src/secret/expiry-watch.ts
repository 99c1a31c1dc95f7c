/**
 * Timers that tell a secret when the value in use is about to expire with no replacement in
 * hand, and when it has expired.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Snapshot } from './snapshot.js';

/**
 * The warning never comes earlier than this fraction of a lifetime before expiry. Vault leases
 * are renewed with between 33 % and 23 % of their time left (renewal-schedule.ts), so a warning
 * at 20 % means "the renewal is late", not "the lease is short": at a third it fired before
 * nearly every on-time renewal of a short lease.
 */
export const EXPIRING_MAX_LIFETIME_FRACTION = 0.2;

/**
 * When the source said when it will renew or replace the value, the warning waits for that
 * refresh to be late by this fraction of the time between the plan and expiry. An STS key
 * re-fetched at 85-95 % of its life is then never "expiring" on its normal schedule (a fixed 80 %
 * flipped health to degraded on every routine rotation), and a late refresh still leaves three
 * quarters of that time to act.
 */
export const REFRESH_LATE_FRACTION = 0.25;

/** What the watch calls. */
export interface ExpiryHandlers<T> {
  expiring(snapshot: Snapshot<T>, millisLeft: number): void;
  expired(snapshot: Snapshot<T>): void;
}

/** Watches one snapshot at a time; watching another (a replacement or a renewal) re-arms it. */
export class ExpiryWatch<T> {
  readonly #clock: Clock;
  readonly #thresholdMillis: number;
  readonly #handlers: ExpiryHandlers<T>;
  #expiringTimer: TimerHandle | undefined;
  #expiredTimer: TimerHandle | undefined;
  #watched: Snapshot<T> | undefined;
  #expiring: Snapshot<T> | undefined;

  constructor(clock: Clock, thresholdMillis: number, handlers: ExpiryHandlers<T>) {
    this.#clock = clock;
    this.#thresholdMillis = thresholdMillis;
    this.#handlers = handlers;
  }

  /**
   * Arms the timers for `snapshot`, which was granted its expiry just now. With `refreshAt` (when
   * the source plans to renew or replace it) the warning comes once that refresh is late by
   * {@link REFRESH_LATE_FRACTION} of the time left after it. Without a plan it comes
   * `thresholdMillis` before expiry, but never earlier than {@link EXPIRING_MAX_LIFETIME_FRACTION}
   * of the lifetime before it.
   */
  watch(snapshot: Snapshot<T>, refreshAt?: number): void {
    this.clear();
    this.#watched = snapshot;
    const expiresAt = snapshot.expiresAt?.getTime();
    if (expiresAt === undefined) return;
    const now = this.#clock.now();
    let warnAt: number;
    if (refreshAt !== undefined && refreshAt < expiresAt) {
      const plannedAt = Math.max(now, refreshAt);
      warnAt = plannedAt + (expiresAt - plannedAt) * REFRESH_LATE_FRACTION;
    } else {
      warnAt = expiresAt - Math.min(this.#thresholdMillis, Math.max(0, expiresAt - now) * EXPIRING_MAX_LIFETIME_FRACTION);
    }
    this.#expiringTimer = this.#clock.setTimeout(() => {
      this.#expiring = snapshot;
      this.#handlers.expiring(snapshot, expiresAt - this.#clock.now());
    }, warnAt - now);
    this.#expiredTimer = this.#clock.setTimeout(() => this.#handlers.expired(snapshot), expiresAt - now);
  }

  /** Whether the warning fired for the snapshot being watched. */
  isExpiring(): boolean {
    return this.#watched !== undefined && this.#expiring === this.#watched;
  }

  /** Cancels both timers. */
  clear(): void {
    if (this.#expiringTimer) this.#clock.clearTimeout(this.#expiringTimer);
    if (this.#expiredTimer) this.#clock.clearTimeout(this.#expiredTimer);
    this.#expiringTimer = undefined;
    this.#expiredTimer = undefined;
  }
}
