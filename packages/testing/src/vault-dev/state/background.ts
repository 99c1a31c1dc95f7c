/**
 * Tracks fire-and-forget work (revocations triggered by a lazy expiry check) so `reap()` and
 * `close()` can wait for it; failures are collected, never left unhandled.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<void>>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Runs `work` in the background; its failure goes to `onError`. */
  track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      this.#onError(error);
    });
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }

  /** Resolves once everything tracked so far (and anything it started) has settled. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
  }
}
