/**
 * A migration job, the way Flyway or any schema tool behaves under `leasehold exec`: it connects
 * the way libpq tools do (PGUSER, PGHOST, PGPORT, PGDATABASE from the environment), reads the
 * password from the credential file leasehold wrote (re-read for every new connection, so a
 * rotated file is picked up; PGPASSWORD when there is no file), runs its DDL and exits. It knows nothing of Vault; leasehold takes the lease before it starts,
 * renews it while it runs and revokes it (dropping the database user) when it exits.
 *
 *   leasehold exec --lease database/creds/migrate --template libpq -- \
 *     node --import tsx examples/migration/migrate.ts
 *
 * The tables belong to MIGRATION_OWNER (a NOLOGIN role the Vault role grants to each dynamic
 * user), not to the short-lived user: objects owned by a dynamic user would block its DROP ROLE
 * at revocation, and would be dropped or orphaned with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

/** The migrations, in order. Each runs once; `schema_history` remembers which ran. */
const MIGRATIONS: readonly { readonly version: number; readonly description: string; readonly sql: string }[] = [
  {
    version: 1,
    description: 'create payments',
    sql: `CREATE TABLE payments (id bigserial PRIMARY KEY, amount_cents bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  },
  { version: 2, description: 'index payments by time', sql: `CREATE INDEX payments_created_at ON payments (created_at)` },
];

async function migrate(): Promise<number> {
  // host, port, database and user come from PG* variables, as for psql; the password from the
  // file when leasehold wrote one (a function: pg calls it for each new connection).
  const dir = process.env.CREDENTIALS_DIRECTORY;
  const client = new pg.Client(dir ? { password: () => readFile(join(dir, 'password'), 'utf8') } : {});
  await client.connect();
  try {
    const owner = process.env.MIGRATION_OWNER;
    if (owner) await client.query(`SET ROLE ${client.escapeIdentifier(owner)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_history (version int PRIMARY KEY, description text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_history')).rows.map((row) => row.version));
    let applied = 0;
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_history (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied++;
      console.log(`migrate: applied V${migration.version} ${migration.description}`);
    }
    console.log(`migrate: ${applied} applied, ${done.size} already there`);
    return 0;
  } finally {
    await client.end();
  }
}

try {
  process.exitCode = await migrate();
} catch (error) {
  // pg's messages name objects and SQL states, not passwords; print the code to be sure.
  const code = (error as { code?: unknown }).code;
  console.error(`migrate: failed${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}: ${(error as Error).message}`);
  process.exitCode = 1;
}
