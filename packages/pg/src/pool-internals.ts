/**
 * The parts of pg-pool's own state a rotating pool must reach: retiring one connection the way
 * `maxLifetimeSeconds` does (idle now, busy on release) and keeping a slot free while new
 * credentials are verified. pg-pool has kept these names since 3.5 (2022); they are checked once
 * at construction so an incompatible pg fails loudly there, not in the middle of a rotation.
 */
import type pg from 'pg';
import { LeaseholdError } from '@leasehold/core';

/** pg's Client constructor as pg-pool calls it (`new this.Client(this.options)`). */
export type ClientConstructor = new (config: pg.ClientConfig) => pg.Client;

/** What pg-pool keeps on the pool object, typed. */
export interface PoolInternals {
  /** Every client the pool counts, including those still connecting. */
  readonly _clients: pg.Client[];
  /** Clients waiting for work. */
  readonly _idle: { readonly client: pg.Client }[];
  /** Clients to close on their next release (pg-pool's maxLifetimeSeconds mechanism). */
  readonly _expired: WeakSet<pg.Client>;
  /** Checkouts waiting for a client. */
  readonly _pendingQueue: unknown[];
  /** Closes a client and forgets it; emits `remove` once it is closed. */
  _remove(client: pg.Client, callback?: () => void): void;
  /** Hands idle clients (or free slots) to waiting checkouts. */
  _pulseQueue(): void;
  /** The class pg-pool instantiates for each new connection. */
  Client: ClientConstructor;
  /** pg-pool's options object, read on every checkout (`max` included). */
  readonly options: pg.PoolConfig & { max: number };
}

/** Returns `pool` seen through {@link PoolInternals}, or throws when pg-pool does not have them. */
export function poolInternals(pool: pg.Pool): PoolInternals {
  const internals = pool as unknown as PoolInternals;
  if (
    !Array.isArray(internals._clients) ||
    !Array.isArray(internals._idle) ||
    !(internals._expired instanceof WeakSet) ||
    !Array.isArray(internals._pendingQueue) ||
    typeof internals._remove !== 'function' ||
    typeof internals._pulseQueue !== 'function' ||
    typeof internals.Client !== 'function'
  ) {
    throw new LeaseholdError(
      'LEASEHOLD_INVALID_OPTION',
      'This version of pg (pg-pool) is not supported by @leasehold/pg: install pg 8.8 or later',
    );
  }
  return internals;
}

/**
 * Retires `client` like pg-pool's maxLifetimeSeconds: an idle client is closed now, a busy or
 * still-connecting one is closed when it is released. Returns true if it was idle.
 */
export function retireClient(internals: PoolInternals, client: pg.Client): boolean {
  internals._expired.add(client);
  if (!internals._idle.some((item) => item.client === client)) return false;
  internals._remove(client, () => internals._pulseQueue());
  return true;
}
