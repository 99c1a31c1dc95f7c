/**
 * When Vault rotates a static role (builtin/logical/database/rotation.go): not at the instant the
 * period ends, but at the next tick of a background queue (`runTicker`, every
 * `defaultQueueTickSeconds` = 5 s from the mount's start), when `time.Now().Unix()` has reached
 * the role's `NextRotationTime().Unix()`. Until that tick, reads return the old password with
 * `ttl` 0 (path_roles.go CredentialTTL: "Users should not trust passwords with a Zero TTL").
 * A failed rotation is tried again 10 s later. This schedule is kept on the dev-server clock, and
 * ticks that fell in a jump of that clock are played in order, so a test sees what Vault would
 * have done at each of them.
 */
import type { VaultClock } from '../../state/clock.js';

/** Vault's defaultQueueTickSeconds. */
export const DEFAULT_QUEUE_TICK_MILLIS = 5_000;
/** rotateCredential: after a failure the item's priority is now + 10 s. */
export const ROTATION_RETRY_MILLIS = 10_000;

/** A static role's place in the queue. */
export interface QueuedRotation {
  /** Vault's LastVaultRotation (epoch millis, dev-server clock). */
  lastRotation: number;
  readonly periodMillis: number;
  /** After a failure: no rotation before this time. */
  retryAt: number;
}

/** Ticks of the queue that have come and not been looked at yet: `(from, to]`. */
export interface TickWindow {
  readonly from: number;
  readonly to: number;
}

/** The rotation queue's tick grid and its due test. */
export class RotationQueue {
  readonly #clock: VaultClock;
  readonly #tickMillis: number;
  readonly #origin: number;
  #lastTick: number;

  constructor(clock: VaultClock, tickMillis = DEFAULT_QUEUE_TICK_MILLIS) {
    this.#clock = clock;
    this.#tickMillis = tickMillis;
    this.#origin = clock.now();
    this.#lastTick = this.#origin;
  }

  /** The ticks that have come since the last call, or undefined when the next one has not. */
  advance(): TickWindow | undefined {
    const elapsed = this.#clock.now() - this.#origin;
    const to = this.#origin + Math.floor(elapsed / this.#tickMillis) * this.#tickMillis;
    if (to <= this.#lastTick) return undefined;
    const window = { from: this.#lastTick, to };
    this.#lastTick = to;
    return window;
  }

  /**
   * The last tick in `window` at which the queue rotates `role` (it may come round more than
   * once in a long jump of the clock; each rotation restarts the period), or undefined. A tick
   * rotates once `tick.Unix() >= NextRotationTime().Unix()` (rotateCredential) and no retry is
   * pending.
   */
  lastRotationIn(role: QueuedRotation, window: TickWindow): number | undefined {
    let rotatedAt: number | undefined;
    let lastRotation = role.lastRotation;
    for (;;) {
      const dueAt = Math.max(Math.floor((lastRotation + role.periodMillis) / 1000) * 1000, role.retryAt, window.from + 1);
      const tick = this.#origin + Math.ceil((dueAt - this.#origin) / this.#tickMillis) * this.#tickMillis;
      if (tick > window.to) return rotatedAt;
      rotatedAt = tick;
      lastRotation = tick;
      if (role.periodMillis <= 0) return rotatedAt;
    }
  }

  /** path_roles.go CredentialTTL: seconds to the next rotation, rounded, never negative. */
  static ttlSeconds(role: QueuedRotation, now: number): number {
    return Math.max(0, Math.round((role.lastRotation + role.periodMillis - now) / 1000));
  }
}
