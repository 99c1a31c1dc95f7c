/**
 * A secret's condition: the last error, a fatal error before the first value, standing warnings
 * and work in progress, and the health state they add up to with the value in hand. Kept apart
 * from the lifecycle so the rules of `degraded` and `failed` read in one place.
 */
import type { Clock } from '../clock.js';
import type { HealthError, HealthState } from '../component-health.js';
import type { LeaseholdError, LeaseholdErrorCode } from '../errors.js';

interface Recorded {
  readonly error: LeaseholdError;
  readonly at: number;
}

/** What the state depends on besides the condition itself. */
export interface StateFacts {
  readonly closing: boolean;
  readonly hasValue: boolean;
  readonly expired: boolean;
  /** Some consumer cannot verify the value, or its refresh is late (`expiring`). */
  readonly troubled: boolean;
}

/** Errors and warnings of one secret. */
export class Condition {
  readonly #clock: Clock;
  #lastError: Recorded | undefined;
  #fatal: LeaseholdError | undefined;
  readonly #warnings = new Map<string, Recorded>();
  /** A renewal or replacement is under way. */
  renewing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The error recorded last, until a good read clears it. */
  get lastError(): LeaseholdError | undefined {
    return this.#lastError?.error;
  }

  /**
   * Records a failure. Before the first value a non-retryable one is fatal (state `failed`):
   * returns true then, so the secret can fail its waiters at once.
   */
  failed(error: LeaseholdError, hasValue: boolean): boolean {
    this.#lastError = { error, at: this.#clock.now() };
    if (hasValue || error.retryable) return false;
    this.#fatal = error;
    return true;
  }

  /** A good read (a new value, the same value, a renewal): the last error no longer stands. */
  cleared(): void {
    this.#lastError = undefined;
    this.#fatal = undefined;
  }

  /** Raises a warning; false when its code was already raised. */
  warn(warning: LeaseholdError): boolean {
    if (this.#warnings.has(warning.code)) return false;
    this.#warnings.set(warning.code, { error: warning, at: this.#clock.now() });
    return true;
  }

  /** Clears the warning with this code; false when none was raised. */
  clearWarning(code: LeaseholdErrorCode): boolean {
    return this.#warnings.delete(code);
  }

  /** The last error as health shows it. */
  lastErrorHealth(): HealthError | undefined {
    return this.#lastError ? healthError(this.#lastError.error, this.#lastError.at) : undefined;
  }

  /** Standing warnings as health shows them. */
  warningsHealth(): HealthError[] {
    return [...this.#warnings.values()].map(({ error, at }) => healthError(error, at));
  }

  /** The health state. */
  state(facts: StateFacts): HealthState {
    if (facts.closing) return 'closed';
    if (!facts.hasValue) return this.#fatal ? 'failed' : 'starting';
    if (facts.expired) return 'expired';
    if (this.#lastError || facts.troubled) return 'degraded';
    return this.renewing ? 'renewing' : 'ready';
  }
}

/** A recorded error as health shows it. */
export function healthError(error: LeaseholdError, at: number): HealthError {
  return { code: error.code, message: error.message, at: new Date(at).toISOString() };
}
