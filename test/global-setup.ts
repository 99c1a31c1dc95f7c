// vitest globalSetup: one real PostgreSQL server for the whole run. Test files get its facts
// with `inject('postgres')` and make a database of their own with
// `connectPostgres(inject('postgres')).createDatabase()` from @leasehold/testing.
// Owned by @leasehold/testing: please do not replace it with a placeholder.
import type { TestProject } from 'vitest/node';
// Imported by path: vitest's global-setup runner does not apply the @leasehold/source condition.
import { startPostgres } from '../packages/testing/src/postgres.js';
import type { PostgresConnectionFacts } from '../packages/testing/src/postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser connection facts of the run's shared PostgreSQL server. */
    postgres: PostgresConnectionFacts;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('postgres', {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    connectionString: server.connectionString,
  });
  return () => server.stop();
}
