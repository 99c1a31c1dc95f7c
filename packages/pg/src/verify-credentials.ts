/**
 * Verifies new credentials on one connection of their own, outside the pool: it is never handed
 * to a caller, emits no pool event and uses up no `maxUses`. The pool keeps a slot free for it,
 * so verifying never takes the connection count past `max`.
 */
import type pg from 'pg';
import type { Clock, TimerHandle } from '@leasehold/core';
import { PgError } from './errors.js';
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
        new PgError('LEASEHOLD_PG_VERIFY_FAILED', `${describe}: no answer within ${timeoutMillis} ms`, {
          retryable: true,
          details: { reason: 'timeout' },
        }),
      );
      endQuietly(client);
    }, timeoutMillis);
    timer.unref?.();
  });
  // Callback style, as pg-pool drives clients: a custom `Client` option need not return promises.
  const work = new Promise<void>((resolve, reject) => {
    client.connect((connectError?: Error) => {
      if (connectError) {
        reject(connectError);
        return;
      }
      client.query(query, (queryError: Error | undefined) => (queryError ? reject(queryError) : resolve()));
    });
  });
  const done = (async () => {
    try {
      await Promise.race([work, timeout]);
    } finally {
      if (timer) clock.clearTimeout(timer);
      work.catch(() => undefined);
      // Not awaited: a server that never answers would keep end() pending too.
      endQuietly(client);
    }
  })();
  return {
    done,
    cancel: () => endQuietly(client),
  };
}

function endQuietly(client: pg.Client): void {
  // A custom `Client` option (pg-pool's tests use stubs) may not implement end().
  if (typeof (client as Partial<pg.Client>).end === 'function') client.end(() => undefined);
}
