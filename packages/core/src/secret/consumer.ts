/**
 * The two-phase rotation handshake between a secret and what is built on it (a pg pool, an AWS
 * client). A consumer adopts the next value only after verifying it, and releases the previous
 * one once drained; the secret retires (revokes) a value only when nobody holds it.
 */
import type { ComponentHealth } from '../component-health.js';
import type { Snapshot } from './snapshot.js';

/** Something built on a secret's value. */
export interface SecretConsumer<T> {
  /** Shown in health and errors. */
  readonly name: string;
  /**
   * Prepare and verify `next`, then switch new work to it. Resolve once switched: the consumer
   * then holds `next`. Reject if `next` cannot be verified: the consumer keeps `prev` (still
   * held) and the secret retries with backoff while `next` is current.
   * `prev` is the snapshot this consumer holds now, undefined for the first value.
   * The consumer must later call {@link Subscription.release} for `prev` once nothing uses it.
   */
  adopt(next: Snapshot<T>, prev: Snapshot<T> | undefined): Promise<void>;
  /** Optional health details of the consumer itself. */
  health?(): ComponentHealth;
}

/** A consumer's registration with a secret. */
export interface Subscription<T> {
  /** Tells the secret that nothing of this consumer uses `snapshot` any more. Idempotent. */
  release(snapshot: Snapshot<T>): void;
  /** Releases everything and stops receiving values. Idempotent. */
  unsubscribe(): void;
}
