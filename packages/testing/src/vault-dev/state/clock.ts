/**
 * The dev server's time: real by default, movable by tests so a TTL can be crossed without sleeping.
 */
/** A source of the current time in epoch milliseconds. */
export interface VaultClock {
  now(): number;
}

/**
 * The dev server's clock: a base clock (real time by default) plus an offset that tests move
 * forward with `advanceTime`, so TTLs can be crossed without sleeping.
 */
export class DevClock implements VaultClock {
  #offsetMillis = 0;
  readonly #base: VaultClock;

  constructor(base: VaultClock = { now: () => Date.now() }) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#offsetMillis;
  }

  /** Moves the clock forward (or back, for a negative value). */
  advance(millis: number): void {
    this.#offsetMillis += millis;
  }
}
