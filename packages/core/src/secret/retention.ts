/**
 * Replaced values a secret's consumers still hold: each is kept until no consumer holds it, then
 * retired (its lease revoked), or retired anyway at a deadline before it expires. A value a
 * consumer still serves (it could not verify the newer one) stays until just before its expiry.
 * Kept apart from handover.ts, which hands values to consumers; this file decides when the old
 * ones go.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { LeaseholdError } from '../errors.js';
import type { Signals } from './signals.js';
import type { Snapshot } from './snapshot.js';

/** Timing of retirements. */
export interface HandoverTiming {
  readonly releaseTimeoutMillis: number;
  readonly retireMarginMillis: number;
}

/** What the retention needs to know of the consumers and the secret. */
export interface RetentionHost<T> {
  readonly name: string;
  readonly clock: Clock;
  readonly signals: Signals<T>;
  /** The version consumers should be on: never retired. */
  currentVersion(): number | undefined;
  /** Whether some consumer serves new work with `version`. */
  serves(version: number): boolean;
  /** Whether some consumer still holds `version`. */
  holds(version: number): boolean;
  /** Takes `version` from every consumer holding it; returns their names. */
  takeFromHolders(version: number): string[];
  /** Revokes a replaced value (the source's `retire`); rejections are the host's to report. */
  retire(snapshot: Snapshot<T>): Promise<void>;
}

interface Retained<T> {
  readonly snapshot: Snapshot<T>;
  readonly deadline: TimerHandle;
  /** When it was replaced: the retire margin is a quarter of the time it had left then. */
  readonly armedAt: number;
  /** Kept past its release deadline because a consumer still served it. */
  readonly extended: boolean;
}

/** The replaced values of one secret and their deadlines. */
export class Retention<T> {
  readonly #host: RetentionHost<T>;
  readonly #timing: HandoverTiming;
  readonly #retained = new Map<number, Retained<T>>();
  #closed = false;

  constructor(host: RetentionHost<T>, timing: HandoverTiming) {
    this.#host = host;
    this.#timing = timing;
  }

  /** Keeps a replaced value until its consumers release it, bounded by a deadline before its expiry. */
  retain(snapshot: Snapshot<T>): void {
    const now = this.#host.clock.now();
    let deadline = now + this.#timing.releaseTimeoutMillis;
    if (snapshot.expiresAt) {
      const expiresAt = snapshot.expiresAt.getTime();
      const margin = Math.min(this.#timing.retireMarginMillis, Math.max(0, expiresAt - now) / 4);
      deadline = Math.min(deadline, expiresAt - margin);
    }
    const timer = this.#host.clock.setTimeout(() => this.#deadlinePassed(snapshot.version), deadline - now);
    this.#retained.set(snapshot.version, { snapshot, deadline: timer, armedAt: now, extended: false });
  }

  /** A retained value was renewed: the renewed snapshot is the one retired later. */
  renewed(snapshot: Snapshot<T>): void {
    const retained = this.#retained.get(snapshot.version);
    if (retained) this.#retained.set(snapshot.version, { ...retained, snapshot });
  }

  /**
   * A value kept because a consumer still served it gets an ordinary release deadline again once
   * nobody serves it: a consumer that moved on but never releases must not pin it until expiry.
   */
  endExtensions(): void {
    for (const [version, retained] of this.#retained) {
      if (!retained.extended || this.#host.serves(version)) continue;
      this.#host.clock.clearTimeout(retained.deadline);
      const timer = this.#host.clock.setTimeout(() => this.#deadlinePassed(version), this.#timing.releaseTimeoutMillis);
      this.#retained.set(version, { ...retained, deadline: timer, extended: false });
    }
  }

  /** Retires every replaced value that no consumer holds. */
  retireReleased(): void {
    if (this.#closed) return;
    const currentVersion = this.#host.currentVersion();
    for (const [version, retained] of this.#retained) {
      if (version === currentVersion) continue;
      if (this.#host.holds(version)) continue;
      this.#retained.delete(version);
      this.#host.clock.clearTimeout(retained.deadline);
      void this.#host.retire(retained.snapshot);
    }
  }

  /** Stops every deadline. Values still held are left to the source's close. */
  close(): void {
    this.#closed = true;
    for (const { deadline } of this.#retained.values()) this.#host.clock.clearTimeout(deadline);
    this.#retained.clear();
  }

  #deadlinePassed(version: number): void {
    const retained = this.#retained.get(version);
    if (!retained) return;
    // A consumer that could not verify the newer value still serves this one: it stays in use
    // until just before it expires (DESIGN: "stays on prev while prev is valid"), not merely until
    // the release timeout. Without an expiry it is never forced out from under its server.
    const served = this.#host.serves(version);
    const expiresAt = retained.snapshot.expiresAt?.getTime();
    const now = this.#host.clock.now();
    if (served) {
      if (expiresAt === undefined) {
        this.#retained.set(version, { ...retained, extended: true });
        return;
      }
      const lastMoment = expiresAt - Math.min(this.#timing.retireMarginMillis, Math.max(0, expiresAt - retained.armedAt) / 4);
      if (now < lastMoment) {
        const timer = this.#host.clock.setTimeout(() => this.#deadlinePassed(version), lastMoment - now);
        this.#retained.set(version, { ...retained, deadline: timer, extended: true });
        return;
      }
    }
    const names = this.#host.takeFromHolders(version).join(', ');
    this.#host.signals.send(
      'error',
      new LeaseholdError(
        'LEASEHOLD_RELEASE_TIMEOUT',
        `Secret "${this.#host.name}": version ${version} was not released by ${names} before its deadline; retiring it anyway`,
        { retryable: false, details: { version } },
      ),
    );
    this.retireReleased();
  }
}
