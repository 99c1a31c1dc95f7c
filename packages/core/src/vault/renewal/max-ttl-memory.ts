/**
 * Max TTLs learned per Vault path. Vault tells a lease's max TTL only when a renewal is capped
 * (a grant shorter than asked, or its max_ttl warning); without memory every lease of a path finds
 * the cap again with seconds to spare and its replacement starts late (a 6 s lease was replaced
 * with 1-2 s left in 8 of 9 rotations of a soak). Once one lease of a path was capped, the next
 * ones plan their replacement before the cap from the start.
 */

/** Max TTLs by path, shared by the leases of one session. */
export class MaxTtlMemory {
  readonly #byPath = new Map<string, number>();

  /** The max TTL learned for `path`, if any. */
  get(path: string): number | undefined {
    return this.#byPath.get(path);
  }

  /**
   * Records that a lease of `path` issued `maxTtlMillis` before its capped expiry. The smallest
   * figure wins: a role's max TTL can be lowered at any time, and replacing early is the safe error.
   */
  learn(path: string, maxTtlMillis: number): void {
    if (!(maxTtlMillis > 0)) return;
    const known = this.#byPath.get(path);
    if (known === undefined || maxTtlMillis < known) this.#byPath.set(path, maxTtlMillis);
  }
}
