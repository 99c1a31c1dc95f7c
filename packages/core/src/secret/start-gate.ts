/**
 * The wait for a secret's first value behind `ready()`: one promise every caller shares, a
 * start deadline on the injectable clock, and a keep-alive while someone waits (a service
 * awaiting its first credential fails loudly instead of exiting silently). Kept apart from
 * secret.ts so the Secret's lifecycle reads without the bookkeeping of its start.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { deferred, resolved, type Deferred } from '../deferred.js';
import type { LeaseholdError } from '../errors.js';
import { keepProcessAlive, type KeepAlive } from '../keep-alive.js';
import type { Snapshot } from './snapshot.js';

/** The first value's promise and the deadline that rejects it. */
export class StartGate<T> {
  readonly #clock: Clock;
  #ready: Deferred<Snapshot<T>> = deferred();
  #timer: TimerHandle | undefined;
  /** Held while a ready() waits for the first value. */
  #keepAlive: KeepAlive | undefined;

  /**
   * Arms the deadline: after `timeoutMillis`, `timedOut` says which error rejects the wait, or
   * undefined when there is nothing left to reject (a value came, the secret closed).
   */
  constructor(clock: Clock, timeoutMillis: number, timedOut: () => LeaseholdError | undefined) {
    this.#clock = clock;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      const error = timedOut();
      if (error) this.settle(undefined, error);
    }, timeoutMillis);
  }

  /** The shared wait; keeps the process alive while it is pending. */
  wait(): Promise<Snapshot<T>> {
    if (!this.#ready.settled) this.#keepAlive ??= keepProcessAlive(this.#clock);
    return this.#ready.promise;
  }

  /** Resolves the wait with `value`, or rejects it with `error`; later values replace a settled wait. */
  settle(value: Snapshot<T> | undefined, error?: LeaseholdError): void {
    this.#keepAlive?.release();
    this.#keepAlive = undefined;
    const ready = this.#ready;
    if (ready.settled) {
      // A value after a failed start: later ready() calls see it through the secret's current value.
      if (value) this.#ready = resolved(value);
      return;
    }
    if (value) ready.resolve(value);
    else if (error) ready.reject(error);
  }

  /** Disarms the start deadline (a first value came, or the secret closed). */
  stopTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
