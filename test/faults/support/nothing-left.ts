/**
 * "Nothing lost" checks at the end of a fault case: every lease the SDK took is gone from Vault
 * once its session closed, and no database session of the users it was given is still open.
 * A fault that leaks a lease leaks a database role; one that leaks a connection leaks a backend.
 */
import { expect } from 'vitest';
import type { PostgresAdmin, VaultDevServer } from '@leasehold/testing';
import { until } from '../../pg/load.js';

/** Asserts Vault holds no lease under `prefix` (default: every database credential). */
export function expectNoLeases(server: VaultDevServer, prefix = 'database/creds/'): void {
  expect(
    server.leases().filter((lease) => lease.path.startsWith(prefix)),
    'leases left in Vault',
  ).toEqual([]);
}

/**
 * Asserts no PostgreSQL session of `users` is left. A backend ends a moment after its client
 * closed the socket, so this waits (bounded) for the count to reach zero before asserting it.
 */
export async function expectNoSessions(admin: PostgresAdmin, users: Iterable<string>): Promise<void> {
  const names = [...users];
  const open = async (): Promise<number> => (await Promise.all(names.map((user) => admin.countSessions(user)))).reduce((a, b) => a + b, 0);
  await until(async () => (await open()) === 0, 10_000, 'sessions to end').catch(() => undefined);
  expect(await open(), `sessions left for ${names.join(', ')}`).toBe(0);
}
