/**
 * Tells a component whose machinery stopped from one that is merely failing. A failing retry
 * loop records every attempt (an error, a renewal, a new value), so its facts keep changing; a
 * lost timer or a promise that never settles leaves them frozen. Only the second is a state a
 * restart fixes, and only it fails liveness (docs/health.md).
 */
import type { ComponentHealth } from '../component-health.js';

/**
 * How long a component may sit in `renewing`, or past a scheduled retry, with none of its facts
 * changing before liveness calls it stalled. Twice the longest Vault backoff (5 min): any retry
 * loop that still runs records an attempt well within that.
 */
export const DEFAULT_STALLED_AFTER_MILLIS = 600_000;

/**
 * Stall detection needs an unbroken series of observations: if two are further apart than this
 * fraction of the stall window, the earlier one proves nothing about the time between (the
 * component may have moved and come back to the same facts).
 */
const OBSERVATION_GAP_FRACTION = 5;

interface Progress {
  /** The facts that change whenever the component's machinery does something. */
  readonly facts: string;
  /** When these facts were first seen. */
  readonly since: number;
  /** When they were last seen. */
  seenAt: number;
}

/** Follows each component's facts across observations; see the file header. */
export class StallDetector {
  readonly #stalledAfterMillis: number;
  readonly #progress = new Map<number, Progress>();

  constructor(stalledAfterMillis: number) {
    this.#stalledAfterMillis = stalledAfterMillis;
  }

  /** Records an observation of component `key`; returns why it counts as wedged, or undefined. */
  observe(key: number, health: ComponentHealth, now: number): string | undefined {
    if (health.state === 'closed') {
      this.#progress.delete(key);
      return undefined;
    }
    if (health.live === false) return 'the component reports itself wedged';
    const quietMillis = this.#quietMillis(key, health, now);
    if (quietMillis < this.#stalledAfterMillis) return undefined;
    const quietSeconds = Math.floor(quietMillis / 1000);
    // Every leasehold request has a timeout: a request in flight this long will never settle.
    if (health.state === 'renewing') return `renewing for ${quietSeconds} s with no attempt recorded`;
    // The retry counts as pending only while the failure that scheduled it is the last word: a
    // retry that succeeded with an unchanged value clears the error but not the retry time.
    const nextAttempt = parseTime(health.nextRenewalAttemptAt);
    const failedAt = parseTime(health.lastError?.at);
    if (nextAttempt !== undefined && failedAt !== undefined && failedAt <= nextAttempt && now - nextAttempt >= this.#stalledAfterMillis) {
      return `a retry due at ${health.nextRenewalAttemptAt} has not run (${quietSeconds} s with no attempt recorded)`;
    }
    return undefined;
  }

  /** How long the component's facts have been seen unchanged, without a gap in observation. */
  #quietMillis(key: number, health: ComponentHealth, now: number): number {
    const facts = JSON.stringify([
      health.state,
      health.version,
      health.expiresAt,
      health.lastRotationAt,
      health.lastRenewalAt,
      health.nextRenewalAttemptAt,
      health.lastError?.at,
    ]);
    const previous = this.#progress.get(key);
    const maxGapMillis = this.#stalledAfterMillis / OBSERVATION_GAP_FRACTION;
    const continuous = previous !== undefined && previous.facts === facts && now - previous.seenAt <= maxGapMillis;
    const progress: Progress = continuous ? previous : { facts, since: now, seenAt: now };
    progress.seenAt = now;
    this.#progress.set(key, progress);
    return now - progress.since;
  }
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const millis = Date.parse(iso);
  return Number.isNaN(millis) ? undefined : millis;
}
