/**
 * Coalesces bursts of filesystem events into one read. Each event pushes the read back by
 * `waitMillis`, but never past `maxWaitMillis` after the first event of the burst, so a writer that
 * never pauses cannot starve the reader.
 */
import type { Clock } from '../../clock.js';
import { TimerSlot } from '../../timer-slot.js';

/** A trailing debounce with a maximum wait, on an injectable clock. */
export class Debouncer {
  readonly #clock: Clock;
  readonly #waitMillis: number;
  readonly #maxWaitMillis: number;
  readonly #fire: () => void;
  readonly #timer: TimerSlot;
  #firstAt: number | undefined;

  constructor(clock: Clock, waitMillis: number, maxWaitMillis: number, fire: () => void) {
    this.#clock = clock;
    this.#waitMillis = waitMillis;
    this.#maxWaitMillis = Math.max(waitMillis, maxWaitMillis);
    this.#fire = fire;
    this.#timer = new TimerSlot(clock);
  }

  /** Records an event; the callback runs once the events pause. */
  trigger(): void {
    const now = this.#clock.now();
    this.#firstAt ??= now;
    const delay = Math.min(this.#waitMillis, this.#firstAt + this.#maxWaitMillis - now);
    this.#timer.set(Math.max(0, delay), () => {
      this.#firstAt = undefined;
      this.#fire();
    });
  }

  /** Drops a pending callback. */
  cancel(): void {
    this.#timer.clear();
    this.#firstAt = undefined;
  }
}
