/**
 * A Secret is a live, versioned value with a lifecycle: it takes values from a {@link Source},
 * refuses ones that fail validation (keeping the last good one), hands each new value to its
 * consumers two-phase, retires replaced values once released, and reports its health. What it
 * does with its source's reports is source-intake.ts; the wait for a first value start-gate.ts;
 * its options secret-options.ts.
 */
import { systemClock, type Clock } from '../clock.js';
import type { SecretConsumer, Subscription } from './consumer.js';
import { LeaseholdError, toLeaseholdError } from '../errors.js';
import { closedError } from './closed-error.js';
import { brandSecret, hasSecretBrand } from './secret-brand.js';
import { ExpiryWatch } from './expiry-watch.js';
import { Recovery } from './recovery.js';
import { codeOf, Signals, type SecretEvents } from './signals.js';
import { Condition } from './condition.js';
import { Handover } from './handover.js';
import type { ComponentHealth, HealthReporter, HealthState } from '../component-health.js';
import { fallbackLogger } from '../fallback-logger.js';
import type { Logger } from '../logger.js';
import { requireNonNegative } from '../options.js';
import {
  DEFAULT_EXPIRING_THRESHOLD_MILLIS,
  DEFAULT_RELEASE_TIMEOUT_MILLIS,
  DEFAULT_RETIRE_MARGIN_MILLIS,
  DEFAULT_START_TIMEOUT_MILLIS,
  type SecretOptions,
} from './secret-options.js';
import type { Source } from './source.js';
import type { Snapshot } from './snapshot.js';
import { SourceIntake } from './source-intake.js';
import { StartGate } from './start-gate.js';

// Declared beside the Secret and re-exported, so every existing import keeps working.
export {
  DEFAULT_EXPIRING_THRESHOLD_MILLIS,
  DEFAULT_RELEASE_TIMEOUT_MILLIS,
  DEFAULT_RETIRE_MARGIN_MILLIS,
  DEFAULT_START_TIMEOUT_MILLIS,
} from './secret-options.js';
export type { SecretOptions } from './secret-options.js';

/** A live, versioned secret value. Create one with `fileSecret`, `envSecret` or a `VaultSession`. */
export class Secret<T> implements HealthReporter, AsyncDisposable {
  /**
   * Recognises secrets of any installed copy by their brand (secret-brand.ts); a subclass keeps the ordinary
   * prototype check (its siblings must not pass).
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (this !== Secret) return Function.prototype[Symbol.hasInstance].call(this, value);
    return hasSecretBrand(value);
  }

  /** Name in health, metrics and logs. */
  readonly name: string;
  readonly #source: Source<T>;
  readonly #signals: Signals<T>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #handover: Handover<T>;
  readonly #expiry: ExpiryWatch<T>;
  readonly #required: boolean;
  readonly #condition: Condition;
  readonly #start: StartGate<T>;
  readonly #intake: SourceIntake<T>;
  #refreshing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #lastState: HealthState = 'starting';

  constructor(source: Source<T>, options: SecretOptions<T> = {}) {
    brandSecret(this);
    this.#source = source;
    this.name = options.name ?? source.name;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? fallbackLogger();
    this.#condition = new Condition(this.#clock);
    this.#signals = new Signals<T>(this.name, this.#logger, options.logger !== undefined);
    this.#required = options.required ?? true;
    const startTimeoutMillis = requireNonNegative('startTimeoutMillis', options.startTimeoutMillis ?? DEFAULT_START_TIMEOUT_MILLIS);
    this.#expiry = new ExpiryWatch<T>(
      this.#clock,
      requireNonNegative('expiringThresholdMillis', options.expiringThresholdMillis ?? DEFAULT_EXPIRING_THRESHOLD_MILLIS),
      {
        expiring: (snapshot, millisLeft) => this.#intake.expiring(snapshot, millisLeft),
        expired: (snapshot) => this.#intake.expired(snapshot),
      },
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

    this.#start = new StartGate<T>(this.#clock, startTimeoutMillis, () => this.#startTimedOut(startTimeoutMillis));
    this.#intake = new SourceIntake<T>({
      name: this.name,
      clock: this.#clock,
      logger: this.#logger,
      validate: options.validate,
      signals: this.#signals,
      condition: this.#condition,
      expiry: this.#expiry,
      handover: this.#handover,
      start: this.#start,
      closing: () => this.#closing !== undefined,
      changed: () => this.#emitHealthIfChanged(),
    });
    source.start(this.#intake.context());
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
    const current = this.#intake.current;
    if (current) return Promise.resolve(current);
    return this.#start.wait();
  }

  /** The value in use. Throws LEASEHOLD_NO_VALUE before the first value, LEASEHOLD_CLOSED after close. */
  current(): Snapshot<T> {
    if (this.#closing) throw closedError(this.name);
    const current = this.#intake.current;
    if (!current) {
      throw new LeaseholdError('LEASEHOLD_NO_VALUE', `Secret "${this.name}" has no value yet; await ready() first`, {
        retryable: true,
        ...(this.#condition.lastError ? { cause: this.#condition.lastError } : {}),
      });
    }
    return current;
  }

  /** The value in use, or undefined before the first one. */
  peek(): Snapshot<T> | undefined {
    return this.#intake.current;
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
        current: () => this.#intake.current,
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
    const current = this.#intake.current;
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
      lastRotationAt: isoOrUndefined(this.#intake.lastRotationAt),
      lastRenewalAt: isoOrUndefined(this.#intake.lastRenewalAt),
      nextRenewalAttemptAt: this.#intake.nextRenewalAttemptAt?.toISOString(),
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
    this.#start.stopTimer();
    this.#expiry.clear();
    this.#handover.close();
    this.#start.settle(undefined, closedError(this.name));
    this.#emitHealthIfChanged();
    try {
      await this.#source.close();
    } catch (error) {
      this.#logger.warn({ secret: this.name, code: codeOf(error) }, 'leasehold: source close failed');
    }
  }

  async #retire(snapshot: Snapshot<T>): Promise<void> {
    try {
      await this.#source.retire?.(snapshot);
      this.#signals.send('retired', snapshot);
    } catch (error) {
      this.#intake.fail(
        toLeaseholdError(error, 'LEASEHOLD_RETIRE_FAILED', `Secret "${this.name}": retiring version ${snapshot.version} failed`, true),
      );
    }
  }

  #state(): HealthState {
    const current = this.#intake.current;
    const expiresAt = current?.expiresAt;
    return this.#condition.state({
      closing: this.#closing !== undefined,
      hasValue: current !== undefined,
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

  /** The error a start that got no value in time rejects `ready()` with; undefined once moot. */
  #startTimedOut(startTimeoutMillis: number): LeaseholdError | undefined {
    if (this.#intake.current || this.#closing) return undefined;
    const cause = this.#condition.lastError;
    return new LeaseholdError(
      'LEASEHOLD_START_TIMEOUT',
      `Secret "${this.name}" had no value after ${startTimeoutMillis} ms` +
        (cause ? `; last error ${cause.code}: ${cause.message}` : '; the source reported no error yet'),
      { retryable: true, ...(cause ? { cause } : {}) },
    );
  }
}

function isoOrUndefined(millis: number | undefined): string | undefined {
  return millis === undefined ? undefined : new Date(millis).toISOString();
}
