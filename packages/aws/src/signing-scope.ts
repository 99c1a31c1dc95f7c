/**
 * Which snapshot of a secret a request is signed with. A bound client runs each request inside
 * a signing scope: the provider answers with the snapshot that client verified and tells the
 * scope, so the client knows exactly which credential each of its requests used. Outside a
 * scope (a client that was never bound) nothing verifies, so the secret's current value is used.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Secret, Snapshot } from '@leasehold/core';

/** One request of a bound client. */
export interface SigningScope<T> {
  readonly secret: Secret<T>;
  /** The snapshot the client verified and serves, if any yet. */
  serving(): Snapshot<T> | undefined;
  /** Called with the snapshot a signature was made with. */
  signed(snapshot: Snapshot<T>): void;
}

const scopes = new AsyncLocalStorage<SigningScope<unknown>>();

/** Runs `work` (a request) inside `scope`. */
export function withSigningScope<T, R>(scope: SigningScope<T>, work: () => Promise<R>): Promise<R> {
  return scopes.run(scope as SigningScope<unknown>, work);
}

/**
 * Runs `work` outside any request's scope: timers and listeners it creates (a secret refresh,
 * its renewals) must not carry one request's scope into the future.
 */
export function outsideSigningScope<R>(work: () => R): R {
  return scopes.exit(work);
}

/** The snapshot to sign with now, recorded with the request's scope when there is one. */
export function signingSnapshot<T>(secret: Secret<T>): Snapshot<T> | undefined {
  const scope = scopes.getStore() as SigningScope<T> | undefined;
  if (scope?.secret === secret) {
    const serving = scope.serving();
    if (serving) {
      scope.signed(serving);
      return serving;
    }
  }
  return secret.peek();
}
