/**
 * A Secret is a live, versioned value with a lifecycle: it takes values from a {@link Source},
 * refuses ones that fail validation (keeping the last good one), hands each new value to its
 * consumers two-phase, retires replaced values once released, and reports its health.
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import type { SecretConsumer, Subscription } from './consumer.js';
import { deferred, resolved, type Deferred } from '../deferred.js';
import { LeaseholdError, toLeaseholdError, type LeaseholdErrorCode } from '../errors.js';
import { ExpiryWatch } from './expiry-watch.js';
import { Recovery } from './recovery.js';
import { codeOf, Signals, type SecretEvents } from './signals.js';
import { Condition } from './condition.js';
import { Handover } from './handover.js';
import type { ComponentHealth, HealthReporter, HealthState } from '../component-health.js';
import { keepProcessAlive, type KeepAlive } from '../keep-alive.js';
import { silentLogger, type Logger } from '../logger.js';
import { requireNonNegative } from '../options.js';
import type { OfferVerdict, Source, SourceContext, SourceFailure, SourceUpdate } from './source.js';
import { createSnapshot, withExpiry, type Snapshot } from './snapshot.js';

/** How long `ready()` waits for a first value by default. Long enough for a Vault login and a mount to appear. */
export const DEFAULT_START_TIMEOUT_MILLIS = 30_000;
/**
 * Default warning horizon before expiry, for sources that do not say when they refresh (files,
 * KV). Capped at a fifth of the value's lifetime (see expiry-watch.ts), so for a short lease
 * `expiring` means "a renewal is late", not "a lease is short". Sources with a schedule (Vault
 * leases) warn only once their planned refresh is late.
 */
export const DEFAULT_EXPIRING_THRESHOLD_MILLIS = 300_000;
/** How long consumers may hold a replaced value before it is retired anyway. */
export const DEFAULT_RELEASE_TIMEOUT_MILLIS = 300_000;
/**
 * A replaced lease is retired at the latest this long before it expires, so revocation is ours,
 * not the reaper's. Never more than a quarter of the time the lease has left when it is
 * replaced: a short lease replaced with two seconds left still gets 1.5 s to drain.
 */
export const DEFAULT_RETIRE_MARGIN_MILLIS = 5_000;

/** Options of every secret. */
export interface SecretOptions<T> {
  /** Name in health, metrics and logs. Default: the source's name (its path). */
  readonly name?: string;
  /**
   * Checks a parsed value before it is adopted. Return `false` or a message (or throw) to refuse
   * it: the secret keeps its last good value and reports degraded. A message must not quote the value.
   */
  readonly validate?: (value: T) => boolean | string | undefined | void;
  /** How long `ready()` waits for a first value. Default {@link DEFAULT_START_TIMEOUT_MILLIS}. */
  readonly startTimeoutMillis?: number;
  /**
   * Warn (`expiring`, degraded) this long before expiry when the source does not say when it
   * refreshes. Default {@link DEFAULT_EXPIRING_THRESHOLD_MILLIS}.
   */
  readonly expiringThresholdMillis?: number;
  /** Longest wait for consumers to release a replaced value. Default {@link DEFAULT_RELEASE_TIMEOUT_MILLIS}. */
  readonly releaseTimeoutMillis?: number;
  /** Retire a replaced lease at the latest this long before it expires. Default {@link DEFAULT_RETIRE_MARGIN_MILLIS}. */
  readonly retireMarginMillis?: number;
  /** Whether readiness depends on this secret. Default true. */
  readonly required?: boolean;
  readonly clock?: Clock;
  /** A pino-compatible logger. Silent by default. */
  readonly logger?: Logger;
  /** Uniform [0, 1) random source for jitter; injectable for tests. */
  readonly random?: () => number;
}

/**
 * The brand every Secret carries. `Symbol.for` returns the same symbol in every copy of this
 * module, so `instanceof Secret` holds for a secret made by another installed copy of
 * @leasehold/core (one nested under @leasehold/pg, say), as undici does for its errors.
 */
