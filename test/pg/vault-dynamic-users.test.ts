// The pool against the Vault-compatible dev server's database engine (real roles on the run's
// PostgreSQL), in real time: leases with a 4 s TTL and an 8 s max TTL are replaced every few
// seconds, and each revocation drops the role with Vault's default statements (which end no
// session: the pool must have drained it first).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VaultSession } from '@leasehold/core';
import { connectPostgres, startVaultDev, type VaultDevServer } from '@leasehold/testing';
import { createPool } from '@leasehold/pg';
import { startLoad, until } from './load.js';

const facts = inject('postgres');
const admin = connectPostgres(facts);
let vault: VaultDevServer;

beforeAll(async () => {
  vault = await startVaultDev({
    policies: { app: ['database/creds/app', 'sys/leases/revoke'] },
    database: { connection: facts, roles: { app: { defaultTtl: '4s', maxTtl: '8s' } } },
    auth: {
      approle: {
        roles: { app: { roleId: 'pg-role', secretIds: ['pg-secret-id-0123456789'], policies: ['app'], ttl: '1h', maxTtl: '24h' } },
      },
    },
  });
});
afterAll(async () => {
  await vault.close();
  await admin.close();
});

describe('a pool on Vault dynamic database users', () => {
  it('follows lease replacements under load without a failed query, each old user revoked after it drained', async () => {
    const session = new VaultSession({
      address: vault.address,
      auth: { method: 'approle', roleId: 'pg-role', secretId: 'pg-secret-id-0123456789' },
    });
    // Leases this short leave no room for the default 5 s retire margin.
    const db = session.lease<{ username: string; password: string }>('database/creds/app', { retireMarginMillis: 500 });
    const pool = createPool(db, { host: facts.host, port: facts.port, database: facts.database, max: 4 });
    const users = new Set<string>();
    db.on('rotated', (next) => users.add(next.value.username));
    try {
      await db.ready();
      await pool.query('SELECT 1');
      const load = startLoad(pool, 8, 'SELECT current_user');
      await until(() => (pool.version ?? 0) >= 2, 30_000, 'a lease replacement');
      const served = load.ok();
      await until(() => load.ok() > served + 100, 10_000, 'queries as the new user');
      const result = await load.stop();
      expect(result.errors).toEqual([]);
      // A drain that ran into its deadline would have cut queries: the deadline follows renewals.
      expect(pool.health().details).toMatchObject({ drainTimeouts: 0 });
      // Vault revoked the first user (dropping the role) once the pool released it.
      const firstUser = [...users][0]!;
      await until(async () => !(await admin.roleExists(firstUser)), 10_000, 'first user dropped');
    } finally {
      await pool.end();
      await db.close();
      await session.close();
    }
  });
});
