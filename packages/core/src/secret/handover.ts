/**
 * The two-phase handover of a secret's values to its consumers: each consumer verifies and
 * adopts the current value (retried with backoff when it cannot), holds what it still uses, and
 * a replaced value is retired (its lease revoked) only once no consumer holds it, or at a
 * deadline before it expires. When that happens is retention.ts's; this file hands values over.
 */
import { backoffDelay, CONSUMER_BACKOFF } from '../backoff.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { SecretConsumer, Subscription } from './consumer.js';
import { LeaseholdError, sanitizeCause } from '../errors.js';
import type { ConsumerHealth } from '../component-health.js';
import { healthError } from './condition.js';
import type { Signals } from './signals.js';
import type { Logger } from '../logger.js';
import { Retention, type HandoverTiming } from './retention.js';
import type { Snapshot } from './snapshot.js';

/**
 * What the handover needs from the secret it works for. The secret tells it `rotated(next,
 * prev)`; it calls back only to retire a released value and to say health may have changed.
 * Its facts (`adopted`, a consumer's `error`) go out through the secret's signals.
 */
export interface HandoverHost<T> {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly signals: Signals<T>;
  /** Revokes a replaced value (the source's `retire`); rejections are the host's to report. */
  retire(snapshot: Snapshot<T>): Promise<void>;
  /** Something that health reports changed. */
  changed(): void;
}

/** A caller waiting for a consumer to adopt a version newer than `above`. */
interface AdoptionWaiter<T> {
  readonly above: number;
  resolve(snapshot: Snapshot<T>): void;
  reject(error: LeaseholdError): void;
}

/** The handover's side of a subscription; the secret adds `recover` on top. */
export interface ConsumerSlot<T> extends Omit<Subscription<T>, 'recover'> {
  /** The value this consumer serves new work with. */
  serving(): Snapshot<T> | undefined;
  /**
   * Resolves once this consumer serves a version newer than `above`; rejects with its
   * verification error for such a version, or LEASEHOLD_CLOSED when it stops receiving values.
   * `cancel` stops waiting (the promise then never settles).
   */
  adoptedAbove(above: number): { readonly promise: Promise<Snapshot<T>>; cancel(): void };
}

interface ConsumerRecord<T> {
  readonly consumer: SecretConsumer<T>;
  serving: Snapshot<T> | undefined;
  readonly waiters: Set<AdoptionWaiter<T>>;
  readonly holding: Map<number, Snapshot<T>>;
  adopting: boolean;
  attempts: number;
  retryTimer: TimerHandle | undefined;
  lastError: { readonly error: LeaseholdError; readonly at: number } | undefined;
  active: boolean;
}

/** Consumers of one secret and the replaced values they still hold. */
export class Handover<T> {
  readonly #host: HandoverHost<T>;
  readonly #consumers = new Set<ConsumerRecord<T>>();
  readonly #retention: Retention<T>;
  /** The value consumers should be on. */
  #current: Snapshot<T> | undefined;

