/**
 * The one renewer, shaped like Vault's LifetimeWatcher (api/lifetime_watcher.go): it takes a
 * renew function, the increment and the clock, renews on the shared schedule
 * (renewal-schedule.ts), retries by urgency (retry-plan.ts), and reports `renewed`, `failed` and,
 * once renewing can no longer keep the credential, `done` with the moment a replacement is due.
 * It never fetches: replacing is its caller's job (the lease source fetches new credentials, the
 * token keeper logs in again, a pinned lease lets the credential run out), as LifetimeWatcher
 * leaves it to the code reading its DoneCh. Three copies of this loop had drifted apart (cap
 * detection, increment format, retry rules) before it was one.
 *
 * Times are the clock's (monotonic for the system clock). An expiry is anchored when the renewal
 * was SENT: Vault starts the new TTL when it receives the request, so counting from the answer
 * would credit the credential with the request's round trip (or a blocked event loop).
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { toLeaseholdError, type LeaseholdError } from '../../errors.js';
import { CAP_TOLERANCE_MILLIS, planAfterRenewal, renewalDelay, REPLACE_JITTER_FRACTION } from './renewal-schedule.js';
import { isOutage, planRetry, retryAfterOf } from './retry-plan.js';
import { PROBE_INTERVAL_MILLIS, VaultWatch } from './vault-watch.js';

/** What Vault granted for one renewal. */
export interface RenewGrant {
  /** The new TTL, counted from when the request was sent. */
  readonly grantedMillis: number;
  /** Vault warned that the TTL was capped at the max TTL. */
  readonly cappedByWarning: boolean;
}

/** Why renewing ended. */
export type RenewerDoneReason =
  /** The max TTL is reached (or near, when known in advance): renewing cannot extend it further. */
  | 'capped'
  /** Vault refused the renewal (lease gone, not renewable, permission denied, bad request). */
  | 'refused'
  /** The credential expired while Vault could not be reached. */
  | 'expired';

/** What the renewer reports. Times are the clock's. */
export interface RenewerListener {
  /** A renewal succeeded; the credential now lives until `expiresAt`. */
  renewed(expiresAt: number, capped: boolean): void;
  /** The next routine renewal is planned for `at` (the secret's `expiring` means it is late). */
  scheduled?(at: number): void;
  /** A renewal failed; the renewer tries again at about `nextAttemptAt`. */
  failed(error: LeaseholdError, nextAttemptAt: number): void;
  /** Renewing is over: replace the credential at `replaceAt` (now, for a refusal or an expiry). */
  done(reason: RenewerDoneReason, replaceAt: number, error: LeaseholdError | undefined): void;
}

/** Construction parameters of {@link Renewer}. */
export interface RenewerParams {
  readonly clock: Clock;
  readonly random: () => number;
  /** Sends one renewal asking for `incrementMillis`. Rejects with the Vault error. */
  readonly renew: (incrementMillis: number) => Promise<RenewGrant>;
  /** The increment asked at each renewal. */
  readonly incrementMillis: number;
  /** Fraction of the final TTL still left when the replacement is due (default 1/3). */
  readonly replaceAtRemainingFraction: number;
  /** Resolves true when Vault's sys/health answers as able to serve; never rejects. */
  readonly probe: () => Promise<boolean>;
  readonly listener: RenewerListener;
}

/** Keeps one credential alive by renewing it. Start it once per credential; `stop()` is idempotent. */
export class Renewer {
  readonly #p: RenewerParams;
  readonly #watch: VaultWatch;
  #expiresAt = 0;
  /** The max-TTL deadline, when known in advance. */
  #hardEndAt: number | undefined;
  /** How long before that deadline the replacement runs (with its jitter drawn once). */
  #keepMillis = 0;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  #running = false;

  constructor(params: RenewerParams) {
    this.#p = params;
    this.#watch = new VaultWatch(params.clock, params.random, params.probe);
  }

  /** When the credential expires, as last known. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /**
   * Starts renewing a credential that expires at `expiresAt`. `hardEndAt` is its max-TTL deadline
   * when known in advance (learned from an earlier lease of the same path, or stated by the user):
   * the replacement is then planned before the cap instead of discovered with seconds to spare.
   */
  start(expiresAt: number, hardEndAt?: number): void {
    this.stop();
    this.#running = true;
    this.#expiresAt = expiresAt;
    // At least `fraction` of a normal lease is left when the replacement runs, and up to a fifth of
    // that more at random so the leases of a fleet issued together are replaced out of step.
    this.#hardEndAt = hardEndAt;
    this.#keepMillis = this.#p.replaceAtRemainingFraction * this.#p.incrementMillis * (1 + this.#p.random() * REPLACE_JITTER_FRACTION);
    this.#attempt = 0;
    this.#scheduleRenewal();
  }

