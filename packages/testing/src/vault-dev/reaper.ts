/**
 * Vault's expiration manager revokes leases when their time is up whether or not anyone asks
 * (vault/expiration.go), and its rotation queue rotates static database roles in the background.
 * The reaper is that background pass for the dev server: on an interval, and on demand after a
 * test moves the clock, it runs each step once (a pass never overlaps another) and waits for the
 * revocations it started. It never rejects: failures go to the server's error list.
 * The interval is real time on purpose: the server's clock is only a `now()` with no hook to say it
 * moved, so a test on a fake clock calls `reap()` itself (`advanceTime` does).
 */
import type { BackgroundWork } from './state/background.js';

/** One step of a pass, e.g. "expire due tokens". */
export type ReapStep = () => Promise<void>;

/** Runs the reaper steps on an interval; `reap()` runs a pass now (single-flight). */
export class Reaper {
  readonly #steps: readonly ReapStep[];
  readonly #background: BackgroundWork;
  readonly #onError: (error: unknown) => void;
  readonly #timer: ReturnType<typeof setInterval>;
  #reaping: Promise<void> | undefined;

  constructor(steps: readonly ReapStep[], background: BackgroundWork, onError: (error: unknown) => void, intervalMillis: number) {
    this.#steps = steps;
    this.#background = background;
    this.#onError = onError;
    this.#timer = setInterval(() => {
      void this.reap();
    }, intervalMillis);
    // A test's dev server must never keep the process alive.
    this.#timer.unref();
  }

  /** Runs one pass unless one is running (then joins it). Never rejects. */
  reap(): Promise<void> {
    this.#reaping ??= (async () => {
      for (const step of this.#steps) {
        try {
          await step();
        } catch (error) {
          // One failing step (a revocation Postgres refused) must not stop the others.
          this.#onError(error);
        }
      }
      await this.#background.drain();
    })().finally(() => {
      this.#reaping = undefined;
    });
    return this.#reaping;
  }

  /** Stops the interval and waits for a running pass. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reaping;
  }
}
