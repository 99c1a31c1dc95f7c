/**
 * A Secret whose source hands its SourceContext to the test, so a test can play any source
 * (a file write, a Vault renewal, a failure) without files or a server.
 */
import { fingerprintOf, Secret, type SecretOptions, type Snapshot, type Source, type SourceContext } from '@leasehold/core';

export interface ContextSecret<T> {
  readonly secret: Secret<T>;
  readonly context: SourceContext<T>;
  /** Offers `value` the way a source would; returns the new snapshot, undefined if unchanged. */
  offer(value: T, lease?: { expiresAt?: Date; leaseId?: string; renewable?: boolean }): Snapshot<T> | undefined;
}

export function contextSecret<T>(name: string, options: SecretOptions<T> = {}): ContextSecret<T> {
  let context: SourceContext<T> | undefined;
  const source: Source<T> = {
    kind: 'memory',
    name,
    start: (given) => {
      context = given;
    },
    refresh: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const secret = new Secret<T>(source, options);
  const started = context;
  if (!started) throw new Error('the secret did not start its source');
  return {
    secret,
    context: started,
    offer: (value, lease = {}) => {
      const verdict = started.offer({ value, fingerprint: fingerprintOf(JSON.stringify(value)), ...lease });
      if (verdict.outcome === 'refused') throw verdict.error;
      return verdict.outcome === 'adopted' ? verdict.snapshot : undefined;
    },
  };
}
