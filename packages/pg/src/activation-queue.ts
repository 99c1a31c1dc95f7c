/**
 * Checkouts that cannot go to pg-pool yet because no credentials have been verified: those issued
 * before the first value is adopted. (Checkouts whose login was refused later are held by
 * RefusedLogins instead.) Each waiter is bounded by its own timer, so nothing waits forever.
 */
import type { Clock, TimerHandle } from '@leasehold/core';

/** One parked checkout. */
interface Waiter {
  /** Continue: credentials were activated. */
  readonly run: () => void;
  /** Give up with this error: verification failed, the secret failed, or time ran out. */
  readonly fail: (error: Error) => void;
  timer: TimerHandle | undefined;
}

/** How long a waiter may wait, and the error it gets then. */
export interface WaitTimeout {
  readonly millis: number;
  readonly error: () => Error;
}

/** A set of parked checkouts. */
export class ActivationQueue {
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Parked checkouts. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Parks a checkout until {@link activated} (then `run`), {@link failed} (then `fail`), or
   * `timeout` (then `fail` with its error). A timeout of 0 millis means none, as in pg's
   * `connectionTimeoutMillis`.
   */
  wait(run: () => void, fail: (error: Error) => void, timeout: WaitTimeout): void {
    const waiter: Waiter = { run, fail, timer: undefined };
    if (timeout.millis > 0) {
      waiter.timer = this.#clock.setTimeout(() => {
        if (this.#remove(waiter)) fail(timeout.error());
      }, timeout.millis);
      waiter.timer.unref?.();
    }
    this.#waiters.add(waiter);
  }

  /** Credentials serve: every waiter continues. */
  activated(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.#remove(waiter)) waiter.run();
    }
  }

  /** Verification (or the secret) failed, or the pool ends: every waiter gets `error`. */
  failed(error: Error): void {
    for (const waiter of [...this.#waiters]) {
      if (this.#remove(waiter)) waiter.fail(error);
    }
  }

  #remove(waiter: Waiter): boolean {
    if (!this.#waiters.delete(waiter)) return false;
    if (waiter.timer) this.#clock.clearTimeout(waiter.timer);
    return true;
  }
}
