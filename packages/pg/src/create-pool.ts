/**
 * The entry point of @leasehold/pg: a pg.Pool-compatible pool whose credentials come from a Secret.
 */
import type { Secret } from '@leasehold/core';
import { resolvePoolOptions, type CreatePoolOptions } from './pool-options.js';
import { RotatingPool } from './rotating-pool.js';

/**
 * Creates a pool that follows `secret`: it verifies each new value on a fresh generation
 * (connect + `SELECT 1`) before sending work to it, drains the replaced generation, and only then
 * releases the old value so the secret may revoke it. Use it wherever a `pg.Pool` is expected.
 *
 * ```ts
 * const pool = createPool(vault.lease('database/creds/payments'), { host, database, max: 20 });
 * await pool.query('SELECT 1');
 * ```
 * Options are pg.Pool's (without `user`/`password`, which come from the secret, and without
 * `connectionString`, which pg would let override them) plus those of {@link CreatePoolOptions}.
 */
export function createPool<T>(secret: Secret<T>, options: CreatePoolOptions<T> = {}): RotatingPool<T> {
  return new RotatingPool(secret, resolvePoolOptions(options));
}