  /** Stops timers and probes; an answer in flight is ignored. */
  stop(): void {
    this.#running = false;
    this.#clear();
    this.#watch.stop();
  }

  #scheduleRenewal(): void {
    const now = this.#p.clock.now();
    const left = this.#expiresAt - now;
    const renewAt = now + renewalDelay(left, this.#p.random);
    const replaceAt = this.#replaceAt();
    // The cap is known: rather than renew into it and find it with seconds to spare, hand over
    // while the planned share of the lease is left.
    if (replaceAt !== undefined && renewAt >= replaceAt)
      return this.#done('capped', Math.max(now, Math.min(replaceAt, this.#expiresAt)), undefined);
    this.#at(renewAt - now, () => void this.#renew());
    this.#p.listener.scheduled?.(renewAt);
  }

  async #renew(): Promise<void> {
    if (!this.#running) return;
    const { clock, incrementMillis } = this.#p;
    const sentAt = clock.now();
    let grant: RenewGrant;
    try {
      grant = await this.#p.renew(incrementMillis);
    } catch (error) {
      if (this.#running) this.#failed(toLeaseholdError(error, 'LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', 'Vault renewal failed', true));
      return;
    }
    if (!this.#running) return;
    const granted = Math.max(0, grant.grantedMillis);
    this.#expiresAt = sentAt + granted;
    this.#attempt = 0;
    const plan = planAfterRenewal(incrementMillis, granted, grant.cappedByWarning, this.#p.replaceAtRemainingFraction, this.#p.random);
    this.#p.listener.renewed(this.#expiresAt, plan.capped);
    if (!this.#running) return;
    if (plan.capped || granted <= 0) {
      const replaceAt = Math.min(sentAt + plan.delayMillis, this.#replaceAt() ?? Number.POSITIVE_INFINITY);
      return this.#done('capped', Math.max(clock.now(), replaceAt), undefined);
    }
    this.#scheduleRenewal();
  }

  /**
   * When a known max TTL makes the replacement due. Vault grants whole seconds, so a lease renewed
   * up to its cap can end a fraction of a second before the deadline: then its expiry is the end.
   */
  #replaceAt(): number | undefined {
    const hardEnd = this.#hardEndAt;
    if (hardEnd === undefined) return undefined;
    const end = this.#expiresAt >= hardEnd - CAP_TOLERANCE_MILLIS ? Math.min(hardEnd, this.#expiresAt) : hardEnd;
    return end - this.#keepMillis;
  }

  #failed(error: LeaseholdError): void {
    const { clock, random } = this.#p;
    const now = clock.now();
    if (!isOutage(error)) return this.#done('refused', now, error);
    if (now >= this.#expiresAt) return this.#done('expired', now, error);
    const plan = planRetry(
      { attempt: this.#attempt++, millisLeft: this.#expiresAt - now, retryable: true, retryAfterMillis: retryAfterOf(error) },
      random,
    );
    if (plan.kind === 'wait') {
      if (now + plan.delayMillis >= this.#expiresAt) return this.#done('expired', this.#expiresAt, error);
      this.#p.listener.failed(error, now + plan.delayMillis);
      if (this.#running) this.#at(plan.delayMillis, () => void this.#renew());
      return;
    }
    this.#p.listener.failed(error, now + PROBE_INTERVAL_MILLIS);
    if (!this.#running) return;
    this.#watch.start(
      () => void this.#renew(),
      () => {
        if (clock.now() < this.#expiresAt) return true;
        this.#done('expired', clock.now(), error);
        return false;
      },
    );
  }

  #done(reason: RenewerDoneReason, replaceAt: number, error: LeaseholdError | undefined): void {
    this.stop();
    this.#p.listener.done(reason, replaceAt, error);
  }

  #at(delayMillis: number, run: () => void): void {
    this.#clear();
    this.#timer = this.#p.clock.setTimeout(() => {
      this.#timer = undefined;
      run();
    }, delayMillis);
    this.#timer.unref?.();
  }

  #clear(): void {
    if (this.#timer) this.#p.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
