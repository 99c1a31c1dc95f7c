/**
 * Checkouts that cannot go to pg-pool yet: those issued before the first credentials are
 * verified, and those whose connection was refused (28P01) and wait for re-read credentials.
 * Each waiter is bounded by its own timer, so nothing waits forever.
 */
import type { Clock, TimerHandle } from '@leasehold/core';

/** One parked checkout. */
interface Waiter {
  /** Continue: credentials were (re)activated. */
  readonly run: () => void;
  /** Give up with this error: verification failed, the secret failed, or time ran out. */
  readonly fail: (error: Error) => void;
  /** Whether a failed verification ends this wait (first checkouts) or only activation does. */
  readonly endsOnFailure: boolean;
  timer: TimerHandle | undefined;
}

/** What a waiter should do when its time runs out. */
export type WaitTimeout = { readonly millis: number; readonly error: () => Error } | { readonly millis: number; readonly run: true };

/** A set of parked checkouts. */
export class ActivationQueue {
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();
  readonly #emptied = new Set<() => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Parked checkouts. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Parks a checkout until {@link activated} (then `run`), {@link failed} when `endsOnFailure`
   * (then `fail`), or `timeout` (then `fail` with its error, or `run` for a retry). A timeout of
   * 0 millis means none, as in pg's `connectionTimeoutMillis`.
   */
  wait(run: () => void, fail: (error: Error) => void, endsOnFailure: boolean, timeout: WaitTimeout): void {
    const waiter: Waiter = { run, fail, endsOnFailure, timer: undefined };
    if (timeout.millis > 0) {
      waiter.timer = this.#clock.setTimeout(() => {
        if (!this.#remove(waiter)) return;
        if ('run' in timeout) run();
        else fail(timeout.error());
      }, timeout.millis);
      waiter.timer.unref?.();
    }
    this.#waiters.add(waiter);
  }

  /** New credentials serve: every waiter continues. */
  activated(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.#remove(waiter)) waiter.run();
    }
  }

  /** Verification (or the secret) failed: first checkouts get `error`; refused ones keep their own timer. */
  failed(error: Error): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.endsOnFailure && this.#remove(waiter)) waiter.fail(error);
    }
  }

  /** Resolves once no checkout is parked. */
  drained(): Promise<void> {
    if (this.#waiters.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptied.add(resolve));
  }

  #remove(waiter: Waiter): boolean {
    if (!this.#waiters.delete(waiter)) return false;
    if (waiter.timer) this.#clock.clearTimeout(waiter.timer);
    if (this.#waiters.size === 0) {
      const emptied = [...this.#emptied];
      this.#emptied.clear();
      for (const resolve of emptied) resolve();
    }
    return true;
  }
}
