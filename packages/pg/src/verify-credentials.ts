/**
 * Verifies new credentials on one connection of their own, outside the pool: it is never handed
 * to a caller, emits no pool event and uses up no `maxUses`. The pool keeps a slot free for it,
 * so verifying never takes the connection count past `max`.
 */
import type pg from 'pg';
import { LeaseholdError, type Clock, type TimerHandle } from '@leasehold/core';
import type { ClientConstructor } from './pool-internals.js';

/** A verification in progress; `cancel()` closes its connection (the pool is ending). */
export interface Verification {
  readonly done: Promise<void>;
  cancel(): void;
}

/**
 * Connects with `config` (credentials included), runs `query`, closes the connection. Rejects
 * with the driver's own error (28P01, ECONNREFUSED, pg's connection timeout), or with
 * LEASEHOLD_PG_VERIFY_FAILED after `timeoutMillis` (a server that accepts and never answers).
 */
export function verifyCredentials(
  Client: ClientConstructor,
  config: pg.ClientConfig,
  query: string,
  clock: Clock,
  timeoutMillis: number,
  describe: string,
): Verification {
  const client = new Client(config);
  // A server-side error after the check (a terminated backend) must not crash the process.
  client.on('error', () => undefined);
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      reject(
        new LeaseholdError('LEASEHOLD_PG_VERIFY_FAILED', `${describe}: no answer within ${timeoutMillis} ms`, {
          retryable: true,
          details: { reason: 'timeout' },
        }),
      );
      void client.end().catch(() => undefined);
    }, timeoutMillis);
    timer.unref?.();
  });
  const work = (async () => {
    await client.connect();
    await client.query(query);
  })();
  const done = (async () => {
    try {
      await Promise.race([work, timeout]);
    } finally {
      if (timer) clock.clearTimeout(timer);
      work.catch(() => undefined);
      // Not awaited: a server that never answers would keep end() pending too.
      void client.end().catch(() => undefined);
    }
  })();
  return {
    done,
    cancel: () => void client.end().catch(() => undefined),
  };
}
