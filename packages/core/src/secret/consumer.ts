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
  /**
   * A version this consumer serves or holds was renewed: `snapshot` is the same value with its
   * new expiry (a drain deadline bound to the old expiry can move). Must not throw.
   */
  renewed?(snapshot: Snapshot<T>): void;
  /** Optional health details of the consumer itself. */
  health?(): ComponentHealth;
}

/** Options of {@link Subscription.recover}. */
export interface RecoverOptions {
  /**
   * Longest wait for this consumer to adopt a newer value once the source has one. Default
   * {@link DEFAULT_RECOVER_TIMEOUT_MILLIS}. Concurrent callers share the first caller's run.
   */
  readonly timeoutMillis?: number;
}

/**
 * How long {@link Subscription.recover} waits by default for the consumer to verify and adopt a
 * newer value: a pool opening a test connection or an STS call, with room for one retry.
 */
export const DEFAULT_RECOVER_TIMEOUT_MILLIS = 30_000;

/** A consumer's registration with a secret. */
export interface Subscription<T> {
  /** Tells the secret that nothing of this consumer uses `snapshot` any more. Idempotent. */
  release(snapshot: Snapshot<T>): void;
  /**
   * The server refused `refusedVersion` (a login failed, AWS said the key is invalid): reads the
   * source again, unless the secret already has something newer, and resolves with the snapshot
   * once this consumer has adopted a version newer than `refusedVersion`. Concurrent calls share
   * one run (and one source read); a failure is never cached. Rejects with the source's error,
   * LEASEHOLD_NO_NEWER_VALUE (the source has nothing newer yet), the consumer's
   * LEASEHOLD_CONSUMER_VERIFY_FAILED, LEASEHOLD_RECOVER_TIMEOUT, or LEASEHOLD_CLOSED once the
   * secret closes or the consumer unsubscribes.
   */
  recover(refusedVersion: number, options?: RecoverOptions): Promise<Snapshot<T>>;
  /** Releases everything and stops receiving values. Idempotent. */
  unsubscribe(): void;
}
