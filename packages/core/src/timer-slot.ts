/**
 * One pending timer on the injectable clock, kept in a field: setting it again replaces the
 * pending one, clearing it is always safe. Written once instead of an `#at`/`#clear` pair in
 * every source, so no schedule bypasses the clock and none is left armed by mistake. The clock's
 * timers never keep the process alive, so there is nothing to `unref()` here.
 */
import type { Clock, TimerHandle } from './clock.js';

/** A slot for at most one pending timer. */
export class TimerSlot {
  readonly #clock: Clock;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `run` after `delayMillis`, replacing any timer still pending in this slot. */
  set(delayMillis: number, run: () => void): void {
    this.clear();
    const handle = this.#clock.setTimeout(() => {
      if (this.#handle === handle) this.#handle = undefined;
      run();
    }, delayMillis);
    this.#handle = handle;
  }

  /** Cancels the pending timer, if any. */
  clear(): void {
    if (this.#handle) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  /** Whether a timer is waiting to fire. */
  get pending(): boolean {
    return this.#handle !== undefined;
  }
}