  constructor(host: HandoverHost<T>, timing: HandoverTiming) {
    this.#host = host;
    this.#retention = new Retention<T>(
      {
        name: host.name,
        clock: host.clock,
        signals: host.signals,
        retire: (snapshot) => host.retire(snapshot),
        currentVersion: () => this.#current?.version,
        serves: (version) => [...this.#consumers].some((record) => record.serving?.version === version),
        holds: (version) => [...this.#consumers].some((record) => record.holding.has(version)),
        takeFromHolders: (version) => {
          const holders = [...this.#consumers].filter((record) => record.holding.delete(version));
          return holders.map((record) => record.consumer.name);
        },
      },
      timing,
    );
  }

  /** Registers a consumer; it receives the current value (if any) at once. */
  subscribe(consumer: SecretConsumer<T>): ConsumerSlot<T> {
    const record: ConsumerRecord<T> = {
      consumer,
      serving: undefined,
      waiters: new Set(),
      holding: new Map(),
      adopting: false,
      attempts: 0,
      retryTimer: undefined,
      lastError: undefined,
      active: true,
    };
    this.#consumers.add(record);
    void this.#handOver(record);
    return {
      release: (snapshot) => {
        if (record.holding.delete(snapshot.version)) this.#retention.retireReleased();
      },
      unsubscribe: () => {
        if (!record.active) return;
        this.#deactivate(record);
        this.#consumers.delete(record);
        record.holding.clear();
        this.#retention.retireReleased();
      },
      serving: () => record.serving,
      adoptedAbove: (above) => {
        const cancel = (): void => undefined;
        if (record.serving && record.serving.version > above) return { promise: Promise.resolve(record.serving), cancel };
        if (!record.active) return { promise: Promise.reject(this.#closedError()), cancel };
        let waiter!: AdoptionWaiter<T>;
        const promise = new Promise<Snapshot<T>>((resolve, reject) => {
          waiter = { above, resolve, reject };
        });
        record.waiters.add(waiter);
        return { promise, cancel: () => record.waiters.delete(waiter) };
      },
    };
  }

  /** The current value was renewed: consumers serving or holding its version hear of it. */
  renewed(snapshot: Snapshot<T>): void {
    if (this.#current?.version === snapshot.version) this.#current = snapshot;
    this.#retention.renewed(snapshot);
    for (const record of this.#consumers) {
      const serves = record.serving?.version === snapshot.version;
      if (!serves && !record.holding.has(snapshot.version)) continue;
      if (serves) record.serving = snapshot;
      if (record.holding.has(snapshot.version)) record.holding.set(snapshot.version, snapshot);
      try {
        record.consumer.renewed?.(snapshot);
      } catch (error) {
        // One consumer's mistake must not stop the notice reaching the others.
        this.#host.logger.error(
          { secret: this.#host.name, consumer: record.consumer.name, code: codeOf(error) },
          'leasehold: consumer renewed() threw',
        );
      }
    }
  }

  /** `next` became current; `prev` (if any) is kept until released. */
  rotated(next: Snapshot<T>, prev: Snapshot<T> | undefined): void {
    this.#current = next;
    if (prev) this.#retention.retain(prev);
    for (const record of this.#consumers) void this.#handOver(record);
    this.#retention.retireReleased();
  }

  /** Whether some consumer's last verification failed. */
  failing(): boolean {
    return [...this.#consumers].some((record) => record.lastError !== undefined);
  }

  /** Each consumer's version, holdings and verification state. */
  health(): ConsumerHealth[] {
    return [...this.#consumers].map((record) => ({
      name: record.consumer.name,
      version: record.serving?.version,
      holding: [...record.holding.keys()].sort((a, b) => a - b),
      verifyFailing: record.lastError !== undefined,
      lastError: record.lastError ? healthError(record.lastError.error, record.lastError.at) : undefined,
    }));
  }

  /** Stops retries and deadlines. Replaced values still held are left to the source's close. */
  close(): void {
    this.#retention.close();
    for (const record of this.#consumers) this.#deactivate(record);
    this.#consumers.clear();
  }

  /** Gives `record` the current value, verified by the consumer; retries with backoff when it refuses. */
  async #handOver(record: ConsumerRecord<T>): Promise<void> {
    const target = this.#current;
    if (!target || !record.active || record.adopting || record.serving?.version === target.version) return;
    this.#clearRetry(record);
    record.adopting = true;
    // Held from the moment adoption starts: a value being verified must not be retired under it
    // when a newer one arrives meanwhile.
    record.holding.set(target.version, target);
    try {
      await record.consumer.adopt(target, record.serving);
      if (!record.active) return;
      record.serving = target;
      record.attempts = 0;
      record.lastError = undefined;
      this.#settleWaiters(record, target.version, (waiter) => waiter.resolve(target));
      this.#host.signals.send('adopted', record.consumer.name, target);
      this.#retention.endExtensions();
    } catch (error) {
      if (record.serving?.version !== target.version) record.holding.delete(target.version);
      if (!record.active) return;
      this.#refused(record, target, error);
    } finally {
      record.adopting = false;
    }
    const current = this.#current;
    if (record.active && current && current.version !== record.serving?.version && !record.retryTimer) {
      // A newer value arrived while this consumer was verifying the previous one.
      void this.#handOver(record);
    }
    this.#retention.retireReleased();
    this.#host.changed();
  }

  #refused(record: ConsumerRecord<T>, target: Snapshot<T>, error: unknown): void {
    const delay = backoffDelay(CONSUMER_BACKOFF, record.attempts++, this.#host.random);
    const refused = new LeaseholdError(
      'LEASEHOLD_CONSUMER_VERIFY_FAILED',
      `${record.consumer.name} could not verify version ${target.version} of secret "${this.#host.name}"; ` +
        `it stays on ${record.serving ? `version ${record.serving.version}` : 'no value'} and retries in ${delay} ms`,
      // The cause is sanitized: a driver's message may quote the value it was given.
      { cause: sanitizeCause(error), retryable: true, details: { consumer: record.consumer.name, version: target.version } },
    );
    record.lastError = { error: refused, at: this.#host.clock.now() };
    this.#settleWaiters(record, target.version, (waiter) => waiter.reject(refused));
    this.#host.signals.send('error', refused);
    record.retryTimer = this.#host.clock.setTimeout(() => {
      record.retryTimer = undefined;
      void this.#handOver(record);
    }, delay);
  }

  #deactivate(record: ConsumerRecord<T>): void {
    record.active = false;
    this.#clearRetry(record);
    this.#settleWaiters(record, Number.POSITIVE_INFINITY, (waiter) => waiter.reject(this.#closedError()));
  }

  /** Settles every waiter of `record` that `version` satisfies (a version newer than it waits for). */
  #settleWaiters(record: ConsumerRecord<T>, version: number, settle: (waiter: AdoptionWaiter<T>) => void): void {
    for (const waiter of record.waiters) {
      if (version <= waiter.above) continue;
      record.waiters.delete(waiter);
      settle(waiter);
    }
  }

  #closedError(): LeaseholdError {
    return new LeaseholdError('LEASEHOLD_CLOSED', `Secret "${this.#host.name}" is closed, or the consumer unsubscribed`);
  }

  #clearRetry(record: ConsumerRecord<T>): void {
    if (record.retryTimer) this.#host.clock.clearTimeout(record.retryTimer);
    record.retryTimer = undefined;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}
