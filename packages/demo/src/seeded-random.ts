/**
 * A small seeded PRNG (mulberry32) for the soak's fault schedule: the same seed replays the same
 * faults in the same order at the same offsets, so a failure found by a long run can be run again.
 * Not for anything secret.
 */

/** A deterministic source of random numbers. */
export class SeededRandom {
  /** The seed this sequence started from (printed, so a run can be replayed). */
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new RangeError('seed must be an integer from 0 to 2^32 - 1');
    this.seed = seed;
    this.#state = seed;
  }

  /** A new random seed for a run that was not given one. */
  static freshSeed(): number {
    return Math.floor(Math.random() * 0x1_0000_0000);
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `items`, chosen by weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let pick = this.next() * total;
    for (const [item, weight] of items) {
      pick -= weight;
      if (pick < 0) return item;
    }
    const last = items.at(-1);
    if (!last) throw new RangeError('weighted() needs at least one item');
    return last[0];
  }
}