const SECRET_BRAND = Symbol.for('leasehold.secret');

/** A live, versioned secret value. Create one with `fileSecret`, `envSecret` or a `VaultSession`. */
export class Secret<T> implements HealthReporter, AsyncDisposable {
  /**
   * Recognises secrets of any installed copy by their brand; a subclass keeps the ordinary
   * prototype check (its siblings must not pass).
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (this !== Secret) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (value as { [SECRET_BRAND]?: unknown })[SECRET_BRAND] === true;
  }

  /** Name in health, metrics and logs. */
  readonly name: string;
  readonly #source: Source<T>;
  readonly #signals: Signals<T>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #validate: SecretOptions<T>['validate'];
  readonly #handover: Handover<T>;
  readonly #expiry: ExpiryWatch<T>;
  readonly #required: boolean;

  #current: Snapshot<T> | undefined;
  #ready: Deferred<Snapshot<T>>;
  #startTimer: TimerHandle | undefined;
  /** Held while a ready() waits for the first value. */
  #keepAlive: KeepAlive | undefined;
  readonly #condition: Condition;
  /** The last value `validate` refused, so the same content read again is not reported twice. */
  #refused: { fingerprint: string; error: LeaseholdError } | undefined;
  #lastRotationAt: number | undefined;
  #lastRenewalAt: number | undefined;
  #nextRenewalAttemptAt: Date | undefined;
  #refreshing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #lastState: HealthState = 'starting';

  constructor(source: Source<T>, options: SecretOptions<T> = {}) {
    Object.defineProperty(this, SECRET_BRAND, { value: true, enumerable: false });
    this.#source = source;
    this.name = options.name ?? source.name;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#condition = new Condition(this.#clock);
    this.#signals = new Signals<T>(this.name, this.#logger, options.logger !== undefined);
    this.#validate = options.validate;
    this.#required = options.required ?? true;
    const startTimeoutMillis = requireNonNegative('startTimeoutMillis', options.startTimeoutMillis ?? DEFAULT_START_TIMEOUT_MILLIS);
    this.#expiry = new ExpiryWatch<T>(
      this.#clock,
      requireNonNegative('expiringThresholdMillis', options.expiringThresholdMillis ?? DEFAULT_EXPIRING_THRESHOLD_MILLIS),
      { expiring: (snapshot, millisLeft) => this.#expiring(snapshot, millisLeft), expired: (snapshot) => this.#expired(snapshot) },
    );
    this.#handover = new Handover<T>(
      {
        name: this.name,
        clock: this.#clock,
        logger: this.#logger,
        random: options.random ?? Math.random,
        signals: this.#signals,
        retire: (snapshot) => this.#retire(snapshot),
        changed: () => this.#emitHealthIfChanged(),
      },
      {
        releaseTimeoutMillis: requireNonNegative('releaseTimeoutMillis', options.releaseTimeoutMillis ?? DEFAULT_RELEASE_TIMEOUT_MILLIS),
        retireMarginMillis: requireNonNegative('retireMarginMillis', options.retireMarginMillis ?? DEFAULT_RETIRE_MARGIN_MILLIS),
      },
    );

    this.#ready = deferred();
    this.#startTimer = this.#clock.setTimeout(() => this.#startTimedOut(startTimeoutMillis), startTimeoutMillis);
    source.start(this.#context());
  }

