/**
 * Watches Vault cheaply while a credential is expired (or about to be) and Vault is down: an
 * unauthenticated `GET sys/health` about once a second, with jitter so a fleet probes out of step,
 * until Vault answers; then the caller retries its real request at once. Probes cost Vault next to
 * nothing (no token lookup, no storage read) and do not count against quotas, so an expired fleet
 * comes back within about a second of Vault's return without a storm of authenticated requests.
 */
import type { Clock, TimerHandle } from '../../clock.js';

/** Mean spacing of health probes. */
export const PROBE_INTERVAL_MILLIS = 1_000;
/** Probes are spaced uniformly in [1 - x, 1 + x] times the interval. */
export const PROBE_JITTER_FRACTION = 0.5;

/** Delay before the next health probe: 0.5 to 1.5 s. */
export function probeDelay(random: () => number = Math.random): number {
  return PROBE_INTERVAL_MILLIS * (1 - PROBE_JITTER_FRACTION + 2 * PROBE_JITTER_FRACTION * random());
}

/** Probes Vault until it answers. One watch per credential; `start` again after `stop` is fine. */
export class VaultWatch {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #probe: () => Promise<boolean>;
  #timer: TimerHandle | undefined;
  #run = 0;

  /** @param probe resolves true when Vault answers as able to serve (never rejects). */
  constructor(clock: Clock, random: () => number, probe: () => Promise<boolean>) {
    this.#clock = clock;
    this.#random = random;
    this.#probe = probe;
  }

  /** True while probing. */
  get active(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Probes after a jittered delay, again and again, until Vault answers; then calls `onUp`. Before
   * each probe `stillWanted` may end the watch (returns false) and `onUp` is not called.
   */
  start(onUp: () => void, stillWanted: () => boolean = () => true): void {
    this.stop();
    const run = ++this.#run;
    const next = (): void => {
      this.#timer = this.#clock.setTimeout(() => {
        if (run !== this.#run) return;
        if (!stillWanted()) {
          this.#timer = undefined;
          return;
        }
        void this.#probe()
          .catch(() => false)
          .then((up) => {
            if (run !== this.#run) return;
            if (!up) return next();
            this.#timer = undefined;
            onUp();
          });
      }, probeDelay(this.#random));
      this.#timer.unref?.();
    };
    next();
  }

  /** Stops probing; a probe in flight is ignored. */
  stop(): void {
    this.#run++;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
