/**
 * The secret's side that faces its source (the `SourceContext`): offered values are adopted,
 * found unchanged, or refused (by `validate`, once per content); renewals extend the value in
 * hand; failures, schedules, warnings and the value's expiry become the secret's condition,
 * signals and health.
 * The source learns a verdict and nothing is announced twice. Kept apart from secret.ts, which
 * holds the lifecycle its users see.
 */
import type { Clock } from '../clock.js';
import { LeaseholdError, toLeaseholdError, type LeaseholdErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { closedError } from './closed-error.js';
import type { Condition } from './condition.js';
import type { ExpiryWatch } from './expiry-watch.js';
import type { Handover } from './handover.js';
import type { SecretOptions } from './secret-options.js';
import type { Signals } from './signals.js';
import { createSnapshot, withExpiry, type Snapshot } from './snapshot.js';
import type { OfferVerdict, SourceContext, SourceFailure, SourceUpdate } from './source.js';
import type { StartGate } from './start-gate.js';

/** The parts of its secret the intake works on. */
export interface IntakeHost<T> {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly validate: SecretOptions<T>['validate'];
  readonly signals: Signals<T>;
  readonly condition: Condition;
  readonly expiry: ExpiryWatch<T>;
  readonly handover: Handover<T>;
  readonly start: StartGate<T>;
  /** Whether the secret is closing: nothing more is taken. */
  closing(): boolean;
  /** Something that health reports may have changed. */
  changed(): void;
}

/** The value in hand and what the source said about it. */
export class SourceIntake<T> {
  readonly #host: IntakeHost<T>;
  #current: Snapshot<T> | undefined;
  /** The last value `validate` refused, so the same content read again is not reported twice. */
  #refused: { fingerprint: string; error: LeaseholdError } | undefined;
  #lastRotationAt: number | undefined;
  #lastRenewalAt: number | undefined;
  #nextRenewalAttemptAt: Date | undefined;

  constructor(host: IntakeHost<T>) {
    this.#host = host;
  }

  /** The value in use, if any. */
  get current(): Snapshot<T> | undefined {
    return this.#current;
  }

  get lastRotationAt(): number | undefined {
    return this.#lastRotationAt;
  }

  get lastRenewalAt(): number | undefined {
    return this.#lastRenewalAt;
  }

  get nextRenewalAttemptAt(): Date | undefined {
    return this.#nextRenewalAttemptAt;
  }

  /** The context handed to the source's `start`. */
  context(): SourceContext<T> {
    const host = this.#host;
    return {
      clock: host.clock,
      logger: host.logger,
      name: host.name,
      offer: (update) => this.#offer(update),
      extend: (leaseId, expiresAt) => this.#extend(leaseId, expiresAt),
      failed: (error, failure) => this.#failed(error, failure),
      scheduled: (refreshAt) => this.#scheduled(refreshAt),
      setRenewing: (renewing) => {
        host.condition.renewing = renewing;
        host.changed();
      },
      warn: (warning) => this.#warn(warning),
      clearWarning: (code) => this.#clearWarning(code),
      current: () => this.#current,
    };
  }

  /** Records and announces an error (a refusal, a failed retire, an expiry). */
  fail(error: LeaseholdError): void {
    const host = this.#host;
    if (host.closing()) return;
    if (host.condition.failed(error, this.#current !== undefined)) host.start.settle(undefined, error);
    host.signals.send('error', error);
    host.changed();
  }

  /** The value in hand nears its expiry with no replacement yet. */
  expiring(snapshot: Snapshot<T>, millisLeft: number): void {
    if (this.#current !== snapshot) return;
    this.#host.signals.send('expiring', snapshot, millisLeft);
    this.#host.changed();
  }

  /** The value in hand expired with no replacement. */
  expired(snapshot: Snapshot<T>): void {
    if (this.#current !== snapshot) return;
    this.#host.signals.send('expired', snapshot);
    // Also an error: health shows it as the last error and metrics count it, until a new value arrives.
    this.fail(
      new LeaseholdError(
        'LEASEHOLD_EXPIRED',
        `Secret "${this.#host.name}": version ${snapshot.version} expired with no replacement in hand`,
        {
          retryable: true,
          details: { version: snapshot.version },
        },
      ),
    );
  }

  #offer(update: SourceUpdate<T>): OfferVerdict<T> {
    const host = this.#host;
    if (host.closing()) return { outcome: 'refused', error: closedError(host.name) };
    const prev = this.#current;
    if (prev && prev.fingerprint === update.fingerprint) {
      // A rewrite of the same content (kubelet resync, a poll): proof the source works, not a rotation.
      this.#clearError();
      return { outcome: 'unchanged', snapshot: prev };
    }
    if (this.#refused?.fingerprint === update.fingerprint && host.condition.lastError === this.#refused.error) {
      // The same refused content read again (a poll, a forced re-read) while still the standing
      // error: already reported once.
      return { outcome: 'refused', error: this.#refused.error };
    }
    const refused = this.#refusal(update.value, prev);
    if (refused) {
      // Recorded and announced here, once; the source only learns the verdict.
      this.#refused = { fingerprint: update.fingerprint, error: refused };
      this.fail(refused);
      return { outcome: 'refused', error: refused };
    }
    this.#refused = undefined;
    const now = host.clock.now();
    const next = createSnapshot({
      value: update.value,
      version: (prev?.version ?? 0) + 1,
      fetchedAt: new Date(now),
      expiresAt: update.expiresAt,
      leaseId: update.leaseId,
      renewable: update.renewable,
      fingerprint: update.fingerprint,
    });
    this.#current = next;
    this.#lastRotationAt = now;
    this.#nextRenewalAttemptAt = undefined;
    host.condition.cleared();
    host.start.stopTimer();
    host.start.settle(next);
    host.signals.send('rotated', next, prev);
    host.expiry.watch(next);
    host.handover.rotated(next, prev);
    host.changed();
    return { outcome: 'adopted', snapshot: next };
  }

  /** Why `validate` refuses `value`, or undefined when it accepts it. */
  #refusal(value: T, prev: Snapshot<T> | undefined): LeaseholdError | undefined {
    const { validate, name } = this.#host;
    if (!validate) return undefined;
    const keeping = prev ? `; keeping version ${prev.version}` : '';
    let verdict: ReturnType<NonNullable<SecretOptions<T>['validate']>>;
    try {
      verdict = validate(value);
    } catch (error) {
      return toLeaseholdError(error, 'LEASEHOLD_VALIDATION_FAILED', `Secret "${name}": validate threw for the new value${keeping}`);
    }
    if (verdict !== false && typeof verdict !== 'string') return undefined;
    const reason = typeof verdict === 'string' ? `: ${verdict}` : '';
    return new LeaseholdError('LEASEHOLD_VALIDATION_FAILED', `Secret "${name}": the new value was refused by validate${reason}${keeping}`);
  }

  #extend(leaseId: string, expiresAt: Date): void {
    const host = this.#host;
    const current = this.#current;
    if (host.closing() || !current || current.leaseId !== leaseId) return;
    const renewed = withExpiry(current, expiresAt);
    this.#current = renewed;
    this.#lastRenewalAt = host.clock.now();
    this.#nextRenewalAttemptAt = undefined;
    this.#clearError();
    host.signals.send('renewed', renewed);
    host.handover.renewed(renewed);
    host.expiry.watch(renewed);
    host.changed();
  }

  #failed(error: LeaseholdError, { step, nextAttemptAt }: SourceFailure): void {
    if (this.#host.closing()) return;
    this.#nextRenewalAttemptAt = nextAttemptAt;
    if (step === 'renew') {
      // Only a renewal that ran and failed is a renewal failure (metrics count it as one).
      this.#host.signals.send('renewalFailed', error, nextAttemptAt);
    }
    this.fail(error);
  }

  #scheduled(refreshAt: Date): void {
    const current = this.#current;
    if (this.#host.closing() || !current) return;
    this.#host.expiry.watch(current, refreshAt.getTime());
    this.#host.changed();
  }

  #clearWarning(code: LeaseholdErrorCode): void {
    if (this.#host.condition.clearWarning(code)) this.#host.changed();
  }

  #warn(error: LeaseholdError): void {
    if (this.#host.condition.warn(error)) this.#host.signals.send('warning', error);
  }

  #clearError(): void {
    if (!this.#host.condition.lastError) return;
    this.#host.condition.cleared();
    this.#host.changed();
  }
}