  /**
   * Resolves with the first value; rejects with LEASEHOLD_START_TIMEOUT (its message names the
   * last source error: the address and OS error, the missing path), a non-retryable source
   * error, or LEASEHOLD_CLOSED. While it waits, the process stays alive (up to
   * `startTimeoutMillis`), so a service awaiting its first credential fails loudly instead of
   * exiting silently. Consumers (a pool's first query, an AWS client's first credential call)
   * wait through this method.
   */
  ready(): Promise<Snapshot<T>> {
    if (this.#closing) return Promise.reject(closedError(this.name));
    if (this.#current) return Promise.resolve(this.#current);
    if (!this.#ready.settled) this.#keepAlive ??= keepProcessAlive(this.#clock);
    return this.#ready.promise;
  }

  /** The value in use. Throws LEASEHOLD_NO_VALUE before the first value, LEASEHOLD_CLOSED after close. */
  current(): Snapshot<T> {
    if (this.#closing) throw closedError(this.name);
    if (!this.#current) {
      throw new LeaseholdError('LEASEHOLD_NO_VALUE', `Secret "${this.name}" has no value yet; await ready() first`, {
        retryable: true,
        ...(this.#condition.lastError ? { cause: this.#condition.lastError } : {}),
      });
    }
    return this.#current;
  }

  /** The value in use, or undefined before the first one. */
  peek(): Snapshot<T> | undefined {
    return this.#current;
  }

  /** Reads the source now. Concurrent calls share one read; a failure is not cached. */
  async refresh(): Promise<Snapshot<T>> {
    if (this.#closing) throw closedError(this.name);
    this.#refreshing ??= this.#source.refresh().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
    return this.current();
  }

  /** Subscribes to an event. */
  on<E extends keyof SecretEvents<T>>(event: E, listener: SecretEvents<T>[E]): this {
    this.#signals.events.on(event, listener as never);
    return this;
  }

  /** Subscribes to the next occurrence of an event. */
  once<E extends keyof SecretEvents<T>>(event: E, listener: SecretEvents<T>[E]): this {
    this.#signals.events.once(event, listener as never);
    return this;
  }

  /** Removes a listener. */
  off<E extends keyof SecretEvents<T>>(event: E, listener: SecretEvents<T>[E]): this {
    this.#signals.events.off(event, listener as never);
    return this;
  }

  /**
   * Registers a consumer for the two-phase handover. It receives the current value (if any)
   * and every later one through `adopt`, and must release values it no longer uses.
   */
  subscribe(consumer: SecretConsumer<T>): Subscription<T> {
    if (this.#closing) throw closedError(this.name);
    const slot = this.#handover.subscribe(consumer);
    const recovery = new Recovery<T>(
      {
        name: this.name,
        clock: this.#clock,
        refresh: () => this.refresh(),
        current: () => this.#current,
        closed: () => (this.#closing ? closedError(this.name) : undefined),
      },
      slot,
    );
    return {
      release: (snapshot) => slot.release(snapshot),
      unsubscribe: () => slot.unsubscribe(),
      recover: (refusedVersion, options) => recovery.recover(refusedVersion, options),
    };
  }

  /** Health facts: state, version, expiry, last error, consumers. Never values. */
  health(): ComponentHealth {
    const now = this.#clock.now();
    const current = this.#current;
    const expiresAt = current?.expiresAt;
    return {
      name: this.name,
      component: 'secret',
      kind: this.#source.kind,
      source: this.#source.name,
      state: this.#state(),
      version: current?.version,
      expiresAt: expiresAt?.toISOString(),
      secondsLeft: expiresAt ? Math.max(0, Math.floor((expiresAt.getTime() - now) / 1000)) : undefined,
      lastRotationAt: isoOrUndefined(this.#lastRotationAt),
      lastRenewalAt: isoOrUndefined(this.#lastRenewalAt),
      nextRenewalAttemptAt: this.#nextRenewalAttemptAt?.toISOString(),
      lastError: this.#condition.lastErrorHealth(),
      warnings: this.#condition.warningsHealth(),
      consumers: this.#handover.health(),
      required: this.#required,
    };
  }

  /** Stops the source and every timer. Idempotent: every caller gets the same promise. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    this.#clearTimer(this.#startTimer);
    this.#expiry.clear();
    this.#handover.close();
    this.#settleReady(undefined, closedError(this.name));
    this.#emitHealthIfChanged();
    try {
      await this.#source.close();
    } catch (error) {
      this.#logger.warn({ secret: this.name, code: codeOf(error) }, 'leasehold: source close failed');
    }
  }

  #context(): SourceContext<T> {
    return {
      clock: this.#clock,
      logger: this.#logger,
      name: this.name,
      offer: (update) => this.#offer(update),
      extend: (leaseId, expiresAt) => this.#extend(leaseId, expiresAt),
      failed: (error, failure) => this.#failed(error, failure),
      scheduled: (refreshAt) => this.#scheduled(refreshAt),
      setRenewing: (renewing) => {
        this.#condition.renewing = renewing;
        this.#emitHealthIfChanged();
      },
      warn: (warning) => this.#warn(warning),
      clearWarning: (code) => this.#clearWarning(code),
      current: () => this.#current,
    };
  }

  #offer(update: SourceUpdate<T>): OfferVerdict<T> {
    if (this.#closing) return { outcome: 'refused', error: closedError(this.name) };
    const prev = this.#current;
    if (prev && prev.fingerprint === update.fingerprint) {
      // A rewrite of the same content (kubelet resync, a poll): proof the source works, not a rotation.
      this.#clearError();
      return { outcome: 'unchanged', snapshot: prev };
    }
    if (this.#refused?.fingerprint === update.fingerprint && this.#condition.lastError === this.#refused.error) {
      // The same refused content read again (a poll, a forced re-read) while still the standing
      // error: already reported once.
      return { outcome: 'refused', error: this.#refused.error };
    }
    const refused = this.#refusal(update.value, prev);
    if (refused) {
      // Recorded and announced here, once; the source only learns the verdict.
      this.#refused = { fingerprint: update.fingerprint, error: refused };
      this.#fail(refused);
      return { outcome: 'refused', error: refused };
    }
    this.#refused = undefined;
    const now = this.#clock.now();
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
    this.#condition.cleared();
    this.#clearTimer(this.#startTimer);
    this.#settleReady(next);
    this.#signals.send('rotated', next, prev);
    this.#expiry.watch(next);
    this.#handover.rotated(next, prev);
    this.#emitHealthIfChanged();
    return { outcome: 'adopted', snapshot: next };
  }

  /** Why `validate` refuses `value`, or undefined when it accepts it. */
  #refusal(value: T, prev: Snapshot<T> | undefined): LeaseholdError | undefined {
    if (!this.#validate) return undefined;
    const keeping = prev ? `; keeping version ${prev.version}` : '';
    let verdict: ReturnType<NonNullable<SecretOptions<T>['validate']>>;
    try {
      verdict = this.#validate(value);
    } catch (error) {
      return toLeaseholdError(error, 'LEASEHOLD_VALIDATION_FAILED', `Secret "${this.name}": validate threw for the new value${keeping}`);
    }
    if (verdict !== false && typeof verdict !== 'string') return undefined;
    const reason = typeof verdict === 'string' ? `: ${verdict}` : '';
    return new LeaseholdError(
      'LEASEHOLD_VALIDATION_FAILED',
      `Secret "${this.name}": the new value was refused by validate${reason}${keeping}`,
    );
  }

  #extend(leaseId: string, expiresAt: Date): void {
    const current = this.#current;
    if (this.#closing || !current || current.leaseId !== leaseId) return;
    const renewed = withExpiry(current, expiresAt);
    this.#current = renewed;
    this.#lastRenewalAt = this.#clock.now();
    this.#nextRenewalAttemptAt = undefined;
    this.#clearError();
    this.#signals.send('renewed', renewed);
    this.#handover.renewed(renewed);
    this.#expiry.watch(renewed);
    this.#emitHealthIfChanged();
  }

  #fail(error: LeaseholdError): void {
    if (this.#closing) return;
    if (this.#condition.failed(error, this.#current !== undefined)) this.#settleReady(undefined, error);
    this.#signals.send('error', error);
    this.#emitHealthIfChanged();
  }

  #failed(error: LeaseholdError, { step, nextAttemptAt }: SourceFailure): void {
    if (this.#closing) return;
    this.#nextRenewalAttemptAt = nextAttemptAt;
    if (step === 'renew') {
      // Only a renewal that ran and failed is a renewal failure (metrics count it as one).
      this.#signals.send('renewalFailed', error, nextAttemptAt);
    }
    this.#fail(error);
  }

  #scheduled(refreshAt: Date): void {
    const current = this.#current;
    if (this.#closing || !current) return;
    this.#expiry.watch(current, refreshAt.getTime());
    this.#emitHealthIfChanged();
  }

  #clearWarning(code: LeaseholdErrorCode): void {
    if (this.#condition.clearWarning(code)) this.#emitHealthIfChanged();
  }

  #warn(error: LeaseholdError): void {
    if (this.#condition.warn(error)) this.#signals.send('warning', error);
  }

  #clearError(): void {
    if (!this.#condition.lastError) return;
    this.#condition.cleared();
    this.#emitHealthIfChanged();
  }

  async #retire(snapshot: Snapshot<T>): Promise<void> {
    try {
      await this.#source.retire?.(snapshot);
      this.#signals.send('retired', snapshot);
    } catch (error) {
      this.#fail(
        toLeaseholdError(error, 'LEASEHOLD_RETIRE_FAILED', `Secret "${this.name}": retiring version ${snapshot.version} failed`, true),
      );
    }
  }

  #expiring(snapshot: Snapshot<T>, millisLeft: number): void {
    if (this.#current !== snapshot) return;
    this.#signals.send('expiring', snapshot, millisLeft);
    this.#emitHealthIfChanged();
  }

  #expired(snapshot: Snapshot<T>): void {
    if (this.#current !== snapshot) return;
    this.#signals.send('expired', snapshot);
    // Also an error: health shows it as the last error and metrics count it, until a new value arrives.
    this.#fail(
      new LeaseholdError('LEASEHOLD_EXPIRED', `Secret "${this.name}": version ${snapshot.version} expired with no replacement in hand`, {
        retryable: true,
        details: { version: snapshot.version },
      }),
    );
  }

  #state(): HealthState {
    const expiresAt = this.#current?.expiresAt;
    return this.#condition.state({
      closing: this.#closing !== undefined,
      hasValue: this.#current !== undefined,
      expired: expiresAt !== undefined && this.#clock.now() >= expiresAt.getTime(),
      troubled: this.#handover.failing() || this.#expiry.isExpiring(),
    });
  }

  #emitHealthIfChanged(): void {
    const state = this.#state();
    if (state === this.#lastState) return;
    this.#lastState = state;
    this.#signals.send('health', this.health());
  }

  #startTimedOut(startTimeoutMillis: number): void {
    this.#startTimer = undefined;
    if (this.#current || this.#closing) return;
    const cause = this.#condition.lastError;
    this.#settleReady(
      undefined,
      new LeaseholdError(
        'LEASEHOLD_START_TIMEOUT',
        `Secret "${this.name}" had no value after ${startTimeoutMillis} ms` +
          (cause ? `; last error ${cause.code}: ${cause.message}` : '; the source reported no error yet'),
        { retryable: true, ...(cause ? { cause } : {}) },
      ),
    );
  }

  #settleReady(value: Snapshot<T> | undefined, error?: LeaseholdError): void {
    this.#keepAlive?.release();
    this.#keepAlive = undefined;
    const ready = this.#ready;
    if (ready.settled) {
      // A value after a failed start: later ready() calls see it through #current.
      if (value) this.#ready = resolved(value);
      return;
    }
    if (value) ready.resolve(value);
    else if (error) ready.reject(error);
  }

  #clearTimer(timer: TimerHandle | undefined): void {
    if (timer) this.#clock.clearTimeout(timer);
  }
}

function closedError(name: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_CLOSED', `Secret "${name}" is closed`);
}

function isoOrUndefined(millis: number | undefined): string | undefined {
  return millis === undefined ? undefined : new Date(millis).toISOString();
}
