/**
 * Timers that tell a secret when the value in use is about to expire with no replacement in
 * hand, and when it has expired.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Snapshot } from './snapshot.js';

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
   * Arms the timers for `snapshot`, which was granted its expiry just now: the warning comes
   * `thresholdMillis` before expiry, but never earlier than a third of the lifetime before it,
   * since renewals run at two thirds of it: `expiring` then means "a renewal is late", not
   * "a lease is short".
   */
  watch(snapshot: Snapshot<T>): void {
    this.clear();
    this.#watched = snapshot;
    const expiresAt = snapshot.expiresAt?.getTime();
    if (expiresAt === undefined) return;
    const now = this.#clock.now();
    const threshold = Math.min(this.#thresholdMillis, Math.max(0, expiresAt - now) / 3);
    this.#expiringTimer = this.#clock.setTimeout(() => {
      this.#expiring = snapshot;
      this.#handlers.expiring(snapshot, expiresAt - this.#clock.now());
    }, expiresAt - threshold - now);
    this.#expiringTimer.unref?.();
    this.#expiredTimer = this.#clock.setTimeout(() => this.#handlers.expired(snapshot), expiresAt - now);
    this.#expiredTimer.unref?.();
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
