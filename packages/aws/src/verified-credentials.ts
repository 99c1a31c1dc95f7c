/**
 * Which snapshot of a secret AWS clients sign with. A bound client verifies a new credential
 * before any request uses it; until then providers keep answering with the last verified one.
 */
import type { Secret, Snapshot } from '@leasehold/core';

const verified = new WeakMap<Secret<unknown>, Snapshot<unknown>>();

/** Records that `snapshot` of `secret` passed verification (newer versions only). */
export function markVerified<T>(secret: Secret<T>, snapshot: Snapshot<T>): void {
  const known = verified.get(secret as Secret<unknown>);
  if (!known || known.version < snapshot.version) verified.set(secret as Secret<unknown>, snapshot);
}

/**
 * The snapshot to sign with: the newest verified one when a client is bound to `secret`,
 * otherwise the secret's current value (nothing verifies, so there is nothing to wait for).
 */
export function signingSnapshot<T>(secret: Secret<T>): Snapshot<T> | undefined {
  return (verified.get(secret as Secret<unknown>) as Snapshot<T> | undefined) ?? secret.peek();
}
