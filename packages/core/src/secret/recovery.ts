/**
 * `subscription.recover(refusedVersion)`: what a consumer does when the server refuses the
 * credentials it holds (PostgreSQL 28P01, AWS InvalidClientTokenId). The database or the
 * account was rotated before our copy: read the source again, once for every caller refused
 * with that version, and wait until this consumer has verified and adopted something newer.
 * Consumers no longer need their own refresh-and-wait code (smithy's memoize: concurrent callers
 * share one in-flight refresh; a failure is never cached).
 */
import type { Clock } from '../clock.js';
import { LeaseholdError } from '../errors.js';
import { requireNonNegative } from '../options.js';
import { DEFAULT_RECOVER_TIMEOUT_MILLIS, type RecoverOptions } from './consumer.js';
import type { ConsumerSlot } from './handover.js';
import type { Snapshot } from './snapshot.js';

/** What a recovery needs from its secret. */
export interface RecoveryHost<T> {
  readonly name: string;
  readonly clock: Clock;
  /** The secret's single-flight refresh. */
  refresh(): Promise<Snapshot<T>>;
  /** The secret's current value, if any. */
  current(): Snapshot<T> | undefined;
  /** LEASEHOLD_CLOSED once the secret closed. */
  closed(): LeaseholdError | undefined;
}

/** One consumer's recoveries: at most one run at a time, shared by concurrent callers. */
export class Recovery<T> {
  readonly #host: RecoveryHost<T>;
  readonly #slot: ConsumerSlot<T>;
  #running: Promise<Snapshot<T>> | undefined;

  constructor(host: RecoveryHost<T>, slot: ConsumerSlot<T>) {
    this.#host = host;
    this.#slot = slot;
  }

  async recover(refusedVersion: number, options: RecoverOptions = {}): Promise<Snapshot<T>> {
    const timeoutMillis = requireNonNegative('timeoutMillis', options.timeoutMillis ?? DEFAULT_RECOVER_TIMEOUT_MILLIS);
    for (;;) {
      const closed = this.#host.closed();
      if (closed) throw closed;
      const serving = this.#slot.serving();
      if (serving && serving.version > refusedVersion) return serving;
      // A run for an older refused version may end on a version this caller was refused with
      // too: then it starts the next run itself.
      this.#running ??= this.#run(refusedVersion, timeoutMillis).finally(() => {
        this.#running = undefined;
      });
      const adopted = await this.#running;
      if (adopted.version > refusedVersion) return adopted;
    }
  }

  async #run(refusedVersion: number, timeoutMillis: number): Promise<Snapshot<T>> {
    // The secret may already hold something newer (a rotation the consumer is still verifying):
    // reading the source again would only replace that value once more.
    const current = this.#host.current();
    if (!current || current.version <= refusedVersion) {
      const fresh = await this.#host.refresh();
      if (fresh.version <= refusedVersion) {
        throw new LeaseholdError(
          'LEASEHOLD_NO_NEWER_VALUE',
          `Secret "${this.#host.name}": version ${refusedVersion} was refused and the source has nothing newer yet`,
          { retryable: true, details: { version: refusedVersion } },
        );
      }
    }
    return this.#adoptedWithin(refusedVersion, timeoutMillis);
  }

  #adoptedWithin(refusedVersion: number, timeoutMillis: number): Promise<Snapshot<T>> {
    const clock = this.#host.clock;
    const adoption = this.#slot.adoptedAbove(refusedVersion);
    return new Promise<Snapshot<T>>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        adoption.cancel();
        reject(
          new LeaseholdError(
            'LEASEHOLD_RECOVER_TIMEOUT',
            `Secret "${this.#host.name}": no version newer than ${refusedVersion} was adopted within ${timeoutMillis} ms`,
            { retryable: true, details: { version: refusedVersion } },
          ),
        );
      }, timeoutMillis);
      adoption.promise.then(
        (snapshot) => {
          clock.clearTimeout(timer);
          resolve(snapshot);
        },
        (error: LeaseholdError) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
